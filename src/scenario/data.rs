//! The scenario's market data: one validating pass, and the digest of the files.

use std::fs::File;
use std::path::Path;

use crate::market::{MarketDataError, read_bars};

/// What the validating pass learned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct BarsSummary {
    pub count: u64,
    pub first_ns: i64,
    pub last_ns: i64,
}

/// Reads every bar of `path` once (bounded memory); the first malformed row is an error.
pub(super) fn summarize(path: &Path, symbol: &str) -> Result<BarsSummary, MarketDataError> {
    let mut summary = BarsSummary { count: 0, first_ns: 0, last_ns: 0 };
    for bar in read_bars(path, symbol)? {
        let at_ns = bar?.market_ts_ns;
        if summary.count == 0 {
            summary.first_ns = at_ns;
        }
        summary.last_ns = at_ns;
        summary.count += 1;
    }
    Ok(summary)
}

/// BLAKE3 (hex) over the scenario file's bytes followed by the market data file's bytes.
pub(super) fn digest(scenario: &[u8], bars: &Path) -> Result<String, MarketDataError> {
    let open_error = |source| MarketDataError::Open { path: bars.to_owned(), source };
    let mut hasher = blake3::Hasher::new();
    hasher.update(scenario);
    hasher.update_reader(File::open(bars).map_err(open_error)?).map_err(open_error)?;
    Ok(hasher.finalize().to_hex().to_string())
}
