//! `blotter audit`: the timeline of one journal stream (an order, or a broker order's ignored
//! reports) with the order's state after every event.
//!
//! An id names a stream: a bare id is a client order id (`o-1` → `order:o-1`); anything
//! containing `:`, or one of the engine's own streams (`reconciliation`, `engine`, `session`,
//! `timer`, `reports`), is a stream name as journaled (`order:o-1`, `broker-order:B7`).
//!
//! JSON ([`Timeline`]; conventions in [`crate::render`]):
//! ```text
//! {"id": "o-1", "stream": "order:o-1", "at": Point, "order": OrderRow | null,
//!  "events": [{"seq", "ts_ns", "time", "event", "event_id", "correlation_id", "causation_id",
//!              "after": {"status", "cum_qty", "leaves_qty", "avg_px"} | null,
//!              "fill": {"fill_id", "qty", "price", "fee", "late", "overfill"} | null,
//!              "detail": string | null, "hash", "payload": Event}]}
//! ```
//! `order` is the order's state at `at` (its flags included); `after` is its state right after
//! the event (`null` for a record about no order); `payload` is the event as journaled, in its
//! externally tagged JSON form (`{"OrderFilled": {…}}`).

use std::io::{self, Write};

use rust_decimal::Decimal;
use serde::Serialize;
use uuid::Uuid;

use super::table::Table;
use super::views::{OrderRow, time_in_force};
use super::{Point, or_dash, rfc3339, table_decimal, table_opt_decimal};
use crate::domain::{ClientOrderId, FillId, OrderStatus};
use crate::event::Event;
use crate::journal::{ChainHash, Envelope, Journal};
use crate::projection::{OrderView, Views};
use crate::replay::{ReplayError, Until, replay_inspecting};

/// The stream an audit id names: see the module docs.
pub fn stream_of(id: &str) -> String {
    if id.contains(':') || ENGINE_STREAMS.contains(&id) { id.to_owned() } else { format!("order:{id}") }
}

/// Streams that belong to no order; audited by name.
pub const ENGINE_STREAMS: [&str; 5] = ["reconciliation", "engine", "session", "timer", "reports"];

/// One stream's history as of a point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Timeline {
    /// The id as asked for.
    pub id: String,
    pub stream: String,
    /// The last record of the journal the audit folded.
    pub at: Point,
    /// The order the stream's events are about, as of `at`; `null` if none names one.
    pub order: Option<OrderRow>,
    /// In journal order.
    pub events: Vec<AuditEvent>,
}

/// One event of the stream and what it left behind.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub seq: u64,
    pub ts_ns: i64,
    pub time: String,
    /// The event type, e.g. `"OrderFilled"`.
    pub event: &'static str,
    pub event_id: Uuid,
    pub correlation_id: Option<Uuid>,
    pub causation_id: Option<Uuid>,
    /// The order right after this event; `null` if the event names no (known) order.
    pub after: Option<StateAfter>,
    /// For an `OrderFilled`, the execution.
    pub fill: Option<FillDetail>,
    /// Reason, broker id or report text, when the event has one.
    pub detail: Option<String>,
    /// The chain hash stored with the record.
    pub hash: String,
    /// The event as journaled.
    pub payload: Event,
}

/// An order's state after an event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StateAfter {
    pub status: OrderStatus,
    pub cum_qty: Decimal,
    pub leaves_qty: Decimal,
    pub avg_px: Option<Decimal>,
}

impl From<&OrderView> for StateAfter {
    fn from(order: &OrderView) -> StateAfter {
        StateAfter {
            status: order.status,
            cum_qty: order.cum_qty,
            leaves_qty: order.leaves_qty,
            avg_px: order.avg_px(),
        }
    }
}

/// One execution, with the flags it raised.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FillDetail {
    pub fill_id: FillId,
    pub qty: Decimal,
    pub price: Decimal,
    pub fee: Decimal,
    /// It arrived after the order was cancelled or expired.
    pub late: bool,
    /// After it, the cumulative quantity exceeds the order quantity.
    pub overfill: bool,
}

/// Collects one stream's events during a replay: pass [`Collector::observe`] as the
/// `inspect` callback of [`replay_inspecting`], then [`Collector::finish`].
#[derive(Debug)]
pub struct Collector {
    id: String,
    stream: String,
    order_id: Option<ClientOrderId>,
    events: Vec<AuditEvent>,
    /// The last input from another stream (an operator's kill switch, a timer): its event id
    /// and what it was, to name it on the decisions it caused in this stream.
    foreign_input: Option<(Uuid, String)>,
}

impl Collector {
    pub fn new(id: &str) -> Collector {
        Collector { id: id.to_owned(), stream: stream_of(id), order_id: None, events: Vec::new(), foreign_input: None }
    }

    pub fn stream(&self) -> &str {
        &self.stream
    }

    /// Records `event` (stored with chain hash `hash`) if it belongs to the stream; `views`
    /// are the views after it.
    pub fn observe(&mut self, envelope: &Envelope, event: &Event, hash: &ChainHash, views: &Views) {
        if envelope.stream != self.stream {
            if event.is_input() {
                let what = detail(event)
                    .map_or_else(|| event.type_name().to_owned(), |d| format!("{} {d}", event.type_name()));
                self.foreign_input = Some((envelope.event_id, what));
            }
            return;
        }
        let caused_by = self.foreign_input.as_ref().filter(|(id, _)| envelope.causation_id == Some(*id));
        let detail = match (detail(event), caused_by) {
            (Some(detail), Some((_, cause))) => Some(format!("{detail} (by {cause})")),
            (None, Some((_, cause))) => Some(format!("by {cause}")),
            (detail, None) => detail,
        };
        let order = event.client_order_id().and_then(|id| views.oms.get(id));
        if self.order_id.is_none() {
            self.order_id = order.as_ref().map(|o| o.client_order_id().clone());
        }
        self.events.push(AuditEvent {
            seq: envelope.seq,
            ts_ns: envelope.ts_ns,
            time: rfc3339(envelope.ts_ns),
            event: event.type_name(),
            event_id: envelope.event_id,
            correlation_id: envelope.correlation_id,
            causation_id: envelope.causation_id,
            after: order.as_deref().map(StateAfter::from),
            fill: fill_detail(event, order.as_deref()),
            detail,
            hash: hash.to_hex(),
            payload: event.clone(),
        });
    }

    /// The timeline as of `at`, or `None` if the stream had no events.
    pub fn finish(self, at: Point, views: &Views) -> Option<Timeline> {
        if self.events.is_empty() {
            return None;
        }
        let events = self.events;
        let order = self.order_id.as_ref().and_then(|id| views.oms.get(id)).map(|o| OrderRow::from(&*o));
        Some(Timeline { id: self.id, stream: self.stream, at, order, events })
    }
}

/// The timeline of the stream `id` names, folding the whole journal; `None` if the stream has
/// no events. The state after each event comes from the same fold as a replay.
pub fn timeline(journal: &Journal, id: &str) -> Result<Option<Timeline>, ReplayError> {
    let mut collector = Collector::new(id);
    let replayed =
        replay_inspecting(journal, Until::Head, |env, event, hash, views| collector.observe(env, event, hash, views))?;
    Ok(collector.finish(Point::of(&replayed), &replayed.views))
}

fn fill_detail(event: &Event, order: Option<&OrderView>) -> Option<FillDetail> {
    let Event::OrderFilled(fill) = event else { return None };
    let recorded = order.and_then(|o| o.fills.iter().rev().find(|f| f.fill_id == fill.fill_id));
    Some(FillDetail {
        fill_id: fill.fill_id.clone(),
        qty: fill.qty,
        price: fill.price,
        fee: fill.fee,
        late: recorded.is_some_and(|f| f.late),
        overfill: order.is_some_and(|o| o.cum_qty > o.created.qty),
    })
}

fn detail(event: &Event) -> Option<String> {
    match event {
        Event::OrderCreated(c) => {
            let (tif, _) = time_in_force(c.time_in_force);
            let limit = c.limit_price.map(|px| format!(" limit {px}")).unwrap_or_default();
            Some(format!("{} {} {:?} {:?} {}{limit} {tif}", c.strategy, c.symbol, c.side, c.order_type, c.qty))
        }
        Event::OrderDenied(e) => Some(e.reason.clone()),
        Event::OrderRejected(e) => Some(e.reason.clone()),
        Event::CancelRejected(e) => Some(e.reason.clone()),
        Event::OrderAccepted(e) => Some(format!("broker order {}", e.broker_order_id)),
        Event::OrderFilled(f) => Some(format!("{} {:?} {} fee {}", f.fill_id, f.liquidity, f.venue, f.fee)),
        Event::ReportIgnored(r) => Some(format!("{}: {}", r.reason, r.report)),
        Event::SubmitOrder(s) => {
            let limit = s.limit_price.map(|px| format!(" limit {px}")).unwrap_or_default();
            Some(format!("{} {} {:?} {:?} {}{limit}", s.strategy, s.symbol, s.side, s.order_type, s.qty))
        }
        Event::BrokerAccepted(r) => Some(format!("broker order {}", r.broker_order_id)),
        Event::BrokerFilled(f) => Some(format!("{} {} @ {} fee {}", f.fill_id, f.qty, f.price, f.fee)),
        Event::BrokerRejected(r) => Some(r.reason.clone()),
        Event::BrokerCancelled(r) => Some(r.reason.clone()),
        Event::BrokerCancelRejected(r) => Some(r.reason.clone()),
        Event::CommandRejected(r) => Some(r.reason.clone()),
        Event::EngineHalted(r) => Some(r.reason.clone()),
        Event::EngineResumed(r) => Some(r.reason.clone()),
        Event::OperatorCommand(c) => Some(format!("{:?} by {}: {}", c.action, c.operator, c.reason)),
        Event::LiveOperatorCommand(c) => Some(format!("{:?} by {} (live): {}", c.action, c.operator, c.reason)),
        Event::MarketBar(b) => {
            Some(format!("{} o {} h {} l {} c {} v {}", b.symbol, b.open, b.high, b.low, b.close, b.volume))
        }
        Event::SessionStarted(s) => Some(format!("{} ({})", s.name, s.scenario_digest)),
        Event::SessionEnded(s) => Some(s.reason.clone()),
        Event::InvariantViolated(v) => Some(format!("{}: {}", v.invariant, v.detail)),
        Event::ReconciliationRequested(r) => Some(r.reason.clone()),
        Event::BrokerStateReported(r) => {
            Some(format!("{} open orders, {} positions", r.open_orders.len(), r.positions.len()))
        }
        Event::ReconciliationCompleted(r) => Some(format!("{:?}: {} discrepancies", r.outcome, r.discrepancies.len())),
        Event::FillInferred(f) => {
            Some(format!("{} {:?} {} {} @ {}: {}", f.fill_id, f.side, f.qty, f.symbol, f.price, f.reason))
        }
        Event::ReconciliationFailed(r) => Some(r.reason.clone()),
        _ => None,
    }
}

/// Writes the timeline as JSON (pretty, one trailing newline).
pub fn write_json(out: &mut impl Write, timeline: &Timeline) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, timeline)?;
    writeln!(out)
}

/// Writes the timeline for people: the point, a summary of the order, then one row per event.
pub fn write_table(out: &mut impl Write, timeline: &Timeline) -> io::Result<()> {
    writeln!(out, "{}", timeline.at.headline())?;
    writeln!(out, "stream {}: {} events", timeline.stream, timeline.events.len())?;
    match &timeline.order {
        Some(o) => {
            let limit = o.limit_price.map(|px| format!(" limit {px}")).unwrap_or_default();
            let broker = or_dash(o.broker_order_id.as_ref());
            writeln!(
                out,
                "order {}: {} {} {:?} {:?} {}{limit} {}, broker order {broker}",
                o.client_order_id, o.strategy, o.symbol, o.side, o.order_type, o.qty, o.time_in_force
            )?;
            let flags = o.flags();
            writeln!(
                out,
                "status {:?}, cum {}, leaves {}, avg px {}, fees {}; flags: {}",
                o.status,
                table_decimal(o.cum_qty),
                table_decimal(o.leaves_qty),
                table_opt_decimal(o.avg_px),
                table_decimal(o.fees),
                if flags.is_empty() { "none" } else { &flags }
            )?;
        }
        None => writeln!(out, "order: none (no event of this stream names a known order)")?,
    }
    writeln!(out)?;
    write!(out, "{}", events_table(&timeline.events))
}

pub fn events_table(events: &[AuditEvent]) -> Table {
    let mut table = Table::new()
        .right("SEQ")
        .left("TIME")
        .left("EVENT")
        .left("STATUS")
        .right("CUM")
        .right("LEAVES")
        .right("AVG PX")
        .right("FILL")
        .left("HASH")
        .left("DETAIL");
    for e in events {
        let after = e.after.as_ref();
        let fill = e.fill.as_ref().map(|f| format!("{}@{}", table_decimal(f.qty), table_decimal(f.price)));
        let mut detail = e.detail.clone().unwrap_or_default();
        if let Some(f) = &e.fill {
            for (on, flag) in [(f.late, "late fill"), (f.overfill, "overfill")] {
                if on {
                    detail.push_str("; ");
                    detail.push_str(flag);
                }
            }
        }
        table.row(vec![
            e.seq.to_string(),
            e.time.clone(),
            e.event.to_owned(),
            or_dash(after.map(|a| format!("{:?}", a.status))),
            or_dash(after.map(|a| table_decimal(a.cum_qty))),
            or_dash(after.map(|a| table_decimal(a.leaves_qty))),
            table_opt_decimal(after.and_then(|a| a.avg_px)),
            or_dash(fill),
            e.hash.get(..super::SHORT_HASH).unwrap_or(&e.hash).to_owned(),
            detail,
        ]);
    }
    table
}

/// [`write_json`] into a string.
pub fn json_string(timeline: &Timeline) -> String {
    let mut out = Vec::new();
    write_json(&mut out, timeline).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// [`write_table`] into a string.
pub fn table_string(timeline: &Timeline) -> String {
    let mut out = Vec::new();
    write_table(&mut out, timeline).expect("writing to a Vec cannot fail");
    String::from_utf8(out).expect("tables are UTF-8")
}

#[cfg(test)]
mod tests;
