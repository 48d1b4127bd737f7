//! Brokers: what the engine sends to a venue ([`BrokerCommand`]) and what comes back
//! ([`BrokerReport`], journaled as an input before the engine acts on it).
//!
//! [`BrokerAdapter`] is the async seam a real broker adapter implements; [`SimulatedVenue`]
//! adds what a simulated venue needs from the scenario runner (market data, its next due
//! time). [`paper::PaperVenue`] is the simulated venue.

pub mod paper;

use std::future::Future;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::domain::{BrokerOrderId, ClientOrderId, OrderType, Side, TimeInForce};
use crate::event::{
    BrokerAccepted, BrokerCancelRejected, BrokerCancelled, BrokerExpired, BrokerFilled, BrokerRejected,
    BrokerStateReported, Event, MarketBar,
};

/// An instruction to the venue. Only ever sent once the decision that made it is durable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerCommand {
    Submit(NewOrder),
    Cancel(CancelRequest),
    /// Report open orders and positions (reconciliation).
    RequestState,
}

/// A new order as the venue sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewOrder {
    pub client_order_id: ClientOrderId,
    pub symbol: String,
    pub side: Side,
    pub order_type: OrderType,
    pub qty: Decimal,
    pub limit_price: Option<Decimal>,
    pub time_in_force: TimeInForce,
    /// When the venue expires it (DAY: the engine's day end; GTD: its expiry); ns.
    pub expire_ns: Option<i64>,
}

/// Cancel an order the venue may know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CancelRequest {
    pub client_order_id: ClientOrderId,
    pub broker_order_id: Option<BrokerOrderId>,
}

/// What a venue reports about an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrokerReport {
    Accepted(BrokerAccepted),
    Rejected(BrokerRejected),
    Filled(BrokerFilled),
    Cancelled(BrokerCancelled),
    CancelRejected(BrokerCancelRejected),
    Expired(BrokerExpired),
    State(BrokerStateReported),
}

impl From<BrokerReport> for Event {
    fn from(report: BrokerReport) -> Event {
        match report {
            BrokerReport::Accepted(r) => r.into(),
            BrokerReport::Rejected(r) => r.into(),
            BrokerReport::Filled(r) => r.into(),
            BrokerReport::Cancelled(r) => r.into(),
            BrokerReport::CancelRejected(r) => r.into(),
            BrokerReport::Expired(r) => r.into(),
            BrokerReport::State(r) => r.into(),
        }
    }
}

/// Something that happens at an engine time (ns since the Unix epoch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Timed<T> {
    pub at_ns: i64,
    pub item: T,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum BrokerError {
    #[error("the broker connection is down")]
    Disconnected,
    #[error("the broker refused the request: {0}")]
    Refused(String),
}

/// The seam between the engine and a broker. The engine calls [`BrokerAdapter::send`] only
/// after the events that caused the command are durable; reports come back through
/// [`BrokerAdapter::poll_report`] and are journaled as inputs.
pub trait BrokerAdapter: Send {
    /// Hands `command`, decided at engine time `at_ns`, to the venue.
    fn send(&mut self, command: BrokerCommand, at_ns: i64) -> impl Future<Output = Result<(), BrokerError>> + Send;

    /// The next report available at engine time `now_ns`, if any (a simulated venue: the next
    /// one due at or before `now_ns`; a live one: the next one received).
    fn poll_report(
        &mut self,
        now_ns: i64,
    ) -> impl Future<Output = Result<Option<Timed<BrokerReport>>, BrokerError>> + Send;
}

/// A venue simulated in engine time, driven by the scenario runner.
pub trait SimulatedVenue: BrokerAdapter {
    /// A bar closed at `at_ns`: match resting orders against it.
    fn on_bar(&mut self, bar: &MarketBar, at_ns: i64);

    /// The earliest engine time at which the venue has something to do (an order or cancel
    /// arriving, an expiry, a report to deliver), if any.
    fn next_due(&self) -> Option<i64>;
}
