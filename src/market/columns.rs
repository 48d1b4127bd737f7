//! The header of a bar file: where each needed column is.

use csv::ByteRecord;

use super::Problem;

/// Column names in the order of [`Columns::index`] (`timestamp` may also be `timestamp_utc`).
pub(super) const NAMES: [&str; 6] = ["timestamp", "open", "high", "low", "close", "volume"];

/// How a missing column is named in messages.
const MISSING: [&str; 6] = ["`timestamp` (or `timestamp_utc`)", "`open`", "`high`", "`low`", "`close`", "`volume`"];

/// Positions of the needed columns in each row, and how many fields a row has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Columns {
    /// Field index of each of [`NAMES`].
    pub index: [usize; 6],
    /// Fields in the header (and so in every row).
    pub count: usize,
}

impl Columns {
    /// Finds the needed columns by name (letter case, spaces and a UTF-8 BOM aside).
    pub fn from_header(header: &ByteRecord) -> Result<Columns, Problem> {
        let mut found = [None; 6];
        for (position, field) in header.iter().enumerate() {
            let Some(slot) = slot(field) else { continue };
            if found[slot].replace(position).is_some() {
                return Err(Problem::DuplicateColumn(NAMES[slot]));
            }
        }
        let mut index = [0; 6];
        for (slot, position) in found.into_iter().enumerate() {
            index[slot] = position.ok_or(Problem::MissingColumn(MISSING[slot]))?;
        }
        Ok(Columns { index, count: header.len() })
    }
}

/// Which needed column a header field names, if any.
fn slot(field: &[u8]) -> Option<usize> {
    let name = String::from_utf8_lossy(field);
    let name = name.trim_start_matches('\u{feff}').trim().to_ascii_lowercase();
    if name == "timestamp_utc" {
        return Some(0);
    }
    NAMES.iter().position(|known| *known == name)
}
