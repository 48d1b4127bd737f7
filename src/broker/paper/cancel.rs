//! An order leaves the book without filling: a client cancel arrives, the venue cancels an
//! IOC/FOK remainder, or its time runs out.

use super::PaperVenue;
use super::books::{Known, VenueOrderState};
use crate::broker::{BrokerReport, CancelRequest};
use crate::event::{BrokerCancelRejected, BrokerCancelled, BrokerExpired};

impl PaperVenue {
    /// A client cancel reaches the venue at `at_ns`: it cancels the order if it still works.
    pub(super) fn cancel_arrives(&mut self, request: CancelRequest, at_ns: i64) {
        match self.cancellable(&request) {
            Ok(index) => self.cancel_by_venue(index, "cancelled by client", at_ns),
            Err(reason) => {
                let report = BrokerCancelRejected {
                    client_order_id: request.client_order_id,
                    reason: reason.to_owned(),
                    broker_ts_ns: at_ns,
                };
                self.report(at_ns, BrokerReport::CancelRejected(report));
            }
        }
    }

    /// The working order `request` names, or why it cannot be cancelled.
    fn cancellable(&self, request: &CancelRequest) -> Result<usize, &'static str> {
        let index = match self.books.known(&request.client_order_id) {
            Known::Unknown => return Err("unknown order"),
            Known::Rejected => return Err("order was rejected"),
            Known::Order(index) => index,
        };
        let order = self.books.get(index).ok_or("unknown order")?;
        if request.broker_order_id.as_ref().is_some_and(|id| *id != order.broker_order_id) {
            return Err("broker order id does not match the order");
        }
        match order.state {
            VenueOrderState::Working => Ok(index),
            VenueOrderState::Filled => Err("order already filled"),
            VenueOrderState::Cancelled => Err("order already cancelled"),
            VenueOrderState::Expired => Err("order already expired"),
        }
    }

    /// Cancels working order `index` at `at_ns` with `reason`.
    pub(super) fn cancel_by_venue(&mut self, index: usize, reason: &str, at_ns: i64) {
        let Some(order) = self.books.get(index).filter(|order| order.is_working()) else { return };
        let report = BrokerCancelled {
            client_order_id: order.order.client_order_id.clone(),
            reason: reason.to_owned(),
            broker_ts_ns: at_ns,
        };
        self.close(index, VenueOrderState::Cancelled);
        self.report(at_ns, BrokerReport::Cancelled(report));
    }

    /// Expires working order `index` at `at_ns` (a no-op if it no longer works).
    pub(super) fn expire(&mut self, index: usize, at_ns: i64) {
        let Some(order) = self.books.get(index).filter(|order| order.is_working()) else { return };
        let report = BrokerExpired { client_order_id: order.order.client_order_id.clone(), broker_ts_ns: at_ns };
        self.close(index, VenueOrderState::Expired);
        self.report(at_ns, BrokerReport::Expired(report));
    }

    /// Takes order `index` off the book for good, with its queued expiry.
    pub(super) fn close(&mut self, index: usize, state: VenueOrderState) {
        if let Some(key) = self.books.close(index, state) {
            self.agenda.unschedule(key);
        }
    }
}
