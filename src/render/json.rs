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
/// are not copied: the line is escaped into one buffer, written at once. Strings go through
/// [`push_json_str`] (`serde_json` looks up every byte in a table and writes a string piece
/// by piece between its escapes, and the SQL's quoted names have many).
pub fn write_statements<'a>(
    out: &mut dyn Write,
    statements: impl Iterator<Item = &'a crate::sql::Statement>,
) -> Result<()> {
    let mut line = Vec::with_capacity(512);
    line.push(b'[');
    for (i, st) in statements.enumerate() {
        line.extend_from_slice(if i == 0 { b"{\"sql\":" } else { b",{\"sql\":" });
        push_json_str(&mut line, &st.sql);
        line.extend_from_slice(b",\"params\":[");
        for (j, p) in st.params.iter().enumerate() {
            if j > 0 {
                line.push(b',');
            }
            match p {
                Value::Int(i) => push_json(&mut line, i),
                Value::Text(s) => push_json_str(&mut line, s),
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

/// `s` as a JSON string literal, byte-identical to `serde_json`'s: `"` and `\\` backslashed,
/// `\b \f \n \r \t` short, other bytes below 0x20 as `\u00xx` (lowercase hex); everything
/// else (DEL, non-ASCII) as is. Runs of plain bytes are found by [`next_escape`] and
/// appended at once.
fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    loop {
        let i = next_escape(bytes, start);
        buf.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(b"\\u00");
                buf.push(HEX[usize::from(b >> 4)]);
                buf.push(HEX[usize::from(b & 0xf)]);
            }
        }
        start = i + 1;
    }
    buf.push(b'"');
}

/// The index of the first byte at or after `from` that JSON escapes (`"`, `\\`, below 0x20),
/// or `bytes.len()`. Eight bytes are tested at a time: per byte, `x - k` borrows into the high
/// bit when `x < k`, so `(w - 0x20..) | (w ^ '"'.. - 1..) | (w ^ '\\'.. - 1..)`, masked to
/// the high bits of ASCII bytes, flags the escapes; a borrow can only flag bytes *after* a
/// true one, so the lowest flag (little-endian: trailing zeros) is exact.
fn next_escape(bytes: &[u8], mut from: usize) -> usize {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const HIGH: u64 = ONES * 0x80;
    while let Some(chunk) = bytes.get(from..from + 8) {
        let w = u64::from_le_bytes(chunk.try_into().expect("eight bytes"));
        let control = w.wrapping_sub(ONES * 0x20);
        let quote = (w ^ (ONES * u64::from(b'"'))).wrapping_sub(ONES);
        let backslash = (w ^ (ONES * u64::from(b'\\'))).wrapping_sub(ONES);
        let hits = (control | quote | backslash) & !w & HIGH;
        if hits != 0 {
            return from + (hits.trailing_zeros() / 8) as usize;
        }
        from += 8;
    }
    bytes[from..]
        .iter()
        .position(|&b| b < 0x20 || b == b'"' || b == b'\\')
        .map_or(bytes.len(), |p| from + p)
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

#[cfg(test)]
mod tests {
    use super::push_json_str;

    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them() {
        let mut tricky: Vec<String> = [
            "",
            "plain",
            "SELECT \"books_book\".\"id\" FROM \"books_book\"",
            "\"",
            "\\",
            "a\\\"b\"\\",
            "\n\r\t\u{8}\u{c}",
            "\u{7f}",
            "é ü 日本 🦀 \u{2028}\u{2029}",
            "trailing\n",
            "\u{0}mid\u{1f}end",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        tricky.push((0u8..0x80).map(char::from).collect());
        tricky.extend((0u8..0x80).map(|b| format!("x{}y", char::from(b))));
        // Every escape at every offset of the eight-byte scan, after plain, multi-byte and
        // other escaped bytes, and twice in a row.
        for c in ['"', '\\', '\n', '\u{0}', '\u{1f}', '\u{8}'] {
            for k in 0..20 {
                let plain = "a".repeat(k);
                tricky.push(format!("{plain}{c}é{c}{c}zz"));
                tricky.push(format!("é{plain}{c}🦀\u{7f}\u{20}{plain}{c}"));
                tricky.push(format!("{c}{plain}\u{80}\u{ff}\\{plain}"));
            }
        }
        for s in &tricky {
            let mut ours = Vec::new();
            push_json_str(&mut ours, s);
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }
}
