//! `blotter audit ID`: the timeline of one order or stream with the order's state after every
//! event. Rendering lives in [`crate::render::audit`]; this file parses, opens and prints.

use std::process::ExitCode;

use anyhow::bail;

use super::replay::{Format, ReadArgs, open, print, replay_failed};
use crate::render::audit::{self, stream_of};

#[derive(Debug, clap::Args)]
pub struct Args {
    /// A client order id (`o-1`) or a stream name as journaled (`order:o-1`,
    /// `broker-order:B7`); an id containing `:` is a stream name.
    #[arg(value_parser = clap::builder::NonEmptyStringValueParser::new())]
    id: String,
    #[command(flatten)]
    read: ReadArgs,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.read.journal.journal;
    let journal = open(dir)?;
    let timeline = match audit::timeline(&journal, &args.id) {
        Ok(Some(timeline)) => timeline,
        Ok(None) => bail!(
            "unknown id {:?}: no events in stream {} (journal {:?}, as of seq {})",
            args.id,
            stream_of(&args.id),
            dir.display().to_string(),
            journal.head().seq
        ),
        Err(error) => return replay_failed(error, dir),
    };
    drop(journal);
    print(|out| match args.read.format {
        Format::Table => audit::write_table(out, &timeline),
        Format::Json => audit::write_json(out, &timeline),
    })
}
