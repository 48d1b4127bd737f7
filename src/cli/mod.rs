//! The `blotter` command line. One file per subcommand; errors get context here, at the
//! edge. Exit codes: 0 success; 1 the journal (or an import file) is corrupt or holds an
//! event the order state machine refuses; 2 usage or I/O error.

mod audit;
mod bench;
mod crash_writer;
mod demo;
mod export;
mod import;
mod operate;
mod out;
mod reconcile;
mod replay;
mod replay_round;
mod run;
mod verify;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::journal::{Journal, JournalError};
use out::errln;

#[derive(Debug, Parser)]
#[command(
    name = "blotter",
    version,
    about = "Event-sourced, deterministic execution engine with a hash-chained journal"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log format on stderr: readable text, or one JSON object per line. JSON logs include
    /// every engine decision (with the seq it produced) unless BLOTTER_LOG says otherwise.
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a scenario (TOML) against the paper venue into a new journal; print the summary.
    Run(run::Args),
    /// Check a journal: framing, CRCs, gapless seqs, the hash chain and the head.
    Verify(verify::Args),
    /// The views (OMS, positions, execution reports) as of any seq or time, as tables or JSON.
    Replay(replay::Args),
    /// The reconciliation runs (start-up and on request) with their discrepancies and outcome;
    /// `--now` asks a running engine to reconcile.
    Reconcile(reconcile::Args),
    /// Kill switch on a running engine: halt (deny new orders) and cancel every working order;
    /// `--flatten` also closes positions, `--keep-orders` only halts. Journaled.
    Halt(operate::HaltArgs),
    /// Let a halted running engine take new orders again. Journaled.
    Resume(operate::ResumeArgs),
    /// The timeline of one order or stream, with the order's state after every event.
    Audit(audit::Args),
    /// Run the default scenario into ./journal (replacing an earlier demo), verify it, re-run
    /// it for determinism and show the views.
    Demo(demo::Args),
    /// Write the journal as NDJSON on stdout: a genesis header, then one line per record.
    Export(export::Args),
    /// Rebuild a journal from an export, checking every line and hash; DIR must not exist.
    Import(import::Args),
    /// Benchmarks (targets are checked here, never by timed tests).
    #[command(subcommand)]
    Bench(bench::Bench),
    /// Test support: append forever, printing every acknowledged seq (crash tests).
    #[command(name = "__crash-writer", hide = true)]
    CrashWriter(crash_writer::Args),
    /// Benchmark support: one measured replay from genesis, its figures as JSON.
    #[command(name = "__replay-round", hide = true)]
    ReplayRound(replay_round::Args),
}

/// Journal location shared by subcommands.
#[derive(Debug, Clone, clap::Args)]
pub struct JournalArg {
    /// Journal directory.
    #[arg(long, default_value = "journal")]
    pub journal: PathBuf,
}

/// Parses the command line, runs it and maps the outcome to an exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    let result = match cli.command {
        Command::Run(args) => run::run(&args),
        Command::Verify(args) => verify::run(&args),
        Command::Replay(args) => replay::run(&args),
        Command::Audit(args) => audit::run(&args),
        Command::Reconcile(args) => reconcile::run(&args),
        Command::Halt(args) => operate::halt(&args),
        Command::Resume(args) => operate::resume(&args),
        Command::Demo(args) => demo::run(&args),
        Command::Export(args) => export::run(&args),
        Command::Import(args) => import::run(&args),
        Command::Bench(bench) => bench::run(&bench),
        Command::CrashWriter(args) => crash_writer::run(&args),
        Command::ReplayRound(args) => replay_round::run(&args),
    };
    match result {
        Ok(code) => code,
        Err(error) => {
            errln!("error: {}", describe(&error));
            exit_code_for(&error)
        }
    }
}

/// The error and its causes, outermost first, joined by ": ", each said once: a cause whose
/// text the message so far already ends with is left out. Errors that end their message
/// with their cause's (as many do) repeated it under `{:#}`: "cannot read scenario s.toml:
/// No such file or directory (os error 2): No such file or directory (os error 2)".
pub fn describe(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// Refuses a journal of synthetic records (`bench journal --journal DIR`) before a command
/// reads its records as engine events: otherwise the first record reads as corruption,
/// though `verify` finds the journal intact.
fn events_journal(journal: Journal) -> anyhow::Result<Journal> {
    if journal.genesis().metadata.get("origin").map(String::as_str) == Some(crate::bench::journal::ORIGIN) {
        anyhow::bail!(
            "journal {} holds the synthetic records of `blotter bench journal`, not engine events: `verify` \
             checks it, and replay, audit, reconcile, export and `verify --rerun` read journals the engine wrote",
            journal.dir().display()
        );
    }
    Ok(journal)
}

/// 1 when the root cause is corruption, 2 otherwise.
fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    let corrupt = error.chain().any(|cause| {
        cause.downcast_ref::<crate::journal::Corruption>().is_some()
            || matches!(cause.downcast_ref::<JournalError>(), Some(JournalError::Corrupt(_)))
    });
    if corrupt { ExitCode::from(1) } else { ExitCode::from(2) }
}

/// Logs go to stderr. The level comes from `BLOTTER_LOG` (e.g. `info` shows every decision);
/// by default warnings only, or warnings and decisions with `--log-format json`.
fn init_tracing(format: LogFormat) {
    let default = match format {
        LogFormat::Text => "warn",
        LogFormat::Json => "warn,blotter::decision=info",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("BLOTTER_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    // A log line that cannot be written is dropped: tracing's fallback, `eprint!`, panics
    // on a closed stderr (`2>&1 | head`).
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(ansi)
        .log_internal_errors(false);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_error_and_its_causes_are_each_said_once() {
        let io = std::io::Error::new(std::io::ErrorKind::AlreadyExists, "File exists (os error 17)");
        // The journal's error names its cause in its message and as its source.
        let error =
            anyhow::Error::new(JournalError::io("/etc/passwd", io)).context("cannot verify journal /etc/passwd");
        assert_eq!(format!("{error:#}").matches("File exists").count(), 2, "the repetition this is for");
        assert_eq!(
            describe(&error),
            "cannot verify journal /etc/passwd: journal I/O error on /etc/passwd: File exists (os error 17)"
        );
        // Causes that are not repeated are all kept, in order.
        let plain = anyhow::anyhow!("disk full").context("cannot append").context("cannot run s.toml");
        assert_eq!(describe(&plain), "cannot run s.toml: cannot append: disk full");
        // A cause named inside the context, not at its end, still says what it is.
        let named = anyhow::anyhow!("a.ndjson").context("cannot import a.ndjson into j");
        assert_eq!(describe(&named), "cannot import a.ndjson into j: a.ndjson");
    }
}
