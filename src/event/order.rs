//! The order-lifecycle event family. One struct per event; each is wrapped by a variant of
//! [`crate::event::Event`] of the same name.

use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};

/// A new order, as the decision step created it (not yet sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCreated {
    pub client_order_id: ClientOrderId,
    pub strategy: CompactString,
    pub symbol: CompactString,
    pub side: Side,
    pub order_type: OrderType,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    /// Required for a limit order, absent for a market order.
    #[serde(with = "crate::domain::decimal::option")]
    pub limit_price: Option<Decimal>,
    pub time_in_force: TimeInForce,
    /// Time to live in seconds, if the strategy set one.
    pub ttl_s: Option<u64>,
    /// The price when the decision to trade was made (implementation-shortfall benchmark).
    #[serde(with = "crate::domain::decimal::option")]
    pub decision_price: Option<Decimal>,
    /// The price when the order reached the market.
    #[serde(with = "crate::domain::decimal::option")]
    pub arrival_price: Option<Decimal>,
    /// The parent execution (algo) this order is a child of.
    pub execution_id: Option<String>,
    /// The slice of that execution.
    pub slice_id: Option<u32>,
}

/// Refused by pre-trade risk before it was sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderDenied {
    pub client_order_id: ClientOrderId,
    pub reason: String,
}

/// Sent to the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSubmitted {
    pub client_order_id: ClientOrderId,
}

/// Acknowledged by the broker, which named its own id for the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderAccepted {
    pub client_order_id: ClientOrderId,
    pub broker_order_id: BrokerOrderId,
}

/// Refused by the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderRejected {
    pub client_order_id: ClientOrderId,
    pub reason: String,
}

/// One execution. Whether it is partial or complete follows from the order's cumulative quantity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderFilled {
    pub client_order_id: ClientOrderId,
    pub fill_id: FillId,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub price: Decimal,
    /// Fees paid (negative for a rebate), in the quote currency.
    #[serde(with = "crate::domain::decimal")]
    pub fee: Decimal,
    pub liquidity: LiquiditySide,
    pub venue: CompactString,
    /// The broker's timestamp of the execution (ns since the Unix epoch); informational.
    pub broker_ts_ns: i64,
}

/// A cancel was sent to the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequested {
    pub client_order_id: ClientOrderId,
}

/// The order is cancelled (confirmed by the broker, or locally if it was never sent).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderCancelled {
    pub client_order_id: ClientOrderId,
}

/// The broker refused our cancel; the order works on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRejected {
    pub client_order_id: ClientOrderId,
    pub reason: String,
}

/// The order's time in force ran out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderExpired {
    pub client_order_id: ClientOrderId,
}

/// A broker report that changed nothing (a duplicate, or about an unknown order), kept for audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportIgnored {
    pub client_order_id: Option<ClientOrderId>,
    pub broker_order_id: Option<BrokerOrderId>,
    pub reason: String,
    /// The report as received, rendered as text.
    pub report: String,
}
