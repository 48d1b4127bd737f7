//! [`BarSource`]: a stream of bars that can say where it stands and return there, so a
//! resumed simulation seeks to the next unread bar instead of reading every bar before it.

use serde::{Deserialize, Serialize};

use crate::event::MarketBar;

/// Where a bar source stands, as only that source understands it (a byte offset, a
/// generator's state). Positions are journaled in simulation snapshots; a source handed a
/// position it cannot use says so, and the caller falls back to reading up to it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SourcePosition(pub Vec<u8>);

/// Why a source could not return to a position.
#[derive(Debug, thiserror::Error)]
#[error("cannot seek the bar source: {0}")]
pub struct SeekError(pub String);

/// The bars a simulation reads, in order.
pub trait BarSource {
    type Error: std::error::Error + Send + Sync + 'static;

    /// The next bar; `None` once the source is exhausted (after an error, too).
    fn next_bar(&mut self) -> Option<Result<MarketBar, Self::Error>>;

    /// Where the next [`BarSource::next_bar`] will read from, if this source can seek.
    fn position(&self) -> Option<SourcePosition> {
        None
    }

    /// Returns to `position`, taken from a source over the same data after it had yielded
    /// `bars` bars. On error the source is unchanged.
    fn seek(&mut self, position: &SourcePosition, bars: u64) -> Result<(), SeekError> {
        let _ = (position, bars);
        Err(SeekError("this source cannot seek".into()))
    }

    /// Moves past `bars` bars, seeking to `position` when possible and reading otherwise.
    /// Returns whether it sought.
    fn fast_forward(&mut self, position: Option<&SourcePosition>, bars: u64) -> Result<bool, Self::Error> {
        if let Some(position) = position
            && self.seek(position, bars).is_ok()
        {
            return Ok(true);
        }
        for _ in 0..bars {
            match self.next_bar() {
                Some(Ok(_)) => {}
                Some(Err(error)) => return Err(error),
                None => break,
            }
        }
        Ok(false)
    }
}
