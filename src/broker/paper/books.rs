//! The venue's own books: every order it accepted, which of them rest (per symbol, in time
//! priority), the ids it rejected, its fills and the positions they make. Kept for
//! reconciliation against the engine's view.

use std::collections::{BTreeMap, BTreeSet};

use rust_decimal::Decimal;

use super::agenda::Key;
use crate::broker::NewOrder;
use crate::collections::ChunkedVec;
use crate::domain::{BrokerOrderId, ClientOrderId};
use crate::event::{BrokerFilled, ReportedOrder};

/// Where an accepted order stands at the venue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
pub enum VenueOrderState {
    /// On the book (or being matched on arrival).
    Working,
    Filled,
    Cancelled,
    Expired,
}

/// An order the venue accepted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct VenueOrder {
    /// The order as it arrived.
    pub order: NewOrder,
    /// `P-{n}`: the n-th order the venue accepted.
    pub broker_order_id: BrokerOrderId,
    pub state: VenueOrderState,
    /// Cumulative filled quantity.
    pub filled_qty: Decimal,
    /// How many fills it has had.
    pub fill_count: u64,
    /// When it arrived (ns).
    pub accepted_ns: i64,
    /// When the venue expires it if it still rests (ns), if ever.
    pub expire_ns: Option<i64>,
    /// Its queued expiry, removed when it leaves the book some other way.
    pub(super) expiry: Option<Key>,
}

impl VenueOrder {
    /// What is left to fill.
    pub fn leaves_qty(&self) -> Decimal {
        self.order.qty - self.filled_qty
    }

    pub fn is_working(&self) -> bool {
        self.state == VenueOrderState::Working
    }
}

/// What the venue knows of a client order id.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Known {
    Unknown,
    Rejected,
    Order(usize),
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Books {
    /// Index n - 1 holds broker order `P-{n}`. Chunked: it only grows, and a `Vec`'s
    /// doubling copy would stall the venue (live) every time it filled.
    orders: ChunkedVec<VenueOrder>,
    by_client: BTreeMap<ClientOrderId, usize>,
    rejected: BTreeSet<ClientOrderId>,
    /// Resting order indices per symbol; index order is time priority.
    resting: BTreeMap<String, BTreeSet<usize>>,
    open: usize,
    fills: ChunkedVec<BrokerFilled>,
    positions: BTreeMap<String, Decimal>,
    /// Orders injected by drift that the engine does not know (they never trade).
    phantoms: Vec<ReportedOrder>,
}

impl Books {
    pub(super) fn known(&self, id: &ClientOrderId) -> Known {
        match self.by_client.get(id) {
            Some(&index) => Known::Order(index),
            None if self.rejected.contains(id) => Known::Rejected,
            None => Known::Unknown,
        }
    }

    pub(super) fn note_rejected(&mut self, id: &ClientOrderId) {
        if !self.by_client.contains_key(id) {
            self.rejected.insert(id.clone());
        }
    }

    /// Books a newly accepted order (working, not yet resting); returns its index.
    pub(super) fn accept(&mut self, order: NewOrder, at_ns: i64, expire_ns: Option<i64>) -> usize {
        let index = self.orders.len();
        self.by_client.insert(order.client_order_id.clone(), index);
        self.orders.push(VenueOrder {
            order,
            broker_order_id: BrokerOrderId::new(format!("P-{}", index + 1)),
            state: VenueOrderState::Working,
            filled_qty: Decimal::ZERO,
            fill_count: 0,
            accepted_ns: at_ns,
            expire_ns,
            expiry: None,
        });
        index
    }

    pub(super) fn get(&self, index: usize) -> Option<&VenueOrder> {
        self.orders.get(index)
    }

    pub(super) fn get_mut(&mut self, index: usize) -> Option<&mut VenueOrder> {
        self.orders.get_mut(index)
    }

    pub(super) fn all(&self) -> &ChunkedVec<VenueOrder> {
        &self.orders
    }

    /// How many orders rest.
    pub(super) fn open_count(&self) -> usize {
        self.open
    }

    /// Puts a working order on its symbol's book.
    pub(super) fn rest(&mut self, index: usize) {
        let Some(order) = self.orders.get(index) else { return };
        if self.resting.entry(order.order.symbol.clone()).or_default().insert(index) {
            self.open += 1;
        }
    }

    /// The resting orders of `symbol`, in time priority.
    pub(super) fn resting_in(&self, symbol: &str) -> Vec<usize> {
        self.resting.get(symbol).map(|indices| indices.iter().copied().collect()).unwrap_or_default()
    }

    /// Takes an order off the book for good; returns its queued expiry, if any.
    pub(super) fn close(&mut self, index: usize, state: VenueOrderState) -> Option<Key> {
        let order = self.orders.get_mut(index)?;
        order.state = state;
        let expiry = order.expiry.take();
        let symbol = &order.order.symbol;
        if let Some(indices) = self.resting.get_mut(symbol) {
            if indices.remove(&index) {
                self.open -= 1;
            }
            if indices.is_empty() {
                self.resting.remove(symbol);
            }
        }
        expiry
    }

    /// Records a fill of the order at `index` (already applied to the order).
    pub(super) fn record_fill(&mut self, index: usize, fill: BrokerFilled) {
        if let Some(order) = self.orders.get(index) {
            let position = self.positions.entry(order.order.symbol.clone()).or_default();
            *position = position.saturating_add(order.order.side.signed(fill.qty));
        }
        self.fills.push(fill);
    }

    pub(super) fn fills(&self) -> &ChunkedVec<BrokerFilled> {
        &self.fills
    }

    pub(super) fn positions(&self) -> &BTreeMap<String, Decimal> {
        &self.positions
    }

    /// Drift: moves a position without a fill.
    pub(super) fn shift_position(&mut self, symbol: &str, qty: Decimal) {
        let position = self.positions.entry(symbol.to_owned()).or_default();
        *position = position.saturating_add(qty);
    }

    pub(super) fn add_phantom(&mut self, order: ReportedOrder) {
        self.phantoms.push(order);
    }

    pub(super) fn phantoms(&self) -> &[ReportedOrder] {
        &self.phantoms
    }
}
