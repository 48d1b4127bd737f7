//! `blotter reconcile`: the reconciliation view: every run (at start-up, and whenever an
//! operator asked) with its discrepancies and outcome. Runs happen inside the engine (a
//! scenario's `action = "reconcile"`, or `blotter reconcile --now` on a running engine),
//! because the broker's answer is an input that must be journaled before it is acted on;
//! without `--now` this command shows what they found.

use std::io::Write;
use std::process::ExitCode;

use super::operate::Common;
use super::replay::{Format, ReadArgs, open, print, replay_failed};
use crate::render::table::Table;
use crate::render::{or_dash, rfc3339};
use crate::replay::{Until, replay_from_snapshot};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    read: ReadArgs,
    /// Ask the engine running on the journal to reconcile now (journaled; its outcome shows
    /// here once the run ends).
    #[arg(long)]
    now: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    if args.now {
        return super::operate::reconcile_now(&Common::for_journal(args.read.journal.clone(), args.read.format));
    }
    let dir = &args.read.journal.journal;
    let journal = open(dir)?;
    let replayed = match replay_from_snapshot(&journal, Until::Head) {
        Ok(replayed) => replayed,
        Err(error) => return replay_failed(error, dir),
    };
    drop(journal);
    let runs = replayed.views.reconciliations.runs();
    print(|out| match args.read.format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, runs)?;
            writeln!(out)
        }
        Format::Table => {
            writeln!(out, "reconciliation runs: {}", runs.len())?;
            let mut table = Table::new().right("SEQ").left("TIME").left("OUTCOME").left("KIND").left("SUBJECT");
            table = table.right("LOCAL").right("BROKER");
            for run in runs {
                let head = [run.seq.to_string(), rfc3339(run.ts_ns), format!("{:?}", run.outcome)];
                if run.discrepancies.is_empty() {
                    table.row(head.iter().cloned().chain(["-".into(), "-".into(), "-".into(), "-".into()]).collect());
                }
                for d in &run.discrepancies {
                    let rest =
                        [format!("{:?}", d.kind), d.subject.clone(), or_dash(d.local_qty), or_dash(d.broker_qty)];
                    table.row(head.iter().cloned().chain(rest).collect());
                }
            }
            write!(out, "{table}")
        }
    })
}
