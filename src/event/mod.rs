//! Events: the payload the journal carries.
//!
//! [`Event`] is one externally tagged enum whose variants each wrap their own struct; a family
//! of events is a group of variants (today: the order lifecycle, [`order`]).
//!
//! **Never change a journaled variant; add a new one.** bincode encodes a variant by its index
//! and a struct by its field order, so journaled bytes stay readable only if existing variants
//! and their fields are left exactly as they are: new variants go at the *end* of the enum, and
//! a changed shape is a new variant (e.g. `OrderFilledV2`). No `flatten`, untagged or internally
//! tagged serde shapes (bincode cannot decode them).

pub mod order;
pub mod synthetic;

use serde::{Deserialize, Serialize};

use crate::domain::ClientOrderId;
use crate::journal::Payload;

pub use order::{
    CancelRejected, CancelRequested, OrderAccepted, OrderCancelled, OrderCreated, OrderDenied, OrderExpired,
    OrderFilled, OrderRejected, OrderSubmitted, ReportIgnored,
};

/// Everything blotter journals. Append new variants at the end only (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Event {
    // ── order lifecycle ──
    OrderCreated(OrderCreated),
    OrderDenied(OrderDenied),
    OrderSubmitted(OrderSubmitted),
    OrderAccepted(OrderAccepted),
    OrderRejected(OrderRejected),
    OrderFilled(OrderFilled),
    CancelRequested(CancelRequested),
    OrderCancelled(OrderCancelled),
    CancelRejected(CancelRejected),
    OrderExpired(OrderExpired),
    ReportIgnored(ReportIgnored),
}

impl Payload for Event {
    const SCHEMA_VERSION: u16 = 1;
}

impl Event {
    /// The variant's name, e.g. `"OrderFilled"`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Event::OrderCreated(_) => "OrderCreated",
            Event::OrderDenied(_) => "OrderDenied",
            Event::OrderSubmitted(_) => "OrderSubmitted",
            Event::OrderAccepted(_) => "OrderAccepted",
            Event::OrderRejected(_) => "OrderRejected",
            Event::OrderFilled(_) => "OrderFilled",
            Event::CancelRequested(_) => "CancelRequested",
            Event::OrderCancelled(_) => "OrderCancelled",
            Event::CancelRejected(_) => "CancelRejected",
            Event::OrderExpired(_) => "OrderExpired",
            Event::ReportIgnored(_) => "ReportIgnored",
        }
    }

    /// The order this event is about, if any.
    pub fn client_order_id(&self) -> Option<&ClientOrderId> {
        match self {
            Event::OrderCreated(e) => Some(&e.client_order_id),
            Event::OrderDenied(e) => Some(&e.client_order_id),
            Event::OrderSubmitted(e) => Some(&e.client_order_id),
            Event::OrderAccepted(e) => Some(&e.client_order_id),
            Event::OrderRejected(e) => Some(&e.client_order_id),
            Event::OrderFilled(e) => Some(&e.client_order_id),
            Event::CancelRequested(e) => Some(&e.client_order_id),
            Event::OrderCancelled(e) => Some(&e.client_order_id),
            Event::CancelRejected(e) => Some(&e.client_order_id),
            Event::OrderExpired(e) => Some(&e.client_order_id),
            Event::ReportIgnored(e) => e.client_order_id.as_ref(),
        }
    }

    /// The journal stream: `order:<client_order_id>`; for an ignored report naming no client
    /// order id, `broker-order:<broker_order_id>`, else `reports`.
    pub fn stream(&self) -> String {
        match (self.client_order_id(), self) {
            (Some(id), _) => format!("order:{id}"),
            (None, Event::ReportIgnored(ReportIgnored { broker_order_id: Some(id), .. })) => {
                format!("broker-order:{id}")
            }
            (None, _) => "reports".to_owned(),
        }
    }
}

macro_rules! into_event {
    ($($variant:ident),* $(,)?) => {
        $(impl From<$variant> for Event {
            fn from(e: $variant) -> Self {
                Event::$variant(e)
            }
        })*
    };
}

into_event!(
    OrderCreated,
    OrderDenied,
    OrderSubmitted,
    OrderAccepted,
    OrderRejected,
    OrderFilled,
    CancelRequested,
    OrderCancelled,
    CancelRejected,
    OrderExpired,
    ReportIgnored,
);

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{BrokerOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};

    fn id() -> ClientOrderId {
        ClientOrderId::from("o-1")
    }

    /// One instance of every variant, with every optional field set in some instance.
    fn every_variant() -> Vec<Event> {
        vec![
            Event::OrderCreated(OrderCreated {
                client_order_id: id(),
                strategy: "s".into(),
                symbol: "AAPL".into(),
                side: Side::Sell,
                order_type: OrderType::Limit,
                qty: Decimal::new(12_345, 2),
                limit_price: Some(Decimal::new(-1, 28)),
                time_in_force: TimeInForce::Gtd { expire_ns: -7 },
                ttl_s: Some(u64::MAX),
                decision_price: Some(Decimal::MAX),
                arrival_price: None,
                execution_id: Some("x-1".into()),
                slice_id: Some(3),
            }),
            Event::OrderDenied(OrderDenied { client_order_id: id(), reason: "limit".into() }),
            Event::OrderSubmitted(OrderSubmitted { client_order_id: id() }),
            Event::OrderAccepted(OrderAccepted { client_order_id: id(), broker_order_id: BrokerOrderId::from("b") }),
            Event::OrderRejected(OrderRejected { client_order_id: id(), reason: "r".into() }),
            Event::OrderFilled(OrderFilled {
                client_order_id: id(),
                fill_id: FillId::from("f-1"),
                qty: Decimal::new(5, 0),
                price: Decimal::new(10_001, 2),
                fee: Decimal::new(-3, 3),
                liquidity: LiquiditySide::Maker,
                venue: "XNAS".into(),
                broker_ts_ns: i64::MIN,
            }),
            Event::CancelRequested(CancelRequested { client_order_id: id() }),
            Event::OrderCancelled(OrderCancelled { client_order_id: id() }),
            Event::CancelRejected(CancelRejected { client_order_id: id(), reason: "too late".into() }),
            Event::OrderExpired(OrderExpired { client_order_id: id() }),
            Event::ReportIgnored(ReportIgnored {
                client_order_id: None,
                broker_order_id: Some(BrokerOrderId::from("b-2")),
                reason: "unknown order".into(),
                report: "{..}".into(),
            }),
        ]
    }

    #[test]
    fn every_event_variant_round_trips_through_bincode_serde() {
        let events = every_variant();
        let indices: Vec<usize> = events.iter().map(variant_index).collect();
        assert_eq!(indices, (0..11).collect::<Vec<_>>(), "one instance of every variant, in order");
        for ev in events {
            let bytes = bincode::serde::encode_to_vec(&ev, bincode::config::standard()).unwrap();
            let (back, used): (Event, usize) =
                bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
            assert_eq!(back, ev);
            assert_eq!(used, bytes.len());
        }
    }

    #[test]
    fn every_event_variant_round_trips_through_json() {
        for ev in every_variant() {
            let json = serde_json::to_string(&ev).unwrap();
            assert_eq!(serde_json::from_str::<Event>(&json).unwrap(), ev);
        }
    }

    #[test]
    fn event_json_is_externally_tagged_with_decimals_as_strings() {
        let ev = Event::from(OrderSubmitted { client_order_id: id() });
        assert_eq!(serde_json::to_string(&ev).unwrap(), r#"{"OrderSubmitted":{"client_order_id":"o-1"}}"#);
        let fill = every_variant().swap_remove(5);
        let json = serde_json::to_value(&fill).unwrap();
        assert_eq!(json["OrderFilled"]["price"], "100.01");
        assert_eq!(json["OrderFilled"]["liquidity"], "Maker");
    }

    /// The journaled index of each variant. Exhaustive on purpose: a new variant does not
    /// compile until it is given its (new, last) index here and an instance in `every_variant`.
    fn variant_index(ev: &Event) -> usize {
        match ev {
            Event::OrderCreated(_) => 0,
            Event::OrderDenied(_) => 1,
            Event::OrderSubmitted(_) => 2,
            Event::OrderAccepted(_) => 3,
            Event::OrderRejected(_) => 4,
            Event::OrderFilled(_) => 5,
            Event::CancelRequested(_) => 6,
            Event::OrderCancelled(_) => 7,
            Event::CancelRejected(_) => 8,
            Event::OrderExpired(_) => 9,
            Event::ReportIgnored(_) => 10,
        }
    }

    #[test]
    fn variant_indices_are_pinned() {
        // bincode tags a variant by its index: reordering variants would silently reinterpret
        // journaled bytes. This pins the order.
        for ev in every_variant() {
            let bytes = bincode::serde::encode_to_vec(&ev, bincode::config::standard()).unwrap();
            assert_eq!(bytes[0] as usize, variant_index(&ev), "{}", ev.type_name());
        }
    }

    #[test]
    fn garbage_bytes_decode_to_an_error_not_a_panic() {
        for bytes in [&[][..], &[200], &[5, 1, b'x'], &[0, 255, 255, 255, 255, 255]] {
            let r: Result<(Event, usize), _> = bincode::serde::decode_from_slice(bytes, bincode::config::standard());
            assert!(r.is_err());
        }
    }

    #[test]
    fn names_streams_and_ids() {
        let evs = every_variant();
        assert_eq!(evs[5].type_name(), "OrderFilled");
        assert_eq!(evs[5].stream(), "order:o-1");
        assert_eq!(evs[5].client_order_id(), Some(&id()));
        assert_eq!(evs[10].client_order_id(), None);
        assert_eq!(evs[10].stream(), "broker-order:b-2");
        let anonymous =
            ReportIgnored { client_order_id: None, broker_order_id: None, reason: "r".into(), report: String::new() };
        assert_eq!(Event::from(anonymous).stream(), "reports");
        let named = ReportIgnored {
            client_order_id: Some(id()),
            broker_order_id: Some(BrokerOrderId::from("b")),
            reason: "dup".into(),
            report: String::new(),
        };
        assert_eq!(Event::from(named).stream(), "order:o-1");
    }
}
