use std::pin::pin;
use std::task::{Context, Poll, Waker};

use rust_decimal::Decimal;

use super::*;
use crate::broker::{CancelRequest, NewOrder};
use crate::domain::{BrokerOrderId, LiquiditySide, OrderType, Side, TimeInForce};

mod prop;

const MS: i64 = 1_000_000;
const MINUTE: i64 = 60_000 * MS;

fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// Runs a paper venue future, which never waits.
fn ready<F: Future>(future: F) -> F::Output {
    match pin!(future).poll(&mut Context::from_waker(Waker::noop())) {
        Poll::Ready(output) => output,
        Poll::Pending => panic!("the paper venue never waits"),
    }
}

fn venue(config: PaperConfig) -> PaperVenue {
    PaperVenue::new(config)
}

fn submit(venue: &mut PaperVenue, order: NewOrder, at_ns: i64) {
    ready(venue.send(BrokerCommand::Submit(order), at_ns)).unwrap();
}

fn cancel(venue: &mut PaperVenue, id: &str, at_ns: i64) {
    let request = CancelRequest { client_order_id: id.into(), broker_order_id: None };
    ready(venue.send(BrokerCommand::Cancel(request), at_ns)).unwrap();
}

fn poll(venue: &mut PaperVenue, now_ns: i64) -> Option<Timed<BrokerReport>> {
    ready(venue.poll_report(now_ns)).unwrap()
}

/// Every report due at or before `now_ns`.
fn drain(venue: &mut PaperVenue, now_ns: i64) -> Vec<Timed<BrokerReport>> {
    std::iter::from_fn(|| poll(venue, now_ns)).collect()
}

/// [`drain`] as one line per report: `ms kind id details ts=ms`.
fn lines(venue: &mut PaperVenue, now_ns: i64) -> Vec<String> {
    drain(venue, now_ns).iter().map(line).collect()
}

fn line(report: &Timed<BrokerReport>) -> String {
    let at = report.at_ns / MS;
    match &report.item {
        BrokerReport::State(r) => format!("{at} state {} open {} positions", r.open_orders.len(), r.positions.len()),
        BrokerReport::Accepted(r) => {
            format!("{at} accepted {} {} ts={}", r.client_order_id, r.broker_order_id, ms(r.broker_ts_ns))
        }
        BrokerReport::Rejected(r) => {
            format!("{at} rejected {}: {} ts={}", r.client_order_id, r.reason, ms(r.broker_ts_ns))
        }
        BrokerReport::Filled(r) => format!(
            "{at} filled {} {} {}@{} fee {} {:?} ts={}",
            r.client_order_id,
            r.fill_id,
            r.qty,
            r.price,
            r.fee,
            r.liquidity,
            ms(r.broker_ts_ns)
        ),
        BrokerReport::Cancelled(r) => {
            format!("{at} cancelled {}: {} ts={}", r.client_order_id, r.reason, ms(r.broker_ts_ns))
        }
        BrokerReport::CancelRejected(r) => {
            format!("{at} cancel rejected {}: {} ts={}", r.client_order_id, r.reason, ms(r.broker_ts_ns))
        }
        BrokerReport::Expired(r) => format!("{at} expired {} ts={}", r.client_order_id, ms(r.broker_ts_ns)),
    }
}

fn ms(ns: i64) -> i64 {
    ns / MS
}

fn order(id: &str, side: Side, qty: &str, limit: Option<&str>, tif: TimeInForce) -> NewOrder {
    NewOrder {
        client_order_id: id.into(),
        symbol: "EURUSD".to_owned(),
        side,
        order_type: if limit.is_some() { OrderType::Limit } else { OrderType::Market },
        qty: d(qty),
        limit_price: limit.map(d),
        time_in_force: tif,
        expire_ns: None,
    }
}

fn market(id: &str, side: Side, qty: &str, tif: TimeInForce) -> NewOrder {
    order(id, side, qty, None, tif)
}

fn limit(id: &str, side: Side, qty: &str, price: &str, tif: TimeInForce) -> NewOrder {
    order(id, side, qty, Some(price), tif)
}

/// A EURUSD bar: open, high, low, close, volume.
fn bar(ohlcv: [&str; 5]) -> MarketBar {
    let [open, high, low, close, volume] = ohlcv.map(d);
    MarketBar { symbol: "EURUSD".into(), open, high, low, close, volume, market_ts_ns: 0 }
}

/// A bar that only prints `close` (open = high = low = close).
fn flat(close: &str, volume: &str) -> MarketBar {
    bar([close, close, close, close, volume])
}

fn filled(reports: &[Timed<BrokerReport>]) -> Vec<&crate::event::BrokerFilled> {
    reports
        .iter()
        .filter_map(|report| match &report.item {
            BrokerReport::Filled(fill) => Some(fill),
            _ => None,
        })
        .collect()
}

#[test]
fn market_order_fills_at_last_close_with_slippage_and_exact_fee() {
    let config = PaperConfig { slippage_bps: d("1"), commission_bps: d("0.5"), ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("1.1000", "1000"), 0);
    submit(&mut venue, market("b", Side::Buy, "10", TimeInForce::Day), MS);
    submit(&mut venue, market("s", Side::Sell, "10", TimeInForce::Day), MS);
    let reports = drain(&mut venue, MS);
    let fills = filled(&reports);
    // 1.1000 × 1.0001 = 1.10011; 10 × 1.10011 × 0.5 / 10000 = 0.000550055 → 0.00055006 (half away).
    assert_eq!((fills[0].price, fills[0].fee), (d("1.10011"), d("0.00055006")));
    assert_eq!(fills[0].price.to_string(), "1.10011", "normalized");
    // 1.1000 × 0.9999 = 1.09989; 10 × 1.09989 × 0.00005 = 0.000549945 → 0.00054995.
    assert_eq!((fills[1].price, fills[1].fee), (d("1.09989"), d("0.00054995")));
    assert_eq!(fills[0].fill_id.as_str(), "P-1-1");
    assert_eq!(fills[0].broker_order_id.as_str(), "P-1");
    assert_eq!((fills[0].liquidity, fills[0].venue.as_str()), (LiquiditySide::Taker, "PAPER"));
    assert_eq!(venue.positions().get("EURUSD"), Some(&Decimal::ZERO));
    assert_eq!(venue.fills().len(), 2);
}

#[test]
fn partial_fills_share_the_bar_budget_and_round_down_to_the_qty_scale() {
    let config = PaperConfig { max_bar_participation: d("0.1"), ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "100"), 0); // budget 10
    submit(&mut venue, market("a", Side::Buy, "8", TimeInForce::Day), MS);
    submit(&mut venue, market("b", Side::Buy, "8", TimeInForce::Day), MS);
    assert_eq!(
        lines(&mut venue, MS),
        [
            "1 accepted a P-1 ts=1",
            "1 filled a P-1-1 8@100 fee 0 Taker ts=1",
            "1 accepted b P-2 ts=1",
            "1 filled b P-2-1 2@100 fee 0 Taker ts=1",
        ]
    );
    assert_eq!(venue.open_orders().map(|o| o.leaves_qty()).collect::<Vec<_>>(), [d("6")]);
    venue.on_bar(&bar(["101", "102", "100", "101", "25"]), MINUTE); // budget 2.5 → 2
    venue.on_bar(&bar(["103", "104", "102", "103", "1000"]), 2 * MINUTE); // budget 100
    assert_eq!(
        lines(&mut venue, 2 * MINUTE),
        ["60000 filled b P-2-2 2@101 fee 0 Taker ts=60000", "120000 filled b P-2-3 4@103 fee 0 Taker ts=120000"]
    );
    assert_eq!(venue.open_orders().count(), 0);
    assert_eq!(venue.order(&"b".into()).map(|o| (o.filled_qty, o.fill_count)), Some((d("8"), 3)));
    assert_eq!(venue.positions().get("EURUSD"), Some(&d("16")));
}

#[test]
fn a_limit_order_that_is_marketable_on_arrival_fills_at_the_reference_as_taker() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("b", Side::Buy, "5", "101", TimeInForce::Gtc), MS);
    submit(&mut venue, limit("s", Side::Sell, "5", "100", TimeInForce::Gtc), MS);
    let lines = lines(&mut venue, MS);
    assert_eq!(lines[1], "1 filled b P-1-1 5@100 fee 0 Taker ts=1");
    assert_eq!(lines[3], "1 filled s P-2-1 5@100 fee 0 Taker ts=1");
}

#[test]
fn a_resting_limit_order_fills_only_when_a_bar_trades_through_it() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("b", Side::Buy, "10", "99", TimeInForce::Gtc), MS);
    submit(&mut venue, limit("s", Side::Sell, "10", "101", TimeInForce::Gtc), MS);
    assert_eq!(lines(&mut venue, MS), ["1 accepted b P-1 ts=1", "1 accepted s P-2 ts=1"]);
    venue.on_bar(&bar(["100", "101", "99", "100", "1000"]), MINUTE); // touches both
    assert_eq!(lines(&mut venue, MINUTE), Vec::<String>::new());
    venue.on_bar(&bar(["100", "101.5", "98.5", "100", "1000"]), 2 * MINUTE);
    assert_eq!(
        lines(&mut venue, 2 * MINUTE),
        ["120000 filled b P-1-1 10@99 fee 0 Maker ts=120000", "120000 filled s P-2-1 10@101 fee 0 Maker ts=120000"]
    );
}

/// One GTC buy of 20 @ 99 resting through `bars` bars that trade through it, each with a
/// budget of 1: the indices of the bars on which it filled, and every report.
fn probability_run(probability: &str, seed: u64, bars: i64) -> (Vec<i64>, Vec<Timed<BrokerReport>>) {
    let config = PaperConfig { limit_fill_probability: d(probability), seed, ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "1"), 0);
    submit(&mut venue, limit("b", Side::Buy, "20", "99", TimeInForce::Gtc), 0);
    for n in 1..=bars {
        venue.on_bar(&bar(["100", "100", "98", "100", "1"]), n * MINUTE);
    }
    let reports = drain(&mut venue, bars * MINUTE);
    let fill_bars = filled(&reports).iter().map(|fill| fill.broker_ts_ns / MINUTE).collect();
    (fill_bars, reports)
}

#[test]
fn limit_fill_probability_zero_never_fills_and_one_always_fills() {
    assert_eq!(probability_run("0", 7, 50).0, Vec::<i64>::new());
    assert_eq!(probability_run("1", 7, 20).0, (1..=20).collect::<Vec<_>>());
}

#[test]
fn limit_fill_probability_one_half_is_a_pinned_sequence_for_a_fixed_seed() {
    let (bars, reports) = probability_run("0.5", 42, 20);
    assert_eq!(bars, [3, 7, 10, 11, 13, 15, 16, 17, 18]);
    let mut rng = ChaCha8Rng::seed_from_u64(42 ^ RNG_SALT);
    let by_f64: Vec<i64> = (1..=20).filter(|_| rand::Rng::random::<f64>(&mut rng) < 0.5).collect();
    assert_eq!(bars, by_f64, "u is rand's f64 draw from the salted seed");
    assert_eq!(probability_run("0.5", 42, 20).1, reports, "same seed, same reports");
    assert_ne!(probability_run("0.5", 43, 20).0, bars, "another seed, another sequence");
}

#[test]
fn an_ioc_remainder_is_cancelled_after_its_fill() {
    let config = PaperConfig { max_bar_participation: d("0.5"), ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "10"), 0); // budget 5
    submit(&mut venue, market("m", Side::Buy, "8", TimeInForce::Ioc), MS);
    submit(&mut venue, limit("l", Side::Buy, "8", "90", TimeInForce::Ioc), MS);
    assert_eq!(
        lines(&mut venue, MS),
        [
            "1 accepted m P-1 ts=1",
            "1 filled m P-1-1 5@100 fee 0 Taker ts=1",
            "1 cancelled m: IOC remainder ts=1",
            "1 accepted l P-2 ts=1",
            "1 cancelled l: IOC remainder ts=1",
        ]
    );
    assert_eq!(venue.open_orders().count(), 0);
}

#[test]
fn a_fok_fills_completely_in_one_fill_or_not_at_all() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "10"), 0); // budget 10
    submit(&mut venue, market("big", Side::Buy, "11", TimeInForce::Fok), MS);
    submit(&mut venue, limit("far", Side::Buy, "1", "90", TimeInForce::Fok), MS);
    submit(&mut venue, market("fits", Side::Buy, "10", TimeInForce::Fok), MS);
    assert_eq!(
        lines(&mut venue, MS),
        [
            "1 accepted big P-1 ts=1",
            "1 cancelled big: FOK not fillable ts=1",
            "1 accepted far P-2 ts=1",
            "1 cancelled far: FOK not fillable ts=1",
            "1 accepted fits P-3 ts=1",
            "1 filled fits P-3-1 10@100 fee 0 Taker ts=1",
        ]
    );
    assert_eq!(venue.positions().get("EURUSD"), Some(&d("10")));
}

#[test]
fn day_and_gtd_orders_expire_at_their_time_delivered_after_the_latency() {
    let config = PaperConfig { latency_ms: 5, ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "1000"), 0);
    let day = NewOrder { expire_ns: Some(1_000 * MS), ..limit("day", Side::Buy, "1", "90", TimeInForce::Day) };
    let gtd = limit("gtd", Side::Buy, "1", "90", TimeInForce::Gtd { expire_ns: 2_000 * MS });
    let late = NewOrder { expire_ns: Some(MS), ..limit("late", Side::Buy, "1", "90", TimeInForce::Day) };
    let gtc = limit("gtc", Side::Buy, "1", "90", TimeInForce::Gtc);
    for order in [day, gtd, late, gtc] {
        submit(&mut venue, order, 0);
    }
    assert_eq!(drain(&mut venue, 5 * MS).len(), 0);
    let arrivals = lines(&mut venue, 10 * MS);
    assert_eq!(arrivals[2..], ["10 accepted late P-3 ts=5", "10 expired late ts=5", "10 accepted gtc P-4 ts=5"]);
    assert_eq!(venue.next_due(), Some(1_000 * MS));
    assert_eq!(lines(&mut venue, 1_004 * MS), Vec::<String>::new());
    assert_eq!(venue.next_due(), Some(1_005 * MS));
    assert_eq!(lines(&mut venue, 1_005 * MS), ["1005 expired day ts=1000"]);
    assert_eq!(lines(&mut venue, 3_000 * MS), ["2005 expired gtd ts=2000"]);
    assert_eq!(venue.next_due(), None, "the GTC never expires");
    assert_eq!(venue.open_orders().map(|o| o.order.client_order_id.as_str()).collect::<Vec<_>>(), ["gtc"]);
}

#[test]
fn a_filled_or_cancelled_order_leaves_no_expiry_behind() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    let day = NewOrder { expire_ns: Some(MINUTE), ..limit("day", Side::Buy, "1", "90", TimeInForce::Day) };
    submit(&mut venue, day, 0);
    cancel(&mut venue, "day", MS);
    assert_eq!(lines(&mut venue, MS)[1], "1 cancelled day: cancelled by client ts=1");
    assert_eq!(venue.next_due(), None);
}

#[test]
fn a_cancel_takes_a_resting_order_off_the_book() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("b", Side::Buy, "10", "99", TimeInForce::Gtc), MS);
    cancel(&mut venue, "b", 2 * MS);
    cancel(&mut venue, "b", 3 * MS);
    venue.on_bar(&bar(["100", "100", "90", "100", "1000"]), MINUTE);
    assert_eq!(
        lines(&mut venue, MINUTE),
        [
            "1 accepted b P-1 ts=1",
            "2 cancelled b: cancelled by client ts=2",
            "3 cancel rejected b: order already cancelled ts=3",
        ]
    );
    assert_eq!(venue.open_orders().count(), 0);
    assert!(venue.fills().is_empty());
}

#[test]
fn a_bar_between_a_cancels_send_and_its_arrival_fills_first() {
    let config = PaperConfig { latency_ms: 10, ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("b", Side::Buy, "10", "99", TimeInForce::Gtc), 0);
    cancel(&mut venue, "b", 100 * MS); // arrives at 110
    venue.on_bar(&bar(["100", "100", "98", "100", "1000"]), 105 * MS);
    assert_eq!(
        lines(&mut venue, 200 * MS),
        [
            "20 accepted b P-1 ts=10",
            "115 filled b P-1-1 10@99 fee 0 Maker ts=105",
            "120 cancel rejected b: order already filled ts=110",
        ]
    );
}

#[test]
fn a_cancel_arriving_exactly_at_a_bar_beats_the_bar() {
    let config = PaperConfig { latency_ms: 10, ..PaperConfig::default() };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("b", Side::Buy, "10", "99", TimeInForce::Gtc), 0);
    cancel(&mut venue, "b", 95 * MS); // arrives at 105
    venue.on_bar(&bar(["100", "100", "98", "100", "1000"]), 105 * MS);
    assert_eq!(lines(&mut venue, 200 * MS)[1], "115 cancelled b: cancelled by client ts=105");
}

#[test]
fn cancels_of_orders_the_venue_cannot_cancel_are_rejected_with_the_reason() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, market("filled", Side::Buy, "1", TimeInForce::Day), 0);
    submit(&mut venue, market("bad", Side::Buy, "0", TimeInForce::Day), 0);
    submit(&mut venue, limit("rest", Side::Buy, "1", "90", TimeInForce::Gtc), 0);
    drain(&mut venue, 0);
    cancel(&mut venue, "nobody", MS);
    cancel(&mut venue, "filled", MS);
    cancel(&mut venue, "bad", MS);
    let wrong = CancelRequest { client_order_id: "rest".into(), broker_order_id: Some(BrokerOrderId::from("P-9")) };
    ready(venue.send(BrokerCommand::Cancel(wrong), MS)).unwrap();
    assert_eq!(
        lines(&mut venue, MS),
        [
            "1 cancel rejected nobody: unknown order ts=1",
            "1 cancel rejected filled: order already filled ts=1",
            "1 cancel rejected bad: order was rejected ts=1",
            "1 cancel rejected rest: broker order id does not match the order ts=1",
        ]
    );
    assert_eq!(venue.open_orders().count(), 1);
}

#[test]
fn latency_shifts_every_report_by_l() {
    let run = |latency_ms: u64| {
        let mut venue = venue(PaperConfig { latency_ms, ..PaperConfig::default() });
        venue.on_bar(&flat("100", "1000"), 0);
        submit(&mut venue, market("m", Side::Buy, "1", TimeInForce::Day), MINUTE);
        submit(&mut venue, limit("l", Side::Buy, "1", "99", TimeInForce::Gtc), MINUTE);
        submit(&mut venue, market("x", Side::Buy, "0", TimeInForce::Day), MINUTE);
        cancel(&mut venue, "m", 2 * MINUTE);
        venue.on_bar(&bar(["100", "100", "98", "100", "1000"]), 3 * MINUTE);
        drain(&mut venue, 10 * MINUTE).into_iter().map(|report| report.at_ns).collect::<Vec<_>>()
    };
    let (plain, late) = (run(0), run(7));
    assert_eq!(plain.len(), 6);
    let arrivals = [MINUTE, MINUTE, MINUTE, MINUTE, 2 * MINUTE];
    assert_eq!(plain[..5], arrivals);
    assert_eq!(late[..5], arrivals.map(|at| at + 14 * MS), "command and report each take L");
    assert_eq!((plain[5], late[5]), (3 * MINUTE, 3 * MINUTE + 7 * MS), "a bar fill takes L once");
}

#[test]
fn a_market_order_without_market_data_is_rejected() {
    let mut venue = venue(PaperConfig::default());
    submit(&mut venue, market("m", Side::Buy, "1", TimeInForce::Day), 0);
    submit(&mut venue, limit("l", Side::Buy, "1", "1.1", TimeInForce::Day), 0);
    assert_eq!(lines(&mut venue, 0), ["0 rejected m: no market data for EURUSD ts=0", "0 accepted l P-1 ts=0"]);
}

#[test]
fn malformed_orders_are_rejected() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    let typed = |id: &str, order_type, price: Option<&str>| NewOrder {
        order_type,
        limit_price: price.map(d),
        ..market(id, Side::Buy, "1", TimeInForce::Day)
    };
    submit(&mut venue, market("zero", Side::Buy, "0", TimeInForce::Day), 0);
    submit(&mut venue, typed("priced", OrderType::Market, Some("100")), 0);
    submit(&mut venue, typed("unpriced", OrderType::Limit, None), 0);
    submit(&mut venue, typed("negative", OrderType::Limit, Some("-1")), 0);
    submit(&mut venue, typed("fine", OrderType::Limit, Some("1.000000001")), 0);
    assert_eq!(
        lines(&mut venue, 0),
        [
            "0 rejected zero: qty must be positive, got 0 ts=0",
            "0 rejected priced: a market order must not carry a limit price ts=0",
            "0 rejected unpriced: a limit order needs a limit price ts=0",
            "0 rejected negative: limit price must be positive, got -1 ts=0",
            "0 rejected fine: limit price 1.000000001 has more than 8 decimal places ts=0",
        ]
    );
}

#[test]
fn a_duplicate_client_order_id_is_rejected_and_the_first_order_is_untouched() {
    let mut venue = venue(PaperConfig::default());
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, limit("o", Side::Buy, "1", "90", TimeInForce::Gtc), 0);
    submit(&mut venue, limit("o", Side::Sell, "5", "200", TimeInForce::Gtc), 0);
    assert_eq!(lines(&mut venue, 0), ["0 accepted o P-1 ts=0", "0 rejected o: duplicate client order id o ts=0"]);
    let open: Vec<_> =
        venue.open_orders().map(|o| (o.broker_order_id.as_str(), o.order.side, o.leaves_qty())).collect();
    assert_eq!(open, [("P-1", Side::Buy, d("1"))]);
}

#[test]
fn next_due_and_poll_report_follow_time_then_creation_order() {
    let config = PaperConfig { latency_ms: 10, ..PaperConfig::default() };
    let mut venue = venue(config);
    assert_eq!(venue.next_due(), None);
    submit(&mut venue, limit("a", Side::Buy, "1", "1", TimeInForce::Gtc), 5 * MS); // arrives 15
    submit(&mut venue, limit("b", Side::Buy, "1", "1", TimeInForce::Gtc), 0); // arrives 10
    assert_eq!(venue.next_due(), Some(10 * MS));
    assert_eq!(poll(&mut venue, 9 * MS), None);
    assert_eq!(poll(&mut venue, 10 * MS), None, "b arrived; its ack is on its way");
    assert_eq!(venue.next_due(), Some(15 * MS));
    let first = poll(&mut venue, 100 * MS).map(|report| line(&report));
    assert_eq!(first.as_deref(), Some("20 accepted b P-1 ts=10"));
    assert_eq!(venue.next_due(), Some(25 * MS), "a arrived in the same poll");
    assert_eq!(lines(&mut venue, 100 * MS), ["25 accepted a P-2 ts=15"]);
    assert_eq!(venue.next_due(), None);
}

#[test]
fn out_of_range_config_is_clamped_and_never_panics() {
    let config = PaperConfig {
        latency_ms: u64::MAX,
        slippage_bps: Decimal::MAX,
        commission_bps: Decimal::MAX,
        limit_fill_probability: d("7"),
        max_bar_participation: d("-3"),
        ..PaperConfig::default()
    };
    let mut venue = venue(config);
    venue.on_bar(&flat("100", "1000"), 0);
    submit(&mut venue, market("m", Side::Buy, "1", TimeInForce::Gtc), 0);
    let reports = drain(&mut venue, i64::MAX);
    assert_eq!(reports.iter().map(|report| report.at_ns).collect::<Vec<_>>(), [i64::MAX]);
    assert!(filled(&reports).is_empty(), "participation clamped to 0: no budget");
}
