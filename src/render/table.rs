//! The views for people: a table (comfy-table) with a row-count footer, the vertical view
//! (one `column | value` block per row, like psql's `\x`), and single records as
//! `column | value` lines. NULL is shown as `NULL`, dimmed when colored; numbers align right.
//! Names and values show their control characters escaped ([`escape_controls`]); a newline
//! in a value is laid out (the cell or the value continues on the next line).

use std::io::Write;

use comfy_table::{Attribute, Cell, CellAlignment, ContentArrangement, Table, presets};
use owo_colors::Style as Paint;
use unicode_width::UnicodeWidthStr;

use super::{RowSink, Style, escape_controls, io_error};
use crate::diag::Result;
use crate::value::Value;

const NULL: &str = "NULL";

fn is_number(value: &Value) -> bool {
    matches!(value, Value::Int(_) | Value::Float(_) | Value::Decimal(_))
}

/// `(1 row)`, `(5 rows)`; when only the first rows of a longer result are shown,
/// `(first 20 rows; \all shows every row)` (how many there are is not known: counting them
/// would be a query of its own, which Django's repr does not run).
fn footer(style: Style, rows: usize, more: bool) -> String {
    let text = match rows {
        _ if more => format!("(first {rows} rows; \\all shows every row)"),
        1 => "(1 row)".to_string(),
        _ => format!("({rows} rows)"),
    };
    style.paint(text, Paint::new().dimmed())
}

/// How many rows a table holds before it is written and the next rows start a new one
/// (psql's `FETCH_COUNT`): memory stays bounded whatever the result's size.
const TABLE_BATCH: usize = 1000;

/// Collects a result set, then writes it as a table; a result of more than [`TABLE_BATCH`]
/// rows is written as one table per batch, the footer counting them all.
pub struct TableSink<'w> {
    out: &'w mut dyn Write,
    style: Style,
    table: Table,
    header: Vec<Cell>,
    /// Rows written in earlier batches.
    written: usize,
    more: bool,
}

/// An empty table drawn as djq draws every table: condensed UTF-8 borders, styled only
/// when colors are on, fitted to the terminal's width when it has one.
pub fn new_table(style: Style) -> Table {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .force_no_tty();
    if style.color {
        table.enforce_styling();
    }
    if let Some(width) = style.width {
        table
            .set_width(width)
            .set_content_arrangement(ContentArrangement::Dynamic);
    }
    table
}

impl<'w> TableSink<'w> {
    pub fn new(style: Style, out: &'w mut dyn Write) -> Self {
        TableSink {
            out,
            style,
            table: new_table(style),
            header: Vec::new(),
            written: 0,
            more: false,
        }
    }

    fn write_table(&mut self) -> Result<()> {
        self.written += self.table.row_count();
        let mut next = new_table(self.style);
        next.set_header(self.header.clone());
        let table = std::mem::replace(&mut self.table, next);
        writeln!(self.out, "{table}").map_err(io_error)
    }
}

fn cell(value: &Value) -> Cell {
    match value {
        Value::Null => Cell::new(NULL).add_attribute(Attribute::Dim),
        v if is_number(v) => Cell::new(v.display()).set_alignment(CellAlignment::Right),
        v => Cell::new(escape_controls(&v.display())),
    }
}

impl RowSink for TableSink<'_> {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.header = columns
            .iter()
            .map(|c| Cell::new(escape_controls(c)).add_attribute(Attribute::Bold))
            .collect();
        self.table.set_header(self.header.clone());
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<()> {
        self.table.add_row(row.iter().map(cell).collect::<Vec<_>>());
        if self.table.row_count() == TABLE_BATCH {
            self.write_table()?;
        }
        Ok(())
    }

    fn more(&mut self) -> Result<()> {
        self.more = true;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        if self.table.row_count() > 0 || self.written == 0 {
            self.write_table()?;
        }
        writeln!(self.out, "{}", footer(self.style, self.written, self.more)).map_err(io_error)?;
        self.out.flush().map_err(io_error)
    }
}

/// Streams a result set as one `column | value` block per row.
pub struct VerticalSink<'w> {
    out: &'w mut dyn Write,
    style: Style,
    columns: Vec<String>,
    rows: usize,
    more: bool,
}

impl<'w> VerticalSink<'w> {
    pub fn new(style: Style, out: &'w mut dyn Write) -> Self {
        VerticalSink {
            out,
            style,
            columns: Vec::new(),
            rows: 0,
            more: false,
        }
    }
}

impl RowSink for VerticalSink<'_> {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.columns = columns
            .iter()
            .map(|c| escape_controls(c).into_owned())
            .collect();
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<()> {
        self.rows += 1;
        // The rule spans the names and the bar, so it is the same for every record.
        let title = format!("-[ RECORD {} ]", self.rows);
        let name_width = self.columns.iter().map(|c| c.width()).max().unwrap_or(0);
        let rule = format!("{title:-<width$}", width = name_width + 2);
        writeln!(
            self.out,
            "{}",
            self.style.paint(rule, Paint::new().dimmed())
        )
        .map_err(io_error)?;
        write_record(self.style, &self.columns, row, self.out)
    }

    fn more(&mut self) -> Result<()> {
        self.more = true;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        writeln!(self.out, "{}", footer(self.style, self.rows, self.more)).map_err(io_error)?;
        self.out.flush().map_err(io_error)
    }
}

/// Writes a single record as `column | value` lines. Names are padded to the widest; a
/// multi-line value continues under its first line.
pub fn write_record(
    style: Style,
    columns: &[String],
    values: &[Value],
    out: &mut dyn Write,
) -> Result<()> {
    let names: Vec<_> = columns.iter().map(|c| escape_controls(c)).collect();
    let name_width = names.iter().map(|c| c.width()).max().unwrap_or(0);
    for (name, value) in names.iter().zip(values) {
        let (text, paint) = match value {
            Value::Null => (NULL.to_string(), Paint::new().dimmed()),
            v => (escape_controls(&v.display()).into_owned(), Paint::new()),
        };
        for (i, line) in text.split('\n').enumerate() {
            let label = if i == 0 { name.as_ref() } else { "" };
            let pad = " ".repeat(name_width - label.width());
            let label = style.paint(label, Paint::new().bold());
            let line = style.paint(line, paint);
            writeln!(out, "{label}{pad} | {line}").map_err(io_error)?;
        }
    }
    Ok(())
}
