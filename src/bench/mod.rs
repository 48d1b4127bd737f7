//! Benchmarks behind `blotter bench …`. Performance targets are checked here, never by
//! timed tests. Each benchmark measures its baseline in the same run, so ratios are
//! meaningful on a noisy machine.

pub mod cpu;
pub mod engine;
pub mod journal;
pub mod latency;
pub mod recovery;
pub mod replay;
pub mod stages;

/// A 1-lot IOC market order `client_order_id` of strategy `bench` on `symbol`: buys on even
/// `n`, sells on odd (so positions stay near flat).
pub(crate) fn market_order(client_order_id: String, symbol: &str, n: u64) -> crate::event::Event {
    use crate::domain::{OrderType, Side, TimeInForce};
    crate::event::SubmitOrder {
        client_order_id: client_order_id.into(),
        strategy: "bench".into(),
        symbol: symbol.into(),
        side: if n.is_multiple_of(2) { Side::Buy } else { Side::Sell },
        order_type: OrderType::Market,
        qty: rust_decimal::Decimal::ONE,
        limit_price: None,
        time_in_force: TimeInForce::Ioc,
        ttl_s: None,
        decision_price: None,
    }
    .into()
}
