//! Positions per (strategy, symbol), average-cost method, driven by `OrderFilled`.
//!
//! - `net_qty` is signed (long > 0, short < 0); `avg_px` is the average entry price of the open
//!   quantity (`None` when flat).
//! - A fill in the direction of the position (or from flat) increases it and re-averages the
//!   price; an opposite fill reduces it and realizes `(px - avg_px) · closed_qty` (sign flipped
//!   for a short); a fill larger than the position closes it and opens the remainder at the
//!   fill price (a flip), realizing PnL on the closed part only.
//! - `realized_pnl` excludes fees; `fees` accumulates every fill's fee separately
//!   (net realized = `realized_pnl - fees`).
//! - Every fill the OMS accepted counts, late fills and overfills included.
//!
//! Positions does not keep its own copy of orders: it reads an order's strategy, symbol and side
//! from the [`Oms`] it is given (they never change after creation). It does not validate fills;
//! drive it through [`super::Views`], which applies a fill only if the OMS accepts it.

use indexmap::{Equivalent, IndexMap};
use rust_decimal::Decimal;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use super::{InvariantViolation, Oms, OrderView, ViolationKind};
use crate::domain::Side;
use crate::event::{Event, FillInferred, OrderFilled};
use crate::journal::Stamp;

/// What a position is kept per; ordered by strategy, then symbol.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct PositionKey {
    pub strategy: String,
    pub symbol: String,
}

/// One (strategy, symbol) position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    pub strategy: String,
    pub symbol: String,
    /// Signed: long > 0, short < 0.
    #[serde(with = "crate::domain::decimal")]
    pub net_qty: Decimal,
    /// Average entry price of the open quantity; `None` when flat.
    #[serde(with = "crate::domain::decimal::option")]
    pub avg_px: Option<Decimal>,
    /// Realized on reductions, excluding fees.
    #[serde(with = "crate::domain::decimal")]
    pub realized_pnl: Decimal,
    #[serde(with = "crate::domain::decimal")]
    pub fees: Decimal,
    /// Number of fills applied.
    pub fills: u64,
}

impl Position {
    /// A flat position.
    pub fn flat(key: &PositionKey) -> Self {
        Position {
            strategy: key.strategy.clone(),
            symbol: key.symbol.clone(),
            net_qty: Decimal::ZERO,
            avg_px: None,
            realized_pnl: Decimal::ZERO,
            fees: Decimal::ZERO,
            fills: 0,
        }
    }

    pub fn key(&self) -> PositionKey {
        PositionKey { strategy: self.strategy.clone(), symbol: self.symbol.clone() }
    }

    /// The position after a fill of `qty` (> 0) at `price` with `fee`. `None` on decimal
    /// overflow or if the position is open without an average price (a corrupt snapshot).
    pub fn with_fill(&self, side: Side, qty: Decimal, price: Decimal, fee: Decimal) -> Option<Position> {
        let mut next = self.clone();
        next.fill(side, qty, price, fee)?;
        Some(next)
    }

    /// Applies a fill in place; on `None` (see [`Position::with_fill`]) nothing changed.
    pub fn fill(&mut self, side: Side, qty: Decimal, price: Decimal, fee: Decimal) -> Option<()> {
        let fees = self.fees.checked_add(fee)?;
        let fills = self.fills.checked_add(1)?;
        let signed = side.signed(qty);
        let net = self.net_qty;
        let mut net_qty: Decimal;
        let (mut avg_px, mut realized_pnl) = (self.avg_px, self.realized_pnl);

        if net.is_zero() || net.is_sign_negative() == signed.is_sign_negative() {
            // Open or increase: re-average over the whole open quantity.
            let held = net.abs();
            let cost = match self.avg_px {
                Some(avg) => held.checked_mul(avg)?,
                None if held.is_zero() => Decimal::ZERO,
                None => return None,
            };
            let total = held.checked_add(qty)?;
            // Normalized: the division's 28-digit scale would otherwise show as trailing zeros.
            avg_px = Some(cost.checked_add(qty.checked_mul(price)?)?.checked_div(total)?.normalize());
            net_qty = net.checked_add(signed)?;
        } else {
            // Reduce, close or flip.
            let avg = self.avg_px?;
            let closed = qty.min(net.abs());
            let per_unit = if net.is_sign_positive() { price.checked_sub(avg)? } else { avg.checked_sub(price)? };
            realized_pnl = self.realized_pnl.checked_add(per_unit.checked_mul(closed)?)?;
            let remainder = qty.checked_sub(closed)?;
            if remainder.is_zero() {
                net_qty = net.checked_add(signed)?;
                if net_qty.is_zero() {
                    net_qty = Decimal::ZERO; // never a negative zero
                    avg_px = None;
                }
            } else {
                net_qty = side.signed(remainder);
                avg_px = Some(price);
            }
        }
        (self.net_qty, self.avg_px, self.realized_pnl, self.fees, self.fills) =
            (net_qty, avg_px, realized_pnl, fees, fills);
        Some(())
    }
}

/// Every position, ordered by (strategy, symbol). Serialized as a list of [`Position`]s (each
/// names its strategy and symbol) so the JSON form needs no struct map keys.
///
/// Looked up by hash (every fill books into one: ~195 instructions in a replay's fold, where
/// two nested `BTreeMap`s comparing strings node by node took ~230), kept in key order (a
/// new position is inserted in its place; there are a few per strategy).
#[derive(Debug, Clone, Default)]
pub struct Positions {
    by_key: IndexMap<PositionKey, Position, FxBuildHasher>,
}

/// A [`PositionKey`] by reference: hashes as one (the same fields, in the same order, and a
/// `&str` hashes as a `String`), so a lookup allocates nothing.
#[derive(Hash)]
struct KeyRef<'a> {
    strategy: &'a str,
    symbol: &'a str,
}

impl Equivalent<PositionKey> for KeyRef<'_> {
    fn equivalent(&self, key: &PositionKey) -> bool {
        self.strategy == key.strategy && self.symbol == key.symbol
    }
}

/// Equal when they hold the same positions (always in the same, key, order).
impl PartialEq for Positions {
    fn eq(&self, other: &Self) -> bool {
        self.by_key.as_slice() == other.by_key.as_slice()
    }
}

impl Eq for Positions {}

impl Positions {
    pub fn new() -> Self {
        Positions::default()
    }

    pub fn get(&self, strategy: &str, symbol: &str) -> Option<&Position> {
        self.by_key.get(&KeyRef { strategy, symbol })
    }

    /// Number of (strategy, symbol) positions, flat ones included.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    /// Every position, ordered by (strategy, symbol).
    pub fn iter(&self) -> impl Iterator<Item = &Position> {
        self.by_key.values()
    }

    /// Folds one event; only `OrderFilled` changes anything. `oms` supplies the order's strategy,
    /// symbol and side (before or after the fill: they never change). On error nothing changes.
    pub fn apply(&mut self, at: Stamp, event: &Event, oms: &Oms) -> Result<(), InvariantViolation> {
        match event {
            Event::OrderFilled(fill) => self.apply_fill(at, fill, oms),
            _ => Ok(()),
        }
    }

    /// Folds one fill into its order's position, in place. On error nothing changes.
    pub(super) fn apply_fill(&mut self, at: Stamp, fill: &OrderFilled, oms: &Oms) -> Result<(), InvariantViolation> {
        let Some(order) = oms.get(&fill.client_order_id) else {
            let client_order_id = fill.client_order_id.clone();
            let kind = ViolationKind::MissingOrder { projection: "positions", client_order_id };
            return Err(InvariantViolation::new(at.seq, kind));
        };
        self.apply_fill_of(at, fill, &order)
    }

    /// Folds one fill of `order` into its position, in place. On error nothing changes.
    pub(super) fn apply_fill_of(
        &mut self,
        at: Stamp,
        fill: &OrderFilled,
        order: &OrderView,
    ) -> Result<(), InvariantViolation> {
        let created = &order.created;
        self.book(at, &created.strategy, &created.symbol, created.side, (fill.qty, fill.price, fill.fee))
    }

    /// Folds a fill inferred by reconciliation into its (strategy, symbol) position.
    pub(super) fn apply_inferred(&mut self, at: Stamp, fill: &FillInferred) -> Result<(), InvariantViolation> {
        self.book(at, &fill.strategy, &fill.symbol, fill.side, (fill.qty, fill.price, Decimal::ZERO))
    }

    /// Books `(qty, price, fee)` on `side` into the (strategy, symbol) position, in place.
    fn book(
        &mut self,
        at: Stamp,
        strategy: &str,
        symbol: &str,
        side: Side,
        (qty, price, fee): (Decimal, Decimal, Decimal),
    ) -> Result<(), InvariantViolation> {
        let arithmetic = || InvariantViolation::new(at.seq, ViolationKind::Arithmetic { what: "position" });
        match self.by_key.get_mut(&KeyRef { strategy, symbol }) {
            Some(position) => position.fill(side, qty, price, fee).ok_or_else(arithmetic),
            None => {
                let key = PositionKey { strategy: strategy.to_owned(), symbol: symbol.to_owned() };
                let position = Position::flat(&key).with_fill(side, qty, price, fee).ok_or_else(arithmetic)?;
                self.insert(position);
                Ok(())
            }
        }
    }

    /// Adds a position in its key's place; returns the one it replaced, if any.
    fn insert(&mut self, position: Position) -> Option<Position> {
        // Sorted by construction: every insert goes through here.
        self.by_key.insert_sorted(position.key(), position).1
    }
}

impl Serialize for Positions {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = serializer.serialize_seq(Some(self.len()))?;
        for position in self.iter() {
            seq.serialize_element(position)?;
        }
        seq.end()
    }
}

impl<'de> Deserialize<'de> for Positions {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let list = Vec::<Position>::deserialize(deserializer)?;
        let mut positions = Positions::new();
        for position in list {
            if positions.insert(position).is_some() {
                return Err(serde::de::Error::custom("duplicate (strategy, symbol) position"));
            }
        }
        Ok(positions)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    fn start() -> Position {
        Position::flat(&PositionKey { strategy: "s".into(), symbol: "X".into() })
    }

    fn step(p: &Position, side: Side, qty: &str, px: &str, fee: &str) -> Position {
        p.with_fill(side, d(qty), d(px), d(fee)).unwrap()
    }

    fn summary(p: &Position) -> (Decimal, Option<Decimal>, Decimal, Decimal) {
        (p.net_qty, p.avg_px, p.realized_pnl, p.fees)
    }

    #[test]
    fn increase_then_reduce_long() {
        let p = step(&start(), Side::Buy, "10", "100", "1");
        let p = step(&p, Side::Buy, "30", "104", "1");
        assert_eq!(summary(&p), (d("40"), Some(d("103")), d("0"), d("2")));
        let p = step(&p, Side::Sell, "15", "105", "0.5");
        assert_eq!(summary(&p), (d("25"), Some(d("103")), d("30"), d("2.5")));
        assert_eq!(p.fills, 3);
    }

    #[test]
    fn close_a_long_exactly() {
        let p = step(&start(), Side::Buy, "10", "100", "1.25");
        let p = step(&p, Side::Buy, "5", "106", "0.75");
        assert_eq!(p.avg_px, Some(d("102")));
        let p = step(&p, Side::Sell, "15", "104", "1");
        assert_eq!(summary(&p), (d("0"), None, d("30"), d("3.00")));
        assert!(!p.net_qty.is_sign_negative());
    }

    #[test]
    fn flip_long_to_short_realizes_only_the_closed_part() {
        let p = step(&start(), Side::Buy, "10", "100", "1");
        let p = step(&p, Side::Sell, "15", "110", "2");
        // Closed 10 at +10 each; the remaining 5 open short at 110. Fees are not in realized.
        assert_eq!(summary(&p), (d("-5"), Some(d("110")), d("100"), d("3")));
    }

    #[test]
    fn flip_short_to_long_and_a_losing_short_cover() {
        let p = step(&start(), Side::Sell, "4", "50", "0");
        let p = step(&p, Side::Sell, "4", "52", "0");
        assert_eq!(summary(&p), (d("-8"), Some(d("51")), d("0"), d("0")));
        let p = step(&p, Side::Buy, "2", "53", "0");
        assert_eq!(summary(&p), (d("-6"), Some(d("51")), d("-4"), d("0")));
        let p = step(&p, Side::Buy, "10", "45", "0.1");
        // Covered 6 at +6 each (realized -4 + 36 = 32); 4 open long at 45.
        assert_eq!(summary(&p), (d("4"), Some(d("45")), d("32"), d("0.1")));
    }

    #[test]
    fn overflow_and_corrupt_state_return_none() {
        let p = step(&start(), Side::Buy, "2", "1", "0");
        assert_eq!(p.with_fill(Side::Buy, Decimal::MAX, Decimal::MAX, d("0")), None);
        let mut corrupt = p.clone();
        corrupt.avg_px = None;
        assert_eq!(corrupt.with_fill(Side::Sell, d("1"), d("1"), d("0")), None);
        assert_eq!(corrupt.with_fill(Side::Buy, d("1"), d("1"), d("0")), None);
    }

    #[test]
    fn positions_serialize_as_an_ordered_list_and_refuse_duplicate_keys() {
        let mut positions = Positions::new();
        for (strategy, symbol) in [("b", "X"), ("a", "Y"), ("a", "X")] {
            let key = PositionKey { strategy: strategy.into(), symbol: symbol.into() };
            positions.insert(Position::flat(&key).with_fill(Side::Buy, d("1"), d("2"), d("0")).unwrap());
        }
        let json = serde_json::to_value(&positions).unwrap();
        let keys: Vec<_> =
            json.as_array().unwrap().iter().map(|p| (p["strategy"].clone(), p["symbol"].clone())).collect();
        assert_eq!(keys, [("a".into(), "X".into()), ("a".into(), "Y".into()), ("b".into(), "X".into())]);
        for (strategy, symbol) in [("b", "X"), ("a", "Y"), ("a", "X")] {
            let found = positions.get(strategy, symbol).unwrap();
            assert_eq!((found.strategy.as_str(), found.symbol.as_str()), (strategy, symbol));
        }
        // Found by both parts, never by their concatenation.
        assert!(
            positions.get("b", "Y").is_none() && positions.get("aX", "").is_none() && positions.get("", "aX").is_none()
        );
        assert_eq!(serde_json::from_value::<Positions>(json.clone()).unwrap(), positions);
        let bytes = bincode::serde::encode_to_vec(&positions, bincode::config::standard()).unwrap();
        let (back, _): (Positions, usize) =
            bincode::serde::decode_from_slice(&bytes, bincode::config::standard()).unwrap();
        assert_eq!(back, positions);
        let mut dup = json.as_array().unwrap().clone();
        dup.push(dup[0].clone());
        assert!(serde_json::from_value::<Positions>(serde_json::Value::Array(dup)).is_err());
    }
}
