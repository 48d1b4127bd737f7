//! Decimal numbers written as text, read exactly.

use std::str::FromStr;

use rust_decimal::Decimal;

/// Parses `1.10785`, `-3`, `46319.0` or an exponent form (`1e3`, `2.5E-4`) exactly. `None` if
/// it is none of these or does not fit a `Decimal`.
pub fn parse_decimal(text: &str) -> Option<Decimal> {
    if text.contains(['e', 'E']) { Decimal::from_scientific(text) } else { Decimal::from_str(text) }.ok()
}
