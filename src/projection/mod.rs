//! Projections: deterministic folds over `(Stamp, &Event)` (a record's seq and engine time,
//! and its event), identical live and in replay.
//! Ordered containers only, so serialized output is byte-for-byte reproducible.
//!
//! - [`Oms`]: every order, its status, quantities and fills; also the decision-step validator.
//! - [`Positions`]: per (strategy, symbol), average cost, realized PnL and fees.
//! - [`ExecutionReports`]: FIX 4.4-style execution reports.
//! - [`Views`]: the OMS and positions, applied atomically (reports are derived per event).

mod oms;
pub mod order_table;
mod positions;
mod reconciliation;
mod reports;
mod violation;

#[cfg(test)]
mod tests;

/// A bare envelope for unit tests of the projections.
#[cfg(test)]
pub(crate) fn test_envelope(seq: u64, event_id: uuid::Uuid, ts_ns: i64) -> crate::journal::Envelope {
    crate::journal::Envelope {
        seq,
        event_id,
        ts_ns,
        stream: Default::default(),
        correlation_id: None,
        causation_id: None,
        schema_version: 1,
    }
}

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::journal::Stamp;

pub use oms::{Fill, Oms, OrderIndex, OrderRef, OrderView, Transition};
pub use order_table::OrderTable;
pub use positions::{Position, PositionKey, Positions};
pub use reconciliation::{ReconciliationRun, Reconciliations};
pub use reports::{ExecType, ExecutionReport, ExecutionReports, OrdStatus};
pub use violation::{InvariantViolation, ViolationKind};

/// The order projections that hold state, together, as checkpointed. Execution reports are
/// not state: each is a pure function of an event and the order after it, produced on demand
/// by [`ExecutionReports::apply`] (so memory does not grow with the report history).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Views {
    pub oms: Oms,
    pub positions: Positions,
    pub reconciliations: Reconciliations,
}

impl Views {
    pub fn new() -> Self {
        Views::default()
    }

    /// Folds one journaled event into every view, atomically: if any view refuses it, nothing
    /// changes.
    pub fn apply(&mut self, at: Stamp, event: &Event) -> Result<(), InvariantViolation> {
        let touched = self.oms.apply_undoable(at, event)?;
        let positions = match (event, touched) {
            // The filled order, as the OMS just found it (no second lookup).
            (Event::OrderFilled(fill), Some(slot)) => self.positions.apply_fill_of(at, fill, self.oms.at(slot)),
            (Event::OrderFilled(fill), None) => self.positions.apply_fill(at, fill, &self.oms),
            (Event::FillInferred(fill), _) => self.positions.apply_inferred(at, fill),
            _ => Ok(()),
        };
        if let Err(violation) = positions {
            self.oms.undo_last();
            return Err(violation);
        }
        self.reconciliations.apply(at, event);
        Ok(())
    }
}
