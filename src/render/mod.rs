//! Rendering the views for people (aligned tables) and programs (JSON): what `blotter replay`
//! and `blotter audit` print. Pure functions of a replay's result, so output is deterministic
//! (the views hold ordered containers) and golden tests call them directly.
//!
//! JSON conventions, for every shape here:
//! - decimals are strings, exactly as folded (`"185.0125"`, never a float);
//! - ids (client/broker order ids, fill ids, event ids) are strings;
//! - an absent value is `null`, never a missing key; keys appear in a fixed order;
//! - enums are their Rust variant names (`"Buy"`, `"PartiallyFilled"`, `"Trade"`);
//! - engine times appear twice: `ts_ns` (integer ns since the Unix epoch, exact in the text
//!   but above 2^53, so JavaScript and jq 1.6 round it) and `time` (RFC 3339, UTC, 9
//!   fractional digits; lossless everywhere);
//! - hashes are 64 lowercase hex digits.
//!
//! Tables show the same values; decimals with more than [`TABLE_DP`] places (computed
//! averages) are rounded for display (never to 0: a tiny value keeps 8 significant digits),
//! absent values are `-`, and hashes in columns are cut to
//! [`SHORT_HASH`] hex digits.
//!
//! - [`table`]: the aligned-table renderer.
//! - [`views`]: `replay`: the OMS, positions and execution reports as of a point.
//! - [`audit`]: `audit`: one stream's timeline with the order's state after every event.

pub mod audit;
pub mod table;
pub mod views;

#[cfg(test)]
mod fixture;

use chrono::{DateTime, SecondsFormat};
use rust_decimal::Decimal;
use serde::Serialize;

use crate::journal::ChainHash;
use crate::replay::Replayed;

/// Decimal places tables show at most (JSON is always exact).
pub const TABLE_DP: u32 = 8;
/// Hex digits of a hash shown in a table column.
pub const SHORT_HASH: usize = 16;

/// The point in the journal a rendering is "as of": the last record folded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Point {
    /// 0 before the first record.
    pub seq: u64,
    /// The chain hash at `seq` (`h(0)`, the genesis hash, at seq 0).
    pub hash: String,
    /// Engine time of the record at `seq`; `null` at seq 0.
    pub ts_ns: Option<i64>,
    /// `ts_ns` as RFC 3339; `null` at seq 0.
    pub time: Option<String>,
}

impl Point {
    pub fn of(replayed: &Replayed) -> Point {
        Point {
            seq: replayed.at.seq,
            hash: replayed.at.hash.to_hex(),
            ts_ns: replayed.ts_ns,
            time: replayed.ts_ns.map(rfc3339),
        }
    }

    /// `as of seq N (hash H, TIME)`, the first line of every table rendering.
    pub fn headline(&self) -> String {
        let time = self.time.as_deref().unwrap_or("before the first event");
        format!("as of seq {} (hash {}, {time})", self.seq, self.hash)
    }
}

/// Engine time (ns since the Unix epoch) as RFC 3339 in UTC with nanoseconds:
/// `2024-01-02T14:30:00.012000000Z`. Every `i64` is representable.
pub fn rfc3339(ts_ns: i64) -> String {
    DateTime::from_timestamp_nanos(ts_ns).to_rfc3339_opts(SecondsFormat::Nanos, true)
}

/// A decimal for a table: as folded, unless it has more than [`TABLE_DP`] places; then rounded
/// (half to even) to at most that many, trailing zeros dropped. A value that would round to
/// zero keeps [`TABLE_DP`] significant digits instead: a table never shows a non-zero
/// quantity, price or PnL as 0.
pub fn table_decimal(value: Decimal) -> String {
    if value.scale() <= TABLE_DP {
        return value.to_string();
    }
    let rounded = value.round_dp(TABLE_DP);
    let shown = if rounded.is_zero() { value.round_sf(TABLE_DP).unwrap_or(rounded) } else { rounded };
    shown.normalize().to_string()
}

/// [`table_decimal`], or `-` when absent.
pub fn table_opt_decimal(value: Option<Decimal>) -> String {
    value.map_or_else(|| "-".to_owned(), table_decimal)
}

/// Any displayable value, or `-` when absent.
pub fn or_dash<T: std::fmt::Display>(value: Option<T>) -> String {
    value.map_or_else(|| "-".to_owned(), |v| v.to_string())
}

/// The first [`SHORT_HASH`] hex digits of a hash.
pub fn short_hash(hash: &ChainHash) -> String {
    let mut hex = hash.to_hex();
    hex.truncate(SHORT_HASH);
    hex
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_rfc3339_utc_with_nanoseconds() {
        assert_eq!(rfc3339(1_704_205_800_012_000_001), "2024-01-02T14:30:00.012000001Z");
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000000000Z");
        assert_eq!(rfc3339(-1), "1969-12-31T23:59:59.999999999Z");
        // The extremes do not panic.
        assert!(rfc3339(i64::MIN).starts_with("1677-"));
        assert!(rfc3339(i64::MAX).starts_with("2262-"));
    }

    #[test]
    fn table_decimals_keep_their_scale_unless_longer_than_the_limit() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(table_decimal(d("185.0000")), "185.0000");
        assert_eq!(table_decimal(d("-0.00001234")), "-0.00001234");
        assert_eq!(table_decimal(d("185.003333333333333333")), "185.00333333");
        assert_eq!(table_decimal(d("2.000000000000000001")), "2");
        assert_eq!(table_decimal(d("-0.0000000001")), "-0.0000000001");
        assert_eq!(table_decimal(d("0.000000000123456789123")), "0.00000000012345679");
        assert_eq!(table_decimal(d("0.0000000000000000000000000003")), "0.0000000000000000000000000003");
        assert_eq!(table_decimal(d("0.000000006")), "0.00000001", "rounded to 8 places unless that is 0");
        assert_eq!(table_opt_decimal(None), "-");
        assert_eq!(or_dash(None::<u64>), "-");
        assert_eq!(or_dash(Some("B7")), "B7");
    }

    #[test]
    fn short_hashes_are_a_hex_prefix() {
        let hash = ChainHash([0xab; 32]);
        assert_eq!(short_hash(&hash), "abababababababab");
    }
}
