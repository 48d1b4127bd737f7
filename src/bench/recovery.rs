//! `blotter bench recovery`: how long an interrupted run takes to come back. A synthetic
//! scenario (a seeded random walk of 1-minute bars and a market order every `order_every`
//! bars, against the paper venue) runs into a journal until about `events` records,
//! snapshotting the simulation every `snapshot_every` records, and stops without ending its
//! session just before the next snapshot would be due (the worst case: a whole interval to
//! re-simulate).
//! Then, timed (`recovery_ms`): open the journal (tail check), load the newest simulation
//! snapshot, rebuild the engine and the venue, and re-simulate the tail, verifying it against
//! the journal, until the engine stands at the journal's head, ready for input.

use std::time::Instant;

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;
use serde::Serialize;

use super::market_order;
use crate::broker::Timed;
use crate::broker::paper::{PaperConfig, PaperVenue};
use crate::event::{EngineConfig, MarketBar, SessionStarted};
use crate::journal::{Genesis, Journal, OpenOptions};
use crate::market::{BarSource, SeekError};
use crate::runner::{RunOptions, RunOutcome, RunPlan, RunnerError, on_the_runtime, run};

#[derive(Debug, Clone)]
pub struct RecoveryBench {
    pub events: u64,
    pub order_every: u64,
    pub snapshot_every: u64,
    /// Where to build the journal (a temporary directory by default). If it already holds
    /// one this bench built, the build is skipped and only the recovery measured: handy for
    /// profiling, though that open is cheaper than the first one after a build (sled then
    /// already has its own snapshot of the newest segment).
    pub dir: Option<std::path::PathBuf>,
}

#[derive(Debug, Clone, Serialize)]
pub struct RecoveryBenchReport {
    pub events: u64,
    pub orders: usize,
    pub build_s: f64,
    /// The snapshot the recovery started from, and the records re-simulated after it.
    pub snapshot_seq: Option<u64>,
    pub tail_records: u64,
    pub recovery_ms: f64,
    /// Of `recovery_ms`: opening the journal (sled's own recovery, the tail check).
    pub open_ms: f64,
}

const T0: i64 = 1_704_067_200_000_000_000; // 2024-01-01T00:00:00Z
const MINUTE: i64 = 60_000_000_000;

impl RecoveryBench {
    pub fn run(&self) -> anyhow::Result<RecoveryBenchReport> {
        anyhow::ensure!(self.events > 0 && self.order_every > 0, "--events and --order-every must be positive");
        let scratch = tempfile::tempdir()?;
        let dir = self.dir.clone().unwrap_or_else(|| scratch.path().join("recovery"));
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        let build = Instant::now();
        let head = if crate::journal::Layout::new(&dir).exists() {
            Journal::open(&dir, &OpenOptions::tail_checked())?.head()
        } else {
            let journal = Journal::create(&dir, &Genesis::new(Some(1)), &OpenOptions::default())?;
            // Stop just before the next snapshot would be due: the worst case, a full
            // interval of tail to re-simulate.
            let every = self.snapshot_every.max(1);
            let stop = self.events.div_ceil(every) * every + every - 1;
            let options =
                RunOptions { snapshot_every: self.snapshot_every, stop_at_seq: Some(stop), ..Default::default() };
            self.simulate(&runtime, journal, options)?.head
        };
        let build_s = build.elapsed().as_secs_f64();

        let start = Instant::now();
        let journal = Journal::open(&dir, &OpenOptions::tail_checked())?;
        let open_ms = start.elapsed().as_secs_f64() * 1e3;
        let options = RunOptions { stop_at_seq: Some(head.seq), ..Default::default() };
        let recovered = self.simulate(&runtime, journal, options)?;
        let recovery_ms = start.elapsed().as_secs_f64() * 1e3;
        anyhow::ensure!(recovered.head == head, "recovery wrote past the head it was asked to stop at");
        Ok(RecoveryBenchReport {
            events: head.seq,
            orders: recovered.state.views.oms.len(),
            build_s,
            snapshot_seq: recovered.snapshot_seq,
            tail_records: head.seq - recovered.snapshot_seq.unwrap_or(0),
            recovery_ms,
            open_ms,
        })
    }

    /// Runs the synthetic scenario into `journal` (a new run, or the interrupted one resumed).
    fn simulate(
        &self,
        runtime: &tokio::runtime::Runtime,
        journal: Journal,
        options: RunOptions,
    ) -> Result<RunOutcome, RunnerError> {
        let plan = self.plan();
        runtime.block_on(on_the_runtime(async move { run(journal, plan, &mut venue(), |_| {}, options).await }))
    }

    /// The synthetic scenario: bars for ever (the run stops at `events`), an order every
    /// `order_every` bars.
    fn plan(&self) -> RunPlan<RandomWalk> {
        let session = SessionStarted {
            name: "bench recovery".into(),
            scenario_digest: "synthetic".into(),
            config: EngineConfig::default(),
            venue_settings: Default::default(),
        };
        let orders = self.events / self.order_every + 1;
        let commands = (0..orders)
            .map(|n| {
                let at_ns = T0 + (n * self.order_every) as i64 * MINUTE + 1_000_000_000;
                Timed { at_ns, item: market_order(format!("o-{n}"), "SYN", n) }
            })
            .collect();
        RunPlan { session, start_ns: T0, end_ns: i64::MAX / 2, bars: RandomWalk::new(), commands }
    }
}

impl RecoveryBenchReport {
    pub fn table(&self) -> String {
        format!(
            "events          {}\norders          {}\nbuild_s         {:.1}\nsnapshot_seq    {}\ntail_records    {}\nrecovery_ms     {:.1}   (target < 500)\nopen_ms         {:.1}   (of recovery_ms: opening the journal)\n",
            self.events,
            self.orders,
            self.build_s,
            self.snapshot_seq.map_or("-".to_owned(), |s| s.to_string()),
            self.tail_records,
            self.recovery_ms,
            self.open_ms
        )
    }
}

fn venue() -> PaperVenue {
    PaperVenue::new(PaperConfig { latency_ms: 1, seed: 1, ..PaperConfig::default() })
}

/// A seeded random walk of 1-minute bars (prices in cents), one per minute from `T0`. Its
/// position is its whole state, so a resumed run seeks instead of walking from the start.
#[derive(Clone, Serialize, serde::Deserialize)]
struct RandomWalk {
    rng: ChaCha8Rng,
    cents: i64,
    bars: u64,
}

impl RandomWalk {
    fn new() -> RandomWalk {
        RandomWalk { rng: ChaCha8Rng::seed_from_u64(7), cents: 10_000, bars: 0 }
    }
}

impl BarSource for RandomWalk {
    type Error = std::convert::Infallible;
    type Mark = RandomWalk;

    fn next_bar(&mut self) -> Option<Result<MarketBar, Self::Error>> {
        let open = self.cents;
        self.cents = (self.cents + self.rng.random_range(-5..=5)).max(100);
        let (low, high) = (open.min(self.cents) - 1, open.max(self.cents) + 1);
        let market_ts_ns = T0 + i64::try_from(self.bars).ok()?.checked_mul(MINUTE)?;
        self.bars += 1;
        Some(Ok(MarketBar {
            symbol: "SYN".into(),
            open: Decimal::new(open, 2),
            high: Decimal::new(high, 2),
            low: Decimal::new(low, 2),
            close: Decimal::new(self.cents, 2),
            volume: Decimal::from(1_000),
            market_ts_ns,
        }))
    }

    fn mark(&self) -> Option<RandomWalk> {
        Some(self.clone())
    }

    fn seek_mark(&mut self, mark: RandomWalk, bars: u64) -> Result<(), SeekError> {
        if mark.bars != bars {
            return Err(SeekError(format!("the walk's state after {} bars, not {bars}", mark.bars)));
        }
        *self = mark;
        Ok(())
    }
}
