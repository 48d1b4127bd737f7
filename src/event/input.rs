//! The input family: everything that comes *into* the engine. Each input is journaled before
//! the engine decides anything about it, so a journal holds all that is needed to run the
//! engine again (`blotter verify --rerun`). The engine's decisions follow their input.

use compact_str::CompactString;
use std::collections::BTreeMap;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};

/// A run of the engine began. The first input of every journal the engine writes: it carries
/// the configuration every later decision depends on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionStarted {
    /// The scenario's name (or the operator's name for the session).
    pub name: String,
    /// BLAKE3 of the scenario file and its market data, hex.
    pub scenario_digest: String,
    pub config: EngineConfig,
    /// The venue's settings, for audit only (the engine does not read them).
    pub venue_settings: BTreeMap<String, String>,
}

/// What the engine's decisions depend on besides its inputs. Journaled in [`SessionStarted`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineConfig {
    /// The venue orders are routed to (named on fills and reports).
    pub venue: String,
    /// Seconds after midnight UTC at which a DAY order's day ends.
    pub day_end_utc_s: u32,
    /// How long after its time in force ran out (DAY, GTD) the engine waits for the venue's
    /// expiry before cancelling the order itself, in ms.
    pub stale_grace_ms: u64,
    /// Pre-trade limit: the largest quantity one order may have.
    #[serde(with = "crate::domain::decimal::option")]
    pub max_order_qty: Option<Decimal>,
    /// Reconciliation: the most positions that may be missing on either side before it fails.
    pub recon_max_missing_positions: u32,
    /// Reconciliation: the largest quantity drift per position, in percent, before it fails.
    #[serde(with = "crate::domain::decimal")]
    pub recon_max_qty_drift_pct: Decimal,
}

impl Default for EngineConfig {
    fn default() -> Self {
        EngineConfig {
            venue: "PAPER".to_owned(),
            day_end_utc_s: 0,
            stale_grace_ms: 5_000,
            max_order_qty: None,
            recon_max_missing_positions: 3,
            recon_max_qty_drift_pct: Decimal::new(5, 0),
        }
    }
}

/// A client asks for a new order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubmitOrder {
    pub client_order_id: ClientOrderId,
    pub strategy: CompactString,
    pub symbol: CompactString,
    pub side: Side,
    pub order_type: OrderType,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    #[serde(with = "crate::domain::decimal::option")]
    pub limit_price: Option<Decimal>,
    pub time_in_force: TimeInForce,
    pub ttl_s: Option<u64>,
    /// The price the client decided at, if it says.
    #[serde(with = "crate::domain::decimal::option")]
    pub decision_price: Option<Decimal>,
}

/// A client asks to cancel an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelOrder {
    pub client_order_id: ClientOrderId,
}

/// One OHLCV bar. Its time (the bar's end) is `market_ts_ns`; engine time is the envelope's.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketBar {
    pub symbol: CompactString,
    #[serde(with = "crate::domain::decimal")]
    pub open: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub high: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub low: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub close: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub volume: Decimal,
    pub market_ts_ns: i64,
}

/// Top of book.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketQuote {
    pub symbol: CompactString,
    #[serde(with = "crate::domain::decimal")]
    pub bid: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub ask: Decimal,
    pub market_ts_ns: i64,
}

/// One print on the tape.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MarketTrade {
    pub symbol: CompactString,
    #[serde(with = "crate::domain::decimal")]
    pub price: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    pub market_ts_ns: i64,
}

/// Broker report: the order is live at the venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerAccepted {
    pub client_order_id: ClientOrderId,
    pub broker_order_id: BrokerOrderId,
    pub broker_ts_ns: i64,
}

/// Broker report: the venue refused the order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerRejected {
    pub client_order_id: ClientOrderId,
    pub reason: String,
    pub broker_ts_ns: i64,
}

/// Broker report: an execution.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerFilled {
    pub client_order_id: ClientOrderId,
    pub broker_order_id: BrokerOrderId,
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
}

/// The order's execution a broker's fill report records (all but the venue's order id).
impl From<&BrokerFilled> for super::OrderFilled {
    fn from(r: &BrokerFilled) -> Self {
        super::OrderFilled {
            client_order_id: r.client_order_id.clone(),
            fill_id: r.fill_id.clone(),
            qty: r.qty,
            price: r.price,
            fee: r.fee,
            liquidity: r.liquidity,
            venue: r.venue.clone(),
            broker_ts_ns: r.broker_ts_ns,
        }
    }
}

/// Broker report: the order is cancelled (ours, or the venue's own, e.g. an IOC remainder).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerCancelled {
    pub client_order_id: ClientOrderId,
    pub reason: String,
    pub broker_ts_ns: i64,
}

/// Broker report: our cancel was refused (too late, unknown order).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerCancelRejected {
    pub client_order_id: ClientOrderId,
    pub reason: String,
    pub broker_ts_ns: i64,
}

/// Broker report: the order's time in force ran out at the venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerExpired {
    pub client_order_id: ClientOrderId,
    pub broker_ts_ns: i64,
}

/// Engine time passed (expiry deadlines fall due on it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TimerTick {}

/// An operator's instruction.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OperatorCommand {
    pub operator: String,
    pub action: OperatorAction,
    pub reason: String,
}

/// An operator's instruction that reached a running engine from outside its plan (`blotter
/// halt`, `blotter resume` and friends, through the run's control socket), stamped with the
/// engine time it arrived at. Decided exactly as an [`OperatorCommand`]; a variant of its own
/// so a resumed run knows to feed it again at its seq (scenario commands come from the plan).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LiveOperatorCommand {
    pub operator: String,
    pub action: OperatorAction,
    pub reason: String,
}

impl From<&LiveOperatorCommand> for OperatorCommand {
    fn from(live: &LiveOperatorCommand) -> Self {
        OperatorCommand { operator: live.operator.clone(), action: live.action, reason: live.reason.clone() }
    }
}

/// What an operator can ask for. Append new actions at the end only (bincode index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OperatorAction {
    /// Deny new orders until resumed; cancels still go through.
    Halt,
    /// Accept new orders again.
    Resume,
    /// Halt, and cancel every working order.
    KillSwitch,
    /// Halt, cancel every working order, and close every open position with market orders.
    KillSwitchFlatten,
    /// Ask the broker for its open orders and positions and reconcile against them.
    Reconcile,
}

/// The run ended: the scenario's inputs are exhausted and nothing more is due. The last
/// input of a finished run (a journal ending in it is complete).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionEnded {
    pub reason: String,
}

/// Broker report: its open orders and net positions, in answer to a reconciliation request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BrokerStateReported {
    pub open_orders: Vec<ReportedOrder>,
    pub positions: Vec<ReportedPosition>,
    pub broker_ts_ns: i64,
}

/// An order open at the broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedOrder {
    pub client_order_id: ClientOrderId,
    pub broker_order_id: BrokerOrderId,
    pub symbol: String,
    pub side: Side,
    #[serde(with = "crate::domain::decimal")]
    pub leaves_qty: Decimal,
}

/// A net position at the broker (buys positive).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReportedPosition {
    pub symbol: String,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
}
