//! Order type.

use serde::{Deserialize, Serialize};

/// A market order carries no price; a limit order must carry a positive one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OrderType {
    Market,
    Limit,
}
