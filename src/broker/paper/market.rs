//! What the venue knows of one symbol's market.

use rust_decimal::Decimal;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(super) struct Market {
    /// The close of the last bar seen: arriving orders match against it.
    pub(super) reference: Decimal,
    /// What our fills may still take on the current bar (shared by all our orders).
    pub(super) budget: Decimal,
}
