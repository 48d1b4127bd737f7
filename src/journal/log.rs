//! [`Journal`]: the synchronous, single-owner journal. It opens and checks a journal,
//! appends batches as one atomic, flushed sled write each, and hands out readers and the
//! snapshot store. The async group-commit writer (`writer.rs`) drives it from tokio.

use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

use uuid::Uuid;

use super::block::{self, BlockBuilder};
use super::chain::ChainHash;
use super::chunks::ChunkWriter;
use super::codec;
use super::envelope::{self, Draft, Envelope, Payload};
use super::error::{Corruption, CorruptionKind, JournalError, Location, Result};
use super::genesis::Genesis;
use super::head::Head;
use super::layout::Layout;
use super::reader::Reader;
use super::segments::{GENESIS_KEY, Segments};
use super::snapshot::SnapshotStore;
use super::storage::{StoreOptions, guard};
use super::verify::{self, VerifyReport};
use super::witness::{self, Witness};

/// The most bytes one block may hold; larger batches are refused by [`Batch::push`].
pub const MAX_BLOCK_BYTES: usize = 32 << 20;

/// The writer's blocks stay within this, but for an entry larger alone: sled 0.34 writes a
/// log message over a quarter of its segment (128 KiB of the default 512 KiB, less 20 bytes
/// of segment header) to a blob file of its own, created inside the insert, never synced,
/// unlinked later. A block is a `Link::Set` message: 32 bytes of header, the value and its
/// key with their lengths (under 40 bytes); 512 bytes of room cover them.
pub const INLINE_BLOCK_BYTES: usize = (128 << 10) - 512;

/// How much to check when opening.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum OpenCheck {
    /// Every block: framing, CRC, gapless seq, chain, head (`blotter verify`).
    #[default]
    Full,
    /// The last block, the head and the witness. Recovery uses this and then verifies
    /// from its snapshot onward.
    Tail,
}

#[derive(Debug, Clone, Default)]
pub struct OpenOptions {
    pub store: StoreOptions,
    pub check: OpenCheck,
}

impl OpenOptions {
    /// The default store, checking only the tail at open: what a reader uses, since reading
    /// verifies every block it reads.
    pub fn tail_checked() -> OpenOptions {
        OpenOptions { check: OpenCheck::Tail, ..OpenOptions::default() }
    }
}

/// A record the journal has made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Committed {
    pub seq: u64,
    pub event_id: Uuid,
    pub hash: ChainHash,
}

pub struct Journal {
    layout: Layout,
    pub(super) segments: Arc<Segments>,
    genesis: Genesis,
    h0: ChainHash,
    /// The head of everything staged in sled; equal to the durable head whenever no
    /// pipelined writer is running.
    head: Head,
    pub(super) durability: Arc<Durability>,
    _lock: File,
}

/// The step that makes staged blocks durable: sled flush, then the witness. Shared with the
/// writer's flusher thread. Set-once `failed` makes the whole journal fail-stop.
pub(super) struct Durability {
    segments: Arc<Segments>,
    active: Mutex<Active>,
    genesis: Vec<u8>,
    pub(super) witness: Witness,
    failed: OnceLock<String>,
}

/// The segment being written: its chunk writer, the bytes it holds and the last head written.
struct Active {
    chunks: ChunkWriter,
    bytes: u64,
    head: Head,
}

impl Durability {
    pub(super) fn new(
        segments: Arc<Segments>,
        genesis: Vec<u8>,
        head: Head,
        witness: Witness,
    ) -> Result<Arc<Durability>> {
        let (segment, store) = segments.newest()?;
        let bytes = super::layout::bytes_on_disk(segment.path()).unwrap_or(0);
        let active = Mutex::new(Active { chunks: ChunkWriter::new(store), bytes, head });
        Ok(Arc::new(Durability { segments, active, genesis, witness, failed: OnceLock::new() }))
    }

    /// Writes each block with its head in one atomic sled batch, in order, then flushes
    /// once and records the last head in the witness. A segment that has reached its size
    /// is sealed first and a new one started. On failure the journal is failed for good
    /// and nothing of `blocks` may be acknowledged.
    pub(super) fn write(&self, blocks: &[Prepared]) -> Result<()> {
        self.refuse_if_failed()?;
        let mut active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        let result = self
            .roll_if_full(&mut active)
            .and_then(|()| {
                blocks.iter().try_for_each(|prepared| {
                    active.chunks.write(prepared.first_seq, &prepared.bytes, &prepared.head.encode())?;
                    active.bytes += prepared.bytes.len() as u64;
                    active.head = prepared.head;
                    Ok(())
                })
            })
            .and_then(|()| active.chunks.flush())
            .and_then(|_| match blocks.last() {
                Some(last) => self.witness.write(&last.head),
                None => Ok(()),
            });
        if let Err(error) = &result {
            self.fail(error.to_string());
        }
        result
    }

    /// Starts a new segment after the last head written once the active one holds
    /// `segment_bytes` (so opening stays bounded: only the newest segment is read at open).
    fn roll_if_full(&self, active: &mut Active) -> Result<()> {
        let limit = self.segments.options().segment_bytes;
        if active.bytes >= limit / 2 {
            self.segments.prepare_next();
        }
        if active.bytes < limit {
            return Ok(());
        }
        let started = std::time::Instant::now();
        self.segments.roll(&self.genesis, &active.head)?;
        let (_, store) = self.segments.newest()?;
        *active = Active { chunks: ChunkWriter::new(store), bytes: 0, head: active.head };
        let took_us = started.elapsed().as_micros() as u64;
        tracing::debug!(after_seq = active.head.seq, took_us, "sealed the segment, started a new one");
        Ok(())
    }

    /// Flushes the active segment (a clean close).
    fn flush(&self) -> Result<()> {
        let active = self.active.lock().unwrap_or_else(|p| p.into_inner());
        active.chunks.flush()
    }

    pub(super) fn fail(&self, reason: String) {
        let _ = self.failed.set(reason);
    }

    pub(super) fn refuse_if_failed(&self) -> Result<()> {
        match self.failed.get() {
            Some(reason) => Err(JournalError::Failed(reason.clone())),
            None => Ok(()),
        }
    }
}

/// An encoded block ready to be written: seqs, ids and hashes assigned.
pub(super) struct Prepared {
    pub first_seq: u64,
    pub bytes: Vec<u8>,
    pub head: Head,
    pub committed: Vec<Committed>,
}

impl Prepared {
    /// Records in the block.
    pub(super) fn len(&self) -> usize {
        self.committed.len()
    }

    /// Joins `next`, prepared right after this block, into it: one block, one sled value.
    pub(super) fn join(&mut self, next: Prepared) {
        assert_eq!(next.first_seq, self.head.seq + 1, "only consecutive blocks join");
        block::join(&mut self.bytes, &next.bytes);
        self.head = next.head;
        self.committed.extend(next.committed);
    }
}

impl std::fmt::Debug for Journal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Journal").field("dir", &self.layout.dir).field("head", &self.head).finish()
    }
}

impl Journal {
    /// Creates a new journal in `dir` with `genesis`. Refuses if one exists there.
    pub fn create(dir: impl AsRef<Path>, genesis: &Genesis, options: &OpenOptions) -> Result<Journal> {
        let layout = Layout::new(dir.as_ref());
        let lock = layout.lock()?;
        layout.refuse_unsegmented()?;
        if layout.exists() {
            return Err(JournalError::AlreadyExists(layout.dir.clone()));
        }
        let genesis_bytes = genesis.encode()?;
        let h0 = genesis.hash()?;
        let head = Head { seq: 0, hash: h0 };
        let segments = Arc::new(Segments::create(&layout.store(), &options.store, &genesis_bytes, &head)?);
        let (witness, _) = Witness::open(layout.witness())?;
        witness.write_synced(&head)?;
        let durability = Durability::new(segments.clone(), genesis_bytes, head, witness)?;
        Ok(Journal { layout, segments, genesis: genesis.clone(), h0, head, durability, _lock: lock })
    }

    /// Opens an existing journal, checking it as `options.check` says. Corruption is an
    /// error naming the first bad seq; nothing is modified.
    pub fn open(dir: impl AsRef<Path>, options: &OpenOptions) -> Result<Journal> {
        let layout = Layout::new(dir.as_ref());
        // Checked before the lock, whose file would be created: a mistyped `--journal`
        // changes nothing on disk. Checked again under the lock (a journal being removed).
        layout.refuse_unsegmented()?;
        if !layout.exists() {
            return Err(JournalError::NotFound(layout.dir.clone()));
        }
        let lock = layout.lock()?;
        if !layout.exists() {
            return Err(JournalError::NotFound(layout.dir.clone()));
        }
        let segments = Segments::open(&layout.store(), &options.store)?
            .ok_or_else(|| JournalError::NotFound(layout.dir.clone()))?;
        let segments = Arc::new(segments);
        let (newest, store) = segments.newest()?;
        let genesis_bytes = guard(|| store.log.get(GENESIS_KEY))?
            .ok_or_else(|| Corruption::new(Location::Genesis, CorruptionKind::Missing("genesis record")))?;
        let (genesis, h0) = Genesis::decode(&genesis_bytes)?;
        let head_bytes =
            store.head()?.ok_or_else(|| Corruption::new(Location::Head, CorruptionKind::Missing("head record")))?;
        let head = Head::decode(&head_bytes, Location::Head)?;
        if head.seq + 1 < newest.first_seq {
            let what = format!("the segment from seq {} has head seq {}", newest.first_seq, head.seq);
            return Err(Corruption::new(Location::Head, CorruptionKind::HeadMismatch(what)).into());
        }
        let reader = Reader::new(segments.clone(), h0);
        match options.check {
            OpenCheck::Full => {
                verify::scan(&reader, &head)?;
            }
            OpenCheck::Tail => verify::tail(&reader, &head)?,
        }
        let (witness, said) = Witness::open(layout.witness())?;
        witness::check(said, &head, |seq| reader.hash_at(seq))?;
        witness.write(&head)?;
        let durability = Durability::new(segments.clone(), genesis_bytes.to_vec(), head, witness)?;
        Ok(Journal { layout, segments, genesis, h0, head, durability, _lock: lock })
    }

    /// Opens the journal in `dir`, creating it with `genesis` if there is none. An existing
    /// journal must have been created with an equal genesis.
    pub fn open_or_create(dir: impl AsRef<Path>, genesis: &Genesis, options: &OpenOptions) -> Result<Journal> {
        if !Layout::new(dir.as_ref()).exists() {
            return Journal::create(dir, genesis, options);
        }
        let journal = Journal::open(dir, options)?;
        if &journal.genesis != genesis {
            return Err(JournalError::Invalid(format!(
                "the journal at {} was created with a different genesis",
                journal.layout.dir.display()
            )));
        }
        Ok(journal)
    }

    pub fn dir(&self) -> &Path {
        &self.layout.dir
    }

    pub fn genesis(&self) -> &Genesis {
        &self.genesis
    }

    /// `h(0)`, the hash the chain starts from.
    pub fn genesis_hash(&self) -> ChainHash {
        self.h0
    }

    pub fn head(&self) -> Head {
        self.head
    }

    /// A reader over everything committed.
    pub fn reader(&self) -> Reader {
        Reader::new(self.segments.clone(), self.h0)
    }

    /// The projection-checkpoint store of this journal.
    pub fn snapshots(&self) -> Result<SnapshotStore> {
        Ok(SnapshotStore::new(self.layout.snapshots(), self.reader()))
    }

    /// Scans the whole journal: framing, CRC, gapless seq, chain and head.
    pub fn verify(&self) -> Result<VerifyReport> {
        verify::scan(&self.reader(), &self.head)
    }

    /// Starts a batch that continues from the head.
    pub fn batch(&self) -> Batch {
        Batch::new(self.h0, self.head)
    }

    /// Appends `drafts` as one block and returns once they are durable.
    pub fn append<P: Payload>(&mut self, drafts: &[Draft<P>]) -> Result<Vec<Committed>> {
        let mut batch = self.batch();
        for draft in drafts {
            batch.push(draft)?;
        }
        self.commit(batch)
    }

    /// Writes `batch` as one block with the new head in one atomic sled batch, flushes, and
    /// updates the witness. Any failure leaves the journal refusing further appends.
    pub fn commit(&mut self, batch: Batch) -> Result<Vec<Committed>> {
        match self.prepare(batch)? {
            Some(prepared) => {
                self.durability.write(std::slice::from_ref(&prepared))?;
                Ok(prepared.committed)
            }
            None => Ok(Vec::new()),
        }
    }

    /// Seals `batch` into a block and advances the head past it. Only the pipelined writer
    /// calls this without writing the block at once; it must write every prepared block,
    /// in order, through [`Durability::write`].
    pub(super) fn prepare(&mut self, batch: Batch) -> Result<Option<Prepared>> {
        self.durability.refuse_if_failed()?;
        if batch.start != self.head {
            return Err(JournalError::Invalid("batch does not continue from the current head".into()));
        }
        let Some(builder) = batch.builder else { return Ok(None) };
        let first_seq = builder.first_seq();
        let head = Head { seq: first_seq + u64::from(builder.count()) - 1, hash: batch.hash };
        self.head = head;
        Ok(Some(Prepared { first_seq, bytes: builder.finish(), head, committed: batch.committed }))
    }

    /// Whether an earlier write failed (the journal is fail-stopped).
    pub fn failure(&self) -> Option<&str> {
        self.durability.failed.get().map(String::as_str)
    }
}

impl Drop for Journal {
    fn drop(&mut self) {
        if self.failure().is_none() {
            // Best effort: leave the witness synced on a clean close.
            let _ = self.durability.flush().and_then(|()| self.durability.witness.write_synced(&self.head));
            // Settle only when no reader holds the segments (the journal and its durability
            // step are the two holders left): settling closes sealed segments' handles.
            if Arc::strong_count(&self.segments) == 2 {
                self.segments.settle();
            }
        }
    }
}

/// Records being assembled into one block: seqs, event ids and hashes are assigned here, in
/// order, from the head the batch started at.
pub struct Batch {
    h0: ChainHash,
    start: Head,
    hash: ChainHash,
    builder: Option<BlockBuilder>,
    committed: Vec<Committed>,
    scratch: Vec<u8>,
}

impl Batch {
    /// A batch not tied to an open journal: tools and benchmarks use it to produce the exact
    /// bytes a journal would store after `start`.
    pub fn new(h0: ChainHash, start: Head) -> Batch {
        Batch { h0, start, hash: start.hash, builder: None, committed: Vec::new(), scratch: Vec::with_capacity(256) }
    }

    /// Adds a draft. A draft that cannot be encoded (or would overflow the block) is refused
    /// and leaves the batch as it was.
    pub fn push<P: Payload>(&mut self, draft: &Draft<P>) -> Result<Committed> {
        let envelope = draft.envelope(&self.h0, self.next_seq());
        self.push_envelope(&envelope, &draft.payload)
    }

    /// Adds a record whose envelope was decided elsewhere (an import rebuilding a journal
    /// from an export): it must carry the next seq and the event id the journal derives
    /// for it; everything else, `schema_version` included, is encoded exactly as given.
    /// Refused like [`Batch::push`], leaving the batch as it was.
    pub fn push_record<P: Payload>(&mut self, envelope: &Envelope, payload: &P) -> Result<Committed> {
        let seq = self.next_seq();
        if envelope.seq != seq {
            return Err(JournalError::Invalid(format!("record has seq {}, the next seq is {seq}", envelope.seq)));
        }
        let event_id = envelope::event_id(&self.h0, seq);
        if envelope.event_id != event_id {
            return Err(JournalError::Invalid(format!(
                "record {seq} has event id {}, this journal's is {event_id}",
                envelope.event_id
            )));
        }
        self.push_envelope(envelope, payload)
    }

    /// Adds records with given envelopes (see [`Batch::push_record`]) all or nothing: if one
    /// is refused, none of them stays in the batch. Returns the last one's commit.
    pub fn push_records<P: Payload>(&mut self, records: &[(Envelope, P)]) -> Result<Committed> {
        let mark = self.mark();
        let mut last = Err(JournalError::Invalid("no records to append".into()));
        for (envelope, payload) in records {
            last = self.push_record(envelope, payload);
            if last.is_err() {
                break;
            }
        }
        if last.is_err() {
            self.rewind(mark);
        }
        last
    }

    /// Where the batch stands now, to rewind to or split at.
    pub(super) fn mark(&self) -> Mark {
        Mark {
            builder: self.builder.as_ref().map(|b| (b.byte_len(), b.count())),
            hash: self.hash,
            records: self.committed.len(),
        }
    }

    /// Drops every record pushed since `mark`.
    fn rewind(&mut self, mark: Mark) {
        match (mark.builder, self.builder.as_mut()) {
            (Some((byte_len, count)), Some(b)) => b.truncate(byte_len, count),
            _ => self.builder = None,
        }
        self.hash = mark.hash;
        self.committed.truncate(mark.records);
    }

    /// Moves every record pushed since `mark` into a new batch that continues from `mark`,
    /// keeping those before: two consecutive blocks instead of one, without encoding or
    /// hashing anything again. `None` when nothing was pushed since `mark`, or nothing before.
    pub(super) fn split_off(&mut self, mark: Mark) -> Option<Batch> {
        let (byte_len, count) = mark.builder?;
        if mark.records == self.committed.len() {
            return None;
        }
        let builder = self.builder.as_mut()?.split_off(byte_len, count, &mark.hash);
        let start = Head { seq: self.start.seq + mark.records as u64, hash: mark.hash };
        let tail = Batch {
            h0: self.h0,
            start,
            hash: self.hash,
            builder: Some(builder),
            committed: self.committed.split_off(mark.records),
            scratch: Vec::with_capacity(256),
        };
        self.hash = mark.hash;
        Some(tail)
    }

    /// The seq the next pushed record gets.
    fn next_seq(&self) -> u64 {
        self.start.seq + self.committed.len() as u64 + 1
    }

    /// Encodes and links one record with a complete envelope (seq and id already checked).
    fn push_envelope<P: Payload>(&mut self, envelope: &Envelope, payload: &P) -> Result<Committed> {
        let seq = envelope.seq;
        self.scratch.clear();
        codec::encode_record(envelope, payload, &mut self.scratch)?;
        let builder = self.builder.get_or_insert_with(|| BlockBuilder::new(seq, &self.start.hash, 64 * 1024));
        if builder.byte_len() + self.scratch.len() + super::frame::FRAME_OVERHEAD > MAX_BLOCK_BYTES {
            return Err(JournalError::RecordTooLarge { size: self.scratch.len(), limit: MAX_BLOCK_BYTES });
        }
        let hash = self.hash.link(&self.scratch);
        builder.push(&self.scratch, &hash);
        self.hash = hash;
        let committed = Committed { seq, event_id: envelope.event_id, hash };
        self.committed.push(committed);
        Ok(committed)
    }

    pub fn len(&self) -> usize {
        self.committed.len()
    }

    pub fn is_empty(&self) -> bool {
        self.committed.is_empty()
    }

    /// The block bytes as they would be stored, and the records in it.
    pub fn into_block(self) -> Option<(Vec<u8>, Vec<Committed>)> {
        self.builder.map(|builder| (builder.finish(), self.committed))
    }

    /// Bytes the block holds so far.
    pub fn byte_len(&self) -> usize {
        self.builder.as_ref().map_or(0, BlockBuilder::byte_len)
    }
}

/// A position in a [`Batch`]: its block's length and record count (none before the first
/// record), its chain hash and its records.
#[derive(Debug, Clone, Copy)]
pub(super) struct Mark {
    builder: Option<(usize, u32)>,
    hash: ChainHash,
    records: usize,
}

/// The default journal directory, relative to the working directory.
pub fn default_dir() -> PathBuf {
    PathBuf::from("journal")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::envelope::Opaque;

    fn drafts() -> Vec<Draft<Opaque>> {
        (1..=3).map(|i| Draft::new(i * 10, format!("s-{i}"), Opaque(vec![i as u8; 3]))).collect()
    }

    #[test]
    fn push_record_reproduces_push_and_keeps_the_given_schema_version() {
        let h0 = Genesis::new(Some(1)).hash().unwrap();
        let start = Head { seq: 0, hash: h0 };
        let mut pushed = Batch::new(h0, start);
        let mut envelopes = Vec::new();
        for draft in drafts() {
            let committed = pushed.push(&draft).unwrap();
            envelopes.push(Envelope {
                seq: committed.seq,
                event_id: committed.event_id,
                ts_ns: draft.ts_ns,
                stream: draft.stream.clone(),
                correlation_id: draft.correlation_id,
                causation_id: draft.causation_id,
                schema_version: Opaque::SCHEMA_VERSION,
            });
        }
        let mut replayed = Batch::new(h0, start);
        for (envelope, draft) in envelopes.iter().zip(drafts()) {
            replayed.push_record(envelope, &draft.payload).unwrap();
        }
        assert_eq!(replayed.into_block(), pushed.into_block(), "same envelopes, same block bytes");

        // A schema version other than the payload type's is written as given: the hash differs.
        let mut older = Batch::new(h0, start);
        let envelope = Envelope { schema_version: 7, ..envelopes[0].clone() };
        let committed = older.push_record(&envelope, &drafts()[0].payload).unwrap();
        let mut body = Vec::new();
        codec::encode_record(&envelope, &drafts()[0].payload, &mut body).unwrap();
        assert_eq!(committed.hash, h0.link(&body));
    }

    /// The stamped envelopes of `drafts()` appended after `start`.
    fn stamped(h0: ChainHash, start: Head) -> Vec<(Envelope, Opaque)> {
        let seqs = start.seq + 1..;
        drafts().into_iter().zip(seqs).map(|(d, seq)| (d.envelope(&h0, seq), d.payload)).collect()
    }

    #[test]
    fn push_records_is_all_or_nothing() {
        let h0 = Genesis::new(Some(1)).hash().unwrap();
        let start = Head { seq: 0, hash: h0 };
        let good = stamped(h0, start);
        let mut batch = Batch::new(h0, start);
        assert_eq!(batch.push_records(&good[..1]).unwrap().seq, 1);
        let before = (batch.len(), batch.byte_len(), batch.hash);
        // The second record of this entry has a wrong seq: neither of its records stays.
        let mut bad = good[1..].to_vec();
        bad[1].0.seq = 9;
        assert!(batch.push_records(&bad).is_err());
        assert_eq!((batch.len(), batch.byte_len(), batch.hash), before);
        assert!(batch.push_records::<Opaque>(&[]).is_err(), "an empty entry is refused");
        assert_eq!(batch.push_records(&good[1..]).unwrap().seq, 3);
        let mut whole = Batch::new(h0, start);
        whole.push_records(&good).unwrap();
        assert_eq!(batch.into_block(), whole.into_block(), "the refused entry left no trace");
        // A refused first entry leaves no block at all.
        let mut empty = Batch::new(h0, start);
        let mut wrong = good.clone();
        wrong[2].0.seq = 7;
        assert!(empty.push_records(&wrong).is_err());
        assert!(empty.is_empty() && empty.into_block().is_none());
    }

    #[test]
    fn push_record_refuses_a_wrong_seq_or_event_id_and_stays_unchanged() {
        let h0 = Genesis::new(Some(1)).hash().unwrap();
        let mut batch = Batch::new(h0, Head { seq: 0, hash: h0 });
        let payload = Opaque(vec![1]);
        let good = Envelope {
            seq: 1,
            event_id: envelope::event_id(&h0, 1),
            ts_ns: 0,
            stream: "s".into(),
            correlation_id: None,
            causation_id: None,
            schema_version: 0,
        };
        let gap = Envelope { seq: 2, event_id: envelope::event_id(&h0, 2), ..good.clone() };
        assert!(matches!(batch.push_record(&gap, &payload), Err(JournalError::Invalid(_))));
        let foreign = Envelope { event_id: envelope::event_id(&ChainHash::of_genesis(b"other"), 1), ..good.clone() };
        assert!(matches!(batch.push_record(&foreign, &payload), Err(JournalError::Invalid(_))));
        assert!(batch.is_empty());
        assert_eq!(batch.push_record(&good, &payload).unwrap().seq, 1);
    }
}
