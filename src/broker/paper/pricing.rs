//! The venue's arithmetic, fixed once from [`PaperConfig`]: latency, slippage, commission,
//! participation budget, the limit-fill draw. Every Decimal operation on outside numbers is
//! checked: `None` means it would overflow, and the fill it was for does not happen.

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use super::PaperConfig;
use crate::domain::Side;

/// Fill prices and fees are rounded to this many decimal places.
pub(super) const MONEY_DP: u32 = 8;

/// A uniform draw has this many random bits: u = k / 2^53 for k in [0, 2^53).
const DRAW_BITS: u32 = 53;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) struct Pricing {
    latency_ns: i64,
    buy_factor: Decimal,
    sell_factor: Decimal,
    fee_rate: Decimal,
    participation: Decimal,
    /// A limit order that trades through fills iff its draw k < this, i.e. u < probability.
    fill_threshold: u64,
}

impl Pricing {
    pub(super) fn new(config: &PaperConfig) -> Self {
        let bps = |value: Decimal| value.checked_div(Decimal::from(10_000)).unwrap_or(Decimal::ZERO);
        let slippage = bps(config.slippage_bps);
        Pricing {
            latency_ns: i64::try_from(config.latency_ms)
                .ok()
                .and_then(|ms| ms.checked_mul(1_000_000))
                .unwrap_or(i64::MAX),
            buy_factor: Decimal::ONE.checked_add(slippage).unwrap_or(Decimal::ONE),
            sell_factor: Decimal::ONE.checked_sub(slippage).unwrap_or(Decimal::ONE),
            fee_rate: bps(config.commission_bps),
            participation: unit(config.max_bar_participation),
            fill_threshold: threshold(unit(config.limit_fill_probability)),
        }
    }

    /// When something that happens at `at_ns` reaches the other side.
    pub(super) fn after_latency(&self, at_ns: i64) -> i64 {
        at_ns.saturating_add(self.latency_ns)
    }

    /// A market order's price: `reference` moved against the order by the slippage.
    pub(super) fn market_price(&self, side: Side, reference: Decimal) -> Option<Decimal> {
        let factor = match side {
            Side::Buy => self.buy_factor,
            Side::Sell => self.sell_factor,
        };
        reference.checked_mul(factor)
    }

    /// The commission on a fill, rounded.
    pub(super) fn fee(&self, qty: Decimal, price: Decimal) -> Option<Decimal> {
        Some(round_money(qty.checked_mul(price)?.abs().checked_mul(self.fee_rate)?))
    }

    /// A bar's participation budget: `volume × max_bar_participation`, never negative.
    pub(super) fn budget(&self, volume: Decimal) -> Decimal {
        volume.checked_mul(self.participation).unwrap_or(Decimal::ZERO).max(Decimal::ZERO)
    }

    /// Whether a draw of 64 random bits fills a limit order that traded through.
    pub(super) fn draw_fills(&self, bits: u64) -> bool {
        bits >> (64 - DRAW_BITS) < self.fill_threshold
    }
}

/// Rounds a price or fee to [`MONEY_DP`] places, half away from zero, without trailing zeros.
pub(super) fn round_money(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(MONEY_DP, RoundingStrategy::MidpointAwayFromZero).normalize()
}

/// The quantity one fill can take: the leaves capped by the budget, rounded down to `scale`.
pub(super) fn fill_qty(leaves: Decimal, budget: Decimal, scale: u32) -> Decimal {
    leaves.min(budget).max(Decimal::ZERO).round_dp_with_strategy(scale, RoundingStrategy::ToZero)
}

/// `value` clamped into [0, 1].
fn unit(value: Decimal) -> Decimal {
    value.clamp(Decimal::ZERO, Decimal::ONE).normalize()
}

/// ceil(p × 2^53): for an integer k, k < ceil(p × 2^53) exactly when k / 2^53 < p.
fn threshold(probability: Decimal) -> u64 {
    let scaled = probability.checked_mul(Decimal::from(1u64 << DRAW_BITS));
    scaled.and_then(|scaled| scaled.ceil().to_u64()).unwrap_or(0)
}
