//! Operators on a running engine: `blotter halt`/`resume` reach a run through its control
//! socket; the run journals each request as a `LiveOperatorCommand`, answers once it is
//! durable, and a resumed run (after a stop or a SIGKILL) feeds it again at its seq, so the
//! journal re-runs and recovers exactly.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use blotter::engine::rerun;
use blotter::event::{Event, OperatorAction};
use blotter::journal::{Genesis, Journal, OpenOptions};
use blotter::runner::control::{ControlCall, ControlReply, ControlRequest, SOCKET};
use blotter::runner::{RunOptions, RunOutcome, genesis, run_scenario};
use blotter::scenario::{self, Scenario};
use tokio::sync::{mpsc, oneshot};

fn fixture(name: &str) -> (PathBuf, Scenario) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name);
    let scenario = scenario::load(&path).unwrap();
    (path, scenario)
}

fn pinned_genesis(scenario: &Scenario) -> Genesis {
    Genesis { blotter_version: "snapshot".into(), ..genesis(scenario) }
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// Runs `scenario` into `journal`, with `request` queued on the control channel before the
/// run starts (so it is taken at the first chance: a deterministic place).
fn run_with(
    scenario: &Scenario,
    journal: Journal,
    request: Option<ControlRequest>,
    stop_at_seq: Option<u64>,
) -> (RunOutcome, Option<ControlReply>) {
    let (tx, calls) = mpsc::channel(4);
    let answer = request.map(|request| {
        let (reply, answer) = oneshot::channel();
        tx.try_send(ControlCall { request, reply }).unwrap();
        answer
    });
    let options = RunOptions { snapshot_every: 25, stop_at_seq, control: Some(calls), ..RunOptions::default() };
    let runtime = runtime();
    let outcome = runtime.block_on(run_scenario(scenario, journal, |_| {}, options)).unwrap();
    let reply = answer.map(|answer| runtime.block_on(answer).unwrap());
    (outcome, reply)
}

fn kill_switch() -> ControlRequest {
    ControlRequest { operator: "ops".into(), action: OperatorAction::KillSwitch, reason: "drill".into() }
}

#[test]
fn a_live_kill_switch_is_journaled_denies_orders_and_resumes_exactly() {
    let (_, scenario) = fixture("6e_limit_and_market.toml");
    let scratch = tempfile::tempdir().unwrap();
    let create = |name: &str| {
        Journal::create(scratch.path().join(name), &pinned_genesis(&scenario), &OpenOptions::default()).unwrap()
    };
    let (reference, reply) = run_with(&scenario, create("reference"), Some(kill_switch()), None);
    let Some(ControlReply::Done(done)) = reply else { panic!("the request was not taken: {reply:?}") };
    assert_eq!((done.halted_before, done.halted_after.as_deref()), (None, Some("kill switch: drill")));
    let record = |seq| reference.journal.reader().records::<Event>(seq, seq).unwrap().next().unwrap().unwrap();
    assert!(
        matches!(record(done.seq).payload, Event::LiveOperatorCommand(ref c) if c.action == OperatorAction::KillSwitch)
    );
    assert_eq!(record(done.seq + 1).payload.type_name(), "EngineHalted");
    let oms = &reference.state.views.oms;
    assert!(!oms.is_empty() && oms.iter().all(|o| o.status == blotter::domain::OrderStatus::Denied));
    assert_eq!(rerun(&reference.journal).unwrap().1, reference.head, "verify --rerun reproduces live commands");

    // Stopped anywhere (before or after the snapshots), a run resumed without any operator
    // feeds the journaled command again and ends exactly where the reference did.
    for stop in [done.seq, 20, 60, 200] {
        let (stopped, _) = run_with(&scenario, create(&format!("stop-{stop}")), Some(kill_switch()), Some(stop));
        assert!(stopped.stats.stopped, "stop {stop}");
        let (resumed, _) = run_with(&scenario, stopped.journal, None, None);
        assert_eq!(resumed.head, reference.head, "stop {stop}");
    }
}

fn blotter(args: &[&str], journal: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_blotter")).args(args).arg("--journal").arg(journal).output().unwrap()
}

fn reply_of(output: &Output) -> serde_json::Value {
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    serde_json::from_slice(&output.stdout).unwrap()
}

#[test]
fn halt_and_resume_reach_a_running_engine_and_survive_a_sigkill() {
    let (path, _) = fixture("6e_limit_and_market.toml");
    let scratch = tempfile::tempdir().unwrap();
    let dir = scratch.path().join("journal");
    // Paced: about 30 ms of wall time per input, several seconds in all.
    let mut child = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["run", path.to_str().unwrap(), "--pace-ms", "30", "--snapshot-every", "0", "--journal"])
        .arg(&dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !dir.join(SOCKET).exists() {
        assert!(Instant::now() < deadline, "the run never served its control socket");
        std::thread::sleep(Duration::from_millis(10));
    }
    let halted = reply_of(&blotter(&["halt", "--reason", "drill", "--operator", "ops", "--format", "json"], &dir));
    let resumed = reply_of(&blotter(&["resume", "--reason", "clear", "--operator", "ops", "--format", "json"], &dir));
    child.kill().unwrap(); // SIGKILL, mid-run
    assert!(!child.wait().unwrap().success());
    let (halt_seq, resume_seq) = (halted["Done"]["seq"].as_u64().unwrap(), resumed["Done"]["seq"].as_u64().unwrap());
    assert!(halt_seq < resume_seq, "{halted} {resumed}");
    assert_eq!(halted["Done"]["halted_after"], "kill switch: drill");
    assert_eq!(resumed["Done"]["halted_after"], serde_json::Value::Null);

    // Restarted without pace or operator: it re-decides the journal (live commands included)
    // from the start and finishes; the journal re-runs byte for byte.
    let restarted = Command::new(env!("CARGO_BIN_EXE_blotter"))
        .args(["run", path.to_str().unwrap(), "--snapshot-every", "0", "--journal"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(restarted.status.success(), "{}", String::from_utf8_lossy(&restarted.stderr));
    assert!(String::from_utf8_lossy(&restarted.stdout).contains("resuming:"));
    let verified = blotter(&["verify", "--rerun"], &dir);
    assert!(verified.status.success(), "{}", String::from_utf8_lossy(&verified.stdout));
    let audit = blotter(&["audit", "engine", "--format", "json"], &dir);
    let audit: serde_json::Value = serde_json::from_slice(&audit.stdout).unwrap();
    let live: Vec<(u64, String)> = audit["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["event"] == "LiveOperatorCommand")
        .map(|e| (e["seq"].as_u64().unwrap(), e["detail"].as_str().unwrap().to_owned()))
        .collect();
    assert_eq!(
        live,
        [(halt_seq, "KillSwitch by ops (live): drill".to_owned()), (resume_seq, "Resume by ops (live): clear".into())]
    );
    assert!(!dir.join(SOCKET).exists(), "the finished run removed its socket");
}

#[test]
fn halt_without_a_running_engine_is_refused() {
    let scratch = tempfile::tempdir().unwrap();
    let output = blotter(&["halt"], scratch.path());
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("no run is serving"), "{stderr}");
}
