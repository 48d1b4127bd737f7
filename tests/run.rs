//! The scenario runner end to end: every fixture scenario runs in-process and its summary,
//! views and head hash are pinned (insta); the same scenario gives the same journal on any
//! tokio runtime; `verify --rerun` reproduces it byte for byte and names the first divergence
//! of a tampered journal; bad scenarios are refused with exit 2 and write nothing.

use std::path::{Path, PathBuf};
use std::process::Command;

use blotter::engine::{RerunError, rerun};
use blotter::event::{Event, OrderDenied, SubmitOrder};
use blotter::journal::{Genesis, Journal, OpenCheck, OpenOptions};
use blotter::render::views::{Selection, json_string};
use blotter::replay::{Until, replay_with_reports};
use blotter::runner::{RunOptions, RunOutcome, RunSummary, genesis, run_scenario};
use blotter::scenario::{self, Scenario};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

/// The genesis of a fixture run, with a fixed version so that hashes do not change with the
/// crate version.
fn pinned_genesis(scenario: &Scenario) -> Genesis {
    Genesis { blotter_version: "snapshot".into(), ..genesis(scenario) }
}

fn run_on(runtime: tokio::runtime::Runtime, scenario: &Scenario, dir: &Path) -> RunOutcome {
    let journal = Journal::create(dir, &pinned_genesis(scenario), &OpenOptions::default()).unwrap();
    let options = RunOptions { snapshot_every: 50, ..RunOptions::default() };
    runtime.block_on(run_scenario(scenario, journal, |_| {}, options)).unwrap()
}

fn multi_thread(workers: usize) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(workers).enable_all().build().unwrap()
}

/// Runs the binary with `args` and then `--journal journal`.
fn blotter(args: &[&std::ffi::OsStr], journal: &Path) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_blotter")).args(args).arg("--journal").arg(journal).output().unwrap()
}

fn fixture(name: &str) -> Scenario {
    scenario::load(&fixtures().join(name)).unwrap()
}

/// Runs `name` and pins its summary, views (with every execution report) and head.
fn golden(name: &str) {
    let scenario = fixture(name);
    let scratch = tempfile::tempdir().unwrap();
    let outcome = run_on(multi_thread(2), &scenario, &scratch.path().join("journal"));
    let summary = RunSummary::of(&scenario.name, &outcome.state, &outcome.head);
    let replayed = replay_with_reports(&outcome.journal, Until::Head).unwrap();
    assert_eq!(replayed.views, outcome.state.views, "a replay of the journal rebuilds the engine's views");
    let (events, head) = rerun(&outcome.journal).unwrap();
    assert_eq!((events, head), (outcome.head.seq, outcome.head));
    let stem = name.trim_end_matches(".toml");
    insta::assert_json_snapshot!(format!("{stem}__summary"), summary);
    insta::assert_snapshot!(format!("{stem}__views"), json_string(&replayed, Selection::All));
    insta::assert_json_snapshot!(format!("{stem}__reconciliations"), replayed.views.reconciliations.runs());
}

#[test]
fn golden_6e_limit_and_market() {
    golden("6e_limit_and_market.toml");
}

#[test]
fn golden_btc_ioc_fok() {
    golden("btc_ioc_fok.toml");
}

#[test]
fn golden_6e_expiry_and_cancels() {
    golden("6e_expiry_and_cancels.toml");
}

#[test]
fn golden_6e_kill_switch() {
    golden("6e_kill_switch.toml");
}

#[test]
fn golden_6e_reconcile_within() {
    golden("6e_reconcile_within.toml");
}

#[test]
fn golden_6e_reconcile_beyond() {
    golden("6e_reconcile_beyond.toml");
}

#[test]
fn golden_sp500_daily_flips() {
    golden("sp500_daily_flips.toml");
}

#[test]
fn the_same_scenario_gives_the_same_head_on_any_runtime() {
    let scenario = fixture("6e_expiry_and_cancels.toml");
    let scratch = tempfile::tempdir().unwrap();
    let current = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let heads: Vec<_> = [(current, "a"), (multi_thread(1), "b"), (multi_thread(4), "c")]
        .into_iter()
        .map(|(runtime, dir)| run_on(runtime, &scenario, &scratch.path().join(dir)).head)
        .collect();
    assert!(heads.iter().all(|h| *h == heads[0]), "{heads:?}");
}

/// Plain CSV bars are sought to the snapshot's position; gzip bars are read past.
#[test]
fn a_run_stopped_early_resumes_to_the_uninterrupted_head_from_its_snapshots() {
    let cases =
        [("6e_expiry_and_cancels.toml", [1, 57, 150, 300], true), ("btc_ioc_fok.toml", [1, 30, 120, 200], false)];
    for (name, stops, seeks) in cases {
        let scenario = fixture(name);
        let scratch = tempfile::tempdir().unwrap();
        let reference = run_on(multi_thread(2), &scenario, &scratch.path().join("reference")).head;
        let options = |stop_at_seq| RunOptions { snapshot_every: 25, stop_at_seq, ..RunOptions::default() };
        for stop in stops {
            let dir = scratch.path().join(format!("stop-{stop}"));
            let journal = Journal::create(&dir, &pinned_genesis(&scenario), &OpenOptions::default()).unwrap();
            let stopped =
                multi_thread(2).block_on(run_scenario(&scenario, journal, |_| {}, options(Some(stop)))).unwrap();
            assert!(stopped.stats.stopped && stopped.head.seq >= stop && stopped.head.seq < reference.seq);
            let resumed =
                multi_thread(2).block_on(run_scenario(&scenario, stopped.journal, |_| {}, options(None))).unwrap();
            assert_eq!(resumed.resumed_from, Some(stopped.head.seq));
            assert_eq!(resumed.snapshot_seq.is_some(), stop >= 25, "{name} stop {stop}: {:?}", resumed.snapshot_seq);
            assert_eq!(resumed.head, reference, "{name} stop {stop}");
            assert_eq!(resumed.stats.sought, seeks && stop >= 25, "{name} stop {stop}: sought the bars");
        }
    }
}

#[test]
fn rerun_names_the_first_divergence() {
    let scenario = fixture("6e_limit_and_market.toml");
    let scratch = tempfile::tempdir().unwrap();
    let path = scratch.path().join("journal");
    let outcome = run_on(multi_thread(2), &scenario, &path);
    // Copy the journal up to its first submission's decision, then journal a different
    // decision for it (a denial where the engine sent the order).
    let forged_path = scratch.path().join("forged");
    let mut forged = Journal::create(&forged_path, outcome.journal.genesis(), &OpenOptions::default()).unwrap();
    let mut at = None;
    outcome
        .journal
        .reader()
        .for_each(1, outcome.head.seq, |record| {
            let record = record.decode::<blotter::event::Event>()?;
            if let Event::SubmitOrder(SubmitOrder { client_order_id, .. }) = &record.payload
                && at.is_none()
            {
                at = Some((record.envelope.seq + 2, client_order_id.clone()));
            }
            if let Some((seq, id)) = &at
                && record.envelope.seq == *seq
            {
                let denial = Event::from(OrderDenied { client_order_id: id.clone(), reason: "forged".into() });
                let mut batch = forged.batch();
                batch.push_record(&record.envelope, &denial)?;
                forged.commit(batch)?;
                return Ok(std::ops::ControlFlow::Break(()));
            }
            let mut batch = forged.batch();
            batch.push_record(&record.envelope, &record.payload)?;
            forged.commit(batch)?;
            Ok(std::ops::ControlFlow::Continue(()))
        })
        .unwrap();
    let (seq, _) = at.expect("the scenario submits an order");
    match rerun(&forged) {
        Err(RerunError::Diverged(d)) => {
            assert_eq!(d.seq, seq);
            assert!(d.expected.contains("OrderDenied") && d.actual.contains("OrderSubmitted"), "{d:?}");
        }
        other => panic!("expected a divergence, got {other:?}"),
    }
    drop(forged);
    let out = blotter(&["verify".as_ref(), "--rerun".as_ref()], &forged_path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains(&format!("diverged at seq {seq}")), "{stdout}");
}

#[test]
fn the_cli_runs_a_scenario_and_verify_rerun_agrees() {
    let scratch = tempfile::tempdir().unwrap();
    let journal = scratch.path().join("journal");
    let scenario = fixtures().join("6e_limit_and_market.toml");
    let out = blotter(&["run".as_ref(), scenario.as_os_str()], &journal);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}{}", String::from_utf8_lossy(&out.stderr));
    for line in ["orders:", "fills:", "realized pnl:", "fees:", "events:", "events/s", "head:", "positions:"] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
    let head = stdout.lines().find_map(|l| l.strip_prefix("head:")).unwrap().trim().to_owned();
    let out = blotter(&["verify".as_ref(), "--rerun".as_ref()], &journal);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    let last = stdout.lines().last().unwrap();
    assert!(last.starts_with("deterministic: ") && last.ends_with(&format!("head {head}")), "{stdout}");
    // Running the finished scenario again changes nothing and says so.
    let again = blotter(&["run".as_ref(), scenario.as_os_str()], &journal);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert_eq!(again.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("nothing to do"), "{stdout}");
    // Another scenario is refused.
    let other = fixtures().join("sp500_daily_flips.toml");
    let refused = blotter(&["run".as_ref(), other.as_os_str()], &journal);
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert_eq!(refused.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("another scenario"), "{stderr}");
    let reopened = Journal::open(&journal, &OpenOptions { check: OpenCheck::Full, ..Default::default() }).unwrap();
    assert_eq!(reopened.head().hash.to_hex(), head);
}

#[test]
fn bad_scenarios_are_refused_with_exit_2_and_write_nothing() {
    let mut bad: Vec<PathBuf> = std::fs::read_dir(fixtures().join("bad"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "toml"))
        .collect();
    bad.sort();
    assert!(bad.len() >= 8, "one bad scenario per error case: {bad:?}");
    for path in bad {
        let scratch = tempfile::tempdir().unwrap();
        let journal = scratch.path().join("journal");
        let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
            .arg("run")
            .arg(&path)
            .arg("--journal")
            .arg(&journal)
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{}: {stderr}", path.display());
        let name = path.file_name().unwrap().to_string_lossy();
        assert!(stderr.contains(name.as_ref()), "the error names the file: {stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
        let line = stderr.lines().find(|line| line.starts_with("error: ")).expect("an error line");
        let parts: Vec<&str> = line.split(": ").collect();
        let repeated = parts.iter().enumerate().find(|(i, part)| parts[..*i].contains(part));
        assert!(repeated.is_none(), "each cause said once: {line}");
        assert!(!journal.exists(), "{}: nothing is written", path.display());
    }
}

#[test]
fn a_worker_count_or_pace_out_of_range_is_refused_before_anything_is_written() {
    // 100,000 workers used to panic the runtime after the journal was created; a pace of
    // u64::MAX ms waited for ever.
    let pace = [("--pace-ms", "60001"), ("--pace-ms", "18446744073709551615")];
    for (option, value) in [("--workers", "0"), ("--workers", "1025"), ("--workers", "100000")].into_iter().chain(pace)
    {
        let scratch = tempfile::tempdir().unwrap();
        let journal = scratch.path().join("journal");
        let out = Command::new(env!("CARGO_BIN_EXE_blotter"))
            .arg("run")
            .arg(fixtures().join("btc_ioc_fok.toml"))
            .args(["--journal".as_ref(), journal.as_os_str(), option.as_ref(), value.as_ref()])
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{option} {value}: {stderr}");
        assert!(stderr.contains(&format!("invalid value '{value}' for '{option}")), "{stderr}");
        assert!(!journal.exists(), "{option} {value}: nothing is written");
    }
}

#[test]
fn a_run_whose_inputs_are_refused_says_how_many_and_why() {
    let scratch = tempfile::tempdir().unwrap();
    // One bar at a price of zero: every market order's arrival price is then refused.
    std::fs::write(
        scratch.path().join("bars.csv"),
        "timestamp,open,high,low,close,volume\n2024-01-02T14:00:00Z,0,0,0,0,100\n",
    )
    .unwrap();
    let order = |id: &str, at: &str| {
        format!(
            "[[orders]]\nat = \"{at}\"\nid = \"{id}\"\nstrategy = \"s\"\nside = \"buy\"\ntype = \"market\"\nqty = \"1\"\n"
        )
    };
    let toml = format!(
        "name = \"zero prices\"\nseed = 1\n[market]\nbars = \"bars.csv\"\nsymbol = \"X\"\n{}{}",
        order("o-1", "2024-01-02T14:01:00Z"),
        order("o-2", "2024-01-02T14:02:00Z")
    );
    std::fs::write(scratch.path().join("zero.toml"), toml).unwrap();
    let scenario = scenario::load(&scratch.path().join("zero.toml")).unwrap();
    let outcome = run_on(multi_thread(1), &scenario, &scratch.path().join("journal"));
    let summary = RunSummary::of(&scenario.name, &outcome.state, &outcome.head);
    assert_eq!((summary.orders, summary.refused), (0, 2), "{summary:?}");
    let first = summary.first_refused.as_ref().unwrap();
    assert_eq!((first.command.as_str(), first.client_order_id.as_deref()), ("SubmitOrder", Some("o-1")));
    assert_eq!(first.at, "2024-01-02T14:01:00.000000000Z");
    assert!(first.reason.contains("must be positive"), "{first:?}");
    let mut text = Vec::new();
    summary.write_text(&mut text, None).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(text.contains("orders:       0\n"), "{text}");
    assert!(text.contains("refused:      2 inputs (the first: SubmitOrder o-1 at 2024-01-02T14:01:00"), "{text}");
}
