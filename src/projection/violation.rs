//! The typed failure of a projection's `apply`.

use thiserror::Error;

use crate::domain::{ClientOrderId, OrderError};

/// `apply` refused a journaled event or found a broken invariant. Replay cannot continue
/// past it: the engine halts (an integrity event). Never a panic.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invariant violation at seq {seq}: {kind}")]
pub struct InvariantViolation {
    /// The envelope seq of the offending event.
    pub seq: u64,
    pub kind: ViolationKind,
}

#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ViolationKind {
    /// The event is not a valid transition (it should never have been journaled).
    #[error("event refused by the order state machine: {0}")]
    Refused(OrderError),
    /// An order's state broke one of the OMS invariants.
    #[error("order {client_order_id}: {invariant} ({detail})")]
    Broken { client_order_id: ClientOrderId, invariant: &'static str, detail: String },
    /// A projection needed an order the OMS does not have.
    #[error("{projection}: order {client_order_id} is not in the OMS")]
    MissingOrder { projection: &'static str, client_order_id: ClientOrderId },
    /// Decimal overflow, or a position whose stored state cannot be continued.
    #[error("arithmetic failure in {what}")]
    Arithmetic { what: &'static str },
}

impl InvariantViolation {
    pub fn new(seq: u64, kind: ViolationKind) -> Self {
        InvariantViolation { seq, kind }
    }
}
