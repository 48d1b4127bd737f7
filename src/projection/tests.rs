//! Views end to end: scenarios with exact decimals, and a property test over random command
//! sequences against independent reference computations.

use std::collections::BTreeMap;

use proptest::prelude::*;
use rust_decimal::Decimal;
use uuid::Uuid;

use super::*;
use crate::domain::{
    BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderError, OrderStatus, OrderType, Side, TimeInForce,
};
use crate::event::{
    CancelRejected, CancelRequested, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired,
    OrderFilled, OrderRejected, OrderSubmitted, ReportIgnored,
};
use crate::journal::Envelope;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn env(seq: u64) -> Envelope {
    test_envelope(seq, Uuid::from_u128(seq as u128), seq as i64 * 10)
}

fn cid(id: &str) -> ClientOrderId {
    ClientOrderId::from(id)
}

fn create(id: &str, strategy: &str, symbol: &str, side: Side, qty: Decimal) -> Event {
    OrderCreated {
        client_order_id: cid(id),
        strategy: strategy.into(),
        symbol: symbol.into(),
        side,
        order_type: OrderType::Market,
        qty,
        limit_price: None,
        time_in_force: TimeInForce::Gtc,
        ttl_s: None,
        decision_price: None,
        arrival_price: None,
        execution_id: None,
        slice_id: None,
    }
    .into()
}

fn fill(id: &str, fill_id: &str, qty: Decimal, price: Decimal, fee: Decimal) -> Event {
    OrderFilled {
        client_order_id: cid(id),
        fill_id: FillId::from(fill_id),
        qty,
        price,
        fee,
        liquidity: LiquiditySide::Unknown,
        venue: "V".into(),
        broker_ts_ns: 0,
    }
    .into()
}

fn working(id: &str, side: Side, qty: &str) -> Vec<Event> {
    vec![
        create(id, "s", "X", side, d(qty)),
        OrderSubmitted { client_order_id: cid(id) }.into(),
        OrderAccepted { client_order_id: cid(id), broker_order_id: BrokerOrderId::new(format!("b-{id}")) }.into(),
    ]
}

/// Applies `events` with seqs from 1, each of which must be accepted.
fn run(events: &[Event]) -> Views {
    run_with_reports(events).0
}

/// Like [`run`], also deriving the execution report of every event.
fn run_with_reports(events: &[Event]) -> (Views, ExecutionReports) {
    let mut views = Views::new();
    let mut reports = ExecutionReports::new();
    for (i, ev) in events.iter().enumerate() {
        let e = env(i as u64 + 1);
        views.apply(e.stamp(), ev).unwrap_or_else(|e| panic!("event {i}: {e}"));
        reports.apply(&e, ev, &views.oms).unwrap();
    }
    (views, reports)
}

#[test]
fn scenario_reports_follow_every_state_change() {
    let mut evs = working("a", Side::Buy, "10");
    evs.push(fill("a", "f1", d("4"), d("100"), d("0.4")));
    evs.push(CancelRequested { client_order_id: cid("a") }.into());
    evs.push(fill("a", "f2", d("2"), d("103"), d("0.2")));
    evs.push(CancelRejected { client_order_id: cid("a"), reason: "busy".into() }.into());
    evs.push(OrderCancelled { client_order_id: cid("a") }.into());
    evs.push(fill("a", "f3", d("5"), d("99"), d("0.5"))); // late, and cum 11 > 10: overfill
    evs.push(
        ReportIgnored {
            client_order_id: Some(cid("a")),
            broker_order_id: None,
            reason: "dup".into(),
            report: "r".into(),
        }
        .into(),
    );
    evs.push(create("b", "s", "X", Side::Sell, d("1")));
    evs.push(OrderDenied { client_order_id: cid("b"), reason: "limit".into() }.into());
    let (views, reports) = run_with_reports(&evs);

    let rows: Vec<_> = reports
        .all()
        .iter()
        .map(|r| (r.seq, r.exec_type, r.ord_status, r.cum_qty, r.leaves_qty, r.last_qty, r.text.as_deref()))
        .collect();
    use ExecType as E;
    use OrdStatus as O;
    let z = Decimal::ZERO;
    assert_eq!(
        rows,
        vec![
            (1, E::PendingNew, O::PendingNew, z, d("10"), None, None),
            (2, E::PendingNew, O::PendingNew, z, d("10"), None, Some("submitted")),
            (3, E::New, O::New, z, d("10"), None, None),
            (4, E::Trade, O::PartiallyFilled, d("4"), d("6"), Some(d("4")), None),
            (5, E::PendingCancel, O::PendingCancel, d("4"), d("6"), None, None),
            (6, E::Trade, O::PendingCancel, d("6"), d("4"), Some(d("2")), None),
            (7, E::OrderStatus, O::PartiallyFilled, d("6"), d("4"), None, Some("cancel rejected: busy")),
            (8, E::Canceled, O::Canceled, d("6"), z, None, None),
            (9, E::Trade, O::Canceled, d("11"), z, Some(d("5")), Some("late fill; overfill")),
            (11, E::PendingNew, O::PendingNew, z, d("1"), None, None),
            (12, E::Rejected, O::Rejected, z, z, None, Some("denied: limit")),
        ]
    );
    let a = views.oms.get(&cid("a")).unwrap();
    assert!(a.late_fill && a.overfill);
    assert_eq!(a.avg_px(), Some(d("1101") / d("11")));
    assert_eq!(reports.all()[8].exec_id, Uuid::from_u128(9));
    assert_eq!(reports.all()[8].avg_px, a.avg_px());

    // Positions count the late overfill: long 11.
    let p = views.positions.get("s", "X").unwrap();
    assert_eq!((p.net_qty, p.fees, p.realized_pnl, p.fills), (d("11"), d("1.1"), z, 3));
}

#[test]
fn positions_across_orders_flip_and_close_with_exact_decimals() {
    let mut evs = working("a", Side::Buy, "10");
    evs.push(fill("a", "f", d("10"), d("100"), d("1")));
    evs.extend(working("b", Side::Sell, "15"));
    evs.push(fill("b", "f", d("15"), d("110"), d("1.5")));
    let views = run(&evs);
    let p = views.positions.get("s", "X").unwrap();
    assert_eq!((p.net_qty, p.avg_px, p.realized_pnl, p.fees), (d("-5"), Some(d("110")), d("100"), d("2.5")));

    evs.extend(working("c", Side::Buy, "5"));
    evs.push(fill("c", "f", d("5"), d("107.5"), d("0.5")));
    let views = run(&evs);
    let p = views.positions.get("s", "X").unwrap();
    assert_eq!((p.net_qty, p.avg_px, p.realized_pnl, p.fees), (d("0"), None, d("112.5"), d("3.0")));
}

#[test]
fn views_apply_is_atomic_when_a_later_view_fails() {
    let mut evs = working("a", Side::Sell, "10");
    evs.push(fill("a", "f1", d("1"), d("100"), d("0")));
    let mut views = run(&evs);
    // Corrupt the position snapshot: open but without an average price.
    let mut json = serde_json::to_value(&views).unwrap();
    json["positions"][0]["avg_px"] = serde_json::Value::Null;
    let mut corrupt: Views = serde_json::from_value(json).unwrap();
    let before = corrupt.clone();
    let err = corrupt.apply(env(9).stamp(), &fill("a", "f2", d("1"), d("100"), d("0"))).unwrap_err();
    assert_eq!(err, InvariantViolation::new(9, ViolationKind::Arithmetic { what: "position" }));
    assert_eq!(corrupt, before, "the OMS must not move when positions fail");

    // And a refused event changes no view.
    let before = views.clone();
    let err = views.apply(env(9).stamp(), &fill("a", "f1", d("1"), d("100"), d("0"))).unwrap_err();
    let dup = OrderError::DuplicateFill { client_order_id: cid("a"), fill_id: FillId::from("f1") };
    assert_eq!(err.kind, ViolationKind::Refused(dup));
    assert_eq!(views, before);
}

#[test]
fn standalone_positions_and_reports_need_the_order_in_the_oms() {
    let ev = fill("ghost", "f", d("1"), d("1"), d("0"));
    let missing = |projection| ViolationKind::MissingOrder { projection, client_order_id: cid("ghost") };
    let err = Positions::new().apply(env(3).stamp(), &ev, &Oms::new()).unwrap_err();
    assert_eq!(err.kind, missing("positions"));
    let err = ExecutionReports::new().apply(&env(3), &ev, &Oms::new()).unwrap_err();
    assert_eq!(err.kind, missing("reports"));
    // Applied one by one in the right order they agree with Views.
    let mut evs = working("a", Side::Buy, "3");
    evs.push(fill("a", "f", d("3"), d("2"), d("0")));
    let (mut oms, mut positions, mut reports) = (Oms::new(), Positions::new(), ExecutionReports::new());
    for (i, ev) in evs.iter().enumerate() {
        let e = env(i as u64 + 1);
        oms.apply(e.stamp(), ev).unwrap();
        positions.apply(e.stamp(), ev, &oms).unwrap();
        reports.apply(&e, ev, &oms).unwrap();
    }
    let (views, all_reports) = run_with_reports(&evs);
    assert_eq!((Views { oms, positions, reconciliations: Default::default() }, reports), (views, all_reports));
}

// ───────────────────────── property test ─────────────────────────

const ORDERS: usize = 6;

#[derive(Debug, Clone)]
struct NewOrder {
    side: Side,
    qty_tenths: i64,
    book: usize,
}

#[derive(Debug, Clone)]
struct NewFill {
    fill: usize,
    qty_tenths: i64,
    px_cents: i64,
    fee_mills: i64,
}

/// A command. `Advance` takes the order's natural next step (create, submit, accept, fill), so
/// sequences reach deep states; the others are raw events, often refused, which is the point.
#[derive(Debug, Clone)]
enum Op {
    Advance(usize, NewOrder, NewFill),
    Create(usize, NewOrder),
    Submit(usize),
    Accept(usize, bool),
    Reject(usize),
    Deny(usize),
    Fill(usize, NewFill),
    CancelRequest(usize),
    Cancel(usize),
    CancelReject(usize),
    Expire(usize),
    Ignore(usize),
}

fn new_order() -> impl Strategy<Value = NewOrder> {
    (prop_oneof![Just(Side::Buy), Just(Side::Sell)], 1i64..=200, 0usize..BOOKS.len())
        .prop_map(|(side, qty_tenths, book)| NewOrder { side, qty_tenths, book })
}

fn new_fill() -> impl Strategy<Value = NewFill> {
    (0usize..4, 1i64..=150, 100i64..=20_000, -500i64..=2_000)
        .prop_map(|(fill, qty_tenths, px_cents, fee_mills)| NewFill { fill, qty_tenths, px_cents, fee_mills })
}

fn op() -> impl Strategy<Value = Op> {
    let o = 0..ORDERS;
    prop_oneof![
        10 => (o.clone(), new_order(), new_fill()).prop_map(|(i, n, f)| Op::Advance(i, n, f)),
        1 => (o.clone(), new_order()).prop_map(|(i, n)| Op::Create(i, n)),
        1 => o.clone().prop_map(Op::Submit),
        1 => (o.clone(), proptest::bool::weighted(0.3)).prop_map(|(i, empty)| Op::Accept(i, empty)),
        1 => o.clone().prop_map(Op::Reject),
        1 => o.clone().prop_map(Op::Deny),
        3 => (o.clone(), new_fill()).prop_map(|(i, f)| Op::Fill(i, f)),
        2 => o.clone().prop_map(Op::CancelRequest),
        1 => o.clone().prop_map(Op::Cancel),
        1 => o.clone().prop_map(Op::CancelReject),
        1 => o.clone().prop_map(Op::Expire),
        1 => o.prop_map(Op::Ignore),
    ]
}

/// (strategy, symbol) books: two strategies share symbol X, so keys must not mix.
const BOOKS: [(&str, &str); 3] = [("s1", "X"), ("s2", "X"), ("s1", "Y")];

fn to_event(op: &Op, oms: &Oms) -> Event {
    let id = |i: usize| cid(&format!("o{i}"));
    let created = |i: usize, n: &NewOrder| {
        create(id(i).as_str(), BOOKS[n.book].0, BOOKS[n.book].1, n.side, Decimal::new(n.qty_tenths, 1))
    };
    let filled = |i: usize, f: &NewFill| {
        fill(
            id(i).as_str(),
            &format!("f{}", f.fill),
            Decimal::new(f.qty_tenths, 1),
            Decimal::new(f.px_cents, 2),
            Decimal::new(f.fee_mills, 3),
        )
    };
    let accepted = |i: usize, empty: bool| {
        let broker = if empty { String::new() } else { format!("b{i}") };
        Event::from(OrderAccepted { client_order_id: id(i), broker_order_id: BrokerOrderId::new(broker) })
    };
    match op {
        Op::Advance(i, n, f) => match oms.get(&id(*i)).map(|o| o.status) {
            None => created(*i, n),
            Some(OrderStatus::Pending) => OrderSubmitted { client_order_id: id(*i) }.into(),
            Some(OrderStatus::Submitted) => accepted(*i, false),
            Some(_) => filled(*i, f),
        },
        Op::Create(i, n) => created(*i, n),
        Op::Submit(i) => OrderSubmitted { client_order_id: id(*i) }.into(),
        Op::Accept(i, empty) => accepted(*i, *empty),
        Op::Reject(i) => OrderRejected { client_order_id: id(*i), reason: "r".into() }.into(),
        Op::Deny(i) => OrderDenied { client_order_id: id(*i), reason: "d".into() }.into(),
        Op::Fill(i, f) => filled(*i, f),
        Op::CancelRequest(i) => CancelRequested { client_order_id: id(*i) }.into(),
        Op::Cancel(i) => OrderCancelled { client_order_id: id(*i) }.into(),
        Op::CancelReject(i) => CancelRejected { client_order_id: id(*i), reason: "no".into() }.into(),
        Op::Expire(i) => OrderExpired { client_order_id: id(*i) }.into(),
        Op::Ignore(i) => ReportIgnored {
            client_order_id: Some(id(*i)),
            broker_order_id: None,
            reason: "dup".into(),
            report: "r".into(),
        }
        .into(),
    }
}

/// Reference position, kept as signed quantity and signed cost basis of the open lots (not an
/// average price): closing `c` units releases `cost · c / |qty|` of basis.
#[derive(Debug, Default, Clone, Copy)]
struct RefPosition {
    qty: Decimal,
    cost: Decimal,
    realized: Decimal,
    fees: Decimal,
    fills: u64,
}

impl RefPosition {
    fn add(&mut self, signed_qty: Decimal, px: Decimal, fee: Decimal) {
        self.fees += fee;
        self.fills += 1;
        let mut q = signed_qty;
        if !self.qty.is_zero() && (self.qty > Decimal::ZERO) != (q > Decimal::ZERO) {
            let dir = if self.qty > Decimal::ZERO { Decimal::ONE } else { Decimal::NEGATIVE_ONE };
            let closing = q.abs().min(self.qty.abs());
            let released = self.cost * closing / self.qty.abs();
            self.realized += dir * closing * px - released;
            self.cost -= released;
            self.qty -= dir * closing;
            q += dir * closing;
            if self.qty.is_zero() {
                self.cost = Decimal::ZERO;
            }
        }
        self.qty += q;
        self.cost += q * px;
    }

    fn avg_px(&self) -> Option<Decimal> {
        (!self.qty.is_zero()).then(|| self.cost / self.qty)
    }
}

/// Recomputes every position from the accepted fills, independently of `Positions`.
fn reference_positions(
    created: &BTreeMap<String, (String, String, Side)>,
    fills: &[OrderFilled],
) -> BTreeMap<(String, String), RefPosition> {
    let mut out: BTreeMap<(String, String), RefPosition> = BTreeMap::new();
    for f in fills {
        let (strategy, symbol, side) = &created[f.client_order_id.as_str()];
        let signed = if *side == Side::Buy { f.qty } else { -f.qty };
        out.entry((strategy.clone(), symbol.clone())).or_default().add(signed, f.price, f.fee);
    }
    out
}

fn close(a: Decimal, b: Decimal) -> bool {
    (a - b).abs() <= Decimal::new(1, 12)
}

/// Differences between `Positions` and the reference, as text (empty when they agree).
fn position_mismatches(positions: &Positions, reference: &BTreeMap<(String, String), RefPosition>) -> Vec<String> {
    let mut out = Vec::new();
    let keys: Vec<_> = positions.iter().map(|p| (p.strategy.clone(), p.symbol.clone())).collect();
    if keys != reference.keys().cloned().collect::<Vec<_>>() {
        out.push(format!("keys {keys:?} vs {:?}", reference.keys()));
    }
    for ((strategy, symbol), r) in reference {
        let Some(p) = positions.get(strategy, symbol) else { continue };
        let avg_ok = match (p.avg_px, r.avg_px()) {
            (None, None) => true,
            (Some(a), Some(b)) => close(a, b),
            _ => false,
        };
        if p.net_qty != r.qty || p.fees != r.fees || p.fills != r.fills || !avg_ok || !close(p.realized_pnl, r.realized)
        {
            out.push(format!("{strategy}/{symbol}: {p:?} vs {r:?}"));
        }
    }
    out
}

/// Independent checks of one order against the fills the harness saw accepted for it.
fn order_mismatches(o: &OrderView, fills: &[(OrderFilled, bool)]) -> Vec<String> {
    let mut out = Vec::new();
    let qty = o.created.qty;
    let cum: Decimal = fills.iter().map(|(f, _)| f.qty).sum();
    let value: Decimal = fills.iter().map(|(f, _)| f.qty * f.price).sum();
    let fees: Decimal = fills.iter().map(|(f, _)| f.fee).sum();
    let avg = (!fills.is_empty()).then(|| value / cum);
    let late = fills.iter().any(|(_, late)| *late);
    let id = o.client_order_id();
    if (o.cum_qty, o.avg_px(), o.fees) != (cum, avg, fees) {
        out.push(format!("{id}: cum/avg/fees {:?} vs {:?}", (o.cum_qty, o.avg_px(), o.fees), (cum, avg, fees)));
    }
    let leaves_ok = if o.status.is_terminal() {
        o.leaves_qty.is_zero()
    } else {
        o.leaves_qty == qty - cum && o.leaves_qty > Decimal::ZERO
    };
    if !leaves_ok {
        out.push(format!("{id}: {:?} leaves {} cum {cum} qty {qty}", o.status, o.leaves_qty));
    }
    if o.overfill != (cum > qty) || o.late_fill != late {
        out.push(format!(
            "{id}: flags overfill {} late {} (cum {cum} qty {qty}, late {late})",
            o.overfill, o.late_fill
        ));
    }
    if (o.status == OrderStatus::PendingCancel) != o.before_cancel.is_some() {
        out.push(format!("{id}: {:?} before_cancel {:?}", o.status, o.before_cancel));
    }
    let t = &o.transitions;
    let ordered = t.windows(2).all(|w| w[0].seq < w[1].seq && w[0].status != w[1].status);
    if t.first().map(|x| x.status) != Some(OrderStatus::Pending)
        || t.last().map(|x| x.status) != Some(o.status)
        || !ordered
    {
        out.push(format!("{id}: transitions {t:?}"));
    }
    if o.status == OrderStatus::Filled && cum < qty {
        out.push(format!("{id}: Filled with cum {cum} < qty {qty}"));
    }
    if !fills.is_empty() && o.broker_order_id.is_none() {
        out.push(format!("{id}: fills without a broker order id"));
    }
    out
}

/// `oms` written as a checkpoint's order table and read back in place.
fn through_table(oms: &Oms) -> Oms {
    let bytes = crate::projection::order_table::encode(oms.encoded()).unwrap().concat();
    Oms::with_base(crate::projection::OrderTable::open(crate::journal::SnapshotData::from_vec(bytes), 0).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// An OMS opened from a checkpoint at any point decides (refusals included: duplicates of
    /// base orders, moves of base orders) and folds exactly like one held whole, and what it
    /// checkpoints in turn (unchanged base orders copied as stored) reads back equal.
    #[test]
    fn an_oms_read_from_a_checkpoint_table_decides_and_folds_like_one_held_whole(
        ops in proptest::collection::vec(op(), 1..120),
        cut in 0usize..120,
    ) {
        let cut = cut.min(ops.len());
        let mut whole = Views::new();
        for (i, op) in ops[..cut].iter().enumerate() {
            let ev = to_event(op, &whole.oms);
            let _ = whole.apply(env(i as u64 + 1).stamp(), &ev);
        }
        let mut based = Views { oms: through_table(&whole.oms), ..whole.clone() };
        prop_assert_eq!(&based, &whole);
        for (i, op) in ops.iter().enumerate().skip(cut) {
            let ev = to_event(op, &whole.oms);
            let e = env(i as u64 + 1);
            prop_assert_eq!(based.oms.check(&ev), whole.oms.check(&ev));
            prop_assert_eq!(based.apply(e.stamp(), &ev), whole.apply(e.stamp(), &ev));
        }
        prop_assert_eq!(&based, &whole);
        prop_assert_eq!(&Views { oms: through_table(&based.oms), ..based.clone() }, &whole);
    }

    #[test]
    fn random_command_sequences_keep_every_invariant(ops in proptest::collection::vec(op(), 1..120)) {
        let mut views = Views::new();
        let mut reports = ExecutionReports::new();
        let mut journal: Vec<(Envelope, Event)> = Vec::new();
        let mut created: BTreeMap<String, (String, String, Side)> = BTreeMap::new();
        let mut all_fills: Vec<OrderFilled> = Vec::new();
        let mut fills_by_order: BTreeMap<String, Vec<(OrderFilled, bool)>> = BTreeMap::new();

        for op in &ops {
            let ev = to_event(op, &views.oms);
            let e = env(journal.len() as u64 + 1);
            let status_before = ev.client_order_id().and_then(|id| views.oms.get(id)).map(|o| o.status);
            match views.oms.check(&ev) {
                Err(refusal) => {
                    // Invalid events never reach the journal, and apply refuses them too.
                    let before = views.clone();
                    let err = views.apply(e.stamp(), &ev).unwrap_err();
                    prop_assert_eq!(err, InvariantViolation::new(e.seq, ViolationKind::Refused(refusal)));
                    prop_assert_eq!(&views, &before);
                }
                Ok(()) => {
                    let reports_before = reports.all().len();
                    views.apply(e.stamp(), &ev).map_err(|v| TestCaseError::fail(v.to_string()))?;
                    reports.apply(&e, &ev, &views.oms).map_err(|v| TestCaseError::fail(v.to_string()))?;
                    let want_reports = reports_before + usize::from(!matches!(ev, Event::ReportIgnored(_)));
                    prop_assert_eq!(reports.all().len(), want_reports);
                    match &ev {
                        Event::OrderCreated(c) => {
                            created.insert(c.client_order_id.to_string(), (c.strategy.to_string(), c.symbol.to_string(), c.side));
                        }
                        Event::OrderFilled(f) => {
                            let late = matches!(status_before, Some(OrderStatus::Cancelled | OrderStatus::Expired));
                            all_fills.push(f.clone());
                            fills_by_order.entry(f.client_order_id.to_string()).or_default().push((f.clone(), late));
                        }
                        _ => {}
                    }
                    journal.push((e, ev));
                }
            }

            for order in views.oms.iter() {
                let id = order.client_order_id();
                let fills = fills_by_order.get(id.as_str()).map(Vec::as_slice).unwrap_or(&[]);
                let problems = order_mismatches(&order, fills);
                prop_assert!(problems.is_empty(), "{:?}", problems);
                if let Some(last) = reports.for_order(id).last() {
                    prop_assert_eq!(last.ord_status, OrdStatus::from(order.status));
                    prop_assert_eq!((last.cum_qty, last.leaves_qty, last.avg_px), (order.cum_qty, order.leaves_qty, order.avg_px()));
                }
            }
            let problems = position_mismatches(&views.positions, &reference_positions(&created, &all_fills));
            prop_assert!(problems.is_empty(), "{:?}", problems);
        }

        // Replay is byte for byte; a snapshot plus the tail equals the whole.
        let mut replayed = Views::new();
        for (e, ev) in &journal {
            replayed.apply(e.stamp(), ev).map_err(|v| TestCaseError::fail(v.to_string()))?;
        }
        prop_assert_eq!(serde_json::to_string(&replayed).unwrap(), serde_json::to_string(&views).unwrap());
        let config = bincode::config::standard();
        let mid = journal.len() / 2;
        let mut head = Views::new();
        for (e, ev) in &journal[..mid] {
            head.apply(e.stamp(), ev).map_err(|v| TestCaseError::fail(v.to_string()))?;
        }
        let bytes = bincode::serde::encode_to_vec(&head, config).unwrap();
        let (mut restored, _): (Views, usize) = bincode::serde::decode_from_slice(&bytes, config).unwrap();
        for (e, ev) in &journal[mid..] {
            restored.apply(e.stamp(), ev).map_err(|v| TestCaseError::fail(v.to_string()))?;
        }
        prop_assert_eq!(
            bincode::serde::encode_to_vec(&restored, config).unwrap(),
            bincode::serde::encode_to_vec(&views, config).unwrap()
        );
    }
}

#[test]
fn the_oracles_have_teeth() {
    // The property test's reference checks must report a wrong view, not just pass.
    let mut evs = working("a", Side::Buy, "10");
    evs.push(fill("a", "f1", d("4"), d("100"), d("1")));
    let views = run(&evs);
    let Event::OrderFilled(f) = evs[3].clone() else { unreachable!() };
    let created = BTreeMap::from([("a".to_owned(), ("s".to_owned(), "X".to_owned(), Side::Buy))]);
    assert!(position_mismatches(&views.positions, &reference_positions(&created, std::slice::from_ref(&f))).is_empty());
    let mut other = f.clone();
    other.price = d("100.01");
    assert!(!position_mismatches(&views.positions, &reference_positions(&created, &[other])).is_empty());
    let sold = BTreeMap::from([("a".to_owned(), ("s".to_owned(), "X".to_owned(), Side::Sell))]);
    assert!(!position_mismatches(&views.positions, &reference_positions(&sold, std::slice::from_ref(&f))).is_empty());

    let order = views.oms.get(&cid("a")).unwrap();
    assert!(order_mismatches(&order, &[(f.clone(), false)]).is_empty());
    assert!(!order_mismatches(&order, &[(f.clone(), true)]).is_empty(), "late flag");
    assert!(!order_mismatches(&order, &[]).is_empty(), "cum");
    let mut wrong = order.into_owned();
    wrong.leaves_qty = d("7");
    assert!(!order_mismatches(&wrong, &[(f, false)]).is_empty(), "leaves");
}

#[test]
fn the_reference_model_flips_and_closes() {
    let mut r = RefPosition::default();
    r.add(d("10"), d("100"), d("1"));
    r.add(d("-15"), d("110"), d("2"));
    assert_eq!((r.qty, r.avg_px(), r.realized, r.fees), (d("-5"), Some(d("110")), d("100"), d("3")));
    r.add(d("5"), d("111"), d("0"));
    assert_eq!((r.qty, r.avg_px(), r.realized), (d("0"), None, d("95")));
}
