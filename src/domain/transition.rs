//! THE order state machine, as one table: [`transition`].
//!
//! ```text
//! Pending ─Submit─► Submitted ─Accept─► Accepted ─PartialFill─► PartiallyFilled ─Fill─► Filled
//!    │                  │  ╲                │                         │
//!    ├─Deny─► Denied    │   Reject─► Rejected                         │
//!    └─Cancel─► Cancelled (never sent)   CancelRequest (from Submitted/Accepted/PartiallyFilled)
//!                                                  ▼
//!                        PendingCancel ─Cancel─► Cancelled;  ─CancelReject─► the status before
//! ```
//!
//! Rules where reality races our requests:
//! - A fill can beat a cancel: in `PendingCancel` a partial fill keeps `PendingCancel` (a rejected
//!   cancel then returns to `PartiallyFilled`), a complete fill ends in `Filled`. An accept that
//!   arrives after the cancel request keeps `PendingCancel` and makes `Accepted` the status a
//!   rejected cancel returns to; a reject of the order itself ends in `Rejected`.
//! - Fills on `Submitted` are in the table (IOC/FOK may fill before the ack arrives), but the
//!   order projection also requires a known broker order id (`BrokerConfirmationRequired`).
//! - A fill after `Cancelled` or `Expired` is a *late fill*: allowed, the status stays terminal.
//!   A fill after `Filled` is an *overfill*: allowed, the status stays `Filled`. Reality is never
//!   discarded; the projection flags both.
//! - `Cancel` and `Expire` are allowed on any working order (IOC remainders, venue expiry) and
//!   `Cancel` on a `Pending` order (cancelled before it was ever sent).
//! - Everything else is refused: `TerminalState` from a terminal status, `InvalidTransition`
//!   otherwise. Duplicate acks and duplicate cancel confirmations are refused: the engine keeps
//!   such broker reports as `ReportIgnored` instead.

use serde::{Deserialize, Serialize};

use super::{OrderError, OrderStatus};

/// What happened to an order; the input of [`transition`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderTrigger {
    Submit,
    Accept,
    Reject,
    Deny,
    /// A fill that leaves some quantity open.
    PartialFill,
    /// A fill that completes (or exceeds) the order quantity.
    Fill,
    CancelRequest,
    Cancel,
    CancelReject,
    Expire,
}

impl OrderTrigger {
    /// Every trigger, in declaration order.
    pub const ALL: [OrderTrigger; 10] = [
        OrderTrigger::Submit,
        OrderTrigger::Accept,
        OrderTrigger::Reject,
        OrderTrigger::Deny,
        OrderTrigger::PartialFill,
        OrderTrigger::Fill,
        OrderTrigger::CancelRequest,
        OrderTrigger::Cancel,
        OrderTrigger::CancelReject,
        OrderTrigger::Expire,
    ];
}

/// An order's position in the state machine: its status and, while `PendingCancel`, the status
/// a rejected cancel returns to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderState {
    pub status: OrderStatus,
    pub before_cancel: Option<OrderStatus>,
}

impl OrderState {
    /// `status`, with no cancel pending.
    pub const fn at(status: OrderStatus) -> Self {
        OrderState { status, before_cancel: None }
    }

    /// `PendingCancel`, returning to `before` if the cancel is rejected.
    pub const fn pending_cancel(before: OrderStatus) -> Self {
        OrderState { status: OrderStatus::PendingCancel, before_cancel: Some(before) }
    }

    /// The state after `trigger`; see [`transition`].
    pub fn apply(self, trigger: OrderTrigger) -> Result<OrderState, OrderError> {
        transition(self, trigger)
    }
}

/// The transition table: the state after `trigger`, or why `trigger` is refused.
pub fn transition(state: OrderState, trigger: OrderTrigger) -> Result<OrderState, OrderError> {
    use OrderStatus::*;
    use OrderTrigger::*;

    fn to(status: OrderStatus) -> Result<OrderState, OrderError> {
        Ok(OrderState::at(status))
    }
    fn waiting(before: OrderStatus) -> Result<OrderState, OrderError> {
        Ok(OrderState::pending_cancel(before))
    }
    // Only a working status can be returned to; anything else is a corrupt state.
    let resume = state.before_cancel.filter(|s| matches!(s, Submitted | Accepted | PartiallyFilled));
    // Built only when refused: an `OrderError` has drop glue, which an eager one runs on
    // every transition.
    let invalid = || Err(OrderError::InvalidTransition { from: state.status, trigger });

    match (state.status, trigger) {
        // Not yet sent: risk denies it, we send it, or it is cancelled locally.
        (Pending, Submit) => to(Submitted),
        (Pending, Deny) => to(Denied),
        (Pending, Cancel) => to(Cancelled),

        // Sent, awaiting the broker's answer.
        (Submitted, Accept) => to(Accepted),
        (Submitted, Reject) => to(Rejected),

        // Working at the broker.
        (Submitted | Accepted | PartiallyFilled, PartialFill) => to(PartiallyFilled),
        (Submitted | Accepted | PartiallyFilled, Fill) => to(Filled),
        (Submitted | Accepted | PartiallyFilled, CancelRequest) => waiting(state.status),
        (Submitted | Accepted | PartiallyFilled, Cancel) => to(Cancelled),
        (Submitted | Accepted | PartiallyFilled, Expire) => to(Expired),

        // A cancel is in flight: it resolves, or reality overtakes it.
        (PendingCancel, Cancel) => to(Cancelled),
        (PendingCancel, CancelReject) => resume.map_or_else(invalid, to),
        (PendingCancel, PartialFill) if resume.is_some() => waiting(PartiallyFilled),
        (PendingCancel, Fill) => to(Filled),
        (PendingCancel, Expire) => to(Expired),
        (PendingCancel, Accept) if resume == Some(Submitted) => waiting(Accepted),
        (PendingCancel, Reject) if resume == Some(Submitted) => to(Rejected),

        // Terminal, but reality is never discarded: late fills and overfills are kept.
        (Cancelled | Expired, PartialFill | Fill) => to(state.status),
        (Filled, Fill) => to(Filled),

        (status, trigger) if status.is_terminal() => Err(OrderError::TerminalState { status, trigger }),
        _ => invalid(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use OrderStatus::*;

    /// The expected outcome of one (state, trigger) pair.
    #[derive(Debug, Clone, Copy, PartialEq)]
    enum Want {
        /// Allowed; the new status, with no cancel pending.
        To(OrderStatus),
        /// Allowed; `PendingCancel`, returning to the given status on a cancel reject.
        Pc(OrderStatus),
        /// `InvalidTransition`.
        Inv,
        /// `TerminalState`.
        Term,
    }
    use Want::*;

    // Columns, in order:
    //   Submit       Accept       Reject      Deny       PartialFill           Fill
    //   CancelRequest           Cancel         CancelReject      Expire
    #[rustfmt::skip]
    const TABLE: [(OrderStatus, Option<OrderStatus>, [Want; 10]); 12] = [
        (Pending, None,
            [To(Submitted), Inv, Inv, To(Denied), Inv, Inv,
             Inv, To(Cancelled), Inv, Inv]),
        (Submitted, None,
            [Inv, To(Accepted), To(Rejected), Inv, To(PartiallyFilled), To(Filled),
             Pc(Submitted), To(Cancelled), Inv, To(Expired)]),
        (Accepted, None,
            [Inv, Inv, Inv, Inv, To(PartiallyFilled), To(Filled),
             Pc(Accepted), To(Cancelled), Inv, To(Expired)]),
        (PartiallyFilled, None,
            [Inv, Inv, Inv, Inv, To(PartiallyFilled), To(Filled),
             Pc(PartiallyFilled), To(Cancelled), Inv, To(Expired)]),
        (PendingCancel, Some(Submitted),
            [Inv, Pc(Accepted), To(Rejected), Inv, Pc(PartiallyFilled), To(Filled),
             Inv, To(Cancelled), To(Submitted), To(Expired)]),
        (PendingCancel, Some(Accepted),
            [Inv, Inv, Inv, Inv, Pc(PartiallyFilled), To(Filled),
             Inv, To(Cancelled), To(Accepted), To(Expired)]),
        (PendingCancel, Some(PartiallyFilled),
            [Inv, Inv, Inv, Inv, Pc(PartiallyFilled), To(Filled),
             Inv, To(Cancelled), To(PartiallyFilled), To(Expired)]),
        (Filled, None,
            [Term, Term, Term, Term, Term, To(Filled),
             Term, Term, Term, Term]),
        (Cancelled, None,
            [Term, Term, Term, Term, To(Cancelled), To(Cancelled),
             Term, Term, Term, Term]),
        (Rejected, None,
            [Term, Term, Term, Term, Term, Term,
             Term, Term, Term, Term]),
        (Expired, None,
            [Term, Term, Term, Term, To(Expired), To(Expired),
             Term, Term, Term, Term]),
        (Denied, None,
            [Term, Term, Term, Term, Term, Term,
             Term, Term, Term, Term]),
    ];

    fn outcome(state: OrderState, trigger: OrderTrigger) -> Want {
        match transition(state, trigger) {
            Ok(OrderState { status: PendingCancel, before_cancel: Some(b) }) => Pc(b),
            Ok(OrderState { status, before_cancel: None }) => To(status),
            Ok(other) => panic!("malformed next state {other:?}"),
            Err(OrderError::InvalidTransition { from, trigger: t }) => {
                assert_eq!((from, t), (state.status, trigger));
                Inv
            }
            Err(OrderError::TerminalState { status, trigger: t }) => {
                assert_eq!((status, t), (state.status, trigger));
                Term
            }
            Err(other) => panic!("unexpected error {other}"),
        }
    }

    #[test]
    fn every_status_and_trigger_pair_matches_the_expected_table() {
        // The table covers every reachable state: each non-PendingCancel status once, and
        // PendingCancel once per status a cancel can be requested from.
        let mut covered = Vec::new();
        for status in OrderStatus::ALL {
            let befores: &[Option<OrderStatus>] = if status == PendingCancel {
                &[Some(Submitted), Some(Accepted), Some(PartiallyFilled)]
            } else {
                &[None]
            };
            for &before in befores {
                let row = TABLE.iter().find(|(s, b, _)| (*s, *b) == (status, before));
                let (_, _, wants) = row.unwrap_or_else(|| panic!("no row for {status:?}/{before:?}"));
                for (trigger, want) in OrderTrigger::ALL.into_iter().zip(wants) {
                    let state = OrderState { status, before_cancel: before };
                    assert_eq!(outcome(state, trigger), *want, "{status:?} (before {before:?}) + {trigger:?}");
                    covered.push((status, before, trigger));
                }
            }
        }
        assert_eq!(covered.len(), 12 * 10);
    }

    #[test]
    fn all_lists_are_complete_and_distinct() {
        // Exhaustive matches: adding a variant breaks compilation here until ALL is updated.
        let s = |x: OrderStatus| match x {
            Pending => 0,
            Submitted => 1,
            Accepted => 2,
            PartiallyFilled => 3,
            PendingCancel => 4,
            Filled => 5,
            Cancelled => 6,
            Rejected => 7,
            Expired => 8,
            Denied => 9,
        };
        let t = |x: OrderTrigger| match x {
            OrderTrigger::Submit => 0,
            OrderTrigger::Accept => 1,
            OrderTrigger::Reject => 2,
            OrderTrigger::Deny => 3,
            OrderTrigger::PartialFill => 4,
            OrderTrigger::Fill => 5,
            OrderTrigger::CancelRequest => 6,
            OrderTrigger::Cancel => 7,
            OrderTrigger::CancelReject => 8,
            OrderTrigger::Expire => 9,
        };
        assert_eq!(OrderStatus::ALL.map(s), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(OrderTrigger::ALL.map(t), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    }

    #[test]
    fn corrupt_pending_cancel_without_a_resumable_status_is_refused_not_panicking() {
        for before in [None, Some(Pending), Some(PendingCancel), Some(Filled)] {
            let state = OrderState { status: PendingCancel, before_cancel: before };
            assert_eq!(outcome(state, OrderTrigger::CancelReject), Inv);
            assert_eq!(outcome(state, OrderTrigger::Accept), Inv);
            assert_eq!(outcome(state, OrderTrigger::PartialFill), Inv);
            assert_eq!(outcome(state, OrderTrigger::Cancel), To(Cancelled));
        }
    }

    #[test]
    fn a_stale_before_cancel_outside_pending_cancel_is_dropped() {
        let state = OrderState { status: Accepted, before_cancel: Some(Submitted) };
        assert_eq!(transition(state, OrderTrigger::PartialFill), Ok(OrderState::at(PartiallyFilled)));
    }
}
