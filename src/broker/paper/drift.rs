//! Drift: differences between the venue's books and what it reported, injected by tests and
//! scenarios so reconciliation has something to find. A drift changes only the books (what a
//! state report says), never a report already sent.

use rust_decimal::Decimal;

use super::PaperVenue;
use super::books::VenueOrderState;
use crate::domain::{BrokerOrderId, ClientOrderId, Side};
use crate::event::{BrokerStateReported, ReportedOrder, ReportedPosition};

/// One injected difference.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum VenueDrift {
    /// The venue's position in `symbol` moves by `qty` without a report (a fill the engine
    /// never heard of, or one the venue lost).
    ShiftPosition { symbol: String, qty: Decimal },
    /// An order the engine does not know appears open at the venue (it never trades).
    PhantomOrder { client_order_id: ClientOrderId, symbol: String, side: Side, qty: Decimal },
    /// The venue forgets an order: it leaves the book without a report.
    ForgetOrder { client_order_id: ClientOrderId },
}

impl PaperVenue {
    /// Applies a drift now (the agenda calls this at its time).
    pub(super) fn drift(&mut self, drift: VenueDrift) {
        match drift {
            VenueDrift::ShiftPosition { symbol, qty } => self.books.shift_position(&symbol, qty),
            VenueDrift::PhantomOrder { client_order_id, symbol, side, qty } => {
                let broker_order_id = BrokerOrderId::new(format!("X-{}", self.books.phantoms().len() + 1));
                self.books.add_phantom(ReportedOrder {
                    client_order_id,
                    broker_order_id,
                    symbol,
                    side,
                    leaves_qty: qty,
                });
            }
            VenueDrift::ForgetOrder { client_order_id } => {
                let working = self.order(&client_order_id).is_some_and(|o| o.is_working());
                if let Some(index) = self.index_of(&client_order_id).filter(|_| working)
                    && let Some(expiry) = self.books.close(index, VenueOrderState::Cancelled)
                {
                    self.agenda.unschedule(expiry);
                }
            }
        }
    }

    /// What the venue says it holds: open orders (phantoms included) and net positions.
    pub(super) fn state_report(&self, at_ns: i64) -> BrokerStateReported {
        let mut open_orders: Vec<ReportedOrder> = self
            .open_orders()
            .map(|o| ReportedOrder {
                client_order_id: o.order.client_order_id.clone(),
                broker_order_id: o.broker_order_id.clone(),
                symbol: o.order.symbol.clone(),
                side: o.order.side,
                leaves_qty: o.leaves_qty(),
            })
            .collect();
        open_orders.extend(self.books.phantoms().iter().cloned());
        let positions = self
            .positions()
            .iter()
            .map(|(symbol, qty)| ReportedPosition { symbol: symbol.clone(), qty: *qty })
            .collect();
        BrokerStateReported { open_orders, positions, broker_ts_ns: at_ns }
    }
}
