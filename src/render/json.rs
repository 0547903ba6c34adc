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
/// most that can take (every byte doubled), `s` is escaped into it ([`escape_into`]), and
/// it is cut back to what was written. A string with a control byte (below 0x20: `\n`,
/// `\u0000`...) is left to `serde_json`.
fn push_json_str(buf: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    let start = buf.len();
    buf.resize(start + 2 * bytes.len() + 2 + ROOM, 0);
    match escape_into(&mut buf[start..], bytes) {
        Some(end) => buf.truncate(start + end),
        None => {
            buf.truncate(start);
            push_json(buf, s);
        }
    }
}

/// Bytes looked at together: whether each needs an escape is found by a loop over them
/// that the compiler runs sixteen bytes at a time.
const BLOCK: usize = 64;
/// Room past what is written: an eight-byte word is stored whole, after up to eight
/// backslashes.
const ROOM: usize = 24;

/// `bytes` quoted and escaped into `out`: the length written, or `None` at a control byte.
/// Each block of [`BLOCK`] bytes gets one flag byte a byte (1 for a `"` or `\\`); then each
/// eight-byte word is stored whole and, where its flags are not all zero, again after each
/// backslash put in ([`escape_word`]). The SQL's quoted names put a `"` every few bytes.
fn escape_into(out: &mut [u8], bytes: &[u8]) -> Option<usize> {
    out[0] = b'"';
    let mut j = 1;
    let mut src = [b' '; BLOCK];
    for block in bytes.chunks(BLOCK) {
        if block.len() == BLOCK {
            src.copy_from_slice(block);
        } else {
            // The last block, padded with spaces (which need no escape).
            src = [b' '; BLOCK];
            src[..block.len()].copy_from_slice(block);
        }
        let mut flags = [0u8; BLOCK];
        let mut control = 0u8;
        for (f, &b) in flags.iter_mut().zip(&src) {
            *f = u8::from((b == b'"') | (b == b'\\'));
            control |= u8::from(b < 0x20);
        }
        if control != 0 {
            return None;
        }
        let words = src.chunks_exact(8).zip(flags.chunks_exact(8));
        for (w, f) in words.take(block.len().div_ceil(8)) {
            let window = (&mut out[j..j + ROOM]).try_into().expect("room made");
            j += escape_word(
                window,
                u64::from_le_bytes(w.try_into().expect("eight bytes")),
                u64::from_le_bytes(f.try_into().expect("eight flags")),
            );
        }
        // The padding's spaces were written last, one byte each.
        j -= (BLOCK - block.len()) % 8;
    }
    out[j] = b'"';
    Some(j + 1)
}

/// Word `w` (eight bytes, little-endian) written at the start of `window`, a backslash
/// before each byte whose flag (the lowest bit of its byte in `flags`) is set; how many
/// bytes that is. Past them, `window` holds bytes of no meaning.
#[inline(always)]
fn escape_word(window: &mut [u8; ROOM], w: u64, mut flags: u64) -> usize {
    window[..8].copy_from_slice(&w.to_le_bytes());
    let mut k = 0;
    while flags != 0 {
        // A flag's bit is its byte's lowest: `shift` is the byte's position times eight.
        let shift = flags.trailing_zeros();
        let at = (k + (shift / 8) as usize) & 15;
        window[at] = b'\\';
        window[at + 1..at + 9].copy_from_slice(&(w >> shift).to_le_bytes());
        k += 1;
        flags &= flags - 1;
    }
    8 + k
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
        // Escapes at every place of a block and of its last, partial word, in strings of
        // many blocks.
        for n in 0..200usize {
            for m in [3usize, 5, 7, 11] {
                tricky.push(
                    (0..n)
                        .map(|i| match i {
                            i if i % m == 0 => '"',
                            i if i % 13 == 0 => '\\',
                            _ => 'x',
                        })
                        .collect(),
                );
                let some: String = (0..n)
                    .map(|i| if (i * 7 + m) % 10 < 3 { '"' } else { 'y' })
                    .collect();
                tricky.push(some.clone() + "é");
                tricky.push(some + "\n");
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
