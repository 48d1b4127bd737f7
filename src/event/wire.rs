//! The hand-written codec of the events on the hot paths: the order lifecycle (every replay
//! decodes them) and the engine's order inputs (every lifecycle encodes them). Other variants
//! go through serde. Either way the bytes are bincode's through serde, field by field in
//! declaration order (tests hold them equal for every variant here), so journals written
//! before read the same.
//!
//! Why: decoding a payload through serde's visitors cost about 240 ns an event, more than
//! folding some of them.

use std::mem::MaybeUninit;

use compact_str::CompactString;
use rust_decimal::Decimal;

use super::*;
use crate::domain::{BrokerOrderId, ClientOrderId, FillId, LiquiditySide, OrderType, Side, TimeInForce};
use crate::journal::wire::{WireError, WireReader, WireWriter};

/// A value with a hand-written bincode codec.
trait Wire: Sized {
    fn write(&self, w: &mut WireWriter<'_>);
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError>;
}

impl Wire for u32 {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.u64(u64::from(*self));
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.u32()
    }
}

impl Wire for u64 {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.u64(*self);
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.u64()
    }
}

impl Wire for i64 {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.i64(*self);
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.i64()
    }
}

/// Only as `crate::domain::decimal` serializes it: every decimal field of the events here
/// carries that attribute.
impl Wire for Decimal {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.decimal(self);
    }
    // Inlined into the struct readers, the decimal goes from registers into its field; called,
    // it came back through memory as rust_decimal's four 32-bit words, and the 16-byte load
    // moving it on waited for them (store forwarding). `bench replay` stage decode 97.6–98.9 →
    // 91.6–92.9 ns an event; the same on the ids' readers made it slower (95).
    #[inline(always)]
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.decimal()
    }
}

impl Wire for String {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.str(self);
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.str().map(str::to_string)
    }
}

impl Wire for CompactString {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.str(self);
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.str().map(CompactString::from)
    }
}

impl<T: Wire> Wire for Option<T> {
    fn write(&self, w: &mut WireWriter<'_>) {
        w.some(self.is_some());
        if let Some(value) = self {
            value.write(w);
        }
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        r.option(T::read)
    }
}

/// String ids are their bare string (`#[serde(transparent)]`).
macro_rules! wire_id {
    ($($id:ident),*) => {$(
        impl Wire for $id {
            fn write(&self, w: &mut WireWriter<'_>) {
                w.str(self.as_str());
            }
            fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
                r.str().map($id::from)
            }
        }
    )*};
}

wire_id!(ClientOrderId, BrokerOrderId, FillId);

/// Enums of unit variants are their variant's index.
macro_rules! wire_unit_enum {
    ($($enum:ident { $($index:literal => $variant:ident),* })*) => {$(
        impl Wire for $enum {
            fn write(&self, w: &mut WireWriter<'_>) {
                w.variant(match self { $($enum::$variant => $index,)* });
            }
            fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
                match r.variant()? {
                    $($index => Ok($enum::$variant),)*
                    other => Err(r.no_variant(stringify!($enum), other)),
                }
            }
        }
    )*};
}

wire_unit_enum! {
    Side { 0 => Buy, 1 => Sell }
    OrderType { 0 => Market, 1 => Limit }
    LiquiditySide { 0 => Maker, 1 => Taker, 2 => Unknown }
}

impl Wire for TimeInForce {
    fn write(&self, w: &mut WireWriter<'_>) {
        match self {
            TimeInForce::Day => w.variant(0),
            TimeInForce::Gtc => w.variant(1),
            TimeInForce::Ioc => w.variant(2),
            TimeInForce::Fok => w.variant(3),
            TimeInForce::Gtd { expire_ns } => {
                w.variant(4);
                w.i64(*expire_ns);
            }
        }
    }
    fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
        match r.variant()? {
            0 => Ok(TimeInForce::Day),
            1 => Ok(TimeInForce::Gtc),
            2 => Ok(TimeInForce::Ioc),
            3 => Ok(TimeInForce::Fok),
            4 => Ok(TimeInForce::Gtd { expire_ns: r.i64()? }),
            other => Err(r.no_variant("TimeInForce", other)),
        }
    }
}

/// A struct is its fields in declaration order. The struct literal names every field, so a
/// field added to the struct and not here does not compile; the order is held by tests.
macro_rules! wire_struct {
    ($($name:ident { $($field:ident),* $(,)? })*) => {$(
        impl Wire for $name {
            fn write(&self, w: &mut WireWriter<'_>) {
                $(self.$field.write(w);)*
            }
            fn read(r: &mut WireReader<'_>) -> Result<Self, WireError> {
                Ok($name { $($field: Wire::read(r)?,)* })
            }
        }
    )*};
}

wire_struct! {
    OrderCreated {
        client_order_id, strategy, symbol, side, order_type, qty, limit_price, time_in_force, ttl_s,
        decision_price, arrival_price, execution_id, slice_id,
    }
    OrderDenied { client_order_id, reason }
    OrderSubmitted { client_order_id }
    OrderAccepted { client_order_id, broker_order_id }
    OrderRejected { client_order_id, reason }
    OrderFilled { client_order_id, fill_id, qty, price, fee, liquidity, venue, broker_ts_ns }
    CancelRequested { client_order_id }
    OrderCancelled { client_order_id }
    CancelRejected { client_order_id, reason }
    OrderExpired { client_order_id }
    ReportIgnored { client_order_id, broker_order_id, reason, report }
    SubmitOrder {
        client_order_id, strategy, symbol, side, order_type, qty, limit_price, time_in_force, ttl_s, decision_price,
    }
    CancelOrder { client_order_id }
    BrokerAccepted { client_order_id, broker_order_id, broker_ts_ns }
    BrokerFilled { client_order_id, broker_order_id, fill_id, qty, price, fee, liquidity, venue, broker_ts_ns }
}

/// The variants with a hand-written codec, by their index in [`Event`].
macro_rules! wire_variants {
    ($($index:literal => $variant:ident,)*) => {
        /// Appends `event`'s bytes if it has a hand-written codec; `false` (nothing written)
        /// if it goes through serde.
        pub(super) fn write(event: &Event, out: &mut Vec<u8>) -> bool {
            let mut w = WireWriter::new(out);
            match event {
                $(Event::$variant(inner) => {
                    w.variant($index);
                    inner.write(&mut w);
                    true
                })*
                _ => false,
            }
        }

        /// Whether the event in `bytes` has a hand-written codec: its variant is one of these,
        /// or its variant index does not even decode ([`read`] reports that).
        #[inline]
        pub(super) fn has_codec(bytes: &[u8]) -> bool {
            WireReader::new(bytes).variant().map_or(true, |index| matches!(index, $($index)|*))
        }

        /// Decodes exactly one event from all of `bytes`; for the variants of
        /// [`has_codec`].
        #[inline]
        pub(super) fn read(bytes: &[u8]) -> Result<Event, String> {
            let mut event = MaybeUninit::uninit();
            read_into(bytes, &mut event)?;
            // SAFETY: `read_into` returned `Ok`, so it wrote the event.
            Ok(unsafe { event.assume_init() })
        }

        /// [`read`] into `out`, written only once the whole event decoded (on an error
        /// nothing is). Errors become text where they occur, and the event is built where
        /// it is written (the variant's fields, not a whole `Event` moved into place).
        #[inline]
        pub(super) fn read_into(bytes: &[u8], out: &mut MaybeUninit<Event>) -> Result<(), String> {
            let mut r = WireReader::new(bytes);
            match r.variant() {
                $(Ok($index) => match $variant::read(&mut r) {
                    Ok(inner) => match r.finish() {
                        Ok(()) => {
                            out.write(Event::$variant(inner));
                            Ok(())
                        }
                        Err(error) => Err(error.to_string()),
                    },
                    Err(error) => Err(error.to_string()),
                },)*
                Ok(index) => Err(r.no_variant("the hand-written codec", index).to_string()),
                Err(error) => Err(error.to_string()),
            }
        }

        #[cfg(test)]
        pub(super) const WIRE_VARIANTS: &[&str] = &[$(stringify!($variant),)*];
    };
}

wire_variants! {
    0 => OrderCreated,
    1 => OrderDenied,
    2 => OrderSubmitted,
    3 => OrderAccepted,
    4 => OrderRejected,
    5 => OrderFilled,
    6 => CancelRequested,
    7 => OrderCancelled,
    8 => CancelRejected,
    9 => OrderExpired,
    10 => ReportIgnored,
    12 => SubmitOrder,
    13 => CancelOrder,
    17 => BrokerAccepted,
    19 => BrokerFilled,
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use proptest::strategy::ValueTree;

    use super::*;
    use crate::journal::{decode_exact, encode_into};

    fn id() -> impl Strategy<Value = String> {
        // Inline (≤ 24 bytes) and heap-allocated compact strings, and non-ASCII text.
        prop_oneof!["[a-z0-9-]{0,24}", ".{25,40}"]
    }

    fn decimal() -> impl Strategy<Value = Decimal> {
        let mantissa = prop_oneof![any::<i64>().prop_map(i128::from), -(1i128 << 95)..(1i128 << 95)];
        (mantissa, 0u32..=28).prop_map(|(m, scale)| Decimal::from_i128_with_scale(m, scale))
    }

    fn tif() -> impl Strategy<Value = TimeInForce> {
        prop_oneof![
            Just(TimeInForce::Day),
            Just(TimeInForce::Gtc),
            Just(TimeInForce::Ioc),
            Just(TimeInForce::Fok),
            any::<i64>().prop_map(|expire_ns| TimeInForce::Gtd { expire_ns }),
        ]
    }

    fn side() -> impl Strategy<Value = Side> {
        prop_oneof![Just(Side::Buy), Just(Side::Sell)]
    }

    fn order_type() -> impl Strategy<Value = OrderType> {
        prop_oneof![Just(OrderType::Market), Just(OrderType::Limit)]
    }

    fn liquidity() -> impl Strategy<Value = LiquiditySide> {
        prop_oneof![Just(LiquiditySide::Maker), Just(LiquiditySide::Taker), Just(LiquiditySide::Unknown)]
    }

    fn order_created() -> impl Strategy<Value = OrderCreated> {
        let head = (id(), id(), id(), side(), order_type(), decimal(), proptest::option::of(decimal()), tif());
        let tail = (
            proptest::option::of(any::<u64>()),
            proptest::option::of(decimal()),
            proptest::option::of(decimal()),
            proptest::option::of(id()),
            proptest::option::of(any::<u32>()),
        );
        (head, tail).prop_map(|((c, st, sy, side, order_type, qty, limit_price, time_in_force), tail)| {
            let (ttl_s, decision_price, arrival_price, execution_id, slice_id) = tail;
            OrderCreated {
                client_order_id: c.into(),
                strategy: st.into(),
                symbol: sy.into(),
                side,
                order_type,
                qty,
                limit_price,
                time_in_force,
                ttl_s,
                decision_price,
                arrival_price,
                execution_id,
                slice_id,
            }
        })
    }

    /// An `OrderCreated`, or the `SubmitOrder` made of its leading fields.
    fn created_or_submit() -> impl Strategy<Value = Event> {
        (order_created(), any::<bool>()).prop_map(|(c, submit)| match submit {
            false => Event::OrderCreated(c),
            true => Event::SubmitOrder(SubmitOrder {
                client_order_id: c.client_order_id,
                strategy: c.strategy,
                symbol: c.symbol,
                side: c.side,
                order_type: c.order_type,
                qty: c.qty,
                limit_price: c.limit_price,
                time_in_force: c.time_in_force,
                ttl_s: c.ttl_s,
                decision_price: c.decision_price,
            }),
        })
    }

    fn fills() -> impl Strategy<Value = Event> {
        let fields = (id(), id(), id(), decimal(), decimal(), decimal(), liquidity(), id(), any::<i64>());
        (fields, any::<bool>()).prop_map(|((c, b, f, qty, price, fee, liquidity, venue, broker_ts_ns), broker)| {
            let report = BrokerFilled {
                client_order_id: c.into(),
                broker_order_id: b.into(),
                fill_id: f.into(),
                qty,
                price,
                fee,
                liquidity,
                venue: venue.into(),
                broker_ts_ns,
            };
            if broker { Event::BrokerFilled(report) } else { Event::OrderFilled(OrderFilled::from(&report)) }
        })
    }

    fn small() -> impl Strategy<Value = Event> {
        (0..10u8, id(), id(), any::<i64>(), proptest::option::of(id()), proptest::option::of(id())).prop_map(
            |(kind, a, b, ts, oa, ob)| match kind {
                0 => Event::OrderDenied(OrderDenied { client_order_id: a.into(), reason: b }),
                1 => Event::OrderSubmitted(OrderSubmitted { client_order_id: a.into() }),
                2 => Event::OrderAccepted(OrderAccepted { client_order_id: a.into(), broker_order_id: b.into() }),
                3 => Event::OrderRejected(OrderRejected { client_order_id: a.into(), reason: b }),
                4 => Event::CancelRequested(CancelRequested { client_order_id: a.into() }),
                5 => Event::OrderCancelled(OrderCancelled { client_order_id: a.into() }),
                6 => Event::CancelRejected(CancelRejected { client_order_id: a.into(), reason: b }),
                7 => Event::OrderExpired(OrderExpired { client_order_id: a.into() }),
                8 => Event::ReportIgnored(ReportIgnored {
                    client_order_id: oa.map(Into::into),
                    broker_order_id: ob.map(Into::into),
                    reason: a,
                    report: b,
                }),
                _ => match ts % 2 {
                    0 => Event::CancelOrder(CancelOrder { client_order_id: a.into() }),
                    _ => Event::BrokerAccepted(BrokerAccepted {
                        client_order_id: a.into(),
                        broker_order_id: b.into(),
                        broker_ts_ns: ts,
                    }),
                },
            },
        )
    }

    fn event() -> impl Strategy<Value = Event> {
        prop_oneof![created_or_submit(), fills(), small()]
    }

    /// What the hand-written codec reads, or `None` for a variant it leaves to serde.
    fn coded(bytes: &[u8]) -> Option<Result<Event, String>> {
        has_codec(bytes).then(|| read(bytes))
    }

    proptest! {
        #[test]
        fn hand_written_bytes_are_serdes_and_read_back(event in event()) {
            let mut through_serde = Vec::new();
            encode_into(&event, &mut through_serde).unwrap();
            let mut native = Vec::new();
            prop_assert!(write(&event, &mut native), "{} has a hand-written codec", event.type_name());
            prop_assert_eq!(&native, &through_serde);
            prop_assert_eq!(coded(&through_serde).unwrap().unwrap(), decode_exact::<Event>(&through_serde).unwrap());
            for cut in 0..through_serde.len() {
                prop_assert!(coded(&through_serde[..cut]).is_none_or(|decoded| decoded.is_err()), "cut at {}", cut);
            }
            let mut longer = through_serde.clone();
            longer.push(0);
            prop_assert!(coded(&longer).unwrap().is_err(), "a trailing byte is refused");
        }

        #[test]
        fn any_bytes_decode_or_fail_without_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = coded(&bytes);
        }
    }

    #[test]
    fn every_variant_listed_is_covered_by_the_strategies_and_others_go_through_serde() {
        let mut runner = proptest::test_runner::TestRunner::deterministic();
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..2_000 {
            let event = event().new_tree(&mut runner).unwrap().current();
            seen.insert(event.type_name());
        }
        assert_eq!(seen, WIRE_VARIANTS.iter().copied().collect());
        let tick = Event::TimerTick(TimerTick {});
        assert!(!write(&tick, &mut Vec::new()));
        let mut bytes = Vec::new();
        encode_into(&tick, &mut bytes).unwrap();
        assert!(coded(&bytes).is_none());
    }
}
