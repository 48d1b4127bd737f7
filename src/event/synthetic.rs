//! Deterministic synthetic order lifecycles: realistic, valid event streams for benchmarks
//! and property tests. Same seed, same events.
//!
//! Each order follows a scripted lifecycle (denied, rejected, filled in one or several
//! executions, cancelled after a partial fill, a rejected cancel, expired, a late fill after
//! a cancel, a duplicate fill report), and up to `concurrency` orders are in flight at once,
//! their events interleaved at random. Every produced event is a valid transition.

use std::collections::VecDeque;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use super::{
    CancelRejected, CancelRequested, Event, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired,
    OrderFilled, OrderRejected, OrderSubmitted, ReportIgnored,
};
use crate::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};
use crate::journal::Draft;

const STRATEGIES: [&str; 3] = ["mr", "momentum", "pairs"];
/// Symbol, reference price in 1/10_000 units, tick in 1/10_000 units.
const SYMBOLS: [(&str, i64, i64); 4] =
    [("6EH4", 10_950, 1), ("ESH4", 47_900_000, 2_500), ("AAPL", 1_850_000, 100), ("MSFT", 3_700_000, 100)];
/// 2024-01-02T14:30:00Z.
const START_NS: i64 = 1_704_205_800_000_000_000;

/// An endless, seeded stream of interleaved order lifecycles.
pub struct Lifecycles {
    rng: ChaCha8Rng,
    concurrency: usize,
    active: Vec<VecDeque<Event>>,
    next_order: u64,
    ts_ns: i64,
}

impl Lifecycles {
    pub fn new(seed: u64, concurrency: usize) -> Lifecycles {
        assert!(concurrency > 0, "at least one order in flight");
        Lifecycles {
            rng: ChaCha8Rng::seed_from_u64(seed),
            concurrency,
            active: Vec::with_capacity(concurrency),
            next_order: 1,
            ts_ns: START_NS,
        }
    }

    /// Exactly `n` events (the last orders may be left open).
    pub fn take_drafts(self, n: usize) -> Vec<Draft<Event>> {
        self.take(n).collect()
    }

    fn start_order(&mut self) {
        let n = self.next_order;
        self.next_order += 1;
        let script = script(&mut self.rng, n);
        self.active.push(script);
    }
}

impl Iterator for Lifecycles {
    type Item = Draft<Event>;

    fn next(&mut self) -> Option<Draft<Event>> {
        let room = self.active.len() < self.concurrency;
        if self.active.is_empty() || (room && self.rng.random_bool(0.25)) {
            self.start_order();
        }
        let pick = self.rng.random_range(0..self.active.len());
        let event = self.active[pick].pop_front().expect("scripts in flight are never empty");
        if self.active[pick].is_empty() {
            self.active.swap_remove(pick);
        }
        self.ts_ns += self.rng.random_range(1_000_000..50_000_000);
        Some(Draft::new(self.ts_ns, event.stream(), event))
    }
}

/// The whole lifecycle of order number `n`.
fn script(rng: &mut ChaCha8Rng, n: u64) -> VecDeque<Event> {
    let id = ClientOrderId::new(format!("o-{n}"));
    let (symbol, reference, tick) = SYMBOLS[rng.random_range(0..SYMBOLS.len())];
    let market = rng.random_bool(0.3);
    let qty = Decimal::from(rng.random_range(1..=100) * 10);
    let side = if rng.random_bool(0.5) { Side::Buy } else { Side::Sell };
    let price = Decimal::new(reference + rng.random_range(-20..=20) * tick, 4);
    let mut s = Script { events: VecDeque::new(), id: id.clone(), n, fills: 0 };
    s.push(OrderCreated {
        client_order_id: id.clone(),
        strategy: STRATEGIES[rng.random_range(0..STRATEGIES.len())].into(),
        symbol: symbol.into(),
        side,
        order_type: if market { OrderType::Market } else { OrderType::Limit },
        qty,
        limit_price: (!market).then_some(price),
        time_in_force: if market { TimeInForce::Ioc } else { TimeInForce::Gtc },
        ttl_s: (!market).then_some(600),
        decision_price: Some(price),
        arrival_price: None,
        execution_id: None,
        slice_id: None,
    });
    if rng.random_bool(0.02) {
        s.push(OrderDenied { client_order_id: id, reason: "max order notional".into() });
        return s.events;
    }
    s.push(OrderSubmitted { client_order_id: id.clone() });
    if rng.random_bool(0.03) {
        s.push(OrderRejected { client_order_id: id, reason: "venue closed".into() });
        return s.events;
    }
    s.push(OrderAccepted { client_order_id: id.clone(), broker_order_id: BrokerOrderId::new(format!("B{n}")) });
    let lot = |k: i64| qty * Decimal::new(k, 2);
    match rng.random_range(0..100) {
        0..60 => {
            let parts = rng.random_range(1..=4);
            let mut left = qty;
            for part in 1..=parts {
                let q = if part == parts { left } else { (left * Decimal::new(4, 1)).floor().max(Decimal::ONE) };
                if q <= Decimal::ZERO {
                    break;
                }
                left -= q;
                s.fill(rng, q, price, tick);
            }
            if rng.random_bool(0.02) {
                s.push(ReportIgnored {
                    client_order_id: Some(id),
                    broker_order_id: Some(BrokerOrderId::new(format!("B{n}"))),
                    reason: "duplicate fill".into(),
                    report: format!("fill F{n}-1"),
                });
            }
        }
        60..85 => {
            s.fill(rng, lot(30).floor().max(Decimal::ONE), price, tick);
            s.push(CancelRequested { client_order_id: id.clone() });
            if rng.random_bool(0.1) {
                s.push(CancelRejected { client_order_id: id.clone(), reason: "too late to cancel".into() });
                s.fill(rng, lot(20).floor().max(Decimal::ONE), price, tick);
                s.push(CancelRequested { client_order_id: id.clone() });
            }
            s.push(OrderCancelled { client_order_id: id });
            if rng.random_bool(0.05) {
                s.fill(rng, Decimal::ONE, price, tick);
            }
        }
        85..95 => {
            if rng.random_bool(0.5) {
                s.fill(rng, lot(50).floor().max(Decimal::ONE), price, tick);
            }
            s.push(OrderExpired { client_order_id: id });
        }
        _ => {
            s.push(CancelRequested { client_order_id: id.clone() });
            s.push(OrderCancelled { client_order_id: id });
        }
    }
    s.events
}

struct Script {
    events: VecDeque<Event>,
    id: ClientOrderId,
    n: u64,
    fills: u32,
}

impl Script {
    fn push(&mut self, event: impl Into<Event>) {
        self.events.push_back(event.into());
    }

    fn fill(&mut self, rng: &mut ChaCha8Rng, qty: Decimal, price: Decimal, tick: i64) {
        self.fills += 1;
        let price = price + Decimal::new(rng.random_range(-2..=2) * tick, 4);
        let fee = (qty * price * Decimal::new(5, 5)).round_dp(4);
        let maker = rng.random_bool(0.6);
        self.push(OrderFilled {
            client_order_id: self.id.clone(),
            fill_id: FillId::new(format!("F{}-{}", self.n, self.fills)),
            qty,
            price,
            fee,
            liquidity: if maker { LiquiditySide::Maker } else { LiquiditySide::Taker },
            venue: "PAPER".into(),
            broker_ts_ns: START_NS + i64::try_from(self.n).unwrap_or(i64::MAX),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::journal::{Envelope, event_id};
    use crate::projection::Views;

    #[test]
    fn same_seed_same_events_and_every_event_applies() {
        let a = Lifecycles::new(7, 16).take_drafts(5_000);
        let b = Lifecycles::new(7, 16).take_drafts(5_000);
        assert_eq!(a, b);
        assert_ne!(a, Lifecycles::new(8, 16).take_drafts(5_000));
        let mut views = Views::new();
        let h0 = crate::journal::ChainHash([0; 32]);
        for (i, draft) in a.iter().enumerate() {
            let seq = i as u64 + 1;
            let env = Envelope {
                seq,
                event_id: event_id(&h0, seq),
                ts_ns: draft.ts_ns,
                stream: draft.stream.clone(),
                correlation_id: None,
                causation_id: None,
                schema_version: 1,
            };
            views.apply(env.stamp(), &draft.payload).unwrap_or_else(|e| panic!("{e}"));
        }
        let oms = &views.oms;
        let flagged = |f: fn(&crate::projection::OrderView) -> bool| oms.iter().filter(|o| f(o)).count();
        assert!(oms.len() > 500, "{} orders", oms.len());
        assert!(flagged(|o| o.late_fill) > 0, "some late fills");
        assert!(flagged(|o| o.status == crate::domain::OrderStatus::Expired) > 0);
        assert!(flagged(|o| o.status == crate::domain::OrderStatus::Denied) > 0);
        assert!(flagged(|o| o.status == crate::domain::OrderStatus::Rejected) > 0);
        assert!(flagged(|o| o.fills.len() > 1) > 0);
        let types: std::collections::BTreeSet<_> = a.iter().map(|d| d.payload.type_name()).collect();
        assert_eq!(types.len(), 11, "every event type appears: {types:?}");
    }
}
