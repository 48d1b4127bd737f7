//! `blotter bench engine`: order lifecycles through the whole engine with the durable
//! journal. A loopback broker answers every released submission with an acknowledgement and
//! a full fill, fed back as inputs. Two phases, each on a fresh journal:
//! - throughput: a client keeps `window` lifecycles in flight, as many as the engine takes
//!   (`lifecycles_per_s`, the median of `rounds` rounds: one round on this shared machine
//!   varies ±15%); the latency seen there is the window's queue (Little's law);
//! - latency: orders arrive at a steady offered rate (the target's 100k lifecycles/s by
//!   default), and every input's time to the durability of its decision is recorded from
//!   when it was due (`p99_input_to_durable_us`), so a stall counts for every input it
//!   delays (no coordinated omission). Durable means the moment the journal published the
//!   flush covering the decision ([`crate::engine::Durable::durable_at`]); when the bench's
//!   own watcher got to it is reported beside it (`p99_input_to_observed_us`).
//!
//! Before the phases, the bench faults in `prefault_mib` of heap and keeps what is freed
//! ([`crate::memory::prefault`]), as an engine in live use does at start-up: the engine
//! grows by ~1.5 KB a lifecycle, and faulting that in as it goes was a sixth of a profile's
//! samples (kernel time zeroing fresh pages).
//! `latency_page_faults` shows what was still faulted in during the latency phase.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use super::cpu::{self, CoreUse, ProcessUsage, ThreadTimes};
use super::latency::Latencies;
use super::market_order;
use crate::broker::BrokerCommand;
use crate::domain::LiquiditySide;
use crate::engine::{Core, Engine, EngineInputs, Reply};
use crate::event::{BrokerAccepted, BrokerFilled, Event};
use crate::journal::{Genesis, Journal, JournalWriter, OpenOptions, WriterConfig};
use crate::memory;

#[derive(Debug, Clone)]
pub struct EngineBench {
    /// Lifecycles in the throughput phase.
    pub lifecycles: u64,
    /// Lifecycles in flight at most in the throughput phase.
    pub window: usize,
    /// Throughput rounds (each on a fresh journal); the median round is reported.
    pub rounds: usize,
    /// Lifecycles offered per second, steadily, in the latency phase.
    pub offered_lps: u64,
    /// Lifecycles in the latency phase (0: skip it).
    pub latency_lifecycles: u64,
    /// Heap faulted in before the phases, MiB (0: none, and freed memory goes back to the
    /// OS as mimalloc's default has it).
    pub prefault_mib: usize,
}

/// `--prefault-mib`'s default: above what the default phases grow to (each ~300 MB).
pub const DEFAULT_PREFAULT_MIB: usize = 1024;

#[derive(Debug, Clone, Serialize)]
pub struct EngineBenchReport {
    pub lifecycles: u64,
    pub events: u64,
    pub seconds: f64,
    /// Throughput phase: as many lifecycles as the engine takes (`window` in flight); the
    /// median of `rounds` rounds, with the slowest and fastest.
    pub lifecycles_per_s: f64,
    pub events_per_s: f64,
    pub rounds: usize,
    pub lifecycles_per_s_min: f64,
    pub lifecycles_per_s_max: f64,
    /// The throughput phase's latency: mostly the window's queue (Little's law).
    pub saturated_p99_input_to_durable_us: u64,
    /// Latency phase: lifecycles offered per second, steadily.
    pub offered_lifecycles_per_s: u64,
    /// The rate the latency phase achieved (below the offered rate if the engine fell behind).
    pub latency_lifecycles_per_s: f64,
    /// Latency phase: input → durable decision, counted from when the input was due.
    pub p50_input_to_durable_us: u64,
    pub p99_input_to_durable_us: u64,
    pub max_input_to_durable_us: u64,
    /// Latency phase, the two parts of an input's time (each its own p99, so they need not
    /// add up): waiting for the engine to take it from its queue, and from then until its
    /// decision was durable (deciding, the journal).
    pub p99_wait_for_engine_us: u64,
    pub p99_engine_to_durable_us: u64,
    /// Latency phase: input → the bench's watcher seeing the decision durable, which adds
    /// the watcher's own wait for a core (it awaits every input in turn).
    pub p99_input_to_observed_us: u64,
    /// CPU by thread group in the median throughput round, in cores (Linux; else empty).
    pub saturated_cpu: BTreeMap<String, CoreUse>,
    /// CPU by thread group in the latency phase: whether the engine ran out of cores.
    pub latency_cpu: BTreeMap<String, CoreUse>,
    /// Page faults in the latency phase (first touches of memory, mostly), the whole process.
    pub latency_page_faults: u64,
    /// Heap faulted in before the phases, and how long that took.
    pub prefault_mib: usize,
    pub prefault_ms: f64,
}

/// What a pending decision was the answer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Submit,
    Ack,
    Fill,
}

type Watched = (Instant, Reply, Step);

/// How submissions are offered.
#[derive(Debug, Clone, Copy)]
enum Load {
    /// As fast as the engine takes them, `window` lifecycles in flight at most.
    Closed { window: usize },
    /// At a steady rate, lifecycles per second.
    Paced { per_s: u64 },
}

/// What one phase measured.
struct Phase {
    lifecycles: u64,
    events: u64,
    seconds: f64,
    latencies: Parts,
    /// CPU by thread group while the load ran.
    cpu: BTreeMap<String, CoreUse>,
    /// Page faults while the load ran.
    page_faults: u64,
}

/// Lifecycles in flight at most in the paced phase: bounds memory only, far above what a
/// steady load the engine keeps up with needs.
const PACED_WINDOW: usize = 1 << 16;

/// How often the pacer wakes to send what has fallen due.
const PACER_TICK: Duration = Duration::from_micros(50);

impl EngineBench {
    pub fn run(&self) -> anyhow::Result<EngineBenchReport> {
        anyhow::ensure!(self.lifecycles > 0 && self.window > 0, "--lifecycles and --window must be positive");
        anyhow::ensure!(self.rounds > 0 && self.offered_lps > 0, "--rounds and --offered must be positive");
        let prefaulted = match self.prefault_mib {
            0 => None,
            mib => Some(memory::prefault(mib.saturating_mul(1 << 20))),
        };
        let mut rounds = (0..self.rounds)
            .map(|_| self.phase(self.lifecycles, Load::Closed { window: self.window }))
            .collect::<anyhow::Result<Vec<_>>>()?;
        rounds.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let rate = |phase: &Phase| phase.lifecycles as f64 / phase.seconds;
        let (fastest, slowest) = (rate(&rounds[0]), rate(&rounds[rounds.len() - 1]));
        let mut saturated = rounds.swap_remove(rounds.len() / 2);
        let mut paced = match self.latency_lifecycles {
            0 => None,
            n => Some(self.phase(n, Load::Paced { per_s: self.offered_lps })?),
        };
        // Percentile `p` of one part of the paced phase's latencies (0 if it was skipped).
        let mut latency = |part: fn(&mut Parts) -> &mut Latencies, p: f64| {
            paced.as_mut().map_or(0, |phase| part(&mut phase.latencies).percentile(p))
        };
        let whole: fn(&mut Parts) -> &mut Latencies = |parts| &mut parts.whole;
        let (p50, p99, max) = (latency(whole, 50.0), latency(whole, 99.0), latency(whole, 100.0));
        let (wait_for_engine, engine_to_durable) = (latency(|p| &mut p.waiting, 99.0), latency(|p| &mut p.after, 99.0));
        let observed = latency(|p| &mut p.observed, 99.0);
        Ok(EngineBenchReport {
            lifecycles: saturated.lifecycles,
            events: saturated.events,
            seconds: saturated.seconds,
            lifecycles_per_s: rate(&saturated),
            events_per_s: saturated.events as f64 / saturated.seconds,
            rounds: self.rounds,
            lifecycles_per_s_min: slowest,
            lifecycles_per_s_max: fastest,
            saturated_p99_input_to_durable_us: saturated.latencies.whole.percentile(99.0),
            offered_lifecycles_per_s: self.offered_lps,
            latency_lifecycles_per_s: paced.as_ref().map_or(0.0, |p| p.lifecycles as f64 / p.seconds),
            p50_input_to_durable_us: p50,
            p99_input_to_durable_us: p99,
            max_input_to_durable_us: max,
            p99_wait_for_engine_us: wait_for_engine,
            p99_engine_to_durable_us: engine_to_durable,
            p99_input_to_observed_us: observed,
            saturated_cpu: std::mem::take(&mut saturated.cpu),
            latency_page_faults: paced.as_ref().map_or(0, |phase| phase.page_faults),
            latency_cpu: paced.map(|phase| phase.cpu).unwrap_or_default(),
            prefault_mib: prefaulted.map_or(0, |done| done.bytes >> 20),
            prefault_ms: prefaulted.map_or(0.0, |done| done.took.as_secs_f64() * 1e3),
        })
    }

    /// One phase on a fresh journal and engine.
    fn phase(&self, lifecycles: u64, load: Load) -> anyhow::Result<Phase> {
        let scratch = tempfile::tempdir()?;
        let journal = Journal::create(scratch.path().join("engine"), &Genesis::new(Some(1)), &OpenOptions::default())?;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        runtime.block_on(drive(journal, lifecycles, load))
    }
}

async fn drive(journal: Journal, lifecycles: u64, load: Load) -> anyhow::Result<Phase> {
    let core = Core::new(journal.genesis_hash());
    let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
    let epoch = Instant::now();
    let clock = Box::new(move || 1_700_000_000_000_000_000 + epoch.elapsed().as_nanos() as i64);
    let engine = Engine::spawn_with_clock(core, writer.appender(), clock);
    let window = match load {
        Load::Closed { window } => window,
        Load::Paced { .. } => PACED_WINDOW,
    };
    let permits = Arc::new(Semaphore::new(window));
    let (watch_tx, watch_rx) = mpsc::channel::<Watched>(3 * window);
    let (broker_tx, broker_rx) = mpsc::channel::<BrokerCommand>(window);
    let watcher = tokio::spawn(watch(watch_rx, broker_tx, Arc::clone(&permits), lifecycles));
    let broker = tokio::spawn(loopback(engine.inputs(), broker_rx, watch_tx.clone()));
    let inputs = engine.inputs();
    let (threads, usage) = (ThreadTimes::now(), ProcessUsage::now());
    let started = Instant::now();
    match load {
        Load::Closed { .. } => {
            for i in 0..lifecycles {
                permits.acquire().await?.forget();
                let sent = Instant::now();
                let reply = inputs.enqueue(None, order(i)).await?;
                watch_tx.send((sent, reply, Step::Submit)).await?;
            }
        }
        Load::Paced { per_s } => {
            let (inputs, watch_tx, permits) = (inputs.clone(), watch_tx.clone(), Arc::clone(&permits));
            let runtime = tokio::runtime::Handle::current();
            let pace = move || paced(&runtime, &inputs, &watch_tx, &permits, lifecycles, per_s);
            tokio::task::spawn_blocking(pace).await??;
        }
    }
    drop(inputs);
    drop(watch_tx);
    let latencies = watcher.await??;
    let elapsed = started.elapsed();
    let cpu = ThreadTimes::now().since(&threads, elapsed);
    let page_faults = ProcessUsage::used_since(usage).minor_faults;
    let seconds = elapsed.as_secs_f64();
    broker.abort();
    let core = engine.shutdown().await?;
    let events = core.last_seq();
    drop(writer.close().await?);
    Ok(Phase { lifecycles, events, seconds, latencies, cpu, page_faults })
}

/// The `i`-th lifecycle's order, in both phases.
fn order(i: u64) -> Event {
    market_order(format!("c-{i}"), "BENCH", i)
}

/// Submits `lifecycles` orders at `per_s` from a thread of its own (tokio's timer ticks in
/// milliseconds, too coarse for orders 10 µs apart). An order's latency counts from when it
/// was due, not from when it could be sent, so a stall counts for every order it delays.
fn paced(
    runtime: &tokio::runtime::Handle,
    inputs: &EngineInputs,
    watch: &mpsc::Sender<Watched>,
    permits: &Semaphore,
    lifecycles: u64,
    per_s: u64,
) -> anyhow::Result<()> {
    let start = Instant::now();
    let due = |i: u64| start + Duration::from_secs_f64(i as f64 / per_s as f64);
    let mut i = 0;
    while i < lifecycles {
        let now = Instant::now();
        while i < lifecycles && due(i) <= now {
            runtime.block_on(permits.acquire())?.forget();
            let reply = runtime.block_on(inputs.enqueue(None, order(i)))?;
            watch.blocking_send((due(i), reply, Step::Submit))?;
            i += 1;
        }
        std::thread::sleep(PACER_TICK);
    }
    Ok(())
}

impl EngineBenchReport {
    /// A note when the latency phase did not keep up with the offered rate (then its
    /// latencies are a growing queue's, not the engine's at that rate).
    fn fell_behind(&self) -> &'static str {
        let offered = self.offered_lifecycles_per_s as f64;
        if self.latency_lifecycles_per_s > 0.0 && self.latency_lifecycles_per_s < 0.98 * offered {
            "   (fell behind the offered rate)"
        } else {
            ""
        }
    }

    pub fn table(&self) -> String {
        let rows = [
            ("lifecycles", self.lifecycles.to_string()),
            ("events", self.events.to_string()),
            ("seconds", format!("{:.3}", self.seconds)),
            ("lifecycles_per_s", format!("{:.0}   (target >= 100000)", self.lifecycles_per_s)),
            (
                "rounds",
                format!(
                    "{} (the median above; slowest {:.0}, fastest {:.0})",
                    self.rounds, self.lifecycles_per_s_min, self.lifecycles_per_s_max
                ),
            ),
            ("events_per_s", format!("{:.0}", self.events_per_s)),
            (
                "saturated_p99_input_to_durable_us",
                format!("{}   (the window's queue)", self.saturated_p99_input_to_durable_us),
            ),
            ("offered_lifecycles_per_s", format!("{}   (latency phase)", self.offered_lifecycles_per_s)),
            ("latency_lifecycles_per_s", format!("{:.0}{}", self.latency_lifecycles_per_s, self.fell_behind())),
            ("p50_input_to_durable_us", self.p50_input_to_durable_us.to_string()),
            ("p99_input_to_durable_us", format!("{}   (target <= 5000)", self.p99_input_to_durable_us)),
            ("max_input_to_durable_us", self.max_input_to_durable_us.to_string()),
            (
                "p99_wait_for_engine_us",
                format!("{}   (of which: until the engine took the input)", self.p99_wait_for_engine_us),
            ),
            (
                "p99_engine_to_durable_us",
                format!("{}   (of which: from then until durable)", self.p99_engine_to_durable_us),
            ),
            (
                "p99_input_to_observed_us",
                format!("{}   (until the bench's watcher saw it durable)", self.p99_input_to_observed_us),
            ),
            ("saturated_cpu", cpu::describe(&self.saturated_cpu)),
            (
                "latency_cpu",
                if self.latency_lifecycles_per_s > 0.0 { cpu::describe(&self.latency_cpu) } else { "skipped".into() },
            ),
            ("latency_page_faults", self.latency_page_faults.to_string()),
            ("prefault_mib", format!("{}   (in {:.0} ms, before the phases)", self.prefault_mib, self.prefault_ms)),
        ];
        rows.iter().map(|(k, v)| format!("{k:<34} {v}\n")).collect()
    }
}

/// Every input's time to durability, whole and in its two parts, and to the watcher.
struct Parts {
    whole: Latencies,
    /// Until the engine took the input from its queue.
    waiting: Latencies,
    /// From then until the decision was durable.
    after: Latencies,
    /// Until the bench's watcher saw the decision durable.
    observed: Latencies,
}

impl Parts {
    fn with_capacity(n: usize) -> Parts {
        Parts {
            whole: Latencies::with_capacity(n),
            waiting: Latencies::with_capacity(n),
            after: Latencies::with_capacity(n),
            observed: Latencies::with_capacity(n),
        }
    }
}

/// Awaits every decision's durability in submission order, records its latency, releases
/// submissions to the broker and counts finished lifecycles.
async fn watch(
    mut rx: mpsc::Receiver<Watched>,
    broker: mpsc::Sender<BrokerCommand>,
    permits: Arc<Semaphore>,
    lifecycles: u64,
) -> anyhow::Result<Parts> {
    let mut latencies = Parts::with_capacity(3 * lifecycles as usize);
    let mut done = 0;
    while done < lifecycles {
        let Some((sent, reply, step)) = rx.recv().await else { anyhow::bail!("the bench stopped early") };
        let pending = reply.decision().await?;
        let taken_at = pending.taken_at;
        let durable = pending.durable().await?;
        let (durable_at, seen_at) = (durable.durable_at, Instant::now());
        latencies.whole.record(durable_at.saturating_duration_since(sent));
        latencies.waiting.record(taken_at.saturating_duration_since(sent));
        latencies.after.record(durable_at.saturating_duration_since(taken_at));
        latencies.observed.record(seen_at.saturating_duration_since(sent));
        for command in durable.commands {
            broker.send(command).await?;
        }
        if step == Step::Fill {
            done += 1;
            permits.add_permits(1);
        }
    }
    Ok(latencies)
}

/// A broker that acknowledges and fully fills every order it is sent, at once.
async fn loopback(
    inputs: EngineInputs,
    mut commands: mpsc::Receiver<BrokerCommand>,
    watch: mpsc::Sender<Watched>,
) -> anyhow::Result<()> {
    let mut n = 0u64;
    while let Some(command) = commands.recv().await {
        let BrokerCommand::Submit(order) = command else { continue };
        n += 1;
        let broker_order_id = format!("L-{n}");
        let ack = BrokerAccepted {
            client_order_id: order.client_order_id.clone(),
            broker_order_id: broker_order_id.as_str().into(),
            broker_ts_ns: 0,
        };
        let sent = Instant::now();
        watch.send((sent, inputs.enqueue(None, ack.into()).await?, Step::Ack)).await?;
        let fill = BrokerFilled {
            client_order_id: order.client_order_id,
            broker_order_id: broker_order_id.as_str().into(),
            fill_id: format!("{broker_order_id}-1").into(),
            qty: order.qty,
            price: Decimal::ONE_HUNDRED,
            fee: Decimal::ZERO,
            liquidity: LiquiditySide::Taker,
            venue: "LOOPBACK".into(),
            broker_ts_ns: 0,
        };
        let sent = Instant::now();
        watch.send((sent, inputs.enqueue(None, fill.into()).await?, Step::Fill)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bench(latency_lifecycles: u64) -> EngineBench {
        EngineBench { lifecycles: 300, window: 64, rounds: 3, offered_lps: 20_000, latency_lifecycles, prefault_mib: 0 }
    }

    #[test]
    fn both_phases_run_every_lifecycle_to_its_fill() {
        let report = EngineBench { prefault_mib: 1, ..bench(200) }.run().unwrap();
        assert_eq!(report.prefault_mib, 1);
        // Per lifecycle: submit, created, submitted, broker ack, accepted, broker fill, filled.
        assert_eq!((report.lifecycles, report.events), (300, 7 * 300));
        assert!(report.latency_lifecycles_per_s > 0.0);
        let rates = (report.lifecycles_per_s_min, report.lifecycles_per_s, report.lifecycles_per_s_max);
        assert!(0.0 < rates.0 && rates.0 <= rates.1 && rates.1 <= rates.2, "{rates:?}");
        let (p50, p99, max) =
            (report.p50_input_to_durable_us, report.p99_input_to_durable_us, report.max_input_to_durable_us);
        assert!(0 < p50 && p50 <= p99 && p99 <= max, "{p50} {p99} {max}");
        // Each part of every input's time is at most its whole, so each part's p99 is too.
        let (waiting, after) = (report.p99_wait_for_engine_us, report.p99_engine_to_durable_us);
        assert!(waiting <= p99 && 0 < after && after <= p99, "{waiting} {after} {p99}");
        // The watcher sees a decision durable only after it was published.
        assert!(p99 <= report.p99_input_to_observed_us, "{p99} {}", report.p99_input_to_observed_us);
        if std::path::Path::new("/proc/self/schedstat").exists() {
            // The engine's own thread decided, the runtime's ran the clients, and the table
            // says so.
            for group in ["blotter-engine", "tokio-rt-worker"] {
                let used = report.latency_cpu.get(group).copied().unwrap_or_default();
                assert!(used.busy > 0.0, "{group}: {:?}", report.latency_cpu);
            }
            assert!(report.table().contains("latency_cpu                        "), "{}", report.table());
        }
    }

    #[test]
    fn the_latency_phase_can_be_skipped() {
        let report = bench(0).run().unwrap();
        assert_eq!((report.latency_lifecycles_per_s, report.p99_input_to_durable_us), (0.0, 0));
        assert_eq!((report.latency_page_faults, report.prefault_mib), (0, 0));
        assert!(report.saturated_p99_input_to_durable_us > 0);
    }

    #[test]
    fn the_table_says_when_the_latency_phase_fell_behind() {
        let mut report = bench(0).run().unwrap();
        report.offered_lifecycles_per_s = 100_000;
        report.latency_lifecycles_per_s = 99_000.0;
        assert!(!report.table().contains("fell behind"));
        report.latency_lifecycles_per_s = 90_000.0;
        assert!(report.table().contains("90000   (fell behind the offered rate)"), "{}", report.table());
    }

    #[test]
    fn zero_rounds_or_a_zero_offered_rate_are_refused() {
        for bench in [EngineBench { offered_lps: 0, ..bench(1) }, EngineBench { rounds: 0, ..bench(1) }] {
            let error = bench.run().unwrap_err();
            assert!(error.to_string().contains("must be positive"), "{error}");
        }
    }
}
