use serde_json::{Value, json};

use super::*;
use crate::render::fixture::{self, Keys, T0, keys};

/// The timeline of `id` over the fixture, hashes from the fixture's fake chain.
fn audit(id: &str) -> Option<Timeline> {
    let mut collector = Collector::new(id);
    let replayed =
        fixture::replayed_inspecting(usize::MAX, |env, event, hash, views| collector.observe(env, event, hash, views));
    collector.finish(Point::of(&replayed), &replayed.views)
}

#[test]
fn ids_name_streams() {
    assert_eq!(stream_of("o-1"), "order:o-1");
    assert_eq!(stream_of("order:o-1"), "order:o-1");
    assert_eq!(stream_of("broker-order:B7"), "broker-order:B7");
}

#[test]
fn a_bare_id_and_its_stream_name_give_the_same_events() {
    let bare = audit("o-1").unwrap();
    let named = audit("order:o-1").unwrap();
    assert_eq!((bare.id.as_str(), named.id.as_str()), ("o-1", "order:o-1"));
    assert_eq!((&bare.stream, &bare.events, &bare.order), (&named.stream, &named.events, &named.order));
}

#[test]
fn every_event_carries_the_state_after_it() {
    let timeline = audit("o-1").unwrap();
    assert_eq!(timeline.stream, "order:o-1");
    assert_eq!(timeline.at.seq, 17);
    let rows: Vec<_> = timeline
        .events
        .iter()
        .map(|e| {
            let after = e.after.as_ref().unwrap();
            (e.seq, e.event, after.status, after.cum_qty.to_string(), after.leaves_qty.to_string(), after.avg_px)
        })
        .collect();
    let px = |s: &str| Some(fixture::d(s));
    assert_eq!(
        rows,
        [
            (1, "OrderCreated", OrderStatus::Pending, "0".into(), "100".into(), None),
            (2, "OrderSubmitted", OrderStatus::Submitted, "0".into(), "100".into(), None),
            (3, "OrderAccepted", OrderStatus::Accepted, "0".into(), "100".into(), None),
            (4, "OrderFilled", OrderStatus::PartiallyFilled, "40".into(), "60".into(), px("185.00")),
            (5, "OrderFilled", OrderStatus::Filled, "100".into(), "0".into(), px("185.03")),
        ]
    );
    let last = &timeline.events[4];
    assert_eq!(last.hash, "05".repeat(32));
    assert_eq!(last.time, "2024-01-02T14:30:00.050000000Z");
    let fill = last.fill.as_ref().unwrap();
    assert_eq!(
        (fill.qty.to_string(), fill.price.to_string(), fill.late, fill.overfill),
        ("60".into(), "185.05".into(), false, false)
    );
    assert_eq!(timeline.events[2].detail.as_deref(), Some("broker order B1"));
    assert_eq!(timeline.events[0].detail.as_deref(), Some("mr AAPL Buy Limit 100 limit 185.00 Gtc"));
    assert_eq!(timeline.events[1].detail, None);
}

#[test]
fn the_summary_and_the_fill_carry_the_late_fill_flag() {
    let timeline = audit("o-3").unwrap();
    let order = timeline.order.as_ref().unwrap();
    assert!(order.late_fill && !order.overfill);
    let late = timeline.events.last().unwrap();
    assert_eq!(late.after.as_ref().unwrap().status, OrderStatus::Cancelled);
    assert!(late.fill.as_ref().unwrap().late);
    let text = table_string(&timeline);
    assert!(text.contains("flags: late fill\n"), "{text}");
    let row: Vec<&str> = text.lines().last().unwrap().split_whitespace().collect();
    let expected = "15 2024-01-02T14:30:00.150000000Z OrderFilled Cancelled 1 0 184.5 1@184.5 0f0f0f0f0f0f0f0f F4 Maker XNAS fee 0; late fill";
    assert_eq!(row.join(" "), expected);
}

#[test]
fn an_overfill_is_flagged_on_the_fill_that_made_it() {
    let mut collector = Collector::new("o-1");
    let mut views = crate::projection::Views::new();
    let mut events = fixture::events();
    events.truncate(5);
    events.push(Event::from(crate::event::OrderFilled {
        client_order_id: "o-1".into(),
        fill_id: "F-extra".into(),
        qty: fixture::d("5"),
        price: fixture::d("185"),
        fee: fixture::d("0"),
        liquidity: crate::domain::LiquiditySide::Unknown,
        venue: "XNAS".into(),
        broker_ts_ns: T0,
    }));
    for (i, event) in events.iter().enumerate() {
        let env = fixture::envelope(i as u64 + 1, event);
        views.apply(env.stamp(), event).unwrap();
        collector.observe(&env, event, &fixture::hash(env.seq), &views);
    }
    let at = Point { seq: 6, hash: String::new(), ts_ns: None, time: None };
    let timeline = collector.finish(at, &views).unwrap();
    let flags: Vec<bool> = timeline.events.iter().filter_map(|e| e.fill.as_ref()).map(|f| f.overfill).collect();
    assert_eq!(flags, [false, false, true]);
    assert!(timeline.order.as_ref().unwrap().overfill);
    assert!(table_string(&timeline).contains("flags: overfill\n"));
}

#[test]
fn a_broker_order_stream_has_no_order_state() {
    let timeline = audit("broker-order:B9").unwrap();
    assert_eq!(timeline.order, None);
    assert_eq!(timeline.events.len(), 1);
    let event = &timeline.events[0];
    assert_eq!((event.seq, event.event, &event.after), (16, "ReportIgnored", &None));
    assert_eq!(event.detail.as_deref(), Some("unknown order: fill F9 1@1"));
    let text = table_string(&timeline);
    assert!(text.contains("order: none"), "{text}");
    let row: Vec<&str> = text.lines().last().unwrap().split_whitespace().collect();
    assert_eq!(row[2..9], ["ReportIgnored", "-", "-", "-", "-", "-", &"10".repeat(8)], "{text}");
}

#[test]
fn an_unknown_id_has_no_timeline() {
    assert_eq!(audit("o-99"), None);
    assert_eq!(audit("broker-order:B1"), None, "B1's events are in its order's stream");
}

#[test]
fn timeline_json_shape() {
    let timeline = audit("o-2").unwrap();
    let text = json_string(&timeline);
    assert!(text.ends_with("}\n"));
    let json: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(keys(&text), ["id", "stream", "at", "order", "events"]);
    assert_eq!((&json["id"], &json["stream"]), (&json!("o-2"), &json!("order:o-2")));
    assert_eq!(json["order"]["client_order_id"], "o-2");
    assert_eq!(json["order"]["late_fill"], false);
    let events = json["events"].as_array().unwrap();
    assert_eq!(events.len(), 4);
    #[derive(serde::Deserialize)]
    struct Events {
        events: Vec<Keys>,
    }
    assert_eq!(
        serde_json::from_str::<Events>(&text).unwrap().events[0].0,
        [
            "seq",
            "ts_ns",
            "time",
            "event",
            "event_id",
            "correlation_id",
            "causation_id",
            "after",
            "fill",
            "detail",
            "hash",
            "payload"
        ]
    );
    assert_eq!((&events[0]["fill"], &events[0]["correlation_id"]), (&Value::Null, &Value::Null));
    assert_eq!(events[0]["after"], json!({"status": "Pending", "cum_qty": "0", "leaves_qty": "30", "avg_px": null}));
    let fill = &events[3];
    assert_eq!(fill["event"], "OrderFilled");
    assert_eq!(
        fill["fill"],
        json!({"fill_id": "F3", "qty": "30", "price": "186", "fee": "0.28", "late": false, "overfill": false})
    );
    assert_eq!(fill["after"]["avg_px"], "186");
    assert_eq!(fill["payload"]["OrderFilled"]["fill_id"], "F3");
    assert_eq!(fill["payload"]["OrderFilled"]["price"], "186");
    assert_eq!(fill["hash"], "09".repeat(32));
    assert_eq!(fill["event_id"], crate::journal::event_id(&fixture::hash(0), 9).to_string());
}
