//! Restart recovery: `blotter run` is SIGKILLed at seeded points across a scenario (right
//! after a given seq became durable: some at pending cancels, some at partial fills, the
//! rest spread over the run) and started again with the same command; every recovered run
//! must end with the uninterrupted run's head hash and views. Runs snapshot the simulation
//! every 40 records, so most restarts resume from a snapshot and some from genesis.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use blotter::domain::OrderStatus;
use blotter::event::Event;
use blotter::journal::{Journal, OpenCheck, OpenOptions};
use blotter::replay::{Until, replay};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn run(scenario: &Path, journal: &Path, kill_at: Option<u64>) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_blotter"));
    command.arg("run").arg(scenario).arg("--journal").arg(journal).args(["--snapshot-every", "40"]);
    if let Some(seq) = kill_at {
        command.env("BLOTTER_TEST_KILL_AT_SEQ", seq.to_string());
    }
    command.output().unwrap()
}

fn views_json(journal: &Path) -> String {
    Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["replay", "--view", "all", "--format", "json", "--journal"])
        .arg(journal)
        .output()
        .map(|out| String::from_utf8(out.stdout).unwrap())
        .unwrap()
}

/// The reference run: its head, its views, and the seqs worth killing at.
struct Reference {
    head: String,
    views: String,
    pending_cancels: Vec<u64>,
    partial_fills: Vec<u64>,
    last_seq: u64,
}

fn reference(scenario: &Path, dir: &Path) -> Reference {
    let out = run(scenario, dir, None);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let journal = Journal::open(dir, &OpenOptions { check: OpenCheck::Full, ..Default::default() }).unwrap();
    let (mut pending_cancels, mut partial_fills) = (Vec::new(), Vec::new());
    for record in journal.reader().records::<Event>(1, journal.head().seq).unwrap() {
        let record = record.unwrap();
        let seq = record.envelope.seq;
        match &record.payload {
            Event::CancelRequested(_) => pending_cancels.push(seq),
            Event::OrderFilled(fill) => {
                let order = replay(&journal, Until::Seq(seq))
                    .unwrap()
                    .views
                    .oms
                    .get(&fill.client_order_id)
                    .map(blotter::projection::OrderRef::into_owned);
                if order.is_some_and(|o| o.status == OrderStatus::PartiallyFilled) {
                    partial_fills.push(seq);
                }
            }
            _ => {}
        }
    }
    let head = journal.head();
    drop(journal);
    Reference { head: head.hash.to_hex(), views: views_json(dir), pending_cancels, partial_fills, last_seq: head.seq }
}

/// Seeded xorshift64*: reproducible kill points.
fn seeded(mut state: u64, n: usize, below: u64) -> Vec<u64> {
    (0..n)
        .map(|_| {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            1 + state.wrapping_mul(0x2545_F491_4F6C_DD1D) % (below - 1)
        })
        .collect()
}

/// Kills a run after each seq in `kill_points`, restarts it, and checks it against `reference`.
/// Returns how many runs were really killed (a kill may land after a short run finished).
fn sweep(scenario: &Path, reference: &Reference, kill_points: &[u64], scratch: &Path) -> (usize, usize, usize) {
    let (mut killed, mut resumed, mut from_snapshot) = (0, 0, 0);
    for (i, seq) in kill_points.iter().enumerate() {
        let dir = scratch.join(format!("kill-{i}"));
        let crashed = run(scenario, &dir, Some(*seq));
        if crashed.status.code().is_none() {
            killed += 1;
            let restarted = run(scenario, &dir, None);
            let stdout = String::from_utf8_lossy(&restarted.stdout);
            assert!(
                restarted.status.success(),
                "kill at {seq}: {stdout}{}",
                String::from_utf8_lossy(&restarted.stderr)
            );
            assert!(stdout.contains("resuming") || stdout.contains("nothing to do"), "{stdout}");
            resumed += usize::from(stdout.contains("resuming"));
            from_snapshot += usize::from(stdout.contains("from the snapshot at seq"));
        } else {
            assert!(crashed.status.success(), "{}", String::from_utf8_lossy(&crashed.stderr));
        }
        let journal = Journal::open(&dir, &OpenOptions { check: OpenCheck::Full, ..Default::default() }).unwrap();
        assert_eq!(journal.head().hash.to_hex(), reference.head, "kill after seq {seq}: a different history");
        drop(journal);
        assert_eq!(views_json(&dir), reference.views, "kill after seq {seq}: different views");
    }
    (killed, resumed, from_snapshot)
}

#[test]
fn a_run_killed_anywhere_resumes_to_the_uninterrupted_head_and_views() {
    let scratch = tempfile::tempdir().unwrap();
    let (mut killed, mut resumed, mut from_snapshot, mut at_pending_cancels, mut at_partial_fills) = (0, 0, 0, 0, 0);
    for (name, seed) in [("6e_expiry_and_cancels.toml", 0x5eed_0001), ("btc_ioc_fok.toml", 0x5eed_0002)] {
        let scenario = fixture(name);
        let reference = reference(&scenario, &scratch.path().join(format!("{name}-reference")));
        let mut points: Vec<u64> = reference.pending_cancels.iter().take(3).copied().collect();
        points.extend(reference.partial_fills.iter().take(3));
        at_pending_cancels += reference.pending_cancels.len().min(3);
        at_partial_fills += reference.partial_fills.len().min(3);
        points.extend(seeded(seed, 8, reference.last_seq));
        let (k, r, s) = sweep(&scenario, &reference, &points, &scratch.path().join(name));
        (killed, resumed, from_snapshot) = (killed + k, resumed + r, from_snapshot + s);
    }
    assert!(at_pending_cancels >= 3 && at_partial_fills >= 3, "{at_pending_cancels} {at_partial_fills}");
    assert!(killed >= 20, "only {killed} runs were killed before they finished");
    assert!(resumed >= 20, "only {resumed} of {killed} killed runs had to resume (the others had finished)");
    // Snapshots every 40 records: most resumes start from one, a few (killed early) from genesis.
    assert!(from_snapshot >= 10 && from_snapshot < resumed, "{from_snapshot} of {resumed} resumed from a snapshot");
}
