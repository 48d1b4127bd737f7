//! The scenario file as written: TOML tables, checked for shape only (unknown fields are
//! errors). Values are checked when converted (`config`, `inputs`).

use serde::Deserialize;
use toml::Spanned;

use super::number::Number;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ScenarioFile {
    pub name: String,
    pub seed: u64,
    pub market: Spanned<MarketTable>,
    #[serde(default)]
    pub broker: Option<Spanned<BrokerTable>>,
    #[serde(default)]
    pub engine: Option<Spanned<EngineTable>>,
    #[serde(default)]
    pub orders: Vec<Spanned<OrderEntry>>,
    #[serde(default)]
    pub cancels: Vec<Spanned<CancelEntry>>,
    #[serde(default)]
    pub operator: Vec<Spanned<OperatorEntry>>,
    #[serde(default)]
    pub venue_drift: Vec<Spanned<DriftEntry>>,
}

/// Drift injected into the paper venue's books (reconciliation tests).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DriftEntry {
    pub at: String,
    pub kind: DriftKind,
    /// `phantom_order` and `forget_order`: the client order id.
    pub id: Option<String>,
    /// `shift_position`: the quantity (signed); `phantom_order`: its quantity.
    pub qty: Option<Number>,
    /// `phantom_order`: its side.
    pub side: Option<SideName>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum DriftKind {
    ShiftPosition,
    PhantomOrder,
    ForgetOrder,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct MarketTable {
    pub bars: String,
    pub symbol: String,
    pub day_end_utc: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct BrokerTable {
    pub latency_ms: Option<u64>,
    pub slippage_bps: Option<Number>,
    pub commission_bps: Option<Number>,
    pub limit_fill_probability: Option<Number>,
    pub max_bar_participation: Option<Number>,
    pub venue: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EngineTable {
    pub stale_grace_ms: Option<u64>,
    pub max_order_qty: Option<Number>,
    pub recon_max_missing_positions: Option<u32>,
    pub recon_max_qty_drift_pct: Option<Number>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OrderEntry {
    pub at: String,
    pub id: String,
    pub strategy: String,
    pub side: SideName,
    #[serde(rename = "type")]
    pub order_type: TypeName,
    pub qty: Number,
    pub limit_price: Option<Number>,
    pub tif: Option<TifName>,
    pub expire_at: Option<String>,
    pub ttl_s: Option<u64>,
    pub decision_price: Option<Number>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CancelEntry {
    pub at: String,
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct OperatorEntry {
    pub at: String,
    pub action: ActionName,
    pub reason: String,
    pub operator: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum SideName {
    Buy,
    Sell,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum TypeName {
    Market,
    Limit,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(super) enum TifName {
    Day,
    Gtc,
    Ioc,
    Fok,
    Gtd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(super) enum ActionName {
    Halt,
    Resume,
    KillSwitch,
    KillSwitchFlatten,
    Reconcile,
}
