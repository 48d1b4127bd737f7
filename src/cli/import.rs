//! `blotter import FILE --journal DIR`: rebuilds a journal from an export (see
//! [`crate::interchange::import`]). DIR must not exist; nothing is written unless every
//! line checks out. Prints `ok: <N> events, head <hash>` like `verify`, so the head can be
//! compared with the source's. Exit 1 when the file is not a valid export (the message
//! names the line), 2 for usage and I/O errors (an existing DIR, an unreadable FILE).

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use super::JournalArg;
use super::out::{errln, outln};
use crate::interchange;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The NDJSON export to read.
    file: PathBuf,
    /// The new journal (must not exist).
    #[command(flatten)]
    journal: JournalArg,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    let context = || format!("cannot import {} into {}", args.file.display(), dir.display());
    match interchange::import_file(&args.file, dir) {
        Ok(summary) => {
            outln!("ok: {} events, head {}", summary.records, summary.head.hash)?;
            Ok(ExitCode::SUCCESS)
        }
        Err(error) if error.is_invalid_input() => {
            let error = anyhow::Error::new(error).context(context());
            errln!("error: {}", super::describe(&error));
            Ok(ExitCode::from(1))
        }
        Err(error) => Err(error).with_context(context),
    }
}
