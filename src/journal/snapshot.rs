//! Projection checkpoints: opaque bytes tagged with the (seq, chain hash) they reflect,
//! kept in their own sled tree. Loading picks the newest valid one at or below a target seq.
//!
//! Key: `name ‖ 0x00 ‖ seq` (big-endian). Value: `crc32c(hash ‖ data) ‖ hash ‖ data`.
//! A snapshot is a cache: one that fails its CRC, or whose hash is not the journal's hash at
//! its seq (it belongs to another history), is skipped with a warning, never trusted.

use super::chain::ChainHash;
use super::error::{JournalError, Result};
use super::head::Head;
use super::reader::Reader;
use super::storage::guard;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    pub seq: u64,
    pub hash: ChainHash,
    pub data: Vec<u8>,
}

pub struct SnapshotStore {
    db: sled::Db,
    tree: sled::Tree,
    reader: Reader,
}

fn key(name: &str, seq: u64) -> Vec<u8> {
    let mut key = Vec::with_capacity(name.len() + 9);
    key.extend_from_slice(name.as_bytes());
    key.push(0);
    key.extend_from_slice(&seq.to_be_bytes());
    key
}

impl SnapshotStore {
    pub(crate) fn new(db: sled::Db, tree: sled::Tree, reader: Reader) -> Self {
        SnapshotStore { db, tree, reader }
    }

    /// Saves `data` as the state of `name` at `at`, durably. `at` must be a record of this
    /// journal (or seq 0 with `h(0)`).
    pub fn save(&self, name: &str, at: Head, data: &[u8]) -> Result<()> {
        if name.is_empty() || name.contains('\0') {
            return Err(JournalError::Invalid(format!("bad snapshot name {name:?}")));
        }
        if self.reader.hash_at(at.seq)? != Some(at.hash) {
            return Err(JournalError::Invalid(format!("seq {} with hash {} is not in this journal", at.seq, at.hash)));
        }
        let mut value = Vec::with_capacity(4 + ChainHash::LEN + data.len());
        value.extend_from_slice(&[0; 4]);
        value.extend_from_slice(&at.hash.0);
        value.extend_from_slice(data);
        let crc = crc32c::crc32c(&value[4..]);
        value[..4].copy_from_slice(&crc.to_le_bytes());
        guard(|| self.tree.insert(key(name, at.seq), value))?;
        guard(|| self.db.flush())?;
        Ok(())
    }

    /// The newest valid snapshot of `name` at or below `at_or_below`.
    pub fn load_latest(&self, name: &str, at_or_below: u64) -> Result<Option<Snapshot>> {
        let range = key(name, 0)..=key(name, at_or_below);
        for entry in self.tree.range(range).rev() {
            let (key, value) = guard(|| entry)?;
            let seq = u64::from_be_bytes(key[key.len() - 8..].try_into().expect("8-byte seq suffix"));
            match self.decode(seq, &value)? {
                Some(snapshot) => return Ok(Some(snapshot)),
                None => continue,
            }
        }
        Ok(None)
    }

    /// The seqs at which `name` has snapshots, oldest first.
    pub fn seqs(&self, name: &str) -> Result<Vec<u64>> {
        let mut seqs = Vec::new();
        for entry in self.tree.range(key(name, 0)..=key(name, u64::MAX)) {
            let (key, _) = guard(|| entry)?;
            seqs.push(u64::from_be_bytes(key[key.len() - 8..].try_into().expect("8-byte seq suffix")));
        }
        Ok(seqs)
    }

    /// Removes all but the newest `keep` snapshots of `name`.
    pub fn prune(&self, name: &str, keep: usize) -> Result<usize> {
        let seqs = self.seqs(name)?;
        let excess = seqs.len().saturating_sub(keep);
        for seq in &seqs[..excess] {
            guard(|| self.tree.remove(key(name, *seq)))?;
        }
        guard(|| self.db.flush())?;
        Ok(excess)
    }

    fn decode(&self, seq: u64, value: &[u8]) -> Result<Option<Snapshot>> {
        if value.len() < 4 + ChainHash::LEN {
            tracing::warn!(seq, "snapshot too short; skipped");
            return Ok(None);
        }
        let stored = u32::from_le_bytes(value[..4].try_into().expect("4 bytes"));
        if stored != crc32c::crc32c(&value[4..]) {
            tracing::warn!(seq, "snapshot fails its checksum; skipped");
            return Ok(None);
        }
        let hash = ChainHash::from_slice(&value[4..4 + ChainHash::LEN]).expect("32 bytes");
        if self.reader.hash_at(seq)? != Some(hash) {
            tracing::warn!(seq, "snapshot is not of this journal's history; skipped");
            return Ok(None);
        }
        Ok(Some(Snapshot { seq, hash, data: value[4 + ChainHash::LEN..].to_vec() }))
    }
}
