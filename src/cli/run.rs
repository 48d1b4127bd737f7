//! `blotter run SCENARIO.toml`: runs a scenario against the paper venue and prints the
//! summary. A bad scenario is refused (exit 2) before anything is written. On an existing
//! journal of the same scenario, an interrupted run is resumed (and ends exactly as an
//! uninterrupted run would) and a finished one is left alone; a journal of another scenario
//! is refused.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use super::JournalArg;
use super::out::{errln, outln};
use crate::journal::{Journal, OpenOptions};
use crate::render::rfc3339;
use crate::replay::{Replayed, checkpoint};
use crate::runner::control::ControlSocket;
use crate::runner::{
    AfterDurable, Opened, RunOptions, RunOutcome, RunSummary, genesis, on_the_runtime, open_or_create, run_scenario,
    snapshot,
};
use crate::scenario::{self, Scenario};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenario file (TOML). Relative paths inside it resolve from its folder.
    scenario: PathBuf,
    #[command(flatten)]
    journal: JournalArg,
    /// Tokio worker threads, 1 to 1024 (the journal is the same for any count).
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u16).range(1..=MAX_WORKERS))]
    workers: u16,
    /// Records between two simulation snapshots (a resumed run re-simulates from the newest);
    /// 0: none.
    #[arg(long, default_value_t = snapshot::DEFAULT_EVERY)]
    snapshot_every: u64,
    /// Wall-clock milliseconds to wait before each input, at most 60,000 (paces a simulation
    /// so an operator can act on it with `blotter halt`/`resume`); the journal is the same for
    /// any pace.
    #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=MAX_PACE_MS))]
    pace_ms: u64,
}

/// `--workers` at most: a thread each (with its stack), so a mistyped count is refused rather
/// than exhausting the process's memory (100,000 workers panicked the runtime, which had
/// already created the journal).
const MAX_WORKERS: i64 = 1024;

/// `--pace-ms` at most: a minute an input is time enough to act between two; a larger pace
/// is a typo that would leave the run waiting for years.
const MAX_PACE_MS: u64 = 60_000;

/// How [`execute`] carries out a run (none of it reaches the journal).
pub struct Execution {
    pub workers: usize,
    pub after_durable: AfterDurable,
    pub snapshot_every: u64,
    pub pace: Option<Duration>,
}

impl Default for Execution {
    fn default() -> Self {
        Execution { workers: 2, after_durable: None, snapshot_every: snapshot::DEFAULT_EVERY, pace: None }
    }
}

/// Test support: SIGKILL this process once this seq is durable (the crash sweep).
const KILL_AT_SEQ: &str = "BLOTTER_TEST_KILL_AT_SEQ";

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let scenario = scenario::load(&args.scenario)?;
    let dir = &args.journal.journal;
    let opened = open_or_create(&scenario, dir, &genesis(&scenario), &OpenOptions::default())
        .with_context(|| format!("cannot run {} into {}", args.scenario.display(), dir.display()))?;
    let journal = match opened {
        Opened::New(journal) => journal,
        Opened::Interrupted(journal) => {
            outln!("resuming:     {} at seq {}", dir.display(), journal.head().seq)?;
            journal
        }
        Opened::Finished(journal) => {
            let head = journal.head();
            outln!(
                "finished:     {} already holds the whole run of {:?}; nothing to do",
                dir.display(),
                scenario.name
            )?;
            outln!("head:         seq {}, {}", head.seq, head.hash)?;
            return Ok(ExitCode::SUCCESS);
        }
    };
    let late = scenario.orders_after_the_last_bar();
    if late > 0 {
        let orders = if late == 1 { "order comes" } else { "orders come" };
        errln!(
            "warning: {late} {orders} after the last bar ({}); the paper venue trades them against its close",
            rfc3339(scenario.last_bar_ns)
        );
    }
    let execution = Execution {
        workers: usize::from(args.workers),
        after_durable: kill_hook()?,
        snapshot_every: args.snapshot_every,
        pace: (args.pace_ms > 0).then(|| Duration::from_millis(args.pace_ms)),
    };
    let outcome = execute(&scenario, journal, execution)?;
    let summary = RunSummary::of(&scenario.name, &outcome.state, &outcome.head);
    if outcome.resumed_from.is_some() {
        match outcome.snapshot_seq {
            Some(seq) => outln!("resumed:      re-simulated from the snapshot at seq {seq}")?,
            None => outln!("resumed:      re-simulated from the start")?,
        }
    }
    outln!("journal:      {}", dir.display())?;
    let mut text = Vec::new();
    summary.write_text(&mut text, Some(outcome.elapsed))?;
    super::out::write(&text)?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `scenario` into `journal` with a progress bar (on a terminal only) and the control
/// socket in the journal's folder (operators reach the run through it), then checkpoints the
/// views so `blotter replay` opens fast.
pub fn execute(scenario: &Scenario, journal: Journal, execution: Execution) -> anyhow::Result<RunOutcome> {
    let Execution { workers, after_durable, snapshot_every, pace } = execution;
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(workers.max(1)).enable_all().build()?;
    let progress = progress_bar(scenario.bar_count);
    let dir = journal.dir().to_owned();
    let outcome = runtime
        .block_on(async {
            let (socket, calls) = ControlSocket::bind(&dir)
                .with_context(|| format!("cannot serve the control socket in {}", dir.display()))?;
            let options = RunOptions { snapshot_every, stop_at_seq: None, after_durable, control: Some(calls), pace };
            let (scenario, progress) = (scenario.clone(), progress.clone());
            let on_bar = move |bars| progress.set_position(bars);
            let outcome = on_the_runtime(async move { run_scenario(&scenario, journal, on_bar, options).await }).await;
            drop(socket);
            anyhow::Ok(outcome?)
        })
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

fn kill_hook() -> anyhow::Result<AfterDurable> {
    let Ok(value) = std::env::var(KILL_AT_SEQ) else { return Ok(None) };
    let seq: u64 = value.parse().with_context(|| format!("{KILL_AT_SEQ}={value} is not a seq"))?;
    let kill: Box<dyn FnOnce() + Send> = Box::new(|| {
        let _ = std::process::Command::new("kill").args(["-9", &std::process::id().to_string()]).status();
    });
    Ok(Some((seq, kill)))
}
