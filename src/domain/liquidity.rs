//! Which side of the book a fill took.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum LiquiditySide {
    /// The fill rested on the book (provided liquidity).
    Maker,
    /// The fill crossed the spread (took liquidity).
    Taker,
    /// The venue did not say.
    Unknown,
}
