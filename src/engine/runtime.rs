//! The engine on tokio: one task owns the [`Core`] (the single writer); inputs arrive through
//! a bounded channel; each decision's records go to the group-commit journal writer as one
//! atomic entry. Broker commands are handed out only by [`Pending::durable`], after the
//! journal acknowledged every record of the decision: nothing leaves the engine before the
//! events that caused it are durable.
//!
//! The engine task does not wait for durability before taking the next input (decisions are
//! pipelined into the group commit); only what leaves the engine waits.

use thiserror::Error;
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use super::core::{Core, EngineError};
use crate::broker::BrokerCommand;
use crate::event::Event;
use crate::journal::{Ack, Appender, Committed, JournalError};

/// Why a run stopped.
#[derive(Debug, Error)]
pub enum RunError {
    #[error(transparent)]
    Engine(#[from] EngineError),
    #[error("the journal failed: {0}")]
    Journal(#[from] JournalError),
    #[error("the engine task has stopped")]
    Stopped,
    #[error("the journal acknowledged seq {acknowledged} for a decision ending at seq {expected}")]
    SeqMismatch { expected: u64, acknowledged: u64 },
}

/// Capacity of the engine's input channel.
pub const INPUT_CHANNEL: usize = 4096;

struct Request {
    ts_ns: i64,
    input: Event,
    reply: oneshot::Sender<Result<Pending, RunError>>,
}

/// A handle to the running engine.
pub struct Engine {
    tx: mpsc::Sender<Request>,
    task: JoinHandle<Core>,
}

/// A decided input whose records are on their way to durability.
pub struct Pending {
    pub first_seq: u64,
    pub last_seq: u64,
    /// The next timer deadline after this decision.
    pub next_deadline: Option<i64>,
    commands: Vec<BrokerCommand>,
    ack: Ack,
}

/// A decision made durable: its commands may now be sent.
#[derive(Debug)]
pub struct Durable {
    pub commands: Vec<BrokerCommand>,
    pub last: Committed,
}

impl Pending {
    /// Whether the decision calls for anything to be sent.
    pub fn has_commands(&self) -> bool {
        !self.commands.is_empty()
    }

    /// Waits until every record of the decision is durable, then hands out its commands.
    pub async fn durable(self) -> Result<Durable, RunError> {
        let last = self.ack.durable().await?;
        if last.seq != self.last_seq {
            return Err(RunError::SeqMismatch { expected: self.last_seq, acknowledged: last.seq });
        }
        Ok(Durable { commands: self.commands, last })
    }
}

impl Engine {
    /// Starts the engine task on the current tokio runtime.
    pub fn spawn(core: Core, appender: Appender<Event>) -> Engine {
        let (tx, rx) = mpsc::channel(INPUT_CHANNEL);
        let task = tokio::spawn(run(core, appender, rx));
        Engine { tx, task }
    }

    /// Sends `input` at engine time `ts_ns` and waits for the engine's decision (not for
    /// durability: await [`Pending::durable`] for that).
    pub async fn submit(&self, ts_ns: i64, input: Event) -> Result<Pending, RunError> {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request { ts_ns, input, reply }).await.map_err(|_| RunError::Stopped)?;
        rx.await.map_err(|_| RunError::Stopped)?
    }

    /// A sender other tasks can submit through (e.g. a broker's report pump).
    pub fn inputs(&self) -> EngineInputs {
        EngineInputs { tx: self.tx.clone() }
    }

    /// Stops taking inputs once every [`EngineInputs`] is dropped and returns the core.
    pub async fn shutdown(self) -> Result<Core, RunError> {
        drop(self.tx);
        self.task.await.map_err(|_| RunError::Stopped)
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
        let (reply, rx) = oneshot::channel();
        self.tx.send(Request { ts_ns, input, reply }).await.map_err(|_| RunError::Stopped)?;
        rx.await.map_err(|_| RunError::Stopped)?
    }
}

async fn run(mut core: Core, appender: Appender<Event>, mut rx: mpsc::Receiver<Request>) -> Core {
    while let Some(Request { ts_ns, input, reply }) = rx.recv().await {
        let result = decide(&mut core, &appender, ts_ns, input).await;
        let _ = reply.send(result);
    }
    core
}

async fn decide(core: &mut Core, appender: &Appender<Event>, ts_ns: i64, input: Event) -> Result<Pending, RunError> {
    let decision = core.handle(ts_ns, input)?;
    let (first_seq, last_seq) = (decision.first_seq(), decision.last_seq());
    let ack = match appender.submit_records(decision.records).await {
        Ok(ack) => ack,
        Err(error) => {
            core.stop(format!("the journal refused seqs {first_seq}..={last_seq}: {error}"));
            return Err(error.into());
        }
    };
    Ok(Pending { first_seq, last_seq, next_deadline: core.next_deadline(), commands: decision.commands, ack })
}
