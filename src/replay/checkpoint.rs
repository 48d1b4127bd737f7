//! Projection checkpoints: the [`Views`] as of a seq, kept in the journal's snapshot store so
//! a replay folds only the tail.
//!
//! Stored as `bincode(Header) ‖ bincode(positions, reconciliations) ‖ order table` (see
//! [`OrderTable`]): opening reads the small views and leaves the orders in the mapped file,
//! to be decoded one by one as the tail or a query reaches them. The header carries a format
//! version (a checkpoint written by a build with other view types is skipped, not misread)
//! and the engine time of its last record (for `--until-time`). A checkpoint is a cache: one that
//! cannot be used is skipped with a warning and the replay falls back to an older one or to
//! genesis.

use serde::{Deserialize, Serialize};

use super::{ReplayError, Replayed, Until};
use crate::journal::{Head, Journal, JournalError, SnapshotData, decode_prefix};
use crate::projection::{Oms, OrderTable, Positions, Reconciliations, Views, order_table};

/// The snapshot-store name of the order views.
pub const NAME: &str = "views";
/// Bumped whenever the shape of [`Views`] (or anything in it) changes (4: an order's average
/// price is derived, not stored).
pub const FORMAT: u32 = 4;
/// Checkpoints kept after a save; older ones are pruned.
pub const KEEP: usize = 3;

/// Checkpoints are our own CRC-checked bytes, often far above the journal's per-record limit.
const LIMIT: usize = 1 << 36;

fn config() -> impl bincode::config::Config {
    bincode::config::standard().with_limit::<LIMIT>()
}

/// The views kept whole (small: per strategy and symbol, per reconciliation run).
#[derive(Serialize)]
struct SmallViews<'a> {
    positions: &'a Positions,
    reconciliations: &'a Reconciliations,
}

#[derive(Deserialize)]
struct OwnedSmallViews {
    positions: Positions,
    reconciliations: Reconciliations,
}

#[derive(Debug, Serialize, Deserialize)]
struct Header {
    format: u32,
    /// Engine time of the last record folded, if any.
    ts_ns: Option<i64>,
}

/// Saves `state` as a checkpoint and prunes all but the newest [`KEEP`].
pub fn save(journal: &Journal, state: &Replayed) -> Result<usize, JournalError> {
    let mut data = Vec::new();
    let header = Header { format: FORMAT, ts_ns: state.ts_ns };
    let encode = |e: bincode::error::EncodeError| JournalError::Encode(e.to_string());
    bincode::serde::encode_into_std_write(&header, &mut data, config()).map_err(encode)?;
    let views = &state.views;
    let small = SmallViews { positions: &views.positions, reconciliations: &views.reconciliations };
    bincode::serde::encode_into_std_write(&small, &mut data, config()).map_err(encode)?;
    let table = order_table::encode(views.oms.encoded()).map_err(JournalError::Encode)?;
    let parts: Vec<&[u8]> = std::iter::once(data.as_slice()).chain(table.iter().map(Vec::as_slice)).collect();
    let store = journal.snapshots()?;
    store.save_parts(NAME, state.at, &parts)?;
    store.prune(NAME, KEEP)?;
    Ok(parts.iter().map(|part| part.len()).sum())
}

/// The newest usable checkpoint for a replay to `until`, as a starting state.
pub fn load(journal: &Journal, until: Until) -> Result<Option<Replayed>, ReplayError> {
    let store = journal.snapshots()?;
    let mut bound = until.last_seq(journal.head().seq);
    loop {
        let Some(snapshot) = store.load_latest(NAME, bound)? else { return Ok(None) };
        match decode(&snapshot.data, until) {
            Ok(Some((ts_ns, views))) => {
                let at = Head { seq: snapshot.seq, hash: snapshot.hash };
                return Ok(Some(Replayed {
                    views,
                    at,
                    ts_ns,
                    from_snapshot: Some(snapshot.seq),
                    folded: 0,
                    reports: None,
                }));
            }
            Ok(None) => {}
            Err(reason) => tracing::warn!(seq = snapshot.seq, %reason, "skipping an unusable views checkpoint"),
        }
        match snapshot.seq.checked_sub(1) {
            Some(older) => bound = older,
            None => return Ok(None),
        }
    }
}

/// The checkpoint's views, `None` if it lies after `until`'s time, or why it is unusable.
fn decode(data: &SnapshotData, until: Until) -> Result<Option<(Option<i64>, Views)>, String> {
    let (header, used): (Header, usize) = decode_prefix(data, config()).map_err(|e| format!("header: {e}"))?;
    if header.format != FORMAT {
        return Err(format!("format {} (this build reads {FORMAT})", header.format));
    }
    if let (Until::Time(limit), Some(ts)) = (until, header.ts_ns)
        && ts > limit
    {
        return Ok(None);
    }
    let (small, read): (OwnedSmallViews, usize) =
        decode_prefix(&data[used..], config()).map_err(|e| format!("views: {e}"))?;
    let table = OrderTable::open(data.clone(), used + read).map_err(|e| format!("orders: {e}"))?;
    let views =
        Views { oms: Oms::with_base(table), positions: small.positions, reconciliations: small.reconciliations };
    Ok(Some((header.ts_ns, views)))
}
