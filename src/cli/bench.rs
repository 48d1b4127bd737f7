//! `blotter bench …`.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

use crate::bench::engine::EngineBench;
use crate::bench::journal::JournalBench;
use crate::bench::recovery::RecoveryBench;
use crate::bench::replay::{ReplayBench, RoundIn};

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
        /// The append and raw-file phases alternate in this many rounds, so a drift in the
        /// disk's speed falls on both alike.
        #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..))]
        rounds: u64,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Order lifecycles (submit, acknowledge, fill) through the whole engine and the durable journal.
    Engine {
        /// Lifecycles in each throughput round.
        #[arg(long, default_value_t = 200_000)]
        lifecycles: u64,
        /// Lifecycles in flight at most in the throughput phase.
        #[arg(long, default_value_t = 4096)]
        window: usize,
        /// Throughput rounds, each on a fresh journal; the median is reported.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        /// Offered load of the latency phase, lifecycles/s.
        #[arg(long, default_value_t = 100_000)]
        offered: u64,
        /// Lifecycles in the latency phase (0: skip it).
        #[arg(long, default_value_t = 200_000)]
        latency_lifecycles: u64,
        /// Heap to fault in before the phases, as an engine in live use does at start-up
        /// (`blotter::memory::prefault`), MiB, at most 3/4 of the memory free (the report says how
        /// much was); 0 measures an engine that faults as it grows.
        #[arg(long, default_value_t = crate::bench::engine::DEFAULT_PREFAULT_MIB)]
        prefault_mib: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// An interrupted run coming back: open, load the newest simulation snapshot, re-simulate
    /// the tail against the journal, ready for input (`recovery_ms`).
    Recovery {
        #[arg(long, default_value_t = 10_000_000)]
        events: u64,
        /// Bars between two orders in the synthetic scenario.
        #[arg(long, default_value_t = 200)]
        order_every: u64,
        #[arg(long, default_value_t = crate::runner::snapshot::DEFAULT_EVERY)]
        snapshot_every: u64,
        /// Build the journal here (default: a temporary directory); if it already holds one
        /// this bench built, only the recovery is measured again.
        #[arg(long)]
        journal: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
    /// Rebuilding the order views: from genesis (events/s) and from a checkpoint (open ms).
    Replay {
        /// Events replayed from genesis.
        #[arg(long, default_value_t = 1_000_000)]
        events: u64,
        /// Events in the journal opened from a checkpoint (0: skip that measurement).
        #[arg(long, default_value_t = 10_000_000)]
        snapshot_events: u64,
        /// Events after the checkpoint, folded at open.
        #[arg(long, default_value_t = 10_000)]
        tail_events: u64,
        /// Replays from genesis, each in a fresh process; `replay_eps` is their median.
        #[arg(long, default_value_t = 3)]
        rounds: usize,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
    },
}

pub fn run(bench: &Bench) -> anyhow::Result<ExitCode> {
    match bench {
        Bench::Journal { events, batch, journal, offered_eps, latency_events, rounds, format } => {
            let report = JournalBench {
                events: *events,
                batch: *batch,
                dir: journal.clone(),
                offered_eps: *offered_eps,
                latency_events: *latency_events,
                rounds: *rounds,
            }
            .run()?;
            print_report(*format, &report.table(), &report)?;
        }
        Bench::Engine { lifecycles, window, rounds, offered, latency_lifecycles, prefault_mib, format } => {
            let bench = EngineBench {
                lifecycles: *lifecycles,
                window: *window,
                rounds: *rounds,
                offered_lps: *offered,
                latency_lifecycles: *latency_lifecycles,
                prefault_mib: *prefault_mib,
            };
            let report = bench.run()?;
            print_report(*format, &report.table(), &report)?;
        }
        Bench::Recovery { events, order_every, snapshot_every, journal, format } => {
            let bench = RecoveryBench {
                events: *events,
                order_every: *order_every,
                snapshot_every: *snapshot_every,
                dir: journal.clone(),
            };
            let report = bench.run()?;
            print_report(*format, &report.table(), &report)?;
        }
        Bench::Replay { events, snapshot_events, tail_events, rounds, format } => {
            let binary = std::env::current_exe().context("finding this binary to run replay rounds in")?;
            let bench = ReplayBench {
                events: *events,
                snapshot_events: *snapshot_events,
                tail_events: *tail_events,
                rounds: *rounds,
                round_in: RoundIn::FreshProcess(binary),
                ..ReplayBench::default()
            };
            let report = bench.run()?;
            print_report(*format, &report.table(), &report)?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn print_report(format: Format, table: &str, report: &impl serde::Serialize) -> anyhow::Result<()> {
    match format {
        Format::Table => super::out::write(table.as_bytes()),
        Format::Json => super::out::write(format!("{}\n", serde_json::to_string(report)?).as_bytes()),
    }
}
