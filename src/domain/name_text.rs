//! What a name typed by a person may be: order ids, strategies, symbols, venues and operators
//! ([`check_identifier`]), and reasons ([`check_free_text`]). Checked where text comes in (a
//! scenario file, the control socket), never on journaled events: a journal written before a
//! rule existed still replays.
//!
//! Why: an id is matched byte for byte, so `"o-1 "` and `"o-1"` are two orders, and a cancel
//! naming one misses the other; a newline or tab in a name breaks every table and log line
//! it is printed in; and a name is a few words, not a document (ids are inlined up to 24
//! bytes, FIX ClOrdIDs rarely pass 64).

/// Longest identifier accepted, in bytes.
pub const MAX_IDENTIFIER_BYTES: usize = 128;
/// Longest reason accepted, in bytes.
pub const MAX_FREE_TEXT_BYTES: usize = 1000;

/// Why a name is refused. Displays as the end of a sentence that starts with the field:
/// `strategy "a\nb" holds a control character (U+000A)`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BadName {
    #[error("must not be empty")]
    Empty,
    #[error("has leading or trailing whitespace")]
    Padded,
    #[error("holds a control character ({})", unicode(*.0))]
    Control(char),
    #[error("is {len} bytes long (at most {max})")]
    TooLong { len: usize, max: usize },
}

fn unicode(c: char) -> String {
    format!("U+{:04X}", u32::from(c))
}

/// An id or name: not blank, no surrounding whitespace, no control characters, at most
/// [`MAX_IDENTIFIER_BYTES`].
pub fn check_identifier(text: &str) -> Result<(), BadName> {
    check_free_text(text, MAX_IDENTIFIER_BYTES)?;
    if text.trim() != text {
        return Err(BadName::Padded);
    }
    Ok(())
}

/// Free text (a reason): not blank, no control characters, at most `max` bytes.
pub fn check_free_text(text: &str, max: usize) -> Result<(), BadName> {
    if text.trim().is_empty() {
        return Err(BadName::Empty);
    }
    if let Some(c) = text.chars().find(|c| c.is_control()) {
        return Err(BadName::Control(c));
    }
    if text.len() > max {
        return Err(BadName::TooLong { len: text.len(), max });
    }
    Ok(())
}

/// [`check_identifier`] with the problem as one message naming `field` (see [`name_problem`]).
pub fn identifier(field: &str, text: &str) -> Result<(), String> {
    check_identifier(text).map_err(|problem| name_problem(field, text, &problem))
}

/// [`check_free_text`] within [`MAX_FREE_TEXT_BYTES`], the problem as one message naming
/// `field`.
pub fn free_text(field: &str, text: &str) -> Result<(), String> {
    check_free_text(text, MAX_FREE_TEXT_BYTES).map_err(|problem| name_problem(field, text, &problem))
}

/// `field` and the problem with `text`, as one message: `id "o 1 " has leading or trailing
/// whitespace`, `strategy must not be empty`.
pub fn name_problem(field: &str, text: &str, problem: &BadName) -> String {
    match problem {
        BadName::Empty | BadName::TooLong { .. } => format!("{field} {problem}"),
        BadName::Padded | BadName::Control(_) => format!("{field} {text:?} {problem}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_trimmed_printable_and_short() {
        for good in ["o-1", "注文-1", "mean reversion", "6EH4", "a"] {
            assert_eq!(check_identifier(good), Ok(()), "{good:?}");
        }
        assert_eq!(check_identifier(""), Err(BadName::Empty));
        assert_eq!(check_identifier(" \t"), Err(BadName::Empty));
        assert_eq!(check_identifier(" o-1"), Err(BadName::Padded));
        assert_eq!(check_identifier("o-1 "), Err(BadName::Padded));
        assert_eq!(check_identifier("mr\nx"), Err(BadName::Control('\n')));
        assert_eq!(check_identifier("o\u{7f}1"), Err(BadName::Control('\u{7f}')));
        assert_eq!(check_identifier(&"x".repeat(MAX_IDENTIFIER_BYTES)), Ok(()));
        let long = "x".repeat(MAX_IDENTIFIER_BYTES + 1);
        assert_eq!(check_identifier(&long), Err(BadName::TooLong { len: 129, max: 128 }));
    }

    #[test]
    fn free_text_may_be_padded_but_not_blank_or_controlled() {
        assert_eq!(check_free_text(" risk limit breached ", 100), Ok(()));
        assert_eq!(check_free_text("  ", 100), Err(BadName::Empty));
        assert_eq!(check_free_text("a\tb", 100), Err(BadName::Control('\t')));
        assert_eq!(check_free_text("abc", 2), Err(BadName::TooLong { len: 3, max: 2 }));
    }

    #[test]
    fn problems_read_as_sentences() {
        assert_eq!(name_problem("id", "", &BadName::Empty), "id must not be empty");
        assert_eq!(
            name_problem("strategy", "a\nb", &BadName::Control('\n')),
            r#"strategy "a\nb" holds a control character (U+000A)"#
        );
        assert_eq!(name_problem("id", "o ", &BadName::Padded), r#"id "o " has leading or trailing whitespace"#);
        let long = BadName::TooLong { len: 200, max: 128 };
        assert_eq!(name_problem("id", "xxx", &long), "id is 200 bytes long (at most 128)");
    }
}
