//! When orders go stale. Pure functions of the order, its creation time and the config.
//!
//! The venue owns DAY and GTD expiry (it reports `Expired`); the engine only steps in if the
//! venue has not done so `stale_grace_ms` later, by requesting a cancel. A `ttl_s` is the
//! engine's own: the order is cancelled `ttl_s` after it was created.

use crate::domain::TimeInForce;
use crate::event::{EngineConfig, OrderCreated};

const NS_PER_S: i64 = 1_000_000_000;
const NS_PER_DAY: i64 = 86_400 * NS_PER_S;

/// When the venue should expire the order: GTD its expiry, DAY the first day end strictly
/// after its creation. `None` for orders that do not expire (or times beyond the i64 range).
pub fn venue_expiry(created: &OrderCreated, created_ns: i64, config: &EngineConfig) -> Option<i64> {
    match created.time_in_force {
        TimeInForce::Gtd { expire_ns } => Some(expire_ns),
        TimeInForce::Day => next_day_end(created_ns, config.day_end_utc_s),
        TimeInForce::Gtc | TimeInForce::Ioc | TimeInForce::Fok => None,
    }
}

/// When the engine cancels the order if it is still working: the earlier of its ttl and its
/// venue expiry plus the grace period.
pub fn stale_deadline(created: &OrderCreated, created_ns: i64, config: &EngineConfig) -> Option<i64> {
    let ttl = created.ttl_s.and_then(|s| i64::try_from(s).ok()?.checked_mul(NS_PER_S)?.checked_add(created_ns));
    let grace_ns = i64::try_from(config.stale_grace_ms).ok().and_then(|ms| ms.checked_mul(1_000_000));
    let expiry = venue_expiry(created, created_ns, config).and_then(|t| t.checked_add(grace_ns?));
    match (ttl, expiry) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The first instant strictly after `now_ns` whose UTC time of day is `day_end_s`.
pub fn next_day_end(now_ns: i64, day_end_s: u32) -> Option<i64> {
    let offset = i64::from(day_end_s % 86_400) * NS_PER_S;
    let today = now_ns.div_euclid(NS_PER_DAY).checked_mul(NS_PER_DAY)?.checked_add(offset)?;
    if today > now_ns { Some(today) } else { today.checked_add(NS_PER_DAY) }
}

#[cfg(test)]
mod tests {
    use rust_decimal::Decimal;

    use super::*;
    use crate::domain::{OrderType, Side};

    fn order(tif: TimeInForce, ttl_s: Option<u64>) -> OrderCreated {
        OrderCreated {
            client_order_id: "o-1".into(),
            strategy: "s".into(),
            symbol: "X".into(),
            side: Side::Buy,
            order_type: OrderType::Market,
            qty: Decimal::ONE,
            limit_price: None,
            time_in_force: tif,
            ttl_s,
            decision_price: None,
            arrival_price: None,
            execution_id: None,
            slice_id: None,
        }
    }

    const T0: i64 = 1_704_205_800 * NS_PER_S; // 2024-01-02T14:30:00Z

    #[test]
    fn day_orders_end_at_the_next_day_end() {
        let config = EngineConfig { day_end_utc_s: 22 * 3600, ..EngineConfig::default() };
        let end = venue_expiry(&order(TimeInForce::Day, None), T0, &config).unwrap();
        assert_eq!(end - T0, 7 * 3600 * NS_PER_S + 30 * 60 * NS_PER_S);
        // Created exactly at the day end: the next one.
        assert_eq!(next_day_end(end, 22 * 3600), Some(end + NS_PER_DAY));
        // Midnight default; negative times work too.
        assert_eq!(next_day_end(-1, 0), Some(0));
    }

    #[test]
    fn the_stale_deadline_is_the_earlier_of_ttl_and_expiry_plus_grace() {
        let config = EngineConfig { stale_grace_ms: 2_000, ..EngineConfig::default() };
        let gtd = TimeInForce::Gtd { expire_ns: T0 + 60 * NS_PER_S };
        assert_eq!(stale_deadline(&order(gtd, None), T0, &config), Some(T0 + 62 * NS_PER_S));
        assert_eq!(stale_deadline(&order(gtd, Some(10)), T0, &config), Some(T0 + 10 * NS_PER_S));
        assert_eq!(stale_deadline(&order(TimeInForce::Gtc, None), T0, &config), None);
        assert_eq!(stale_deadline(&order(TimeInForce::Gtc, Some(u64::MAX)), T0, &config), None);
        let far = TimeInForce::Gtd { expire_ns: i64::MAX };
        assert_eq!(stale_deadline(&order(far, None), T0, &config), None);
    }
}
