//! What can be wrong with a market data file.

use std::io;
use std::path::PathBuf;

use rust_decimal::Decimal;

use crate::domain::BadDecimal;

/// A market data file cannot be read, or one of its lines is wrong.
#[derive(Debug, thiserror::Error)]
pub enum MarketDataError {
    #[error("cannot read market data {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{path}:{line}: {problem}")]
    Line { path: PathBuf, line: u64, problem: Problem },
}

impl MarketDataError {
    /// The problem on a line, if the error is about one.
    pub fn problem(&self) -> Option<&Problem> {
        match self {
            MarketDataError::Open { .. } => None,
            MarketDataError::Line { problem, .. } => Some(problem),
        }
    }
}

/// What is wrong on one line of a market data file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Problem {
    #[error("the file is empty (no header)")]
    EmptyFile,
    #[error("no bars (the file ends after its header)")]
    NoBars,
    #[error("header has no {0} column")]
    MissingColumn(&'static str),
    #[error("header names the {0} column twice")]
    DuplicateColumn(&'static str),
    #[error("expected {expected} fields as in the header, found {found}")]
    FieldCount { expected: usize, found: usize },
    #[error("{column} is not valid UTF-8")]
    NotUtf8 { column: &'static str },
    #[error("cannot parse timestamp {0:?} (want RFC 3339 or YYYY-MM-DD HH:MM:SS[.f] in UTC, {range})", range = super::TIME_RANGE)]
    BadTimestamp(String),
    #[error("{column} {value:?} {why}")]
    BadNumber { column: &'static str, value: String, why: BadDecimal },
    #[error("low {low} is above high {high}")]
    LowAboveHigh { low: Decimal, high: Decimal },
    #[error("{column} {value} is above high {high}")]
    AboveHigh { column: &'static str, value: Decimal, high: Decimal },
    #[error("{column} {value} is below low {low}")]
    BelowLow { column: &'static str, value: Decimal, low: Decimal },
    #[error("volume {0} is negative")]
    NegativeVolume(Decimal),
    #[error("timestamp {at} is not after the previous bar's {previous}")]
    NotIncreasing { at: String, previous: String },
    #[error("read error: {0}")]
    Read(String),
}
