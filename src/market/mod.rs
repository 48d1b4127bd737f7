//! Market data files: OHLCV bars from CSV or gzipped CSV (`.gz`), read as a stream.
//!
//! The header names `timestamp` (or `timestamp_utc`), `open`, `high`, `low`, `close` and
//! `volume`, in any order and any letter case; other columns are ignored. Timestamps are UTC:
//! RFC 3339 (`2024-01-02T14:30:00Z`, any offset) or `YYYY-MM-DD HH:MM:SS[.f]` (optionally
//! with an offset such as `+00:00`). Numbers are read exactly as decimals (`1.10785`, `1e3`).
//!
//! Every row is checked (field count, parsable values, `low <= open, close <= high`,
//! `volume >= 0`, strictly increasing timestamps); the first problem ends the stream with an
//! error naming the file and the 1-based line (the header is line 1).

mod columns;
mod error;
mod reader;
mod row;
mod source;
mod timestamp;

#[cfg(test)]
mod tests;

pub use error::{MarketDataError, Problem};
pub use reader::{BarReader, CsvPosition, MAX_LINE_BYTES, read_bars};
pub use source::{BarSource, SeekError, SourcePosition, encode};
pub use timestamp::{TIME_RANGE, parse_timestamp};
