//! The scenario runner: runs a plan (a session, market bars and timed commands) through the
//! engine and a simulated venue into a new journal, and summarizes the outcome.
//!
//! - `sim`: the discrete-event loop in engine time.
//! - `summary`: what a run prints.

mod scenario;
mod sim;
mod summary;

use std::time::{Duration, Instant};

use crate::broker::{SimulatedVenue, Timed};
use crate::engine::{Core, Engine, EngineState, RunError};
use crate::event::{Event, MarketBar, SessionStarted};
use crate::journal::{Head, Journal, JournalError, JournalWriter, WriterConfig};

pub use scenario::{genesis, plan, run_scenario};
pub use sim::{SimError, SimStats, simulate};
pub use summary::RunSummary;

/// Everything one run feeds the engine.
pub struct RunPlan<B> {
    /// The first input, at `start_ns`.
    pub session: SessionStarted,
    pub start_ns: i64,
    /// Nothing the venue or the timers schedule after this is run (bars and commands always are).
    pub end_ns: i64,
    pub bars: B,
    /// Client and operator commands, sorted by time.
    pub commands: Vec<Timed<Event>>,
}

/// A finished run: the journal (closed writer), the engine's final state and figures.
pub struct RunOutcome {
    pub journal: Journal,
    pub state: EngineState,
    pub stats: SimStats,
    pub head: Head,
    /// Wall-clock time of the run (reporting only; never reaches the journal).
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RunnerError {
    #[error(transparent)]
    Sim(#[from] SimError),
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Run(#[from] RunError),
}

/// Runs `plan` against `venue` into `journal` (a new, empty journal), on the current tokio
/// runtime. `on_bar` reports progress (bars fed so far).
pub async fn run<V, B, E>(
    journal: Journal,
    plan: RunPlan<B>,
    venue: &mut V,
    on_bar: impl FnMut(u64),
) -> Result<RunOutcome, RunnerError>
where
    V: SimulatedVenue,
    B: Iterator<Item = Result<MarketBar, E>>,
    E: std::error::Error + Send + Sync + 'static,
{
    let started = Instant::now();
    let core = Core::resume(journal.genesis_hash(), journal.head().seq, EngineState::new());
    let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
    let engine = Engine::spawn(core, writer.appender());
    let result = async {
        engine.submit(plan.start_ns, plan.session.into()).await?.durable().await?;
        simulate(&engine, venue, plan.bars, plan.commands, plan.end_ns, on_bar).await
    }
    .await;
    let core = engine.shutdown().await?;
    let journal = writer.close().await?;
    let stats = result?;
    let head = journal.head();
    Ok(RunOutcome { journal, state: core.into_state(), stats, head, elapsed: started.elapsed() })
}
