//! The scenario file being checked: turns a problem and a span into an error naming the
//! file, the line and the field.

use std::ops::Range;
use std::path::Path;

use super::ScenarioError;

pub(super) struct Context<'a> {
    pub path: &'a Path,
    pub text: &'a str,
}

impl Context<'_> {
    /// `what` (a field or entry) starting at byte `span.start` has `problem`.
    pub fn invalid(&self, span: Option<Range<usize>>, what: impl Into<String>, problem: String) -> ScenarioError {
        let line = span.map(|span| line_of(self.text, span.start));
        ScenarioError::Invalid { path: self.path.to_owned(), line, what: what.into(), problem }
    }
}

/// The 1-based line holding byte `offset`.
fn line_of(text: &str, offset: usize) -> u64 {
    let before = text.as_bytes().get(..offset).unwrap_or(text.as_bytes());
    before.iter().filter(|byte| **byte == b'\n').count() as u64 + 1
}
