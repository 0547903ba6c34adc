//! JSON and NDJSON output: the machine-readable contract of SPEC.md.
//!
//! `--format json` writes exactly one JSON document per displayed value. A result set is one
//! array, streamed: `[`, then one element per line, then `]`. `--format ndjson` writes one
//! line per row (and one line for a record or scalar). Values are encoded by
//! [`Value::to_json`], which follows Django's `DjangoJSONEncoder`.

use std::io::Write;

use serde_json::{Map, Value as Json};

use super::{RowSink, Shape, io_error};
use crate::diag::Result;
use crate::value::Value;

/// An object keyed by `columns`, in their order.
pub fn object(columns: &[String], values: &[Value]) -> Json {
    let map: Map<String, Json> = columns
        .iter()
        .cloned()
        .zip(values.iter().map(Value::to_json))
        .collect();
    Json::Object(map)
}

/// Writes `value` as compact JSON followed by a newline.
pub fn write_line(out: &mut dyn Write, value: &Json) -> Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io_error)?;
    writeln!(out).map_err(io_error)
}

/// Writes the statements `--sql-only` shows for one top-level statement as the line
/// `[{"sql": ..., "params": [...]}, ...]` (compact, as `serde_json` writes such a value).
/// No JSON value of it is built, and the SQL, numbers and strings (the common parameters)
/// are not copied: the line is escaped into one buffer, written at once (`serde_json` writes a
/// string piece by piece between its escapes, and the SQL's quoted names have many).
pub fn write_statements<'a>(
    out: &mut dyn Write,
    statements: impl Iterator<Item = &'a crate::sql::Statement>,
) -> Result<()> {
    let mut line = Vec::with_capacity(512);
    line.push(b'[');
    for (i, st) in statements.enumerate() {
        line.extend_from_slice(if i == 0 { b"{\"sql\":" } else { b",{\"sql\":" });
        push_json(&mut line, &st.sql);
        line.extend_from_slice(b",\"params\":[");
        for (j, p) in st.params.iter().enumerate() {
            if j > 0 {
                line.push(b',');
            }
            match p {
                Value::Int(i) => push_json(&mut line, i),
                Value::Text(s) => push_json(&mut line, s),
                other => push_json(&mut line, &other.to_json()),
            }
        }
        line.extend_from_slice(b"]}");
    }
    line.extend_from_slice(b"]\n");
    out.write_all(&line).map_err(io_error)
}

/// `v` as `serde_json` writes it, appended to `buf`.
fn push_json(buf: &mut Vec<u8>, v: &(impl serde::Serialize + ?Sized)) {
    serde_json::to_writer(buf, v).expect("JSON of a string, a number or a JSON value");
}

/// Streams a result set as one JSON array, or as NDJSON lines.
pub struct JsonSink<'w> {
    out: &'w mut dyn Write,
    shape: Shape,
    /// True for one JSON array, false for NDJSON.
    array: bool,
    columns: Vec<String>,
    rows: usize,
}

impl<'w> JsonSink<'w> {
    pub fn array(shape: Shape, out: &'w mut dyn Write) -> Self {
        Self::new(shape, out, true)
    }

    pub fn lines(shape: Shape, out: &'w mut dyn Write) -> Self {
        Self::new(shape, out, false)
    }

    fn new(shape: Shape, out: &'w mut dyn Write, array: bool) -> Self {
        JsonSink {
            out,
            shape,
            array,
            columns: Vec::new(),
            rows: 0,
        }
    }

    fn element(&self, row: &[Value]) -> Json {
        match self.shape {
            Shape::Objects => object(&self.columns, row),
            Shape::Arrays => Json::Array(row.iter().map(Value::to_json).collect()),
            Shape::Flat => row.first().map_or(Json::Null, Value::to_json),
        }
    }
}

impl RowSink for JsonSink<'_> {
    fn begin(&mut self, columns: &[String]) -> Result<()> {
        self.columns = columns.to_vec();
        if self.array {
            write!(self.out, "[").map_err(io_error)?;
        }
        Ok(())
    }

    fn row(&mut self, row: &[Value]) -> Result<()> {
        let element = self.element(row);
        if self.array {
            let separator = if self.rows == 0 { "\n  " } else { ",\n  " };
            write!(self.out, "{separator}").map_err(io_error)?;
            serde_json::to_writer(&mut *self.out, &element).map_err(io_error)?;
        } else {
            write_line(self.out, &element)?;
        }
        self.rows += 1;
        Ok(())
    }

    fn end(&mut self) -> Result<()> {
        if self.array {
            let close = if self.rows == 0 { "]" } else { "\n]" };
            writeln!(self.out, "{close}").map_err(io_error)?;
        }
        self.out.flush().map_err(io_error)
    }
}
