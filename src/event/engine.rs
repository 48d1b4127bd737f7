//! The engine family: decisions about inputs that are not about one order's lifecycle.

use serde::{Deserialize, Serialize};

use crate::domain::ClientOrderId;

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
