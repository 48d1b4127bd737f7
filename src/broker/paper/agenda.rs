//! The venue's two timed queues: what is due to happen at the venue (orders and cancels
//! arriving, expiries), and the reports on their way back to the engine. Both are keyed by
//! (time, insertion counter), one counter shared by both, so ties go in creation order.

use std::collections::BTreeMap;

use crate::broker::{BrokerReport, CancelRequest, NewOrder, Timed};

/// A queue position: the time (ns), then the insertion counter.
pub(super) type Key = (i64, u64);

/// Something that happens at the venue.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub(super) enum Happening {
    Arrival(NewOrder),
    CancelArrival(CancelRequest),
    /// The order at this index in the books runs out of time.
    Expiry(usize),
    /// A request for the venue's open orders and positions arrives.
    StateRequest,
    /// Injected drift takes effect.
    Drift(super::drift::VenueDrift),
}

#[derive(Debug, Default, serde::Serialize, serde::Deserialize)]
pub(super) struct Agenda {
    happenings: BTreeMap<Key, Happening>,
    outbox: BTreeMap<Key, BrokerReport>,
    counter: u64,
}

impl Agenda {
    fn key(&mut self, at_ns: i64) -> Key {
        let key = (at_ns, self.counter);
        self.counter = self.counter.wrapping_add(1);
        key
    }

    /// Queues `happening` at `at_ns`; the key can [`Agenda::unschedule`] it.
    pub(super) fn schedule(&mut self, at_ns: i64, happening: Happening) -> Key {
        let key = self.key(at_ns);
        self.happenings.insert(key, happening);
        key
    }

    pub(super) fn unschedule(&mut self, key: Key) {
        self.happenings.remove(&key);
    }

    /// The earliest happening due at or before `now_ns`, with its time.
    pub(super) fn pop_due(&mut self, now_ns: i64) -> Option<(i64, Happening)> {
        let entry = self.happenings.first_entry().filter(|entry| entry.key().0 <= now_ns)?;
        let ((at_ns, _), happening) = entry.remove_entry();
        Some((at_ns, happening))
    }

    /// Queues `report` for delivery to the engine at `at_ns`.
    pub(super) fn deliver(&mut self, at_ns: i64, report: BrokerReport) {
        let key = self.key(at_ns);
        self.outbox.insert(key, report);
    }

    /// The earliest report due at or before `now_ns`.
    pub(super) fn pop_report(&mut self, now_ns: i64) -> Option<Timed<BrokerReport>> {
        let entry = self.outbox.first_entry().filter(|entry| entry.key().0 <= now_ns)?;
        let ((at_ns, _), item) = entry.remove_entry();
        Some(Timed { at_ns, item })
    }

    /// The earliest time anything is queued for.
    pub(super) fn next_due(&self) -> Option<i64> {
        let happening = self.happenings.keys().next().map(|key| key.0);
        let report = self.outbox.keys().next().map(|key| key.0);
        happening.into_iter().chain(report).min()
    }
}
