//! An order reaches the venue: it is validated, accepted (or rejected), matched at once
//! against the symbol's reference price, and then rests, expires, or is cancelled (IOC, FOK).

use rust_decimal::Decimal;

use super::agenda::Happening;
use super::books::Known;
use super::pricing::MONEY_DP;
use super::{MAX_OPEN_ORDERS, PaperVenue};
use crate::broker::{BrokerReport, NewOrder};
use crate::domain::{LiquiditySide, OrderType, Side, TimeInForce};
use crate::event::{BrokerAccepted, BrokerRejected};

impl PaperVenue {
    pub(super) fn arrive(&mut self, order: NewOrder, at_ns: i64) {
        if let Err(reason) = self.validate(&order) {
            return self.reject(order, reason, at_ns);
        }
        let expire_ns = expiry_of(&order);
        let index = self.books.accept(order, at_ns, expire_ns);
        if let Some(accepted) = self.books.get(index) {
            let report = BrokerAccepted {
                client_order_id: accepted.order.client_order_id.clone(),
                broker_order_id: accepted.broker_order_id.clone(),
                broker_ts_ns: at_ns,
            };
            self.report(at_ns, BrokerReport::Accepted(report));
        }
        self.match_on_arrival(index, at_ns);
        self.settle_arrival(index, at_ns);
    }

    /// Why the venue refuses `order`, if it does.
    fn validate(&self, order: &NewOrder) -> Result<(), String> {
        let id = &order.client_order_id;
        if self.books.known(id) != Known::Unknown {
            return Err(format!("duplicate client order id {id}"));
        }
        if order.qty <= Decimal::ZERO {
            return Err(format!("qty must be positive, got {}", order.qty));
        }
        validate_price(order)?;
        if self.books.open_count() >= MAX_OPEN_ORDERS {
            return Err(format!("venue order limit reached ({MAX_OPEN_ORDERS} open orders)"));
        }
        if order.order_type == OrderType::Market && !self.markets.contains_key(&order.symbol) {
            return Err(format!("no market data for {}", order.symbol));
        }
        Ok(())
    }

    fn reject(&mut self, order: NewOrder, reason: String, at_ns: i64) {
        self.books.note_rejected(&order.client_order_id);
        let report = BrokerRejected { client_order_id: order.client_order_id, reason, broker_ts_ns: at_ns };
        self.report(at_ns, BrokerReport::Rejected(report));
    }

    /// The price an arriving order trades at now, if it is marketable.
    fn arrival_price(&self, index: usize) -> Option<Decimal> {
        let order = &self.books.get(index)?.order;
        let reference = self.markets.get(&order.symbol)?.reference;
        match (order.order_type, order.side, order.limit_price) {
            (OrderType::Market, side, _) => self.pricing.market_price(side, reference),
            (OrderType::Limit, Side::Buy, Some(limit)) if limit >= reference => Some(reference),
            (OrderType::Limit, Side::Sell, Some(limit)) if limit <= reference => Some(reference),
            (OrderType::Limit, _, _) => None,
        }
    }

    /// The immediate match. FOK fills only if it can fill completely.
    fn match_on_arrival(&mut self, index: usize, at_ns: i64) {
        let Some(price) = self.arrival_price(index) else { return };
        let Some(order) = self.books.get(index) else { return };
        if order.order.time_in_force == TimeInForce::Fok {
            let leaves = order.leaves_qty();
            if self.plan_fill(index, price).is_none_or(|plan| plan.qty < leaves) {
                return;
            }
        }
        self.fill(index, price, LiquiditySide::Taker, at_ns);
    }

    /// After the immediate match, a working order is cancelled (IOC, FOK), expired (its time
    /// already ran out) or rests.
    fn settle_arrival(&mut self, index: usize, at_ns: i64) {
        let Some(order) = self.books.get(index).filter(|order| order.is_working()) else { return };
        let expire_ns = order.expire_ns;
        match order.order.time_in_force {
            TimeInForce::Ioc => self.cancel_by_venue(index, "IOC remainder", at_ns),
            TimeInForce::Fok => self.cancel_by_venue(index, "FOK not fillable", at_ns),
            TimeInForce::Day | TimeInForce::Gtc | TimeInForce::Gtd { .. } => match expire_ns {
                Some(expire_ns) if expire_ns <= at_ns => self.expire(index, at_ns),
                Some(expire_ns) => self.rest(index, Some(expire_ns)),
                None => self.rest(index, None),
            },
        }
    }

    /// Puts a working order on the book and queues its expiry.
    fn rest(&mut self, index: usize, expire_ns: Option<i64>) {
        self.books.rest(index);
        if let Some(expire_ns) = expire_ns {
            let key = self.agenda.schedule(expire_ns, Happening::Expiry(index));
            if let Some(order) = self.books.get_mut(index) {
                order.expiry = Some(key);
            }
        }
    }
}

/// A limit order needs a positive price with at most [`MONEY_DP`] decimals (so a fill price,
/// rounded to that many, is never worse than the limit); a market order must have none.
fn validate_price(order: &NewOrder) -> Result<(), String> {
    match (order.order_type, order.limit_price) {
        (OrderType::Market, None) => Ok(()),
        (OrderType::Market, Some(_)) => Err("a market order must not carry a limit price".to_owned()),
        (OrderType::Limit, None) => Err("a limit order needs a limit price".to_owned()),
        (OrderType::Limit, Some(price)) if price <= Decimal::ZERO => {
            Err(format!("limit price must be positive, got {price}"))
        }
        (OrderType::Limit, Some(price)) if price.normalize().scale() > MONEY_DP => {
            Err(format!("limit price {price} has more than {MONEY_DP} decimal places"))
        }
        (OrderType::Limit, Some(_)) => Ok(()),
    }
}

/// When the venue expires an order that rests: the earlier of `expire_ns` and a GTD's date.
fn expiry_of(order: &NewOrder) -> Option<i64> {
    let gtd = match order.time_in_force {
        TimeInForce::Gtd { expire_ns } => Some(expire_ns),
        _ => None,
    };
    order.expire_ns.into_iter().chain(gtd).min()
}
