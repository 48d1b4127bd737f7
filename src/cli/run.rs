//! `blotter run SCENARIO.toml`: runs a scenario against the paper venue into a new journal
//! and prints the summary. A bad scenario is refused (exit 2) before anything is written.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indicatif::{ProgressBar, ProgressStyle};

use super::JournalArg;
use crate::journal::{Genesis, Layout, OpenOptions};
use crate::replay::{Replayed, checkpoint};
use crate::runner::{RunOutcome, RunSummary, genesis, run_scenario};
use crate::scenario::{self, Scenario};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML). Relative paths inside it resolve from its folder.
    scenario: PathBuf,
    #[command(flatten)]
    journal: JournalArg,
    /// Tokio worker threads (the journal is the same for any count).
    #[arg(long, default_value_t = 2)]
    workers: usize,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let scenario = scenario::load(&args.scenario)?;
    let dir = &args.journal.journal;
    if Layout::new(dir).exists() {
        bail!(
            "{} already holds a journal; give a new --journal (resuming an interrupted run is not supported yet)",
            dir.display()
        );
    }
    let outcome = execute(&scenario, dir, &genesis(&scenario), args.workers)?;
    let summary = RunSummary::of(&scenario.name, &outcome.state, &outcome.head);
    println!("journal:      {}", dir.display());
    summary.write_text(&mut std::io::stdout().lock(), Some(outcome.elapsed))?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `scenario` into a new journal at `dir` with a progress bar (on a terminal only),
/// then checkpoints the views so `blotter replay` opens fast.
pub fn execute(scenario: &Scenario, dir: &Path, genesis: &Genesis, workers: usize) -> anyhow::Result<RunOutcome> {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers.max(1)).enable_all().build()?;
    let progress = progress_bar(scenario.bar_count);
    let outcome = runtime
        .block_on(run_scenario(scenario, dir, genesis, &OpenOptions::default(), |bars| progress.set_position(bars)))
        .with_context(|| format!("running {} into {}", scenario.path.display(), dir.display()))?;
    progress.finish_and_clear();
    let replayed = Replayed {
        views: outcome.state.views.clone(),
        at: outcome.head,
        ts_ns: Some(outcome.state.clock_ns),
        from_snapshot: None,
        folded: outcome.head.seq,
        reports: None,
    };
    checkpoint::save(&outcome.journal, &replayed).context("saving a views checkpoint")?;
    Ok(outcome)
}

fn progress_bar(bars: u64) -> ProgressBar {
    if !std::io::stderr().is_terminal() {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(bars);
    if let Ok(style) = ProgressStyle::with_template("{spinner} bars {pos}/{len} {wide_bar} {eta}") {
        bar.set_style(style);
    }
    bar
}
