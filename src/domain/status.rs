//! Order status.

use serde::{Deserialize, Serialize};

/// Where an order is in its lifecycle. See [`crate::domain::transition`] for the moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderStatus {
    /// Created, not yet sent.
    Pending,
    /// Sent to the broker, not yet acknowledged.
    Submitted,
    /// Acknowledged by the broker (it has a broker order id).
    Accepted,
    PartiallyFilled,
    /// A cancel was sent and is not yet answered.
    PendingCancel,
    Filled,
    Cancelled,
    /// Refused by the broker.
    Rejected,
    Expired,
    /// Refused by us (risk) before it was sent.
    Denied,
}

impl OrderStatus {
    /// Every status, in declaration order.
    pub const ALL: [OrderStatus; 10] = [
        OrderStatus::Pending,
        OrderStatus::Submitted,
        OrderStatus::Accepted,
        OrderStatus::PartiallyFilled,
        OrderStatus::PendingCancel,
        OrderStatus::Filled,
        OrderStatus::Cancelled,
        OrderStatus::Rejected,
        OrderStatus::Expired,
        OrderStatus::Denied,
    ];

    /// Terminal orders never work again and have no leaves quantity. (Late fills and
    /// overfills are still recorded on them; see [`crate::domain::transition`].)
    pub const fn is_terminal(self) -> bool {
        matches!(
            self,
            OrderStatus::Filled
                | OrderStatus::Cancelled
                | OrderStatus::Rejected
                | OrderStatus::Expired
                | OrderStatus::Denied
        )
    }
}

#[cfg(test)]
mod tests {
    use super::OrderStatus::*;
    use super::*;

    #[test]
    fn terminal_statuses_are_exactly_the_five_end_states() {
        let terminal: Vec<_> = OrderStatus::ALL.into_iter().filter(|s| s.is_terminal()).collect();
        assert_eq!(terminal, [Filled, Cancelled, Rejected, Expired, Denied]);
    }
}
