//! The simulation loop: a discrete-event scheduler in engine time. It merges four sources —
//! the venue's own happenings, market bars, the scenario's commands and the engine's timers —
//! always taking the earliest (ties: venue, bar, command, timer), feeds each to the engine,
//! and hands the engine's broker commands to the venue once they are durable.
//!
//! Lock-step on purpose: the next input is chosen only after the previous decision (and any
//! commands it released) reached the venue, so what happens is a function of the inputs alone,
//! never of thread timing. Decisions that send nothing do not wait for durability.

use std::collections::VecDeque;

use super::control::{ControlCall, ControlReply, Intervention};
use super::live::Live;
use super::snapshot::{Cursor, FORMAT, SimSnapshot, Snapshots};
use crate::broker::{BrokerError, SimulatedVenue, Timed};
use crate::engine::{Engine, Pending, RunError};
use crate::event::{Event, MarketBar, TimerTick};
use crate::market::{self, BarSource, SourcePosition};

/// Why a simulation stopped early.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error(transparent)]
    Run(#[from] RunError),
    #[error(transparent)]
    Broker(#[from] BrokerError),
    #[error("market data: {0}")]
    MarketData(Box<dyn std::error::Error + Send + Sync>),
}

/// What the loop did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct SimStats {
    pub inputs: u64,
    pub bars: u64,
    pub commands: u64,
    pub reports: u64,
    pub timers: u64,
    /// The seq of the last record written.
    pub last_seq: u64,
    /// The run stopped at the seq it was asked to stop at, with inputs left.
    pub stopped: bool,
    /// A resumed run sought its bar source to the snapshot's position (instead of reading
    /// past the bars consumed). Not part of the snapshot.
    #[serde(skip)]
    pub sought: bool,
}

/// Where a simulation starts and ends, and what it does on the way.
pub struct SimControl<'a> {
    /// Nothing the venue or the timers schedule after this is run (bars and commands are).
    pub end_ns: i64,
    /// Where the loop stands (bars already fed are sought past, commands skipped).
    pub start: Cursor,
    /// Checkpoint the whole simulation every so many records.
    pub snapshots: Option<&'a mut Snapshots>,
    /// Stop once the engine has decided this seq.
    pub stop_at_seq: Option<u64>,
    /// Operator commands from outside the plan (none: the plan alone).
    pub live: Option<&'a mut Live>,
}

/// The four sources, in tie-break order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Source {
    Venue,
    Bar,
    Command,
    Timer,
}

/// Runs `bars` and `commands` (sorted by time) through `engine` and `venue` until every
/// source is exhausted and nothing is due at or before `control.end_ns` (or until
/// `control.stop_at_seq`), from `control.start`. `on_bar` is told the number of bars fed so
/// far (progress).
pub async fn simulate<V, B>(
    engine: &Engine,
    venue: &mut V,
    (mut bars, commands): (B, Vec<Timed<Event>>),
    mut on_bar: impl FnMut(u64),
    control: SimControl<'_>,
) -> Result<SimStats, SimError>
where
    V: SimulatedVenue + serde::Serialize,
    B: BarSource,
{
    let SimControl { end_ns, start, mut snapshots, stop_at_seq, mut live } = control;
    let sought =
        bars.fast_forward(start.bar_position.as_ref(), start.bars).map_err(|e| SimError::MarketData(Box::new(e)))?;
    let commands = commands.into_iter().skip(usize::try_from(start.commands).unwrap_or(usize::MAX)).collect();
    let stats = SimStats { sought, ..start.stats };
    let decided = engine.status().await?.last_seq;
    let mut sim = Sim { bars, next_bar: None, bars_done: false, commands, timer: start.timer, stats, decided };
    let mut last: Option<Pending> = None;
    loop {
        if let Some(live) = live.as_deref_mut() {
            sim.intervene(engine, venue, live).await?;
        }
        let Some((at, source)) = sim.next(venue, end_ns)? else { break };
        match source {
            Source::Venue => {
                while let Some(Timed { at_ns, item }) = venue.poll_report(at).await? {
                    sim.stats.reports += 1;
                    last = sim.step(engine, venue, at_ns, item.into()).await?.or(last);
                }
            }
            Source::Bar => {
                let (_, bar) = sim.next_bar.take().expect("the bar was peeked");
                venue.on_bar(&bar, at);
                sim.stats.bars += 1;
                last = sim.step(engine, venue, at, bar.into()).await?.or(last);
                on_bar(sim.stats.bars);
            }
            Source::Command => {
                let Timed { at_ns, item } = sim.commands.pop_front().expect("peeked");
                sim.stats.commands += 1;
                last = sim.step(engine, venue, at_ns, item).await?.or(last);
            }
            Source::Timer => {
                sim.stats.timers += 1;
                last = sim.step(engine, venue, at, TimerTick {}.into()).await?.or(last);
            }
        }
        if let Some(snapshots) = snapshots.as_deref_mut()
            && snapshots.due(sim.decided)
        {
            sim.snapshot(engine, venue, snapshots).await?;
        }
        if stop_at_seq.is_some_and(|seq| sim.decided >= seq) {
            engine.durable_to(sim.decided).await?;
            sim.stats.stopped = true;
            sim.stats.last_seq = sim.decided;
            return Ok(sim.stats);
        }
    }
    if let Some(pending) = last {
        sim.stats.last_seq = sim.stats.last_seq.max(pending.durable().await?.last_seq);
    }
    Ok(sim.stats)
}

struct Sim<B: BarSource> {
    bars: B,
    /// The next bar, read ahead to learn its time, and where the source stood before it.
    next_bar: Option<(Option<B::Mark>, MarketBar)>,
    bars_done: bool,
    commands: VecDeque<Timed<Event>>,
    /// The engine's next timer deadline, as of its last decision.
    timer: Option<i64>,
    stats: SimStats,
    /// The last seq the engine decided.
    decided: u64,
}

impl<B: BarSource> Sim<B> {
    /// The time of the next bar, reading it ahead if need be.
    fn peek_bar(&mut self) -> Result<Option<i64>, SimError> {
        if self.next_bar.is_none() && !self.bars_done {
            let mark = self.bars.mark();
            match self.bars.next_bar() {
                Some(Ok(bar)) => self.next_bar = Some((mark, bar)),
                Some(Err(error)) => return Err(SimError::MarketData(Box::new(error))),
                None => self.bars_done = true,
            }
        }
        Ok(self.next_bar.as_ref().map(|(_, bar)| bar.market_ts_ns))
    }

    /// Where the source stands before the next bar to feed.
    fn bar_position(&self) -> Option<SourcePosition> {
        match &self.next_bar {
            Some((mark, _)) => mark.as_ref().and_then(market::encode),
            None => self.bars.position(),
        }
    }

    /// The earliest source with something to do, if any is due by `end_ns` (bars and
    /// commands always are).
    fn next(&mut self, venue: &impl SimulatedVenue, end_ns: i64) -> Result<Option<(i64, Source)>, SimError> {
        let bar = self.peek_bar()?;
        let feeds_left = bar.is_some() || !self.commands.is_empty();
        let candidates = [
            (venue.next_due(), Source::Venue),
            (bar, Source::Bar),
            (self.commands.front().map(|c| c.at_ns), Source::Command),
            (self.timer, Source::Timer),
        ];
        let next = candidates.into_iter().filter_map(|(at, source)| Some((at?, source))).min();
        Ok(next.filter(|(at, _)| feeds_left || *at <= end_ns))
    }

    /// Checkpoints the engine, the venue and this loop's position once the engine's last
    /// decision is durable.
    async fn snapshot<V: serde::Serialize>(
        &self,
        engine: &Engine,
        venue: &V,
        snapshots: &mut Snapshots,
    ) -> Result<(), SimError> {
        let (seq, state) = engine.snapshot().await?;
        engine.durable_to(seq).await?;
        let cursor = Cursor {
            bars: self.stats.bars,
            bar_position: self.bar_position(),
            commands: self.stats.commands,
            timer: self.timer,
            stats: self.stats,
        };
        let snapshot = SimSnapshot { format: FORMAT, seq, engine: state, venue, cursor };
        snapshots.save(&snapshot).map_err(|e| SimError::Run(e.into()))
    }

    /// Feeds the live commands due before the next input: the journaled ones a resumed run
    /// re-decides at their seqs, then (once past the journal it resumes) the operators'
    /// requests, each answered once durable. Waits the pace first, if any.
    async fn intervene(
        &mut self,
        engine: &Engine,
        venue: &mut impl SimulatedVenue,
        live: &mut Live,
    ) -> Result<(), SimError> {
        while let Some((seq, ts_ns, command)) = live.due(self.decided) {
            self.step(engine, venue, ts_ns, command.into()).await?;
            debug_assert!(self.decided >= seq, "a journaled live command is fed again at its seq");
        }
        if !live.past_head(self.decided) {
            return Ok(());
        }
        if let Some(pace) = live.pace {
            tokio::time::sleep(pace).await;
        }
        let Some(calls) = live.calls.as_mut() else { return Ok(()) };
        while let Ok(ControlCall { request, reply }) = calls.try_recv() {
            let before = engine.status().await?;
            if let Some(pending) = self.step(engine, venue, before.clock_ns, request.into()).await? {
                pending.durable().await?;
            }
            let after = engine.status().await?;
            let done = Intervention {
                seq: before.last_seq + 1,
                last_seq: after.last_seq,
                ts_ns: before.clock_ns,
                halted_before: before.halted,
                halted_after: after.halted,
            };
            // An operator who went away misses the answer; the command stands (journaled).
            let _ = reply.send(ControlReply::Done(done));
        }
        Ok(())
    }

    /// Feeds one input; sends the broker commands it released once they are durable. Returns
    /// the decision if it was not awaited (it sent nothing).
    async fn step(
        &mut self,
        engine: &Engine,
        venue: &mut impl SimulatedVenue,
        at_ns: i64,
        input: Event,
    ) -> Result<Option<Pending>, SimError> {
        self.stats.inputs += 1;
        let pending = engine.submit(at_ns, input).await?;
        self.decided = pending.last_seq;
        // A deadline at or before now was handled by this very decision (or cannot be).
        self.timer = pending.next_deadline.filter(|deadline| *deadline > at_ns);
        if !pending.has_commands() {
            return Ok(Some(pending));
        }
        let durable = pending.durable().await?;
        self.stats.last_seq = durable.last_seq;
        for command in durable.commands {
            venue.send(command, at_ns).await?;
        }
        Ok(None)
    }
}
