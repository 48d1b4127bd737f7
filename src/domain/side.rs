//! Order side.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum Side {
    Buy,
    Sell,
}

impl Side {
    /// `qty` with the sign a fill of this side adds to a position: `+qty` for a buy, `-qty`
    /// for a sell (a sign flip, not a multiplication by ±1).
    pub fn signed(self, qty: Decimal) -> Decimal {
        match self {
            Side::Buy => qty,
            Side::Sell => -qty,
        }
    }
}
