//! `blotter bench …`.

use std::path::PathBuf;
use std::process::ExitCode;

use crate::bench::journal::JournalBench;

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, clap::Subcommand)]
pub enum Bench {
    /// Durable append vs a raw file, disk bytes, ack latency, verified replay.
    Journal {
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        #[arg(long, default_value_t = 1000)]
        batch: usize,
        /// Journal directory (must not hold a journal); a temporary one by default.
        #[arg(long)]
        journal: Option<PathBuf>,
        /// Offered load for the ack-latency phase, events/s.
        #[arg(long, default_value_t = 100_000)]
        offered_eps: u64,
        /// Events in the ack-latency phase.
        #[arg(long, default_value_t = 300_000)]
        latency_events: u64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn run(bench: &Bench) -> anyhow::Result<ExitCode> {
    match bench {
        Bench::Journal { events, batch, journal, offered_eps, latency_events, format } => {
            let report = JournalBench {
                events: *events,
                batch: *batch,
                dir: journal.clone(),
                offered_eps: *offered_eps,
                latency_events: *latency_events,
            }
            .run()?;
            match format {
                Format::Table => print!("{}", report.table()),
                Format::Json => println!("{}", serde_json::to_string(&report)?),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
