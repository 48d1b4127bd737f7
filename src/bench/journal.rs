//! `blotter bench journal`: durable append throughput against a raw-file baseline, disk
//! footprint, acknowledgement latency under a steady offered load, and verified replay.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::runtime::Runtime;

use super::cpu::{self, CoreUse, ThreadTimes};
use super::latency::Latencies;
use crate::journal::{
    Ack, Appender, Batch, Draft, FlushSummary, Genesis, Head, Journal, JournalError, JournalWriter, Opaque,
    OpenOptions, WriterConfig, bytes_on_disk,
};

#[derive(Debug, Clone)]
pub struct JournalBench {
    pub events: u64,
    pub batch: usize,
    /// Where to put the journal; a temporary directory when `None`.
    pub dir: Option<PathBuf>,
    /// Offered load for the latency phase.
    pub offered_eps: u64,
    /// Events in the latency phase.
    pub latency_events: u64,
    /// The journal's and the raw file's phases (throughput, and latency) alternate in this
    /// many rounds, so a drift in the disk's speed (this machine's is shared and noisy)
    /// falls on both alike.
    pub rounds: u64,
}

impl Default for JournalBench {
    fn default() -> Self {
        JournalBench {
            events: 1_000_000,
            batch: 1000,
            dir: None,
            offered_eps: 100_000,
            latency_events: 300_000,
            rounds: 10,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct JournalBenchReport {
    pub events: u64,
    pub batch: usize,
    pub append_eps: f64,
    pub raw_eps: f64,
    pub append_ratio: f64,
    pub disk_bytes_per_event: f64,
    pub raw_bytes_per_event: f64,
    pub offered_eps: u64,
    pub ack_p50_us: u64,
    pub ack_p99_us: u64,
    pub ack_max_us: u64,
    /// The floor under the same offered load: an ideal group commit to a plain file (one
    /// fdatasync for the records that arrived during the previous one, no threads, no
    /// channels), arrival to durable. The disk decides most of it.
    pub raw_ack_p50_us: u64,
    pub raw_ack_p99_us: u64,
    pub raw_ack_max_us: u64,
    /// The latency phase's flushes (block write, sled flush, witness): how many, an upper
    /// bound on their p99 (a power of two of µs, less one) and the longest. An
    /// acknowledgement waits for the flush in progress and then its own, so long flushes
    /// show the store (sled, the disk) set `ack_p99_us`; short ones, the hand-offs.
    pub flushes: u64,
    pub flush_p99_us: u64,
    pub flush_max_us: u64,
    /// CPU by thread group in the journal's latency rounds, in cores (Linux; else empty).
    pub latency_cpu: BTreeMap<String, CoreUse>,
    pub replay_eps: f64,
    /// How verification hashed the chain's links on this CPU: `avx512`, `avx2` or `scalar`.
    pub link_hashing: &'static str,
}

/// A synthetic record of about 100 encoded bytes, varied so nothing compresses trivially.
pub fn synthetic_draft(i: u64) -> Draft<Opaque> {
    let mut payload = Vec::with_capacity(40);
    let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03;
    while payload.len() < 40 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        payload.extend_from_slice(&x.to_le_bytes());
    }
    payload.truncate(40);
    Draft::new(1_700_000_000_000_000_000 + i as i64 * 1_000, format!("order:o-{}", i % 10_000), Opaque(payload))
}

impl JournalBench {
    pub fn run(&self) -> anyhow::Result<JournalBenchReport> {
        anyhow::ensure!(self.events > 0 && self.batch > 0, "--events and --batch must be positive");
        let scratch = tempfile::tempdir()?;
        let dir = self.dir.clone().unwrap_or_else(|| scratch.path().join("journal"));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;

        // Latency first: after the bulk phases the kernel is still writing back hundreds of
        // MB, and that would be measured instead of the journal.
        let latency_dir = scratch.path().join("latency");
        std::fs::create_dir_all(&latency_dir)?;
        let mut latency = self.latency_phases(&runtime, &latency_dir)?;
        let (append_elapsed, raw_elapsed, raw_bytes) =
            self.throughput_phases(&runtime, &dir, &scratch.path().join("raw.log"))?;
        let disk_bytes = bytes_on_disk(&dir)?;
        // The throughput phases leave hundreds of MB for the kernel to write back; wait for
        // that here, or the replay would be measured against it.
        settle(&dir)?;
        settle(scratch.path())?;
        let replay_elapsed = self.replay_phase(&dir)?;

        let n = self.events as f64;
        let append_eps = n / append_elapsed.as_secs_f64();
        let raw_eps = n / raw_elapsed.as_secs_f64();
        Ok(JournalBenchReport {
            events: self.events,
            batch: self.batch,
            append_eps,
            raw_eps,
            append_ratio: append_eps / raw_eps,
            disk_bytes_per_event: disk_bytes as f64 / n,
            raw_bytes_per_event: raw_bytes as f64 / n,
            offered_eps: self.offered_eps,
            ack_p50_us: latency.journal.percentile(50.0),
            ack_p99_us: latency.journal.percentile(99.0),
            ack_max_us: latency.journal.percentile(100.0),
            raw_ack_p50_us: latency.raw.percentile(50.0),
            raw_ack_p99_us: latency.raw.percentile(99.0),
            raw_ack_max_us: latency.raw.percentile(100.0),
            flushes: latency.flushes.flushes(),
            flush_p99_us: latency.flushes.percentile_at_most_us(99.0),
            flush_max_us: latency.flushes.max_us,
            latency_cpu: latency.cpu,
            replay_eps: n / replay_elapsed.as_secs_f64(),
            link_hashing: crate::journal::link_hashing(),
        })
    }

    fn writer_config(&self) -> WriterConfig {
        WriterConfig { max_batch: self.batch, max_wait: Duration::ZERO, channel_capacity: self.batch * 4 }
    }

    /// Appends every event through the real writer and the same records to a raw file,
    /// alternating in rounds; returns the time spent in each and the raw file's size.
    fn throughput_phases(
        &self,
        runtime: &Runtime,
        dir: &Path,
        raw_path: &Path,
    ) -> anyhow::Result<(Duration, Duration, u64)> {
        let journal = Journal::create(dir, &genesis(1), &OpenOptions::default())?;
        let writer = runtime.block_on(async { JournalWriter::<Opaque>::spawn(journal, self.writer_config()) });
        let appender = writer.appender();
        let mut raw = RawLog::create(raw_path)?;
        let (mut append, mut raw_time) = (Duration::ZERO, Duration::ZERO);
        let per_round = self.events.div_ceil(self.rounds.max(1));
        let mut from = 0;
        while from < self.events {
            let to = (from + per_round).min(self.events);
            append += runtime.block_on(self.append_range(&appender, from..to))?;
            raw_time += raw.append_range(from..to, self.batch)?;
            from = to;
        }
        drop(appender);
        runtime.block_on(writer.close())?;
        Ok((append, raw_time, raw.file.metadata()?.len()))
    }

    /// Appends `range` through the writer, keeping enough in flight to fill batches, and
    /// returns once all of it is durable.
    async fn append_range(
        &self,
        appender: &Appender<Opaque>,
        range: std::ops::Range<u64>,
    ) -> Result<Duration, JournalError> {
        let window = self.batch * 3;
        let start = Instant::now();
        let mut in_flight = VecDeque::with_capacity(window);
        for i in range {
            if in_flight.len() == window {
                let ack: Ack = in_flight.pop_front().expect("window is full");
                ack.durable().await?;
            }
            in_flight.push_back(appender.submit(synthetic_draft(i)).await?);
        }
        for ack in in_flight {
            ack.durable().await?;
        }
        Ok(start.elapsed())
    }

    /// Reads every record back with full verification (CRC, seq, chain) and decodes it.
    fn replay_phase(&self, dir: &Path) -> anyhow::Result<Duration> {
        let journal = Journal::open(dir, &OpenOptions::tail_checked())?;
        let start = Instant::now();
        let mut count = 0u64;
        journal.reader().for_each(1, u64::MAX, |record| {
            let decoded = record.decode::<Opaque>()?;
            count += 1;
            std::hint::black_box(decoded);
            Ok(std::ops::ControlFlow::Continue(()))
        })?;
        let elapsed = start.elapsed();
        anyhow::ensure!(count == self.events, "replay saw {count} of {} events", self.events);
        Ok(elapsed)
    }

    /// Acknowledgement latency under `offered_eps`, the journal's and the raw file's in
    /// alternating rounds (`rounds`), so a stall of the shared disk falls on both alike.
    fn latency_phases(&self, runtime: &Runtime, dir: &Path) -> anyhow::Result<LatencyFigures> {
        let journal = Journal::create(dir.join("journal"), &genesis(2), &OpenOptions::default())?;
        let writer = runtime.block_on(async { JournalWriter::<Opaque>::spawn(journal, self.writer_config()) });
        let appender = writer.appender();
        let mut raw = RawLog::create(&dir.join("raw.log"))?;
        let total = self.latency_events.min(self.events.max(1));
        let mut journal_acks = Latencies::with_capacity(total as usize);
        let mut raw_acks = Latencies::with_capacity(total as usize);
        // CPU seconds by thread group over the journal's rounds, and their wall time.
        let (mut cpu_seconds, mut journal_wall) = (BTreeMap::<String, CoreUse>::new(), Duration::ZERO);
        let per_round = total.div_ceil(self.rounds.max(1));
        let mut from = 0;
        while from < total {
            let to = (from + per_round).min(total);
            let (threads, start) = (ThreadTimes::now(), Instant::now());
            self.offer_to_journal(runtime, &appender, from..to, &mut journal_acks)?;
            let wall = start.elapsed();
            for (group, used) in ThreadTimes::now().since(&threads, wall) {
                let seconds = cpu_seconds.entry(group).or_default();
                seconds.busy += used.busy * wall.as_secs_f64();
                seconds.waiting += used.waiting * wall.as_secs_f64();
            }
            journal_wall += wall;
            self.offer_to_raw(&mut raw, from..to, &mut raw_acks)?;
            from = to;
        }
        let wall = journal_wall.as_secs_f64().max(f64::MIN_POSITIVE);
        let cpu = cpu_seconds
            .into_iter()
            .map(|(group, seconds)| (group, CoreUse { busy: seconds.busy / wall, waiting: seconds.waiting / wall }))
            .collect();
        let flushes = writer.flush_times();
        drop(appender);
        runtime.block_on(writer.close())?;
        Ok(LatencyFigures { journal: journal_acks, raw: raw_acks, flushes, cpu })
    }

    /// Offers the records of `range` at `offered_eps` from a paced thread and records each
    /// one's submit → durable acknowledgement.
    fn offer_to_journal(
        &self,
        runtime: &Runtime,
        appender: &Appender<Opaque>,
        range: std::ops::Range<u64>,
        latencies: &mut Latencies,
    ) -> anyhow::Result<()> {
        let (tx, mut rx) = tokio::sync::mpsc::channel::<(Instant, Ack)>(self.batch * 8);
        let collector = runtime.spawn(async move {
            let mut latencies = Latencies::with_capacity(0);
            while let Some((submitted, ack)) = rx.recv().await {
                ack.durable().await?;
                latencies.record(submitted.elapsed());
            }
            Ok::<_, JournalError>(latencies)
        });
        let handle = runtime.handle().clone();
        let start = Instant::now();
        let mut sent = range.start;
        while sent < range.end {
            let due = (range.start + self.due(start)).min(range.end);
            while sent < due {
                let submitted = Instant::now();
                let ack = handle.block_on(appender.submit(synthetic_draft(sent)))?;
                tx.blocking_send((submitted, ack)).map_err(|_| anyhow::anyhow!("latency collector stopped"))?;
                sent += 1;
            }
            std::thread::sleep(Duration::from_micros(50));
        }
        drop(tx);
        latencies.extend(runtime.block_on(collector)??);
        Ok(())
    }

    /// The raw baseline of [`Self::offer_to_journal`]: the records of `range` arrive at
    /// `offered_eps` on a fixed schedule; each turn appends every record that has arrived as
    /// one block and fdatasyncs it; a record's latency runs from its arrival to the end of
    /// that sync. No threads, no channels: the floor the disk sets.
    fn offer_to_raw(
        &self,
        raw: &mut RawLog,
        range: std::ops::Range<u64>,
        latencies: &mut Latencies,
    ) -> anyhow::Result<()> {
        let arrival = |i: u64| Duration::from_secs_f64((i - range.start) as f64 / self.offered_eps as f64);
        let start = Instant::now();
        let mut done = range.start;
        while done < range.end {
            let arrived = (range.start + self.due(start)).min(range.end);
            if arrived == done {
                std::thread::sleep(Duration::from_micros(50));
                continue;
            }
            raw.append_batch(done..arrived)?;
            let durable = start.elapsed();
            (done..arrived).for_each(|i| latencies.record(durable.saturating_sub(arrival(i))));
            done = arrived;
        }
        Ok(())
    }

    /// How many records have arrived since `start` at the offered load.
    fn due(&self, start: Instant) -> u64 {
        (start.elapsed().as_secs_f64() * self.offered_eps as f64) as u64
    }
}

/// What the latency phases measured.
struct LatencyFigures {
    journal: Latencies,
    raw: Latencies,
    flushes: FlushSummary,
    cpu: BTreeMap<String, CoreUse>,
}

/// Writes back every file under `path` (fsync), so later phases do not compete with it.
fn settle(path: &Path) -> std::io::Result<()> {
    for entry in std::fs::read_dir(path)? {
        let entry = entry?;
        if entry.file_type()?.is_dir() {
            settle(&entry.path())?;
        } else {
            File::open(entry.path())?.sync_all()?;
        }
    }
    Ok(())
}

/// The raw-file baseline: the same records, encoded and framed as the journal frames
/// them, appended to a plain file with one fdatasync per batch.
struct RawLog {
    file: File,
    h0: crate::journal::ChainHash,
    head: Head,
}

/// The genesis `origin` of the journals `bench journal` writes: their records are synthetic
/// bytes, not engine events, which the commands that read events refuse up front.
pub const ORIGIN: &str = "bench journal";

fn genesis(seed: u64) -> Genesis {
    Genesis::new(Some(seed)).with_metadata("origin", ORIGIN)
}

impl RawLog {
    fn create(path: &Path) -> anyhow::Result<RawLog> {
        let h0 = genesis(1).hash()?;
        Ok(RawLog { file: File::create(path)?, h0, head: Head { seq: 0, hash: h0 } })
    }

    /// Appends the records of `range` in batches of `batch`; returns the time it took.
    fn append_range(&mut self, range: std::ops::Range<u64>, batch: usize) -> anyhow::Result<Duration> {
        let start = Instant::now();
        let mut i = range.start;
        while i < range.end {
            let end = (i + batch as u64).min(range.end);
            self.append_batch(i..end)?;
            i = end;
        }
        Ok(start.elapsed())
    }

    /// Encodes, writes and fdatasyncs the records of `range` as one block.
    fn append_batch(&mut self, range: std::ops::Range<u64>) -> anyhow::Result<()> {
        let mut batch = Batch::new(self.h0, self.head);
        for j in range {
            batch.push(&synthetic_draft(j))?;
        }
        let (bytes, committed) = batch.into_block().expect("batch is not empty");
        self.file.write_all(&bytes)?;
        self.file.sync_data()?;
        let last = committed.last().expect("batch is not empty");
        self.head = Head { seq: last.seq, hash: last.hash };
        Ok(())
    }
}

impl JournalBenchReport {
    /// Aligned lines for people.
    pub fn table(&self) -> String {
        let rows = [
            ("events", format!("{} (batch {})", self.events, self.batch)),
            ("append_eps", format!("{:.0}", self.append_eps)),
            ("raw_eps", format!("{:.0}", self.raw_eps)),
            ("append_ratio", format!("{:.3}", self.append_ratio)),
            ("disk_bytes_per_event", format!("{:.1}", self.disk_bytes_per_event)),
            ("raw_bytes_per_event", format!("{:.1}", self.raw_bytes_per_event)),
            ("ack_p50_us", format!("{} (offered {} ev/s)", self.ack_p50_us, self.offered_eps)),
            ("ack_p99_us", format!("{} (max {})", self.ack_p99_us, self.ack_max_us)),
            ("raw_ack_p50_us", format!("{} (group commit to a plain file, same load)", self.raw_ack_p50_us)),
            ("raw_ack_p99_us", format!("{} (max {})", self.raw_ack_p99_us, self.raw_ack_max_us)),
            (
                "flushes",
                format!(
                    "{} in the latency phase: p99 under {} µs, max {} µs",
                    self.flushes,
                    self.flush_p99_us + 1,
                    self.flush_max_us
                ),
            ),
            ("latency_cpu", cpu::describe(&self.latency_cpu)),
            ("replay_eps", format!("{:.0} (links hashed: {})", self.replay_eps, self.link_hashing)),
        ];
        rows.iter().map(|(k, v)| format!("{k:<22} {v}\n")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_small_run_reports_every_figure() {
        let bench = JournalBench {
            events: 3_000,
            batch: 100,
            offered_eps: 20_000,
            latency_events: 1_000,
            ..Default::default()
        };
        let report = bench.run().unwrap();
        assert!(report.append_eps > 0.0 && report.raw_eps > 0.0 && report.replay_eps > 0.0, "{report:?}");
        assert!(report.disk_bytes_per_event > 0.0 && report.raw_bytes_per_event > 0.0, "{report:?}");
        assert!(0 < report.ack_p50_us && report.ack_p50_us <= report.ack_p99_us, "{report:?}");
        assert!(report.ack_p99_us <= report.ack_max_us && report.raw_ack_p99_us <= report.raw_ack_max_us, "{report:?}");
        // Every latency round flushed, and no acknowledgement came back faster than a flush.
        assert!(report.flushes >= bench.rounds && report.flush_p99_us <= report.flush_max_us, "{report:?}");
        assert!(report.flush_max_us <= report.ack_max_us, "{report:?}");
        if std::path::Path::new("/proc/self/schedstat").exists() {
            // The journal's own threads did the work, and the table says so.
            let journal = report.latency_cpu.get("blotter-journal").copied().unwrap_or_default();
            assert!(journal.busy > 0.0, "{:?}", report.latency_cpu);
            assert!(report.table().contains("blotter-journal"), "{}", report.table());
        }
    }
}
