//! The paper venue: a deterministic simulated exchange. (Being written.)

use rust_decimal::Decimal;

/// The paper venue's settings (the scenario's `[broker]` table).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperConfig {
    /// One-way latency: a command reaches the venue, and a report reaches the engine, this
    /// long after it was sent.
    pub latency_ms: u64,
    /// Market orders fill this much worse than the reference price, in bps.
    pub slippage_bps: Decimal,
    /// Commission on every fill's notional, in bps.
    pub commission_bps: Decimal,
    /// The chance a resting limit order fills on a bar that trades through its price (0..=1).
    pub limit_fill_probability: Decimal,
    /// Our fills on one bar total at most this fraction of its volume (0 < f <= 1).
    pub max_bar_participation: Decimal,
    /// The venue name on fills.
    pub venue: String,
    /// Seeds the venue's ChaCha RNG (the scenario seed).
    pub seed: u64,
}

impl Default for PaperConfig {
    fn default() -> Self {
        PaperConfig {
            latency_ms: 0,
            slippage_bps: Decimal::ZERO,
            commission_bps: Decimal::ZERO,
            limit_fill_probability: Decimal::ONE,
            max_bar_participation: Decimal::ONE,
            venue: "PAPER".to_owned(),
            seed: 0,
        }
    }
}
