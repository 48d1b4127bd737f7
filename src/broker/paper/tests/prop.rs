//! Random call sequences: the venue never panics, never overfills, and is deterministic.

use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::domain::ClientOrderId;

const SYMBOLS: [&str; 2] = ["X", "Y"];

#[derive(Debug, Clone)]
enum Op {
    Submit(NewOrder),
    Cancel(CancelRequest),
    Bar(MarketBar),
}

/// A decimal from small everyday values to the extremes.
fn decimal() -> impl Strategy<Value = Decimal> {
    prop_oneof![
        8 => (-20i64..400, 0u32..4).prop_map(|(mantissa, scale)| Decimal::new(mantissa, scale)),
        1 => Just(Decimal::MAX),
        1 => Just(Decimal::MIN),
        1 => Just(Decimal::new(1, 28)),
    ]
}

fn client_id() -> impl Strategy<Value = ClientOrderId> {
    (0u8..12).prop_map(|n| ClientOrderId::from(format!("o{n}")))
}

fn time_in_force() -> impl Strategy<Value = TimeInForce> {
    prop_oneof![
        Just(TimeInForce::Day),
        Just(TimeInForce::Gtc),
        Just(TimeInForce::Ioc),
        Just(TimeInForce::Fok),
        (0i64..600).prop_map(|s| TimeInForce::Gtd { expire_ns: s * 1_000 * MS }),
    ]
}

fn new_order() -> impl Strategy<Value = NewOrder> {
    let kind = prop_oneof![Just(OrderType::Market), Just(OrderType::Limit)];
    let side = prop_oneof![Just(Side::Buy), Just(Side::Sell)];
    let expire = proptest::option::of((0i64..600).prop_map(|s| s * 1_000 * MS));
    (client_id(), 0..SYMBOLS.len(), side, kind, decimal(), proptest::option::of(decimal()), time_in_force(), expire)
        .prop_map(|(client_order_id, symbol, side, order_type, qty, limit_price, time_in_force, expire_ns)| NewOrder {
            client_order_id,
            symbol: SYMBOLS[symbol].to_owned(),
            side,
            order_type,
            qty,
            limit_price,
            time_in_force,
            expire_ns,
        })
}

fn new_bar() -> impl Strategy<Value = MarketBar> {
    (0..SYMBOLS.len(), decimal(), decimal(), decimal(), decimal(), decimal()).prop_map(
        |(symbol, open, high, low, close, volume)| MarketBar {
            symbol: SYMBOLS[symbol].into(),
            open,
            high,
            low,
            close,
            volume,
            market_ts_ns: 0,
        },
    )
}

fn op() -> impl Strategy<Value = Op> {
    let broker_id = proptest::option::of((1u8..14).prop_map(|n| BrokerOrderId::from(format!("P-{n}"))));
    prop_oneof![
        4 => new_order().prop_map(Op::Submit),
        2 => (client_id(), broker_id)
            .prop_map(|(client_order_id, broker_order_id)| Op::Cancel(CancelRequest { client_order_id, broker_order_id })),
        4 => new_bar().prop_map(Op::Bar),
    ]
}

fn config() -> impl Strategy<Value = PaperConfig> {
    let probability = prop_oneof![Just("0"), Just("0.3"), Just("0.5"), Just("1"), Just("2")];
    let participation = prop_oneof![Just("0.01"), Just("0.1"), Just("0.5"), Just("1"), Just("-1")];
    (0u64..30, 0i64..50, 0i64..10, probability, participation, any::<u64>()).prop_map(
        |(latency_ms, slippage, commission, probability, participation, seed)| PaperConfig {
            latency_ms,
            slippage_bps: Decimal::from(slippage),
            commission_bps: Decimal::new(commission, 1),
            limit_fill_probability: d(probability),
            max_bar_participation: d(participation),
            seed,
            ..PaperConfig::default()
        },
    )
}

/// Runs `ops`, each `gap` ms after the last, polling after each; returns the venue and every report.
fn run(config: &PaperConfig, ops: &[(Op, i64)]) -> (PaperVenue, Vec<Timed<BrokerReport>>) {
    let mut venue = PaperVenue::new(config.clone());
    let mut reports = Vec::new();
    let mut now = 0;
    for (op, gap_ms) in ops {
        now += gap_ms * MS;
        match op {
            Op::Submit(order) => submit(&mut venue, order.clone(), now),
            Op::Cancel(request) => ready(venue.send(BrokerCommand::Cancel(request.clone()), now)).unwrap(),
            Op::Bar(bar) => venue.on_bar(bar, now),
        }
        reports.extend(drain(&mut venue, now));
    }
    reports.extend(drain(&mut venue, i64::MAX));
    (venue, reports)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn random_call_sequences_never_panic_never_overfill_and_repeat_exactly(
        config in config(),
        ops in proptest::collection::vec((op(), 0i64..40_000), 1..80),
    ) {
        let (venue, reports) = run(&config, &ops);
        prop_assert_eq!(&run(&config, &ops).1, &reports, "same calls, same reports");
        prop_assert_eq!(venue.next_due(), None, "everything was drained");

        let mut filled: BTreeMap<&ClientOrderId, Decimal> = BTreeMap::new();
        let mut last_at = i64::MIN;
        for report in &reports {
            prop_assert!(report.at_ns >= last_at, "reports come in delivery order");
            last_at = report.at_ns;
            if let BrokerReport::Filled(fill) = &report.item {
                prop_assert!(fill.qty > Decimal::ZERO);
                *filled.entry(&fill.client_order_id).or_default() += fill.qty;
            }
        }
        for order in venue.orders() {
            let reported = filled.get(&order.order.client_order_id).copied().unwrap_or_default();
            prop_assert_eq!(reported, order.filled_qty);
            prop_assert!(order.filled_qty <= order.order.qty, "overfill of {:?}", order);
            if order.is_working() {
                prop_assert!(order.leaves_qty() > Decimal::ZERO);
            }
            prop_assert_eq!(order.state == VenueOrderState::Filled, order.leaves_qty() == Decimal::ZERO);
        }
        let fill_reports = reports.iter().filter(|r| matches!(r.item, BrokerReport::Filled(_))).count();
        prop_assert_eq!(venue.fills().len(), fill_reports);
    }
}
