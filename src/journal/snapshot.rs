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

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::chain::ChainHash;
use super::error::{JournalError, Result};
use super::head::Head;
use super::layout::{list_seqs, seq_name, sync_dir};
use super::reader::Reader;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub seq: u64,
    pub hash: ChainHash,
    pub data: Vec<u8>,
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
        let folder = self.folder(name)?;
        if self.reader.hash_at(at.seq)? != Some(at.hash) {
            return Err(JournalError::Invalid(format!("seq {} with hash {} is not in this journal", at.seq, at.hash)));
        }
        fs::create_dir_all(&folder).map_err(|e| JournalError::io(&folder, e))?;
        let mut crc = crc32c::crc32c(&at.hash.0);
        crc = crc32c::crc32c_append(crc, data);
        let tmp = folder.join(format!("{}.tmp", seq_name(at.seq)));
        let write = |file: &mut File| -> std::io::Result<()> {
            file.write_all(MAGIC)?;
            file.write_all(&crc.to_le_bytes())?;
            file.write_all(&at.hash.0)?;
            file.write_all(data)?;
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
            let (header, data) = match read(&path) {
                Ok(read) => read,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(JournalError::io(&path, e)),
            };
            if let Some(snapshot) = self.decode(seq, &header, data)? {
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

    fn decode(&self, seq: u64, header: &Option<[u8; HEADER]>, data: Vec<u8>) -> Result<Option<Snapshot>> {
        let Some(header) = header.filter(|h| &h[..MAGIC.len()] == MAGIC) else {
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

/// A snapshot file's header (`None` if the file is shorter) and the bytes after it.
fn read(path: &Path) -> std::io::Result<(Option<[u8; HEADER]>, Vec<u8>)> {
    let mut file = File::open(path)?;
    let len = file.metadata()?.len() as usize;
    let mut header = [0; HEADER];
    if len < HEADER {
        return Ok((None, Vec::new()));
    }
    file.read_exact(&mut header)?;
    let mut data = Vec::with_capacity(len - HEADER);
    file.read_to_end(&mut data)?;
    Ok((Some(header), data))
}

fn file_of(folder: &Path, seq: u64) -> PathBuf {
    folder.join(format!("{}{SUFFIX}", seq_name(seq)))
}
