//! Rendering: everything djq writes for a human or a machine.
//!
//! This file owns the output [`Format`]s and [`Style`], and the three things a statement can
//! display: a result set streamed through a [`RowSink`] (see [`sink`]), a single [`record`]
//! (a model instance, or the dict `aggregate()` returns) and a [`scalar`]. The submodules:
//!
//! - [`json`] writes JSON and NDJSON (the machine-readable contract of SPEC.md);
//! - [`csv`] writes CSV;
//! - [`table`] writes the table and vertical views for people;
//! - [`sql`] displays SQL: parameters inlined ([`sql_inline`]) and syntax colors
//!   ([`highlight_sql`]);
//! - [`mod@diagnostic`] shows errors with the source line and a caret.
//!
//! [`write_file_whole`] writes a file the user names (`dumpdata(output=...)`) whole or not at
//! all.
//!
//! Nothing here decides whether to color: the caller passes a [`Style`] built from the
//! terminal, `NO_COLOR` and `--no-color`.
//!
//! Text for people never carries control characters of its own: what a database or a
//! models.py holds goes through [`escape_controls`] before the table and vertical views,
//! scalars, `\d`/`\models`, SQL echoes and error messages show it (a value cannot retitle
//! or clear the terminal). CSV, JSON and NDJSON stay exact (JSON escapes by itself), as does
//! what a program `print()`s.

pub mod csv;
pub mod diagnostic;
pub mod json;
pub mod sql;
pub mod table;

use std::borrow::Cow;
use std::fmt::Display;
use std::io::Write;
use std::str::FromStr;

use owo_colors::OwoColorize;

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;

pub use diagnostic::diagnostic;
pub use sql::{highlight_sql, sql_inline};

/// How displayed values are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Table,
    Vertical,
    Csv,
    Json,
    Ndjson,
}

impl Format {
    pub const ALL: [Format; 5] = [
        Format::Table,
        Format::Vertical,
        Format::Csv,
        Format::Json,
        Format::Ndjson,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Format::Table => "table",
            Format::Vertical => "vertical",
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Ndjson => "ndjson",
        }
    }
}

impl FromStr for Format {
    type Err = Diagnostic;

    fn from_str(s: &str) -> Result<Format> {
        Format::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Diagnostic::new(
                    ErrorKind::Value,
                    format!(
                        "unknown output format '{s}' (expected table, vertical, csv, json or ndjson)"
                    ),
                )
            })
    }
}

/// Presentation choices made by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Style {
    /// Emit ANSI colors.
    pub color: bool,
    /// Wrap tables to this many columns (`None`: never wrap).
    pub width: Option<u16>,
}

impl Style {
    /// No colors, no wrapping: for files, pipes and tests.
    pub fn plain() -> Style {
        Style::default()
    }

    /// For output on standard output: wraps tables to the terminal's width when stdout is a
    /// terminal.
    pub fn stdout(color: bool) -> Style {
        Style {
            color,
            // A pty without a size (e.g. under `script`) reports 0 columns: do not wrap then.
            width: comfy_table::Table::new().width().filter(|w| *w >= 20),
        }
    }

    /// `text` in `style` when colors are on, else plain.
    pub(crate) fn paint(self, text: impl Display, style: owo_colors::Style) -> String {
        if self.color {
            text.style(style).to_string()
        } else {
            text.to_string()
        }
    }
}

/// How each row of a result set is represented in JSON/NDJSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    /// Model instances and `.values()`: an object keyed by column.
    Objects,
    /// `.values_list()`: an array per row.
    Arrays,
    /// `.values_list(flat=True)`: the single column's value.
    Flat,
}

/// Receives a result set as it streams out of the database.
pub trait RowSink {
    fn begin(&mut self, columns: &[String]) -> Result<()>;
    fn row(&mut self, row: &[Value]) -> Result<()>;
    /// The rows given were the first of a longer result (the human views say so in their
    /// footer; the machine formats are never given part of a result).
    fn more(&mut self) -> Result<()> {
        Ok(())
    }
    /// Finishes the output (closing brackets, the table itself, the row count footer).
    fn end(&mut self) -> Result<()>;
}

/// A sink writing a result set to `out` in `format`. Every format streams rows straight
/// through except the table, which needs all rows to size its columns.
pub fn sink<'w>(
    format: Format,
    shape: Shape,
    style: Style,
    out: &'w mut dyn Write,
) -> Box<dyn RowSink + 'w> {
    match format {
        Format::Table => Box::new(table::TableSink::new(style, out)),
        Format::Vertical => Box::new(table::VerticalSink::new(style, out)),
        Format::Csv => Box::new(csv::CsvSink::new(out)),
        Format::Json => Box::new(json::JsonSink::array(shape, out)),
        Format::Ndjson => Box::new(json::JsonSink::lines(shape, out)),
    }
}

/// Displays one record: a model instance (`get`, `first`, `create`, ...) or a dict such as
/// `aggregate()`'s, as `columns[i]` → `values[i]`. JSON formats write one object; the table
/// and vertical formats write `column | value` lines.
pub fn record(
    format: Format,
    style: Style,
    columns: &[String],
    values: &[Value],
    out: &mut dyn Write,
) -> Result<()> {
    match format {
        Format::Json | Format::Ndjson => json::write_line(out, &json::object(columns, values))?,
        Format::Csv => {
            let mut sink = csv::CsvSink::new(&mut *out);
            sink.begin(columns)?;
            sink.row(values)?;
            sink.end()?;
        }
        Format::Table | Format::Vertical => table::write_record(style, columns, values, out)?,
    }
    out.flush().map_err(io_error)
}

/// Displays a scalar (`count()`, `exists()`, an attribute, `None`).
pub fn scalar(format: Format, value: &Value, out: &mut dyn Write) -> Result<()> {
    match format {
        Format::Json | Format::Ndjson => json::write_line(out, &value.to_json())?,
        Format::Csv => csv::write_scalar(value, &mut *out)?,
        Format::Table | Format::Vertical => {
            writeln!(out, "{}", escape_controls(&value.display())).map_err(io_error)?
        }
    }
    out.flush().map_err(io_error)
}

/// `text` with every control character but the newline (C0, DEL, C1) escaped as Python's
/// `repr` escapes it — `\t`, `\r`, `\x1b`, `\x9b` — so that it is safe on a terminal. The
/// newline is left for the views to lay out (a multi-line cell, a continued line).
pub fn escape_controls(text: &str) -> Cow<'_, str> {
    let is_control = |c: char| c != '\n' && c.is_control();
    if !text.contains(is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if is_control(c) => out.push_str(&format!("\\x{:02x}", c as u32)),
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// Writes the file `path` names whole or not at all: `write` fills a new file next to it, which
/// takes the file's place only once everything is written (a failure leaves any old file as it
/// was, and no partial one). A symbolic link `path` names is followed, since the user named
/// it; the new file is created afresh (never through a link someone left in its place) with
/// the old file's permissions. A device or a pipe (`/dev/stdout`) cannot be replaced: it is
/// written in place.
pub fn write_file_whole(
    path: &str,
    write: impl FnOnce(&mut dyn Write) -> Result<()>,
) -> Result<()> {
    let cannot =
        |e: std::io::Error| Diagnostic::new(ErrorKind::Io, format!("cannot write {path}: {e}"));
    let target = std::fs::canonicalize(path).unwrap_or_else(|_| path.into());
    if let Ok(meta) = std::fs::metadata(&target)
        && !meta.is_file()
        && !meta.is_dir()
    {
        let mut out = std::io::BufWriter::new(std::fs::File::create(&target).map_err(cannot)?);
        return write(&mut out).and_then(|()| out.flush().map_err(io_error));
    }
    // The file's own errors first (a directory, no permission), as creating it would give.
    let permissions = match std::fs::OpenOptions::new().write(true).open(&target) {
        Ok(old) => Some(old.metadata().map_err(cannot)?.permissions()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => None,
        Err(e) => return Err(cannot(e)),
    };
    let dir = match target.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => std::path::Path::new("."),
    };
    let name = target.file_name().unwrap_or_default().to_string_lossy();
    // A new file gets the mode creating it would give (0666 less the umask); a replaced one
    // keeps its own.
    let temp = tempfile::Builder::new()
        .prefix(&format!(".{name}.djq-"))
        .permissions(std::os::unix::fs::PermissionsExt::from_mode(0o666))
        .tempfile_in(dir)
        .map_err(cannot)?;
    let mut out = std::io::BufWriter::new(temp);
    write(&mut out)?;
    let temp = out.into_inner().map_err(|e| io_error(e.into_error()))?;
    if let Some(permissions) = permissions {
        temp.as_file()
            .set_permissions(permissions)
            .map_err(cannot)?;
    }
    temp.as_file().sync_all().map_err(io_error)?;
    temp.persist(&target).map_err(|e| cannot(e.error))?;
    Ok(())
}

/// An output error (a full disk, a closed pipe). Output whose reader has gone (`djq ... |
/// head`) is Python's `BrokenPipeError`, which ends a run quietly ([`is_broken_pipe`]).
pub(crate) fn io_error(e: impl OutputError) -> Diagnostic {
    if e.is_broken_pipe() {
        return Diagnostic::new(
            ErrorKind::Python("BrokenPipeError".into()),
            "[Errno 32] Broken pipe",
        );
    }
    Diagnostic::new(ErrorKind::Io, format!("cannot write output: {e}"))
}

/// Whether `d` is output written into a closed pipe: the reader wants no more, and djq
/// stops as psql does, quietly and with status 0.
pub fn is_broken_pipe(d: &Diagnostic) -> bool {
    matches!(&d.kind, ErrorKind::Python(name) if name == "BrokenPipeError")
}

/// The errors of the writers output goes through.
pub(crate) trait OutputError: Display {
    /// Whether it is a write into a closed pipe.
    fn is_broken_pipe(&self) -> bool;
}

impl OutputError for std::io::Error {
    fn is_broken_pipe(&self) -> bool {
        self.kind() == std::io::ErrorKind::BrokenPipe
    }
}

impl OutputError for serde_json::Error {
    fn is_broken_pipe(&self) -> bool {
        self.io_error_kind() == Some(std::io::ErrorKind::BrokenPipe)
    }
}

impl OutputError for ::csv::Error {
    fn is_broken_pipe(&self) -> bool {
        matches!(self.kind(), ::csv::ErrorKind::Io(e) if e.is_broken_pipe())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_parse_from_their_names() {
        for f in Format::ALL {
            assert_eq!(f.name().parse::<Format>().unwrap(), f);
        }
        assert_eq!("JSON".parse::<Format>().unwrap(), Format::Json);
        let err = "xml".parse::<Format>().unwrap_err();
        assert_eq!(
            err.message,
            "unknown output format 'xml' (expected table, vertical, csv, json or ndjson)"
        );
    }

    #[test]
    fn control_characters_are_escaped_but_newlines() {
        assert_eq!(escape_controls("plain é\nline"), "plain é\nline");
        assert_eq!(
            escape_controls("\x1b]0;pwned\x07\x1b[2J\t\r\0\x7f\u{9b}"),
            "\\x1b]0;pwned\\x07\\x1b[2J\\t\\r\\x00\\x7f\\x9b"
        );
    }

    #[test]
    fn paint_is_plain_without_color() {
        let red = owo_colors::Style::new().red();
        assert_eq!(Style::plain().paint("x", red), "x");
        let colored = Style {
            color: true,
            width: None,
        }
        .paint("x", red);
        assert_eq!(colored, "\u{1b}[31mx\u{1b}[0m");
    }
}
