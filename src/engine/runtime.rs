//! The engine on tokio: one loop owns the [`Core`] (the single writer); inputs arrive through
//! a bounded channel; the decisions of every input taken in one wake-up go to the
//! group-commit journal writer as one atomic entry. Broker commands are handed out only by
//! [`Pending::durable`], once the journal's durable seq covers every record of the decision:
//! nothing leaves the engine before the events that caused it are durable.
//!
//! The loop does not wait for durability before taking the next input (decisions are
//! pipelined into the group commit); only what leaves the engine waits. Each entry's
//! acknowledgement is a callback the journal's flusher thread runs right after the flush
//! ([`publish`]): it publishes the durable seq on a watch channel every pending decision
//! waits on (one wake-up per flush, not one channel per input, and no hop through a task).
//!
//! Where the engine's loop runs ([`Home`]): live, on a thread of its own, so the tasks that
//! feed it and wait on it (clients, broker adapters) never queue it behind their own polls;
//! in a lock-step simulation, as a task on the runtime beside the loop that waits on every
//! decision (a thread of its own would cost two wake-ups an input).

use std::sync::Arc;
use std::time::Instant;

use thiserror::Error;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;
use tracing::warn;

use super::core::{Core, EngineError};
use super::rerun::{Divergence, json};
use super::state::EngineState;
use crate::broker::BrokerCommand;
use crate::event::Event;
use crate::journal::{Appender, Committed, Envelope, JournalError, Records};

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the journal failed: {0}")]
    Journal(#[from] JournalError),
    #[error("the journal failed: {0}")]
    JournalFailed(Arc<str>),
    #[error("the engine task has stopped")]
    Stopped,
    #[error("resuming diverged from the journal at seq {}:\n  expected: {}\n  actual:   {}", .0.seq, .0.expected, .0.actual)]
    Diverged(Divergence),
}

/// Capacity of the engine's input channel.
pub const INPUT_CHANNEL: usize = 4096;
/// Most inputs decided per wake-up (and journaled as one entry). An order input makes about
/// 2.3 records of ~150 bytes, so an entry stays below [`crate::journal::INLINE_BLOCK_BYTES`];
/// with 512, entries reached ~180 KB and each went to a sled blob file.
const MAX_INPUTS_PER_BATCH: usize = 200;

/// Engine time at the edge, for live use: read when an input arrives without a time. The
/// engine never lets it go backwards (it takes the later of the clock and engine time).
pub type Clock = Box<dyn FnMut() -> i64 + Send>;

/// The durable seq, or why the journal failed (then for good).
type Progress = Result<DurableSeq, Arc<str>>;

/// The last seq the journal made durable and when that was published (right after the
/// flush returned, on the flusher thread). The instant is for measuring only: it never
/// reaches a decision.
#[derive(Debug, Clone, Copy)]
struct DurableSeq {
    seq: u64,
    at: Instant,
}

impl DurableSeq {
    /// Waits until every record up to `seq` is durable, or the journal failed.
    async fn reached(progress: &mut watch::Receiver<Progress>, seq: u64) -> Result<DurableSeq, RunError> {
        let reached = progress
            .wait_for(|progress| progress.as_ref().map_or(true, |durable| durable.seq >= seq))
            .await
            .map_err(|_| RunError::Stopped)?;
        match &*reached {
            Ok(durable) => Ok(*durable),
            Err(reason) => Err(RunError::JournalFailed(Arc::clone(reason))),
        }
    }
}

// Nearly every request is an input: boxing it to shrink the rare snapshot request would cost
// an allocation per input.
#[allow(clippy::large_enum_variant)]
enum Request {
    Input {
        /// `None`: stamp with the engine's clock on arrival.
        ts_ns: Option<i64>,
        input: Event,
        reply: oneshot::Sender<Result<Pending, RunError>>,
    },
    /// The engine's state and the seq it reflects, once every earlier input is decided.
    Snapshot(oneshot::Sender<(u64, EngineState)>),
    /// A cheap summary for operators, once every earlier input is decided.
    Status(oneshot::Sender<EngineStatus>),
}

/// Where the engine stands, for an operator (cheap: no state is cloned).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EngineStatus {
    /// The last seq decided (durable or on its way).
    pub last_seq: u64,
    /// Engine time of the last record applied.
    pub clock_ns: i64,
    /// Why new orders are denied, while halted.
    pub halted: Option<String>,
}

/// Where the engine's loop runs (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Home {
    /// A task on the current tokio runtime.
    Task,
    /// A thread of its own (`blotter-engine`) driving the loop; the runtime's other tasks
    /// run on its workers.
    Thread,
}

/// The running loop, which hands back the core when it ends.
enum Running {
    Task(JoinHandle<Core>),
    Thread(oneshot::Receiver<Core>),
}

impl Running {
    fn start(home: Home, core: Core, shell: Shell, rx: mpsc::Receiver<Request>) -> Running {
        if home == Home::Task {
            return Running::Task(tokio::spawn(run(core, shell, rx)));
        }
        // The loop's channels and the journal's acknowledgements need no I/O driver, so a
        // thread outside the runtime can drive it, within the runtime's context. Its parts
        // go over once it runs, so a failed spawn leaves them here for a task instead.
        let runtime = tokio::runtime::Handle::current();
        let (done, ended) = oneshot::channel();
        let (parts, arrive) = std::sync::mpsc::sync_channel::<(Core, Shell, mpsc::Receiver<Request>)>(1);
        let thread = std::thread::Builder::new().name("blotter-engine".into()).spawn(move || {
            if let Ok((core, shell, rx)) = arrive.recv() {
                let _ = done.send(runtime.block_on(run(core, shell, rx)));
            }
        });
        let sent = match thread {
            Ok(_) => parts.send((core, shell, rx)).map_err(|returned| ("it ended at once".to_owned(), returned.0)),
            Err(error) => Err((error.to_string(), (core, shell, rx))),
        };
        match sent {
            Ok(()) => Running::Thread(ended),
            Err((why, (core, shell, rx))) => {
                warn!(why, "no thread of its own for the engine; it runs as a task");
                Running::Task(tokio::spawn(run(core, shell, rx)))
            }
        }
    }

    async fn join(self) -> Result<Core, RunError> {
        match self {
            Running::Task(task) => task.await.map_err(|_| RunError::Stopped),
            Running::Thread(ended) => ended.await.map_err(|_| RunError::Stopped),
        }
    }
}

/// A handle to the running engine.
pub struct Engine {
    inputs: EngineInputs,
    running: Running,
    durable: watch::Receiver<Progress>,
}

/// A decided input whose records are on their way to durability.
#[derive(Debug)]
pub struct Pending {
    pub first_seq: u64,
    pub last_seq: u64,
    /// The next timer deadline after this decision.
    pub next_deadline: Option<i64>,
    /// When the engine took the input from its queue (the batch's wake-up): for measuring
    /// the wait for the engine apart from the wait for durability; never reaches a decision.
    pub taken_at: Instant,
    commands: Vec<BrokerCommand>,
    durable: watch::Receiver<Progress>,
}

/// A decision made durable: its commands may now be sent.
#[derive(Debug)]
pub struct Durable {
    pub commands: Vec<BrokerCommand>,
    pub last_seq: u64,
    /// When the durability covering the decision was published: at once after the flush that
    /// made it durable, or after a later one if the waiter looked only then (so never early).
    /// For measuring input-to-durable apart from the waiter's own delay; never in a decision.
    pub durable_at: Instant,
}

impl Pending {
    /// Whether the decision calls for anything to be sent.
    pub fn has_commands(&self) -> bool {
        !self.commands.is_empty()
    }

    /// Waits until every record of the decision is durable, then hands out its commands.
    pub async fn durable(mut self) -> Result<Durable, RunError> {
        let last_seq = self.last_seq;
        let durable = DurableSeq::reached(&mut self.durable, last_seq).await?;
        Ok(Durable { commands: std::mem::take(&mut self.commands), last_seq, durable_at: durable.at })
    }
}

/// A decision to come.
pub struct Reply(oneshot::Receiver<Result<Pending, RunError>>);

impl Reply {
    pub async fn decision(self) -> Result<Pending, RunError> {
        self.0.await.map_err(|_| RunError::Stopped)?
    }
}

impl Engine {
    /// Starts the engine as a task on the current tokio runtime, for a simulation that waits
    /// on each decision. Inputs carry their own engine time; one without a time gets the
    /// engine's current time.
    pub fn spawn(core: Core, appender: Appender<Event>) -> Engine {
        let head = core.last_seq();
        Engine::start(Home::Task, core, appender, Box::new(|| i64::MIN), CatchUp { expected: None, head })
    }

    /// Starts the engine for live use, on a thread of its own (within the current runtime's
    /// context), stamping inputs that carry no time with `clock`.
    pub fn spawn_with_clock(core: Core, appender: Appender<Event>, clock: Clock) -> Engine {
        let head = core.last_seq();
        Engine::start(Home::Thread, core, appender, clock, CatchUp { expected: None, head })
    }

    /// Resumes a journal whose records up to `head` are already durable: `core` starts from
    /// an earlier point (`core.last_seq() <= head`), and until its decisions pass `head` each
    /// is compared with `expected` (the journal's records after `core.last_seq()`) instead of
    /// being written. A difference stops the engine with [`RunError::Diverged`]. Their
    /// broker commands are handed out again, so a simulated venue is rebuilt exactly.
    pub fn resume(core: Core, appender: Appender<Event>, expected: Records<Event>, head: u64) -> Engine {
        assert!(core.last_seq() <= head, "the core is ahead of the journal it resumes");
        let catch_up = CatchUp { expected: Some(expected), head };
        Engine::start(Home::Task, core, appender, Box::new(|| i64::MIN), catch_up)
    }

    fn start(home: Home, core: Core, appender: Appender<Event>, clock: Clock, catch_up: CatchUp) -> Engine {
        let (tx, rx) = mpsc::channel(INPUT_CHANNEL);
        let (progress_tx, progress_rx) = watch::channel(Ok(DurableSeq { seq: catch_up.head, at: Instant::now() }));
        let progress_tx = Arc::new(progress_tx);
        let durable = progress_rx.clone();
        let shell = Shell { appender, clock, progress: progress_tx, durable: progress_rx, catch_up };
        let running = Running::start(home, core, shell, rx);
        Engine { inputs: EngineInputs { tx }, running, durable }
    }

    /// Sends `input` at engine time `ts_ns` and waits for the engine's decision (not for
    /// durability: await [`Pending::durable`] for that).
    pub async fn submit(&self, ts_ns: i64, input: Event) -> Result<Pending, RunError> {
        self.inputs.submit(ts_ns, input).await
    }

    /// Submits `input` stamped with the engine's clock when it arrives (live use).
    pub async fn submit_now(&self, input: Event) -> Result<Pending, RunError> {
        self.inputs.submit_now(input).await
    }

    /// The engine's state as of its last decision, with that decision's last seq (the
    /// simulation checkpoints it between inputs).
    pub async fn snapshot(&self) -> Result<(u64, EngineState), RunError> {
        let (reply, rx) = oneshot::channel();
        self.inputs.tx.send(Request::Snapshot(reply)).await.map_err(|_| RunError::Stopped)?;
        rx.await.map_err(|_| RunError::Stopped)
    }

    /// Where the engine stands as of its last decision.
    pub async fn status(&self) -> Result<EngineStatus, RunError> {
        let (reply, rx) = oneshot::channel();
        self.inputs.tx.send(Request::Status(reply)).await.map_err(|_| RunError::Stopped)?;
        rx.await.map_err(|_| RunError::Stopped)
    }

    /// Waits until every record up to `seq` is durable.
    pub async fn durable_to(&self, seq: u64) -> Result<(), RunError> {
        DurableSeq::reached(&mut self.durable.clone(), seq).await.map(|_| ())
    }

    /// A cloneable sender other tasks can submit through (e.g. a broker's report pump).
    pub fn inputs(&self) -> EngineInputs {
        self.inputs.clone()
    }

    /// Stops taking inputs once every [`EngineInputs`] is dropped and returns the core.
    pub async fn shutdown(self) -> Result<Core, RunError> {
        drop(self.inputs);
        self.running.join().await
    }
}

/// A cloneable way to submit inputs to the engine.
#[derive(Clone)]
pub struct EngineInputs {
    tx: mpsc::Sender<Request>,
}

impl EngineInputs {
    /// As [`Engine::submit`].
    pub async fn submit(&self, ts_ns: i64, input: Event) -> Result<Pending, RunError> {
        self.enqueue(Some(ts_ns), input).await?.decision().await
    }

    /// As [`Engine::submit_now`].
    pub async fn submit_now(&self, input: Event) -> Result<Pending, RunError> {
        self.enqueue(None, input).await?.decision().await
    }

    /// Queues `input` (waiting only for channel space) without waiting for the decision:
    /// lets one producer keep many inputs in flight.
    pub async fn enqueue(&self, ts_ns: Option<i64>, input: Event) -> Result<Reply, RunError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request::Input { ts_ns, input, reply }).await.map_err(|_| RunError::Stopped)?;
        Ok(Reply(rx))
    }
}

/// What the engine task owns besides the core.
struct Shell {
    appender: Appender<Event>,
    clock: Clock,
    progress: Arc<watch::Sender<Progress>>,
    durable: watch::Receiver<Progress>,
    catch_up: CatchUp,
}

/// The journal a resumed engine must reproduce before writing: records up to `head`.
struct CatchUp {
    expected: Option<Records<Event>>,
    head: u64,
}

impl CatchUp {
    /// Whether `decision` lies in the journal already (then it was compared, not written).
    fn replays(&mut self, records: &[(Envelope, Event)]) -> Result<bool, RunError> {
        let Some(expected) = self.expected.as_mut() else { return Ok(false) };
        let Some((first, _)) = records.first() else { return Ok(false) };
        if first.seq > self.head {
            self.expected = None;
            return Ok(false);
        }
        for (envelope, event) in records {
            let diverged = |expected: String| {
                RunError::Diverged(Divergence { seq: envelope.seq, expected, actual: json(envelope, event) })
            };
            match expected.next().transpose()? {
                Some(record) if record.envelope == *envelope && record.payload == *event => {}
                Some(record) => return Err(diverged(json(&record.envelope, &record.payload))),
                None => return Err(diverged("end of journal".to_owned())),
            }
        }
        Ok(true)
    }
}

async fn run(mut core: Core, mut shell: Shell, mut rx: mpsc::Receiver<Request>) -> Core {
    let mut requests = Vec::with_capacity(MAX_INPUTS_PER_BATCH);
    while rx.recv_many(&mut requests, MAX_INPUTS_PER_BATCH).await > 0 {
        let taken_at = Instant::now();
        let mut records = Vec::with_capacity(4 * requests.len());
        for request in requests.drain(..) {
            match request {
                Request::Input { ts_ns, input, reply } => {
                    let ts_ns = ts_ns.unwrap_or_else(|| (shell.clock)().max(core.state().clock_ns));
                    let _ = reply.send(shell.decide(&mut core, ts_ns, input, taken_at, &mut records));
                }
                Request::Snapshot(reply) => {
                    let _ = reply.send((core.last_seq(), core.state().clone()));
                }
                Request::Status(reply) => {
                    let state = core.state();
                    let (clock_ns, halted) = (state.clock_ns, state.halted.clone());
                    let _ = reply.send(EngineStatus { last_seq: core.last_seq(), clock_ns, halted });
                }
            }
        }
        if !records.is_empty() {
            shell.journal(&mut core, records).await;
        }
    }
    core
}

impl Shell {
    /// Decides one input; its records join `records` (to journal) unless they are already
    /// in the journal being resumed.
    fn decide(
        &mut self,
        core: &mut Core,
        ts_ns: i64,
        input: Event,
        taken_at: Instant,
        records: &mut Vec<(Envelope, Event)>,
    ) -> Result<Pending, RunError> {
        let decision = core.handle(ts_ns, input)?;
        let (first_seq, last_seq) = (decision.first_seq(), decision.last_seq());
        let (decided, commands) = (decision.records, decision.commands);
        match self.catch_up.replays(&decided) {
            Ok(true) => {}
            Ok(false) => records.extend(decided),
            Err(error) => {
                core.stop(error.to_string());
                return Err(error);
            }
        }
        let next_deadline = core.next_deadline();
        Ok(Pending { first_seq, last_seq, next_deadline, taken_at, commands, durable: self.durable.clone() })
    }

    /// Queues one batch's records as one atomic journal entry; a refusal stops the core (its
    /// state is ahead of the journal) and fails every pending decision.
    async fn journal(&mut self, core: &mut Core, records: Vec<(Envelope, Event)>) {
        let last_seq = records.last().map_or(0, |(env, _)| env.seq);
        let progress = Arc::clone(&self.progress);
        let queued = self.appender.submit_records_then(records, move |outcome| publish(&progress, last_seq, outcome));
        if let Err(reason) = queued.await.map_err(|error| error.to_string()) {
            core.stop(format!("the journal refused records up to seq {last_seq}: {reason}"));
            fail(&self.progress, reason);
        }
    }
}

/// Publishes the outcome of the journal entry ending at `last_seq`; called on the journal's
/// flusher thread, in entry order, as soon as the flush covering it returns.
fn publish(progress: &watch::Sender<Progress>, last_seq: u64, outcome: Result<Committed, JournalError>) {
    match outcome {
        Ok(committed) if committed.seq == last_seq => {
            let at = Instant::now();
            progress.send_if_modified(|p| match p {
                Ok(durable) => {
                    *durable = DurableSeq { seq: last_seq, at };
                    true
                }
                Err(_) => false,
            });
        }
        Ok(committed) => {
            fail(progress, format!("acknowledged seq {} for an entry ending at {last_seq}", committed.seq))
        }
        Err(error) => fail(progress, error.to_string()),
    }
}

fn fail(progress: &watch::Sender<Progress>, reason: String) {
    progress.send_if_modified(|p| {
        if p.is_err() {
            return false;
        }
        *p = Err(reason.into());
        true
    });
}

#[cfg(test)]
mod tests;
