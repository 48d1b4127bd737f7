//! Whole-journal and tail verification.

use super::error::{Corruption, CorruptionKind, Location, Result};
use super::head::Head;
use super::reader::Reader;

/// What a successful full scan saw.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct VerifyReport {
    pub events: u64,
    pub blocks: u64,
    pub head: Head,
}

/// Checks every block from genesis: framing, CRCs, gapless seqs from 1, the chain from
/// `h(0)`, and that the stored head names the last record.
pub fn scan(reader: &Reader, head: &Head) -> Result<VerifyReport> {
    let mut last = Head { seq: 0, hash: reader.genesis_hash() };
    let mut blocks = 0;
    for block in reader.blocks_prefetched(1, u64::MAX)? {
        let block = block?;
        last = block.last();
        blocks += 1;
    }
    check_head(&last, head)?;
    Ok(VerifyReport { events: last.seq, blocks, head: last })
}

/// Checks the last block and that the head names its last record.
pub fn tail(reader: &Reader, head: &Head) -> Result<()> {
    let last = match reader.last_block()? {
        Some(block) => block.last(),
        None => Head { seq: 0, hash: reader.genesis_hash() },
    };
    check_head(&last, head)
}

fn check_head(stored: &Head, head: &Head) -> Result<()> {
    if stored == head {
        return Ok(());
    }
    let what =
        format!("head says seq {} ({}), the records end at seq {} ({})", head.seq, head.hash, stored.seq, stored.hash);
    let location = if stored.seq < head.seq { Location::Seq(stored.seq + 1) } else { Location::Head };
    Err(Corruption::new(location, CorruptionKind::HeadMismatch(what)).into())
}
