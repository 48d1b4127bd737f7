//! The order management view: every order by client order id, folded from order events.
//!
//! Opened from a checkpoint, the OMS reads the checkpoint's orders in place ([`OrderTable`]):
//! an order is decoded when asked for and copied out only when an event changes it, so
//! opening costs nothing per order.
//!
//! [`Oms::check`] is the decision-step validator (would this event be a valid transition?) and
//! [`Oms::apply`] the fold. Both run the same `plan` (pure), so `apply` cannot accept what
//! `check` refuses; `apply` then executes the plan in place (no copy of the order), re-verifies
//! the touched order's invariants against its fill record, and restores it if they fail.

use compact_str::CompactString;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::collections::btree_map::Entry;

use rust_decimal::Decimal;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use smallvec::{SmallVec, smallvec};

use super::order_table::{self, OrderTable};
use super::{InvariantViolation, ViolationKind};
use crate::collections::GrowingIndex;
use crate::domain::decimal::compare;
use crate::domain::{
    BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderError, OrderState, OrderStatus, OrderTrigger, OrderType,
};
use crate::event::{Event, OrderCreated, OrderFilled};
use crate::journal::Stamp;

/// One status change: the seq and engine time of the event that made it.
///
/// Packed to 4-byte alignment: 20 bytes where 24 would hold a 1-byte status after two
/// 8-byte numbers, for each of the six an order keeps inline (fields are read by value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[repr(C, packed(4))]
pub struct Transition {
    pub seq: u64,
    pub ts_ns: i64,
    pub status: OrderStatus,
}

/// One execution of an order, as journaled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fill {
    pub seq: u64,
    pub ts_ns: i64,
    pub fill_id: FillId,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub price: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub fee: Decimal,
    pub liquidity: LiquiditySide,
    pub venue: CompactString,
    pub broker_ts_ns: i64,
    /// It arrived after the order was `Cancelled` or `Expired`.
    pub late: bool,
}

/// An order's fills: most orders fill once or twice, so two are kept inline.
pub type Fills = SmallVec<[Fill; 2]>;

/// An order's status changes: a lifecycle has five or six (Pending, Submitted, Accepted,
/// PartiallyFilled, PendingCancel, Cancelled/Filled), kept inline. Inline or not, a
/// `SmallVec` serializes as a sequence, the bytes of a `Vec`.
pub type Transitions = SmallVec<[Transition; 6]>;

/// One order as the OMS sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderView {
    /// The order as created.
    pub created: OrderCreated,
    pub status: OrderStatus,
    /// While `PendingCancel`: the status a rejected cancel returns to.
    pub before_cancel: Option<OrderStatus>,
    #[serde(with = "crate::domain::decimal")]
    pub cum_qty: Decimal,
    /// `qty - cum_qty` while open; 0 once terminal.
    #[serde(with = "crate::domain::decimal")]
    pub leaves_qty: Decimal,
    /// Σ qty·px over all fills ([`OrderView::avg_px`] divides it by `cum_qty`).
    #[serde(with = "crate::domain::decimal")]
    pub notional: Decimal,
    /// Σ fee over all fills.
    #[serde(with = "crate::domain::decimal")]
    pub fees: Decimal,
    pub broker_order_id: Option<BrokerOrderId>,
    /// Every fill, in journal order (late fills and overfills included).
    pub fills: Fills,
    /// Creation (`Pending`) and every later status change, in journal order.
    pub transitions: Transitions,
    /// A fill arrived after the order was `Cancelled` or `Expired`.
    pub late_fill: bool,
    /// `cum_qty > qty`: the venue executed more than we asked for.
    pub overfill: bool,
}

/// The OMS keeps every order it ever saw, so an order's size is most of a replay's memory
/// and page faults (`bench replay`: ~35k faults for 183k orders, ~10% of its CPU). Growing it
/// should be a decision: 704 bytes on 64-bit targets (`smallvec`'s `union` layout saves 16, a
/// packed [`Transition`] 24, and deriving the average price 16).
#[cfg(target_pointer_width = "64")]
const _: () = assert!(size_of::<OrderView>() <= 704);

impl OrderView {
    pub fn client_order_id(&self) -> &ClientOrderId {
        &self.created.client_order_id
    }

    /// Σ qty·px / Σ qty over all fills; `None` before the first fill.
    ///
    /// Derived, not kept: the fold would divide on every fill (and divide again to check it),
    /// ~7% of a replay's folding, for a figure only read when the order is shown. It is
    /// always representable: a fill whose average would overflow is refused (see
    /// `Oms::plan_fill`).
    pub fn avg_px(&self) -> Option<Decimal> {
        if self.cum_qty.is_zero() { None } else { self.notional.checked_div(self.cum_qty) }
    }

    /// The state-machine position of the order.
    pub fn state(&self) -> OrderState {
        OrderState { status: self.status, before_cancel: self.before_cancel }
    }

    fn created(at: Stamp, created: &OrderCreated) -> OrderView {
        OrderView {
            created: created.clone(),
            status: OrderStatus::Pending,
            before_cancel: None,
            cum_qty: Decimal::ZERO,
            leaves_qty: created.qty,
            notional: Decimal::ZERO,
            fees: Decimal::ZERO,
            broker_order_id: None,
            fills: Fills::new(),
            transitions: smallvec![Transition { seq: at.seq, ts_ns: at.ts_ns, status: OrderStatus::Pending }],
            late_fill: false,
            overfill: false,
        }
    }

    fn enter(&mut self, next: OrderState, at: Stamp) -> Result<(), OrderError> {
        self.leaves_qty = if next.status.is_terminal() {
            Decimal::ZERO
        } else {
            self.created.qty.checked_sub(self.cum_qty).ok_or_else(|| OrderError::Overflow { what: "leaves_qty" })?
        };
        if next.status != self.status {
            self.transitions.push(Transition { seq: at.seq, ts_ns: at.ts_ns, status: next.status });
        }
        self.status = next.status;
        self.before_cancel = next.before_cancel;
        Ok(())
    }
}

/// An order read from the OMS: held in memory, or decoded from the checkpoint table. A
/// pointer either way, so handing one around copies no order (an `OrderView` is 704 bytes,
/// and a `Cow` of one was copied on every lookup).
#[derive(Debug)]
pub enum OrderRef<'a> {
    Held(&'a OrderView),
    Decoded(Box<OrderView>),
}

impl OrderRef<'_> {
    pub fn into_owned(self) -> OrderView {
        match self {
            OrderRef::Held(order) => order.clone(),
            OrderRef::Decoded(order) => *order,
        }
    }
}

impl std::ops::Deref for OrderRef<'_> {
    type Target = OrderView;

    fn deref(&self) -> &OrderView {
        match self {
            OrderRef::Held(order) => order,
            OrderRef::Decoded(order) => order,
        }
    }
}

impl PartialEq for OrderRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

/// A base order: its changed copy if an event changed it, else decoded from the table.
fn base_order<'a>(table: &OrderTable, ordinal: u32, changed: Option<&'a OrderView>) -> Option<OrderRef<'a>> {
    match changed {
        Some(order) => Some(OrderRef::Held(order)),
        None => table.decode(ordinal).map(|order| OrderRef::Decoded(Box::new(order))),
    }
}

/// Orders created since the base, by client order id, in creation (journal) order. It
/// grows without pauses (an engine's every order is in it).
pub type OrderIndex = GrowingIndex<ClientOrderId, OrderView>;

/// Every order by client order id, in creation (journal) order: the orders of the checkpoint
/// it was opened from (`base`, in place), then the orders created since (`orders`). A base
/// order an event changes is copied out into `changed` (by ordinal) and read from there on.
#[derive(Debug, Clone, Default)]
pub struct Oms {
    base: Option<OrderTable>,
    changed: BTreeMap<u32, OrderView>,
    orders: OrderIndex,
    /// How to take back the last apply ([`Oms::undo_last`]); not part of the view.
    last: Undo,
}

/// Where an order lives: created since the base (its index), or in the base (its ordinal).
#[derive(Debug, Clone, Copy)]
pub(super) enum Slot {
    New(usize),
    Base(u32),
}

/// What an event will do to the OMS, decided from the current state without changing it.
enum Plan<'e> {
    Nothing,
    Create(&'e OrderCreated),
    Move { found: Found, next: OrderState, broker_order_id: Option<&'e BrokerOrderId> },
    Fill { found: Found, fill: &'e OrderFilled, next: OrderState, sums: FillSums },
}

impl Plan<'_> {
    /// Which of the order's fields executing the plan writes. A checkpoint's order being
    /// copied out is written whole: read from a file, it was never checked in this process.
    fn wrote(&self) -> Wrote {
        match self {
            Plan::Move { found: Found { decoded: None, .. }, .. } => Wrote::Status,
            Plan::Move { .. } | Plan::Nothing | Plan::Create(_) | Plan::Fill { .. } => Wrote::Everything,
        }
    }
}

/// Which of an order's fields an apply wrote, and so which invariants it checks (see [`verify`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Wrote {
    /// Status, `before_cancel`, leaves, transitions and the broker order id: a status change.
    Status,
    /// Any field: a new order, a fill, or an order copied out of a checkpoint.
    Everything,
}

/// An order `plan` found: where it lives, and the copy it decoded if it is a base order not
/// copied out yet (the event will change it, so `execute` copies that one out).
struct Found {
    slot: Slot,
    decoded: Option<Box<OrderView>>,
}

impl Found {
    fn of(slot: Slot, order: OrderRef<'_>) -> Found {
        let decoded = match order {
            OrderRef::Held(_) => None,
            OrderRef::Decoded(order) => Some(order),
        };
        Found { slot, decoded }
    }
}

/// An order's running sums after a fill.
struct FillSums {
    cum_qty: Decimal,
    notional: Decimal,
    fees: Decimal,
    late: bool,
}

/// How to take back the last executed plan: the touched order's previous scalars (vectors
/// only grow, so their old lengths suffice). Kept in the OMS rather than handed back, so the
/// saved scalars are written once per apply, not moved through every caller's result.
#[derive(Debug, Clone, Default)]
enum Undo {
    #[default]
    Nothing,
    /// Remove the order the event created (the last one in the index).
    Remove,
    Restore {
        slot: Slot,
        saved: Saved,
    },
}

#[derive(Debug, Clone)]
struct Saved {
    status: OrderStatus,
    before_cancel: Option<OrderStatus>,
    cum_qty: Decimal,
    leaves_qty: Decimal,
    notional: Decimal,
    fees: Decimal,
    broker_order_id: Option<Option<BrokerOrderId>>,
    fills: usize,
    transitions: usize,
    late_fill: bool,
    overfill: bool,
}

impl Saved {
    fn of(o: &OrderView) -> Saved {
        Saved {
            status: o.status,
            before_cancel: o.before_cancel,
            cum_qty: o.cum_qty,
            leaves_qty: o.leaves_qty,
            notional: o.notional,
            fees: o.fees,
            broker_order_id: None,
            fills: o.fills.len(),
            transitions: o.transitions.len(),
            late_fill: o.late_fill,
            overfill: o.overfill,
        }
    }

    fn restore(self, o: &mut OrderView) {
        o.status = self.status;
        o.before_cancel = self.before_cancel;
        o.cum_qty = self.cum_qty;
        o.leaves_qty = self.leaves_qty;
        o.notional = self.notional;
        o.fees = self.fees;
        if let Some(broker_order_id) = self.broker_order_id {
            o.broker_order_id = broker_order_id;
        }
        o.fills.truncate(self.fills);
        o.transitions.truncate(self.transitions);
        o.late_fill = self.late_fill;
        o.overfill = self.overfill;
    }
}

impl Oms {
    pub fn new() -> Self {
        Oms::default()
    }

    /// An OMS whose orders up to a checkpoint are `base`, read in place.
    pub fn with_base(base: OrderTable) -> Self {
        Oms { base: Some(base), ..Oms::default() }
    }

    pub fn get(&self, client_order_id: &ClientOrderId) -> Option<OrderRef<'_>> {
        self.find(client_order_id).map(|(_, order)| order)
    }

    /// The order and where it lives.
    fn find(&self, client_order_id: &ClientOrderId) -> Option<(Slot, OrderRef<'_>)> {
        if let Some((index, order)) = self.orders.get_full(client_order_id) {
            return Some((Slot::New(index), OrderRef::Held(order)));
        }
        let table = self.base.as_ref()?;
        let ordinal = table.ordinal_of(client_order_id.as_str())?;
        Some((Slot::Base(ordinal), base_order(table, ordinal, self.changed.get(&ordinal))?))
    }

    /// Whether an order with this id exists (created, whatever its status).
    pub fn contains(&self, client_order_id: &ClientOrderId) -> bool {
        self.orders.contains_key(client_order_id)
            || self.base.as_ref().is_some_and(|table| table.ordinal_of(client_order_id.as_str()).is_some())
    }

    /// Number of orders.
    pub fn len(&self) -> usize {
        self.base.as_ref().map_or(0, OrderTable::len) + self.orders.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Every order, in creation (journal) order. Base orders are decoded as they are reached
    /// (an unreadable one, already logged, is left out).
    pub fn iter(&self) -> impl Iterator<Item = OrderRef<'_>> + '_ {
        let base = self.base_entries().filter_map(|(table, ordinal, changed)| base_order(table, ordinal, changed));
        base.chain(self.orders.values().map(OrderRef::Held))
    }

    /// Every order with its client order id and its encoded record, in creation order:
    /// unchanged base orders as stored (no decoding), the others encoded now. What a
    /// checkpoint stores.
    pub fn encoded(&self) -> impl Iterator<Item = Result<(&[u8], Cow<'_, [u8]>), String>> + '_ {
        let encode = |order: &OrderView| order_table::encode_order(order).map(Cow::Owned);
        let base = self.base_entries().map(move |(table, ordinal, changed)| match changed {
            Some(order) => Ok((table.key(ordinal), encode(order)?)),
            None => Ok((table.key(ordinal), Cow::Borrowed(table.record(ordinal)))),
        });
        base.chain(
            self.orders.values().map(move |order| Ok((order.client_order_id().as_str().as_bytes(), encode(order)?))),
        )
    }

    /// Every base ordinal in order, with its changed copy if an event changed it.
    fn base_entries(&self) -> impl Iterator<Item = (&OrderTable, u32, Option<&OrderView>)> + '_ {
        self.base.iter().flat_map(move |table| {
            (0..table.len() as u32).map(move |ordinal| (table, ordinal, self.changed.get(&ordinal)))
        })
    }

    /// The order `plan` found, to change: a base order is copied out first, from the copy
    /// `plan` decoded (so it is decoded once). Keeps how to undo the change (the order's
    /// scalars as they are now) in `last`, written there directly: saved aside and moved in
    /// afterwards, that copy was ~3% of a replay's fold.
    fn slot_mut(&mut self, Found { slot, decoded }: Found) -> Option<&mut OrderView> {
        let order = match slot {
            Slot::New(index) => self.orders.get_index_mut(index)?,
            Slot::Base(ordinal) => match self.changed.entry(ordinal) {
                Entry::Occupied(entry) => entry.into_mut(),
                // Not copied out yet, so `find` decoded it.
                Entry::Vacant(entry) => entry.insert(*decoded?),
            },
        };
        self.last = Undo::Restore { slot, saved: Saved::of(order) };
        Some(order)
    }

    /// The order at a slot [`Oms::apply_undoable`] returned.
    pub(super) fn at(&self, slot: Slot) -> &OrderView {
        match slot {
            Slot::New(index) => &self.orders[index],
            Slot::Base(ordinal) => &self.changed[&ordinal],
        }
    }

    fn at_mut(&mut self, slot: Slot) -> &mut OrderView {
        match slot {
            Slot::New(index) => &mut self.orders[index],
            Slot::Base(ordinal) => self.changed.get_mut(&ordinal).expect("a touched base order is copied out"),
        }
    }

    /// The decision-step validator: `Ok` if applying `event` is a valid transition.
    /// `ReportIgnored` is always valid (it changes nothing).
    pub fn check(&self, event: &Event) -> Result<(), OrderError> {
        self.plan(event).map(|_| ())
    }

    /// Folds one journaled event. On error nothing changes.
    pub fn apply(&mut self, at: Stamp, event: &Event) -> Result<(), InvariantViolation> {
        self.apply_undoable(at, event).map(|_| ())
    }

    /// Folds one event in place and verifies the touched order; on error nothing changes.
    /// Returns where the touched order lives ([`Oms::at`]); [`Oms::undo_last`] takes the
    /// apply back (for an all-or-nothing apply across views).
    pub(super) fn apply_undoable(&mut self, at: Stamp, event: &Event) -> Result<Option<Slot>, InvariantViolation> {
        // Whatever happens, the previous apply can no longer be taken back.
        self.last = Undo::Nothing;
        let refused = |e| InvariantViolation::new(at.seq, ViolationKind::Refused(e));
        let plan = self.plan(event).map_err(refused)?;
        let wrote = plan.wrote();
        let touched = self.execute(at, plan).map_err(refused)?;
        let Some(slot) = touched else { return Ok(None) };
        let order = self.at(slot);
        if let Err((invariant, detail)) = verify(order, wrote) {
            let client_order_id = order.client_order_id().clone();
            self.undo_last();
            return Err(InvariantViolation::new(at.seq, ViolationKind::Broken { client_order_id, invariant, detail }));
        }
        Ok(touched)
    }

    /// Takes back the last successful [`Oms::apply_undoable`] (once; then nothing).
    pub(super) fn undo_last(&mut self) {
        match std::mem::take(&mut self.last) {
            Undo::Nothing => {}
            Undo::Remove => {
                self.orders.pop();
            }
            Undo::Restore { slot, saved } => saved.restore(self.at_mut(slot)),
        }
    }

    /// What `event` would do, or why it is refused. Pure: the decision step.
    fn plan<'e>(&self, event: &'e Event) -> Result<Plan<'e>, OrderError> {
        use OrderTrigger::*;
        let moved = |id: &'e ClientOrderId, trigger| -> Result<Plan<'e>, OrderError> {
            let (slot, order) = self.existing(id)?;
            let next = order.state().apply(trigger)?;
            Ok(Plan::Move { found: Found::of(slot, order), next, broker_order_id: None })
        };
        match event {
            Event::OrderCreated(created) => {
                if self.contains(&created.client_order_id) {
                    return Err(OrderError::DuplicateOrder { client_order_id: created.client_order_id.clone() });
                }
                validate_created(created)?;
                Ok(Plan::Create(created))
            }
            Event::OrderDenied(e) => moved(&e.client_order_id, Deny),
            Event::OrderSubmitted(e) => moved(&e.client_order_id, Submit),
            Event::OrderAccepted(e) => {
                let (slot, order) = self.existing(&e.client_order_id)?;
                let next = order.state().apply(Accept)?;
                if e.broker_order_id.is_empty() {
                    let client_order_id = e.client_order_id.clone();
                    return Err(OrderError::BrokerConfirmationRequired { client_order_id, trigger: Accept });
                }
                Ok(Plan::Move { found: Found::of(slot, order), next, broker_order_id: Some(&e.broker_order_id) })
            }
            Event::OrderRejected(e) => moved(&e.client_order_id, Reject),
            Event::OrderFilled(fill) => self.plan_fill(fill),
            Event::CancelRequested(e) => moved(&e.client_order_id, CancelRequest),
            Event::OrderCancelled(e) => moved(&e.client_order_id, Cancel),
            Event::CancelRejected(e) => moved(&e.client_order_id, CancelReject),
            Event::OrderExpired(e) => moved(&e.client_order_id, Expire),
            // Reports kept for audit, inputs (the engine decides on them; their effects on orders
            // are the decisions that follow) and engine decisions change no order.
            _ => Ok(Plan::Nothing),
        }
    }

    fn existing(&self, client_order_id: &ClientOrderId) -> Result<(Slot, OrderRef<'_>), OrderError> {
        self.find(client_order_id).ok_or_else(|| OrderError::UnknownOrder { client_order_id: client_order_id.clone() })
    }

    /// A fill is partial or complete by the cumulative quantity it brings; late fills (after
    /// `Cancelled`/`Expired`) and overfills are accepted and flagged.
    fn plan_fill<'e>(&self, fill: &'e OrderFilled) -> Result<Plan<'e>, OrderError> {
        let (slot, order) = self.existing(&fill.client_order_id)?;
        if fill.fill_id.is_empty() {
            return Err(OrderError::EmptyField { field: "fill_id" });
        }
        positive_qty("fill qty", fill.qty)?;
        positive_price("fill price", fill.price)?;
        if order.fills.iter().any(|f| f.fill_id == fill.fill_id) {
            let (client_order_id, fill_id) = (fill.client_order_id.clone(), fill.fill_id.clone());
            return Err(OrderError::DuplicateFill { client_order_id, fill_id });
        }
        let overflow = |what| OrderError::Overflow { what };
        let cum_qty = order.cum_qty.checked_add(fill.qty).ok_or_else(|| overflow("cum_qty"))?;
        let filled = compare(&cum_qty, &order.created.qty).is_ge();
        let trigger = if filled { OrderTrigger::Fill } else { OrderTrigger::PartialFill };
        let next = order.state().apply(trigger)?;
        if order.broker_order_id.is_none() {
            return Err(OrderError::BrokerConfirmationRequired {
                client_order_id: fill.client_order_id.clone(),
                trigger,
            });
        }
        let value = fill.qty.checked_mul(fill.price).ok_or_else(|| overflow("fill notional"))?;
        let notional = order.notional.checked_add(value).ok_or_else(|| overflow("notional"))?;
        let fees = order.fees.checked_add(fill.fee).ok_or_else(|| overflow("fees"))?;
        // The average price is derived when read (`OrderView::avg_px`); refuse a fill that
        // would make it unrepresentable. Below one unit the quotient can outgrow the notional;
        // from one unit on it cannot.
        if compare(&cum_qty, &Decimal::ONE).is_lt() {
            notional.checked_div(cum_qty).ok_or_else(|| overflow("avg_px"))?;
        }
        let late = matches!(order.status, OrderStatus::Cancelled | OrderStatus::Expired);
        if !next.status.is_terminal() {
            order.created.qty.checked_sub(cum_qty).ok_or_else(|| overflow("leaves_qty"))?;
        }
        let sums = FillSums { cum_qty, notional, fees, late };
        Ok(Plan::Fill { found: Found::of(slot, order), fill, next, sums })
    }

    /// Carries out a plan in place, keeping how to undo it. Returns where the touched order
    /// lives.
    fn execute(&mut self, at: Stamp, plan: Plan<'_>) -> Result<Option<Slot>, OrderError> {
        match plan {
            Plan::Nothing => Ok(None),
            Plan::Create(created) => {
                let id = created.client_order_id.clone();
                let (index, new) = self.orders.get_or_insert_with(id, || OrderView::created(at, created));
                if !new {
                    // `plan` refused a known id: an order is never replaced.
                    return Err(OrderError::DuplicateOrder { client_order_id: created.client_order_id.clone() });
                }
                self.last = Undo::Remove;
                Ok(Some(Slot::New(index)))
            }
            Plan::Move { found, next, broker_order_id } => {
                let slot = found.slot;
                let order = self.slot_mut(found).expect("planned on an existing order");
                let replaced = broker_order_id.map(|id| order.broker_order_id.replace(id.clone()));
                let result = order.enter(next, at);
                if let (Some(replaced), Undo::Restore { saved, .. }) = (replaced, &mut self.last) {
                    saved.broker_order_id = Some(replaced);
                }
                self.settle(slot, result)
            }
            Plan::Fill { found, fill, next, sums } => {
                let slot = found.slot;
                let order = self.slot_mut(found).expect("planned on an existing order");
                order.fills.push(Fill {
                    seq: at.seq,
                    ts_ns: at.ts_ns,
                    fill_id: fill.fill_id.clone(),
                    qty: fill.qty,
                    price: fill.price,
                    fee: fill.fee,
                    liquidity: fill.liquidity,
                    venue: fill.venue.clone(),
                    broker_ts_ns: fill.broker_ts_ns,
                    late: sums.late,
                });
                order.cum_qty = sums.cum_qty;
                order.notional = sums.notional;
                order.fees = sums.fees;
                order.late_fill |= sums.late;
                order.overfill = compare(&sums.cum_qty, &order.created.qty).is_gt();
                let result = order.enter(next, at);
                self.settle(slot, result)
            }
        }
    }

    /// Keeps an executed change (and how to undo it, saved by [`Oms::slot_mut`]), or
    /// restores the order if it failed half-way.
    fn settle(&mut self, slot: Slot, result: Result<(), OrderError>) -> Result<Option<Slot>, OrderError> {
        match result {
            Ok(()) => Ok(Some(slot)),
            Err(error) => {
                self.undo_last();
                Err(error)
            }
        }
    }
}

impl PartialEq for Oms {
    /// Equal orders in the same order, wherever each is kept.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Oms {}

/// Serialized as `{ orders: map of client order id → order }`, base orders included (the
/// shape of an OMS that never had a base).
impl Serialize for Oms {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // Collected first: a binary map needs its exact length up front, and an unreadable
        // base order (logged) is left out.
        struct All<'a>(Vec<OrderRef<'a>>);
        impl Serialize for All<'_> {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_map(self.0.iter().map(|order| (order.client_order_id(), &**order)))
            }
        }
        let mut oms = serializer.serialize_struct("Oms", 1)?;
        oms.serialize_field("orders", &All(self.iter().collect()))?;
        oms.end()
    }
}

impl<'de> Deserialize<'de> for Oms {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename = "Oms")]
        struct Stored {
            orders: OrderIndex,
        }
        Stored::deserialize(deserializer).map(|stored| Oms { orders: stored.orders, ..Oms::default() })
    }
}

fn positive_qty(field: &'static str, value: Decimal) -> Result<(), OrderError> {
    if positive(value) { Ok(()) } else { Err(OrderError::NonPositiveQty { field, value }) }
}

fn positive_price(field: &'static str, value: Decimal) -> Result<(), OrderError> {
    if positive(value) { Ok(()) } else { Err(OrderError::NonPositivePrice { field, value }) }
}

fn validate_created(c: &OrderCreated) -> Result<(), OrderError> {
    for (field, value) in
        [("client_order_id", c.client_order_id.as_str()), ("strategy", &c.strategy), ("symbol", &c.symbol)]
    {
        if value.is_empty() {
            return Err(OrderError::EmptyField { field });
        }
    }
    positive_qty("qty", c.qty)?;
    match (c.order_type, c.limit_price) {
        (OrderType::Limit, None) => return Err(OrderError::MissingLimitPrice),
        (OrderType::Limit, Some(px)) => positive_price("limit_price", px)?,
        (OrderType::Market, Some(_)) => return Err(OrderError::LimitPriceOnMarketOrder),
        (OrderType::Market, None) => {}
    }
    for (field, px) in [("decision_price", c.decision_price), ("arrival_price", c.arrival_price)] {
        if let Some(px) = px {
            positive_price(field, px)?;
        }
    }
    Ok(())
}

/// The OMS invariants of one order after an apply that wrote `wrote`.
///
/// Every apply checks the invariants over its status (cum + leaves = qty while open, leaves = 0
/// when terminal, `before_cancel`, the last transition). The invariants over the fill record
/// (cum, notional and fees = Σ over fills, the overfill and late flags; avg px = Σ qty·px /
/// Σ qty holds by construction, see [`OrderView::avg_px`]) are checked by every apply that writes those fields (a new order, a fill) and by the
/// first apply to touch an order read from a checkpoint. A status change never writes them,
/// so in release builds it does not check them again; debug builds (the tests) check
/// everything on every apply. Why: checking everything was a quarter of a replay's folding
/// (callgrind, 400k lifecycle events: ~475 of ~1,970 instructions an event); this takes ~130
/// of them off.
fn verify(o: &OrderView, wrote: Wrote) -> Result<(), (&'static str, String)> {
    verify_status(o)?;
    if wrote == Wrote::Everything || cfg!(debug_assertions) {
        verify_fills(o)?;
    }
    Ok(())
}

/// The invariants over an order's status and quantities.
fn verify_status(o: &OrderView) -> Result<(), (&'static str, String)> {
    let qty = o.created.qty;
    let fail = |invariant, detail: String| Err((invariant, detail));
    if negative(o.cum_qty) || negative(o.leaves_qty) {
        return fail("quantities are non-negative", format!("cum {} leaves {}", o.cum_qty, o.leaves_qty));
    }
    if o.status.is_terminal() {
        if !o.leaves_qty.is_zero() {
            return fail("leaves = 0 when terminal", format!("{:?} leaves {}", o.status, o.leaves_qty));
        }
    } else if o.cum_qty.checked_add(o.leaves_qty) != Some(qty) || o.leaves_qty.is_zero() {
        // With both non-negative and summing to qty, leaves = 0 is cum ≥ qty.
        return fail("cum + leaves = qty while open", format!("cum {} leaves {} qty {qty}", o.cum_qty, o.leaves_qty));
    }
    if (o.status == OrderStatus::PendingCancel) != o.before_cancel.is_some() {
        return fail("before_cancel is set exactly while PendingCancel", format!("{:?}", o.state()));
    }
    if o.transitions.last().map(|t| t.status) != Some(o.status) {
        return fail("the last transition is the status", format!("{:?}", o.status));
    }
    Ok(())
}

/// The invariants over an order's fill record, recomputed from it.
fn verify_fills(o: &OrderView) -> Result<(), (&'static str, String)> {
    let fail = |invariant, detail: String| Err((invariant, detail));
    let overflow = || ("fill record sums", "overflow".to_owned());
    // The sums start from the first fill, not from zero: most orders have one, and adding
    // to a zero of another scale costs a rescale (the sums are compared by value).
    let mut fills = o.fills.iter();
    let (mut cum, mut notional, mut fees) = match fills.next() {
        Some(f) => (f.qty, f.qty.checked_mul(f.price).ok_or_else(overflow)?, f.fee),
        None => (Decimal::ZERO, Decimal::ZERO, Decimal::ZERO),
    };
    for f in fills {
        cum = cum.checked_add(f.qty).ok_or_else(overflow)?;
        notional = f.qty.checked_mul(f.price).and_then(|v| notional.checked_add(v)).ok_or_else(overflow)?;
        fees = fees.checked_add(f.fee).ok_or_else(overflow)?;
    }
    if cum != o.cum_qty {
        return fail("cum = Σ fill qty", format!("cum {} Σ {cum}", o.cum_qty));
    }
    if notional != o.notional || fees != o.fees {
        return fail("notional and fees = Σ over fills", format!("{} {} vs {notional} {fees}", o.notional, o.fees));
    }
    if o.overfill != compare(&o.cum_qty, &o.created.qty).is_gt() {
        return fail("overfill flagged iff cum > qty", format!("cum {} qty {}", o.cum_qty, o.created.qty));
    }
    if o.late_fill != o.fills.iter().any(|f| f.late) {
        return fail("late_fill flagged iff a fill was late", String::new());
    }
    Ok(())
}

/// Below zero (a sign test: cheaper than comparing with zero, which aligns scales).
fn negative(value: Decimal) -> bool {
    value.is_sign_negative() && !value.is_zero()
}

/// Above zero (see [`negative`]).
fn positive(value: Decimal) -> bool {
    value.is_sign_positive() && !value.is_zero()
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{Side, TimeInForce};
    use crate::event::{
        CancelRejected, CancelRequested, OrderAccepted, OrderCancelled, OrderExpired, OrderRejected, OrderSubmitted,
        ReportIgnored,
    };
    use OrderStatus::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn env(seq: u64) -> Stamp {
        Stamp { seq, ts_ns: seq as i64 * 1_000 }
    }

    fn cid(id: &str) -> ClientOrderId {
        ClientOrderId::from(id)
    }

    fn created(id: &str, qty: &str) -> OrderCreated {
        OrderCreated {
            client_order_id: cid(id),
            strategy: "s".into(),
            symbol: "AAPL".into(),
            side: Side::Buy,
            order_type: OrderType::Limit,
            qty: d(qty),
            limit_price: Some(d("100")),
            time_in_force: TimeInForce::Day,
            ttl_s: None,
            decision_price: None,
            arrival_price: None,
            execution_id: None,
            slice_id: None,
        }
    }

    fn fill(id: &str, fill_id: &str, qty: &str, price: &str) -> Event {
        Event::OrderFilled(OrderFilled {
            client_order_id: cid(id),
            fill_id: FillId::from(fill_id),
            qty: d(qty),
            price: d(price),
            fee: d("0.5"),
            liquidity: LiquiditySide::Taker,
            venue: "X".into(),
            broker_ts_ns: 0,
        })
    }

    fn submitted(id: &str) -> Event {
        OrderSubmitted { client_order_id: cid(id) }.into()
    }

    fn accepted(id: &str, broker: &str) -> Event {
        OrderAccepted { client_order_id: cid(id), broker_order_id: BrokerOrderId::from(broker) }.into()
    }

    /// Applies `events` from seq 1, asserting each is accepted by both `check` and `apply`.
    fn run(events: &[Event]) -> Oms {
        let mut oms = Oms::new();
        for (i, ev) in events.iter().enumerate() {
            oms.check(ev).unwrap_or_else(|e| panic!("event {i} refused: {e}"));
            oms.apply(env(i as u64 + 1), ev).unwrap();
        }
        oms
    }

    fn working(id: &str, qty: &str) -> Vec<Event> {
        vec![created(id, qty).into(), submitted(id), accepted(id, "b-1")]
    }

    #[test]
    fn only_the_last_successful_apply_is_taken_back_and_only_once() {
        let mut oms = Oms::new();
        oms.apply(env(1), &Event::OrderCreated(created("a", "10"))).unwrap();
        oms.apply(env(2), &submitted("a")).unwrap();
        let submitted_state = oms.clone();
        oms.apply(env(3), &accepted("a", "B1")).unwrap();
        oms.undo_last();
        assert_eq!(oms, submitted_state, "the accept is taken back, its broker order id too");
        oms.apply(env(3), &accepted("a", "B1")).unwrap();
        let accepted_state = oms.clone();
        assert!(oms.apply(env(4), &submitted("a")).is_err(), "refused: already accepted");
        oms.undo_last();
        assert_eq!(oms, accepted_state, "a refused apply leaves nothing to take back");
        oms.apply(env(5), &accepted("a", "B1")).unwrap_err();
        oms.apply(env(5), &CancelRequested { client_order_id: cid("a") }.into()).unwrap();
        oms.undo_last();
        assert_eq!(oms, accepted_state, "the cancel request is taken back");
        oms.undo_last();
        assert_eq!(oms, accepted_state, "a second undo takes back nothing");
        assert_ne!(oms, submitted_state);
    }

    #[test]
    fn every_apply_checks_the_status_and_fills_and_new_orders_check_the_fill_record() {
        let mut events = working("a", "10");
        events.push(fill("a", "f-1", "4", "100"));
        let good = run(&events).get(&cid("a")).unwrap().into_owned();
        assert_eq!(verify(&good, Wrote::Everything), Ok(()));

        let mut wrong_notional = good.clone();
        wrong_notional.notional = d("399");
        assert_eq!(verify_status(&wrong_notional), Ok(()), "the fill record is not the status");
        assert_eq!(verify(&wrong_notional, Wrote::Everything).unwrap_err().0, "notional and fees = Σ over fills");
        let mut wrong_fees = good.clone();
        wrong_fees.fees = d("0");
        assert_eq!(verify(&wrong_fees, Wrote::Everything).unwrap_err().0, "notional and fees = Σ over fills");
        // The sums over no fills, and over more than the first.
        let mut unfilled = run(&working("b", "10")).get(&cid("b")).unwrap().into_owned();
        assert_eq!(verify(&unfilled, Wrote::Everything), Ok(()));
        unfilled.fees = d("0.5");
        assert_eq!(verify(&unfilled, Wrote::Everything).unwrap_err().0, "notional and fees = Σ over fills");
        events.push(fill("a", "f-2", "3", "101"));
        let mut twice = run(&events).get(&cid("a")).unwrap().into_owned();
        assert_eq!(verify(&twice, Wrote::Everything), Ok(()));
        twice.notional = d("702");
        assert_eq!(verify(&twice, Wrote::Everything).unwrap_err().0, "notional and fees = Σ over fills");
        twice.notional = d("703");
        twice.cum_qty = d("4");
        twice.leaves_qty = d("6");
        assert_eq!(verify(&twice, Wrote::Everything).unwrap_err().0, "cum = Σ fill qty");

        let mut wrong_leaves = good.clone();
        wrong_leaves.leaves_qty = d("5");
        assert_eq!(verify(&wrong_leaves, Wrote::Status).unwrap_err().0, "cum + leaves = qty while open");
        // Open with nothing left: the sum holds, but an open order has leaves > 0.
        let mut nothing_left = good.clone();
        (nothing_left.cum_qty, nothing_left.leaves_qty) = (d("10"), d("0"));
        assert_eq!(verify(&nothing_left, Wrote::Status).unwrap_err().0, "cum + leaves = qty while open");
        let mut negative_cum = good;
        negative_cum.cum_qty = d("-4");
        assert_eq!(verify(&negative_cum, Wrote::Status).unwrap_err().0, "quantities are non-negative");
        // Debug builds (these tests) check the fill record after a status change too.
        assert_eq!(verify(&wrong_notional, Wrote::Status).is_err(), cfg!(debug_assertions));
    }

    #[test]
    fn full_lifecycle_tracks_quantities_avg_px_fees_and_transitions() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "4", "100"));
        evs.push(fill("o", "f2", "6", "101"));
        let oms = run(&evs);
        let o = oms.get(&cid("o")).unwrap();
        assert_eq!(o.status, Filled);
        assert_eq!((o.cum_qty, o.leaves_qty), (d("10"), d("0")));
        assert_eq!(o.avg_px(), Some(d("100.6")));
        assert_eq!(o.fees, d("1.0"));
        assert_eq!(o.broker_order_id, Some(BrokerOrderId::from("b-1")));
        let statuses: Vec<_> = o.transitions.iter().map(|t| (t.seq, t.ts_ns, t.status)).collect();
        assert_eq!(
            statuses,
            [
                (1, 1000, Pending),
                (2, 2000, Submitted),
                (3, 3000, Accepted),
                (4, 4000, PartiallyFilled),
                (5, 5000, Filled)
            ]
        );
        assert!(!o.late_fill && !o.overfill);
    }

    #[test]
    fn repeated_partial_fills_record_no_extra_transition() {
        let mut evs = working("o", "10");
        evs.extend([fill("o", "f1", "1", "100"), fill("o", "f2", "1", "100")]);
        let o = run(&evs).get(&cid("o")).unwrap().into_owned();
        assert_eq!(o.transitions.len(), 4);
        assert_eq!(o.leaves_qty, d("8"));
    }

    #[test]
    fn a_fill_can_beat_a_cancel_and_a_rejected_cancel_returns_to_partially_filled() {
        let mut evs = working("o", "10");
        evs.push(CancelRequested { client_order_id: cid("o") }.into());
        evs.push(fill("o", "f1", "3", "100"));
        let oms = run(&evs);
        let o = oms.get(&cid("o")).unwrap();
        assert_eq!((o.status, o.before_cancel, o.leaves_qty), (PendingCancel, Some(PartiallyFilled), d("7")));
        evs.push(CancelRejected { client_order_id: cid("o"), reason: "too late".into() }.into());
        let o = run(&evs).get(&cid("o")).unwrap().into_owned();
        assert_eq!((o.status, o.before_cancel), (PartiallyFilled, None));
    }

    #[test]
    fn a_complete_fill_while_pending_cancel_fills_the_order() {
        let mut evs = working("o", "10");
        evs.push(CancelRequested { client_order_id: cid("o") }.into());
        evs.push(fill("o", "f1", "10", "100"));
        assert_eq!(run(&evs).get(&cid("o")).unwrap().status, Filled);
    }

    #[test]
    fn a_late_fill_after_cancel_is_kept_and_flagged_and_the_status_stays_cancelled() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "2", "100"));
        evs.push(OrderCancelled { client_order_id: cid("o") }.into());
        evs.push(fill("o", "f2", "3", "102"));
        let oms = run(&evs);
        let o = oms.get(&cid("o")).unwrap();
        assert_eq!((o.status, o.cum_qty, o.leaves_qty), (Cancelled, d("5"), d("0")));
        assert!(o.late_fill && !o.overfill);
        assert!(o.fills[1].late && !o.fills[0].late);
        assert_eq!(o.transitions.last().unwrap().status, Cancelled);
    }

    #[test]
    fn a_late_fill_after_expiry_is_kept() {
        let mut evs = working("o", "10");
        evs.push(OrderExpired { client_order_id: cid("o") }.into());
        evs.push(fill("o", "f1", "2", "100"));
        let o = run(&evs).get(&cid("o")).unwrap().into_owned();
        assert_eq!((o.status, o.cum_qty, o.late_fill), (Expired, d("2"), true));
    }

    #[test]
    fn overfills_are_accepted_and_flagged() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "12", "100"));
        evs.push(fill("o", "f2", "1", "100"));
        let o = run(&evs).get(&cid("o")).unwrap().into_owned();
        assert_eq!((o.status, o.cum_qty, o.leaves_qty), (Filled, d("13"), d("0")));
        assert!(o.overfill && !o.late_fill);
    }

    #[test]
    fn refusals_are_typed_and_change_nothing() {
        let oms = run(&working("o", "10"));
        let cases: Vec<(Event, OrderError)> = vec![
            (created("o", "1").into(), OrderError::DuplicateOrder { client_order_id: cid("o") }),
            (submitted("x"), OrderError::UnknownOrder { client_order_id: cid("x") }),
            (submitted("o"), OrderError::InvalidTransition { from: Accepted, trigger: OrderTrigger::Submit }),
            (fill("o", "", "1", "1"), OrderError::EmptyField { field: "fill_id" }),
            (fill("o", "f", "0", "1"), OrderError::NonPositiveQty { field: "fill qty", value: d("0") }),
            (fill("o", "f", "1", "-1"), OrderError::NonPositivePrice { field: "fill price", value: d("-1") }),
        ];
        for (ev, want) in cases {
            assert_eq!(oms.check(&ev), Err(want.clone()));
            let mut after = oms.clone();
            let err = after.apply(env(99), &ev).unwrap_err();
            assert_eq!(err, InvariantViolation::new(99, ViolationKind::Refused(want)));
            assert_eq!(after, oms, "a refused apply changes nothing");
        }
    }

    #[test]
    fn duplicate_fill_ids_are_refused() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "1", "100"));
        let oms = run(&evs);
        let want = OrderError::DuplicateFill { client_order_id: cid("o"), fill_id: FillId::from("f1") };
        assert_eq!(oms.check(&fill("o", "f1", "2", "100")), Err(want));
        // The same fill id on another order is fine.
        let mut evs2 = evs.clone();
        evs2.extend(working("p", "10"));
        evs2.push(fill("p", "f1", "1", "100"));
        run(&evs2);
    }

    #[test]
    fn accept_or_fill_without_a_broker_order_id_needs_confirmation() {
        let oms = run(&[created("o", "10").into(), submitted("o")]);
        let needs = |trigger| OrderError::BrokerConfirmationRequired { client_order_id: cid("o"), trigger };
        assert_eq!(oms.check(&accepted("o", "")), Err(needs(OrderTrigger::Accept)));
        assert_eq!(oms.check(&fill("o", "f", "1", "1")), Err(needs(OrderTrigger::PartialFill)));
        assert_eq!(oms.check(&fill("o", "f", "10", "1")), Err(needs(OrderTrigger::Fill)));
        // A cancelled-before-accept order cannot take a (late) fill either.
        let oms =
            run(&[created("o", "10").into(), submitted("o"), OrderCancelled { client_order_id: cid("o") }.into()]);
        assert_eq!(oms.check(&fill("o", "f", "1", "1")), Err(needs(OrderTrigger::PartialFill)));
    }

    #[test]
    fn terminal_orders_refuse_further_lifecycle_events() {
        let oms = run(&[
            created("o", "10").into(),
            submitted("o"),
            OrderRejected { client_order_id: cid("o"), reason: "r".into() }.into(),
        ]);
        let ev = OrderCancelled { client_order_id: cid("o") }.into();
        assert_eq!(oms.check(&ev), Err(OrderError::TerminalState { status: Rejected, trigger: OrderTrigger::Cancel }));
    }

    #[test]
    fn order_creation_is_validated() {
        let oms = Oms::new();
        let mut c = created("o", "0");
        assert_eq!(oms.check(&c.clone().into()), Err(OrderError::NonPositiveQty { field: "qty", value: d("0") }));
        c.qty = d("1");
        c.limit_price = None;
        assert_eq!(oms.check(&c.clone().into()), Err(OrderError::MissingLimitPrice));
        c.limit_price = Some(d("0"));
        assert_eq!(
            oms.check(&c.clone().into()),
            Err(OrderError::NonPositivePrice { field: "limit_price", value: d("0") })
        );
        c.order_type = OrderType::Market;
        assert_eq!(oms.check(&c.clone().into()), Err(OrderError::LimitPriceOnMarketOrder));
        c.limit_price = None;
        c.arrival_price = Some(d("-2"));
        assert_eq!(
            oms.check(&c.clone().into()),
            Err(OrderError::NonPositivePrice { field: "arrival_price", value: d("-2") })
        );
        c.arrival_price = None;
        c.symbol.clear();
        assert_eq!(oms.check(&c.clone().into()), Err(OrderError::EmptyField { field: "symbol" }));
        c.symbol = "X".into();
        assert_eq!(oms.check(&c.into()), Ok(()));
    }

    #[test]
    fn overflowing_fills_are_refused_not_panicking() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "1", "100"));
        let oms = run(&evs);
        let huge = Decimal::MAX.to_string();
        assert_eq!(oms.check(&fill("o", "f2", &huge, &huge)), Err(OrderError::Overflow { what: "cum_qty" }));
        assert_eq!(oms.check(&fill("o", "f2", "2", &huge)), Err(OrderError::Overflow { what: "fill notional" }));

        // Half a unit at the largest price: the notional rounds up to fit, and the average
        // (notional / 0.5) would be one past the largest decimal.
        let fresh = run(&working("p", "1"));
        assert_eq!(fresh.check(&fill("p", "f1", "0.5", &huge)), Err(OrderError::Overflow { what: "avg_px" }));
        // At or above one unit, the average can never outgrow the notional.
        let held = run(&[working("q", "2"), vec![fill("q", "f1", "1", &huge)]].concat());
        assert_eq!(held.get(&cid("q")).unwrap().avg_px(), Some(Decimal::MAX));
    }

    #[test]
    fn report_ignored_changes_nothing() {
        let mut oms = run(&working("o", "10"));
        let before = oms.clone();
        let ev = ReportIgnored {
            client_order_id: Some(cid("o")),
            broker_order_id: None,
            reason: "dup".into(),
            report: "r".into(),
        };
        oms.apply(env(9), &ev.into()).unwrap();
        assert_eq!(oms, before);
    }

    #[test]
    fn apply_reports_a_broken_invariant_in_a_corrupt_snapshot_instead_of_panicking() {
        let mut held = run(&working("o", "10"));
        // Corrupt the checkpoint: a cumulative quantity no fill accounts for.
        held.orders.get_mut(&cid("o")).unwrap().cum_qty = d("3");
        let bytes = order_table::encode(held.encoded()).unwrap().concat();
        let mut oms = Oms::with_base(OrderTable::open(crate::journal::SnapshotData::from_vec(bytes), 0).unwrap());
        // A status change checks the whole order the first time it touches a checkpoint's.
        let cancel: Event = CancelRequested { client_order_id: cid("o") }.into();
        assert_eq!(held.plan(&cancel).unwrap().wrote(), Wrote::Status);
        assert_eq!(oms.plan(&cancel).unwrap().wrote(), Wrote::Everything);
        let err = oms.apply(env(7), &CancelRequested { client_order_id: cid("o") }.into()).unwrap_err();
        assert_eq!(err.seq, 7);
        assert!(matches!(err.kind, ViolationKind::Broken { invariant: "cum = Σ fill qty", .. }), "{err}");
    }

    #[test]
    fn oms_round_trips_through_json_and_bincode() {
        let mut evs = working("o", "10");
        evs.push(fill("o", "f1", "4", "100.25"));
        let oms = run(&evs);
        let json = serde_json::to_string(&oms).unwrap();
        assert_eq!(serde_json::from_str::<Oms>(&json).unwrap(), oms);
        let bytes = bincode::serde::encode_to_vec(&oms, bincode::config::standard()).unwrap();
        let (back, _): (Oms, usize) = bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
        assert_eq!(back, oms);
    }
}
