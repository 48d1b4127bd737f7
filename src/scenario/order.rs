//! One `[[orders]]` entry, checked and converted to a [`SubmitOrder`].

use rust_decimal::Decimal;

use super::file::{OrderEntry, SideName, TifName, TypeName};
use super::inputs::parse_at;
use super::number::Rule;
use crate::domain::{ClientOrderId, OrderType, Side, TimeInForce, identifier};
use crate::event::SubmitOrder;

/// The longest `ttl_s` (ten years): a longer one is a typo, not a stale timer.
const MAX_TTL_S: u64 = 10 * 365 * 86_400;

/// The order's time (ns) and its submission; the problem if a value is wrong.
pub(super) fn submit(order: &OrderEntry, symbol: &str) -> Result<(i64, SubmitOrder), String> {
    identifier("id", &order.id)?;
    identifier("strategy", &order.strategy)?;
    match order.ttl_s {
        Some(0) => return Err("ttl_s must be positive, got 0".into()),
        Some(ttl) if ttl > MAX_TTL_S => {
            return Err(format!("ttl_s must be at most {MAX_TTL_S} (ten years), got {ttl}"));
        }
        _ => {}
    }
    let at_ns = parse_at("at", &order.at)?;
    let decision_price = order.decision_price.as_ref().map(|price| price.checked("decision_price", Rule::Positive));
    let submit = SubmitOrder {
        client_order_id: ClientOrderId::new(order.id.as_str()),
        strategy: order.strategy.as_str().into(),
        symbol: symbol.into(),
        side: match order.side {
            SideName::Buy => Side::Buy,
            SideName::Sell => Side::Sell,
        },
        order_type: match order.order_type {
            TypeName::Market => OrderType::Market,
            TypeName::Limit => OrderType::Limit,
        },
        qty: order.qty.checked("qty", Rule::Positive)?,
        limit_price: limit_price(order)?,
        time_in_force: time_in_force(order)?,
        ttl_s: order.ttl_s,
        decision_price: decision_price.transpose()?,
    };
    Ok((at_ns, submit))
}

/// A limit order needs a positive price; a market order takes none.
fn limit_price(order: &OrderEntry) -> Result<Option<Decimal>, String> {
    match (order.order_type, &order.limit_price) {
        (TypeName::Limit, Some(price)) => price.checked("limit_price", Rule::Positive).map(Some),
        (TypeName::Limit, None) => Err("a limit order needs a limit_price".into()),
        (TypeName::Market, Some(price)) => Err(format!("a market order takes no limit_price, got {price}")),
        (TypeName::Market, None) => Ok(None),
    }
}

/// `tif` (default gtc); `expire_at` is required for gtd and refused otherwise.
fn time_in_force(order: &OrderEntry) -> Result<TimeInForce, String> {
    let tif = order.tif.unwrap_or(TifName::Gtc);
    match (tif, &order.expire_at) {
        (TifName::Gtd, Some(expire_at)) => Ok(TimeInForce::Gtd { expire_ns: parse_at("expire_at", expire_at)? }),
        (TifName::Gtd, None) => Err("a gtd order needs expire_at".into()),
        (_, Some(_)) => Err(format!("expire_at is only for gtd orders, but tif is {}", tif_name(tif))),
        (TifName::Day, None) => Ok(TimeInForce::Day),
        (TifName::Gtc, None) => Ok(TimeInForce::Gtc),
        (TifName::Ioc, None) => Ok(TimeInForce::Ioc),
        (TifName::Fok, None) => Ok(TimeInForce::Fok),
    }
}

fn tif_name(tif: TifName) -> &'static str {
    match tif {
        TifName::Day => "day",
        TifName::Gtc => "gtc",
        TifName::Ioc => "ioc",
        TifName::Fok => "fok",
        TifName::Gtd => "gtd",
    }
}
