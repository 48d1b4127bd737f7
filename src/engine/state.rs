//! [`EngineState`]: everything the engine's decisions depend on, folded from the journal by
//! the same `apply` live and in replay (so a restart rebuilds it exactly).

use std::collections::{BTreeMap, BTreeSet};

use indexmap::IndexMap;
use rust_decimal::Decimal;
use rustc_hash::FxBuildHasher;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::expiry;
use crate::collections::GrowingIndex;
use crate::domain::{ClientOrderId, OrderStatus};
use crate::event::{CommandRejected, EngineConfig, Event, SessionStarted};
use crate::journal::Envelope;
use crate::projection::{InvariantViolation, OrderRef, Views};

/// The engine's state. `apply` is the only way it changes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EngineState {
    /// The order and position views (the same fold `blotter replay` runs).
    pub views: Views,
    /// The session the engine runs in (its config), once started.
    pub session: Option<SessionStarted>,
    /// Engine time: that of the last record applied.
    pub clock_ns: i64,
    /// Why new orders are denied, while halted.
    pub halted: Option<String>,
    /// Inputs the engine could not act on (`CommandRejected`), and the first of them.
    pub refused: Refused,
    /// The last price seen per symbol (bar close, trade, quote mid).
    #[serde(with = "last_prices")]
    pub last_price: BTreeMap<String, Decimal>,
    /// Working orders' stale deadlines, earliest first.
    deadlines: BTreeSet<(i64, ClientOrderId)>,
    /// The deadline of each order in `deadlines`.
    deadline_of: IndexMap<ClientOrderId, i64, FxBuildHasher>,
    /// Each order's correlation id: the event id of the input that created it.
    correlation: GrowingIndex<ClientOrderId, Uuid>,
}

/// How many inputs were refused, and the first (when, and why): what a run's summary shows, so
/// a scenario whose orders never reached the venue says so.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refused {
    pub count: u64,
    /// The engine time of the first refusal, and the refusal.
    pub first: Option<(i64, CommandRejected)>,
}

/// The default config until a session starts (live use without a scenario).
static DEFAULT_CONFIG: std::sync::LazyLock<EngineConfig> = std::sync::LazyLock::new(EngineConfig::default);

impl EngineState {
    pub fn new() -> Self {
        EngineState::default()
    }

    pub fn config(&self) -> &EngineConfig {
        self.session.as_ref().map_or(&DEFAULT_CONFIG, |s| &s.config)
    }

    pub fn order(&self, client_order_id: &ClientOrderId) -> Option<OrderRef<'_>> {
        self.views.oms.get(client_order_id)
    }

    /// The correlation id of an order's records (the event id of the input that created it).
    pub fn correlation(&self, client_order_id: &ClientOrderId) -> Option<Uuid> {
        self.correlation.get(client_order_id).copied()
    }

    /// The earliest stale deadline of a working order.
    pub fn next_deadline(&self) -> Option<i64> {
        self.deadlines.first().map(|(at, _)| *at)
    }

    /// Orders whose stale deadline is at or before `now_ns`, earliest first.
    pub fn due(&self, now_ns: i64) -> impl Iterator<Item = &ClientOrderId> {
        self.deadlines.iter().take_while(move |(at, _)| *at <= now_ns).map(|(_, id)| id)
    }

    /// Folds one journaled record. The views refuse invalid events (then nothing changes).
    pub fn apply(&mut self, env: &Envelope, event: &Event) -> Result<(), InvariantViolation> {
        self.views.apply(env.stamp(), event)?;
        self.clock_ns = env.ts_ns;
        match event {
            Event::SessionStarted(session) => self.session = Some(session.clone()),
            Event::MarketBar(bar) => self.mark(&bar.symbol, bar.close),
            Event::MarketTrade(trade) => self.mark(&trade.symbol, trade.price),
            Event::MarketQuote(quote) => {
                if let Some(sum) = quote.bid.checked_add(quote.ask) {
                    self.mark(&quote.symbol, sum / Decimal::TWO);
                }
            }
            Event::CommandRejected(refusal) => {
                self.refused.count += 1;
                if self.refused.first.is_none() {
                    self.refused.first = Some((env.ts_ns, refusal.clone()));
                }
            }
            Event::EngineHalted(halt) => self.halted = Some(halt.reason.clone()),
            Event::EngineResumed(_) => self.halted = None,
            Event::ReconciliationFailed(f) => self.halted = Some(format!("reconciliation failed: {}", f.reason)),
            Event::InvariantViolated(v) => {
                self.halted = Some(format!("invariant violated: {}: {}", v.invariant, v.detail))
            }
            Event::OrderCreated(created) => {
                let id = &created.client_order_id;
                self.correlation.insert_full(id.clone(), env.causation_id.unwrap_or(env.event_id));
                if let Some(at) = expiry::stale_deadline(created, env.ts_ns, self.config()) {
                    self.arm(id, at);
                }
            }
            Event::CancelRejected(rejected) => self.rearm_after_rejected_cancel(&rejected.client_order_id, env.ts_ns),
            _ => {}
        }
        // Only armed orders need the (costlier) order lookup.
        if let Some(id) = event.client_order_id()
            && self.deadline_of.contains_key(id)
            && self.order(id).is_some_and(|o| o.status.is_terminal() || o.status == OrderStatus::PendingCancel)
        {
            self.disarm(id);
        }
        Ok(())
    }

    fn mark(&mut self, symbol: &str, price: Decimal) {
        match self.last_price.get_mut(symbol) {
            Some(last) => *last = price,
            None => {
                self.last_price.insert(symbol.to_owned(), price);
            }
        }
    }

    fn arm(&mut self, id: &ClientOrderId, at: i64) {
        self.disarm(id);
        self.deadlines.insert((at, id.clone()));
        self.deadline_of.insert(id.clone(), at);
    }

    fn disarm(&mut self, id: &ClientOrderId) {
        if let Some(at) = self.deadline_of.swap_remove(id) {
            self.deadlines.remove(&(at, id.clone()));
        }
    }

    /// A refused cancel leaves a stale order working: try again after the grace period.
    fn rearm_after_rejected_cancel(&mut self, id: &ClientOrderId, now_ns: i64) {
        let Some(order) = self.order(id) else { return };
        let had_deadline = expiry::stale_deadline(&order.created, order.transitions[0].ts_ns, self.config()).is_some();
        let grace_ns = i64::try_from(self.config().stale_grace_ms).unwrap_or(i64::MAX).saturating_mul(1_000_000);
        if had_deadline && !order.status.is_terminal() {
            self.arm(&id.clone(), now_ns.saturating_add(grace_ns.max(1)));
        }
    }
}

/// Symbols as map keys in JSON and bincode alike.
mod last_prices {
    use std::collections::BTreeMap;

    use rust_decimal::Decimal;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    #[derive(Serialize, Deserialize)]
    struct Mark {
        symbol: String,
        #[serde(with = "crate::domain::decimal")]
        price: Decimal,
    }

    pub fn serialize<S: Serializer>(map: &BTreeMap<String, Decimal>, s: S) -> Result<S::Ok, S::Error> {
        let marks: Vec<Mark> =
            map.iter().map(|(symbol, price)| Mark { symbol: symbol.clone(), price: *price }).collect();
        marks.serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, Decimal>, D::Error> {
        Ok(Vec::<Mark>::deserialize(d)?.into_iter().map(|m| (m.symbol, m.price)).collect())
    }
}
