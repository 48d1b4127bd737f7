//! `blotter replay`: the views as of any point of the journal (time travel), as aligned tables
//! or JSON. Starts from the newest usable projection checkpoint and folds the tail (same result
//! as a full replay). Rendering lives in [`crate::render::views`]; this file parses, opens and
//! prints. Also holds what `audit` shares: the output format, opening, printing, error mapping.

use std::io::{self, BufWriter, StdoutLock, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context;

use super::JournalArg;
use super::out::errln;
use crate::journal::{Journal, OpenOptions};
use crate::render::views::{self, Selection, View};
use crate::replay::{ReplayError, Until, replay_from_snapshot, replay_with_reports};

#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    journal: JournalArg,
    /// The views as of this seq (the head if the journal is shorter).
    #[arg(long, value_name = "N", conflicts_with = "until_time")]
    until_seq: Option<u64>,
    /// The views as of this engine time: every record at or before it (RFC 3339, e.g.
    /// 2024-01-02T14:30:05.5Z, or YYYY-MM-DD HH:MM:SS[.f] in UTC, as in scenarios and bars).
    #[arg(long, value_name = "RFC3339", value_parser = parse_time)]
    until_time: Option<i64>,
    /// Which view to print.
    #[arg(long, value_enum, default_value_t = ViewArg::All)]
    view: ViewArg,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum ViewArg {
    /// Orders: status, quantities, average price, flags.
    Oms,
    /// Per (strategy, symbol): quantity, average cost, realized PnL, fees.
    Positions,
    /// FIX 4.4-style execution reports.
    Reports,
    /// All three (JSON: one object with the point in time).
    All,
}

/// A journal to read and the format to print it in (`audit`, `reconcile`).
#[derive(Debug, clap::Args)]
pub(super) struct ReadArgs {
    #[command(flatten)]
    pub journal: JournalArg,
    /// `table` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

/// Output format of `replay`, `audit` and `reconcile`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub(super) enum Format {
    /// Aligned tables.
    #[default]
    Table,
    /// Pretty-printed JSON: decimals and ids as strings, `null` for absent values.
    Json,
}

pub fn run(args: &Args) -> anyhow::Result<ExitCode> {
    let dir = &args.journal.journal;
    let until = match (args.until_seq, args.until_time) {
        (Some(seq), _) => Until::Seq(seq),
        (None, Some(ts_ns)) => Until::Time(ts_ns),
        (None, None) => Until::Head,
    };
    let selection = match args.view {
        ViewArg::Oms => Selection::One(View::Oms),
        ViewArg::Positions => Selection::One(View::Positions),
        ViewArg::Reports => Selection::One(View::Reports),
        ViewArg::All => Selection::All,
    };
    let journal = open(dir)?;
    // Reports are history, not state: deriving them needs every event from genesis.
    let wants_reports = matches!(selection, Selection::All | Selection::One(View::Reports));
    let replayed =
        if wants_reports { replay_with_reports(&journal, until) } else { replay_from_snapshot(&journal, until) };
    let replayed = match replayed {
        Ok(replayed) => replayed,
        Err(error) => return replay_failed(error, dir),
    };
    tracing::debug!(from_snapshot = ?replayed.from_snapshot, folded = replayed.folded, "replayed");
    drop(journal);
    print(|out| match args.format {
        Format::Table => views::write_table(out, &replayed, selection),
        Format::Json => views::write_json(out, &replayed, selection),
    })
}

/// Parses a time into engine time (ns since the Unix epoch), in the forms scenarios and bar
/// files take (`market::parse_timestamp`), so a time copied from either works here.
fn parse_time(text: &str) -> Result<i64, String> {
    crate::market::parse_timestamp(text).ok_or_else(|| {
        format!(
            "expected RFC 3339 (2024-01-02T14:30:05.5Z) or YYYY-MM-DD HH:MM:SS[.f] in UTC, {}",
            crate::market::TIME_RANGE
        )
    })
}

/// Opens a journal for reading: the cheap tail check; a replay verifies what it reads.
pub(super) fn open(dir: &Path) -> anyhow::Result<Journal> {
    let journal = Journal::open(dir, &OpenOptions::tail_checked())
        .with_context(|| format!("cannot open journal {}", dir.display()))?;
    super::events_journal(journal)
}

/// Corruption is exit 1 (through the error); so is an event the state machine refuses: the
/// journal holds something no valid history contains.
pub(super) fn replay_failed(error: ReplayError, dir: &Path) -> anyhow::Result<ExitCode> {
    match error {
        ReplayError::Invariant(violation) => {
            errln!(
                "error: cannot replay journal {}: it holds an event the order state machine refuses ({violation})",
                dir.display()
            );
            Ok(ExitCode::from(1))
        }
        ReplayError::Journal(error) => {
            Err(anyhow::Error::new(error).context(format!("cannot replay journal {}", dir.display())))
        }
    }
}

/// Writes through a buffered stdout. A reader that goes away (`| head`) ends the output
/// quietly with success; other write errors are errors.
pub(super) fn print(
    write: impl FnOnce(&mut BufWriter<StdoutLock<'static>>) -> io::Result<()>,
) -> anyhow::Result<ExitCode> {
    let mut out = BufWriter::new(io::stdout().lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(ExitCode::SUCCESS),
        Err(error) => Err(anyhow::Error::new(error).context("cannot write to stdout")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_parse_as_rfc3339_or_utc_wall_time_to_engine_ns() {
        assert_eq!(parse_time("2024-01-02T14:30:00Z"), Ok(1_704_205_800_000_000_000));
        assert_eq!(parse_time("2024-01-02T15:30:00.000000001+01:00"), Ok(1_704_205_800_000_000_001));
        // As scenarios and bar files write it: UTC.
        assert_eq!(parse_time("2024-01-02 14:30:00"), Ok(1_704_205_800_000_000_000));
        assert_eq!(parse_time("2024-01-02T14:30:00.5"), Ok(1_704_205_800_500_000_000));
        assert!(parse_time("2024-01-02 14:30").is_err(), "seconds are required");
        assert!(parse_time("1704205800").is_err());
        assert!(parse_time("2300-01-01T00:00:00Z").unwrap_err().contains("between 1677-09-21 and 2262-04-11"));
    }
}
