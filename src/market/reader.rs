//! The streaming bar reader: one row in memory at a time.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use csv::ByteRecord;
use flate2::read::MultiGzDecoder;
use serde::{Deserialize, Serialize};

use super::columns::Columns;
use super::row::parse_row;
use super::source::{BarSource, SeekError};
use super::timestamp::format_ns;
use super::{MarketDataError, Problem};
use crate::event::MarketBar;

/// Opens the bar file at `path` (gzip if its name ends in `.gz`) and reads its header. The
/// bars are named `symbol`.
pub fn read_bars(path: &Path, symbol: &str) -> Result<BarReader, MarketDataError> {
    let file = File::open(path).map_err(|source| MarketDataError::Open { path: path.to_owned(), source })?;
    let source = if is_gzip(path) { Source::Gzip(Box::new(MultiGzDecoder::new(file))) } else { Source::Plain(file) };
    let input = Input { source, line_bytes: 0 };
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let at_line_1 = |problem| MarketDataError::Line { path: path.to_owned(), line: 1, problem };
    let header = csv.byte_headers().map_err(|e| at_line_1(Problem::Read(e.to_string())))?;
    if header.is_empty() {
        return Err(at_line_1(Problem::EmptyFile));
    }
    let columns = Columns::from_header(header).map_err(at_line_1)?;
    Ok(BarReader {
        path: path.to_owned(),
        symbol: symbol.to_owned(),
        csv,
        columns,
        record: ByteRecord::new(),
        previous_ns: None,
        bars: 0,
        done: false,
    })
}

fn is_gzip(path: &Path) -> bool {
    path.extension().is_some_and(|extension| extension.eq_ignore_ascii_case("gz"))
}

/// The longest line of a bar file, in bytes. A row is about a hundred; without a bound, a
/// file with no line breaks (`/dev/zero`, a binary file, a gzip bomb) is read into one
/// record until memory runs out.
pub const MAX_LINE_BYTES: usize = 64 << 10;

/// The bytes under the CSV parser: the file's, refused past a line of [`MAX_LINE_BYTES`].
struct Input {
    source: Source,
    /// Bytes read since the last line break.
    line_bytes: usize,
}

/// A plain file seeks, a gzip stream does not.
enum Source {
    Plain(File),
    Gzip(Box<MultiGzDecoder<File>>),
}

impl Input {
    fn is_gzip(&self) -> bool {
        matches!(self.source, Source::Gzip(_))
    }
}

impl Read for Input {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let read = match &mut self.source {
            Source::Plain(file) => file.read(buf)?,
            Source::Gzip(gzip) => gzip.read(buf)?,
        };
        // Every line break in the bytes read ends a line; what follows the last one starts
        // the next.
        let mut rest = &buf[..read];
        loop {
            let line_break = rest.iter().position(|&byte| byte == b'\n');
            let line = line_break.unwrap_or(rest.len());
            self.line_bytes = self.line_bytes.saturating_add(line);
            if self.line_bytes > MAX_LINE_BYTES {
                let message = format!("a line is longer than {MAX_LINE_BYTES} bytes (is this a CSV file?)");
                return Err(io::Error::new(io::ErrorKind::InvalidData, message));
            }
            let Some(at) = line_break else { break };
            self.line_bytes = 0;
            rest = &rest[at + 1..];
        }
        Ok(read)
    }
}

impl Seek for Input {
    /// Seeks go to the start of a row (a [`CsvPosition`]).
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        self.line_bytes = 0;
        match &mut self.source {
            Source::Plain(file) => file.seek(to),
            Source::Gzip(_) => Err(io::Error::new(io::ErrorKind::Unsupported, "a gzip stream cannot seek")),
        }
    }
}

/// A [`BarReader`]'s position: the CSV parser's, and what the reader remembers of the bars
/// before it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CsvPosition {
    byte: u64,
    line: u64,
    record: u64,
    previous_ns: Option<i64>,
    bars: u64,
}

/// The bars of one file, in file order. Ends after the first error (a file with no bars
/// yields one [`Problem::NoBars`] error).
pub struct BarReader {
    path: PathBuf,
    symbol: String,
    csv: csv::Reader<Input>,
    columns: Columns,
    record: ByteRecord,
    previous_ns: Option<i64>,
    bars: u64,
    done: bool,
}

impl BarReader {
    /// The next bar, `None` at the end of the file.
    fn read_bar(&mut self) -> Result<Option<MarketBar>, MarketDataError> {
        let more = match self.csv.read_byte_record(&mut self.record) {
            Ok(more) => more,
            Err(e) => return Err(self.error(self.csv.position().line(), Problem::Read(e.to_string()))),
        };
        if !more {
            return if self.bars == 0 {
                Err(self.error(self.csv.position().line(), Problem::NoBars))
            } else {
                Ok(None)
            };
        }
        let line = self.record.position().map_or(self.csv.position().line(), |position| position.line());
        let bar = parse_row(&self.columns, &self.record, &self.symbol).map_err(|problem| self.error(line, problem))?;
        if let Some(previous) = self.previous_ns.filter(|previous| bar.market_ts_ns <= *previous) {
            let problem = Problem::NotIncreasing { at: format_ns(bar.market_ts_ns), previous: format_ns(previous) };
            return Err(self.error(line, problem));
        }
        self.previous_ns = Some(bar.market_ts_ns);
        self.bars += 1;
        Ok(Some(bar))
    }

    fn error(&self, line: u64, problem: Problem) -> MarketDataError {
        MarketDataError::Line { path: self.path.clone(), line, problem }
    }
}

impl BarSource for BarReader {
    type Error = MarketDataError;

    fn next_bar(&mut self) -> Option<Result<MarketBar, MarketDataError>> {
        if self.done {
            return None;
        }
        let next = self.read_bar().transpose();
        self.done = !matches!(next, Some(Ok(_)));
        next
    }

    type Mark = CsvPosition;

    /// A plain file's next record; a gzip stream has no position.
    fn mark(&self) -> Option<CsvPosition> {
        if self.csv.get_ref().is_gzip() {
            return None;
        }
        let at = self.csv.position();
        Some(CsvPosition {
            byte: at.byte(),
            line: at.line(),
            record: at.record(),
            previous_ns: self.previous_ns,
            bars: self.bars,
        })
    }

    fn seek_mark(&mut self, mark: CsvPosition, bars: u64) -> Result<(), SeekError> {
        let fail = |why: String| Err(SeekError(format!("{}: {why}", self.path.display())));
        if self.csv.get_ref().is_gzip() {
            return fail("a gzip stream cannot seek".into());
        }
        if mark.bars != bars {
            return fail(format!("the position is the one after {} bars, not {bars}", mark.bars));
        }
        let mut at = csv::Position::new();
        at.set_byte(mark.byte).set_line(mark.line).set_record(mark.record);
        if let Err(e) = self.csv.seek(at) {
            return fail(e.to_string());
        }
        self.previous_ns = mark.previous_ns;
        self.bars = mark.bars;
        self.done = false;
        Ok(())
    }
}

impl Iterator for BarReader {
    type Item = Result<MarketBar, MarketDataError>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_bar()
    }
}
