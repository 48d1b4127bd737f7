//! Inside a segment, blocks are spread over small sled trees ("chunks") so that sled writes
//! each large block once.
//!
//! Why: sled 0.34 keeps values inside its B-tree leaves and rewrites a leaf whole when ten
//! updates have piled up on it (consolidation) and when it passes sixteen entries (split).
//! Appended to one growing tree with its head, a block was written about four times
//! (measured with 100 KB blocks: 4.15 bytes written per block byte; 1.13 with chunks, and
//! sled's write rate rose from 150–190 to 230–280 MB/s against a raw file's 340–380).
//! A chunk takes at most [`CHUNK_BLOCKS`] large blocks: with their heads that is eight
//! updates, so it is never consolidated nor split. Small blocks share a chunk as long as it
//! stays within [`CHUNK_BYTES`]: sled rewrites its list of trees whole whenever one is added,
//! so a tree per few small blocks would cost more than it saves (measured: 9× the bytes on
//! disk with 2 KB blocks). The bound is what sled writes inline: a leaf it consolidates
//! that is larger goes to a blob file of its own (created, written and later unlinked, and
//! never synced).
//!
//! ```text
//! tree `log`           G; H as of the segment's creation; blocks of journals written before chunks
//! tree `c` ‖ seq (BE)  a chunk: blocks from `seq` on, and H, the head after its last block
//! ```
//! A block and its head are one atomic sled batch in the chunk. A chunk is created before its
//! first block is written, so a crash between the two leaves an empty chunk: it holds no head
//! and no block, reads pass over it, and the next write (which starts at the same seq) reuses it.

use std::sync::{Arc, RwLock, Weak};

use super::block;
use super::error::Result;
use super::segments::HEAD_KEY;
use super::storage::{self, guard};

/// Large blocks per chunk: with their heads, eight updates of a leaf sled consolidates at ten.
pub(crate) const CHUNK_BLOCKS: usize = 4;

/// Bytes of blocks a chunk holding [`CHUNK_BLOCKS`] or more may reach. sled 0.34 consolidates
/// a leaf at its tenth update (the fifth block) and writes a node over a quarter of its log
/// segment (128 KiB, less headers) to a blob file; 8 KiB of room covers the leaf's own
/// header and its (at most 17) keys and lengths. Measured in `bench engine` with the earlier
/// rule (at least 128 KiB before the next chunk): ~550 leaves of 131–238 KB went to blob
/// files each run; with this one, one.
pub(crate) const CHUNK_BYTES: u64 = 120 << 10;

const CHUNK_PREFIX: u8 = b'c';

/// The sled tree name of the chunk whose first block starts at `first_seq`.
fn chunk_name(first_seq: u64) -> [u8; 9] {
    let mut name = [0u8; 9];
    name[0] = CHUNK_PREFIX;
    name[1..].copy_from_slice(&first_seq.to_be_bytes());
    name
}

fn seq_of_chunk_name(name: &[u8]) -> Option<u64> {
    match name {
        [CHUNK_PREFIX, rest @ ..] => Some(u64::from_be_bytes(rest.try_into().ok()?)),
        _ => None,
    }
}

/// A segment's sled handles, shared: clones see the chunks the writer adds, and the
/// database closes (freeing its page cache) when the last clone is dropped.
#[derive(Clone)]
pub(crate) struct Store(Arc<Handles>);

/// What a [`Store`] shares: the database, its `log` tree and its chunks in seq order.
pub(crate) struct Handles {
    pub db: sled::Db,
    pub log: sled::Tree,
    chunks: RwLock<Vec<(u64, sled::Tree)>>,
}

impl std::ops::Deref for Store {
    type Target = Handles;

    fn deref(&self) -> &Handles {
        &self.0
    }
}

/// A stored block: its key and its bytes.
pub(crate) type StoredBlock = (sled::IVec, sled::IVec);

impl Store {
    /// The handles of `db`: its `log` tree (created if new) and every chunk it holds.
    pub fn open(db: sled::Db) -> Result<Store> {
        let log = guard(|| db.open_tree(storage::LOG_TREE))?;
        let mut chunks = Vec::new();
        for name in db.tree_names() {
            if let Some(first_seq) = seq_of_chunk_name(&name) {
                chunks.push((first_seq, guard(|| db.open_tree(&name))?));
            }
        }
        chunks.sort_unstable_by_key(|(first_seq, _)| *first_seq);
        Ok(Store(Arc::new(Handles { db, log, chunks: RwLock::new(chunks) })))
    }

    /// A link to these handles that does not keep the database open.
    pub fn downgrade(&self) -> Weak<Handles> {
        Arc::downgrade(&self.0)
    }

    /// The handles `weak` links to, if anyone still holds them.
    pub fn upgrade(weak: &Weak<Handles>) -> Option<Store> {
        weak.upgrade().map(Store)
    }

    fn chunks(&self) -> std::sync::RwLockReadGuard<'_, Vec<(u64, sled::Tree)>> {
        self.chunks.read().unwrap_or_else(|p| p.into_inner())
    }

    /// How many chunks start at or below `seq`.
    fn chunks_upto(chunks: &[(u64, sled::Tree)], seq: u64) -> usize {
        chunks.partition_point(|(first_seq, _)| *first_seq <= seq)
    }

    /// The blocks whose keys are at or after block `from`'s, in order: `log`'s, then those
    /// of the chunk holding `from` and of every later one.
    pub fn blocks_from(&self, from: u64) -> StoreBlocks {
        let chunks = self.chunks();
        let holding = Self::chunks_upto(&chunks, from).saturating_sub(1);
        let later = chunks[holding..].iter().map(|(_, tree)| tree.clone());
        let trees: Vec<_> = std::iter::once(self.log.clone()).chain(later).collect();
        StoreBlocks { trees: trees.into_iter(), current: None, from, _store: self.clone() }
    }

    /// The last block whose first seq is at or below `seq`.
    pub fn block_at_or_below(&self, seq: u64) -> Result<Option<StoredBlock>> {
        let chunks = self.chunks();
        let candidates = chunks[..Self::chunks_upto(&chunks, seq)].iter().rev().map(|(_, tree)| tree);
        for tree in candidates.chain(std::iter::once(&self.log)) {
            let found = guard(|| tree.range(block::key(0)..=block::key(seq)).next_back().transpose())?;
            if found.is_some() {
                return Ok(found);
            }
        }
        Ok(None)
    }

    /// The segment's head: that of its newest chunk holding one, else the one written at
    /// its creation.
    pub fn head(&self) -> Result<Option<sled::IVec>> {
        for (_, tree) in self.chunks().iter().rev() {
            if let Some(head) = guard(|| tree.get(HEAD_KEY))? {
                return Ok(Some(head));
            }
        }
        guard(|| self.log.get(HEAD_KEY))
    }

    /// The chunk whose first block will start at `first_seq`, created if new.
    fn start_chunk(&self, first_seq: u64) -> Result<sled::Tree> {
        let tree = guard(|| self.db.open_tree(chunk_name(first_seq)))?;
        let mut chunks = self.chunks.write().unwrap_or_else(|p| p.into_inner());
        // An empty chunk a crash left at this seq is reused, not listed twice.
        if chunks.last().is_none_or(|(last, _)| *last < first_seq) {
            chunks.push((first_seq, tree.clone()));
        }
        Ok(tree)
    }
}

/// The blocks of one segment from a key on, across its trees.
pub(crate) struct StoreBlocks {
    trees: std::vec::IntoIter<sled::Tree>,
    current: Option<sled::Iter>,
    from: u64,
    /// Holds the segment's handles while its trees are read, so they are shared, never
    /// opened a second time alongside (sled locks a database to one opening).
    _store: Store,
}

impl StoreBlocks {
    pub fn next(&mut self) -> Result<Option<StoredBlock>> {
        loop {
            if let Some(iter) = self.current.as_mut()
                && let Some(entry) = guard(|| iter.next().transpose())?
            {
                return Ok(Some(entry));
            }
            let Some(tree) = self.trees.next() else {
                self.current = None;
                return Ok(None);
            };
            self.current = Some(tree.range(block::key(self.from)..=block::key(u64::MAX)));
        }
    }
}

/// Writes blocks into a segment's chunks: the chunk being filled until it is full, then a
/// new one. After an open, the first block starts a new chunk.
pub(crate) struct ChunkWriter {
    store: Store,
    filling: Option<Filling>,
}

/// The chunk being filled and what it holds.
struct Filling {
    tree: sled::Tree,
    blocks: usize,
    bytes: u64,
}

impl Filling {
    /// Whether a block of `next` bytes must start a new chunk: this one has its large
    /// blocks' share and would outgrow what sled keeps inline.
    fn is_full_for(&self, next: usize) -> bool {
        self.blocks >= CHUNK_BLOCKS && self.bytes + next as u64 > CHUNK_BYTES
    }
}

impl ChunkWriter {
    pub fn new(store: Store) -> ChunkWriter {
        ChunkWriter { store, filling: None }
    }

    /// Stages a block starting at `first_seq` and the head after it, as one atomic sled
    /// batch. Durable only after [`ChunkWriter::flush`].
    pub fn write(&mut self, first_seq: u64, bytes: &[u8], head: &[u8]) -> Result<()> {
        let filling = match self.filling.take() {
            Some(filling) if !filling.is_full_for(bytes.len()) => filling,
            _ => Filling { tree: self.store.start_chunk(first_seq)?, blocks: 0, bytes: 0 },
        };
        let filling = self.filling.insert(filling);
        let mut batch = sled::Batch::default();
        batch.insert(&block::key(first_seq)[..], bytes);
        batch.insert(HEAD_KEY, head);
        guard(|| filling.tree.apply_batch(batch))?;
        filling.blocks += 1;
        filling.bytes += bytes.len() as u64;
        Ok(())
    }

    /// Makes everything staged durable.
    pub fn flush(&self) -> Result<()> {
        guard(|| self.store.db.flush()).map(|_| ())
    }
}

#[cfg(test)]
impl Store {
    /// Each chunk's first seq and the first seqs of the blocks it holds, in order.
    pub fn layout(&self) -> Vec<(u64, Vec<u64>)> {
        let seqs = |tree: &sled::Tree| tree.iter().keys().filter_map(|key| block::seq_of_key(&key.unwrap())).collect();
        self.chunks().iter().map(|(first_seq, tree)| (*first_seq, seqs(tree))).collect()
    }

    /// Creates an empty chunk starting at `first_seq`, as a crash after creating it would.
    pub fn leave_empty_chunk(&self, first_seq: u64) {
        self.start_chunk(first_seq).unwrap();
        self.db.flush().unwrap();
    }

    /// Moves every block and head out of the chunks into `log` and drops the chunks: the
    /// layout of journals written before chunks.
    pub fn move_chunks_into_log(&self) {
        let chunks = std::mem::take(&mut *self.chunks.write().unwrap());
        for (first_seq, tree) in chunks {
            for entry in tree.iter() {
                let (key, value) = entry.unwrap();
                self.log.insert(key, value).unwrap();
            }
            self.db.drop_tree(chunk_name(first_seq)).unwrap();
        }
        self.db.flush().unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunk_names_sort_by_seq_and_parse_back() {
        assert!(chunk_name(255) < chunk_name(256));
        assert_eq!(seq_of_chunk_name(&chunk_name(42)), Some(42));
        assert_eq!(seq_of_chunk_name(b"log"), None);
        assert_eq!(seq_of_chunk_name(b"c123"), None);
    }

    #[test]
    fn a_chunk_is_full_only_with_enough_blocks_and_too_many_bytes_for_the_next() {
        let db = sled::Config::new().temporary(true).open().unwrap();
        let tree = db.open_tree("t").unwrap();
        let filling = |blocks, bytes| Filling { tree: tree.clone(), blocks, bytes };
        assert!(!filling(CHUNK_BLOCKS - 1, CHUNK_BYTES * 4).is_full_for(1));
        assert!(!filling(CHUNK_BLOCKS * 8, CHUNK_BYTES - 10).is_full_for(10));
        assert!(filling(CHUNK_BLOCKS * 8, CHUNK_BYTES - 10).is_full_for(11));
        assert!(filling(CHUNK_BLOCKS, CHUNK_BYTES).is_full_for(1));
    }
}
