//! Determinism verification (`blotter verify --rerun`): feed a journal's inputs to a fresh
//! core, in memory, and compare every record it produces with the journal, byte for byte.
//! The journal's own decisions are never applied: they are only compared against.

use std::collections::VecDeque;
use std::ops::ControlFlow;

use thiserror::Error;

use super::core::Core;
use crate::event::Event;
use crate::journal::{Envelope, Head, Journal, JournalError, RecordRef, encode_record};

/// The first record where the re-run and the journal differ.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Divergence {
    pub seq: u64,
    /// What the journal holds there (one-line JSON, or "end of journal").
    pub expected: String,
    /// What the re-run produced there (one-line JSON, or why it produced nothing).
    pub actual: String,
}

#[derive(Debug, Error)]
pub enum RerunError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error("diverged at seq {}:\n  expected: {}\n  actual:   {}", .0.seq, .0.expected, .0.actual)]
    Diverged(Divergence),
}

/// Re-runs every input of `journal`; `Ok` with the number of records and the head if the
/// re-run reproduced the journal exactly.
pub fn rerun(journal: &Journal) -> Result<(u64, Head), RerunError> {
    let head = journal.head();
    let mut core = Core::new(journal.genesis_hash());
    let mut produced: VecDeque<(Envelope, Event)> = VecDeque::new();
    let mut divergence = None;
    let mut scratch = Vec::with_capacity(512);
    journal.reader().for_each(1, head.seq, |record| {
        if produced.is_empty() {
            match feed(&mut core, &record)? {
                Ok(records) => produced.extend(records),
                Err(found) => {
                    divergence = Some(found);
                    return Ok(ControlFlow::Break(()));
                }
            }
        }
        let (envelope, event) = produced.pop_front().expect("a decision starts with its input");
        scratch.clear();
        encode_record(&envelope, &event, &mut scratch)?;
        if scratch != record.body {
            divergence =
                Some(Divergence { seq: record.seq, expected: journaled(&record), actual: json(&envelope, &event) });
            return Ok(ControlFlow::Break(()));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    if divergence.is_none()
        && let Some((envelope, event)) = produced.pop_front()
    {
        let actual = json(&envelope, &event);
        divergence = Some(Divergence { seq: envelope.seq, expected: "end of journal".to_owned(), actual });
    }
    match divergence {
        Some(divergence) => Err(RerunError::Diverged(divergence)),
        None => Ok((head.seq, head)),
    }
}

/// Feeds the journaled input at `record` to the core; a record that is not an input, or an
/// input the core refuses, is a divergence (the journal's engine decided otherwise).
fn feed(core: &mut Core, record: &RecordRef<'_>) -> Result<Result<Vec<(Envelope, Event)>, Divergence>, JournalError> {
    let decoded = record.decode::<Event>()?;
    let diverged = |actual: String| Err(Divergence { seq: record.seq, expected: journaled(record), actual });
    if !decoded.payload.is_input() {
        return Ok(diverged("no decision here (the previous input's decisions ended before it)".to_owned()));
    }
    Ok(match core.handle(decoded.envelope.ts_ns, decoded.payload) {
        Ok(decision) => Ok(decision.records),
        Err(error) => diverged(format!("the engine refused the input: {error}")),
    })
}

fn journaled(record: &RecordRef<'_>) -> String {
    match record.decode::<Event>() {
        Ok(decoded) => json(&decoded.envelope, &decoded.payload),
        Err(error) => format!("undecodable record: {error}"),
    }
}

/// A record as one line of JSON, for divergence reports.
pub(super) fn json(envelope: &Envelope, event: &Event) -> String {
    serde_json::json!({ "envelope": envelope, "event": event }).to_string()
}
