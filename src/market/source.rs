//! [`BarSource`]: a stream of bars that can say where it stands and return there, so a
//! resumed simulation seeks to the next unread bar instead of reading every bar before it.

use serde::de::DeserializeOwned;
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
    /// Where the source stands, in memory: cheap to take and clone, since the simulation
    /// takes one before every bar it reads ahead. Encoded only when a snapshot is saved.
    type Mark: Clone + Serialize + DeserializeOwned;

    /// The next bar; `None` once the source is exhausted (after an error, too).
    fn next_bar(&mut self) -> Option<Result<MarketBar, Self::Error>>;

    /// Where the next [`BarSource::next_bar`] will read from, if this source can seek.
    fn mark(&self) -> Option<Self::Mark>;

    /// Returns to `mark`, taken after the source had yielded `bars` bars. On error the
    /// source is unchanged.
    fn seek_mark(&mut self, mark: Self::Mark, bars: u64) -> Result<(), SeekError>;

    /// [`BarSource::mark`], encoded to be journaled.
    fn position(&self) -> Option<SourcePosition> {
        self.mark().and_then(|mark| encode(&mark))
    }

    /// Returns to an encoded `position` (see [`BarSource::seek_mark`]).
    fn seek(&mut self, position: &SourcePosition, bars: u64) -> Result<(), SeekError> {
        let bytes = &position.0;
        match bincode::serde::decode_from_slice::<Self::Mark, _>(bytes, bincode::config::standard()) {
            Ok((mark, used)) if used == bytes.len() => self.seek_mark(mark, bars),
            Ok(_) => Err(SeekError("trailing bytes after the position".into())),
            Err(e) => Err(SeekError(format!("undecodable position: {e}"))),
        }
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

/// Encodes a mark as a journaled position.
pub fn encode<M: Serialize>(mark: &M) -> Option<SourcePosition> {
    bincode::serde::encode_to_vec(mark, bincode::config::standard()).ok().map(SourcePosition)
}
