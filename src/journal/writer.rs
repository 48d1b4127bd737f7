//! The async group-commit writer.
//!
//! Producers send drafts through a bounded tokio channel (backpressure, never unbounded
//! memory) and await an acknowledgement. Two threads do the work, pipelined:
//!
//! ```text
//! producers ──(bounded)──► encoder thread ──(bounded, FLUSH_QUEUE)──► flusher thread ──► acks
//!                          take ≤ max_batch,                           write each block + head
//!                          assign seqs, ids, hashes,                   (atomic), flush, witness,
//!                          seal blocks (CPU only)                      complete acks, publish head
//! ```
//!
//! While one flush runs, what arrives is encoded and queued. Only the flusher touches sled,
//! so writes and flushes never contend. The encoder cuts what it took into blocks of at most
//! [`INLINE_BLOCK_BYTES`] between requests (larger ones sled would write to unsynced blob
//! files); blocks queued behind a flush are joined into as few as `max_batch` and that bound
//! allow and made durable by one flush.
//! Nothing is acknowledged before the flush covering it returns. If a write or flush fails,
//! every waiting producer gets the error and the journal refuses every later append
//! (fail-stop): nothing is dropped silently, nothing unflushed is acknowledged.

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot, watch};

use super::envelope::{Draft, Envelope, Payload};
use super::error::{JournalError, Result};
use super::flush_times::{FlushSummary, FlushTimes};
use super::head::Head;
use super::log::{Batch, Committed, Durability, INLINE_BLOCK_BYTES, Journal, Prepared};

/// Encoded batches waiting for the flusher (each at most `max_batch` records). The encoder
/// takes what producers queued as soon as it arrives and encodes it while a flush runs; the
/// flusher then joins everything queued into as few blocks as the limits allow (one sled
/// value per `max_batch` records), so a record that arrives during flush k is durable after
/// flush k+1. (A rendezvous instead, queue 0, holds a batch formed before flush k until k
/// ends, so records arriving during flush k waited for flush k+2; a queue without joining
/// wrote many tiny blocks per flush.)
const FLUSH_QUEUE: usize = 4;

#[derive(Debug, Clone)]
pub struct WriterConfig {
    /// Most records in one block.
    pub max_batch: usize,
    /// How long to wait for a batch to fill once one record is queued. Zero: take what is
    /// queued now (the flush in progress is the batching window).
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
    entry: Entry<P>,
    ack: AckSender,
}

/// What one request appends: a draft (the journal assigns its envelope), or records whose
/// envelopes the producer stamped (the engine), appended all or nothing in one block.
enum Entry<P> {
    Draft(Draft<P>),
    Records(Vec<(Envelope, P)>),
}

/// Where a request's acknowledgement goes, once its flush returned (or it failed).
enum AckSender {
    /// A channel the producer awaits ([`Ack`]).
    Channel(oneshot::Sender<Result<Committed>>),
    /// A callback run on the flusher thread ([`Appender::submit_records_then`]).
    Call(AckCall),
}

type Callback = Box<dyn FnOnce(Result<Committed>) + Send>;

/// A callback that is called exactly once: with the outcome, or, if the writer goes away
/// with the request (its thread died), with [`JournalError::WriterStopped`].
struct AckCall(Option<Callback>);

impl AckSender {
    fn send(self, result: Result<Committed>) {
        match self {
            AckSender::Channel(channel) => {
                let _ = channel.send(result);
            }
            AckSender::Call(mut call) => {
                if let Some(callback) = call.0.take() {
                    callback(result);
                }
            }
        }
    }
}

impl Drop for AckCall {
    fn drop(&mut self) {
        if let Some(callback) = self.0.take() {
            callback(Err(JournalError::WriterStopped));
        }
    }
}

/// What the encoder took, encoded, on its way to the flusher: its blocks (none when every
/// draft failed to encode) and every request's outcome, sent once the blocks are durable.
struct Pending {
    /// Consecutive blocks, in seq order.
    prepared: Vec<Prepared>,
    acks: Vec<(AckSender, Result<Committed>)>,
}

/// Owns the writer threads. Drop every [`Appender`], then [`JournalWriter::close`] to get
/// the journal back.
pub struct JournalWriter<P> {
    tx: mpsc::Sender<Request<P>>,
    head: watch::Receiver<Head>,
    done: oneshot::Receiver<Journal>,
    flush_times: Arc<FlushTimes>,
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
        self.request(Entry::Draft(draft)).await
    }

    /// Queues records with stamped envelopes (the next seqs, the journal's event ids) to be
    /// written together in one block, all or nothing; the acknowledgement names the last.
    pub async fn submit_records(&self, records: Vec<(Envelope, P)>) -> Result<Ack> {
        self.request(Entry::Records(records)).await
    }

    /// As [`Appender::submit_records`], but the acknowledgement is `then(outcome)`, called on
    /// the writer's flusher thread as soon as the flush covering the records returns (or the
    /// records are refused): a producer publishing its own durability saves a hop through a
    /// task. `then` must be quick and must not block. If the records cannot be queued (the
    /// writer stopped), `then` is not called and the error is returned.
    pub async fn submit_records_then(
        &self,
        records: Vec<(Envelope, P)>,
        then: impl FnOnce(Result<Committed>) + Send + 'static,
    ) -> Result<()> {
        let ack = AckSender::Call(AckCall(Some(Box::new(then))));
        let request = Request { entry: Entry::Records(records), ack };
        self.tx.send(request).await.map_err(|refused| {
            // Not queued: the caller hears it from the error, not from the callback.
            if let AckSender::Call(mut call) = refused.0.ack {
                call.0 = None;
            }
            JournalError::WriterStopped
        })
    }

    async fn request(&self, entry: Entry<P>) -> Result<Ack> {
        let (ack, rx) = oneshot::channel();
        let request = Request { entry, ack: AckSender::Channel(ack) };
        self.tx.send(request).await.map_err(|_| JournalError::WriterStopped)?;
        Ok(Ack(rx))
    }

    /// Appends `draft` and waits until it is durable.
    pub async fn append(&self, draft: Draft<P>) -> Result<Committed> {
        self.submit(draft).await?.durable().await
    }
}

impl<P: Payload> JournalWriter<P> {
    /// Starts the encoder and flusher threads. Appenders may be used from any tokio runtime.
    pub fn spawn(journal: Journal, config: WriterConfig) -> JournalWriter<P> {
        assert!(config.max_batch > 0 && config.channel_capacity >= config.max_batch);
        let (tx, rx) = mpsc::channel(config.channel_capacity);
        let (head_tx, head) = watch::channel(journal.head());
        let (done_tx, done) = oneshot::channel();
        let flush_times = Arc::new(FlushTimes::default());
        let times = Arc::clone(&flush_times);
        std::thread::Builder::new()
            .name("blotter-journal-encode".into())
            .spawn(move || {
                let journal = encode_loop(journal, rx, head_tx, times, &config);
                let _ = done_tx.send(journal);
            })
            .expect("spawning the journal encoder thread");
        JournalWriter { tx, head, done, flush_times }
    }

    pub fn appender(&self) -> Appender<P> {
        Appender { tx: self.tx.clone() }
    }

    /// The durable head, published after every flush.
    pub fn head(&self) -> watch::Receiver<Head> {
        self.head.clone()
    }

    /// How long this writer's flushes (block write, sled flush, witness) have taken so far.
    pub fn flush_times(&self) -> FlushSummary {
        self.flush_times.summary()
    }

    /// Stops taking appends once every appender is dropped, makes what is queued durable
    /// and returns the journal.
    pub async fn close(self) -> Result<Journal> {
        drop(self.tx);
        self.done.await.map_err(|_| JournalError::Storage("the journal writer thread died".into()))
    }
}

fn encode_loop<P: Payload>(
    mut journal: Journal,
    mut rx: mpsc::Receiver<Request<P>>,
    head_tx: watch::Sender<Head>,
    times: Arc<FlushTimes>,
    config: &WriterConfig,
) -> Journal {
    let (flush_tx, flush_rx) = std_mpsc::sync_channel::<Pending>(FLUSH_QUEUE);
    let durability = Arc::clone(&journal.durability);
    let flusher = std::thread::Builder::new()
        .name("blotter-journal-flush".into())
        .spawn({
            let max_batch = config.max_batch;
            move || flush_loop(&durability, flush_rx, &head_tx, &times, max_batch)
        })
        .expect("spawning the journal flusher thread");
    let mut requests = Vec::with_capacity(config.max_batch);
    while rx.blocking_recv_many(&mut requests, config.max_batch) > 0 {
        linger(&mut rx, &mut requests, config);
        let pending = prepare(&mut journal, std::mem::take(&mut requests));
        if flush_tx.send(pending).is_err() {
            break;
        }
        requests.reserve(config.max_batch);
    }
    drop(flush_tx);
    let _ = flusher.join();
    journal
}

/// Waits up to `max_wait` for the batch to fill.
fn linger<P>(rx: &mut mpsc::Receiver<Request<P>>, requests: &mut Vec<Request<P>>, config: &WriterConfig) {
    if config.max_wait.is_zero() {
        return;
    }
    let deadline = Instant::now() + config.max_wait;
    while requests.len() < config.max_batch && Instant::now() < deadline {
        match rx.try_recv() {
            Ok(request) => requests.push(request),
            Err(mpsc::error::TryRecvError::Empty) => std::thread::sleep(Duration::from_micros(20)),
            Err(mpsc::error::TryRecvError::Disconnected) => return,
        }
    }
}

/// Encodes what the encoder took into blocks of at most [`INLINE_BLOCK_BYTES`], cut between
/// requests (an entry larger than that is one block of its own): sled 0.34 writes a larger
/// value to a blob file of its own, created inside the insert and never synced. A draft that
/// fails to encode is answered with its own error and takes no seq; a journal that has
/// failed answers every draft with its failure.
fn prepare<P: Payload>(journal: &mut Journal, requests: Vec<Request<P>>) -> Pending {
    let mut blocks = Vec::new();
    let mut batch = journal.batch();
    let mut acks = Vec::with_capacity(requests.len());
    let mut sealed = Ok(());
    for Request { entry, ack } in requests {
        let mark = batch.mark();
        let result = match &entry {
            Entry::Draft(draft) => batch.push(draft),
            Entry::Records(records) => batch.push_records(records),
        };
        acks.push((ack, result));
        if batch.byte_len() > INLINE_BLOCK_BYTES && sealed.is_ok() {
            // Full: seal what came before this entry, or the entry too if it came alone (then
            // the next batch starts from the head the sealed block ends at).
            let rest = batch.split_off(mark);
            sealed = seal(journal, batch, &mut blocks);
            batch = rest.unwrap_or_else(|| journal.batch());
        }
    }
    sealed = sealed.and_then(|()| seal(journal, batch, &mut blocks));
    if let Err(error) = sealed {
        fail_all(&mut acks, &error);
        blocks.clear();
    }
    Pending { prepared: blocks, acks }
}

/// Seals `batch` into the next block of `blocks`, advancing the journal's head past it.
fn seal(journal: &mut Journal, batch: Batch, blocks: &mut Vec<Prepared>) -> Result<()> {
    blocks.extend(journal.prepare(batch)?);
    Ok(())
}

fn flush_loop(
    durability: &Durability,
    rx: std_mpsc::Receiver<Pending>,
    head_tx: &watch::Sender<Head>,
    times: &FlushTimes,
    max_batch: usize,
) {
    while let Ok(first) = rx.recv() {
        let mut group = vec![first];
        group.extend(rx.try_iter());
        let blocks = join(group.iter_mut().flat_map(|p| std::mem::take(&mut p.prepared)), max_batch);
        let durable = if blocks.is_empty() {
            Ok(())
        } else {
            let start = Instant::now();
            let written = durability.write(&blocks);
            times.record(start.elapsed());
            written
        };
        if let (Ok(()), Some(last)) = (&durable, blocks.last()) {
            head_tx.send_replace(last.head);
        }
        for mut pending in group {
            if let Err(error) = &durable {
                fail_all(&mut pending.acks, error);
            }
            for (ack, result) in pending.acks {
                ack.send(result);
            }
        }
    }
}

/// Joins consecutive prepared batches into blocks of at most `max_batch` records and
/// [`INLINE_BLOCK_BYTES`]; a batch is never split, so a multi-record entry stays in one block
/// (whatever its size, up to [`crate::journal::MAX_BLOCK_BYTES`]).
pub(super) fn join(batches: impl Iterator<Item = Prepared>, max_batch: usize) -> Vec<Prepared> {
    let mut blocks: Vec<Prepared> = Vec::new();
    for batch in batches {
        match blocks.last_mut() {
            Some(open)
                if open.len() + batch.len() <= max_batch
                    && open.bytes.len() + batch.bytes.len() <= INLINE_BLOCK_BYTES =>
            {
                open.join(batch)
            }
            _ => blocks.push(batch),
        }
    }
    blocks
}

fn fail_all(acks: &mut [(AckSender, Result<Committed>)], error: &JournalError) {
    let reason = error.to_string();
    for (_, result) in acks.iter_mut() {
        if result.is_ok() {
            *result = Err(JournalError::Failed(reason.clone()));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::Opaque;

    fn recorder() -> (Callback, std::sync::mpsc::Receiver<Result<Committed>>) {
        let (tx, rx) = std::sync::mpsc::channel();
        (Box::new(move |outcome| tx.send(outcome).unwrap()), rx)
    }

    #[test]
    fn a_callback_dropped_unanswered_hears_that_the_writer_stopped_and_one_answered_only_once() {
        let (callback, heard) = recorder();
        drop(AckCall(Some(callback)));
        assert!(matches!(heard.try_recv(), Ok(Err(JournalError::WriterStopped))));
        let (callback, heard) = recorder();
        AckSender::Call(AckCall(Some(callback))).send(Err(JournalError::Invalid("no".into())));
        assert!(matches!(heard.try_recv(), Ok(Err(JournalError::Invalid(_)))));
        assert!(heard.try_recv().is_err(), "not again on drop");
    }

    #[test]
    fn what_the_encoder_took_is_cut_into_blocks_sled_keeps_inline_between_requests() {
        let dir = tempfile::tempdir().unwrap();
        let genesis = crate::journal::Genesis::new(None);
        let mut journal = Journal::create(dir.path(), &genesis, &crate::journal::OpenOptions::default()).unwrap();
        // Payload sizes in KiB: the first is over the limit alone; the fourth would take the
        // block of the second and third past it; the sixth must not join the fifth.
        let sizes = [200, 50, 50, 50, 200, 10];
        let drafts: Vec<_> = sizes.iter().map(|kib| Draft::new(0, "s", Opaque(vec![7; kib * 1024]))).collect();
        let (requests, outcomes): (Vec<_>, Vec<_>) = drafts
            .iter()
            .map(|draft| {
                let (tx, rx) = oneshot::channel();
                (Request { entry: Entry::Draft(draft.clone()), ack: AckSender::Channel(tx) }, rx)
            })
            .unzip();

        let pending = prepare(&mut journal, requests);
        let counts: Vec<_> = pending.prepared.iter().map(|b| (b.first_seq, b.len())).collect();
        assert_eq!(counts, [(1, 1), (2, 2), (4, 1), (5, 1), (6, 1)]);
        for block in &pending.prepared {
            assert!(block.bytes.len() <= INLINE_BLOCK_BYTES || block.len() == 1, "{:?}", block.bytes.len());
        }
        journal.durability.write(&pending.prepared).unwrap();
        for (seq, (ack, result)) in (1..).zip(pending.acks) {
            assert_eq!(result.as_ref().unwrap().seq, seq);
            ack.send(result);
        }
        for (seq, mut outcome) in (1..).zip(outcomes) {
            assert_eq!(outcome.try_recv().unwrap().unwrap().seq, seq);
        }
        assert_eq!(journal.verify().unwrap().events, 6);

        // Cut or not, the chain is the one the same drafts make in one block.
        let other = tempfile::tempdir().unwrap();
        let mut whole = Journal::create(other.path(), &genesis, &crate::journal::OpenOptions::default()).unwrap();
        whole.append(&drafts).unwrap();
        assert_eq!(journal.head(), whole.head());
    }

    #[tokio::test]
    async fn records_that_cannot_be_queued_are_an_error_and_no_call() {
        let (tx, rx) = mpsc::channel(1);
        drop(rx);
        let appender = Appender::<Opaque> { tx };
        let (tx, heard) = std::sync::mpsc::channel();
        let refused = appender.submit_records_then(Vec::new(), move |outcome| tx.send(outcome).unwrap()).await;
        assert!(matches!(refused, Err(JournalError::WriterStopped)));
        assert!(heard.try_recv().is_err(), "not queued, so not called");
    }
}
