//! Reading committed records in seq order with bounded memory: one block at a time.
//!
//! Every block is verified before any of its records is handed out: header CRC, each
//! frame's CRC, gapless seqs, the chain inside the block, and the link to the previous
//! block. A reader that starts mid-journal trusts the first block's `prev_hash` (covered by
//! its header CRC); `verify` checks the whole chain from genesis.

use std::collections::VecDeque;
use std::marker::PhantomData;
use std::ops::{ControlFlow, RangeInclusive};
use std::sync::Arc;

use super::block::{self, BlockHeader, RecordRef};
use super::chain::ChainHash;
use super::chunks::StoreBlocks;
use super::envelope::{DecodeInPlace, Envelope, Payload, Record, Stamped};
use super::error::{Corruption, CorruptionKind, JournalError, Location, Result};
use super::head::Head;
use super::segments::Segments;

/// A block whose every record has been verified.
pub struct VerifiedBlock {
    pub header: BlockHeader,
    bytes: sled::IVec,
    /// Offset and length of each record's body.
    spans: Vec<(u32, u32)>,
    last_hash: ChainHash,
}

impl VerifiedBlock {
    /// Verifies the block stored under `key_seq`.
    pub fn verify(key_seq: u64, bytes: sled::IVec) -> Result<VerifiedBlock, Corruption> {
        let header = block::read_header(key_seq, &bytes)?;
        let links = block::verified_links(&header, &bytes)?;
        let base = bytes.as_ptr() as usize;
        let spans = links.iter().map(|link| ((link.body.as_ptr() as usize - base) as u32, link.body.len() as u32));
        let spans = spans.collect();
        let last_hash = links.last().map_or(header.prev_hash, |link| link.hash);
        drop(links);
        Ok(VerifiedBlock { header, bytes, spans, last_hash })
    }

    /// The block's records, in seq order.
    pub fn records(&self) -> impl Iterator<Item = RecordRef<'_>> + '_ {
        self.spans.iter().enumerate().map(|(i, &(start, len))| {
            let (start, len) = (start as usize, len as usize);
            let hash = ChainHash::from_slice(&self.bytes[start + len..start + len + ChainHash::LEN])
                .expect("verified frame holds a hash");
            RecordRef { seq: self.header.first_seq + i as u64, body: &self.bytes[start..start + len], hash }
        })
    }

    /// The head after this block.
    pub fn last(&self) -> Head {
        Head { seq: self.header.last_seq(), hash: self.last_hash }
    }

    /// Bytes of the stored block.
    pub fn byte_len(&self) -> usize {
        self.bytes.len()
    }

    /// Verifies the same stored bytes again (a new [`VerifiedBlock`]; the bytes are shared,
    /// not copied): what verifying the block costs, without reading it.
    pub fn reverify(&self) -> Result<VerifiedBlock, Corruption> {
        VerifiedBlock::verify(self.header.first_seq, self.bytes.clone())
    }
}

/// A cheap, cloneable handle for reading the journal.
#[derive(Clone)]
pub struct Reader {
    segments: Arc<Segments>,
    h0: ChainHash,
}

impl Reader {
    pub(crate) fn new(segments: Arc<Segments>, h0: ChainHash) -> Reader {
        Reader { segments, h0 }
    }

    pub fn genesis_hash(&self) -> ChainHash {
        self.h0
    }

    /// Verified blocks holding seqs `from_seq..=upto`, in order.
    pub fn blocks(&self, from_seq: u64, upto: u64) -> Result<Blocks> {
        let from_seq = from_seq.max(1);
        let index = self.segments.holding(from_seq);
        let segment = self.segments.get(index).expect("a journal has a segment");
        let store = self.segments.store(index)?.expect("the segment exists");
        let start = store.block_at_or_below(from_seq)?.and_then(|(key, _)| block::seq_of_key(&key));
        // Without a block at or below `from_seq`, the segment's first block must start it.
        let start = start.unwrap_or(segment.first_seq);
        let links = if start == 1 {
            Links { expected: Some(1), prev: Some(self.h0) }
        } else if start == segment.first_seq {
            Links { expected: Some(start), prev: None }
        } else {
            Links { expected: None, prev: None }
        };
        let iter = self.segments.blocks_of(index, start)?;
        let cursor = Cursor { segments: self.segments.clone(), index, iter, upto };
        Ok(Blocks { source: Source::Inline(Box::new(cursor)), links, upto, done: upto < from_seq })
    }

    /// Like [`Reader::blocks`], but reads blocks on one thread and verifies them (CRC,
    /// chain) on `VERIFY_THREADS` others, ahead of the caller: long scans use every core.
    /// The links between blocks are still checked in order here.
    pub fn blocks_prefetched(&self, from_seq: u64, upto: u64) -> Result<Blocks> {
        let mut blocks = self.blocks(from_seq, upto)?;
        if blocks.done {
            return Ok(blocks);
        }
        let iter = blocks.take_inline();
        blocks.source = Source::Prefetched(Prefetch::spawn(iter, upto, VERIFY_THREADS)?);
        Ok(blocks)
    }

    /// The records in `from_seq..=upto`, a verified block at a time, each decoded in place
    /// as a [`Stamped<P>`] (with its whole envelope too if `envelopes` says so): a pipeline
    /// of stages, reading on one thread, verifying and decoding on another, and the caller
    /// folding, so a replay spreads over the cores. Links between blocks are checked here,
    /// in order. Hand each consumed block back with [`Decoded::recycle`].
    pub fn decoded<P: DecodeInPlace>(&self, from_seq: u64, upto: u64, envelopes: Envelopes) -> Result<Decoded<P>> {
        let mut blocks = self.blocks(from_seq, upto)?;
        let (links, iter) = (blocks.links, blocks.take_inline());
        if blocks.done {
            return Ok(Decoded { prefetch: None, links, done: true, recycle: None });
        }
        let from_seq = from_seq.max(1);
        let (recycle, recycled) = std::sync::mpsc::sync_channel::<DecodedBlock<P>>(PREFETCH_BLOCKS + 1);
        // Three busy threads: reading, verifying and decoding, the caller folding. A decoding
        // thread of its own (four) cost ~15% more CPU in hand-offs on two cores (replay of 1M
        // lifecycle events: 1.2 s of CPU a round, not 1.03), and slowed the replay as much;
        // reading on the decoding thread too (two) was no faster than three.
        let prefetch = Prefetch::spawn_with(
            iter,
            upto,
            vec![move |block: &VerifiedBlock| {
                // A block the caller is done with: its records are freed here, on the thread that
                // allocated them (cheaper than a cross-thread free), and its buffer is reused.
                let mut decoded = recycled.try_iter().last().unwrap_or_default();
                decoded.fill(block, from_seq..=upto, envelopes);
                Ok(decoded)
            }],
        )?;
        Ok(Decoded { prefetch: Some(prefetch), links, done: false, recycle: Some(recycle) })
    }

    /// Calls `f` with every record in `from_seq..=upto`, verified, in order, until `f` breaks.
    /// Returns the last record visited (or `None` if there was none).
    pub fn for_each(
        &self,
        from_seq: u64,
        upto: u64,
        mut f: impl FnMut(RecordRef<'_>) -> Result<ControlFlow<()>>,
    ) -> Result<Option<Head>> {
        let mut last = None;
        for block in self.blocks_prefetched(from_seq, upto)? {
            let block = block?;
            for record in block.records() {
                if record.seq < from_seq {
                    continue;
                }
                if record.seq > upto {
                    return Ok(last);
                }
                last = Some(Head { seq: record.seq, hash: record.hash });
                if f(record)?.is_break() {
                    return Ok(last);
                }
            }
        }
        Ok(last)
    }

    /// Decoded records in `from_seq..=upto`.
    pub fn records<P: Payload>(&self, from_seq: u64, upto: u64) -> Result<Records<P>> {
        Ok(Records {
            blocks: self.blocks(from_seq, upto)?,
            from_seq,
            upto,
            buffer: VecDeque::new(),
            _payload: PhantomData,
        })
    }

    /// The chain hash stored with record `seq`, if it exists.
    pub fn hash_at(&self, seq: u64) -> Result<Option<ChainHash>> {
        if seq == 0 {
            return Ok(Some(self.h0));
        }
        let mut found = None;
        if let Some(block) = self.blocks(seq, seq)?.next() {
            found = block?.records().find(|r| r.seq == seq).map(|r| r.hash);
        }
        Ok(found)
    }

    /// The last block, verified (in the newest segment that has one).
    pub fn last_block(&self) -> Result<Option<VerifiedBlock>> {
        for index in (0..self.segments.len()).rev() {
            let Some(store) = self.segments.store(index)? else { continue };
            if let Some((key, bytes)) = store.block_at_or_below(u64::MAX)? {
                let seq = block::seq_of_key(&key).expect("range holds block keys");
                return Ok(Some(VerifiedBlock::verify(seq, bytes)?));
            }
        }
        Ok(None)
    }
}

/// Blocks each prefetching stage holds ready ahead of the next. With fewer, the stages
/// (2 cores, 4 threads) waited on each other: a scan used 1.6 cores instead of 1.7.
pub const PREFETCH_BLOCKS: usize = 4;

/// Blocks read and waiting for each verifier.
const READ_AHEAD: usize = 2;

/// Threads verifying blocks side by side in [`Reader::blocks_prefetched`]. A block is
/// verifiable on its own (its header holds the previous block's last hash; the links
/// between blocks are checked in order by the consumer), and BLAKE3 over small records is
/// most of a scan's work, so with two a scan whose consumer is light (verify, export) uses
/// both cores of a small machine.
pub const VERIFY_THREADS: usize = 2;

/// The stored blocks in key order, from one segment into the next; a segment starting after
/// `upto` is not opened (opening one can cost a read of its whole sled log).
pub(super) struct Cursor {
    segments: Arc<Segments>,
    index: usize,
    iter: Option<StoreBlocks>,
    upto: u64,
}

impl Cursor {
    fn next(&mut self) -> Result<Option<(sled::IVec, sled::IVec)>> {
        loop {
            let Some(iter) = self.iter.as_mut() else { return Ok(None) };
            if let Some(entry) = iter.next()? {
                return Ok(Some(entry));
            }
            self.index += 1;
            let wanted = self.segments.get(self.index).is_some_and(|next| next.first_seq <= self.upto);
            self.iter = if wanted { self.segments.blocks_of(self.index, 0)? } else { None };
        }
    }
}

enum Source {
    Inline(Box<Cursor>),
    Prefetched(Prefetch<()>),
    Done,
}

/// A verified block and what a prefetching stage made of it.
type Prefetched<T> = Result<(VerifiedBlock, T)>;

/// A stored block as read, before verification: its key's seq and its bytes.
type RawBlock = Result<(u64, sled::IVec)>;

/// Threads working ahead of the consumer, each sending into a channel of its own; blocks
/// are taken from the channels in turn, so they come out in seq order. Dropping it
/// disconnects the channels (waking any thread waiting to send) and joins the threads, so
/// no thread is ever left inside sled (a process exiting under it crashed in sled's
/// teardown).
struct Prefetch<T> {
    channels: Vec<std::sync::mpsc::Receiver<Prefetched<T>>>,
    turn: usize,
    threads: Vec<std::thread::JoinHandle<()>>,
}

impl Prefetch<()> {
    /// Reads the blocks of `iter` up to `upto` on one thread and verifies them on
    /// `verifiers` more, block `k` on verifier `k mod verifiers`. Bounded: each
    /// verifier has [`READ_AHEAD`] blocks waiting, one in hand and [`PREFETCH_BLOCKS`]
    /// verified. A failure is sent in its block's turn and ends the stage.
    fn spawn(iter: Cursor, upto: u64, verifiers: usize) -> Result<Prefetch<()>> {
        debug_assert!(verifiers > 0);
        Prefetch::spawn_with(iter, upto, vec![|_: &VerifiedBlock| Ok(()); verifiers.max(1)])
    }
}

impl<T: Send + 'static> Prefetch<T> {
    /// [`Prefetch::spawn`] with one verifier per `works`, each of which then makes a `T` of
    /// every block it verified (on the same thread: a stage of its own cost a scan more
    /// CPU in hand-offs than it saved).
    fn spawn_with<W>(mut iter: Cursor, upto: u64, works: Vec<W>) -> Result<Prefetch<T>>
    where
        W: FnMut(&VerifiedBlock) -> Result<T> + Send + 'static,
    {
        assert!(!works.is_empty(), "at least one verifier");
        let mut prefetch = Prefetch { channels: Vec::new(), turn: 0, threads: Vec::new() };
        let mut inputs = Vec::with_capacity(works.len());
        for mut work in works {
            let (input, raw) = std::sync::mpsc::sync_channel::<RawBlock>(READ_AHEAD);
            let (tx, rx) = std::sync::mpsc::sync_channel(PREFETCH_BLOCKS);
            prefetch.threads.push(named_thread("blotter-journal-verify", move || {
                for block in raw {
                    let verified = block.and_then(|(key_seq, bytes)| {
                        let block = VerifiedBlock::verify(key_seq, bytes)?;
                        let made = work(&block)?;
                        Ok((block, made))
                    });
                    let failed = verified.is_err();
                    if tx.send(verified).is_err() || failed {
                        return;
                    }
                }
            })?);
            prefetch.channels.push(rx);
            inputs.push(input);
        }
        prefetch.threads.push(named_thread("blotter-journal-read", move || {
            for input in inputs.iter().cycle() {
                let next = read_raw(&mut iter, upto).transpose();
                let stop = !matches!(next, Some(Ok(_)));
                if let Some(block) = next
                    && input.send(block).is_err()
                {
                    return;
                }
                if stop {
                    return;
                }
            }
        })?);
        Ok(prefetch)
    }

    /// The next block, or `None` once the stage finished (a failure comes first).
    fn next(&mut self) -> Result<Option<(VerifiedBlock, T)>> {
        let Some(channel) = self.channels.get(self.turn % self.channels.len().max(1)) else { return Ok(None) };
        self.turn += 1;
        channel.recv().ok().transpose()
    }
}

/// Starts a thread of the journal's, or says why it could not.
fn named_thread(name: &str, run: impl FnOnce() + Send + 'static) -> Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(run)
        .map_err(|e| super::error::JournalError::Storage(format!("cannot start thread {name}: {e}")))
}

impl<T> Drop for Prefetch<T> {
    fn drop(&mut self) {
        self.channels.clear();
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

/// The order checks between consecutive blocks: gapless seqs and the chain's link.
#[derive(Debug, Clone, Copy)]
struct Links {
    expected: Option<u64>,
    prev: Option<ChainHash>,
}

impl Links {
    fn check(&mut self, block: &VerifiedBlock) -> Result<()> {
        if let Some(expected) = self.expected
            && block.header.first_seq != expected
        {
            let kind = CorruptionKind::SeqGap { expected, found: block.header.first_seq };
            return Err(Corruption::new(Location::Seq(expected), kind).into());
        }
        if let Some(prev) = self.prev
            && block.header.prev_hash != prev
        {
            return Err(Corruption::new(Location::Seq(block.header.first_seq), CorruptionKind::ChainBroken).into());
        }
        let last = block.last();
        self.expected = Some(last.seq + 1);
        self.prev = Some(last.hash);
        Ok(())
    }
}

/// Decoded records a block at a time, each block ending at its first record that does not
/// decode; see [`Reader::decoded`].
pub struct Decoded<P: DecodeInPlace> {
    prefetch: Option<Prefetch<DecodedBlock<P>>>,
    links: Links,
    done: bool,
    recycle: Option<std::sync::mpsc::SyncSender<DecodedBlock<P>>>,
}

/// Whether [`Reader::decoded`] keeps each record's whole envelope, or only its stamp.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Envelopes {
    /// Stamps only: what a fold reads.
    Skip,
    /// Every envelope too ([`DecodedBlock::envelopes`]): for audits and timelines.
    Keep,
}

/// One verified block's records, decoded: all of them, or those before the first that did
/// not decode and why it did not. The record at index `i` has the hash `hashes[i]` and,
/// when kept, the envelope `envelopes[i]`.
#[derive(Debug)]
pub struct DecodedBlock<P> {
    pub records: Vec<Stamped<P>>,
    /// Each record's chain hash. Apart from the records: a fold reads the last one only.
    pub hashes: Vec<ChainHash>,
    /// Each record's whole envelope with [`Envelopes::Keep`]; empty with `Skip`.
    pub envelopes: Vec<Envelope>,
    /// The record after the last of `records` did not decode.
    pub error: Option<Corruption>,
}

impl<P> Default for DecodedBlock<P> {
    fn default() -> Self {
        DecodedBlock { records: Vec::new(), hashes: Vec::new(), envelopes: Vec::new(), error: None }
    }
}

impl<P: DecodeInPlace> DecodedBlock<P> {
    /// Decodes the records of `block` whose seqs are in `seqs` in place of what this held
    /// (its buffers reused), up to the first that does not decode, kept as the error: it is
    /// reported when the caller gets there, as if decoded in its turn.
    pub fn fill(&mut self, block: &VerifiedBlock, seqs: RangeInclusive<u64>, envelopes: Envelopes) {
        self.records.clear();
        self.hashes.clear();
        self.envelopes.clear();
        self.error = None;
        let count = block.header.count as usize;
        self.records.reserve(count);
        self.hashes.reserve(count);
        if envelopes == Envelopes::Keep {
            self.envelopes.reserve(count);
        }
        for record in block.records().filter(|record| seqs.contains(&record.seq)) {
            if let Err(corruption) = self.push(&record, envelopes) {
                self.error = Some(corruption);
                break;
            }
        }
        debug_assert_eq!(self.records.len(), self.hashes.len());
    }

    /// Decodes `record` into the next slots, in place: no copy of the record from where it
    /// was built (`Vec::push` would build it aside and copy it in).
    #[inline]
    fn push(&mut self, record: &RecordRef<'_>, envelopes: Envelopes) -> Result<(), Corruption> {
        let len = self.records.len();
        debug_assert!(envelopes == Envelopes::Skip || self.envelopes.len() == len, "an envelope for every record");
        self.records.reserve(1);
        let envelope = match envelopes {
            Envelopes::Skip => None,
            Envelopes::Keep => {
                self.envelopes.reserve(1);
                Some(&mut self.envelopes.spare_capacity_mut()[0])
            }
        };
        record.decode_stamped_into(&mut self.records.spare_capacity_mut()[0], envelope)?;
        // SAFETY: `reserve` made room for the slots at `len` (the envelopes, when kept, are as
        // many as the records: they grow together and are cleared together), and
        // `decode_stamped_into` returned `Ok`, so it wrote a whole record there (and an
        // envelope, if asked).
        unsafe {
            self.records.set_len(len + 1);
            if envelopes == Envelopes::Keep {
                self.envelopes.set_len(len + 1);
            }
        }
        self.hashes.push(record.hash);
        Ok(())
    }
}

/// One decoded record as [`Decoded::try_for_each_record`] hands it out.
#[derive(Debug, Clone, Copy)]
pub struct DecodedRef<'a, P> {
    pub record: &'a Stamped<P>,
    pub hash: &'a ChainHash,
    /// With [`Envelopes::Keep`].
    pub envelope: Option<&'a Envelope>,
}

impl<P: DecodeInPlace> Decoded<P> {
    /// Hands a block back once consumed, to be freed and reused by the decoding thread
    /// (dropped here if that thread is gone or has blocks enough).
    pub fn recycle(&self, block: DecodedBlock<P>) {
        if let Some(recycle) = &self.recycle {
            let _ = recycle.try_send(block);
        }
    }

    /// Calls `f` with every record in order until it breaks (the record it breaks on is not
    /// taken) or fails. A record that did not decode is reported in its turn, after the
    /// records before it; consumed blocks are recycled. Returns the last record taken.
    pub fn try_for_each_record<E: From<JournalError>>(
        mut self,
        mut f: impl FnMut(DecodedRef<'_, P>) -> std::result::Result<ControlFlow<()>, E>,
    ) -> std::result::Result<Option<Head>, E> {
        let mut last = None;
        while let Some(block) = self.next() {
            let mut block = block?;
            for (index, (record, hash)) in block.records.iter().zip(&block.hashes).enumerate() {
                if f(DecodedRef { record, hash, envelope: block.envelopes.get(index) })?.is_break() {
                    if let Some(previous) = index.checked_sub(1) {
                        last = Some(Head { seq: block.records[previous].stamp.seq, hash: block.hashes[previous] });
                    }
                    return Ok(last);
                }
            }
            if let Some(corruption) = block.error.take() {
                return Err(JournalError::Corrupt(corruption).into());
            }
            if let (Some(record), Some(hash)) = (block.records.last(), block.hashes.last()) {
                last = Some(Head { seq: record.stamp.seq, hash: *hash });
            }
            self.recycle(block);
        }
        Ok(last)
    }
}

impl<P: DecodeInPlace> Iterator for Decoded<P> {
    type Item = Result<DecodedBlock<P>>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = match self.prefetch.as_mut().map(Prefetch::next).transpose() {
            Ok(Some(Some((block, decoded)))) => self.links.check(&block).map(|()| Some(decoded)),
            Ok(_) => Ok(None),
            Err(error) => Err(error),
        };
        let next = next.transpose();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// Reads and verifies the next block at or below `upto` (each block on its own).
fn read_block(iter: &mut Cursor, upto: u64) -> Result<Option<VerifiedBlock>> {
    let Some((key_seq, bytes)) = read_raw(iter, upto)? else { return Ok(None) };
    Ok(Some(VerifiedBlock::verify(key_seq, bytes)?))
}

/// Reads the next stored block at or below `upto`, unverified.
fn read_raw(iter: &mut Cursor, upto: u64) -> Result<Option<(u64, sled::IVec)>> {
    let Some((key, bytes)) = iter.next()? else { return Ok(None) };
    let Some(key_seq) = block::seq_of_key(&key) else {
        return Err(Corruption::new(Location::Storage, CorruptionKind::Framing("malformed block key".into())).into());
    };
    Ok((key_seq <= upto).then_some((key_seq, bytes)))
}

/// Iterator over verified blocks; see [`Reader::blocks`].
pub struct Blocks {
    source: Source,
    links: Links,
    upto: u64,
    done: bool,
}

impl Blocks {
    /// The cursor of a fresh [`Reader::blocks`], for a prefetch thread to take over.
    fn take_inline(&mut self) -> Cursor {
        match std::mem::replace(&mut self.source, Source::Done) {
            Source::Inline(iter) => *iter,
            _ => unreachable!("Reader::blocks reads inline"),
        }
    }

    fn next_block(&mut self) -> Result<Option<VerifiedBlock>> {
        let next = match &mut self.source {
            Source::Inline(iter) => read_block(iter, self.upto)?,
            Source::Prefetched(prefetch) => prefetch.next()?.map(|(block, ())| block),
            Source::Done => None,
        };
        let Some(block) = next else { return Ok(None) };
        self.links.check(&block)?;
        Ok(Some(block))
    }
}

impl Iterator for Blocks {
    type Item = Result<VerifiedBlock>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let next = self.next_block().transpose();
        if !matches!(next, Some(Ok(_))) {
            self.done = true;
        }
        next
    }
}

/// Iterator over decoded records; see [`Reader::records`].
pub struct Records<P> {
    blocks: Blocks,
    from_seq: u64,
    upto: u64,
    buffer: VecDeque<Record<P>>,
    _payload: PhantomData<P>,
}

impl<P: Payload> Records<P> {
    fn refill(&mut self) -> Result<bool> {
        while self.buffer.is_empty() {
            let Some(block) = self.blocks.next().transpose()? else { return Ok(false) };
            for record in block.records() {
                if (self.from_seq..=self.upto).contains(&record.seq) {
                    self.buffer.push_back(record.decode()?);
                }
            }
        }
        Ok(true)
    }
}

impl<P: Payload> Iterator for Records<P> {
    type Item = Result<Record<P>>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.refill() {
            Ok(true) => self.buffer.pop_front().map(Ok),
            Ok(false) => None,
            Err(e) => {
                self.blocks.done = true;
                Some(Err(e))
            }
        }
    }
}
