//! FIX 4.4-style execution reports: one per state-changing order event, in journal order.
//!
//! | event | ExecType (150) | OrdStatus (39) after the event | text |
//! |---|---|---|---|
//! | OrderCreated | PendingNew | PendingNew | |
//! | OrderSubmitted | PendingNew | PendingNew | `submitted` |
//! | OrderAccepted | New | New | |
//! | OrderDenied | Rejected | Rejected | `denied: <reason>` (FIX has no "denied") |
//! | OrderRejected | Rejected | Rejected | reason |
//! | OrderFilled | Trade | from the order; a late fill reports Canceled/Expired | `late fill`, `overfill` |
//! | CancelRequested | PendingCancel | PendingCancel | |
//! | OrderCancelled | Canceled | Canceled | |
//! | CancelRejected | OrderStatus (I) | the restored status | `cancel rejected: <reason>` (FIX would send an OrderCancelReject) |
//! | OrderExpired | Expired | Expired | |
//! | ReportIgnored | no report | | |
//!
//! Our `Pending` and `Submitted` both map to OrdStatus PendingNew and `Denied` to Rejected.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{InvariantViolation, Oms, OrderView, ViolationKind};
use crate::domain::{BrokerOrderId, ClientOrderId, OrderStatus, Side};
use crate::event::Event;
use crate::journal::Envelope;

/// FIX tag 150.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum ExecType {
    New,
    Trade,
    Canceled,
    Rejected,
    Expired,
    PendingCancel,
    PendingNew,
    OrderStatus,
}

impl ExecType {
    /// The FIX 4.4 wire value.
    pub const fn fix_value(self) -> char {
        match self {
            ExecType::New => '0',
            ExecType::Canceled => '4',
            ExecType::PendingCancel => '6',
            ExecType::Rejected => '8',
            ExecType::PendingNew => 'A',
            ExecType::Expired => 'C',
            ExecType::Trade => 'F',
            ExecType::OrderStatus => 'I',
        }
    }
}

/// FIX tag 39.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrdStatus {
    New,
    PartiallyFilled,
    Filled,
    Canceled,
    PendingCancel,
    Rejected,
    PendingNew,
    Expired,
}

impl OrdStatus {
    /// The FIX 4.4 wire value.
    pub const fn fix_value(self) -> char {
        match self {
            OrdStatus::New => '0',
            OrdStatus::PartiallyFilled => '1',
            OrdStatus::Filled => '2',
            OrdStatus::Canceled => '4',
            OrdStatus::PendingCancel => '6',
            OrdStatus::Rejected => '8',
            OrdStatus::PendingNew => 'A',
            OrdStatus::Expired => 'C',
        }
    }
}

impl From<OrderStatus> for OrdStatus {
    fn from(status: OrderStatus) -> Self {
        match status {
            OrderStatus::Pending | OrderStatus::Submitted => OrdStatus::PendingNew,
            OrderStatus::Accepted => OrdStatus::New,
            OrderStatus::PartiallyFilled => OrdStatus::PartiallyFilled,
            OrderStatus::PendingCancel => OrdStatus::PendingCancel,
            OrderStatus::Filled => OrdStatus::Filled,
            OrderStatus::Cancelled => OrdStatus::Canceled,
            OrderStatus::Rejected | OrderStatus::Denied => OrdStatus::Rejected,
            OrderStatus::Expired => OrdStatus::Expired,
        }
    }
}

/// One execution report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReport {
    pub seq: u64,
    pub ts_ns: i64,
    /// ExecID (17): the event id of the journal record, so deterministic.
    pub exec_id: Uuid,
    pub client_order_id: ClientOrderId,
    pub broker_order_id: Option<BrokerOrderId>,
    pub symbol: String,
    pub side: Side,
    pub order_qty: Decimal,
    pub exec_type: ExecType,
    pub ord_status: OrdStatus,
    pub cum_qty: Decimal,
    pub leaves_qty: Decimal,
    /// `None` before the first fill.
    pub avg_px: Option<Decimal>,
    /// Set on `Trade` reports only.
    pub last_qty: Option<Decimal>,
    pub last_px: Option<Decimal>,
    pub text: Option<String>,
}

impl ExecutionReport {
    /// The report for `event`, given the order as it is *after* the event; `None` for events
    /// that produce no report.
    pub fn for_event(env: &Envelope, event: &Event, order: &OrderView) -> Option<ExecutionReport> {
        let (exec_type, text, last) = match event {
            Event::OrderCreated(_) => (ExecType::PendingNew, None, None),
            Event::OrderSubmitted(_) => (ExecType::PendingNew, Some("submitted".to_owned()), None),
            Event::OrderAccepted(_) => (ExecType::New, None, None),
            Event::OrderDenied(e) => (ExecType::Rejected, Some(format!("denied: {}", e.reason)), None),
            Event::OrderRejected(e) => (ExecType::Rejected, Some(e.reason.clone()), None),
            Event::OrderFilled(f) => {
                let late = order.fills.last().is_some_and(|last| last.fill_id == f.fill_id && last.late);
                let flags: Vec<&str> = [(late, "late fill"), (order.overfill, "overfill")]
                    .into_iter()
                    .filter_map(|(on, flag)| on.then_some(flag))
                    .collect();
                let text = (!flags.is_empty()).then(|| flags.join("; "));
                (ExecType::Trade, text, Some((f.qty, f.price)))
            }
            Event::CancelRequested(_) => (ExecType::PendingCancel, None, None),
            Event::OrderCancelled(_) => (ExecType::Canceled, None, None),
            Event::CancelRejected(e) => (ExecType::OrderStatus, Some(format!("cancel rejected: {}", e.reason)), None),
            Event::OrderExpired(_) => (ExecType::Expired, None, None),
            _ => return None,
        };
        Some(ExecutionReport {
            seq: env.seq,
            ts_ns: env.ts_ns,
            exec_id: env.event_id,
            client_order_id: order.client_order_id().clone(),
            broker_order_id: order.broker_order_id.clone(),
            symbol: order.created.symbol.to_string(),
            side: order.created.side,
            order_qty: order.created.qty,
            exec_type,
            ord_status: order.status.into(),
            cum_qty: order.cum_qty,
            leaves_qty: order.leaves_qty,
            avg_px: order.avg_px(),
            last_qty: last.map(|(qty, _)| qty),
            last_px: last.map(|(_, px)| px),
            text,
        })
    }
}

/// Every execution report, in journal order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExecutionReports {
    reports: Vec<ExecutionReport>,
}

impl ExecutionReports {
    pub fn new() -> Self {
        ExecutionReports::default()
    }

    pub fn all(&self) -> &[ExecutionReport] {
        &self.reports
    }

    pub fn for_order<'a>(&'a self, client_order_id: &'a ClientOrderId) -> impl Iterator<Item = &'a ExecutionReport> {
        self.reports.iter().filter(move |r| &r.client_order_id == client_order_id)
    }

    /// Folds one event; `oms` must already include it (apply the OMS first). On error nothing
    /// changes.
    pub fn apply(&mut self, env: &Envelope, event: &Event, oms: &Oms) -> Result<(), InvariantViolation> {
        if !event.is_order_lifecycle() {
            return Ok(());
        }
        let order = event.client_order_id().and_then(|id| oms.get(id));
        let Some(order) = order else {
            let client_order_id = event.client_order_id().cloned().unwrap_or_else(|| "".into());
            let kind = ViolationKind::MissingOrder { projection: "reports", client_order_id };
            return Err(InvariantViolation::new(env.seq, kind));
        };
        self.commit(ExecutionReport::for_event(env, event, &order));
        Ok(())
    }

    pub(super) fn commit(&mut self, report: Option<ExecutionReport>) {
        self.reports.extend(report);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fix_wire_values_are_distinct_and_standard() {
        let exec = [
            ExecType::New,
            ExecType::Trade,
            ExecType::Canceled,
            ExecType::Rejected,
            ExecType::Expired,
            ExecType::PendingCancel,
            ExecType::PendingNew,
            ExecType::OrderStatus,
        ]
        .map(ExecType::fix_value);
        assert_eq!(exec, ['0', 'F', '4', '8', 'C', '6', 'A', 'I']);
        let ord = [
            OrdStatus::New,
            OrdStatus::PartiallyFilled,
            OrdStatus::Filled,
            OrdStatus::Canceled,
            OrdStatus::PendingCancel,
            OrdStatus::Rejected,
            OrdStatus::PendingNew,
            OrdStatus::Expired,
        ]
        .map(OrdStatus::fix_value);
        assert_eq!(ord, ['0', '1', '2', '4', '6', '8', 'A', 'C']);
    }

    #[test]
    fn every_order_status_maps_to_its_fix_ord_status() {
        let mapped = OrderStatus::ALL.map(OrdStatus::from);
        use OrdStatus::*;
        assert_eq!(
            mapped,
            [
                PendingNew,
                PendingNew,
                New,
                PartiallyFilled,
                PendingCancel,
                Filled,
                Canceled,
                Rejected,
                Expired,
                Rejected
            ]
        );
    }
}
