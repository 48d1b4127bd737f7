//! The `[market]`, `[broker]` and `[engine]` tables, checked and converted.

use chrono::{NaiveTime, Timelike};
use toml::Spanned;

use super::ScenarioError;
use super::context::Context;
use super::file::{BrokerTable, EngineTable, MarketTable};
use super::number::{Number, Rule};
use crate::broker::paper::PaperConfig;
use crate::domain::identifier;
use crate::event::EngineConfig;

/// The `[market]` symbol and the DAY order end (seconds after midnight UTC, default 0).
pub(super) fn market(context: &Context, table: &Spanned<MarketTable>) -> Result<(String, u32), ScenarioError> {
    let invalid = |problem: String| context.invalid(Some(table.span()), "[market]", problem);
    let market = table.get_ref();
    identifier("symbol", &market.symbol).map_err(invalid)?;
    if market.bars.trim().is_empty() {
        return Err(invalid("bars must name the market data file".into()));
    }
    let day_end = match &market.day_end_utc {
        None => 0,
        Some(text) => NaiveTime::parse_from_str(text, "%H:%M:%S")
            .map_err(|_| invalid(format!("day_end_utc {text:?} is not a time of day HH:MM:SS")))?
            .num_seconds_from_midnight(),
    };
    Ok((market.symbol.clone(), day_end))
}

/// The longest latency or grace a scenario may set, in ms (a day): anything longer is a
/// typo, and would push engine time to its end (year 2262) rather than simulate anything.
const MAX_DELAY_MS: u64 = 86_400_000;

/// `value` of `field` if it is at most [`MAX_DELAY_MS`].
fn delay(field: &str, value: Option<u64>, default: u64) -> Result<u64, String> {
    match value {
        Some(ms) if ms > MAX_DELAY_MS => Err(format!("{field} must be at most {MAX_DELAY_MS} (a day), got {ms}")),
        Some(ms) => Ok(ms),
        None => Ok(default),
    }
}

/// The paper venue's settings; unset fields keep [`PaperConfig::default`].
pub(super) fn broker(
    context: &Context,
    table: Option<&Spanned<BrokerTable>>,
    seed: u64,
) -> Result<PaperConfig, ScenarioError> {
    let default = PaperConfig { seed, ..PaperConfig::default() };
    let Some(table) = table else { return Ok(default) };
    let invalid = |problem: String| context.invalid(Some(table.span()), "[broker]", problem);
    let broker = table.get_ref();
    let value = |field, number: &Option<Number>, rule, default| match number {
        Some(number) => number.checked(field, rule).map_err(invalid),
        None => Ok(default),
    };
    let venue = broker.venue.clone().unwrap_or(default.venue);
    identifier("venue", &venue).map_err(invalid)?;
    Ok(PaperConfig {
        latency_ms: delay("latency_ms", broker.latency_ms, default.latency_ms).map_err(invalid)?,
        slippage_bps: value("slippage_bps", &broker.slippage_bps, Rule::NotNegative, default.slippage_bps)?,
        commission_bps: value("commission_bps", &broker.commission_bps, Rule::NotNegative, default.commission_bps)?,
        limit_fill_probability: value(
            "limit_fill_probability",
            &broker.limit_fill_probability,
            Rule::Probability,
            default.limit_fill_probability,
        )?,
        max_bar_participation: value(
            "max_bar_participation",
            &broker.max_bar_participation,
            Rule::Fraction,
            default.max_bar_participation,
        )?,
        venue,
        seed,
    })
}

/// The engine's settings; unset fields keep [`EngineConfig::default`].
pub(super) fn engine(
    context: &Context,
    table: Option<&Spanned<EngineTable>>,
    venue: &str,
    day_end_utc_s: u32,
) -> Result<EngineConfig, ScenarioError> {
    let default = EngineConfig { venue: venue.to_owned(), day_end_utc_s, ..EngineConfig::default() };
    let Some(table) = table else { return Ok(default) };
    let invalid = |problem: String| context.invalid(Some(table.span()), "[engine]", problem);
    let engine = table.get_ref();
    let max_order_qty =
        engine.max_order_qty.as_ref().map(|qty| qty.checked("max_order_qty", Rule::Positive)).transpose();
    let drift =
        engine.recon_max_qty_drift_pct.as_ref().map(|pct| pct.checked("recon_max_qty_drift_pct", Rule::NotNegative));
    Ok(EngineConfig {
        stale_grace_ms: delay("stale_grace_ms", engine.stale_grace_ms, default.stale_grace_ms).map_err(invalid)?,
        max_order_qty: max_order_qty.map_err(invalid)?,
        recon_max_missing_positions: engine.recon_max_missing_positions.unwrap_or(default.recon_max_missing_positions),
        recon_max_qty_drift_pct: drift.transpose().map_err(invalid)?.unwrap_or(default.recon_max_qty_drift_pct),
        ..default
    })
}
