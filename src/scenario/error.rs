//! What can be wrong with a scenario. Every error names the scenario file, and the line and
//! field where it can.

use std::io;
use std::path::{Path, PathBuf};

use crate::market::MarketDataError;

/// A scenario is refused: nothing of it runs.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    #[error("cannot read scenario {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// Not TOML, or not the scenario's shape (unknown or missing field, wrong type); the
    /// message is toml's, with line and column.
    #[error("{path}: {message}")]
    Syntax { path: PathBuf, message: String },
    /// A value is wrong: `what` names the field or entry (`orders[2] (id "o-3")`).
    #[error("{}: {what}: {problem}", place(path, *line))]
    Invalid { path: PathBuf, line: Option<u64>, what: String, problem: String },
    /// The market data file is missing or malformed.
    #[error("{path}: {source}")]
    Market {
        path: PathBuf,
        #[source]
        source: MarketDataError,
    },
}

/// `file:line`, or `file` without a line.
fn place(path: &Path, line: Option<u64>) -> String {
    match line {
        Some(line) => format!("{}:{line}", path.display()),
        None => path.display().to_string(),
    }
}
