//! The paper venue: a deterministic simulated exchange, a discrete-event simulation in engine
//! time (i64 ns since the Unix epoch). It never reads a clock: the same calls give the same
//! reports, byte for byte.
//!
//! # Model
//! - **Latency** `L` (one-way): a command sent at `t` reaches the venue at `t + L`; a report
//!   of something that happened at the venue at `t` (its `broker_ts_ns`) is delivered at `t + L`.
//! - **Queues** (`agenda`): venue happenings (arrivals, cancel arrivals, expiries) and reports
//!   in flight, each a `BTreeMap` keyed by (time, insertion counter): ties go in creation order.
//!   [`BrokerAdapter::poll_report`] and [`SimulatedVenue::on_bar`] first run every happening due
//!   at or before their time (so a cancel arriving exactly at a bar's time beats the bar).
//! - **Arrival**: validation (duplicate id, qty, price, capacity, market data for market
//!   orders) ⇒ `Rejected`, else `Accepted` as `P-{n}`, then an immediate match against the
//!   *reference price* (the symbol's last close): market orders at the reference ± slippage,
//!   marketable limits at the reference (taker). A limit order on a symbol without a bar yet
//!   is not marketable. IOC remainders and unfillable FOKs are cancelled; DAY/GTC/GTD rest.
//!   Limit prices with more than 8 decimals are rejected, so a rounded fill price is never
//!   worse than the limit.
//! - **Bars**: each bar resets the symbol's *participation budget* (`volume ×
//!   max_bar_participation`), shared by all our orders on it and consumed by every fill until
//!   the next bar. Resting orders match in time priority (broker order id): market remainders
//!   at the open ± slippage (taker); a limit the bar trades strictly through takes one draw
//!   and fills at its limit (maker) if the draw wins. Then the close becomes the reference.
//! - **Fills** take `min(leaves, budget)` rounded down to the order qty's scale (zero: no
//!   fill). Prices and fees are rounded to 8 places (half away from zero) and normalized; a
//!   fill whose arithmetic would overflow `Decimal` does not happen.
//! - **Cancels**: a cancel arriving for a working order cancels it ("cancelled by client");
//!   otherwise it is `CancelRejected` saying why (unknown order, order was rejected, already
//!   filled / cancelled / expired, broker order id does not match). A fill on a bar between a
//!   cancel's send and its arrival comes first.
//! - **Expiry**: an order resting at the earlier of `expire_ns` and its GTD date expires then
//!   (at arrival if that time has passed); DAY without `expire_ns` never expires here.
//!
//! # Randomness
//! One `ChaCha8Rng` seeded with `config.seed ^ RNG_SALT`. It is drawn from only in
//! `on_bar`: exactly one draw (`next_u64`) per resting limit order the bar trades through,
//! in broker order id order, before the budget is looked at. The draw is u = (bits >> 11) /
//! 2^53 (what `rand` makes an `f64` of); the order fills iff u < `limit_fill_probability`,
//! compared exactly as integers.
//!
//! # Bounds
//! At most [`MAX_OPEN_ORDERS`] orders rest; an order arriving beyond that is rejected. The
//! queues hold what is in flight (drained by polling); the books grow with the orders
//! accepted and fills made, which reconciliation needs. Config values out of range are
//! clamped: probability and participation into [0, 1].

mod agenda;
mod arrival;
mod bar;
mod books;
mod cancel;
mod drift;
mod fill;
mod market;
mod pricing;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rust_decimal::Decimal;

use self::agenda::{Agenda, Happening};
use self::books::Books;
use self::market::Market;
use self::pricing::Pricing;
use super::{BrokerAdapter, BrokerCommand, BrokerError, BrokerReport, SimulatedVenue, Timed};
use crate::collections::ChunkedVec;
use crate::domain::ClientOrderId;
use crate::event::{BrokerFilled, MarketBar};

pub use self::books::{VenueOrder, VenueOrderState};
pub use self::drift::VenueDrift;

/// The most orders that may rest at the venue at once.
pub const MAX_OPEN_ORDERS: usize = 100_000;

/// Mixed into the scenario seed so the venue's random stream differs from others seeded by it.
const RNG_SALT: u64 = 0x7061_7065_725f_7631; // "paper_v1"

/// The paper venue's settings (the scenario's `[broker]` table).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PaperConfig {
    /// One-way latency: a command reaches the venue, and a report reaches the engine, this
    /// long after it was sent.
    pub latency_ms: u64,
    /// Market orders fill this much worse than the reference price, in bps.
    pub slippage_bps: Decimal,
    /// Commission on every fill's notional, in bps.
    pub commission_bps: Decimal,
    /// The chance a resting limit order fills on a bar that trades through its price (0..=1).
    pub limit_fill_probability: Decimal,
    /// Our fills on one bar total at most this fraction of its volume (0 < f <= 1).
    pub max_bar_participation: Decimal,
    /// The venue name on fills.
    pub venue: String,
    /// Seeds the venue's ChaCha RNG (the scenario seed).
    pub seed: u64,
}

impl Default for PaperConfig {
    fn default() -> Self {
        PaperConfig {
            latency_ms: 0,
            slippage_bps: Decimal::ZERO,
            commission_bps: Decimal::ZERO,
            limit_fill_probability: Decimal::ONE,
            max_bar_participation: Decimal::ONE,
            venue: "PAPER".to_owned(),
            seed: 0,
        }
    }
}

/// The simulated venue. See the module doc for the model.
#[derive(Debug, serde::Serialize, serde::Deserialize)]
pub struct PaperVenue {
    config: PaperConfig,
    pricing: Pricing,
    rng: ChaCha8Rng,
    agenda: Agenda,
    books: Books,
    markets: BTreeMap<String, Market>,
}

impl PaperVenue {
    pub fn new(config: PaperConfig) -> Self {
        PaperVenue {
            pricing: Pricing::new(&config),
            rng: ChaCha8Rng::seed_from_u64(config.seed ^ RNG_SALT),
            config,
            agenda: Agenda::default(),
            books: Books::default(),
            markets: BTreeMap::new(),
        }
    }

    pub fn config(&self) -> &PaperConfig {
        &self.config
    }

    /// Every order the venue accepted, in broker order id order.
    pub fn orders(&self) -> impl Iterator<Item = &VenueOrder> {
        self.books.all().iter()
    }

    /// The orders resting at the venue, in broker order id order.
    pub fn open_orders(&self) -> impl Iterator<Item = &VenueOrder> {
        self.orders().filter(|order| order.is_working())
    }

    /// The accepted order with this client id.
    pub fn order(&self, id: &ClientOrderId) -> Option<&VenueOrder> {
        match self.books.known(id) {
            books::Known::Order(index) => self.books.get(index),
            _ => None,
        }
    }

    /// Schedules `drift` to change the venue's books at `at_ns` (tests and scenarios).
    pub fn inject(&mut self, at_ns: i64, drift: VenueDrift) {
        self.agenda.schedule(at_ns, Happening::Drift(drift));
    }

    fn index_of(&self, id: &ClientOrderId) -> Option<usize> {
        match self.books.known(id) {
            books::Known::Order(index) => Some(index),
            _ => None,
        }
    }

    /// Every fill, in the order they happened.
    pub fn fills(&self) -> &ChunkedVec<BrokerFilled> {
        self.books.fills()
    }

    /// Net filled quantity per symbol (buys positive), for every symbol with a fill.
    pub fn positions(&self) -> &BTreeMap<String, Decimal> {
        self.books.positions()
    }

    /// Queues `command`, sent at `at_ns`, to arrive after the latency.
    fn dispatch(&mut self, command: BrokerCommand, at_ns: i64) {
        let arrives = self.pricing.after_latency(at_ns);
        let happening = match command {
            BrokerCommand::Submit(order) => Happening::Arrival(order),
            BrokerCommand::Cancel(request) => Happening::CancelArrival(request),
            BrokerCommand::RequestState => Happening::StateRequest,
        };
        self.agenda.schedule(arrives, happening);
    }

    /// Runs every happening due at or before `now_ns`, in (time, insertion) order.
    fn advance(&mut self, now_ns: i64) {
        while let Some((at_ns, happening)) = self.agenda.pop_due(now_ns) {
            match happening {
                Happening::Arrival(order) => self.arrive(order, at_ns),
                Happening::CancelArrival(request) => self.cancel_arrives(request, at_ns),
                Happening::Expiry(index) => self.expire(index, at_ns),
                Happening::StateRequest => {
                    let state = self.state_report(at_ns);
                    self.report(at_ns, BrokerReport::State(state));
                }
                Happening::Drift(drift) => self.drift(drift),
            }
        }
    }

    /// Queues `report` of something that happened at the venue at `at_ns`.
    fn report(&mut self, at_ns: i64, report: BrokerReport) {
        self.agenda.deliver(self.pricing.after_latency(at_ns), report);
    }

    fn poll(&mut self, now_ns: i64) -> Option<Timed<BrokerReport>> {
        self.advance(now_ns);
        self.agenda.pop_report(now_ns)
    }
}

/// The paper venue never fails: `send` always succeeds, and a bad command comes back as a
/// `Rejected` or `CancelRejected` report.
impl BrokerAdapter for PaperVenue {
    async fn send(&mut self, command: BrokerCommand, at_ns: i64) -> Result<(), BrokerError> {
        self.dispatch(command, at_ns);
        Ok(())
    }

    async fn poll_report(&mut self, now_ns: i64) -> Result<Option<Timed<BrokerReport>>, BrokerError> {
        Ok(self.poll(now_ns))
    }
}

impl SimulatedVenue for PaperVenue {
    fn on_bar(&mut self, bar: &MarketBar, at_ns: i64) {
        self.bar(bar, at_ns);
    }

    fn next_due(&self) -> Option<i64> {
        self.agenda.next_due()
    }
}
