//! `blotter replay` and `blotter audit` as a user runs them: a real journal in a tempdir, the
//! real binary. Output is checked against the library's rendering of a *full* replay (the CLI
//! starts from a checkpoint, so this also checks checkpoint + tail = full), and a few outputs
//! are pinned as insta snapshots (`tests/snapshots/`).

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use blotter::domain::ClientOrderId;
use blotter::event::synthetic::Lifecycles;
use blotter::event::{Event, OrderSubmitted};
use blotter::journal::{Draft, Genesis, Journal, OpenOptions};
use blotter::render::views::{Selection, View};
use blotter::render::{self, rfc3339};
use blotter::replay::{Until, checkpoint, replay, replay_with_reports};
use serde_json::Value;

const EVENTS: usize = 200;
const CHECKPOINT_AT: u64 = 120;

/// A journal of `EVENTS` synthetic events (seed 11, 4 orders in flight) in blocks of 30, with a
/// views checkpoint at `CHECKPOINT_AT`. The genesis names a fixed version so that hashes and
/// event ids in the snapshots do not change with the crate version.
fn journal() -> (tempfile::TempDir, PathBuf, Vec<Draft<Event>>) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let drafts = Lifecycles::new(11, 4).take_drafts(EVENTS);
    let genesis = Genesis { blotter_version: "snapshot".into(), ..Genesis::new(Some(11)) };
    let mut journal = Journal::create(&path, &genesis, &OpenOptions::default()).unwrap();
    for chunk in drafts.chunks(30) {
        journal.append(chunk).unwrap();
    }
    checkpoint::save(&journal, &replay(&journal, Until::Seq(CHECKPOINT_AT)).unwrap()).unwrap();
    (dir, path, drafts)
}

/// Opens the journal in this process, runs `f`, and closes it again (one process at a time).
fn with_journal<T>(path: &Path, f: impl FnOnce(&Journal) -> T) -> T {
    let journal = Journal::open(path, &OpenOptions::tail_checked()).unwrap();
    f(&journal)
}

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn blotter(args: &[&str], journal: &Path) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_blotter")).args(args).arg("--journal").arg(journal).output().unwrap();
    let run = Run {
        code: out.status.code().unwrap_or_else(|| panic!("killed: {:?}", out.status)),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    };
    assert!(!run.stderr.contains("panicked"), "{args:?}: {}", run.stderr);
    run
}

fn ok(args: &[&str], journal: &Path) -> String {
    let run = blotter(args, journal);
    assert_eq!(run.code, 0, "{args:?}: stderr {}", run.stderr);
    run.stdout
}

#[test]
fn replay_json_of_every_view_equals_the_library_rendering_of_a_full_replay() {
    let (_dir, path, _) = journal();
    let (expected, head) = with_journal(&path, |journal| {
        let full = replay_with_reports(journal, Until::Head).unwrap();
        let selections = [
            ("oms", Selection::One(View::Oms)),
            ("positions", Selection::One(View::Positions)),
            ("reports", Selection::One(View::Reports)),
            ("all", Selection::All),
        ];
        let rendered: Vec<_> = selections
            .map(|(name, s)| (name, render::views::json_string(&full, s), render::views::table_string(&full, s)))
            .into();
        (rendered, journal.head())
    });
    for (view, json, table) in &expected {
        assert_eq!(&ok(&["replay", "--view", view, "--format", "json"], &path), json, "--view {view}");
        assert_eq!(&ok(&["replay", "--view", view], &path), table, "--view {view} (table)");
    }
    // The defaults: every view, as tables.
    assert_eq!(ok(&["replay"], &path), expected[3].2);

    let all: Value = serde_json::from_str(&expected[3].1).unwrap();
    assert_eq!(all["at"]["seq"], head.seq);
    assert_eq!(all["at"]["hash"], head.hash.to_hex());
    let positions: Value = serde_json::from_str(&expected[1].1).unwrap();
    let positions = positions.as_array().expect("--view positions --format json is an array");
    assert!(!positions.is_empty());
    for p in positions {
        for key in ["strategy", "symbol", "qty", "avg_px", "realized_pnl", "fees"] {
            assert!(p.get(key).is_some(), "position without {key}: {p}");
        }
        for key in ["qty", "realized_pnl", "fees"] {
            assert!(
                p[key].as_str().unwrap().parse::<rust_decimal::Decimal>().is_ok(),
                "{key} is a decimal string: {p}"
            );
        }
    }
}

#[test]
fn replay_until_a_seq_or_a_time_is_the_view_of_that_prefix() {
    let (_dir, path, drafts) = journal();
    // Before and after the checkpoint; a time between records 150 and 151; before the first.
    let t150 = drafts[149].ts_ns;
    assert!(drafts[150].ts_ns > t150);
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    let cases = [
        (args(&["--until-seq", "60"]), Until::Seq(60), 60),
        (args(&["--until-seq", "150"]), Until::Seq(150), 150),
        (args(&["--until-seq", "9999"]), Until::Seq(9999), EVENTS as u64),
        (args(&["--until-time", &rfc3339(t150)]), Until::Time(t150), 150),
        (args(&["--until-time", "2024-01-02T14:29:59Z"]), Until::Time(1_704_205_799_000_000_000), 0),
        // As scenarios and bar files write it (UTC), and with an offset.
        (args(&["--until-time", "2024-01-02 14:29:59"]), Until::Time(1_704_205_799_000_000_000), 0),
        (args(&["--until-time", "2024-01-02T15:29:59+01:00"]), Until::Time(1_704_205_799_000_000_000), 0),
    ];
    let expected: Vec<String> = with_journal(&path, |journal| {
        let render = |until| render::views::json_string(&replay_with_reports(journal, until).unwrap(), Selection::All);
        cases.iter().map(|(_, until, _)| render(*until)).collect()
    });
    for ((args, _, seq), expected) in cases.iter().zip(&expected) {
        let mut argv = vec!["replay", "--format", "json"];
        argv.extend(args.iter().map(String::as_str));
        let out = ok(&argv, &path);
        assert_eq!(&out, expected, "{args:?}");
        let json: Value = serde_json::from_str(&out).unwrap();
        assert_eq!(json["at"]["seq"], *seq, "{args:?}");
    }
    // The time form on a table headline.
    let table = ok(&["replay", "--view", "positions", "--until-time", &rfc3339(t150)], &path);
    assert!(table.starts_with("as of seq 150 (hash "), "{table}");
    assert!(table.lines().next().unwrap().ends_with(&format!(", {})", rfc3339(t150))), "{table}");
}

#[test]
fn usage_errors_exit_2() {
    let (_dir, path, _) = journal();
    for args in [
        &["replay", "--until-seq", "5", "--until-time", "2024-01-02T14:30:00Z"][..],
        &["replay", "--until-time", "yesterday"],
        &["replay", "--until-seq", "-1"],
        &["replay", "--view", "fills"],
        &["replay", "--format", "csv"],
        &["audit"],
    ] {
        let run = blotter(args, &path);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(run.stdout.is_empty(), "{args:?}");
    }
    let conflict = blotter(&["replay", "--until-seq", "5", "--until-time", "2024-01-02T14:30:00Z"], &path);
    assert!(conflict.stderr.contains("cannot be used with"), "{}", conflict.stderr);

    let missing = blotter(&["replay"], &path.join("nowhere"));
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("cannot open journal"), "{}", missing.stderr);
}

#[test]
fn audit_of_an_order_is_its_timeline_with_the_state_after_every_event() {
    let (_dir, path, _) = journal();
    let expected = with_journal(&path, |journal| {
        let timeline = render::audit::timeline(journal, "o-1").unwrap().unwrap();
        for event in &timeline.events {
            let hash = journal.reader().hash_at(event.seq).unwrap().unwrap();
            assert_eq!(event.hash, hash.to_hex(), "the hash stored with seq {}", event.seq);
        }
        render::audit::json_string(&timeline)
    });
    let json = ok(&["audit", "o-1", "--format", "json"], &path);
    assert_eq!(json, expected);
    assert_eq!(ok(&["audit", "order:o-1", "--format", "json"], &path), json.replacen("\"o-1\"", "\"order:o-1\"", 1));
    insta::assert_snapshot!("audit_o1_json", json);
    insta::assert_snapshot!("audit_o1_table", ok(&["audit", "o-1"], &path));
}

#[test]
fn audit_of_an_unknown_id_exits_2_naming_it() {
    let (_dir, path, _) = journal();
    let blank = blotter(&["audit", ""], &path);
    assert_eq!(blank.code, 2, "{}", blank.stderr);
    assert!(blank.stderr.contains("a value is required for '<ID>'"), "{}", blank.stderr);
    for id in ["o-9999", "broker-order:B9999"] {
        let run = blotter(&["audit", id], &path);
        assert_eq!(run.code, 2, "{}", run.stderr);
        let stream = if id.contains(':') { id.to_owned() } else { format!("order:{id}") };
        let expected = format!("unknown id \"{id}\": no events in stream {stream} (journal {path:?}, as of seq ");
        assert!(run.stderr.contains(&expected), "{}", run.stderr);
        assert!(run.stdout.is_empty());
    }
}

#[test]
fn snapshots_of_the_views() {
    let (_dir, path, _) = journal();
    insta::assert_snapshot!("replay_positions_table", ok(&["replay", "--view", "positions"], &path));
    insta::assert_snapshot!(
        "replay_all_json_until_seq_12",
        ok(&["replay", "--until-seq", "12", "--format", "json"], &path)
    );
}

#[test]
fn an_event_the_state_machine_refuses_exits_1_naming_its_seq() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("journal");
    let mut drafts = Lifecycles::new(5, 2).take_drafts(20);
    let ghost = Event::from(OrderSubmitted { client_order_id: ClientOrderId::from("ghost") });
    drafts.push(Draft::new(drafts[19].ts_ns, "order:ghost", ghost));
    Journal::create(&path, &Genesis::new(None), &OpenOptions::default()).unwrap().append(&drafts).unwrap();
    for args in [&["replay"][..], &["audit", "ghost"]] {
        let run = blotter(args, &path);
        assert_eq!(run.code, 1, "{args:?}: {}", run.stderr);
        assert!(run.stderr.contains("refuses") && run.stderr.contains("seq 21"), "{args:?}: {}", run.stderr);
    }
    // Before it, the views are fine.
    assert_eq!(blotter(&["replay", "--until-seq", "20"], &path).code, 0);
}

#[test]
fn a_reader_that_goes_away_ends_the_output_quietly() {
    let (_dir, path, _) = journal();
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/6e_limit_and_market.toml");
    let run_dir = tempfile::tempdir().unwrap();
    let bench: &[&str] = &["bench", "replay", "--events", "1000", "--snapshot-events", "0"];
    let commands: [(&[&str], &Path); 5] = [
        (&["replay", "--view", "reports"], &path),
        (&["verify"], &path),
        (&["run", scenario.to_str().unwrap()], run_dir.path()),
        (&["verify", "--rerun"], run_dir.path()),
        (bench, run_dir.path()),
    ];
    for (args, journal) in commands {
        let mut command = Command::new(env!("CARGO_BIN_EXE_blotter"));
        command.args(args);
        if args[0] != "bench" {
            command.arg("--journal").arg(journal);
        }
        let mut child = command.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        drop(child.stdout.take()); // like `| head -0`
        let status = child.wait().unwrap();
        let mut stderr = String::new();
        child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        assert_eq!(status.code(), Some(0), "{args:?}: {stderr}");
        assert!(stderr.is_empty(), "{args:?}: {stderr}");
    }
    assert!(ok(&["verify"], run_dir.path()).starts_with("ok: 296 events"), "the run did its work");
}

#[test]
fn bench_replay_measures_each_round_in_a_fresh_process_and_reports_the_median() {
    let args = ["bench", "replay", "--events", "2000", "--snapshot-events", "0", "--rounds", "3", "--format", "json"];
    let output = Command::new(env!("CARGO_BIN_EXE_blotter")).args(args).output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut rounds: Vec<f64> =
        report["replay_eps_rounds"].as_array().unwrap().iter().map(|eps| eps.as_f64().unwrap()).collect();
    assert_eq!(rounds.len(), 3, "{report}");
    rounds.sort_by(f64::total_cmp);
    assert_eq!(report["replay_eps"].as_f64(), Some(rounds[1]), "the median round: {report}");
    assert!(report["orders"].as_u64().unwrap() > 0, "{report}");

    // A round on its own: the figures the bench reads back.
    let dir = tempfile::tempdir().unwrap();
    let journal = dir.path().join("j");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/6e_limit_and_market.toml");
    assert_eq!(blotter(&["run", scenario.to_str().unwrap()], &journal).code, 0);
    let round = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["__replay-round", "--events", "296", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    let figures: serde_json::Value = serde_json::from_slice(&round.stdout).unwrap();
    assert!(figures["secs"].as_f64().unwrap() > 0.0 && figures["orders"].as_u64() == Some(7), "{figures}");
    let wrong = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["__replay-round", "--events", "297", "--journal"])
        .arg(&journal)
        .output()
        .unwrap();
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("replayed 296 of 297 events"));
}

#[test]
fn a_bench_journal_is_verified_but_not_read_as_events() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bench");
    let bench = ["bench", "journal", "--events", "300", "--batch", "100", "--format", "json"];
    ok(&bench, &path);
    assert!(ok(&["verify"], &path).starts_with("ok: 300 events"));
    for args in [&["replay"][..], &["audit", "o-1"], &["reconcile"], &["export"], &["verify", "--rerun"]] {
        let run = blotter(args, &path);
        assert_eq!(run.code, 2, "{args:?}: {}", run.stderr);
        assert!(
            run.stderr.contains("holds the synthetic records of `blotter bench journal`"),
            "{args:?}: {}",
            run.stderr
        );
        assert!(!run.stderr.contains("corrupt"), "{args:?}: {}", run.stderr);
    }
}

#[test]
fn errors_and_warnings_to_a_closed_stderr_keep_the_exit_code() {
    let (_dir, path, _) = journal();
    // A damaged checkpoint is skipped with a warning on stderr.
    let views = path.join("snapshots/views");
    for entry in std::fs::read_dir(&views).unwrap() {
        std::fs::write(entry.unwrap().path(), b"not a checkpoint").unwrap();
    }
    let cases: [(&[&str], i32); 3] = [
        (&["replay", "--view", "positions"], 0),
        (&["run", "/nonexistent/scenario.toml"], 2),
        (&["audit", "o-9999"], 2),
    ];
    for (args, code) in cases {
        let mut child = Command::new(env!("CARGO_BIN_EXE_blotter"))
            .args(args)
            .arg("--journal")
            .arg(&path)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        drop(child.stdout.take()); // like `2>&1 | head -0`
        drop(child.stderr.take());
        assert_eq!(child.wait().unwrap().code(), Some(code), "{args:?}: no panic (101), the command's own exit code");
    }
}
