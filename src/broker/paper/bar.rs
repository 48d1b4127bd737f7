//! A bar closes: the symbol's budget is reset, its resting orders are matched against the
//! bar in time priority, then the bar's close becomes the reference price.

use rand::RngCore;
use rust_decimal::Decimal;

use super::PaperVenue;
use super::market::Market;
use crate::domain::{LiquiditySide, OrderType, Side};
use crate::event::MarketBar;

impl PaperVenue {
    pub(super) fn bar(&mut self, bar: &MarketBar, at_ns: i64) {
        self.advance(at_ns);
        let budget = self.pricing.budget(bar.volume);
        let market = self.markets.entry(bar.symbol.to_string()).or_insert(Market { reference: bar.close, budget });
        market.budget = budget;
        for index in self.books.resting_in(&bar.symbol) {
            self.match_on_bar(index, bar, at_ns);
        }
        if let Some(market) = self.markets.get_mut(bar.symbol.as_str()) {
            market.reference = bar.close;
        }
    }

    /// Matches one resting order against `bar`. A remaining market order fills at the open
    /// with slippage (taker); a limit order the bar trades through takes one draw and, if it
    /// wins, fills at its limit (maker).
    fn match_on_bar(&mut self, index: usize, bar: &MarketBar, at_ns: i64) {
        let Some(order) = self.books.get(index) else { return };
        let (side, order_type, limit) = (order.order.side, order.order.order_type, order.order.limit_price);
        match (order_type, limit) {
            (OrderType::Market, _) => {
                if let Some(price) = self.pricing.market_price(side, bar.open) {
                    self.fill(index, price, LiquiditySide::Taker, at_ns);
                }
            }
            (OrderType::Limit, Some(limit)) if trades_through(side, limit, bar) => {
                if self.pricing.draw_fills(self.rng.next_u64()) {
                    self.fill(index, limit, LiquiditySide::Maker, at_ns);
                }
            }
            (OrderType::Limit, _) => {}
        }
    }
}

/// Whether `bar` traded strictly through `limit` (a touch does not fill a resting order).
fn trades_through(side: Side, limit: Decimal, bar: &MarketBar) -> bool {
    match side {
        Side::Buy => bar.low < limit,
        Side::Sell => bar.high > limit,
    }
}
