//! Projection checkpoints: opaque bytes tagged with the (seq, chain hash) they reflect, one
//! file each under `DIR/snapshots/NAME/`. Loading picks the newest valid one at or below a
//! target seq.
//!
//! Files, not sled: checkpoints are large (tens to hundreds of MB) and rewritten often, and
//! sled 0.34 re-reads everything written to it since its last open when it opens, so
//! checkpoints kept in sled made every open pay for every checkpoint ever saved.
//!
//! File `SEQ.snap` (SEQ zero-padded to 20 digits, so names sort by seq):
//! `magic "SNP1" ‖ crc32c(hash ‖ data): u32 LE ‖ hash: 32 B ‖ data`. A save writes
//! `SEQ.tmp`, fsyncs it, renames it into place and fsyncs the directory, so a crash leaves
//! the old set or the new one, never a torn file under a `.snap` name.
//! A snapshot is a cache: one that fails its checks, or whose hash is not the journal's hash
//! at its seq (it belongs to another history), is skipped with a warning, never trusted.
//!
//! A loaded snapshot's bytes are the file mapped into memory, not a copy: checking the CRC of
//! a 500 MB checkpoint that is in the page cache takes ~50 ms, reading it into a buffer ~400 ms,
//! and a reader that decodes only what it needs (the views checkpoint's order table) touches
//! no more. The files are never written after their rename and the journal's lock keeps other
//! blotter processes out; a file truncated by hand while mapped would fault the process.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::ops::Deref;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::chain::ChainHash;
use super::error::{JournalError, Result};
use super::head::Head;
use super::layout::{list_seqs, seq_name, sync_dir};
use super::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub seq: u64,
    pub hash: ChainHash,
    pub data: SnapshotData,
}

/// A snapshot's bytes, mapped from its file (CRC already checked). Cheap to clone: readers
/// may keep it and decode parts of it later.
#[derive(Clone)]
pub struct SnapshotData(Bytes);

#[derive(Clone)]
enum Bytes {
    /// A whole snapshot file; the data follows its header.
    Mapped(Arc<memmap2::Mmap>),
    Owned(Arc<[u8]>),
}

impl SnapshotData {
    /// Maps `file`, whose bytes after the header are the data (the file is at least `HEADER` long).
    fn map(file: &File) -> std::io::Result<SnapshotData> {
        // SAFETY: snapshot files are immutable once renamed into place (saves write a new
        // file), and the journal lock keeps other blotter processes from touching them.
        let map = unsafe { memmap2::MmapOptions::new().map(file)? };
        Ok(SnapshotData(Bytes::Mapped(Arc::new(map))))
    }

    /// Bytes held in memory (tests, and data that never went to a file).
    pub fn from_vec(bytes: Vec<u8>) -> SnapshotData {
        SnapshotData(Bytes::Owned(bytes.into()))
    }
}

impl Deref for SnapshotData {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        match &self.0 {
            Bytes::Mapped(map) => &map[HEADER..],
            Bytes::Owned(bytes) => bytes,
        }
    }
}

impl PartialEq for SnapshotData {
    fn eq(&self, other: &Self) -> bool {
        **self == **other
    }
}

impl Eq for SnapshotData {}

impl std::fmt::Debug for SnapshotData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SnapshotData({} bytes)", self.len())
    }
}

pub struct SnapshotStore {
    dir: PathBuf,
    reader: Reader,
}

const MAGIC: &[u8; 4] = b"SNP1";
const HEADER: usize = MAGIC.len() + 4 + ChainHash::LEN;
const SUFFIX: &str = ".snap";

impl SnapshotStore {
    /// The store rooted at `dir` (created on the first save), checked against `reader`.
    pub(crate) fn new(dir: PathBuf, reader: Reader) -> Self {
        SnapshotStore { dir, reader }
    }

    /// Saves `data` as the state of `name` at `at`, durably. `at` must be a record of this
    /// journal (or seq 0 with `h(0)`).
    pub fn save(&self, name: &str, at: Head, data: &[u8]) -> Result<()> {
        self.save_parts(name, at, &[data])
    }

    /// [`SnapshotStore::save`] of the concatenation of `parts` (written in turn, never joined
    /// in memory).
    pub fn save_parts(&self, name: &str, at: Head, parts: &[&[u8]]) -> Result<()> {
        let folder = self.folder(name)?;
        if self.reader.hash_at(at.seq)? != Some(at.hash) {
            return Err(JournalError::Invalid(format!("seq {} with hash {} is not in this journal", at.seq, at.hash)));
        }
        fs::create_dir_all(&folder).map_err(|e| JournalError::io(&folder, e))?;
        let crc = parts.iter().fold(crc32c::crc32c(&at.hash.0), |crc, part| crc32c::crc32c_append(crc, part));
        let tmp = folder.join(format!("{}.tmp", seq_name(at.seq)));
        let write = |file: &mut File| -> std::io::Result<()> {
            file.write_all(MAGIC)?;
            file.write_all(&crc.to_le_bytes())?;
            file.write_all(&at.hash.0)?;
            for part in parts {
                file.write_all(part)?;
            }
            file.sync_all()
        };
        File::create(&tmp).and_then(|mut file| write(&mut file)).map_err(|e| JournalError::io(&tmp, e))?;
        let path = file_of(&folder, at.seq);
        fs::rename(&tmp, &path).map_err(|e| JournalError::io(&path, e))?;
        sync_dir(&folder)
    }

    /// The newest valid snapshot of `name` at or below `at_or_below`.
    pub fn load_latest(&self, name: &str, at_or_below: u64) -> Result<Option<Snapshot>> {
        let folder = self.folder(name)?;
        for seq in self.seqs(name)?.into_iter().rev().filter(|seq| *seq <= at_or_below) {
            let path = file_of(&folder, seq);
            let read = match read(&path) {
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(JournalError::io(&path, e)),
            };
            if let Some(snapshot) = self.decode(seq, read)? {
                return Ok(Some(snapshot));
            }
        }
        Ok(None)
    }

    /// The seqs at which `name` has snapshots, oldest first.
    pub fn seqs(&self, name: &str) -> Result<Vec<u64>> {
        Ok(list_seqs(&self.folder(name)?, SUFFIX)?.seqs)
    }

    /// Removes all but the newest `keep` snapshots of `name` (and any `.tmp` a crash left).
    pub fn prune(&self, name: &str, keep: usize) -> Result<usize> {
        let folder = self.folder(name)?;
        let listing = list_seqs(&folder, SUFFIX)?;
        let excess = listing.seqs.len().saturating_sub(keep);
        for seq in &listing.seqs[..excess] {
            let path = file_of(&folder, *seq);
            fs::remove_file(&path).map_err(|e| JournalError::io(&path, e))?;
        }
        for leftover in &listing.leftovers {
            let _ = fs::remove_file(leftover);
        }
        if excess > 0 {
            sync_dir(&folder)?;
        }
        Ok(excess)
    }

    /// `DIR/snapshots/NAME`; names are plain words so they are safe as folder names.
    fn folder(&self, name: &str) -> Result<PathBuf> {
        let plain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '_';
        if name.is_empty() || name.len() > 64 || !name.chars().all(plain) {
            return Err(JournalError::Invalid(format!("bad snapshot name {name:?}")));
        }
        Ok(self.dir.join(name))
    }

    fn decode(&self, seq: u64, read: Option<([u8; HEADER], SnapshotData)>) -> Result<Option<Snapshot>> {
        let Some((header, data)) = read.filter(|(header, _)| &header[..MAGIC.len()] == MAGIC) else {
            tracing::warn!(seq, "snapshot file is not a snapshot; skipped");
            return Ok(None);
        };
        let stored = u32::from_le_bytes(header[4..8].try_into().expect("4 bytes"));
        if stored != crc32c::crc32c_append(crc32c::crc32c(&header[8..]), &data) {
            tracing::warn!(seq, "snapshot fails its checksum; skipped");
            return Ok(None);
        }
        let hash = ChainHash::from_slice(&header[8..]).expect("32 bytes");
        if self.reader.hash_at(seq)? != Some(hash) {
            tracing::warn!(seq, "snapshot is not of this journal's history; skipped");
            return Ok(None);
        }
        Ok(Some(Snapshot { seq, hash, data }))
    }
}

/// A snapshot file's header and the bytes after it (`None` if the file is shorter than a header).
fn read(path: &Path) -> std::io::Result<Option<([u8; HEADER], SnapshotData)>> {
    let mut file = File::open(path)?;
    if (file.metadata()?.len() as usize) < HEADER {
        return Ok(None);
    }
    let mut header = [0; HEADER];
    file.read_exact(&mut header)?;
    Ok(Some((header, SnapshotData::map(&file)?)))
}

fn file_of(folder: &Path, seq: u64) -> PathBuf {
    folder.join(format!("{}{SUFFIX}", seq_name(seq)))
}
