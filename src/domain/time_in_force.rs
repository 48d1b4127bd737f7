//! Time in force.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum TimeInForce {
    /// Until the end of the trading day.
    Day,
    /// Good till cancelled.
    Gtc,
    /// Immediate or cancel: the unfilled remainder is cancelled at once.
    Ioc,
    /// Fill or kill: filled entirely at once, or cancelled.
    Fok,
    /// Good till date: expires at `expire_ns` (engine time, ns since the Unix epoch).
    Gtd { expire_ns: i64 },
}
