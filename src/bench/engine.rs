//! `blotter bench engine`: sustained order lifecycles through the whole engine with the
//! durable journal. A client submits market orders (at most `window` lifecycles in flight);
//! a loopback broker answers every released submission with an acknowledgement and a full
//! fill, fed back as inputs. Every input's time from submission to the durability of its
//! decision is recorded (`p99_input_to_durable_us`).

use std::sync::Arc;
use std::time::Instant;

use rust_decimal::Decimal;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};

use super::latency::Latencies;
use super::market_order;
use crate::broker::BrokerCommand;
use crate::domain::LiquiditySide;
use crate::engine::{Core, Engine, EngineInputs, Reply};
use crate::event::{BrokerAccepted, BrokerFilled, Event};
use crate::journal::{Genesis, Journal, JournalWriter, OpenOptions, WriterConfig};

#[derive(Debug, Clone)]
pub struct EngineBench {
    pub lifecycles: u64,
    /// Lifecycles in flight at most.
    pub window: usize,
}

#[derive(Debug, Clone, Serialize)]
pub struct EngineBenchReport {
    pub lifecycles: u64,
    pub events: u64,
    pub seconds: f64,
    pub lifecycles_per_s: f64,
    pub events_per_s: f64,
    pub p50_input_to_durable_us: u64,
    pub p99_input_to_durable_us: u64,
    pub max_input_to_durable_us: u64,
}

/// What a pending decision was the answer to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    Submit,
    Ack,
    Fill,
}

type Watched = (Instant, Reply, Step);

impl EngineBench {
    pub fn run(&self) -> anyhow::Result<EngineBenchReport> {
        anyhow::ensure!(self.lifecycles > 0 && self.window > 0, "--lifecycles and --window must be positive");
        let scratch = tempfile::tempdir()?;
        let journal = Journal::create(scratch.path().join("engine"), &Genesis::new(Some(1)), &OpenOptions::default())?;
        let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build()?;
        runtime.block_on(self.drive(journal))
    }

    async fn drive(&self, journal: Journal) -> anyhow::Result<EngineBenchReport> {
        let core = Core::new(journal.genesis_hash());
        let writer = JournalWriter::<Event>::spawn(journal, WriterConfig::default());
        let epoch = Instant::now();
        let clock = Box::new(move || 1_700_000_000_000_000_000 + epoch.elapsed().as_nanos() as i64);
        let engine = Engine::spawn_with_clock(core, writer.appender(), clock);
        let permits = Arc::new(Semaphore::new(self.window));
        let (watch_tx, watch_rx) = mpsc::channel::<Watched>(3 * self.window);
        let (broker_tx, broker_rx) = mpsc::channel::<BrokerCommand>(self.window);
        let watcher = tokio::spawn(watch(watch_rx, broker_tx, Arc::clone(&permits), self.lifecycles));
        let broker = tokio::spawn(loopback(engine.inputs(), broker_rx, watch_tx.clone()));
        let inputs = engine.inputs();
        let started = Instant::now();
        for i in 0..self.lifecycles {
            permits.acquire().await?.forget();
            let sent = Instant::now();
            let reply = inputs.enqueue(None, market_order(format!("c-{i}"), "BENCH", i)).await?;
            watch_tx.send((sent, reply, Step::Submit)).await?;
        }
        drop(inputs);
        drop(watch_tx);
        let mut latencies = watcher.await??;
        let seconds = started.elapsed().as_secs_f64();
        broker.abort();
        let core = engine.shutdown().await?;
        let events = core.last_seq();
        drop(writer.close().await?);
        Ok(EngineBenchReport {
            lifecycles: self.lifecycles,
            events,
            seconds,
            lifecycles_per_s: self.lifecycles as f64 / seconds,
            events_per_s: events as f64 / seconds,
            p50_input_to_durable_us: latencies.percentile(50.0),
            p99_input_to_durable_us: latencies.percentile(99.0),
            max_input_to_durable_us: latencies.percentile(100.0),
        })
    }
}

impl EngineBenchReport {
    pub fn table(&self) -> String {
        format!(
            "lifecycles               {}\nevents                   {}\nseconds                  {:.3}\n\
             lifecycles_per_s         {:.0}   (target >= 100000)\nevents_per_s             {:.0}\n\
             p50_input_to_durable_us  {}\np99_input_to_durable_us  {}   (target <= 5000)\n\
             max_input_to_durable_us  {}\n",
            self.lifecycles,
            self.events,
            self.seconds,
            self.lifecycles_per_s,
            self.events_per_s,
            self.p50_input_to_durable_us,
            self.p99_input_to_durable_us,
            self.max_input_to_durable_us
        )
    }
}

/// Awaits every decision's durability in submission order, records its latency, releases
/// submissions to the broker and counts finished lifecycles.
async fn watch(
    mut rx: mpsc::Receiver<Watched>,
    broker: mpsc::Sender<BrokerCommand>,
    permits: Arc<Semaphore>,
    lifecycles: u64,
) -> anyhow::Result<Latencies> {
    let mut latencies = Latencies::with_capacity(3 * lifecycles as usize);
    let mut done = 0;
    while done < lifecycles {
        let Some((sent, reply, step)) = rx.recv().await else { anyhow::bail!("the bench stopped early") };
        let durable = reply.decision().await?.durable().await?;
        latencies.record(sent.elapsed());
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
