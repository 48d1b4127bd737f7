//! The store as a sequence of sled databases by seq range ("segments"), so that opening a
//! journal costs in proportion to its newest segment, not to its whole history.
//!
//! Why: sled 0.34 writes its own snapshot only while opening a database, so an open re-reads
//! and CRC-checks everything written since the previous open (measured: 1.1 s for a 10M-event
//! journal written in one go). Here only the newest segment is opened at start and written;
//! older ones are sealed (never written again) and opened on first read, with a small cache.
//!
//! ```text
//! DIR/store/00000000000000000001/   sled db: tree `log` with G and H, chunks with blocks from seq 1
//! DIR/store/00000000000000500324/   the next segment: its first block starts at seq 500324
//! ```
//! Every segment holds a copy of the genesis record (`G`) and its own head (`H`: the last
//! record it holds, or for a segment with no block yet, the record before its first seq).
//! Its blocks, each with the head after it, are in chunks (`chunks.rs`).
//! The first segment is made under a `.tmp` name, given `G` and `H`, flushed, closed, renamed
//! into place and the rename synced: a crash leaves either no segment or a whole one.
//! Blocks never span segments; the chain runs across them (a segment's first block links
//! to the previous segment's last record).
//!
//! Later segments are made ahead of need ("the next"): once the segment being written is
//! half full, a thread of its own opens an empty sled database in `SEQ.next` (SEQ: the first
//! seq of the segment being written). Rolling then only gives it `G` and `H`, flushes it, and
//! links it into place with a symlink named by its first seq, synced:
//!
//! ```text
//! DIR/store/00000000000000500324 -> 00000000000000000001.next
//! ```
//! Why: making a sled database and reopening it after the rename took 18–42 ms on this
//! machine, a stall of every producer each time a segment filled (the p99 of acknowledgements
//! under load was that stall); linking takes two flushes' worth. The database is never renamed
//! while open, because sled keeps using the path it was opened at (for large values' files).
//! A crash before the link is synced leaves an unlinked `.next`, which holds nothing
//! acknowledged and is removed at the next open; after it, the segment is whole.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock, Weak};
use std::thread::JoinHandle;

use super::chunks::{Handles, Store, StoreBlocks};
use super::error::{JournalError, Result};
use super::head::Head;
use super::layout::{list_seqs, seq_name, sync_dir};
use super::storage::{self, StoreOptions, guard};

pub(crate) const GENESIS_KEY: &[u8] = b"G";
pub(crate) const HEAD_KEY: &[u8] = b"H";

/// The cache of a sealed segment: it is only ever read in order, once per scan.
const SEALED_CACHE: u64 = 8 << 20;

/// How long settling waits for other handles of a sealed segment to close.
const SETTLE_WAIT: std::time::Duration = std::time::Duration::from_millis(50);

/// One segment: its first seq and, while anyone uses it, its sled handles.
///
/// Memory stays bounded however long the journal: the segment being written keeps every
/// page it wrote in its cache (upstream sled 0.34's eviction, batched per shard, never runs
/// for a few hundred large pages; the vendored one evicts only for caches of up to 16 MiB,
/// as a sealed segment's), about the segment's size. So only the newest segment is held open for
/// good; a sealed one is open while a reader (or [`Segments`]' most recently used slot)
/// holds it, and closes, freeing its cache, when the last lets go. (Holding every segment
/// open grew a writer by ~120 MB per million events, and a replay as much.)
pub(crate) struct Segment {
    pub first_seq: u64,
    path: PathBuf,
    open: Mutex<Held>,
    /// Written by this process and not reopened since: sled has no snapshot of it yet.
    unsettled: std::sync::atomic::AtomicBool,
}

/// A segment's handles as its [`Segment`] holds them.
struct Held {
    /// Kept open: the newest segment, written to.
    kept: Option<Store>,
    /// Shared with whoever uses them, so one sled database serves every user at once (sled
    /// locks a database to one opening).
    shared: Weak<Handles>,
}

impl Segment {
    fn new(first_seq: u64, path: PathBuf, kept: Option<Store>, written: bool) -> Arc<Segment> {
        let unsettled = std::sync::atomic::AtomicBool::new(written);
        let shared = kept.as_ref().map_or_else(Weak::new, Store::downgrade);
        Arc::new(Segment { first_seq, path, open: Mutex::new(Held { kept, shared }), unsettled })
    }

    fn held(&self) -> std::sync::MutexGuard<'_, Held> {
        self.open.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Stops keeping the segment open: it has been sealed. Returns its handles (the caller
    /// decides whether they stay open a while).
    fn release(&self) -> Option<Store> {
        self.held().kept.take()
    }

    /// Closes and reopens the segment once, so sled writes its own snapshot of it and later
    /// opens do not re-read its whole log. Gives up (leaving it for the next open to pay)
    /// if its database is still held elsewhere; callers settle only when no reader exists.
    fn settle(&self, options: &StoreOptions) {
        use std::sync::atomic::Ordering;
        if !self.unsettled.swap(false, Ordering::AcqRel) {
            return;
        }
        let held = self.held();
        match storage::open_db_within(&self.path, options, SETTLE_WAIT) {
            Ok(db) => drop(db),
            Err(error) => tracing::debug!(path = %self.path.display(), %error, "segment left unsettled"),
        }
        drop(held);
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The segment's sled handles: those in use, or the database opened anew.
    pub fn store(&self, options: &StoreOptions) -> Result<Store> {
        let mut held = self.held();
        if let Some(store) = held.kept.clone().or_else(|| Store::upgrade(&held.shared)) {
            return Ok(store);
        }
        let store = open_store(&self.path, options)?;
        held.shared = store.downgrade();
        Ok(store)
    }
}

/// All segments of one journal, oldest first. Shared by the journal, its readers and the
/// writer's flusher; only the flusher adds segments.
pub(crate) struct Segments {
    root: PathBuf,
    options: StoreOptions,
    list: RwLock<Vec<Arc<Segment>>>,
    /// The next segment, being made or made (see the module's doc).
    next: Mutex<Option<JoinHandle<Result<Next>>>>,
    /// The sealed segment used last, kept open so that lookups going back and forth over
    /// it do not reopen it each time; one at most, so memory stays bounded.
    recent: Mutex<Option<Store>>,
}

/// An empty sled database made ahead of need, not yet linked into the journal.
struct Next {
    dir: PathBuf,
    store: Store,
}

/// The suffix of a next segment's folder.
const NEXT_SUFFIX: &str = ".next";

impl Segments {
    /// Creates the first segment in `root` (which must not hold one) with `genesis` and
    /// `head` (seq 0).
    pub fn create(root: &Path, options: &StoreOptions, genesis: &[u8], head: &Head) -> Result<Segments> {
        std::fs::create_dir_all(root).map_err(|e| JournalError::io(root, e))?;
        let segments = Segments::new(root, options, Vec::new());
        segments.add(genesis, head)?;
        Ok(segments)
    }

    /// The segments in `root`; the newest is opened. Leftovers of an interrupted segment
    /// creation are removed. `None` if there is no segment.
    pub fn open(root: &Path, options: &StoreOptions) -> Result<Option<Segments>> {
        let listing = list_seqs(root, "")?;
        for leftover in &listing.leftovers {
            std::fs::remove_dir_all(leftover).map_err(|e| JournalError::io(leftover, e))?;
        }
        remove_unlinked_next(root, &listing.seqs, options)?;
        let found = listing.seqs;
        let Some(&newest) = found.last() else { return Ok(None) };
        let list = found
            .iter()
            .map(|&first_seq| {
                let path = root.join(seq_name(first_seq));
                let store = if first_seq == newest { Some(open_store(&path, options)?) } else { None };
                Ok(Segment::new(first_seq, path, store, false))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Segments::new(root, options, list)))
    }

    fn new(root: &Path, options: &StoreOptions, list: Vec<Arc<Segment>>) -> Segments {
        Segments {
            root: root.to_path_buf(),
            options: options.clone(),
            list: RwLock::new(list),
            next: Mutex::new(None),
            recent: Mutex::new(None),
        }
    }

    /// Whether `root` holds a journal's first segment.
    pub fn exist(root: &Path) -> bool {
        root.join(seq_name(1)).join("db").is_file()
    }

    pub fn options(&self) -> &StoreOptions {
        &self.options
    }

    pub fn len(&self) -> usize {
        self.list.read().unwrap_or_else(|p| p.into_inner()).len()
    }

    /// The segment at `index`, oldest first.
    pub fn get(&self, index: usize) -> Option<Arc<Segment>> {
        self.list.read().unwrap_or_else(|p| p.into_inner()).get(index).cloned()
    }

    /// The index of the segment holding `seq`: the newest whose first seq is at or below it.
    pub fn holding(&self, seq: u64) -> usize {
        let list = self.list.read().unwrap_or_else(|p| p.into_inner());
        list.partition_point(|segment| segment.first_seq <= seq).saturating_sub(1)
    }

    /// The segment being written, opened.
    pub fn newest(&self) -> Result<(Arc<Segment>, Store)> {
        let segment = self.get(self.len() - 1).expect("a journal has a segment");
        let store = segment.store(&self.options)?;
        Ok((segment, store))
    }

    /// Seals the newest segment and starts one after `head`: later blocks go there. Links the
    /// next segment if one was made ahead; makes one now if not (or if making it failed).
    pub fn roll(&self, genesis: &[u8], head: &Head) -> Result<()> {
        let (newest, _) = self.newest()?;
        if head.seq < newest.first_seq {
            return Ok(()); // nothing written to the newest segment yet
        }
        match self.take_next() {
            Some(next) => self.link(next, genesis, head),
            None => self.add(genesis, head),
        }
    }

    /// Starts making the next segment on a thread of its own, unless it is made or being made.
    pub fn prepare_next(&self) {
        let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
        if next.is_some() {
            return;
        }
        let Some(newest) = self.get(self.len() - 1) else { return };
        let dir = self.root.join(format!("{}{NEXT_SUFFIX}", seq_name(newest.first_seq)));
        let options = self.options.clone();
        let made = std::thread::Builder::new().name("blotter-journal-next".into()).spawn(move || {
            if dir.exists() {
                std::fs::remove_dir_all(&dir).map_err(|e| JournalError::io(&dir, e))?;
            }
            let store = open_store(&dir, &options)?;
            Ok(Next { dir, store })
        });
        match made {
            Ok(handle) => *next = Some(handle),
            Err(error) => tracing::warn!(%error, "cannot start making the next segment; the roll will make it"),
        }
    }

    /// The next segment, waiting for it if it is still being made; `None` if none was started
    /// or making it failed (said in the log).
    fn take_next(&self) -> Option<Next> {
        let handle = self.next.lock().unwrap_or_else(|p| p.into_inner()).take()?;
        match handle.join() {
            Ok(Ok(next)) => Some(next),
            Ok(Err(error)) => {
                tracing::warn!(%error, "making the next segment failed; making it now");
                None
            }
            Err(_) => {
                tracing::warn!("making the next segment panicked; making it now");
                None
            }
        }
    }

    /// Gives `next` `G` and `head`, flushes it and links it in as the segment after `head`.
    fn link(&self, next: Next, genesis: &[u8], head: &Head) -> Result<()> {
        let first_seq = head.seq + 1;
        begin(&next.store, genesis, head)?;
        let path = self.root.join(seq_name(first_seq));
        let target = next.dir.file_name().expect("a next segment's folder has a name");
        std::os::unix::fs::symlink(target, &path).map_err(|e| JournalError::io(&path, e))?;
        sync_dir(&self.root)?;
        self.push(Segment::new(first_seq, path, Some(next.store), false));
        Ok(())
    }

    /// Appends `segment` as the newest; the one before it is sealed.
    fn push(&self, segment: Arc<Segment>) {
        let released = {
            let mut list = self.list.write().unwrap_or_else(|p| p.into_inner());
            let released = list.last().and_then(|sealed| {
                sealed.unsettled.store(true, std::sync::atomic::Ordering::Release);
                sealed.release()
            });
            list.push(segment);
            released
        };
        // Outside the list's lock: letting the previous one go may close a sled database.
        self.keep_recent(released);
    }

    /// Keeps `store`, a sealed segment's handles, open as the one used last; the one kept
    /// before is let go (and closes unless a reader still holds it).
    fn keep_recent(&self, store: Option<Store>) {
        let previous = std::mem::replace(&mut *self.recent.lock().unwrap_or_else(|p| p.into_inner()), store);
        drop(previous);
    }

    /// Makes the segment that starts after `head`, whole or not at all, and appends it.
    fn add(&self, genesis: &[u8], head: &Head) -> Result<()> {
        let first_seq = head.seq + 1;
        let path = self.root.join(seq_name(first_seq));
        let tmp = self.root.join(format!("{}.tmp", seq_name(first_seq)));
        if tmp.exists() {
            std::fs::remove_dir_all(&tmp).map_err(|e| JournalError::io(&tmp, e))?;
        }
        {
            let store = open_store(&tmp, &self.options)?;
            begin(&store, genesis, head)?;
        }
        // sled may still be closing its files in the background; they stay valid across
        // the rename, and opening the new path waits for its lock.
        std::fs::rename(&tmp, &path).map_err(|e| JournalError::io(&path, e))?;
        sync_dir(&self.root)?;
        let store = open_store(&path, &self.options)?;
        self.push(Segment::new(first_seq, path, Some(store), false));
        Ok(())
    }

    /// Settles every segment this process sealed (see [`Segment::settle`]); a clean close
    /// calls it, so the next open and replay of this journal read no sled log in full.
    pub fn settle(&self) {
        self.keep_recent(None);
        let sealed: Vec<_> = {
            let list = self.list.read().unwrap_or_else(|p| p.into_inner());
            list[..list.len().saturating_sub(1)].to_vec()
        };
        for (index, segment) in sealed.iter().enumerate() {
            segment.settle(&self.sealed_options(index));
        }
    }

    /// The blocks of segment `index` from block key `from` on.
    pub fn blocks_of(&self, index: usize, from: u64) -> Result<Option<StoreBlocks>> {
        Ok(self.store(index)?.map(|store| store.blocks_from(from)))
    }

    /// Options for opening segment `index`: sealed ones get a small cache.
    fn sealed_options(&self, index: usize) -> StoreOptions {
        let mut options = self.options.clone();
        if index + 1 < self.len() {
            options.cache_capacity = options.cache_capacity.min(SEALED_CACHE);
        }
        options
    }

    /// Segment `index`'s sled handles (opened if needed).
    pub fn store(&self, index: usize) -> Result<Option<Store>> {
        let Some(segment) = self.get(index) else { return Ok(None) };
        let store = segment.store(&self.sealed_options(index))?;
        if index + 1 < self.len() {
            self.keep_recent(Some(store.clone()));
        }
        Ok(Some(store))
    }
}

#[cfg(test)]
impl Segments {
    /// How many segments have their sled database open now.
    pub fn open_count(&self) -> usize {
        let list = self.list.read().unwrap_or_else(|p| p.into_inner());
        list.iter().filter(|segment| segment.held().shared.strong_count() > 0).count()
    }
}

/// Gives a new segment's database `G` and `head` (the record before its first seq), durably.
fn begin(store: &Store, genesis: &[u8], head: &Head) -> Result<()> {
    let mut batch = sled::Batch::default();
    batch.insert(GENESIS_KEY, genesis);
    batch.insert(HEAD_KEY, &head.encode()[..]);
    guard(|| store.log.apply_batch(batch))?;
    guard(|| store.db.flush()).map(|_| ())
}

fn open_store(path: &Path, options: &StoreOptions) -> Result<Store> {
    Store::open(storage::open_db(path, options)?)
}

impl Drop for Segments {
    /// A next segment made but not linked holds nothing: it is closed and removed.
    fn drop(&mut self) {
        let handle = self.next.get_mut().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(Ok(Ok(next))) = handle.map(JoinHandle::join) {
            drop(next.store);
            if let Err(error) = std::fs::remove_dir_all(&next.dir) {
                tracing::debug!(dir = %next.dir.display(), %error, "next segment left for the next open to remove");
            }
        }
    }
}

/// Removes every `SEQ.next` folder in `root` that no segment links to: what a crash (or a
/// failed removal) left of a next segment made ahead, which holds no block. One that holds a
/// block is never removed: its link was lost, so the journal is refused (a seq gap is
/// reported by the scan that follows, naming the first seq missing).
fn remove_unlinked_next(root: &Path, seqs: &[u64], options: &StoreOptions) -> Result<()> {
    let mut linked = std::collections::BTreeSet::new();
    for &seq in seqs {
        if let Ok(target) = std::fs::read_link(root.join(seq_name(seq))) {
            linked.insert(target);
        }
    }
    let entries = std::fs::read_dir(root).map_err(|e| JournalError::io(root, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(root, e))?;
        let name = PathBuf::from(entry.file_name());
        if !name.to_string_lossy().ends_with(NEXT_SUFFIX) || linked.contains(&name) {
            continue;
        }
        let path = entry.path();
        let holds_a_block = open_store(&path, options)?.blocks_from(0).next()?.is_some();
        if holds_a_block {
            tracing::warn!(folder = %path.display(), "a segment folder holds blocks but no segment links to it; left in place");
        } else {
            std::fs::remove_dir_all(&path).map_err(|e| JournalError::io(&path, e))?;
        }
    }
    Ok(())
}
