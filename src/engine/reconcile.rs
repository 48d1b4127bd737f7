//! Reconciliation: local state against the broker's report of its open orders and positions,
//! the broker being the source of truth. Pure: the discrepancies and the decisions they call
//! for are functions of the engine state, the report and the config's thresholds.
//!
//! - Orders: an order open at the broker but not working locally is `MissingLocal`; one working
//!   locally (acknowledged, not yet finished) but not open at the broker is `MissingBroker`;
//!   open on both sides with different leaves is `QuantityMismatch`. Within thresholds, a
//!   `MissingBroker` order is closed locally with `OrderCancelled` (the broker, the source of
//!   truth, no longer works it; any quantity it traded shows in the position adjustment).
//!   The others are reported only: an order the engine never created has no strategy or
//!   terms to book it under, and an order's leaves move only with the fills that moved it
//!   (the position adjustment books the quantity).
//! - Positions, per symbol (local: the sum over strategies): one side flat is `MissingLocal` or
//!   `MissingBroker`, both open and different is `QuantityMismatch`.
//! - Within thresholds (at most `recon_max_missing_positions` missing positions, every
//!   mismatch at most `recon_max_qty_drift_pct` of the broker's quantity): each position
//!   discrepancy is adjusted by a `FillInferred` booked to the `reconciliation` strategy, at
//!   the symbol's last price. Beyond: `ReconciliationFailed`, which halts the engine.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::state::EngineState;
use crate::domain::{OrderStatus, Side};
use crate::event::{
    BrokerStateReported, Discrepancy, DiscrepancyKind, Event, FillInferred, OrderCancelled, ReconciliationCompleted,
    ReconciliationFailed, ReconciliationOutcome,
};

/// The strategy adjustments are booked to.
pub const RECONCILIATION_STRATEGY: &str = "reconciliation";

/// The decisions a broker state report calls for. `input_seq` names the inferred fills.
pub fn reconcile(state: &EngineState, report: &BrokerStateReported, input_seq: u64) -> Vec<Event> {
    let orders = order_discrepancies(state, report);
    let positions = position_discrepancies(state, report);
    let failure = breach(state, &positions);
    let discrepancies: Vec<Discrepancy> = orders.iter().chain(&positions).cloned().collect();
    let outcome = match (&failure, discrepancies.is_empty()) {
        (Some(_), _) => ReconciliationOutcome::Failed,
        (None, true) => ReconciliationOutcome::InSync,
        (None, false) => ReconciliationOutcome::Adjusted,
    };
    let mut events = vec![Event::from(ReconciliationCompleted { discrepancies, outcome })];
    match failure {
        Some(reason) => events.push(ReconciliationFailed { reason }.into()),
        None => {
            events.extend(orders.iter().filter_map(|d| close_order(state, d)));
            events.extend(positions.iter().enumerate().filter_map(|(n, d)| adjustment(state, d, input_seq, n + 1)));
        }
    }
    events
}

/// Closes locally (`OrderCancelled`) an order the broker does not have open.
fn close_order(state: &EngineState, d: &Discrepancy) -> Option<Event> {
    let id = d.subject.strip_prefix("order:").filter(|_| d.kind == DiscrepancyKind::MissingBroker)?;
    let event = Event::from(OrderCancelled { client_order_id: id.into() });
    state.views.oms.check(&event).is_ok().then_some(event)
}

/// Acknowledged by the broker and not finished: what it should report open.
fn working(status: OrderStatus) -> bool {
    matches!(status, OrderStatus::Accepted | OrderStatus::PartiallyFilled | OrderStatus::PendingCancel)
}

fn order_discrepancies(state: &EngineState, report: &BrokerStateReported) -> Vec<Discrepancy> {
    let local: BTreeMap<String, Decimal> = state
        .views
        .oms
        .iter()
        .filter(|o| working(o.status))
        .map(|o| (o.client_order_id().as_str().to_owned(), o.leaves_qty))
        .collect();
    let broker: BTreeMap<&str, Decimal> =
        report.open_orders.iter().map(|o| (o.client_order_id.as_str(), o.leaves_qty)).collect();
    let ids: BTreeSet<&str> = local.keys().map(String::as_str).chain(broker.keys().copied()).collect();
    ids.into_iter()
        .filter_map(|id| discrepancy(format!("order:{id}"), local.get(id).copied(), broker.get(id).copied()))
        .collect()
}

fn position_discrepancies(state: &EngineState, report: &BrokerStateReported) -> Vec<Discrepancy> {
    let mut local: BTreeMap<&str, Decimal> = BTreeMap::new();
    for position in state.views.positions.iter() {
        let net = local.entry(position.symbol.as_str()).or_default();
        *net = net.saturating_add(position.net_qty);
    }
    let broker: BTreeMap<&str, Decimal> = report.positions.iter().map(|p| (p.symbol.as_str(), p.qty)).collect();
    let symbols: BTreeSet<&str> = local.keys().chain(broker.keys()).copied().collect();
    let open = |qty: Option<&Decimal>| qty.copied().filter(|q| !q.is_zero());
    symbols
        .into_iter()
        .filter_map(|symbol| {
            discrepancy(format!("position:{symbol}"), open(local.get(symbol)), open(broker.get(symbol)))
        })
        .collect()
}

/// The discrepancy between a local and a broker quantity (`None`: absent or flat), if any.
fn discrepancy(subject: String, local_qty: Option<Decimal>, broker_qty: Option<Decimal>) -> Option<Discrepancy> {
    let kind = match (local_qty, broker_qty) {
        (None, None) => return None,
        (Some(l), Some(b)) if l == b => return None,
        (Some(_), Some(_)) => DiscrepancyKind::QuantityMismatch,
        (None, Some(_)) => DiscrepancyKind::MissingLocal,
        (Some(_), None) => DiscrepancyKind::MissingBroker,
    };
    Some(Discrepancy { kind, subject, local_qty, broker_qty })
}

/// Why the position discrepancies are beyond the thresholds, if they are.
fn breach(state: &EngineState, positions: &[Discrepancy]) -> Option<String> {
    let config = state.config();
    let missing = positions.iter().filter(|d| d.kind != DiscrepancyKind::QuantityMismatch).count();
    if missing > config.recon_max_missing_positions as usize {
        return Some(format!("{missing} missing positions (at most {})", config.recon_max_missing_positions));
    }
    positions.iter().filter(|d| d.kind == DiscrepancyKind::QuantityMismatch).find_map(|d| {
        let (local, broker) = (d.local_qty.unwrap_or_default(), d.broker_qty.unwrap_or_default());
        let drift_pct = (broker - local).abs().checked_div(broker.abs())?.checked_mul(Decimal::ONE_HUNDRED)?;
        (drift_pct > config.recon_max_qty_drift_pct).then(|| {
            format!(
                "{}: local {local}, broker {broker}: {}% drift (at most {}%)",
                d.subject,
                drift_pct.round_dp(2).normalize(),
                config.recon_max_qty_drift_pct
            )
        })
    })
}

/// The inferred fill that moves the local position to the broker's.
fn adjustment(state: &EngineState, d: &Discrepancy, input_seq: u64, n: usize) -> Option<Event> {
    let symbol = d.subject.strip_prefix("position:")?;
    let delta = d.broker_qty.unwrap_or_default().checked_sub(d.local_qty.unwrap_or_default())?;
    Some(
        FillInferred {
            fill_id: format!("recon-{input_seq}-{n}").into(),
            strategy: RECONCILIATION_STRATEGY.into(),
            symbol: symbol.into(),
            side: if delta.is_sign_positive() { Side::Buy } else { Side::Sell },
            qty: delta.abs(),
            price: state.last_price.get(symbol).copied().unwrap_or_default(),
            reason: format!("{:?} {}", d.kind, d.subject),
        }
        .into(),
    )
}
