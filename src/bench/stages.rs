//! A replay's stages one at a time, on one thread, over records already in memory: verifying
//! blocks (CRC and chain), decoding records, folding them into the views. Each figure is the
//! fastest of several rounds, in ns an event: what the stage's code costs when nothing else
//! runs, a figure this noisy machine moves by a few percent where it moves a replay's wall
//! time by a third. A change to one stage shows here first, in the same run as the replay.

use std::time::Instant;

use serde::Serialize;

use crate::event::Event;
use crate::journal::{DecodedBlock, Envelopes, Journal, Stamped, VerifiedBlock};
use crate::projection::Views;

/// Records the stages run over: the journal's first ones, at most this many. All of `bench
/// replay`'s journal: its views (~130 MB) outgrow the caches as a replay's do, where 200k
/// events' fit in the L3 and folded ~7% faster.
pub const STAGE_EVENTS: u64 = 1_000_000;

/// Rounds of each stage; the fastest counts.
pub const ROUNDS: usize = 12;

/// The fastest round of each stage, in ns an event.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct StageCosts {
    /// Records measured.
    pub events: u64,
    /// Verifying a block's frames and chain again from its stored bytes.
    pub verify_ns: f64,
    /// Decoding a verified block's records in place (as the replay's decoding thread does).
    pub decode_ns: f64,
    /// Folding decoded records into fresh views. Rounds after the first reuse the memory
    /// freed by the one before, so this is the fold without the page faults of a first
    /// replay (which `replay_page_faults` counts).
    pub fold_ns: f64,
}

/// Measures the stages over the first [`STAGE_EVENTS`] records of `journal`.
pub fn measure(journal: &Journal) -> anyhow::Result<StageCosts> {
    let upto = journal.head().seq.min(STAGE_EVENTS);
    anyhow::ensure!(upto > 0, "the journal is empty");
    let blocks = journal.reader().blocks(1, upto)?.collect::<Result<Vec<_>, _>>()?;
    // Verified blocks hold seqs 1, 2, … gapless: the records up to `upto` are `upto`.
    let events = upto;

    let verify_ns = fastest(events, || {
        for block in &blocks {
            std::hint::black_box(block.reverify()?);
        }
        Ok(())
    })?;
    let mut decoded = DecodedBlock::<Event>::default();
    let decode_ns = fastest(events, || {
        for block in &blocks {
            decode(&mut decoded, block, upto)?;
            std::hint::black_box(&decoded.records);
        }
        Ok(())
    })?;
    let records = decode_all(&blocks, upto)?;
    let fold_ns = fastest(events, || {
        let mut views = Views::new();
        for record in &records {
            views.apply(record.stamp, &record.payload)?;
        }
        Ok(views)
    })?;
    Ok(StageCosts { events, verify_ns, decode_ns, fold_ns })
}

/// Decodes the records of `block` up to `upto` into `decoded`, or says which did not decode.
fn decode(decoded: &mut DecodedBlock<Event>, block: &VerifiedBlock, upto: u64) -> anyhow::Result<()> {
    decoded.fill(block, 1..=upto, Envelopes::Skip);
    decoded.error.take().map_or(Ok(()), |error| Err(error.into()))
}

fn decode_all(blocks: &[VerifiedBlock], upto: u64) -> anyhow::Result<Vec<Stamped<Event>>> {
    let mut all = Vec::new();
    let mut decoded = DecodedBlock::<Event>::default();
    for block in blocks {
        decode(&mut decoded, block, upto)?;
        all.append(&mut decoded.records);
    }
    Ok(all)
}

/// The fastest of [`ROUNDS`] runs of `round`, in ns per event. What a round returns is
/// dropped after its time is taken (freeing the views is not folding).
fn fastest<T>(events: u64, mut round: impl FnMut() -> anyhow::Result<T>) -> anyhow::Result<f64> {
    let mut best = f64::INFINITY;
    for _ in 0..ROUNDS {
        let start = Instant::now();
        let made = std::hint::black_box(round()?);
        best = best.min(start.elapsed().as_nanos() as f64 / events.max(1) as f64);
        drop(made);
    }
    Ok(best)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::synthetic::Lifecycles;
    use crate::journal::{Genesis, OpenOptions};

    #[test]
    fn each_stage_is_measured_over_the_records_it_was_given() {
        let dir = tempfile::tempdir().unwrap();
        let mut journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
        for batch in Lifecycles::new(1, 8).take_drafts(2500).chunks(1000) {
            journal.append(batch).unwrap();
        }
        let costs = measure(&journal).unwrap();
        assert_eq!(costs.events, 2500);
        assert!(costs.verify_ns > 0.0 && costs.decode_ns > 0.0 && costs.fold_ns > 0.0, "{costs:?}");
        assert!(costs.verify_ns.is_finite() && costs.decode_ns.is_finite() && costs.fold_ns.is_finite());
    }

    #[test]
    fn an_empty_journal_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let journal = Journal::create(dir.path(), &Genesis::new(None), &OpenOptions::default()).unwrap();
        assert!(measure(&journal).is_err());
    }
}
