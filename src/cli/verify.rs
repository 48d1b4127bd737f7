//! `blotter verify`: a full scan. Last line on success: `ok: <N> events, head <hash>`.

use std::process::ExitCode;

use anyhow::Context;

use super::JournalArg;
use crate::journal::{Journal, OpenCheck, OpenOptions};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    // Open with the cheap tail check, then scan everything once (verify() is the full scan).
    let journal = Journal::open(dir, &OpenOptions { check: OpenCheck::Tail, ..Default::default() })
        .with_context(|| format!("cannot verify journal {}", dir.display()))?;
    let report = journal.verify().with_context(|| format!("journal {} failed verification", dir.display()))?;
    println!("ok: {} events, head {}", report.events, report.head.hash);
    Ok(ExitCode::SUCCESS)
}
