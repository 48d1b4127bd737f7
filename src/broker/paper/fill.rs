//! One execution: how much an order can take of its symbol's budget, at what price and fee,
//! and what it changes (the order, the budget, the books, a `Filled` report).

use rust_decimal::Decimal;

use super::PaperVenue;
use super::books::VenueOrderState;
use super::pricing::{fill_qty, round_money};
use crate::broker::BrokerReport;
use crate::domain::{FillId, LiquiditySide};
use crate::event::BrokerFilled;

/// A fill worked out but not yet made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Plan {
    pub(super) qty: Decimal,
    pub(super) price: Decimal,
    pub(super) fee: Decimal,
}

impl PaperVenue {
    /// The fill order `index` would get at `price` now, if any (zero quantity or overflow: none).
    pub(super) fn plan_fill(&self, index: usize, price: Decimal) -> Option<Plan> {
        let order = self.books.get(index)?;
        let budget = self.markets.get(&order.order.symbol).map_or(Decimal::ZERO, |market| market.budget);
        let qty = fill_qty(order.leaves_qty(), budget, order.order.qty.scale());
        if qty <= Decimal::ZERO {
            return None;
        }
        let price = round_money(price);
        let fee = self.pricing.fee(qty, price)?;
        Some(Plan { qty, price, fee })
    }

    /// Fills order `index` as far as the budget allows at `price`; the fill happened at `at_ns`.
    pub(super) fn fill(&mut self, index: usize, price: Decimal, liquidity: LiquiditySide, at_ns: i64) {
        if let Some(plan) = self.plan_fill(index, price) {
            self.make_fill(index, plan, liquidity, at_ns);
        }
    }

    fn make_fill(&mut self, index: usize, plan: Plan, liquidity: LiquiditySide, at_ns: i64) {
        let Some(order) = self.books.get_mut(index) else { return };
        order.filled_qty += plan.qty;
        order.fill_count = order.fill_count.saturating_add(1);
        let report = BrokerFilled {
            client_order_id: order.order.client_order_id.clone(),
            broker_order_id: order.broker_order_id.clone(),
            fill_id: FillId::new(format!("{}-{}", order.broker_order_id, order.fill_count)),
            qty: plan.qty,
            price: plan.price,
            fee: plan.fee,
            liquidity,
            venue: self.config.venue.as_str().into(),
            broker_ts_ns: at_ns,
        };
        let done = order.leaves_qty() <= Decimal::ZERO;
        if let Some(market) = self.markets.get_mut(&order.order.symbol) {
            market.budget -= plan.qty;
        }
        self.books.record_fill(index, report.clone());
        self.report(at_ns, BrokerReport::Filled(report));
        if done {
            self.close(index, VenueOrderState::Filled);
        }
    }
}
