//! A decimal in a scenario file: a string (`"1.0950"`, exact) or a TOML number. A float is
//! read through its shortest text form, so `1.1` is exactly `1.1` on every machine.

use std::fmt;

use rust_decimal::Decimal;
use serde::de::{self, Deserialize, Deserializer, Visitor};

use crate::domain::{BadDecimal, parse_decimal};

/// A number as written; [`Number::to_decimal`] reads it.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Number {
    Text(String),
    Integer(i64),
    Float(f64),
}

impl Number {
    /// The exact decimal, or why there is none (not a number, or more digits than a decimal
    /// holds: never rounded).
    pub fn to_decimal(&self) -> Result<Decimal, BadDecimal> {
        match self {
            Number::Text(text) => parse_decimal(text.trim()),
            Number::Integer(value) => Ok(Decimal::from(*value)),
            Number::Float(value) if value.is_finite() => parse_decimal(&value.to_string()),
            Number::Float(_) => Err(BadDecimal::NotANumber),
        }
    }

    /// [`Number::to_decimal`], its error naming `field` and the number as written.
    pub fn decimal(&self, field: &str) -> Result<Decimal, String> {
        self.to_decimal().map_err(|why| format!("{field} {self} {why}"))
    }
}

/// As written: text quoted (`"-1"`), numbers bare (`-1`, `0.5`).
impl fmt::Display for Number {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Number::Text(text) => write!(f, "{text:?}"),
            Number::Integer(value) => write!(f, "{value}"),
            Number::Float(value) => write!(f, "{value:?}"),
        }
    }
}

impl<'de> Deserialize<'de> for Number {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(NumberVisitor)
    }
}

struct NumberVisitor;

impl Visitor<'_> for NumberVisitor {
    type Value = Number;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a decimal number, as a string (\"1.0950\") or a TOML number")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Number, E> {
        Ok(Number::Text(value.to_owned()))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Number, E> {
        Ok(Number::Integer(value))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Number, E> {
        i64::try_from(value).map(Number::Integer).map_err(|_| E::invalid_value(de::Unexpected::Unsigned(value), &self))
    }

    fn visit_f64<E: de::Error>(self, value: f64) -> Result<Number, E> {
        Ok(Number::Float(value))
    }
}

/// The range a decimal must fall in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Rule {
    /// `> 0`
    Positive,
    /// `>= 0`
    NotNegative,
    /// `0 ..= 1`
    Probability,
    /// `0 < x <= 1`
    Fraction,
}

impl Rule {
    fn admits(self, value: Decimal) -> bool {
        match self {
            Rule::Positive => value > Decimal::ZERO,
            Rule::NotNegative => value >= Decimal::ZERO,
            Rule::Probability => (Decimal::ZERO..=Decimal::ONE).contains(&value),
            Rule::Fraction => value > Decimal::ZERO && value <= Decimal::ONE,
        }
    }

    fn describe(self) -> &'static str {
        match self {
            Rule::Positive => "positive",
            Rule::NotNegative => "at least 0",
            Rule::Probability => "between 0 and 1",
            Rule::Fraction => "above 0 and at most 1",
        }
    }
}

impl Number {
    /// The decimal if it obeys `rule`; else the problem, naming `field`.
    pub fn checked(&self, field: &str, rule: Rule) -> Result<Decimal, String> {
        let value = self.decimal(field)?;
        if rule.admits(value) { Ok(value) } else { Err(format!("{field} must be {}, got {self}", rule.describe())) }
    }
}
