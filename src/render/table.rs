//! A small aligned-text table: column widths from the content, two spaces between columns,
//! a header and a rule. Right-aligned columns (numbers) align on their last character; lines
//! never end in spaces (a left-aligned last column is not padded, empty trailing cells vanish).
//!
//! Widths count `char`s, which is exact for the ASCII that blotter prints (ids, decimals,
//! enum names, RFC 3339 times); wide or combining characters in free text may misalign.

use std::fmt;

/// How a column's cells sit in its width.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Right,
}

#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    header: String,
    align: Align,
}

/// Columns, then rows of cells; render with `Display`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Vec<String>>,
}

/// The gap between two columns.
const GAP: &str = "  ";

impl Table {
    pub fn new() -> Self {
        Table::default()
    }

    /// Adds a column (builder style).
    pub fn column(mut self, header: impl Into<String>, align: Align) -> Self {
        self.columns.push(Column { header: header.into(), align });
        self
    }

    /// A left-aligned column (text).
    pub fn left(self, header: impl Into<String>) -> Self {
        self.column(header, Align::Left)
    }

    /// A right-aligned column (numbers).
    pub fn right(self, header: impl Into<String>) -> Self {
        self.column(header, Align::Right)
    }

    /// Appends a row. Panics if it does not have one cell per column (a programming error).
    pub fn row(&mut self, cells: Vec<String>) {
        assert_eq!(cells.len(), self.columns.len(), "one cell per column");
        self.rows.push(cells);
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, column)| {
                let cells = self.rows.iter().map(|row| width(&row[i]));
                cells.fold(width(&column.header), usize::max)
            })
            .collect()
    }

    /// One line: cells padded to their widths, joined by [`GAP`], trailing spaces dropped (an
    /// empty last cell leaves none).
    fn line(&self, f: &mut fmt::Formatter<'_>, widths: &[usize], cells: &[&str]) -> fmt::Result {
        let mut line = String::new();
        for (i, (cell, column)) in cells.iter().zip(&self.columns).enumerate() {
            if i > 0 {
                line.push_str(GAP);
            }
            let pad = widths[i] - width(cell);
            match column.align {
                Align::Right => line.extend(std::iter::repeat_n(' ', pad).chain(cell.chars())),
                Align::Left => line.extend(cell.chars().chain(std::iter::repeat_n(' ', pad))),
            }
        }
        writeln!(f, "{}", line.trim_end_matches(' '))
    }
}

fn width(text: &str) -> usize {
    text.chars().count()
}

impl fmt::Display for Table {
    /// Header, a rule of `-` under every column, then the rows; every line ends in `\n`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.columns.is_empty() {
            return Ok(());
        }
        let widths = self.widths();
        let headers: Vec<&str> = self.columns.iter().map(|c| c.header.as_str()).collect();
        self.line(f, &widths, &headers)?;
        let rules: Vec<String> = widths.iter().map(|&w| "-".repeat(w)).collect();
        self.line(f, &widths, &rules.iter().map(String::as_str).collect::<Vec<_>>())?;
        for row in &self.rows {
            self.line(f, &widths, &row.iter().map(String::as_str).collect::<Vec<_>>())?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cells(items: &[&str]) -> Vec<String> {
        items.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn widths_come_from_the_content_and_numbers_align_right() {
        let mut table = Table::new().left("ID").right("QTY").right("PX").left("NOTE");
        table.row(cells(&["o-1", "5", "100.25", "late fill"]));
        table.row(cells(&["o-10", "1250", "9.5", ""]));
        table.row(cells(&["o-2", "-40", "-", "x"]));
        let expected = "\
ID     QTY      PX  NOTE
----  ----  ------  ---------
o-1      5  100.25  late fill
o-10  1250     9.5
o-2    -40       -  x
";
        assert_eq!(table.to_string(), expected);
        assert_eq!(table.len(), 3);
    }

    #[test]
    fn a_header_wider_than_its_cells_sets_the_width_and_no_line_ends_in_spaces() {
        let mut table = Table::new().right("REALIZED PNL").left("SYMBOL");
        table.row(cells(&["1", "A"]));
        let text = table.to_string();
        assert_eq!(text, "REALIZED PNL  SYMBOL\n------------  ------\n           1  A\n");
        assert!(text.lines().all(|line| !line.ends_with(' ')));
    }

    #[test]
    fn a_right_aligned_last_column_is_padded_on_the_left_and_widths_count_chars() {
        let mut table = Table::new().left("K").right("V");
        table.row(cells(&["é…", "1"]));
        table.row(cells(&["b", "22"]));
        assert_eq!(table.to_string(), "K    V\n--  --\né…   1\nb   22\n");
    }

    #[test]
    fn empty_trailing_cells_leave_no_trailing_spaces() {
        let mut table = Table::new().left("A").left("B").left("C");
        table.row(cells(&["x", "", ""]));
        table.row(cells(&["yyy", "zz", ""]));
        assert_eq!(table.to_string(), "A    B   C\n---  --  -\nx\nyyy  zz\n");
    }

    #[test]
    fn an_empty_table_prints_its_header_and_no_columns_print_nothing() {
        let table = Table::new().left("A").right("BB");
        assert!(table.is_empty());
        assert_eq!(table.to_string(), "A  BB\n-  --\n");
        assert_eq!(Table::new().to_string(), "");
    }

    #[test]
    #[should_panic(expected = "one cell per column")]
    fn a_row_of_the_wrong_length_is_a_bug() {
        Table::new().left("A").row(cells(&["1", "2"]));
    }
}
