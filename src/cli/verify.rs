//! `blotter verify`: a full scan. Last line on success: `ok: <N> events, head <hash>`.
//! `--rerun` also re-runs the journaled inputs through a fresh engine and compares every
//! record: `deterministic: <N> events, head <hash>`, or the first divergence and exit 1.

use std::process::ExitCode;

use anyhow::Context;

use super::JournalArg;
use super::out::outln;
use crate::engine::{RerunError, rerun};
use crate::journal::{Journal, OpenOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
    /// Re-run the journaled inputs through a fresh engine in memory and compare every record
    /// it produces with the journal, byte for byte.
    #[arg(long)]
    rerun: bool,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    // Open with the cheap tail check, then scan everything once (verify() is the full scan).
    let journal = Journal::open(dir, &OpenOptions::tail_checked())
        .with_context(|| format!("cannot verify journal {}", dir.display()))?;
    let report = journal.verify().with_context(|| format!("journal {} failed verification", dir.display()))?;
    outln!("ok: {} events, head {}", report.events, report.head.hash)?;
    if !args.rerun {
        return Ok(ExitCode::SUCCESS);
    }
    let journal = super::events_journal(journal)?;
    match rerun(&journal) {
        Ok((events, head)) => {
            outln!("deterministic: {events} events, head {}", head.hash)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(RerunError::Diverged(d)) => {
            outln!("diverged at seq {}", d.seq)?;
            outln!("  expected: {}", d.expected)?;
            outln!("  actual:   {}", d.actual)?;
            Ok(ExitCode::from(1))
        }
        Err(RerunError::Journal(error)) => {
            Err(error).with_context(|| format!("cannot re-run journal {}", dir.display()))
        }
    }
}
