//! Operator commands from outside the plan, in the simulation loop.
//!
//! Between two inputs (before the loop picks the next one) the loop takes the requests that
//! came through the control socket ([`super::control`]) and feeds each to the engine as a
//! `LiveOperatorCommand` at the engine's current time. Where one lands depends on when the
//! operator acted, so a resumed run cannot know it from the plan: it reads the live commands
//! from the journal it resumes and feeds each again exactly at its seq, so the engine
//! re-decides the journal unchanged. New requests wait until the run is past that journal.

use std::collections::VecDeque;
use std::ops::ControlFlow;
use std::time::Duration;

use tokio::sync::mpsc;

use super::control::ControlCall;
use crate::event::{Event, LiveOperatorCommand};
use crate::journal::{JournalError, Reader};

/// A live command already journaled: its seq, engine time and content.
pub type Journaled = (u64, i64, LiveOperatorCommand);

/// What the loop needs to take live commands.
#[derive(Default)]
pub struct Live {
    /// Live commands in the journal being resumed, in seq order: fed again at their seqs.
    pub journaled: VecDeque<Journaled>,
    /// Requests from the control socket, taken once the run is past `head`.
    pub calls: Option<mpsc::Receiver<ControlCall>>,
    /// The journal's head when the run started (a resumed run re-decides up to it).
    pub head: u64,
    /// Wall time to wait before each input once past `head`: paces a simulation so an
    /// operator can act on it. It never reaches the journal.
    pub pace: Option<Duration>,
}

impl Live {
    /// Whether the run has re-decided everything already journaled.
    pub fn past_head(&self, decided: u64) -> bool {
        decided >= self.head
    }

    /// The next journaled live command if it is due right after `decided`.
    pub fn due(&mut self, decided: u64) -> Option<Journaled> {
        if self.journaled.front().is_some_and(|(seq, _, _)| *seq == decided + 1) {
            return self.journaled.pop_front();
        }
        None
    }
}

/// The live commands journaled in `from..=upto` (the tail a resumed run re-decides; bounded
/// by the snapshot interval).
pub fn journaled(reader: &Reader, from: u64, upto: u64) -> Result<VecDeque<Journaled>, JournalError> {
    let mut found = VecDeque::new();
    if from > upto {
        return Ok(found);
    }
    reader.for_each(from, upto, |record| {
        let decoded = record.decode::<Event>()?;
        if let Event::LiveOperatorCommand(command) = decoded.payload {
            found.push_back((decoded.envelope.seq, decoded.envelope.ts_ns, command));
        }
        Ok(ControlFlow::Continue(()))
    })?;
    Ok(found)
}
