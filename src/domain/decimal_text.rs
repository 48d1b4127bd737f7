//! Decimal numbers written as text, read exactly or not at all.
//!
//! Why not `Decimal::from_str`: it rounds what does not fit (`10.50000000000000000000000000001`
//! reads as 10.5, `0.00000000000000000000000000001` as 0) and so does `from_scientific`; a
//! quantity or price must never change on its way in. This reads the text's digits, applies
//! the exponent by moving the point, drops the zeros that do not change the value only where
//! the decimal needs it (so `1.0950` keeps its scale, 4), and hands the rest to
//! `Decimal::from_str_exact`, which refuses anything it would have to round.

use std::fmt;

use rust_decimal::Decimal;

/// Digits after the point a [`Decimal`] holds.
const MAX_PLACES: usize = 28;
/// Significant digits a [`Decimal`] can hold (96 bits: 79,228,162,514,264,337,593,543,950,335).
const MAX_DIGITS: usize = 29;
/// Exponents beyond this cannot be exact for any text that is not zero (no decimal spans more
/// than 57 digit positions); refused before any digits are moved.
const MAX_EXPONENT: i64 = 64;

/// Why a text is not a decimal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BadDecimal {
    /// Not of the form `[+-]digits[.digits][e[+-]digits]`.
    NotANumber,
    /// A number, but not one a [`Decimal`] holds exactly.
    Inexact,
}

impl fmt::Display for BadDecimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BadDecimal::NotANumber => "is not a decimal number",
            BadDecimal::Inexact => {
                "has more digits than a decimal holds exactly (28 after the point, 29 significant in all)"
            }
        })
    }
}

/// Parses `1.10785`, `-3`, `46319.0`, `.5` or an exponent form (`1e3`, `2.5E-4`) exactly: the
/// value written, or an error, never a rounded value.
pub fn parse_decimal(text: &str) -> Result<Decimal, BadDecimal> {
    let (negative, unsigned) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let (mantissa, exponent) = match unsigned.find(['e', 'E']) {
        Some(at) => (&unsigned[..at], exponent(&unsigned[at + 1..])?),
        None => (unsigned, 0),
    };
    let (whole, fraction) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let all_digits = |part: &str| part.bytes().all(|b| b.is_ascii_digit());
    if whole.len() + fraction.len() == 0 || !all_digits(whole) || !all_digits(fraction) {
        return Err(BadDecimal::NotANumber);
    }
    // The usual case (a bar's column, a scenario's price): plain text `Decimal` holds at its
    // written scale, read without building anything. `from_str_exact` fails rather than
    // round; zeros take the path below, which never makes a negative zero.
    if unsigned.len() == mantissa.len()
        && let Ok(value) = Decimal::from_str_exact(text)
        && !value.is_zero()
    {
        return Ok(value);
    }
    let digits = [whole.as_bytes(), fraction.as_bytes()].concat();
    let Some(first) = digits.iter().position(|&d| d != b'0') else {
        // Zero at any exponent, at its written scale (at most 28 places); never negative.
        let places = (fraction.len() as i64).saturating_sub(exponent).clamp(0, MAX_PLACES as i64);
        return Ok(Decimal::new(0, places as u32));
    };
    if exponent.unsigned_abs() > MAX_EXPONENT.unsigned_abs() {
        return Err(BadDecimal::Inexact);
    }
    // The value is 0.digits × 10^point: the point sits `point` digits into `digits`.
    let (digits, point) = (&digits[first..], whole.len() as i64 + exponent - first as i64);
    let significant = digits.len() - digits.iter().rev().take_while(|&&d| d == b'0').count();
    if point > MAX_DIGITS as i64 || significant > MAX_DIGITS {
        return Err(BadDecimal::Inexact);
    }
    // At the written scale (at most 28 places) if the decimal holds that, else at the least.
    let exact = |places| Decimal::from_str_exact(&plain_text(negative, digits, point, places));
    let written = (digits.len() as i64 - point).max(0);
    let least = (significant as i64 - point).max(0);
    if least > MAX_PLACES as i64 {
        return Err(BadDecimal::Inexact);
    }
    exact(written.min(MAX_PLACES as i64)).or_else(|_| exact(least)).map_err(|_| BadDecimal::Inexact)
}

/// The exponent after `e`: `[+-]digits`.
fn exponent(text: &str) -> Result<i64, BadDecimal> {
    let digits = text.strip_prefix(['+', '-']).unwrap_or(text);
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(BadDecimal::NotANumber);
    }
    // Too long for an `i64` is far past any exact decimal but zero: saturate.
    Ok(text.parse().unwrap_or(if text.starts_with('-') { i64::MIN } else { i64::MAX }))
}

/// `digits` (no leading zero) with the point `point` digits in, as plain text
/// (`[-]whole[.fraction]`) with `places` digits after the point: digits past the end are
/// zeros, and the caller only cuts zeros.
fn plain_text(negative: bool, digits: &[u8], point: i64, places: i64) -> String {
    let digit = |at: i64| if (0..digits.len() as i64).contains(&at) { digits[at as usize] as char } else { '0' };
    let mut text = String::with_capacity(MAX_PLACES + MAX_DIGITS + 3);
    if negative {
        text.push('-');
    }
    if point <= 0 {
        text.push('0');
    }
    (0..point).for_each(|at| text.push(digit(at)));
    if places > 0 {
        text.push('.');
        (point..point + places).for_each(|at| text.push(digit(at)));
    }
    text
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn parsed(text: &str) -> Result<String, BadDecimal> {
        parse_decimal(text).map(|d| d.to_string())
    }

    #[test]
    fn plain_and_exponent_forms_read_exactly_and_keep_their_scale() {
        let ok = |text: &str, want: &str| assert_eq!(parsed(text), Ok(want.to_owned()), "{text}");
        ok("1.0950", "1.0950");
        ok("46319.0", "46319.0");
        ok("-3", "-3");
        ok("+10", "10");
        ok(".5", "0.5");
        ok("5.", "5");
        ok("007.50", "7.50");
        ok("-0", "0");
        ok("-0.00", "0.00");
        ok("0.0e-2", "0.000");
        ok("0e99999999999999999999", "0");
        ok("1e3", "1000");
        ok("2.5E-4", "0.00025");
        ok("1.5e+2", "150");
        ok("79228162514264337593543950335", "79228162514264337593543950335");
        ok("7.9228162514264337593543950335e28", "79228162514264337593543950335");
        ok("0.0000000000000000000000000001", "0.0000000000000000000000000001");
        ok("1e-28", "0.0000000000000000000000000001");
        // Zeros that only lengthen the scale past what a decimal holds are dropped, not the value.
        ok("10.500000000000000000000000000000", "10.5");
        ok("1.000000000000000000000000000000", "1.0000000000000000000000000000");
        ok("1e28", "10000000000000000000000000000");
        ok("7922816251426433759354395033.5", "7922816251426433759354395033.5"); // mantissa 2^96 - 1
        // A scale the mantissa cannot hold, of zeros only: read at the least scale.
        ok("12345678901234567890.000000000000000000000", "12345678901234567890");
    }

    #[test]
    fn what_a_decimal_cannot_hold_exactly_is_refused_not_rounded() {
        let inexact = |text: &str| assert_eq!(parsed(text), Err(BadDecimal::Inexact), "{text}");
        inexact("10.50000000000000000000000000001");
        inexact("0.00000000000000000000000000001");
        inexact("1.00000000000000000000000000001e0");
        inexact("1e-29");
        inexact("79228162514264337593543950336");
        inexact("1e29");
        inexact("1e99");
        inexact("7922816251426433759354395033.6"); // mantissa one past 96 bits
        inexact("1e99999999999999999999");
        inexact(".1e-10000000000000000000"); // saturates to i64::MIN, whose abs() overflowed
        let malformed = |text: &str| assert_eq!(parsed(text), Err(BadDecimal::NotANumber), "{text}");
        for text in [
            "", "-", ".", "e3", "1e", "1e+", "abc", "NaN", "inf", "1_000", "0x10", " 1", "1 ", "1..2", "1.2.3", "--1",
            "1e3.5",
        ] {
            malformed(text);
        }
    }

    proptest! {
        /// Text from outside (a scenario, a CSV, an import) never panics the parser, and what
        /// it accepts is what `Decimal` itself would read, when that one does not round.
        #[test]
        fn any_text_is_read_or_refused_never_a_panic(
            text in "[-+]?[0-9]{0,32}(\\.[0-9]{0,32})?([eE][-+]?[0-9]{0,22})?|.{0,40}",
        ) {
            if let (Ok(value), Ok(exact)) = (parse_decimal(&text), Decimal::from_str_exact(&text)) {
                prop_assert_eq!(value, exact);
            }
        }

        /// Whatever `Decimal` prints reads back as itself, scale included, and so does the
        /// same value written as digits with a point anywhere and an exponent.
        #[test]
        fn every_decimal_reads_back_as_itself(
            mantissa in any::<i128>(),
            width in 1u32..=29,
            scale in 0u32..=28,
            split in any::<prop::sample::Index>(),
        ) {
            // Mantissas of every width, so scales above it (0.000…) come up too.
            let value = Decimal::from_i128_with_scale(mantissa % 10i128.pow(width) % (1i128 << 96), scale);
            let text = value.to_string();
            prop_assert_eq!(parse_decimal(&text).map(|d| (d, d.scale())), Ok((value, value.scale())));
            let digits = value.mantissa().abs().to_string();
            let sign = if value.is_sign_negative() { "-" } else { "" };
            let at = split.index(digits.len() + 1);
            let exponent = (digits.len() - at) as i64 - scale as i64;
            let exponent_form = format!("{sign}{}.{}e{exponent}", &digits[..at], &digits[at..]);
            prop_assert_eq!(parse_decimal(&exponent_form), Ok(value), "{}", exponent_form);
        }
    }
}
