//! A scenario file turned into a run: the plan, the venue, the journal's genesis.

use std::path::{Path, PathBuf};

use crate::broker::paper::{PaperConfig, PaperVenue};
use crate::event::{Event, SessionStarted};
use crate::journal::{Genesis, Journal, JournalError, Layout, OpenCheck, OpenOptions};
use crate::market::BarReader;
use crate::scenario::Scenario;

use super::{RunOptions, RunOutcome, RunPlan, RunnerError, run};

/// The genesis of a scenario's journal: its seed, name and digest (so a journal can be
/// matched to the scenario that made it).
pub fn genesis(scenario: &Scenario) -> Genesis {
    Genesis::new(Some(scenario.seed))
        .with_metadata("origin", "run")
        .with_metadata("scenario", scenario.name.as_str())
        .with_metadata("scenario_digest", scenario.digest.as_str())
}

/// The session, bars and commands of `scenario`. Runs from its first bar or command to its
/// last, plus two venue latencies so in-flight reports arrive.
pub fn plan(scenario: &Scenario) -> Result<RunPlan<BarReader>, RunnerError> {
    let first_command = scenario.inputs.first().map(|c| c.at_ns);
    let last_command = scenario.inputs.last().map(|c| c.at_ns);
    let start_ns = first_command.map_or(scenario.first_bar_ns, |at| at.min(scenario.first_bar_ns));
    let last_ns = last_command.map_or(scenario.last_bar_ns, |at| at.max(scenario.last_bar_ns));
    let settle_ns = i64::try_from(scenario.broker.latency_ms).unwrap_or(i64::MAX / 4).saturating_mul(2_000_000);
    let session = SessionStarted {
        name: scenario.name.clone(),
        scenario_digest: scenario.digest.clone(),
        config: scenario.engine.clone(),
        venue_settings: venue_settings(&scenario.broker),
    };
    let bars = scenario.read_bars().map_err(|e| super::SimError::MarketData(Box::new(e)))?;
    Ok(RunPlan {
        session,
        start_ns,
        end_ns: last_ns.saturating_add(settle_ns),
        bars,
        commands: scenario.inputs.clone(),
    })
}

/// The venue's settings as journaled for audit.
fn venue_settings(config: &PaperConfig) -> std::collections::BTreeMap<String, String> {
    [
        ("venue", config.venue.clone()),
        ("latency_ms", config.latency_ms.to_string()),
        ("slippage_bps", config.slippage_bps.to_string()),
        ("commission_bps", config.commission_bps.to_string()),
        ("limit_fill_probability", config.limit_fill_probability.to_string()),
        ("max_bar_participation", config.max_bar_participation.to_string()),
        ("seed", config.seed.to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// The journal a scenario runs into.
pub enum Opened {
    /// Created now.
    New(Journal),
    /// A run of this scenario that did not finish: resume it.
    Interrupted(Journal),
    /// A finished run of this scenario (it ends with `SessionEnded`): nothing to do.
    Finished(Journal),
}

/// Why a scenario cannot run into an existing journal.
#[derive(Debug, thiserror::Error)]
pub enum ResumeError {
    #[error(transparent)]
    Journal(#[from] JournalError),
    #[error(
        "{dir} holds a run of another scenario: {name:?} with digest {digest}, where this scenario file and its \
         market data give {expected} (a changed file or data is another scenario; use another --journal)"
    )]
    DifferentScenario { dir: PathBuf, name: String, digest: String, expected: String },
}

/// Opens the journal in `dir` if it holds a run of `scenario` (matched by digest), else
/// creates it with `genesis`.
pub fn open_or_create(
    scenario: &Scenario,
    dir: &Path,
    genesis: &Genesis,
    options: &OpenOptions,
) -> Result<Opened, ResumeError> {
    if !Layout::new(dir).exists() {
        return Ok(Opened::New(Journal::create(dir, genesis, options)?));
    }
    let journal = Journal::open(dir, &OpenOptions { check: OpenCheck::Tail, ..options.clone() })?;
    let metadata = &journal.genesis().metadata;
    let digest = metadata.get("scenario_digest").cloned().unwrap_or_default();
    if digest != scenario.digest {
        let name = metadata.get("scenario").cloned().unwrap_or_default();
        let (dir, expected) = (dir.to_owned(), scenario.digest.clone());
        return Err(ResumeError::DifferentScenario { dir, name, digest, expected });
    }
    Ok(if ends_with_session_end(&journal)? { Opened::Finished(journal) } else { Opened::Interrupted(journal) })
}

fn ends_with_session_end(journal: &Journal) -> Result<bool, JournalError> {
    let Some(block) = journal.reader().last_block()? else { return Ok(false) };
    let Some(last) = block.records().last() else { return Ok(false) };
    Ok(matches!(last.decode::<Event>()?.payload, Event::SessionEnded(_)))
}

/// Runs `scenario` into `journal` (new, or an interrupted run of it, which is resumed) against
/// the paper venue, on the current tokio runtime.
pub async fn run_scenario(
    scenario: &Scenario,
    journal: Journal,
    on_bar: impl FnMut(u64),
    options: RunOptions,
) -> Result<RunOutcome, RunnerError> {
    let plan = plan(scenario)?;
    let mut venue = PaperVenue::new(scenario.broker.clone());
    for drift in &scenario.venue_drift {
        venue.inject(drift.at_ns, drift.item.clone());
    }
    run(journal, plan, &mut venue, on_bar, options).await
}
