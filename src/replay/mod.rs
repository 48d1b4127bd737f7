//! Replay: rebuild the order views from the journal as of any point (time travel).
//!
//! One code path with live processing: every record is decoded and folded with
//! [`Views::apply`], exactly as the engine does after journaling it. A replay may start from
//! the newest projection snapshot at or below its target ([`checkpoint`]) and fold only the
//! tail; the result equals a full replay (tested).

pub mod checkpoint;

use std::ops::ControlFlow;

use thiserror::Error;

use crate::event::Event;
use crate::journal::{ChainHash, Corruption, DecodedRef, Envelope, Envelopes, Head, Journal, JournalError, Stamped};
use crate::projection::{ExecutionReports, InvariantViolation, Views};

/// Where a replay stops.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Until {
    /// The journal's head: the current views.
    Head,
    /// The last record folded is `seq` (or the head, if the journal is shorter).
    Seq(u64),
    /// Every record whose engine time is at or before `ts_ns`. Engine time never goes
    /// backwards in a journal, so this is a prefix: replay stops at the first later record.
    Time(i64),
}

impl Until {
    /// The last seq a replay to this point may fold, in a journal whose head is `head_seq`.
    pub fn last_seq(self, head_seq: u64) -> u64 {
        match self {
            Until::Seq(seq) => seq.min(head_seq),
            Until::Head | Until::Time(_) => head_seq,
        }
    }
}

/// Why a replay failed. Corruption and invariant violations name the seq.
#[derive(Debug, Error)]
pub enum ReplayError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(transparent)]
    Invariant(#[from] InvariantViolation),
}

impl From<Corruption> for ReplayError {
    fn from(corruption: Corruption) -> Self {
        ReplayError::Journal(JournalError::Corrupt(corruption))
    }
}

/// The views as of a point, and that point.
#[derive(Debug, Clone)]
pub struct Replayed {
    pub views: Views,
    /// The last record folded (seq 0 and `h(0)` if none).
    pub at: Head,
    /// Engine time of the last record folded, if any.
    pub ts_ns: Option<i64>,
    /// The snapshot the replay started from, if any.
    pub from_snapshot: Option<u64>,
    /// Records folded by this replay (the tail, when it started from a snapshot).
    pub folded: u64,
    /// Every execution report up to `at`, when the replay was asked to derive them
    /// ([`replay_with_reports`]); reports are history, not state, so checkpoints hold none.
    pub reports: Option<ExecutionReports>,
}

impl Replayed {
    fn empty(journal: &Journal) -> Replayed {
        let at = Head { seq: 0, hash: journal.genesis_hash() };
        Replayed { views: Views::new(), at, ts_ns: None, from_snapshot: None, folded: 0, reports: None }
    }
}

/// What a replay calls after every record folded: `(envelope, event, chain hash, views
/// after)`. Audits and timelines see each record's hash and the state after it.
type Inspect<'a> = &'a mut dyn FnMut(&Envelope, &Event, &ChainHash, &Views);

/// Rebuilds the views from scratch (no snapshot) up to `until`.
pub fn replay(journal: &Journal, until: Until) -> Result<Replayed, ReplayError> {
    fold(journal, Replayed::empty(journal), until, None)
}

/// Rebuilds the views from the newest usable snapshot plus the tail, up to `until`.
pub fn replay_from_snapshot(journal: &Journal, until: Until) -> Result<Replayed, ReplayError> {
    let start = checkpoint::load(journal, until)?.unwrap_or_else(|| Replayed::empty(journal));
    fold(journal, start, until, None)
}

/// Full replay that also derives every execution report up to `until` (the reports view is
/// the whole history, so it always starts from genesis).
pub fn replay_with_reports(journal: &Journal, until: Until) -> Result<Replayed, ReplayError> {
    let mut reports = ExecutionReports::new();
    let mut missing = None;
    let mut replayed = replay_inspecting(journal, until, |env, event, _, views| {
        if let Err(violation) = reports.apply(env, event, &views.oms) {
            missing.get_or_insert(violation);
        }
    })?;
    if let Some(violation) = missing {
        return Err(violation.into());
    }
    replayed.reports = Some(reports);
    Ok(replayed)
}

/// Full replay that calls `inspect(envelope, event, chain_hash, views_after)` after every
/// record folded: audits and timelines see each record's hash and the state after it.
pub fn replay_inspecting(
    journal: &Journal,
    until: Until,
    mut inspect: impl FnMut(&Envelope, &Event, &ChainHash, &Views),
) -> Result<Replayed, ReplayError> {
    fold(journal, Replayed::empty(journal), until, Some(&mut inspect))
}

/// Folds records after `state.at` into `state` until `until`. Only an inspecting replay
/// decodes whole envelopes; a fold reads each record's stamp and event.
fn fold(
    journal: &Journal,
    mut state: Replayed,
    until: Until,
    mut inspect: Option<Inspect<'_>>,
) -> Result<Replayed, ReplayError> {
    let upto = until.last_seq(journal.head().seq);
    if state.at.seq >= upto {
        return Ok(state);
    }
    let envelopes = if inspect.is_some() { Envelopes::Keep } else { Envelopes::Skip };
    // Records are read, verified and decoded blocks ahead on the reader's threads (one per
    // stage); this thread only folds, and hands each block back to be freed there.
    let decoded = journal.reader().decoded::<Event>(state.at.seq + 1, upto, envelopes)?;
    let last = decoded.try_for_each_record(|DecodedRef { record: Stamped { stamp, payload }, hash, envelope }| {
        if let Until::Time(limit) = until
            && stamp.ts_ns > limit
        {
            return Ok(ControlFlow::Break(()));
        }
        state.views.apply(*stamp, payload)?;
        debug_assert_eq!(envelope.is_some(), inspect.is_some(), "envelopes are kept for an inspecting replay only");
        if let (Some(inspect), Some(envelope)) = (inspect.as_mut(), envelope) {
            inspect(envelope, payload, hash, &state.views);
        }
        state.ts_ns = Some(stamp.ts_ns);
        state.folded += 1;
        Ok::<_, ReplayError>(ControlFlow::Continue(()))
    })?;
    if let Some(last) = last {
        state.at = last;
    }
    Ok(state)
}

#[cfg(test)]
mod tests;
