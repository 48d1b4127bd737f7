//! Core tests: decisions for every input kind, refusals that change nothing, timers, and a
//! property test that random input streams never panic and replay to the engine's own views.

use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::broker::BrokerCommand;
use crate::domain::{BrokerOrderId, ClientOrderId, LiquiditySide, OrderStatus, OrderType, Side, TimeInForce};
use crate::event::*;
use crate::journal::ChainHash;

const T0: i64 = 1_704_205_800_000_000_000; // 2024-01-02T14:30:00Z
const S: i64 = 1_000_000_000;

fn core() -> Core {
    let mut core = Core::new(ChainHash::of_genesis(b"test"));
    let session = SessionStarted {
        name: "t".into(),
        scenario_digest: "d".into(),
        config: EngineConfig { max_order_qty: Some(Decimal::from(100)), stale_grace_ms: 1_000, ..Default::default() },
        venue_settings: Default::default(),
    };
    core.handle(T0 - S, session.into()).unwrap();
    core.handle(T0 - S, bar("1.1000").into()).unwrap();
    core
}

fn bar(close: &str) -> MarketBar {
    let px: Decimal = close.parse().unwrap();
    MarketBar {
        symbol: "6E".into(),
        open: px,
        high: px,
        low: px,
        close: px,
        volume: Decimal::from(100),
        market_ts_ns: 0,
    }
}

fn submit(id: &str, qty: i64, tif: TimeInForce, ttl_s: Option<u64>) -> Event {
    SubmitOrder {
        client_order_id: id.into(),
        strategy: "s".into(),
        symbol: "6E".into(),
        side: Side::Buy,
        order_type: OrderType::Limit,
        qty: Decimal::from(qty),
        limit_price: Some("1.0950".parse().unwrap()),
        time_in_force: tif,
        ttl_s,
        decision_price: None,
    }
    .into()
}

fn types(decision: &Decision) -> Vec<&'static str> {
    decision.records.iter().map(|(_, e)| e.type_name()).collect()
}

fn accept(core: &mut Core, id: &str, at: i64) -> Decision {
    let report =
        BrokerAccepted { client_order_id: id.into(), broker_order_id: format!("P-{id}").into(), broker_ts_ns: at };
    core.handle(at, report.into()).unwrap()
}

fn fill(id: &str, fill_id: &str, qty: i64) -> Event {
    BrokerFilled {
        client_order_id: id.into(),
        broker_order_id: format!("P-{id}").into(),
        fill_id: fill_id.into(),
        qty: Decimal::from(qty),
        price: "1.0950".parse().unwrap(),
        fee: Decimal::ZERO,
        liquidity: LiquiditySide::Maker,
        venue: "PAPER".into(),
        broker_ts_ns: 0,
    }
    .into()
}

#[test]
fn a_submission_is_journaled_created_and_sent_with_the_arrival_price() {
    let mut core = core();
    let d = core.handle(T0, submit("o-1", 10, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&d), ["SubmitOrder", "OrderCreated", "OrderSubmitted"]);
    assert_eq!(d.first_seq(), 4);
    let Event::OrderCreated(created) = &d.records[1].1 else { panic!() };
    assert_eq!(created.arrival_price, Some("1.1000".parse().unwrap()));
    let [BrokerCommand::Submit(order)] = d.commands.as_slice() else { panic!("{:?}", d.commands) };
    assert_eq!((order.client_order_id.as_str(), order.expire_ns), ("o-1", None));
    // Input first, decisions caused by it and correlated with it.
    let input_id = d.records[0].0.event_id;
    assert_eq!(d.records[0].0.correlation_id, Some(input_id));
    assert!(d.records[1..].iter().all(|(env, _)| env.causation_id == Some(input_id)));
    assert!(d.records.iter().all(|(env, _)| env.correlation_id == Some(input_id) && env.stream == "order:o-1"));
    let later = accept(&mut core, "o-1", T0 + S);
    assert!(later.records.iter().all(|(env, _)| env.correlation_id == Some(input_id)));
}

#[test]
fn pre_trade_checks_and_bad_commands_are_journaled_not_sent() {
    let mut core = core();
    let too_big = core.handle(T0, submit("o-1", 101, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&too_big), ["SubmitOrder", "OrderCreated", "OrderDenied"]);
    assert!(too_big.commands.is_empty());
    let duplicate = core.handle(T0, submit("o-1", 1, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&duplicate), ["SubmitOrder", "CommandRejected"]);
    let past = core.handle(T0, submit("o-2", 1, TimeInForce::Gtd { expire_ns: T0 }, None)).unwrap();
    assert_eq!(types(&past), ["SubmitOrder", "OrderCreated", "OrderDenied"]);
    let unknown = core.handle(T0, CancelOrder { client_order_id: "nope".into() }.into()).unwrap();
    assert_eq!(types(&unknown), ["CancelOrder", "CommandRejected"]);
    let finished = core.handle(T0, CancelOrder { client_order_id: "o-1".into() }.into()).unwrap();
    assert_eq!(types(&finished), ["CancelOrder", "CommandRejected"]);
    assert!([unknown, finished].iter().all(|d| d.commands.is_empty()));
}

#[test]
fn halted_engines_deny_new_orders_but_let_cancels_through() {
    let mut core = core();
    core.handle(T0, submit("o-1", 1, TimeInForce::Gtc, None)).unwrap();
    let halt = OperatorCommand { operator: "ops".into(), action: OperatorAction::Halt, reason: "drill".into() };
    assert_eq!(types(&core.handle(T0, halt.clone().into()).unwrap()), ["OperatorCommand", "EngineHalted"]);
    assert_eq!(types(&core.handle(T0, halt.into()).unwrap()), ["OperatorCommand", "CommandRejected"]);
    let denied = core.handle(T0, submit("o-2", 1, TimeInForce::Gtc, None)).unwrap();
    let Event::OrderDenied(denial) = &denied.records[2].1 else { panic!() };
    assert_eq!(denial.reason, "engine halted: drill");
    let cancel = core.handle(T0, CancelOrder { client_order_id: "o-1".into() }.into()).unwrap();
    assert_eq!(types(&cancel), ["CancelOrder", "CancelRequested"]);
    assert!(matches!(cancel.commands.as_slice(), [BrokerCommand::Cancel(_)]));
    let resume = OperatorCommand { operator: "ops".into(), action: OperatorAction::Resume, reason: "ok".into() };
    core.handle(T0, resume.into()).unwrap();
    let sent = core.handle(T0, submit("o-3", 1, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&sent), ["SubmitOrder", "OrderCreated", "OrderSubmitted"]);
}

#[test]
fn broker_reports_become_order_events_or_are_ignored() {
    let mut core = core();
    core.handle(T0, submit("o-1", 10, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&accept(&mut core, "o-1", T0)), ["BrokerAccepted", "OrderAccepted"]);
    assert_eq!(types(&core.handle(T0, fill("o-1", "f-1", 4)).unwrap()), ["BrokerFilled", "OrderFilled"]);
    let duplicate = core.handle(T0, fill("o-1", "f-1", 4)).unwrap();
    assert_eq!(types(&duplicate), ["BrokerFilled", "ReportIgnored"]);
    let unknown = core.handle(T0, fill("ghost", "f-9", 1)).unwrap();
    assert_eq!(types(&unknown), ["BrokerFilled", "ReportIgnored", "InvariantViolated"]);
    let Event::ReportIgnored(ignored) = &unknown.records[1].1 else { panic!() };
    assert_eq!(ignored.broker_order_id, Some(BrokerOrderId::from("P-ghost")));
    assert!(core.state().halted.as_deref().unwrap().contains("fill for an unknown order"));
    let resume = OperatorCommand { operator: "ops".into(), action: OperatorAction::Resume, reason: "checked".into() };
    core.handle(T0, resume.into()).unwrap();
    let cancel = core.handle(T0, CancelOrder { client_order_id: "o-1".into() }.into()).unwrap();
    let [BrokerCommand::Cancel(request)] = cancel.commands.as_slice() else { panic!() };
    assert_eq!(request.broker_order_id, Some(BrokerOrderId::from("P-o-1")));
    // The cancel race: the rest fills before the cancel lands; the cancel is then refused.
    core.handle(T0, fill("o-1", "f-2", 6)).unwrap();
    assert_eq!(core.state().order(&"o-1".into()).unwrap().status, OrderStatus::Filled);
    let late = BrokerCancelRejected { client_order_id: "o-1".into(), reason: "filled".into(), broker_ts_ns: T0 };
    assert_eq!(types(&core.handle(T0, late.into()).unwrap()), ["BrokerCancelRejected", "ReportIgnored"]);
}

#[test]
fn stale_orders_are_cancelled_when_their_deadline_passes() {
    let mut core = core();
    core.handle(T0, submit("ttl", 1, TimeInForce::Gtc, Some(60))).unwrap();
    core.handle(T0, submit("gtd", 1, TimeInForce::Gtd { expire_ns: T0 + 30 * S }, None)).unwrap();
    accept(&mut core, "ttl", T0);
    accept(&mut core, "gtd", T0);
    assert_eq!(core.next_deadline(), Some(T0 + 31 * S), "GTD expiry plus the 1 s grace");
    let quiet = core.handle(T0 + 31 * S - 1, TimerTick {}.into()).unwrap();
    assert_eq!(types(&quiet), ["TimerTick"]);
    let due = core.handle(T0 + 31 * S, TimerTick {}.into()).unwrap();
    assert_eq!(types(&due), ["TimerTick", "CancelRequested"]);
    assert_eq!(core.next_deadline(), Some(T0 + 60 * S));
    // The venue expired it meanwhile: no second cancel.
    let expired = BrokerExpired { client_order_id: "gtd".into(), broker_ts_ns: T0 };
    assert_eq!(types(&core.handle(T0 + 32 * S, expired.into()).unwrap()), ["BrokerExpired", "OrderExpired"]);
    let ttl = core.handle(T0 + 61 * S, bar("1.1").into()).unwrap();
    assert_eq!(types(&ttl), ["MarketBar", "CancelRequested"]);
    assert_eq!(core.next_deadline(), None);
}

#[test]
fn refused_inputs_change_nothing() {
    let mut core = core();
    let before = (core.last_seq(), core.state().clone());
    let decision = Event::from(OrderSubmitted { client_order_id: "o-1".into() });
    assert!(matches!(core.handle(T0, decision), Err(EngineError::NotAnInput { .. })));
    assert!(matches!(core.handle(T0 - 2 * S, TimerTick {}.into()), Err(EngineError::TimeWentBackwards { .. })));
    assert_eq!((core.last_seq(), core.state().clone()), before);
}

#[test]
fn an_overfill_is_journaled_flagged_and_halts() {
    let mut core = core();
    core.handle(T0, submit("o-1", 5, TimeInForce::Gtc, None)).unwrap();
    accept(&mut core, "o-1", T0);
    core.handle(T0, fill("o-1", "f-1", 5)).unwrap();
    let over = core.handle(T0, fill("o-1", "f-2", 2)).unwrap();
    assert_eq!(types(&over), ["BrokerFilled", "OrderFilled", "InvariantViolated"]);
    let order = core.state().order(&"o-1".into()).unwrap();
    assert!(order.overfill && order.cum_qty == Decimal::from(7));
    assert!(core.state().halted.as_deref().unwrap().starts_with("invariant violated: overfill"));
    let denied = core.handle(T0, submit("o-2", 1, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&denied), ["SubmitOrder", "OrderCreated", "OrderDenied"]);
}

#[test]
fn the_kill_switch_halts_cancels_every_working_order_and_can_flatten() {
    let mut core = core();
    for id in ["a", "b", "c"] {
        core.handle(T0, submit(id, 10, TimeInForce::Gtc, None)).unwrap();
        accept(&mut core, id, T0);
    }
    core.handle(T0, fill("a", "f-1", 10)).unwrap(); // a: filled, long 10
    core.handle(T0, fill("b", "f-2", 4)).unwrap(); // b: partially filled, long 14
    core.handle(T0, CancelOrder { client_order_id: "c".into() }.into()).unwrap(); // c: pending cancel
    let kill =
        OperatorCommand { operator: "ops".into(), action: OperatorAction::KillSwitchFlatten, reason: "r".into() };
    let d = core.handle(T0 + S, kill.into()).unwrap();
    assert_eq!(types(&d), ["OperatorCommand", "EngineHalted", "CancelRequested", "OrderCreated", "OrderSubmitted"]);
    let Event::CancelRequested(cancel) = &d.records[2].1 else { panic!() };
    assert_eq!(cancel.client_order_id.as_str(), "b", "only working orders, not pending cancels or filled ones");
    let Event::OrderCreated(flat) = &d.records[3].1 else { panic!() };
    assert_eq!((flat.client_order_id.as_str(), flat.side, flat.qty), ("kill-25-1", Side::Sell, Decimal::from(14)));
    assert_eq!(d.records[0].0.seq, 25);
    assert_eq!(d.commands.len(), 2, "a cancel and the flattening order go to the broker");
    // Halted: new orders denied, cancels go through.
    let denied = core.handle(T0 + S, submit("d", 1, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&denied), ["SubmitOrder", "OrderCreated", "OrderDenied"]);
    let plain = OperatorCommand { operator: "ops".into(), action: OperatorAction::KillSwitch, reason: "again".into() };
    let again = core.handle(T0 + S, plain.into()).unwrap();
    assert_eq!(types(&again), ["OperatorCommand", "CancelRequested"], "kill-25-1 is working; no second halt");
}

fn broker_state(positions: &[(&str, i64)], open: &[(&str, i64)]) -> Event {
    BrokerStateReported {
        open_orders: open
            .iter()
            .map(|(id, qty)| ReportedOrder {
                client_order_id: (*id).into(),
                broker_order_id: format!("P-{id}").into(),
                symbol: "6E".into(),
                side: Side::Buy,
                leaves_qty: Decimal::from(*qty),
            })
            .collect(),
        positions: positions
            .iter()
            .map(|(s, q)| ReportedPosition { symbol: (*s).into(), qty: Decimal::from(*q) })
            .collect(),
        broker_ts_ns: 0,
    }
    .into()
}

/// A core long 100 6E (order a, filled) with order b working (leaves 10).
fn core_with_book() -> Core {
    let mut core = core();
    for (id, qty) in [("a", 100), ("b", 10)] {
        core.handle(T0, submit(id, qty, TimeInForce::Gtc, None)).unwrap();
        accept(&mut core, id, T0);
    }
    core.handle(T0, fill("a", "f-1", 100)).unwrap();
    core
}

#[test]
fn reconciliation_in_sync_changes_nothing() {
    let mut core = core_with_book();
    let d = core.handle(T0, broker_state(&[("6E", 100)], &[("b", 10)])).unwrap();
    assert_eq!(types(&d), ["BrokerStateReported", "ReconciliationCompleted"]);
    let Event::ReconciliationCompleted(done) = &d.records[1].1 else { panic!() };
    assert_eq!((done.outcome, done.discrepancies.len()), (ReconciliationOutcome::InSync, 0));
}

#[test]
fn reconciliation_within_thresholds_adjusts_positions_to_the_broker() {
    let mut core = core_with_book();
    // 4.17% drift (within 5%), an unknown order at the broker, our working order missing there
    // (closed locally), and a position only the broker has.
    let d = core.handle(T0, broker_state(&[("6E", 96), ("ES", 2)], &[("x", 3)])).unwrap();
    let expected = ["BrokerStateReported", "ReconciliationCompleted", "OrderCancelled", "FillInferred", "FillInferred"];
    assert_eq!(types(&d), expected);
    let Event::ReconciliationCompleted(done) = &d.records[1].1 else { panic!() };
    let kinds: Vec<_> = done.discrepancies.iter().map(|d| (d.kind, d.subject.as_str())).collect();
    use DiscrepancyKind::*;
    assert_eq!(
        kinds,
        [
            (MissingBroker, "order:b"),
            (MissingLocal, "order:x"),
            (QuantityMismatch, "position:6E"),
            (MissingLocal, "position:ES")
        ]
    );
    assert_eq!(done.outcome, ReconciliationOutcome::Adjusted);
    let b = core.state().order(&"b".into()).unwrap();
    assert_eq!(
        (b.status, b.leaves_qty),
        (OrderStatus::Cancelled, Decimal::ZERO),
        "closed: the broker does not work it"
    );
    assert!(core.state().order(&"x".into()).is_none(), "an order the engine never created is reported only");
    let Event::FillInferred(adjust) = &d.records[3].1 else { panic!() };
    assert_eq!((adjust.fill_id.as_str(), adjust.side, adjust.qty), ("recon-16-1", Side::Sell, Decimal::from(4)));
    let net: Decimal = core.state().views.positions.iter().filter(|p| p.symbol == "6E").map(|p| p.net_qty).sum();
    assert_eq!(net, Decimal::from(96), "local now matches the broker");
    assert!(core.state().halted.is_none());
    assert_eq!(core.state().views.reconciliations.runs().len(), 1);
}

#[test]
fn reconciliation_beyond_thresholds_fails_and_halts() {
    let mut core = core_with_book();
    let d = core.handle(T0, broker_state(&[("6E", 94)], &[("b", 10)])).unwrap();
    assert_eq!(types(&d), ["BrokerStateReported", "ReconciliationCompleted", "ReconciliationFailed"]);
    assert!(core.state().halted.as_deref().unwrap().contains("6.38% drift"), "{:?}", core.state().halted);
    let mut core = core_with_book();
    let four_missing = [("W", 1), ("X", 1), ("Y", 1), ("Z", 1), ("6E", 100)];
    core.handle(T0, broker_state(&four_missing, &[("b", 10)])).unwrap();
    assert!(core.state().halted.as_deref().unwrap().contains("4 missing positions (at most 3)"));
    let denied = core.handle(T0, submit("n", 1, TimeInForce::Gtc, None)).unwrap();
    assert_eq!(types(&denied), ["SubmitOrder", "OrderCreated", "OrderDenied"]);
}

/// One random input, over a few order ids so that reports hit known, unknown and finished orders.
fn any_input() -> impl Strategy<Value = (i64, Event)> {
    let id = prop::sample::select(vec!["a", "b", "c"]).prop_map(ClientOrderId::from);
    let qty = 1i64..8;
    let step = 0i64..5;
    prop_oneof![
        (step.clone(), id.clone(), qty.clone(), prop::option::of(1u64..4))
            .prop_map(|(dt, id, q, ttl)| { (dt, submit(id.as_str(), q, TimeInForce::Gtc, ttl)) }),
        (step.clone(), id.clone()).prop_map(|(dt, id)| (dt, CancelOrder { client_order_id: id }.into())),
        (step.clone(), id.clone()).prop_map(|(dt, id)| {
            let r = BrokerAccepted {
                client_order_id: id.clone(),
                broker_order_id: format!("P-{id}").into(),
                broker_ts_ns: 0,
            };
            (dt, r.into())
        }),
        (step.clone(), id.clone(), qty, 0u8..3)
            .prop_map(|(dt, id, q, f)| (dt, fill(id.as_str(), &format!("{id}-{f}"), q))),
        (step.clone(), id.clone()).prop_map(|(dt, id)| {
            (dt, BrokerCancelled { client_order_id: id, reason: "r".into(), broker_ts_ns: 0 }.into())
        }),
        (step.clone(), id).prop_map(|(dt, id)| (dt, BrokerExpired { client_order_id: id, broker_ts_ns: 0 }.into())),
        step.clone().prop_map(|dt| (dt, TimerTick {}.into())),
        (
            step,
            prop::sample::select(vec![
                OperatorAction::Halt,
                OperatorAction::Resume,
                OperatorAction::KillSwitch,
                OperatorAction::KillSwitchFlatten
            ])
        )
            .prop_map(|(dt, action)| (
                dt,
                OperatorCommand { operator: "ops".into(), action, reason: "r".into() }.into()
            )),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Whatever arrives, the core never panics, every record it produces replays through the
    /// views to the views it holds, and a second core given the same inputs produces the same
    /// records.
    #[test]
    fn random_inputs_replay_to_the_engines_views_and_are_deterministic(inputs in prop::collection::vec(any_input(), 1..60)) {
        let (mut a, mut b) = (core(), core());
        let mut now = T0;
        let mut records = Vec::new();
        for (dt, input) in inputs {
            now += dt * S;
            let da = a.handle(now, input.clone());
            let db = b.handle(now, input);
            prop_assert_eq!(&da, &db);
            if let Ok(decision) = da {
                records.extend(decision.records);
            }
        }
        let mut state = core().into_state();
        let mut views = state.views.clone();
        for (env, event) in &records {
            state.apply(env, event).unwrap();
            views.apply(env.stamp(), event).unwrap();
        }
        prop_assert_eq!(&a.state().views, &views);
        prop_assert_eq!(a.state(), &state);
    }
}
