//! `blotter bench replay`: rebuilding the order views from a journal of realistic order
//! lifecycles, from genesis (`replay_eps`) and from a checkpoint (`snapshot_open_ms`: open a
//! large journal, load the newest views checkpoint, fold the tail, ready).

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use serde::{Deserialize, Serialize};

use super::cpu::ProcessUsage;
use super::stages::{self, StageCosts};
use crate::event::Event;
use crate::event::synthetic::Lifecycles;
use crate::journal::{Envelopes, Genesis, Journal, OpenOptions};
use crate::replay::{self, Until, checkpoint};

#[derive(Debug, Clone)]
pub struct ReplayBench {
    /// Events in the journal replayed from genesis.
    pub events: u64,
    /// Events in the journal opened from a checkpoint.
    pub snapshot_events: u64,
    /// Events journaled after the checkpoint (the tail folded at open).
    pub tail_events: u64,
    /// Orders in flight at once in the synthetic lifecycles.
    pub concurrency: usize,
    /// Replays from genesis measured; the median counts.
    pub rounds: usize,
    /// Where each of those replays runs.
    pub round_in: RoundIn,
}

/// Where a measured replay from genesis runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoundIn {
    /// In this process: rounds after the first reuse memory the one before freed, so they
    /// are faster than a user's replay in a fresh process (tests, which have no binary).
    ThisProcess,
    /// Each in a fresh process of this binary (`blotter __replay-round`), as cold as a
    /// user's `blotter replay`: its page faults, empty caches and allocator included.
    FreshProcess(PathBuf),
}

impl Default for ReplayBench {
    fn default() -> Self {
        ReplayBench {
            events: 1_000_000,
            snapshot_events: 10_000_000,
            tail_events: 10_000,
            concurrency: 64,
            rounds: 3,
            round_in: RoundIn::ThisProcess,
        }
    }
}

/// One measured replay from genesis.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct RoundFigures {
    pub secs: f64,
    /// CPU time of every thread, and its kernel part, in ns.
    pub cpu_ns: u64,
    pub sys_ns: u64,
    pub minor_faults: u64,
    pub orders: usize,
}

/// Replays the journal at `dir` from genesis into every view, measured: one round of `bench
/// replay` (what `blotter __replay-round` runs and prints). The journal must hold `events`.
pub fn replay_round(dir: &Path, events: u64) -> anyhow::Result<RoundFigures> {
    let journal = Journal::open(dir, &OpenOptions::tail_checked())?;
    let (start, usage) = (Instant::now(), ProcessUsage::now());
    let full = replay::replay(&journal, Until::Head)?;
    let secs = start.elapsed().as_secs_f64();
    let used = ProcessUsage::used_since(usage);
    anyhow::ensure!(full.folded == events, "replayed {} of {events} events", full.folded);
    let nanos = |d: std::time::Duration| u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
    Ok(RoundFigures {
        secs,
        cpu_ns: nanos(used.cpu),
        sys_ns: nanos(used.system),
        minor_faults: used.minor_faults,
        orders: full.views.oms.len(),
    })
}

#[derive(Debug, Clone, Serialize)]
pub struct ReplayBenchReport {
    pub events: u64,
    pub orders: usize,
    /// The median of `replay_eps_rounds`; the CPU figures below are that round's.
    pub replay_eps: f64,
    /// Every measured replay from genesis, in the order run (each in a fresh process of
    /// the binary when run from the command line).
    pub replay_eps_rounds: Vec<f64>,
    /// CPU time (every thread: reading, verifying, decoding, folding) per replayed event, in
    /// ns: what the replay costs, which the machine's noise moves less than `replay_eps`.
    /// On `n` cores a replay can go no faster than `n × 1e9 / replay_cpu_ns` events/s.
    pub replay_cpu_ns: f64,
    /// The kernel's part of `replay_cpu_ns`: mostly first touches of fresh memory (page
    /// faults) and reads of the journal's files. Tells a slow run's extra CPU in the kernel
    /// from extra time in blotter's own code.
    pub replay_sys_ns: f64,
    /// Cores busy during the replay on average (`replay_cpu_ns × replay_eps / 1e9`).
    pub replay_cores: f64,
    /// Minor page faults during the replay: fresh memory touched (mostly the views).
    pub replay_page_faults: u64,
    /// Baseline: the same journal read, verified and decoded, without folding.
    pub decode_eps: f64,
    /// CPU time per event of that baseline, in ns (`replay_cpu_ns` less this: the folding).
    pub decode_cpu_ns: f64,
    /// Each stage alone on one thread over records in memory, the fastest of several
    /// rounds: where a replay's CPU goes, measured through the noise.
    pub stages: StageCosts,
    pub snapshot_events: u64,
    pub tail_events: u64,
    pub snapshot_bytes: usize,
    pub snapshot_open_ms: f64,
    /// The same open without the checkpoint: a full replay of the large journal.
    pub full_open_ms: f64,
    /// How verification hashed the chain's links on this CPU: `avx512`, `avx2` or `scalar`.
    pub link_hashing: &'static str,
}

/// Records per appended block while building the journals.
const BUILD_BATCH: usize = 1000;

impl ReplayBench {
    pub fn run(&self) -> anyhow::Result<ReplayBenchReport> {
        anyhow::ensure!(self.events > 0, "--events must be positive");
        anyhow::ensure!(
            self.snapshot_events == 0 || (self.tail_events > 0 && self.tail_events < self.snapshot_events),
            "--tail-events must be positive and below --snapshot-events"
        );
        let scratch = tempfile::tempdir()?;

        let small = scratch.path().join("replay");
        build(&small, self.events, 0, self.concurrency)?;
        let rounds = (0..self.rounds.max(1)).map(|_| self.round(&small)).collect::<anyhow::Result<Vec<_>>>()?;
        let replay_eps_rounds: Vec<f64> = rounds.iter().map(|round| self.events as f64 / round.secs).collect();
        let median = median_round(&rounds);
        let journal = Journal::open(&small, &OpenOptions::tail_checked())?;
        let (start, usage) = (Instant::now(), ProcessUsage::now());
        let decoded = decode_only(&journal)?;
        let decode_secs = start.elapsed().as_secs_f64();
        let decode_usage = ProcessUsage::used_since(usage);
        anyhow::ensure!(decoded == self.events, "decoded {decoded} of {} events", self.events);
        let stages = stages::measure(&journal)?;
        drop(journal);

        // `--snapshot-events 0` measures the replay from genesis alone.
        let (mut snapshot_bytes, mut snapshot_open_ms, mut full_open_ms) = (0, 0.0, 0.0);
        if self.snapshot_events > 0 {
            let large = scratch.path().join("snapshot");
            snapshot_bytes = build(&large, self.snapshot_events, self.tail_events, self.concurrency)?;
            let (open, from) = open_ms(&large, true)?;
            anyhow::ensure!(from.is_some(), "the open did not use the checkpoint");
            snapshot_open_ms = open;
            full_open_ms = open_ms(&large, false)?.0;
        }

        Ok(ReplayBenchReport {
            events: self.events,
            orders: median.orders,
            replay_eps: self.events as f64 / median.secs,
            replay_eps_rounds,
            replay_cpu_ns: median.cpu_ns as f64 / self.events as f64,
            replay_sys_ns: median.sys_ns as f64 / self.events as f64,
            replay_cores: median.cpu_ns as f64 / 1e9 / median.secs,
            replay_page_faults: median.minor_faults,
            decode_eps: self.events as f64 / decode_secs,
            decode_cpu_ns: decode_usage.cpu.as_nanos() as f64 / self.events as f64,
            stages,
            snapshot_events: self.snapshot_events,
            tail_events: self.tail_events,
            snapshot_bytes,
            snapshot_open_ms,
            full_open_ms,
            link_hashing: crate::journal::link_hashing(),
        })
    }
}

impl ReplayBench {
    /// One measured replay from genesis of the journal at `dir`.
    fn round(&self, dir: &Path) -> anyhow::Result<RoundFigures> {
        let RoundIn::FreshProcess(binary) = &self.round_in else { return replay_round(dir, self.events) };
        let output = std::process::Command::new(binary)
            .arg("__replay-round")
            .arg("--journal")
            .arg(dir)
            .args(["--events", &self.events.to_string()])
            .output()
            .with_context(|| format!("running {} __replay-round", binary.display()))?;
        let stderr = String::from_utf8_lossy(&output.stderr);
        anyhow::ensure!(output.status.success(), "a replay round failed ({}): {}", output.status, stderr.trim());
        serde_json::from_slice(&output.stdout).context("reading a replay round's figures")
    }
}

/// The round with the median time (the slower middle one of an even count).
fn median_round(rounds: &[RoundFigures]) -> RoundFigures {
    let mut sorted = rounds.to_vec();
    sorted.sort_by(|a, b| a.secs.total_cmp(&b.secs));
    sorted[sorted.len() / 2]
}

impl ReplayBenchReport {
    pub fn table(&self) -> String {
        let table = format!(
            "replay       {:>12.0} events/s  ({} events, {} orders, from genesis; median of {})\n\
             replay cpu   {:>12.0} ns/event  ({:.0} in the kernel; {:.2} cores busy, {} page faults)\n\
             decode only  {:>12.0} events/s  (baseline: read, verify, decode; no views; links hashed: {})\n\
             decode cpu   {:>12.0} ns/event\n\
             stages       verify {:.1}, decode {:.1}, fold {:.1} ns/event  (one thread each, records in memory, fastest of {} rounds over {} events)\n",
            self.replay_eps,
            self.events,
            self.orders,
            rounds_text(&self.replay_eps_rounds),
            self.replay_cpu_ns,
            self.replay_sys_ns,
            self.replay_cores,
            self.replay_page_faults,
            self.decode_eps,
            self.link_hashing,
            self.decode_cpu_ns,
            self.stages.verify_ns,
            self.stages.decode_ns,
            self.stages.fold_ns,
            stages::ROUNDS,
            self.stages.events,
        );
        if self.snapshot_events == 0 {
            return table + "open         (not measured: --snapshot-events 0)\n";
        }
        table
            + &format!(
                "open         {:>12.1} ms        ({} events: checkpoint of {} bytes + {} tail)\n\
                 open (full)  {:>12.1} ms        (same journal, no checkpoint)\n",
                self.snapshot_open_ms, self.snapshot_events, self.snapshot_bytes, self.tail_events, self.full_open_ms,
            )
    }
}

/// `3.41M, 3.52M, 2.95M`: each round's events/s, in the order run.
fn rounds_text(rounds: &[f64]) -> String {
    rounds.iter().map(|eps| format!("{:.2}M", eps / 1e6)).collect::<Vec<_>>().join(", ")
}

/// Writes `events` synthetic lifecycle events into a new journal at `dir`; when `tail > 0`,
/// saves a views checkpoint `tail` events before the end. Returns the checkpoint's size.
fn build(dir: &Path, events: u64, tail: u64, concurrency: usize) -> anyhow::Result<usize> {
    let mut journal = Journal::create(dir, &Genesis::new(Some(42)), &OpenOptions::default())?;
    let mut drafts = Lifecycles::new(42, concurrency);
    let checkpoint_at = if tail > 0 { events - tail } else { 0 };
    let mut written = 0;
    let mut size = 0;
    while written < events {
        let mut n = (events - written).min(BUILD_BATCH as u64);
        if written < checkpoint_at {
            n = n.min(checkpoint_at - written);
        }
        let batch: Vec<_> = drafts.by_ref().take(n as usize).collect();
        journal.append(&batch)?;
        written += n;
        if written == checkpoint_at {
            let state = replay::replay(&journal, Until::Head)?;
            size = checkpoint::save(&journal, &state)?;
        }
    }
    Ok(size)
}

/// Opens the journal at `dir` (checking its tail) and brings the views to its head, with or
/// without the checkpoint. Returns the time taken and the checkpoint used.
fn open_ms(dir: &Path, from_checkpoint: bool) -> anyhow::Result<(f64, Option<u64>)> {
    let start = Instant::now();
    let journal = Journal::open(dir, &OpenOptions::tail_checked())?;
    let state = if from_checkpoint {
        replay::replay_from_snapshot(&journal, Until::Head)?
    } else {
        replay::replay(&journal, Until::Head)?
    };
    let elapsed = start.elapsed().as_secs_f64() * 1e3;
    anyhow::ensure!(state.at == journal.head(), "views not at the head");
    Ok((elapsed, state.from_snapshot))
}

/// Reads, verifies and decodes every record without folding it (the same pipelined reader
/// as replay): the floor under replay.
fn decode_only(journal: &Journal) -> anyhow::Result<u64> {
    let mut count = 0;
    journal.reader().decoded::<Event>(1, u64::MAX, Envelopes::Skip)?.try_for_each_record(|decoded| {
        std::hint::black_box(decoded.record);
        count += 1;
        Ok::<_, anyhow::Error>(ControlFlow::Continue(()))
    })?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_replay_bench_reports_its_cost_per_event() {
        let bench = ReplayBench { events: 3000, snapshot_events: 0, ..ReplayBench::default() };
        let report = bench.run().unwrap();
        assert_eq!(report.events, 3000);
        assert_eq!(report.replay_eps_rounds.len(), 3, "{report:?}");
        let mut sorted = report.replay_eps_rounds.clone();
        sorted.sort_by(f64::total_cmp);
        assert_eq!(report.replay_eps, sorted[1], "the median round");
        assert!(report.orders > 0 && report.replay_eps > 0.0 && report.decode_eps > 0.0, "{report:?}");
        if ProcessUsage::now().is_some() {
            assert!(report.replay_cpu_ns > 0.0 && report.decode_cpu_ns > 0.0, "{report:?}");
            assert!(report.replay_cores > 0.0, "{report:?}");
            assert!(report.replay_sys_ns <= report.replay_cpu_ns, "{report:?}");
        }
        let table = report.table();
        assert!(table.contains("replay cpu") && table.contains("in the kernel"), "{table}");
        assert_eq!(report.stages.events, 3000);
        assert!(table.contains("fold "), "{table}");
        assert!(table.ends_with("open         (not measured: --snapshot-events 0)\n"), "{table}");
    }
}
