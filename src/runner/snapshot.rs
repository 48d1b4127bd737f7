//! Simulation snapshots: the whole simulation between two inputs — the engine's state, the
//! venue, and how far the run has read its bars and commands — saved in the journal's
//! snapshot store every so many records, so resuming an interrupted run re-simulates only
//! from the newest one instead of from genesis. A snapshot is a cache: one that does not
//! decode (another build, another venue) is skipped, and resuming falls back to an older one
//! or to genesis.

use serde::{Deserialize, Serialize, de::DeserializeOwned};

use super::sim::SimStats;
use crate::engine::EngineState;
use crate::journal::{Head, JournalError, Reader, SnapshotStore};
use crate::market::SourcePosition;

/// The snapshot-store name of simulation snapshots.
pub const NAME: &str = "sim";
/// Bumped whenever the shape of a snapshot (or anything in it) changes (2: the cursor
/// holds the bar source's position; 3: an order's average price is derived, not stored;
/// 4: the engine counts refused inputs).
pub const FORMAT: u32 = 4;
/// Snapshots kept after a save.
pub const KEEP: usize = 2;
/// Records between two snapshots, by default.
pub const DEFAULT_EVERY: u64 = 10_000;

/// Where the simulation loop stands: inputs read so far and the pending timer.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    /// Bars fed to the engine.
    pub bars: u64,
    /// Where the bar source stands before the next bar, if it can seek there (else the
    /// resumed run reads past `bars` bars).
    pub bar_position: Option<SourcePosition>,
    /// Scenario commands fed to the engine.
    pub commands: u64,
    /// The engine's next timer deadline.
    pub timer: Option<i64>,
    pub stats: SimStats,
}

/// Everything needed to carry on a simulation from seq `seq`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SimSnapshot<V> {
    pub format: u32,
    pub seq: u64,
    pub engine: EngineState,
    pub venue: V,
    pub cursor: Cursor,
}

/// Takes simulation snapshots every `every` records.
pub struct Snapshots {
    pub every: u64,
    pub store: SnapshotStore,
    pub reader: Reader,
    /// The seq of the last snapshot taken (or resumed from).
    pub last: u64,
}

impl Snapshots {
    pub fn due(&self, seq: u64) -> bool {
        self.every > 0 && seq >= self.last.saturating_add(self.every)
    }

    /// Saves `snapshot` (its seq must be durable) and prunes older ones.
    pub fn save<V: Serialize>(&mut self, snapshot: &SimSnapshot<V>) -> Result<(), JournalError> {
        let data = bincode::serde::encode_to_vec(snapshot, bincode::config::standard())
            .map_err(|e| JournalError::Encode(e.to_string()))?;
        let hash = self
            .reader
            .hash_at(snapshot.seq)?
            .ok_or_else(|| JournalError::Invalid(format!("snapshot at seq {} beyond the journal", snapshot.seq)))?;
        self.store.save(NAME, Head { seq: snapshot.seq, hash }, &data)?;
        self.store.prune(NAME, KEEP)?;
        self.last = snapshot.seq;
        Ok(())
    }
}

/// The newest usable snapshot at or below `head_seq`.
pub fn load<V: DeserializeOwned>(store: &SnapshotStore, head_seq: u64) -> Result<Option<SimSnapshot<V>>, JournalError> {
    let mut bound = head_seq;
    while let Some(snapshot) = store.load_latest(NAME, bound)? {
        match crate::journal::decode_prefix::<SimSnapshot<V>, _>(&snapshot.data, bincode::config::standard()) {
            Ok((decoded, used))
                if used == snapshot.data.len() && decoded.format == FORMAT && decoded.seq == snapshot.seq =>
            {
                return Ok(Some(decoded));
            }
            Ok(_) => tracing::warn!(seq = snapshot.seq, "skipping a simulation snapshot of another format"),
            Err(error) => tracing::warn!(seq = snapshot.seq, %error, "skipping an undecodable simulation snapshot"),
        }
        let Some(older) = snapshot.seq.checked_sub(1) else { break };
        bound = older;
    }
    Ok(None)
}
