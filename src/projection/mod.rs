//! Projections: deterministic folds over `(&Envelope, &Event)`, identical live and in replay.
//! Ordered containers only, so serialized output is byte-for-byte reproducible.
//!
//! - [`Oms`]: every order, its status, quantities and fills; also the decision-step validator.
//! - [`Positions`]: per (strategy, symbol), average cost, realized PnL and fees.
//! - [`ExecutionReports`]: FIX 4.4-style execution reports.
//! - [`Views`]: all three, applied atomically.

mod oms;
mod positions;
mod reports;
mod violation;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use crate::event::Event;
use crate::journal::Envelope;

pub use oms::{Fill, Oms, OrderView, Transition};
pub use positions::{Position, PositionKey, Positions};
pub use reports::{ExecType, ExecutionReport, ExecutionReports, OrdStatus};
pub use violation::{InvariantViolation, ViolationKind};

/// The order projections together, as snapshotted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Views {
    pub oms: Oms,
    pub positions: Positions,
    pub reports: ExecutionReports,
}

impl Views {
    pub fn new() -> Self {
        Views::default()
    }

    /// Folds one journaled event into all three views, atomically: every view is computed
    /// first, and nothing changes unless all succeed.
    pub fn apply(&mut self, env: &Envelope, event: &Event) -> Result<(), InvariantViolation> {
        let order = self.oms.prepare(env, event)?;
        // Positions read the order's identity, which the event does not change.
        let position = self.positions.prepare(env, event, &self.oms)?;
        let report = order.as_ref().and_then(|order| ExecutionReport::for_event(env, event, order));
        self.oms.commit(order);
        if let Some(position) = position {
            self.positions.commit(position);
        }
        self.reports.commit(report);
        Ok(())
    }
}
