//! The engine family: decisions about inputs that are not about one order's lifecycle.

use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::domain::{ClientOrderId, FillId, Side};

/// An input the engine could not act on (a duplicate order id, a cancel of an unknown or
/// finished order). Kept for audit; changes no state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CommandRejected {
    /// The input's type name, e.g. `CancelOrder`.
    pub command: String,
    pub client_order_id: Option<ClientOrderId>,
    pub reason: String,
}

/// New orders are denied from here on; cancels go through.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineHalted {
    pub reason: String,
}

/// New orders are accepted again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineResumed {
    pub reason: String,
}

/// The engine found a state it cannot trust (an overfill, a fill for an order it does not
/// know, a decision its own views refuse). It halts: new orders are denied until an operator
/// resumes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InvariantViolated {
    /// Which invariant, e.g. `overfill`.
    pub invariant: String,
    pub client_order_id: Option<ClientOrderId>,
    pub detail: String,
}

/// The engine asked the broker for its state (a reconciliation run starts).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationRequested {
    pub reason: String,
}

/// A reconciliation run compared local and broker state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationCompleted {
    pub discrepancies: Vec<Discrepancy>,
    pub outcome: ReconciliationOutcome,
}

/// One difference between local and broker state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Discrepancy {
    pub kind: DiscrepancyKind,
    /// An order (`order:<id>`) or a position (`position:<symbol>`).
    pub subject: String,
    #[serde(with = "crate::domain::decimal::option")]
    pub local_qty: Option<Decimal>,
    #[serde(with = "crate::domain::decimal::option")]
    pub broker_qty: Option<Decimal>,
}

/// Append new kinds at the end only (bincode index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DiscrepancyKind {
    /// The broker has it; we do not.
    MissingLocal,
    /// We have it; the broker does not.
    MissingBroker,
    /// Both have it with different quantities.
    QuantityMismatch,
}

/// Append new outcomes at the end only (bincode index).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ReconciliationOutcome {
    /// No discrepancy.
    InSync,
    /// Within thresholds: positions adjusted to the broker's (`FillInferred`).
    Adjusted,
    /// Beyond thresholds: `ReconciliationFailed` follows and the engine halts.
    Failed,
}

/// An adjustment that makes a local position match the broker's (the broker is the source of
/// truth): a fill inferred by reconciliation, booked to the `reconciliation` strategy.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FillInferred {
    /// `recon-<seq of the broker's report>-<n>`.
    pub fill_id: FillId,
    pub strategy: CompactString,
    pub symbol: CompactString,
    pub side: Side,
    #[serde(with = "crate::domain::decimal")]
    pub qty: Decimal,
    /// The last price seen for the symbol (0 if none).
    #[serde(with = "crate::domain::decimal")]
    pub price: Decimal,
    pub reason: String,
}

/// Reconciliation found drift beyond its thresholds; the engine halts.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationFailed {
    pub reason: String,
}
