//! String literals: quotes, prefixes, escapes, triple quotes and f-strings.
//!
//! A literal is scanned into a [`StrLit`]: plain strings come out decoded (borrowed from the
//! source when they hold no escape or line break, as most do); f-strings come out as literal
//! pieces and replacement fields whose expression is left as a source span, which the parser
//! lexes and parses like any other expression (so its spans are absolute).

use std::borrow::Cow;

use super::{LexResult, SyntaxError, line_of};
use crate::diag::Span;

/// A scanned string literal.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::syntax) enum StrLit<'a> {
    Plain(Cow<'a, str>),
    F(Vec<FPiece>),
}

#[derive(Debug, Clone, PartialEq)]
pub(in crate::syntax) enum FPiece {
    Literal(String),
    Field(FField),
}

/// `{expr=!conv:spec}` before its expression is parsed.
#[derive(Debug, Clone, PartialEq)]
pub(in crate::syntax) struct FField {
    /// Where the expression's source is.
    pub expr: Span,
    /// For `{expr=}`: the text to print before the value (`expr=` with its spaces).
    pub debug: Option<String>,
    pub conversion: Option<char>,
    pub spec: Vec<FPiece>,
}

/// The prefixes Python accepts (any case); `b` strings are treated as `str`.
pub(super) fn is_prefix(word: &str) -> bool {
    match *word.as_bytes() {
        [a] => matches!(a.to_ascii_lowercase(), b'r' | b'u' | b'b' | b'f'),
        [a, b] => matches!(
            [a.to_ascii_lowercase(), b.to_ascii_lowercase()],
            [b'b', b'r'] | [b'r', b'b'] | [b'f', b'r'] | [b'r', b'f']
        ),
        _ => false,
    }
}

/// The bytes that end a literal's plain text besides its quote (and, in a `b` literal, any
/// non-ASCII byte): a backslash or a line break. A table, looked up once a byte.
static ENDS_PLAIN: [bool; 256] = {
    let mut table = [false; 256];
    table[b'\\' as usize] = true;
    table[b'\n' as usize] = true;
    table[b'\r' as usize] = true;
    table
};

/// The literal whose quote is at `open` in `src[..end]` if its value is its source text, as
/// most literals' is: one quote on each side and plain text between (no backslash or line
/// break; with `ascii_only`, as in a `b` literal, no non-ASCII byte). Returns the text and the
/// offset just after the closing quote.
#[inline]
pub(super) fn plain_text(
    src: &str,
    end: usize,
    open: usize,
    ascii_only: bool,
) -> Option<(&str, usize)> {
    let b = &src.as_bytes()[..end];
    let quote = b[open];
    let body = open + 1;
    let len = b[body..]
        .iter()
        .position(|&c| c == quote || ENDS_PLAIN[usize::from(c)] || (ascii_only && !c.is_ascii()))?;
    // An empty literal followed by a third quote is the opening of a triple-quoted one.
    let triple = len == 0 && b.get(body + 1) == Some(&quote);
    (b[body + len] == quote && !triple).then(|| (&src[body..body + len], body + len + 1))
}

/// The quotes starting `s`: a triple quote if there is one.
fn delimiter_at(s: &str) -> Option<&'static str> {
    let (one, three) = match s.as_bytes().first()? {
        b'"' => ("\"", "\"\"\""),
        b'\'' => ("'", "'''"),
        _ => return None,
    };
    Some(if s.starts_with(three) { three } else { one })
}

/// Scan the literal whose prefix starts at `start` (the quote is at `start + prefix.len()`);
/// returns it with the offset just after its closing quote.
pub(super) fn scan<'a>(
    src: &'a str,
    end: usize,
    start: usize,
    prefix: &str,
) -> LexResult<(StrLit<'a>, usize)> {
    let has = |letter: u8| prefix.bytes().any(|b| b.to_ascii_lowercase() == letter);
    let open = start + prefix.len();
    let delimiter = delimiter_at(&src[open..end]).expect("called at a quote");
    let body = open + delimiter.len();
    let (raw, bytes, fstring) = (has(b'r'), has(b'b'), has(b'f'));
    if delimiter.len() == 1
        && !fstring
        && let Some((text, after)) = plain_text(src, end, open, bytes)
    {
        return Ok((StrLit::Plain(Cow::Borrowed(text)), after));
    }
    let mut scanner = Scanner {
        src,
        end,
        start,
        pos: body,
        delimiter,
        raw,
        bytes,
        fstring,
    };
    let mut pieces = scanner.pieces(0)?;
    let literal = if scanner.fstring {
        StrLit::F(pieces)
    } else {
        match pieces.pop() {
            Some(FPiece::Literal(text)) => StrLit::Plain(Cow::Owned(text)),
            _ => StrLit::Plain(Cow::Borrowed("")),
        }
    };
    Ok((literal, scanner.pos))
}

struct Scanner<'a> {
    src: &'a str,
    end: usize,
    /// Where the literal (its prefix) starts, for error spans.
    start: usize,
    pos: usize,
    /// The quotes opening (and closing) the literal.
    delimiter: &'static str,
    raw: bool,
    bytes: bool,
    fstring: bool,
}

impl Scanner<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..self.end]
    }

    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }

    fn peek2(&self) -> Option<char> {
        self.rest().chars().nth(1)
    }

    fn triple(&self) -> bool {
        self.delimiter.len() == 3
    }

    fn quote(&self) -> char {
        self.delimiter
            .chars()
            .next()
            .expect("a delimiter is not empty")
    }

    fn at_close(&self) -> bool {
        self.rest().starts_with(self.delimiter)
    }

    fn unterminated(&self) -> SyntaxError {
        // CPython names the line of the literal's last character (a final newline's line,
        // not the empty one after it).
        let line = line_of(self.src, self.pos - 1);
        let kind = if self.fstring { "f-string" } else { "string" };
        if self.triple() {
            let opening = self.src[self.start..].find(self.delimiter).unwrap_or(0) + 3;
            SyntaxError::new(
                format!("unterminated triple-quoted {kind} literal (detected at line {line})"),
                Span::new(self.start, self.start + opening),
            )
            .incomplete()
        } else {
            SyntaxError::new(
                format!("unterminated {kind} literal (detected at line {line})"),
                Span::new(self.start, self.pos),
            )
        }
    }

    fn error_here(&self, message: &str) -> SyntaxError {
        let len = self.peek().map_or(0, char::len_utf8);
        SyntaxError::new(message, Span::new(self.pos, self.pos + len))
    }

    /// Literal text and fields up to the closing quote (`nest == 0`, which is consumed) or up to
    /// the `}` ending a format spec (`nest > 0`, left for the caller).
    fn pieces(&mut self, nest: usize) -> LexResult<Vec<FPiece>> {
        let mut pieces = Vec::new();
        let mut text = String::new();
        loop {
            let Some(c) = self.peek() else {
                return Err(self.unterminated());
            };
            match c {
                _ if self.at_close() => {
                    if nest > 0 {
                        return Err(self.error_here("f-string: expecting '}'"));
                    }
                    self.pos += self.delimiter.len();
                    break;
                }
                '\n' | '\r' if !self.triple() => return Err(self.unterminated()),
                '\r' => {
                    // `\r\n` and a lone `\r` inside a triple-quoted string both mean `\n`.
                    self.pos += if self.rest().starts_with("\r\n") {
                        2
                    } else {
                        1
                    };
                    text.push('\n');
                }
                '\\' => self.escape(&mut text)?,
                '{' if self.fstring && self.peek2() == Some('{') => {
                    self.pos += 2;
                    text.push('{');
                }
                '{' if self.fstring => {
                    if !text.is_empty() {
                        pieces.push(FPiece::Literal(std::mem::take(&mut text)));
                    }
                    pieces.push(FPiece::Field(self.field(nest)?));
                }
                '}' if self.fstring && nest > 0 => break,
                '}' if self.fstring && self.peek2() == Some('}') => {
                    self.pos += 2;
                    text.push('}');
                }
                '}' if self.fstring => {
                    return Err(self.error_here("f-string: single '}' is not allowed"));
                }
                c if self.bytes && !c.is_ascii() => {
                    return Err(self.error_here("bytes can only contain ASCII literal characters"));
                }
                c => {
                    self.pos += c.len_utf8();
                    text.push(c);
                }
            }
        }
        if !text.is_empty() || pieces.is_empty() {
            pieces.push(FPiece::Literal(text));
        }
        Ok(pieces)
    }

    /// A backslash sequence; in raw strings the backslash stays and only protects the next
    /// character from ending the string.
    fn escape(&mut self, text: &mut String) -> LexResult<()> {
        let start = self.pos;
        self.pos += 1;
        let Some(c) = self.peek() else {
            return Err(self.unterminated());
        };
        if self.raw {
            text.push('\\');
            if c == '\\' || c == self.quote() {
                text.push(c);
                self.pos += 1;
            }
            return Ok(());
        }
        let simple = match c {
            '\n' => Some(None),
            '\r' => {
                self.pos += usize::from(self.rest().starts_with("\r\n"));
                Some(None)
            }
            '\\' | '\'' | '"' => Some(Some(c)),
            'a' => Some(Some('\x07')),
            'b' => Some(Some('\x08')),
            'f' => Some(Some('\x0c')),
            'n' => Some(Some('\n')),
            'r' => Some(Some('\r')),
            't' => Some(Some('\t')),
            'v' => Some(Some('\x0b')),
            _ => None,
        };
        if let Some(decoded) = simple {
            self.pos += 1;
            text.extend(decoded);
            return Ok(());
        }
        match c {
            '0'..='7' => {
                let digits: String = self
                    .rest()
                    .chars()
                    .take(3)
                    .take_while(|d| d.is_digit(8))
                    .collect();
                self.pos += digits.len();
                let value = u32::from_str_radix(&digits, 8).expect("octal digits");
                text.push(char::from_u32(value).expect("at most 0o777"));
            }
            'x' => text.push(self.hex_escape(start, 2, "\\xXX")?),
            'u' if !self.bytes => text.push(self.hex_escape(start, 4, "\\uXXXX")?),
            'U' if !self.bytes => text.push(self.hex_escape(start, 8, "\\UXXXXXXXX")?),
            'N' if !self.bytes => {
                let len = self.rest().find('}').map_or(1, |i| i + 1);
                return Err(SyntaxError::new(
                    "\\N{...} escapes are not supported",
                    Span::new(start, self.pos + len),
                )
                .help("write the character itself, or use \\u with its code point"));
            }
            // An unknown escape keeps its backslash; the next character is scanned normally.
            _ => text.push('\\'),
        }
        Ok(())
    }

    /// `\x`, `\u` or `\U` followed by exactly `len` hex digits.
    fn hex_escape(&mut self, start: usize, len: usize, form: &str) -> LexResult<char> {
        self.pos += 1;
        let digits: String = self
            .rest()
            .chars()
            .take(len)
            .take_while(char::is_ascii_hexdigit)
            .collect();
        self.pos += digits.len();
        let span = Span::new(start, self.pos);
        if digits.len() < len {
            return Err(SyntaxError::new(
                format!("(unicode error) truncated {form} escape"),
                span,
            ));
        }
        let value = u32::from_str_radix(&digits, 16).expect("hex digits");
        char::from_u32(value)
            .ok_or_else(|| SyntaxError::new("(unicode error) illegal Unicode character", span))
    }

    /// A replacement field, from `{` to its `}`.
    fn field(&mut self, nest: usize) -> LexResult<FField> {
        if nest >= 2 {
            return Err(self.error_here("f-string: expressions nested too deeply"));
        }
        self.pos += 1;
        let expr_start = self.pos;
        let stop = self.expression_end()?;
        let expr = Span::new(expr_start, self.pos);
        if self.src[expr.start..expr.end].trim().is_empty() {
            return Err(self.error_here(&format!(
                "f-string: valid expression required before '{stop}'"
            )));
        }
        let mut field = FField {
            expr,
            debug: None,
            conversion: None,
            spec: Vec::new(),
        };
        if self.peek() == Some('=') {
            self.pos += 1;
            self.pos += self.rest().len() - self.rest().trim_start().len();
            field.debug = Some(self.src[expr_start..self.pos].to_string());
        }
        if self.peek() == Some('!') {
            self.pos += 1;
            let name_len = self
                .rest()
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(self.rest().len());
            match &self.rest()[..name_len] {
                "" => return Err(self.error_here("f-string: missing conversion character")),
                c @ ("r" | "s" | "a") if matches!(self.peek2(), Some(':' | '}')) => {
                    field.conversion = c.chars().next();
                    self.pos += 1;
                }
                name => {
                    return Err(self.error_here(&format!(
                        "f-string: invalid conversion character '{name}': expected 's', 'r', or 'a'"
                    )));
                }
            }
        }
        if self.peek() == Some(':') {
            self.pos += 1;
            field.spec = self.pieces(nest + 1)?;
        }
        if self.peek() != Some('}') {
            return Err(self.error_here("f-string: expecting '}'"));
        }
        self.pos += 1;
        Ok(field)
    }

    /// Move to the end of a field's expression: the `}`, `!`, `:` or debugging `=` that is not
    /// inside brackets or a nested string. Returns that character.
    fn expression_end(&mut self) -> LexResult<char> {
        let mut depth = 0usize;
        loop {
            let Some(c) = self.peek() else {
                return Err(self.unterminated());
            };
            match c {
                _ if self.at_close() => return Err(self.error_here("f-string: expecting '}'")),
                '\n' | '\r' if !self.triple() => return Err(self.unterminated()),
                '\'' | '"' => {
                    self.skip_nested_string();
                    continue;
                }
                '#' => return Err(self.error_here("f-string expression part cannot include '#'")),
                '(' | '[' | '{' => depth += 1,
                ')' | ']' => depth = depth.saturating_sub(1),
                '}' if depth > 0 => depth -= 1,
                '}' | ':' if depth == 0 => return Ok(c),
                '!' if depth == 0 && self.peek2() != Some('=') => return Ok(c),
                '=' | '!' | '<' | '>' if self.peek2() == Some('=') => self.pos += 1,
                '=' if depth == 0 => {
                    let after = self.rest()[1..].trim_start();
                    if after.starts_with(['}', '!', ':']) {
                        return Ok(c);
                    }
                }
                _ => {}
            }
            self.pos += c.len_utf8();
        }
    }

    /// Skip a string literal nested in a field's expression (its own lexing happens later).
    fn skip_nested_string(&mut self) {
        let closing = delimiter_at(self.rest()).expect("called at a quote");
        self.pos += closing.len();
        while let Some(c) = self.peek() {
            if self.rest().starts_with(closing) {
                self.pos += closing.len();
                return;
            }
            if (c == '\n' && closing.len() == 1) || self.at_close() {
                return;
            }
            self.pos += if c == '\\' {
                1 + self.peek2().map_or(0, char::len_utf8)
            } else {
                c.len_utf8()
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scan_all(src: &str) -> StrLit<'_> {
        let prefix_len = src.find(['\'', '"']).unwrap();
        let (literal, end) = scan(src, src.len(), 0, &src[..prefix_len]).unwrap();
        assert_eq!(end, src.len(), "{src}");
        literal
    }

    #[test]
    fn plain_strings_are_decoded() {
        assert_eq!(
            scan_all(r#""a\tb\x41\u00e9\101\q""#),
            StrLit::Plain("a\tbAéA\\q".into())
        );
        assert_eq!(scan_all(r#"r"a\tb\"""#), StrLit::Plain("a\\tb\\\"".into()));
        assert_eq!(scan_all(r#"b"\u00e9""#), StrLit::Plain("\\u00e9".into()));
        assert_eq!(scan_all("'''a\r\nb'''"), StrLit::Plain("a\nb".into()));
    }

    #[test]
    fn fstring_fields_keep_their_source_span() {
        let src = "f'{a!r:>{w}} {b = }'";
        let StrLit::F(pieces) = scan_all(src) else {
            panic!()
        };
        let FPiece::Field(a) = &pieces[0] else {
            panic!()
        };
        assert_eq!(
            (&src[a.expr.start..a.expr.end], a.conversion),
            ("a", Some('r'))
        );
        let FPiece::Field(w) = &a.spec[1] else {
            panic!()
        };
        assert_eq!(&src[w.expr.start..w.expr.end], "w");
        let FPiece::Field(b) = &pieces[2] else {
            panic!()
        };
        assert_eq!(b.debug.as_deref(), Some("b = "));
    }

    #[test]
    fn quotes_inside_fields_do_not_end_the_string() {
        let src = r#"f"{d['k']} {'}'}""#;
        let StrLit::F(pieces) = scan_all(src) else {
            panic!()
        };
        assert_eq!(pieces.len(), 3);
    }
}
