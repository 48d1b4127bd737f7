//! The sled side: opening the database with explicit settings and turning sled's errors
//! (and, since sled 0.34 is beta, its panics on damaged files) into journal errors.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use super::error::{Corruption, CorruptionKind, JournalError, Location, Result};

/// Settings for the sled store.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    /// sled's page cache (its default is 1 GiB). Blocks are read once during replay, so a
    /// small cache loses little.
    pub cache_capacity: u64,
    /// Bytes of blocks after which the writer seals the segment it writes and starts a new
    /// one (a reopened segment counts its size on disk). Opening a journal reads its newest
    /// segment's sled log, so this bounds the time to open.
    pub segment_bytes: u64,
}

impl Default for StoreOptions {
    fn default() -> Self {
        StoreOptions { cache_capacity: 64 * 1024 * 1024, segment_bytes: 32 * 1024 * 1024 }
    }
}

pub const LOG_TREE: &str = "log";

/// Opens (or creates) the sled database at `path`. The journal flushes explicitly after
/// every batch, so sled's background flusher is off: nothing is written that the journal
/// did not ask for.
pub fn open_db(path: &Path, options: &StoreOptions) -> Result<sled::Db> {
    open_db_within(path, options, LOCK_RELEASE_WAIT)
}

/// [`open_db`], waiting at most `wait` for this process's previous instance to let go.
pub fn open_db_within(path: &Path, options: &StoreOptions, wait: std::time::Duration) -> Result<sled::Db> {
    let config = sled::Config::new()
        .path(path)
        .cache_capacity(options.cache_capacity)
        .flush_every_ms(None)
        .mode(sled::Mode::HighThroughput);
    // sled releases its file lock asynchronously after a Db is dropped (its background
    // threads hold the file a moment longer). We hold DIR/LOCK, so a sled lock conflict can
    // only be this process's previous instance going away: wait for it, bounded.
    remove_torn_snapshots(path)?;
    let deadline = std::time::Instant::now() + wait;
    loop {
        match guard(|| config.open()) {
            Err(JournalError::Storage(message))
                if message.contains("could not acquire lock") && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            other => return other,
        }
    }
}

/// Removes what a crash left of sled's own snapshot writes. sled 0.34 writes its snapshot on
/// every open to `snap.LSN.generating`, fsyncs it and renames it to `snap.LSN`; but when it
/// opens, it takes the last `snap.*` name as its newest snapshot, `.generating` included, and
/// refuses to open ("corruption") if that file is torn. A `.generating` file is never a
/// finished snapshot (the finished one has been renamed, and the previous one is kept until
/// then), and no other instance is opening this database now (the journal lock excludes
/// other processes; within this one, each segment is opened by one caller at a time), so
/// removing it loses nothing: sled falls back to its previous snapshot and reads more log.
fn remove_torn_snapshots(path: &Path) -> Result<()> {
    let entries = match std::fs::read_dir(path) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(JournalError::io(path, e)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| JournalError::io(path, e))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("snap.") && name.ends_with(".generating") {
            tracing::warn!(file = %entry.path().display(), "removing a torn sled snapshot left by a crash");
            std::fs::remove_file(entry.path()).map_err(|e| JournalError::io(entry.path(), e))?;
        }
    }
    Ok(())
}

/// How long to wait for a previous sled instance of this process to release its lock.
const LOCK_RELEASE_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// Runs a sled call, mapping its errors and catching its panics.
pub fn guard<T>(call: impl FnOnce() -> sled::Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(call)) {
        Ok(Ok(value)) => Ok(value),
        Ok(Err(e)) => Err(from_sled(e)),
        Err(panic) => Err(JournalError::Corrupt(Corruption::new(
            Location::Storage,
            CorruptionKind::Storage(format!("sled panicked: {}", panic_message(&panic))),
        ))),
    }
}

pub fn from_sled(error: sled::Error) -> JournalError {
    match error {
        sled::Error::Corruption { at, .. } => JournalError::Corrupt(Corruption::new(
            Location::Storage,
            CorruptionKind::Storage(format!("sled reports corruption at {at:?}")),
        )),
        sled::Error::Io(e) => JournalError::Storage(format!("sled I/O: {e}")),
        other => JournalError::Storage(other.to_string()),
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    if let Some(text) = panic.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = panic.downcast_ref::<String>() {
        text.clone()
    } else {
        "unknown panic".to_string()
    }
}
