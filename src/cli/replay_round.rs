//! `blotter __replay-round`: one measured replay from genesis for `bench replay`, which runs
//! each of its rounds in a fresh process (as cold as a user's replay) and reads the figures
//! this prints as JSON.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::bench::replay::replay_round;

#[derive(Debug, clap::Args)]
pub struct Args {
    #[arg(long)]
    journal: PathBuf,
    /// Events the journal must hold.
    #[arg(long)]
    events: u64,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let figures = replay_round(&args.journal, args.events)?;
    super::out::write(format!("{}\n", serde_json::to_string(&figures)?).as_bytes())?;
    Ok(ExitCode::SUCCESS)
}
