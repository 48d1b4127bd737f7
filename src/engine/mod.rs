//! The engine: a deterministic core (`decide(state, input) → events`, then `apply`) and the
//! shells that drive it.
//!
//! - [`Core`]: pure and synchronous; stamps records, applies them, returns broker commands.
//! - [`EngineState`]: what decisions depend on, folded from the journal.
//! - `decide`: the decision functions; `expiry`: when orders go stale.

mod core;
mod decide;
pub mod expiry;
pub mod reconcile;
mod rerun;
mod runtime;
mod state;

#[cfg(test)]
mod tests;

pub use core::{Core, Decision, EngineError};
pub use rerun::{Divergence, RerunError, rerun};
pub use runtime::{Clock, Durable, Engine, EngineInputs, EngineStatus, INPUT_CHANNEL, Pending, Reply, RunError};
pub use state::{EngineState, Refused};
