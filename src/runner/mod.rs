//! The scenario runner: runs a plan (a session, market bars and timed commands) through the
//! engine and a simulated venue into a new journal, and summarizes the outcome.
//!
//! - `sim`: the discrete-event loop in engine time.
//! - `summary`: what a run prints.

pub mod control;
pub mod live;
mod scenario;
mod sim;
pub mod snapshot;
mod summary;

use std::time::{Duration, Instant};

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::broker::{SimulatedVenue, Timed};
use crate::engine::{Core, Engine, EngineState, RunError};
use crate::event::{Event, SessionEnded, SessionStarted};
use crate::journal::{Head, Journal, JournalError, JournalWriter, WriterConfig};
use crate::market::BarSource;

pub use scenario::{Opened, ResumeError, genesis, open_or_create, plan, run_scenario};
pub use sim::{SimControl, SimError, SimStats, simulate};
pub use snapshot::Cursor;
use snapshot::Snapshots;
pub use summary::{RefusedInput, RunSummary};

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

/// Test support: once seq `.0` is durable, call `.1` (the crash tests kill the process there).
pub type AfterDurable = Option<(u64, Box<dyn FnOnce() + Send>)>;

/// How a run is carried out (none of it reaches the journal).
#[derive(Default)]
pub struct RunOptions {
    /// Records between two simulation snapshots; 0: none.
    pub snapshot_every: u64,
    /// Stop once the engine has decided this seq, without ending the session (the journal
    /// is then an interrupted run; `blotter bench recovery` uses this).
    pub stop_at_seq: Option<u64>,
    pub after_durable: AfterDurable,
    /// Requests from the control socket (`None`: no operator can reach the run).
    pub control: Option<tokio::sync::mpsc::Receiver<control::ControlCall>>,
    /// Wall time to wait before each input once past the journal being resumed (lets an
    /// operator act on a simulation); never reaches the journal.
    pub pace: Option<Duration>,
}

/// A finished run: the journal (closed writer), the engine's final state and figures.
pub struct RunOutcome {
    /// The journal's head when the run started, if it resumed an interrupted run.
    pub resumed_from: Option<u64>,
    /// The simulation snapshot a resumed run re-simulated from (`None`: from the start).
    pub snapshot_seq: Option<u64>,
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

/// Runs `plan` against `venue` into `journal` on the current tokio runtime, and journals
/// `SessionEnded`, checkpointing the whole simulation every `options.snapshot_every` records (0:
/// never); `options` also may stop it early. A journal that already holds records is an interrupted run of the same plan: the
/// run carries on from the newest simulation snapshot (or from the start), but until it passes
/// the journal's head every decision is compared with the journal instead of written (so the
/// engine, the venue and the timers are rebuilt exactly), then it goes on writing. `on_bar`
/// reports progress (bars fed so far).
pub async fn run<V, B>(
    journal: Journal,
    plan: RunPlan<B>,
    venue: &mut V,
    on_bar: impl FnMut(u64),
    options: RunOptions,
) -> Result<RunOutcome, RunnerError>
where
    V: SimulatedVenue + Serialize + DeserializeOwned,
    B: BarSource,
{
    let started = Instant::now();
    let initial = journal.head();
    let (store, reader) = (journal.snapshots()?, journal.reader());
    let resumed = if initial.seq > 0 { snapshot::load::<V>(&store, initial.seq)? } else { None };
    let snapshot_seq = resumed.as_ref().map(|s| s.seq);
    let (core, cursor) = match resumed {
        Some(snapshot) => {
            *venue = snapshot.venue;
            (Core::resume(journal.genesis_hash(), snapshot.seq, snapshot.engine), Some(snapshot.cursor))
        }
        None => (Core::new(journal.genesis_hash()), None),
    };
    let from = core.last_seq();
    let expected = if initial.seq > from { Some(reader.records::<Event>(from + 1, initial.seq)?) } else { None };
    let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
    let RunOptions { snapshot_every, stop_at_seq, after_durable, control, pace } = options;
    let journaled = live::journaled(&reader, from + 1, initial.seq)?;
    let mut live = live::Live { journaled, calls: control, head: initial.seq, pace };
    if let Some((seq, hook)) = after_durable {
        let mut durable = writer.head();
        tokio::spawn(async move {
            if durable.wait_for(|h| h.seq >= seq).await.is_ok() {
                hook();
            }
        });
    }
    let engine = match expected {
        Some(expected) => Engine::resume(core, writer.appender(), expected, initial.seq),
        None => Engine::spawn(core, writer.appender()),
    };
    let mut snapshots = Snapshots { every: snapshot_every, store, reader, last: from };
    let end_ns = plan.end_ns;
    let result = async {
        let cursor = match cursor {
            Some(cursor) => cursor,
            None => {
                let started = engine.submit(plan.start_ns, plan.session.into()).await?.durable().await?;
                for command in started.commands {
                    venue.send(command, plan.start_ns).await.map_err(SimError::from)?;
                }
                Cursor::default()
            }
        };
        if stop_at_seq.is_some_and(|seq| seq <= from) {
            // Already there (resumed from a snapshot at or past the stop): ready, nothing to feed.
            return Ok(SimStats { last_seq: from, stopped: true, ..cursor.stats });
        }
        let inputs = (plan.bars, plan.commands);
        let control =
            SimControl { end_ns, start: cursor, snapshots: Some(&mut snapshots), stop_at_seq, live: Some(&mut live) };
        let stats = simulate(&engine, venue, inputs, on_bar, control).await?;
        if stats.stopped {
            return Ok(stats);
        }
        let ended = SessionEnded { reason: "the scenario's inputs are exhausted".to_owned() };
        let last = engine.submit(end_ns, ended.into()).await?.durable().await?;
        Ok::<_, SimError>(SimStats { last_seq: last.last_seq, ..stats })
    }
    .await;
    let core = engine.shutdown().await?;
    let journal = writer.close().await?;
    let stats = result?;
    Ok(RunOutcome {
        resumed_from: (initial.seq > 0).then_some(initial.seq),
        snapshot_seq,
        head: journal.head(),
        journal,
        state: core.into_state(),
        stats,
        elapsed: started.elapsed(),
    })
}

/// Runs `run` as a task on the runtime, beside the engine's task, rather than on the thread
/// that blocks on the runtime: an input handed between two tasks of one worker is a queue
/// push, where from the blocking thread each input and each decision woke a thread (the
/// simulation waits for every decision). `bench recovery` re-simulated its tail 3x faster.
pub async fn on_the_runtime<T: Send + 'static>(run: impl Future<Output = T> + Send + 'static) -> T {
    match tokio::spawn(run).await {
        Ok(output) => output,
        Err(error) => match error.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(error) => panic!("the run's task was cancelled: {error}"),
        },
    }
}
