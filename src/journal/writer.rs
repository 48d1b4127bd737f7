//! The async group-commit writer.
//!
//! Producers send drafts through a bounded channel (backpressure, never unbounded memory).
//! One writer task takes whatever is queued, up to `max_batch`, optionally lingering up to
//! `max_wait` for more, encodes it into one block, commits (atomic sled batch + flush, on
//! the blocking pool) and only then completes each producer's acknowledgement with its seq
//! and hash. While one batch is being flushed the next one queues, which is what makes
//! group commit fast. If a write fails every waiting producer gets the error and every later
//! append is refused: nothing is dropped, nothing is acknowledged that is not durable.

use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};
use tokio::task::JoinHandle;

use super::envelope::{Draft, Payload};
use super::error::{JournalError, Result};
use super::head::Head;
use super::log::{Committed, Journal};

#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Most records in one block.
    pub max_batch: usize,
    /// How long to wait for a batch to fill once one record is queued. Zero: commit what is
    /// queued now (the previous flush is the batching window).
    pub max_wait: Duration,
    /// Capacity of the producer channel.
    pub channel_capacity: usize,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig { max_batch: 1000, max_wait: Duration::ZERO, channel_capacity: 8192 }
    }
}

struct Request<P> {
    draft: Draft<P>,
    ack: oneshot::Sender<Result<Committed>>,
}

/// Owns the writer task. Drop all [`Appender`]s and call [`JournalWriter::close`] to get the
/// journal back.
pub struct JournalWriter<P> {
    tx: mpsc::Sender<Request<P>>,
    head: watch::Receiver<Head>,
    task: JoinHandle<Journal>,
}

/// A handle producers append through. Cheap to clone.
pub struct Appender<P> {
    tx: mpsc::Sender<Request<P>>,
}

impl<P> Clone for Appender<P> {
    fn clone(&self) -> Self {
        Appender { tx: self.tx.clone() }
    }
}

/// An acknowledgement to come: resolves once the record is durable (or failed).
pub struct Ack(oneshot::Receiver<Result<Committed>>);

impl Ack {
    pub async fn durable(self) -> Result<Committed> {
        self.0.await.map_err(|_| JournalError::WriterStopped)?
    }
}

impl<P: Payload> Appender<P> {
    /// Queues `draft` (waiting for channel space) and returns its acknowledgement to await.
    pub async fn submit(&self, draft: Draft<P>) -> Result<Ack> {
        let (ack, rx) = oneshot::channel();
        self.tx.send(Request { draft, ack }).await.map_err(|_| JournalError::WriterStopped)?;
        Ok(Ack(rx))
    }

    /// Appends `draft` and waits until it is durable.
    pub async fn append(&self, draft: Draft<P>) -> Result<Committed> {
        self.submit(draft).await?.durable().await
    }
}

impl<P: Payload> JournalWriter<P> {
    /// Starts the writer task on the current tokio runtime.
    pub fn spawn(journal: Journal, config: WriterConfig) -> JournalWriter<P> {
        assert!(config.max_batch > 0 && config.channel_capacity >= config.max_batch);
        let (tx, rx) = mpsc::channel(config.channel_capacity);
        let (head_tx, head) = watch::channel(journal.head());
        let task = tokio::spawn(run(journal, rx, head_tx, config));
        JournalWriter { tx, head, task }
    }

    pub fn appender(&self) -> Appender<P> {
        Appender { tx: self.tx.clone() }
    }

    /// The durable head, updated after every commit.
    pub fn head(&self) -> watch::Receiver<Head> {
        self.head.clone()
    }

    /// Stops taking appends once every appender is dropped, commits what is queued and
    /// returns the journal.
    pub async fn close(self) -> Result<Journal> {
        drop(self.tx);
        self.task.await.map_err(|e| JournalError::Storage(format!("writer task failed: {e}")))
    }
}

async fn run<P: Payload>(
    mut journal: Journal,
    mut rx: mpsc::Receiver<Request<P>>,
    head_tx: watch::Sender<Head>,
    config: WriterConfig,
) -> Journal {
    let mut requests = Vec::with_capacity(config.max_batch);
    loop {
        if rx.recv_many(&mut requests, config.max_batch).await == 0 {
            return journal;
        }
        if !config.max_wait.is_zero() && requests.len() < config.max_batch {
            let deadline = tokio::time::Instant::now() + config.max_wait;
            while requests.len() < config.max_batch {
                let room = config.max_batch - requests.len();
                match tokio::time::timeout_at(deadline, rx.recv_many(&mut requests, room)).await {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let batch = std::mem::take(&mut requests);
        let (back, acks) = tokio::task::spawn_blocking(move || commit(journal, batch))
            .await
            .expect("commit does not panic: sled calls are guarded");
        journal = back;
        if let Some(Ok(last)) = acks.iter().rev().find(|(_, r)| r.is_ok()).map(|(_, r)| r.as_ref()) {
            head_tx.send_replace(Head { seq: last.seq, hash: last.hash });
        }
        for (ack, result) in acks {
            let _ = ack.send(result);
        }
        requests = Vec::with_capacity(config.max_batch);
    }
}

type Acks = Vec<(oneshot::Sender<Result<Committed>>, Result<Committed>)>;

/// Encodes and commits one batch. Drafts that fail to encode are answered with their own
/// error and take no seq; a failed commit answers every draft with the failure.
fn commit<P: Payload>(mut journal: Journal, requests: Vec<Request<P>>) -> (Journal, Acks) {
    let mut batch = journal.batch();
    let mut results: Acks = Vec::with_capacity(requests.len());
    for Request { draft, ack } in requests {
        let result = batch.push(&draft);
        results.push((ack, result));
    }
    if let Err(error) = journal.commit(batch) {
        let reason = error.to_string();
        for (_, result) in results.iter_mut() {
            if result.is_ok() {
                *result = Err(JournalError::Failed(reason.clone()));
            }
        }
    }
    (journal, results)
}
