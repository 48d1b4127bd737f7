//! The journal directory:
//!
//! ```text
//! DIR/LOCK    exclusive lock held by the one process that has the journal open; it
//!             names that process (`pid N: command line`; the last one, once released)
//!             for whoever finds it locked
//! DIR/HEAD    head witness (see `witness.rs`)
//! DIR/store/      the sled databases, one per segment of seqs (see `segments.rs`)
//! DIR/snapshots/  projection checkpoints, one file each (see `snapshot.rs`)
//! ```
//! Other files in DIR (a README) are left alone.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use super::error::{JournalError, Result};

#[derive(Debug, Clone)]
pub struct Layout {
    pub dir: PathBuf,
}

impl Layout {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Layout { dir: dir.into() }
    }

    pub fn store(&self) -> PathBuf {
        self.dir.join("store")
    }

    pub fn snapshots(&self) -> PathBuf {
        self.dir.join("snapshots")
    }

    pub fn witness(&self) -> PathBuf {
        self.dir.join("HEAD")
    }

    pub fn lock_file(&self) -> PathBuf {
        self.dir.join("LOCK")
    }

    /// Whether a journal has been created here (its store exists).
    pub fn exists(&self) -> bool {
        super::segments::Segments::exist(&self.store())
    }

    /// Refuses a journal written before the store was split into segments (one sled
    /// database directly under `store/`): it is neither read nor written over.
    pub fn refuse_unsegmented(&self) -> Result<()> {
        if self.store().join("db").is_file() {
            return Err(JournalError::Invalid(format!(
                "{} holds a journal of an older blotter (one sled database in store/); export it \
                 with that build and `blotter import` it here",
                self.dir.display()
            )));
        }
        Ok(())
    }

    /// Takes the exclusive lock; a second holder (another process, or another open in this
    /// one) gets [`JournalError::Locked`]. Released when the returned file is dropped.
    ///
    /// A busy lock is retried for [`LOCK_PATIENCE`]: a child forked by another thread holds a
    /// copy of our lock's descriptor until it execs (close-on-exec), so a journal closed and
    /// reopened at that moment looks locked for a few microseconds.
    pub fn lock(&self) -> Result<File> {
        if self.dir.exists() && !self.dir.is_dir() {
            return Err(JournalError::Invalid(format!("{} is a file, not a journal directory", self.dir.display())));
        }
        std::fs::create_dir_all(&self.dir).map_err(|e| JournalError::io(&self.dir, e))?;
        let path = self.lock_file();
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| JournalError::io(&path, e))?;
        let deadline = std::time::Instant::now() + LOCK_PATIENCE;
        loop {
            match file.try_lock() {
                Ok(()) => {
                    // Advisory only (who holds it, for the next one to find it locked): a
                    // journal that opens must not fail for want of that line.
                    let _ = name_the_holder(&file);
                    return Ok(file);
                }
                Err(std::fs::TryLockError::WouldBlock) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(std::fs::TryLockError::WouldBlock) => {
                    return Err(JournalError::Locked { dir: self.dir.clone(), holder: holder(&path) });
                }
                Err(std::fs::TryLockError::Error(e)) => return Err(JournalError::io(&path, e)),
            }
        }
    }
}

/// The lock file's line about its holder, at most this long.
const MAX_HOLDER_BYTES: usize = 300;

/// Writes `pid N: command line` into the (held, just opened) lock file.
fn name_the_holder(mut file: &File) -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let mut line = format!("pid {}: {}", std::process::id(), args.join(" "));
    let cut = (0..=MAX_HOLDER_BYTES.min(line.len())).rev().find(|&at| line.is_char_boundary(at)).unwrap_or(0);
    line.truncate(cut);
    file.set_len(0)?;
    file.write_all(line.as_bytes())
}

/// What the lock file at `path` says about its holder, or that it says nothing.
fn holder(path: &Path) -> String {
    let mut bytes = Vec::with_capacity(MAX_HOLDER_BYTES);
    let read = File::open(path).and_then(|file| file.take(MAX_HOLDER_BYTES as u64).read_to_end(&mut bytes));
    let line = String::from_utf8_lossy(&bytes).trim().to_owned();
    if read.is_err() || line.is_empty() { "which one is not recorded".to_owned() } else { line }
}

/// How long a busy journal lock is retried before it is reported as held.
pub const LOCK_PATIENCE: std::time::Duration = std::time::Duration::from_millis(200);

/// Total bytes of all files under `path` (disk usage of a journal).
pub fn bytes_on_disk(path: &Path) -> std::io::Result<u64> {
    let mut total = 0;
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        let meta = entry.metadata()?;
        total += if meta.is_dir() { bytes_on_disk(&entry.path())? } else { meta.len() };
    }
    Ok(total)
}

/// A file or folder name for `seq`: zero-padded to 20 digits, so names sort by seq.
pub(crate) fn seq_name(seq: u64) -> String {
    format!("{seq:020}")
}

/// What a folder of seq-named entries (segments, snapshots) holds.
pub(crate) struct SeqListing {
    /// The seqs of entries named `seq_name(seq) ‖ suffix`, ascending.
    pub seqs: Vec<u64>,
    /// Entries named `*.tmp`: what a crash left of an unfinished write.
    pub leftovers: Vec<PathBuf>,
}

/// Lists `folder` (a missing folder holds nothing); other entries are ignored.
pub(crate) fn list_seqs(folder: &Path, suffix: &str) -> Result<SeqListing> {
    let mut listing = SeqListing { seqs: Vec::new(), leftovers: Vec::new() };
    let entries = match std::fs::read_dir(folder) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(listing),
        Err(e) => return Err(JournalError::io(folder, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(folder, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.ends_with(".tmp") {
            listing.leftovers.push(entry.path());
        } else if let Some(digits) = name.strip_suffix(suffix)
            && digits.len() == 20
            && digits.bytes().all(|b| b.is_ascii_digit())
        {
            listing.seqs.extend(digits.parse::<u64>().ok());
        }
    }
    listing.seqs.sort_unstable();
    Ok(listing)
}

/// Makes a rename or removal in `folder` durable.
pub(crate) fn sync_dir(folder: &Path) -> Result<()> {
    File::open(folder).and_then(|dir| dir.sync_all()).map_err(|e| JournalError::io(folder, e))
}
