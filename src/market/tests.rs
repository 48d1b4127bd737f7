use std::io::Write;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use flate2::Compression;
use flate2::write::GzEncoder;
use proptest::prelude::*;
use rust_decimal::Decimal;
use tempfile::TempDir;

use super::*;
use crate::domain::BadDecimal;
use crate::event::MarketBar;

const HEADER: &str = "timestamp,open,high,low,close,volume\n";

fn write(dir: &TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::default());
    encoder.write_all(bytes).unwrap();
    encoder.finish().unwrap()
}

fn read(path: &Path) -> Result<Vec<MarketBar>, MarketDataError> {
    read_bars(path, "6EH4")?.collect()
}

fn csv(text: &str) -> (TempDir, Result<Vec<MarketBar>, MarketDataError>) {
    let dir = TempDir::new().unwrap();
    let result = read(&write(&dir, "x.csv", text.as_bytes()));
    (dir, result)
}

/// The file is refused on `line` with `problem`.
fn refused(text: &str, line: u64, problem: Problem) {
    let (_dir, result) = csv(text);
    match result.unwrap_err() {
        MarketDataError::Line { line: got, problem: got_problem, .. } => {
            assert_eq!((got, got_problem), (line, problem), "for {text:?}")
        }
        other => panic!("unexpected {other}"),
    }
}

fn d(text: &str) -> Decimal {
    Decimal::from_str(text).unwrap()
}

const NS_2024_01_02_1430: i64 = 1_704_205_800_000_000_000;

#[test]
fn reads_rfc3339_bars_exactly() {
    let (_dir, bars) = csv(&format!("{HEADER}2024-01-02T14:30:00Z,1.0950,1.0960,1.0940,1.0955,100\n"));
    let bars = bars.unwrap();
    assert_eq!(
        bars,
        vec![MarketBar {
            symbol: "6EH4".into(),
            open: d("1.0950"),
            high: d("1.0960"),
            low: d("1.0940"),
            close: d("1.0955"),
            volume: d("100"),
            market_ts_ns: NS_2024_01_02_1430,
        }]
    );
    assert_eq!(bars[0].open.to_string(), "1.0950", "the scale is kept");
}

#[test]
fn reads_space_separated_timestamps_with_fraction_and_offsets() {
    let rows = [
        "2024-01-02 14:30:00,1,1,1,1,1",
        "2024-01-02 14:31:00.000000,1,1,1,1,1",
        "2024-01-02 14:32:00.5+00:00,1,1,1,1,1",
        "2024-01-02T15:33:00+01:00,1,1,1,1,1",
        "2024-01-02T14:34:00,1,1,1,1,1",
    ];
    let (_dir, bars) = csv(&format!("{HEADER}{}\n", rows.join("\n")));
    let times: Vec<i64> = bars.unwrap().iter().map(|bar| bar.market_ts_ns - NS_2024_01_02_1430).collect();
    let minute = 60_000_000_000;
    assert_eq!(times, [0, minute, 2 * minute + 500_000_000, 3 * minute, 4 * minute]);
}

#[test]
fn finds_columns_in_any_order_and_case_and_ignores_others() {
    let text = "\u{feff}Volume, close ,extra,LOW,high,Open,timestamp_utc\n7,1.2,x,1.0,1.3,1.1,2024-01-02 14:30:00\n";
    let (_dir, bars) = csv(text);
    let bar = &bars.unwrap()[0];
    assert_eq!((bar.open, bar.high, bar.low, bar.close, bar.volume), (d("1.1"), d("1.3"), d("1.0"), d("1.2"), d("7")));
}

#[test]
fn reads_exponent_forms() {
    let (_dir, bars) = csv(&format!("{HEADER}2024-01-02T14:30:00Z,1.5E1,2e1,1e1,15,1e3\n"));
    let bar = &bars.unwrap()[0];
    assert_eq!((bar.open, bar.high, bar.low, bar.volume), (d("15"), d("20"), d("10"), d("1000")));
}

#[test]
fn reads_gzip_by_extension() {
    let text = format!("{HEADER}2024-01-02T14:30:00Z,1,2,1,2,3\n2024-01-02T14:31:00Z,2,2,1,1,4\n");
    let dir = TempDir::new().unwrap();
    let bars = read(&write(&dir, "x.csv.gz", &gzip(text.as_bytes()))).unwrap();
    assert_eq!(bars.len(), 2);
    assert_eq!(bars[1].volume, d("4"));
}

#[test]
fn refuses_a_corrupt_gzip_file() {
    let dir = TempDir::new().unwrap();
    let mut bytes = gzip(format!("{HEADER}2024-01-02T14:30:00Z,1,2,1,2,3\n").as_bytes());
    bytes.truncate(bytes.len() / 2);
    let error = read(&write(&dir, "x.csv.gz", &bytes)).unwrap_err();
    assert!(matches!(error.problem(), Some(Problem::Read(_))), "{error}");
    let plain = write(&dir, "y.csv.gz", HEADER.as_bytes());
    let error = read(&plain).unwrap_err();
    assert!(error.to_string().starts_with(&format!("{}:1: read error: ", plain.display())), "{error}");
}

#[test]
fn refuses_a_line_longer_than_the_bound_before_reading_it_whole() {
    let too_long = "1".repeat(MAX_LINE_BYTES + 1);
    let longest = format!("2024-01-02T14:30:00Z,1,2,1,2,3{}\n", " ".repeat(MAX_LINE_BYTES - 31));
    assert_eq!(longest.len(), MAX_LINE_BYTES, "one byte under the bound with its line break");
    let (_dir, result) = csv(&format!("{HEADER}{longest}"));
    assert!(!matches!(result.as_ref().map_err(MarketDataError::problem), Err(Some(Problem::Read(_)))), "{result:?}");
    for text in [format!("{HEADER}2024-01-02T14:30:00Z,1,2,1,2,3\n{too_long}\n"), too_long.clone()] {
        let (_dir, result) = csv(&text);
        let error = result.unwrap_err();
        assert!(error.to_string().contains(&format!("a line is longer than {MAX_LINE_BYTES} bytes")), "{error}");
    }
    let dir = TempDir::new().unwrap();
    let error = read(&write(&dir, "z.csv.gz", &gzip(&vec![0; 4 << 20]))).unwrap_err();
    assert!(error.to_string().contains("a line is longer than"), "{error}");
}

#[test]
fn names_the_file_and_line_in_messages() {
    let dir = TempDir::new().unwrap();
    let text = format!("{HEADER}2024-01-02T14:30:00Z,1.1,1.1,1.0,1.1,5\n2024-01-02T14:31:00Z,1.1,1.1,1.0,1.2,5\n");
    let path = write(&dir, "x.csv", text.as_bytes());
    let error = read(&path).unwrap_err();
    assert_eq!(error.to_string(), format!("{}:3: close 1.2 is above high 1.1", path.display()));
}

#[test]
fn refuses_a_missing_file() {
    let error = read(Path::new("fixtures/market/no-such.csv")).unwrap_err();
    assert!(matches!(error, MarketDataError::Open { .. }));
    assert!(error.to_string().starts_with("cannot read market data fixtures/market/no-such.csv: "), "{error}");
}

#[test]
fn refuses_a_header_without_a_needed_column() {
    refused("timestamp,open,high,low,volume\n", 1, Problem::MissingColumn("`close`"));
    refused("time,open,high,low,close,volume\n", 1, Problem::MissingColumn("`timestamp` (or `timestamp_utc`)"));
    refused("timestamp,timestamp_utc,open,high,low,close,volume\n", 1, Problem::DuplicateColumn("timestamp"));
}

#[test]
fn refuses_a_wrong_field_count() {
    let text = format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,1\n2024-01-02T14:31:00Z,1,1,1,1\n");
    refused(&text, 3, Problem::FieldCount { expected: 6, found: 5 });
    refused(&format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,1,9\n"), 2, Problem::FieldCount { expected: 6, found: 7 });
}

#[test]
fn refuses_unparsable_values() {
    refused(
        &format!("{HEADER}2024-13-02T14:30:00Z,1,1,1,1,1\n"),
        2,
        Problem::BadTimestamp("2024-13-02T14:30:00Z".into()),
    );
    refused(&format!("{HEADER}01/02/2024,1,1,1,1,1\n"), 2, Problem::BadTimestamp("01/02/2024".into()));
    refused(
        &format!("{HEADER}3000-01-01T00:00:00Z,1,1,1,1,1\n"),
        2,
        Problem::BadTimestamp("3000-01-01T00:00:00Z".into()),
    );
    refused(
        &format!("{HEADER}2024-01-02T14:30:00Z,1,x,1,1,1\n"),
        2,
        Problem::BadNumber { column: "high", value: "x".into(), why: BadDecimal::NotANumber },
    );
    refused(
        &format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,\n"),
        2,
        Problem::BadNumber { column: "volume", value: "".into(), why: BadDecimal::NotANumber },
    );
    refused(
        &format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,NaN\n"),
        2,
        Problem::BadNumber { column: "volume", value: "NaN".into(), why: BadDecimal::NotANumber },
    );
    refused(
        &format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,1e99\n"),
        2,
        Problem::BadNumber { column: "volume", value: "1e99".into(), why: BadDecimal::Inexact },
    );
}

#[test]
fn refuses_bytes_that_are_not_utf8() {
    let dir = TempDir::new().unwrap();
    let mut bytes = format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,").into_bytes();
    bytes.extend_from_slice(b"\xff\xfe\n");
    let error = read(&write(&dir, "x.csv", &bytes)).unwrap_err();
    assert_eq!(error.problem(), Some(&Problem::NotUtf8 { column: "volume" }));
}

#[test]
fn refuses_inconsistent_prices_and_negative_volume() {
    let row = |ohlcv: &str| format!("{HEADER}2024-01-02T14:30:00Z,{ohlcv}\n");
    refused(&row("1,1,2,1,1"), 2, Problem::LowAboveHigh { low: d("2"), high: d("1") });
    refused(&row("3,2,1,2,1"), 2, Problem::AboveHigh { column: "open", value: d("3"), high: d("2") });
    refused(&row("0.5,2,1,2,1"), 2, Problem::BelowLow { column: "open", value: d("0.5"), low: d("1") });
    refused(&row("1,2,1,2.5,1"), 2, Problem::AboveHigh { column: "close", value: d("2.5"), high: d("2") });
    refused(&row("1,2,1,0.9,1"), 2, Problem::BelowLow { column: "close", value: d("0.9"), low: d("1") });
    refused(&row("1,2,1,2,-1"), 2, Problem::NegativeVolume(d("-1")));
}

#[test]
fn refuses_timestamps_that_do_not_increase() {
    let text = |second: &str| format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,1\n{second},1,1,1,1,1\n");
    let problem = |at: &str| Problem::NotIncreasing { at: at.into(), previous: "2024-01-02T14:30:00Z".into() };
    refused(&text("2024-01-02 14:30:00"), 3, problem("2024-01-02T14:30:00Z"));
    refused(&text("2024-01-02T14:29:59.5Z"), 3, problem("2024-01-02T14:29:59.500Z"));
}

#[test]
fn refuses_empty_files() {
    refused("", 1, Problem::EmptyFile);
    refused(HEADER, 2, Problem::NoBars);
}

#[test]
fn stops_after_the_first_error() {
    let text = format!("{HEADER}2024-01-02T14:30:00Z,1,1,1,1,1\nbad\n2024-01-02T14:32:00Z,1,1,1,1,1\n");
    let dir = TempDir::new().unwrap();
    let mut bars = read_bars(&write(&dir, "x.csv", text.as_bytes()), "X").unwrap();
    assert!(matches!(bars.next(), Some(Ok(_))));
    assert!(matches!(bars.next(), Some(Err(_))));
    assert!(bars.next().is_none());
}

proptest! {
    #[test]
    fn never_panics_on_any_bytes(bytes in proptest::collection::vec(any::<u8>(), 0..300), gz in any::<bool>()) {
        let dir = TempDir::new().unwrap();
        let (name, bytes) = if gz { ("x.csv.gz", gzip(&bytes)) } else { ("x.csv", bytes) };
        let _ = read(&write(&dir, name, &bytes));
    }

    #[test]
    fn never_panics_on_any_row(row in "[0-9eE.,:+TZ -]{0,60}") {
        let (_dir, _) = csv(&format!("{HEADER}{row}\n"));
    }
}

/// A file of `n` one-minute bars, the i-th closing at `1.i`.
fn minute_bars(n: usize) -> String {
    let mut text = HEADER.to_owned();
    for i in 0..n {
        text.push_str(&format!("2024-01-02T{:02}:{:02}:00Z,1,2,1,1.{i},{i}\n", 10 + i / 60, i % 60));
    }
    text
}

fn bars_after(source: &mut BarReader) -> Vec<MarketBar> {
    std::iter::from_fn(|| source.next_bar()).collect::<Result<_, _>>().unwrap()
}

#[test]
fn a_plain_file_seeks_to_where_it_stood() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "x.csv", minute_bars(50).as_bytes());
    let all = read(&path).unwrap();
    for k in [0usize, 1, 17, 49, 50] {
        let mut first = read_bars(&path, "6EH4").unwrap();
        (0..k).for_each(|_| drop(first.next_bar().unwrap().unwrap()));
        let position = first.position().expect("a plain file has a position");
        let mut second = read_bars(&path, "6EH4").unwrap();
        assert!(second.fast_forward(Some(&position), k as u64).unwrap(), "sought after {k} bars");
        assert_eq!(bars_after(&mut second), all[k..], "after {k} bars");
    }
}

#[test]
fn a_seek_remembers_the_previous_bar_for_the_order_check() {
    let dir = TempDir::new().unwrap();
    let mut text = minute_bars(3);
    text.push_str("2024-01-02T10:01:00Z,1,2,1,1,1\n");
    let path = write(&dir, "x.csv", text.as_bytes());
    let mut first = read_bars(&path, "6EH4").unwrap();
    (0..3).for_each(|_| drop(first.next_bar().unwrap().unwrap()));
    let mut second = read_bars(&path, "6EH4").unwrap();
    second.seek(&first.position().unwrap(), 3).unwrap();
    let error = second.next_bar().unwrap().unwrap_err();
    assert!(matches!(error.problem(), Some(Problem::NotIncreasing { .. })), "{error}");
}

#[test]
fn a_wrong_position_is_refused_and_reading_falls_back() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "x.csv", minute_bars(10).as_bytes());
    let all = read(&path).unwrap();
    let mut first = read_bars(&path, "6EH4").unwrap();
    (0..4).for_each(|_| drop(first.next_bar().unwrap().unwrap()));
    let position = first.position().unwrap();
    let mut second = read_bars(&path, "6EH4").unwrap();
    assert!(second.seek(&position, 5).is_err(), "the position is after 4 bars, not 5");
    assert!(second.seek(&SourcePosition(vec![0xff; 3]), 4).is_err());
    assert_eq!(second.next_bar().unwrap().unwrap(), all[0], "a refused seek leaves the reader where it was");
    let mut third = read_bars(&path, "6EH4").unwrap();
    assert!(!third.fast_forward(Some(&SourcePosition(vec![])), 4).unwrap(), "read past instead");
    assert_eq!(bars_after(&mut third), all[4..]);
}

#[test]
fn a_gzip_file_cannot_seek_and_reads_past_instead() {
    let dir = TempDir::new().unwrap();
    let path = write(&dir, "x.csv.gz", &gzip(minute_bars(20).as_bytes()));
    let all = read(&path).unwrap();
    let mut reader = read_bars(&path, "6EH4").unwrap();
    assert_eq!(reader.position(), None);
    assert!(!reader.fast_forward(None, 7).unwrap());
    assert_eq!(bars_after(&mut reader), all[7..]);
}
