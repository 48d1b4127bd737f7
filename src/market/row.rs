//! One row of a bar file: parsed into a [`MarketBar`] and checked on its own.

use csv::ByteRecord;
use rust_decimal::Decimal;

use super::columns::{Columns, NAMES};
use super::{Problem, parse_timestamp};
use crate::domain::parse_decimal;
use crate::event::MarketBar;

/// Parses and checks one row (ordering against the previous row is the reader's job).
pub(super) fn parse_row(columns: &Columns, record: &ByteRecord, symbol: &str) -> Result<MarketBar, Problem> {
    if record.len() != columns.count {
        return Err(Problem::FieldCount { expected: columns.count, found: record.len() });
    }
    let text = |slot: usize| field(record, columns.index[slot], NAMES[slot]);
    let timestamp = text(0)?;
    let market_ts_ns = parse_timestamp(timestamp).ok_or_else(|| Problem::BadTimestamp(timestamp.to_owned()))?;
    let number = |slot: usize| {
        let value = text(slot)?;
        parse_decimal(value).map_err(|why| Problem::BadNumber { column: NAMES[slot], value: value.to_owned(), why })
    };
    let bar = MarketBar {
        symbol: symbol.into(),
        open: number(1)?,
        high: number(2)?,
        low: number(3)?,
        close: number(4)?,
        volume: number(5)?,
        market_ts_ns,
    };
    check(&bar)?;
    Ok(bar)
}

fn field<'r>(record: &'r ByteRecord, index: usize, column: &'static str) -> Result<&'r str, Problem> {
    let bytes = record.get(index).unwrap_or_default();
    std::str::from_utf8(bytes).map(str::trim).map_err(|_| Problem::NotUtf8 { column })
}

/// `low <= open, close <= high` and `volume >= 0`.
fn check(bar: &MarketBar) -> Result<(), Problem> {
    let (low, high) = (bar.low, bar.high);
    if low > high {
        return Err(Problem::LowAboveHigh { low, high });
    }
    for (column, value) in [("open", bar.open), ("close", bar.close)] {
        if value > high {
            return Err(Problem::AboveHigh { column, value, high });
        }
        if value < low {
            return Err(Problem::BelowLow { column, value, low });
        }
    }
    if bar.volume < Decimal::ZERO {
        return Err(Problem::NegativeVolume(bar.volume));
    }
    Ok(())
}
