//! The pure order domain: value types, ids, the order state machine and its errors.
//! No I/O and no clock: everything here is a function of its inputs.

pub mod decimal;
mod decimal_text;
mod error;
mod ids;
mod liquidity;
mod name_text;
mod order_type;
mod side;
mod status;
mod time_in_force;
mod transition;

pub use decimal_text::{BadDecimal, parse_decimal};
pub use error::OrderError;
pub use ids::{BrokerOrderId, ClientOrderId, FillId};
pub use liquidity::LiquiditySide;
pub use name_text::{
    BadName, MAX_FREE_TEXT_BYTES, MAX_IDENTIFIER_BYTES, check_free_text, check_identifier, free_text, identifier,
};
pub use order_type::OrderType;
pub use side::Side;
pub use status::OrderStatus;
pub use time_in_force::TimeInForce;
pub use transition::{OrderState, OrderTrigger, transition};
