//! A small hand-written history for the rendering unit tests: three orders covering a
//! filled limit order, a market order that partly closes the position, and a cancelled GTD
//! order with a late fill; plus an ignored report naming only a broker order id.

use rust_decimal::Decimal;

use crate::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};
use crate::event::{
    CancelRequested, Event, OrderAccepted, OrderCancelled, OrderCreated, OrderFilled, OrderSubmitted, ReportIgnored,
};
use crate::journal::{ChainHash, Envelope, Head, event_id};
use crate::projection::{ExecutionReports, Views};
use crate::replay::Replayed;

/// 2024-01-02T14:30:00Z.
pub const T0: i64 = 1_704_205_800_000_000_000;

pub fn d(text: &str) -> Decimal {
    text.parse().unwrap()
}

/// A fake chain hash for `seq` (the tests do not need real links).
pub fn hash(seq: u64) -> ChainHash {
    ChainHash([seq as u8; 32])
}

fn created(id: &str, side: Side, qty: &str, limit: Option<&str>, tif: TimeInForce) -> Event {
    Event::from(OrderCreated {
        client_order_id: ClientOrderId::from(id),
        strategy: "mr".into(),
        symbol: "AAPL".into(),
        side,
        order_type: if limit.is_some() { OrderType::Limit } else { OrderType::Market },
        qty: d(qty),
        limit_price: limit.map(d),
        time_in_force: tif,
        ttl_s: None,
        decision_price: None,
        arrival_price: None,
        execution_id: None,
        slice_id: None,
    })
}

fn fill(id: &str, fill_id: &str, qty: &str, price: &str, fee: &str) -> Event {
    Event::from(OrderFilled {
        client_order_id: ClientOrderId::from(id),
        fill_id: FillId::from(fill_id),
        qty: d(qty),
        price: d(price),
        fee: d(fee),
        liquidity: LiquiditySide::Maker,
        venue: "XNAS".into(),
        broker_ts_ns: T0,
    })
}

fn submitted(id: &str) -> Event {
    Event::from(OrderSubmitted { client_order_id: id.into() })
}

fn accepted(id: &str, broker: &str) -> Event {
    Event::from(OrderAccepted { client_order_id: id.into(), broker_order_id: BrokerOrderId::from(broker) })
}

/// The events, in journal order (seq = index + 1, 10 ms apart).
pub fn events() -> Vec<Event> {
    vec![
        created("o-1", Side::Buy, "100", Some("185.00"), TimeInForce::Gtc),
        submitted("o-1"),
        accepted("o-1", "B1"),
        fill("o-1", "F1", "40", "185.00", "0.37"),
        fill("o-1", "F2", "60", "185.05", "0.55"),
        created("o-2", Side::Sell, "30", None, TimeInForce::Ioc),
        submitted("o-2"),
        accepted("o-2", "B2"),
        fill("o-2", "F3", "30", "186", "0.28"),
        created("o-3", Side::Buy, "3", Some("184.5"), TimeInForce::Gtd { expire_ns: T0 + 3_600_000_000_000 }),
        submitted("o-3"),
        accepted("o-3", "B3"),
        Event::from(CancelRequested { client_order_id: "o-3".into() }),
        Event::from(OrderCancelled { client_order_id: "o-3".into() }),
        fill("o-3", "F4", "1", "184.5", "0"),
        Event::from(ReportIgnored {
            client_order_id: None,
            broker_order_id: Some(BrokerOrderId::from("B9")),
            reason: "unknown order".into(),
            report: "fill F9 1@1".into(),
        }),
        created("o-4", Side::Sell, "7", Some("190"), TimeInForce::Day),
    ]
}

pub fn envelope(seq: u64, event: &Event) -> Envelope {
    Envelope {
        seq,
        event_id: event_id(&hash(0), seq),
        ts_ns: T0 + seq as i64 * 10_000_000,
        stream: event.stream(),
        correlation_id: None,
        causation_id: None,
        schema_version: 1,
    }
}

/// Folds the first `n` events, calling `inspect` after each, as a replay would.
pub fn replayed_inspecting(n: usize, mut inspect: impl FnMut(&Envelope, &Event, &ChainHash, &Views)) -> Replayed {
    let mut views = Views::new();
    let mut reports = ExecutionReports::new();
    let mut ts_ns = None;
    for (i, event) in events().iter().take(n).enumerate() {
        let env = envelope(i as u64 + 1, event);
        views.apply(env.stamp(), event).unwrap_or_else(|e| panic!("{e}"));
        reports.apply(&env, event, &views.oms).unwrap_or_else(|e| panic!("{e}"));
        inspect(&env, event, &hash(env.seq), &views);
        ts_ns = Some(env.ts_ns);
    }
    let seq = n.min(events().len()) as u64;
    let at = Head { seq, hash: hash(seq) };
    Replayed { views, at, ts_ns, from_snapshot: None, folded: seq, reports: Some(reports) }
}

pub fn replayed(n: usize) -> Replayed {
    replayed_inspecting(n, |_, _, _, _| {})
}

/// The keys of a JSON object in the order they appear in the text (`serde_json::Value`
/// sorts them). Deserialize a document, or a struct naming a nested array of them.
#[derive(Debug, PartialEq, Eq)]
pub struct Keys(pub Vec<String>);

impl<'de> serde::Deserialize<'de> for Keys {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Keys, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = Keys;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
                let mut keys = Vec::new();
                while let Some((key, serde::de::IgnoredAny)) = map.next_entry::<String, serde::de::IgnoredAny>()? {
                    keys.push(key);
                }
                Ok(Keys(keys))
            }
        }
        deserializer.deserialize_map(Visitor)
    }
}

/// The key order of the first object of a JSON array.
pub fn first_keys(text: &str) -> Vec<String> {
    let objects: Vec<Keys> = serde_json::from_str(text).unwrap();
    objects.into_iter().next().expect("a non-empty array").0
}

/// The key order of a JSON object.
pub fn keys(text: &str) -> Vec<String> {
    serde_json::from_str::<Keys>(text).unwrap().0
}
