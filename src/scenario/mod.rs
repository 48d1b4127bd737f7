//! Scenario files (TOML): what `blotter run` simulates. [`load`] checks everything up front
//! (every field, every entry against the others, and one full pass over the market data), so
//! a scenario either runs whole or is refused before anything runs.
//!
//! ```toml
//! name = "6E limit and market orders"
//! seed = 7
//! [market]
//! bars = "market/6EH4_2024-01-02.csv"   # relative to the scenario file's folder
//! symbol = "6EH4"
//! day_end_utc = "22:00:00"              # when DAY orders end; default "00:00:00"
//! [broker]                              # optional, as is each field (PaperConfig defaults)
//! latency_ms = 20                       # at most 86400000 (a day)
//! slippage_bps = 1.0                    # >= 0
//! commission_bps = 0.5                  # >= 0
//! limit_fill_probability = 0.9          # 0..=1
//! max_bar_participation = 0.1           # 0 < p <= 1
//! venue = "PAPER"                       # default "PAPER"
//! [engine]                              # optional, as is each field (EngineConfig defaults)
//! stale_grace_ms = 5000                 # at most 86400000 (a day)
//! max_order_qty = "1000"                # > 0
//! recon_max_missing_positions = 3
//! recon_max_qty_drift_pct = "5"         # >= 0
//! [[orders]]
//! at = "2024-01-02T14:30:00Z"           # RFC 3339
//! id = "o-1"                            # unique in the file
//! strategy = "mr"
//! side = "buy"                          # buy | sell
//! type = "limit"                        # market | limit
//! qty = "10"                            # > 0
//! limit_price = "1.0950"                # limit orders only, > 0
//! tif = "gtd"                           # day | gtc | ioc | fok | gtd; default gtc
//! expire_at = "2024-01-02T16:00:00Z"    # gtd only, and required for it
//! ttl_s = 600                           # optional, > 0, at most ten years
//! decision_price = "1.0948"             # optional, > 0
//! [[cancels]]
//! at = "2024-01-02T14:45:00Z"           # not before the order's at
//! id = "o-1"                            # an order of this file
//! [[operator]]
//! at = "2024-01-02T15:00:00Z"
//! action = "halt"                       # halt | resume | kill_switch | kill_switch_flatten | reconcile
//! reason = "news"
//! operator = "ops"                      # default "scenario"
//! ```
//!
//! Decimals are strings (exact) or TOML numbers; a float is read through its shortest text
//! form (`0.9` is exactly 0.9). Unknown fields are errors everywhere. Orders and cancels
//! outside the market data's time range are allowed, and so is a gtd `expire_at` at or
//! before the order's `at`. Before the first bar there is no market: the paper venue
//! rejects a market order and rests a limit. After the last bar the venue keeps that bar's
//! close as its reference and what is left of its volume budget, so a market order still
//! fills there, at a stale price: `blotter run` warns of orders after the last bar
//! ([`Scenario::orders_after_the_last_bar`]).
//!
//! Ids, strategies, the symbol, the venue and operators are names
//! ([`check_identifier`](crate::domain::check_identifier): not blank, no surrounding
//! whitespace, no control characters, at most 128 bytes); the scenario's name and reasons are
//! free text (no control characters).

mod config;
mod context;
mod data;
mod drift;
mod error;
mod file;
mod inputs;
mod number;
mod order;

#[cfg(test)]
mod tests;

use std::path::{Path, PathBuf};

use crate::broker::Timed;
use crate::broker::paper::{PaperConfig, VenueDrift};
use crate::domain::{MAX_FREE_TEXT_BYTES, check_free_text};
use crate::event::{EngineConfig, Event};
use crate::market::{self, BarReader, MarketDataError};

use context::Context;
pub use error::ScenarioError;
pub use inputs::DEFAULT_OPERATOR;

/// A checked scenario, ready to run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scenario {
    /// The scenario file, as given to [`load`].
    pub path: PathBuf,
    pub name: String,
    pub seed: u64,
    /// BLAKE3 (hex) over the scenario file's bytes followed by the market data file's bytes.
    pub digest: String,
    /// The market data file (relative paths resolved from the scenario file's folder).
    pub bars: PathBuf,
    pub symbol: String,
    pub bar_count: u64,
    pub first_bar_ns: i64,
    pub last_bar_ns: i64,
    pub broker: PaperConfig,
    pub engine: EngineConfig,
    /// Submits, cancels and operator commands, sorted by time (ties: orders, then cancels,
    /// then operator commands, each in file order).
    pub inputs: Vec<Timed<Event>>,
    /// Drift to inject into the paper venue's books (`[[venue_drift]]`), in file order.
    pub venue_drift: Vec<Timed<VenueDrift>>,
}

impl Scenario {
    /// Streams the scenario's bars again (checked as on load).
    pub fn read_bars(&self) -> Result<BarReader, MarketDataError> {
        market::read_bars(&self.bars, &self.symbol)
    }

    /// Orders submitted after the last bar: the paper venue trades them against that bar's
    /// close, however long ago it was (see the module docs).
    pub fn orders_after_the_last_bar(&self) -> usize {
        let late = |input: &&Timed<Event>| input.at_ns > self.last_bar_ns;
        self.inputs.iter().filter(late).filter(|input| matches!(input.item, Event::SubmitOrder(_))).count()
    }
}

/// The largest scenario file read, in bytes: a scenario of a hundred thousand orders is
/// ~15 MiB; past the bound, `blotter run /dev/zero` would read until memory ran out.
pub const MAX_SCENARIO_BYTES: u64 = 64 << 20;

/// The file at `path`, unless it is larger than [`MAX_SCENARIO_BYTES`].
fn read_bounded(path: &Path) -> std::io::Result<Vec<u8>> {
    use std::io::Read;
    let mut bytes = Vec::new();
    std::fs::File::open(path)?.take(MAX_SCENARIO_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_SCENARIO_BYTES {
        let message = format!("larger than {MAX_SCENARIO_BYTES} bytes: is it a scenario?");
        return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, message));
    }
    Ok(bytes)
}

/// Reads and checks the scenario at `path` and its market data. See the module docs.
pub fn load(path: &Path) -> Result<Scenario, ScenarioError> {
    let bytes = read_bounded(path).map_err(|source| ScenarioError::Read { path: path.to_owned(), source })?;
    let syntax = |message: String| ScenarioError::Syntax { path: path.to_owned(), message };
    let text = std::str::from_utf8(&bytes).map_err(|e| syntax(format!("not UTF-8 text: {e}")))?;
    let file: file::ScenarioFile = toml::from_str(text).map_err(|e| syntax(e.to_string().trim_end().to_owned()))?;
    let context = Context { path, text };
    if let Err(problem) = check_free_text(&file.name, MAX_FREE_TEXT_BYTES) {
        return Err(context.invalid(None, "name", problem.to_string()));
    }
    let (symbol, day_end_utc_s) = config::market(&context, &file.market)?;
    let broker = config::broker(&context, file.broker.as_ref(), file.seed)?;
    let engine = config::engine(&context, file.engine.as_ref(), &broker.venue, day_end_utc_s)?;
    let inputs = inputs::inputs(&context, &file, &symbol)?;
    let venue_drift = drift::drifts(&context, &file, &symbol)?;
    let bars = path.parent().unwrap_or(Path::new("")).join(&file.market.get_ref().bars);
    let market_error = |source| ScenarioError::Market { path: path.to_owned(), source };
    let summary = data::summarize(&bars, &symbol).map_err(market_error)?;
    let digest = data::digest(&bytes, &bars).map_err(market_error)?;
    Ok(Scenario {
        path: path.to_owned(),
        name: file.name,
        seed: file.seed,
        digest,
        bars,
        symbol,
        bar_count: summary.count,
        first_bar_ns: summary.first_ns,
        last_bar_ns: summary.last_ns,
        broker,
        engine,
        inputs,
        venue_drift,
    })
}
