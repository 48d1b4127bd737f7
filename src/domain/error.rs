//! Why an order event is refused by the decision step.

use rust_decimal::Decimal;
use thiserror::Error;

use super::{ClientOrderId, FillId, OrderStatus, OrderTrigger};

/// A refused order event. Invalid events never reach the journal: the decision step
/// (`Oms::check`) returns one of these instead.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum OrderError {
    #[error("{trigger:?} is not allowed from {from:?}")]
    InvalidTransition { from: OrderStatus, trigger: OrderTrigger },
    #[error("the order is {status:?}, a terminal state: {trigger:?} is not allowed")]
    TerminalState { status: OrderStatus, trigger: OrderTrigger },
    /// An accept without a broker order id, or a fill on an order the broker never confirmed.
    #[error("order {client_order_id}: {trigger:?} needs a broker order id")]
    BrokerConfirmationRequired { client_order_id: ClientOrderId, trigger: OrderTrigger },
    #[error("order {client_order_id} already exists")]
    DuplicateOrder { client_order_id: ClientOrderId },
    #[error("order {client_order_id} already has fill {fill_id}")]
    DuplicateFill { client_order_id: ClientOrderId, fill_id: FillId },
    #[error("order {client_order_id} is unknown")]
    UnknownOrder { client_order_id: ClientOrderId },
    #[error("{field} must be positive, got {value}")]
    NonPositiveQty { field: &'static str, value: Decimal },
    #[error("{field} must be positive, got {value}")]
    NonPositivePrice { field: &'static str, value: Decimal },
    #[error("a limit order needs a limit price")]
    MissingLimitPrice,
    #[error("a market order must not carry a limit price")]
    LimitPriceOnMarketOrder,
    #[error("{field} must not be empty")]
    EmptyField { field: &'static str },
    #[error("arithmetic overflow computing {what}")]
    Overflow { what: &'static str },
}
