//! The reconciliation view: every reconciliation run with its discrepancies and outcome.

use serde::{Deserialize, Serialize};

use crate::event::{Discrepancy, Event, ReconciliationOutcome};
use crate::journal::Stamp;

/// One reconciliation run, as journaled by `ReconciliationCompleted`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationRun {
    pub seq: u64,
    pub ts_ns: i64,
    pub discrepancies: Vec<Discrepancy>,
    pub outcome: ReconciliationOutcome,
}

/// Every run, in journal order.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reconciliations {
    runs: Vec<ReconciliationRun>,
}

impl Reconciliations {
    pub fn runs(&self) -> &[ReconciliationRun] {
        &self.runs
    }

    /// Folds one event; only `ReconciliationCompleted` changes anything. Never fails.
    pub fn apply(&mut self, at: Stamp, event: &Event) {
        if let Event::ReconciliationCompleted(done) = event {
            self.runs.push(ReconciliationRun {
                seq: at.seq,
                ts_ns: at.ts_ns,
                discrepancies: done.discrepancies.clone(),
                outcome: done.outcome,
            });
        }
    }
}
