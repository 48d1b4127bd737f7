//! The head witness: a small file beside the store naming the last acknowledged head.
//!
//! sled treats a damaged log tail as a torn write and silently recovers to an earlier
//! state. The witness lets the journal notice when that loses records it already
//! acknowledged: it is rewritten (not fsynced; a process crash keeps the page cache) after
//! every successful flush and before any acknowledgement, so it never names a seq that was
//! not durable, and at open the store must reach at least the witnessed seq, with the
//! witnessed hash.

use std::fs::{File, OpenOptions};
use std::io::Read;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;

use super::error::{Corruption, CorruptionKind, JournalError, Location, Result};
use super::head::{self, Head};

pub struct Witness {
    path: PathBuf,
    file: File,
}

impl Witness {
    /// Opens (creating if absent) the witness at `path`, returning what it currently says.
    pub fn open(path: PathBuf) -> Result<(Witness, Option<Result<Head, Corruption>>)> {
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| JournalError::io(&path, e))?;
        // Bounded: a damaged witness cannot make us read without limit.
        let mut bytes = Vec::with_capacity(head::ENCODED_BYTES + 1);
        (&mut file)
            .take(head::ENCODED_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| JournalError::io(&path, e))?;
        let said = (!bytes.is_empty()).then(|| Head::decode(&bytes, Location::Witness));
        Ok((Witness { path, file }, said))
    }

    /// Records `head` as acknowledged.
    pub fn write(&self, head: &Head) -> Result<()> {
        self.file.write_all_at(&head.encode(), 0).map_err(|e| JournalError::io(&self.path, e))
    }

    /// Records `head` and waits for it to reach the disk (used at creation and close).
    pub fn write_synced(&self, head: &Head) -> Result<()> {
        self.write(head)?;
        self.file.set_len(head::ENCODED_BYTES as u64).map_err(|e| JournalError::io(&self.path, e))?;
        self.file.sync_data().map_err(|e| JournalError::io(&self.path, e))
    }
}

/// Checks what the witness said against the store's head and the hash stored at the
/// witnessed seq (looked up by `hash_at`).
pub fn check(
    said: Option<Result<Head, Corruption>>,
    head: &Head,
    hash_at: impl FnOnce(u64) -> Result<Option<super::chain::ChainHash>>,
) -> Result<()> {
    let corrupt = |kind| JournalError::Corrupt(Corruption::new(Location::Witness, kind));
    let witnessed = match said {
        None if head.seq == 0 => return Ok(()),
        None => return Err(corrupt(CorruptionKind::Missing("head witness of a non-empty journal"))),
        Some(result) => result?,
    };
    if witnessed.seq > head.seq {
        return Err(JournalError::Corrupt(Corruption::new(
            Location::Seq(head.seq + 1),
            CorruptionKind::AcknowledgedMissing { witnessed_seq: witnessed.seq, stored_seq: head.seq },
        )));
    }
    if witnessed.seq == 0 {
        return Ok(());
    }
    match hash_at(witnessed.seq)? {
        Some(hash) if hash == witnessed.hash => Ok(()),
        _ => Err(JournalError::Corrupt(Corruption::new(
            Location::Seq(witnessed.seq),
            CorruptionKind::HeadMismatch("the stored record differs from the one acknowledged".into()),
        ))),
    }
}
