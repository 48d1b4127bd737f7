//! How a `rust_decimal::Decimal` is serialized: a string in human-readable formats (JSON:
//! `"1.0950"`, exact, scale kept; read by [`super::parse_decimal`], which refuses what it would
//! have to round), and `(scale: u8, mantissa: i128)` in binary ones (bincode
//! varint-encodes both: 1.0950 takes 4 bytes and decodes without parsing text).
//!
//! Use as `#[serde(with = "crate::domain::decimal")]`, or `decimal::option` for
//! `Option<Decimal>`. Decoding validates (scale ≤ 28, |mantissa| < 2⁹⁶): bad bytes are an
//! error, never a panic.
//!
//! Also [`compare`]: the order of two decimals, fast when they share a scale.

use std::cmp::Ordering;

use rust_decimal::Decimal;
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

pub fn serialize<S: Serializer>(value: &Decimal, serializer: S) -> Result<S::Ok, S::Error> {
    if serializer.is_human_readable() {
        Serialize::serialize(value, serializer)
    } else {
        (value.scale() as u8, value.mantissa()).serialize(serializer)
    }
}

pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Decimal, D::Error> {
    if deserializer.is_human_readable() {
        // Read exactly (`parse_decimal`): `Decimal`'s own parser rounds what does not fit.
        deserializer.deserialize_str(DecimalText)
    } else {
        let (scale, mantissa) = <(u8, i128)>::deserialize(deserializer)?;
        Decimal::try_from_i128_with_scale(mantissa, u32::from(scale))
            .map_err(|e| D::Error::custom(format!("bad decimal (scale {scale}, mantissa {mantissa}): {e}")))
    }
}

/// A decimal as text, read in place (no copy of the string).
struct DecimalText;

impl serde::de::Visitor<'_> for DecimalText {
    type Value = Decimal;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a decimal number as a string")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Decimal, E> {
        super::parse_decimal(text).map_err(|why| E::custom(format!("decimal {text:?} {why}")))
    }
}

/// `a.cmp(b)`. Two decimals of one scale (a fill's quantity against the order's: the usual
/// case on the fold's hot path) compare by their mantissas; `Decimal`'s own comparison first
/// tests zeros and signs, then rescales, ~100 instructions a call in the fold (callgrind).
#[inline]
pub fn compare(a: &Decimal, b: &Decimal) -> Ordering {
    if a.scale() == b.scale() { a.mantissa().cmp(&b.mantissa()) } else { a.cmp(b) }
}

/// The same for `Option<Decimal>`.
pub mod option {
    use super::*;

    /// Borrows a decimal so it serializes through the parent module.
    struct Wrapped<'a>(&'a Decimal);

    impl Serialize for Wrapped<'_> {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            super::serialize(self.0, serializer)
        }
    }

    struct Owned(Decimal);

    impl<'de> Deserialize<'de> for Owned {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            super::deserialize(deserializer).map(Owned)
        }
    }

    pub fn serialize<S: Serializer>(value: &Option<Decimal>, serializer: S) -> Result<S::Ok, S::Error> {
        value.as_ref().map(Wrapped).serialize(serializer)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Decimal>, D::Error> {
        Ok(Option::<Owned>::deserialize(deserializer)?.map(|owned| owned.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    struct Both {
        #[serde(with = "super")]
        a: Decimal,
        #[serde(with = "super::option")]
        b: Option<Decimal>,
    }

    fn bin() -> bincode::config::Configuration {
        bincode::config::standard()
    }

    #[test]
    fn json_is_an_exact_string_and_binary_is_compact_both_round_trip_with_scale() {
        for (a, b) in [("1.0950", Some("-0.00001")), ("0", None), ("79228162514264337593543950335", Some("1e-28"))] {
            let a: Decimal = a.parse().or_else(|_| Decimal::from_scientific(a)).unwrap();
            let b = b.map(|b| b.parse().or_else(|_| Decimal::from_scientific(b)).unwrap());
            let value = Both { a, b };
            let json = serde_json::to_string(&value).unwrap();
            assert!(json.contains(&format!("\"a\":\"{a}\"")), "{json}");
            let back: Both = serde_json::from_str(&json).unwrap();
            assert_eq!((back.a.scale(), back.b.map(|b| b.scale())), (a.scale(), b.map(|b| b.scale())));
            assert_eq!(back, value);
            let bytes = bincode::serde::encode_to_vec(&value, bin()).unwrap();
            let (back, _): (Both, usize) = bincode::serde::decode_from_slice(&bytes, bin()).unwrap();
            assert_eq!(back.a.scale(), a.scale());
            assert_eq!(back, value);
        }
        let small = Both { a: "1.0950".parse().unwrap(), b: None };
        assert_eq!(bincode::serde::encode_to_vec(&small, bin()).unwrap().len(), 5, "scale, 3-byte mantissa, None");
    }

    proptest::proptest! {
        #[test]
        fn compare_orders_as_decimal_does(
            a in -(1i128 << 96) + 1..(1i128 << 96),
            b in -(1i128 << 96) + 1..(1i128 << 96),
            (scale_a, scale_b) in (0u32..=28, 0u32..=28),
            same_scale: bool,
            small: bool,
        ) {
            // Small mantissas and one scale are the fast path; zeros, signs and the widest
            // mantissas the edges.
            let (a, b) = if small { (a % 1000, b % 1000) } else { (a, b) };
            let scale_b = if same_scale { scale_a } else { scale_b };
            let (a, b) = (Decimal::from_i128_with_scale(a, scale_a), Decimal::from_i128_with_scale(b, scale_b));
            proptest::prop_assert_eq!(compare(&a, &b), a.cmp(&b));
            proptest::prop_assert_eq!(compare(&a, &-a), a.cmp(&-a), "a against its negation (and -0 against 0)");
        }
    }

    #[test]
    fn invalid_binary_decimals_are_errors_not_panics() {
        for (scale, mantissa) in [(29u8, 1i128), (0, 1 << 96), (255, i128::MIN)] {
            let bytes = bincode::serde::encode_to_vec((scale, mantissa, 0u8), bin()).unwrap();
            assert!(bincode::serde::decode_from_slice::<Both, _>(&bytes, bin()).is_err(), "{scale} {mantissa}");
        }
    }
}
