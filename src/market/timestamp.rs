//! Timestamps in market data files, as ns since the Unix epoch (UTC).

use chrono::{DateTime, NaiveDateTime, SecondsFormat};

/// The times engine time can hold (i64 ns since the Unix epoch), as messages say it.
pub const TIME_RANGE: &str = "between 1677-09-21 and 2262-04-11";

/// Parses RFC 3339 (`2024-01-02T14:30:00Z`, `2024-01-02 14:30:00+00:00`) or a zone-less
/// `YYYY-MM-DD HH:MM:SS[.f]` (space or `T`), taken as UTC. `None` if it is neither or falls
/// outside the range of i64 ns (years 1677 to 2262).
pub fn parse_timestamp(text: &str) -> Option<i64> {
    let utc = match DateTime::parse_from_rfc3339(text) {
        Ok(at) => at.to_utc(),
        Err(_) => naive(text)?.and_utc(),
    };
    utc.timestamp_nanos_opt()
}

fn naive(text: &str) -> Option<NaiveDateTime> {
    ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"]
        .iter()
        .find_map(|format| NaiveDateTime::parse_from_str(text, format).ok())
}

/// `ns` as RFC 3339 UTC, for messages.
pub(super) fn format_ns(ns: i64) -> String {
    DateTime::from_timestamp_nanos(ns).to_rfc3339_opts(SecondsFormat::AutoSi, true)
}
