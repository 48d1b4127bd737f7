//! `blotter export`: the journal as NDJSON on stdout (see [`crate::interchange`]). The first
//! line is the genesis header, then one line per record. A closed pipe (`| head`) ends the
//! export quietly with exit 0; a record that is not an event is corruption (exit 1).

use std::io::{BufWriter, Write};
use std::process::ExitCode;

use anyhow::Context;

use super::JournalArg;
use crate::interchange::{self, ExportError};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
    /// First seq to export (the genesis header is always written). A partial export cannot
    /// be imported.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
    from_seq: u64,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    // The tail check at open; the export itself verifies every block it reads.
    let journal = super::replay::open(dir)?;
    let mut out = BufWriter::with_capacity(1 << 16, std::io::stdout().lock());
    let result =
        interchange::export(&journal, args.from_seq, &mut out).and_then(|_| out.flush().map_err(ExportError::Output));
    match result {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) if error.is_broken_pipe() => Ok(ExitCode::SUCCESS),
        Err(error) => Err(error).with_context(|| format!("cannot export journal {}", dir.display())),
    }
}
