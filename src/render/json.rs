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
/// by piece between its escapes, and the SQL's quoted names have many: one every few bytes).
pub fn write_statements<'a>(
    out: &mut dyn Write,
    statements: impl Iterator<Item = &'a crate::sql::Statement>,
) -> Result<()> {
    // Room for a common statement's line: a string is escaped into twice its length first.
    let mut line = Vec::with_capacity(1024);
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
/// everything else at or above 0x20 (DEL, non-ASCII) as is. The buffer is first grown to the
/// most that can take (every byte doubled), then `s` is copied eight bytes at a time with a
/// backslash put before each `"` and `\\` ([`escape_word`]), and cut back to what was written.
/// A string with a control byte (below 0x20: `\n`, `\u0000`...) is left to `serde_json`.
fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let start = buf.len();
    // Eight bytes of slack: each word is stored whole before its end is known.
    buf.resize(start + 2 * bytes.len() + 10, 0);
    match escape_into(&mut buf[start..], bytes) {
        Some(end) => buf.truncate(start + end),
        None => {
            buf.truncate(start);
            push_json(buf, s);
        }
    }
}

/// `bytes` quoted and escaped into `out`: the length written, or `None` at a control byte.
fn escape_into(out: &mut [u8], bytes: &[u8]) -> Option<usize> {
    out[0] = b'"';
    let mut j = 1;
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        j = escape_word(
            out,
            j,
            u64::from_le_bytes(c.try_into().expect("eight bytes")),
            8,
        )?;
    }
    // The last bytes padded with spaces, which need no escape.
    let rest = chunks.remainder();
    let mut tail = [b' '; 8];
    tail[..rest.len()].copy_from_slice(rest);
    j = escape_word(out, j, u64::from_le_bytes(tail), rest.len())?;
    out[j] = b'"';
    Some(j + 1)
}

/// The first `n` bytes of word `w` (little-endian) written at `out[j..]`, a backslash before
/// each `"` and `\\`; the end of what was written, or `None` when one is a control byte.
/// Per byte, with `low` its seven low bits: `low + 0x60` carries into the high bit when the
/// byte is at least 0x20, and `(low ^ c) + 0x7f` when it differs from `c`; no sum crosses
/// into the next byte, so every flag is exact (a byte with its own high bit set is none of
/// them). `out` has eight bytes of room past what is written.
#[inline(always)]
fn escape_word(out: &mut [u8], mut j: usize, mut w: u64, n: usize) -> Option<usize> {
    const ONES: u64 = u64::from_le_bytes([1; 8]);
    const LOW7: u64 = ONES * 0x7f;
    const HIGH: u64 = ONES * 0x80;
    let low = w & LOW7;
    let printable = (low + ONES * 0x60) | w;
    let quote = (low ^ (ONES * u64::from(b'"'))) + LOW7;
    let backslash = (low ^ (ONES * u64::from(b'\\'))) + LOW7;
    if !printable & HIGH != 0 {
        return None;
    }
    let mut escapes = !((quote & backslash) | w) & HIGH;
    // Bytes of `w` written so far (it is shifted past them).
    let mut done = 0;
    while escapes != 0 {
        let at = (escapes.trailing_zeros() / 8) as usize;
        out[j..j + 8].copy_from_slice(&w.to_le_bytes());
        j += at - done;
        out[j] = b'\\';
        j += 1;
        w >>= 8 * (at - done);
        done = at;
        escapes &= escapes - 1;
    }
    out[j..j + 8].copy_from_slice(&w.to_le_bytes());
    Some(j + n - done)
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
