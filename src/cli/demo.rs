//! `blotter demo`: runs the default scenario (6E limit and market orders over real CME bars)
//! into `./journal`, verifies it, re-runs it for determinism and shows the views. A journal
//! the demo made earlier is replaced; any other journal in the directory is refused, never
//! overwritten.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};

use super::JournalArg;
use super::out::outln;
use crate::engine::rerun;
use crate::journal::{Journal, Layout, OpenOptions};
use crate::render::views::{Selection, View, write_table};
use crate::replay::{Until, replay_from_snapshot};
use crate::runner::{RunSummary, genesis};
use crate::scenario;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
}

const ORIGIN: &str = "demo";
/// The default scenario, in the repository's fixtures.
const SCENARIO: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/6e_limit_and_market.toml");

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    let scenario = scenario::load(Path::new(SCENARIO))?;
    replace_previous_demo(dir)?;
    let genesis = genesis(&scenario).with_metadata("origin", ORIGIN);
    let journal = Journal::create(dir, &genesis, &OpenOptions::default())
        .with_context(|| format!("cannot create journal {}", dir.display()))?;
    let outcome = super::run::execute(&scenario, journal, super::run::Execution::default())?;
    let summary = RunSummary::of(&scenario.name, &outcome.state, &outcome.head);
    let journal = outcome.journal;
    let verified = journal.verify()?;
    let (rerun_events, rerun_head) = rerun(&journal).context("re-running the demo journal")?;
    let replayed = replay_from_snapshot(&journal, Until::Head)?;
    let mut text = Vec::new();
    summary.write_text(&mut text, Some(outcome.elapsed))?;
    text.push(b'\n');
    write_table(&mut text, &replayed, Selection::One(View::Oms))?;
    text.push(b'\n');
    super::out::write(&text)?;
    outln!("journal:       {}", dir.display())?;
    outln!("ok: {} events, head {}", verified.events, verified.head.hash)?;
    outln!("deterministic: {rerun_events} events, head {}", rerun_head.hash)?;
    outln!("next: blotter replay --view positions | blotter audit o-1 | blotter verify --rerun | blotter export")?;
    Ok(ExitCode::SUCCESS)
}

fn replace_previous_demo(dir: &Path) -> anyhow::Result<()> {
    let layout = Layout::new(dir);
    if !layout.exists() {
        return Ok(());
    }
    let origin = {
        let journal = Journal::open(dir, &OpenOptions::tail_checked())
            .with_context(|| format!("a journal exists at {} and cannot be opened", dir.display()))?;
        journal.genesis().metadata.get("origin").cloned()
    };
    if origin.as_deref() != Some(ORIGIN) {
        bail!("{} holds a journal the demo did not make; use another --journal", dir.display());
    }
    for path in [layout.store(), layout.snapshots(), layout.witness(), layout.lock_file()] {
        if !path.exists() {
            continue;
        }
        if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) }
            .with_context(|| format!("removing the previous demo journal at {}", path.display()))?;
    }
    Ok(())
}
