//! Lexer: source text → tokens with byte spans.
//!
//! Owns Python's line structure: logical lines ending in [`Tok::Newline`], indentation turned into
//! [`Tok::Indent`]/[`Tok::Dedent`], blank and comment-only lines skipped, backslash continuation,
//! newlines ignored inside brackets, `\r\n`/`\r` line endings and a leading UTF-8 BOM. It also
//! recognises names, keywords, numbers and operators ([`op`]); string literals (f-strings included) are
//! scanned by [`strings`].
//!
//! The scan goes byte by byte: names, numbers, operators and whitespace are ASCII in all but
//! rare cases, and a name falls back to Unicode's rules only at its first non-ASCII byte. The
//! lexer keeps the state of the line structure (the indentation stack and the open brackets).
//! Every span is a byte range into the whole source, also when lexing the expression inside an
//! f-string field.

mod op;
mod strings;

pub(super) use op::Op;
use op::operator;

use crate::diag::{Diagnostic, ErrorKind, Span};
use std::borrow::Cow;

pub(super) use strings::{FPiece, StrLit};

/// How deeply brackets, expressions and f-string fields may nest before we give up
/// (instead of overflowing the stack).
pub(super) const MAX_DEPTH: usize = 200;
/// How many indentation levels a block may nest (Python's own limit).
const MAX_INDENT: usize = 100;

/// Python's keywords.
pub const KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue",
    "def", "del", "elif", "else", "except", "finally", "for", "from", "global", "if", "import",
    "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise", "return", "try", "while",
    "with", "yield",
];

/// A slot for a word (of at least one byte) from its first and last bytes and its length:
/// no two keywords share one (the table below is checked as it is built), so a name is
/// compared with one keyword at most rather than with each of those of its length.
const fn keyword_slot(word: &[u8]) -> usize {
    (word[0] as usize + word[word.len() - 1] as usize * 11 + word.len()) % 128
}

/// The index in [`KEYWORDS`] of the keyword in each [`keyword_slot`] (`u8::MAX`: none).
static KEYWORD_SLOTS: [u8; 128] = {
    let mut slots = [u8::MAX; 128];
    let mut i = 0;
    while i < KEYWORDS.len() {
        let slot = keyword_slot(KEYWORDS[i].as_bytes());
        assert!(slots[slot] == u8::MAX, "two keywords share a slot");
        slots[slot] = i as u8;
        i += 1;
    }
    slots
};

/// `word` (a name, so not empty) as a keyword, if it is one.
fn keyword(word: &str) -> Option<&'static str> {
    let keyword = KEYWORDS.get(usize::from(KEYWORD_SLOTS[keyword_slot(word.as_bytes())]))?;
    (*keyword == word).then_some(*keyword)
}

/// The tokens of a source, and the string literals they refer to: kept apart so that a token
/// owns nothing (copying one is free, and so is dropping the list).
#[derive(Debug, Default)]
pub(super) struct Tokens<'a> {
    pub list: Vec<Token<'a>>,
    pub strings: Vec<StrLit<'a>>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Token<'a> {
    pub kind: Tok<'a>,
    pub span: Span,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Tok<'a> {
    Name(&'a str),
    Keyword(&'static str),
    /// An operator or delimiter (see [`operator`]).
    Op(Op),
    Int(i64),
    Float(f64),
    /// An imaginary literal (`1j`), which djq reads but does not implement.
    Imaginary,
    /// A string literal whose text is the source's (no prefix, escape or line break: most).
    Text(&'a str),
    /// Any other string literal: its index in [`Tokens::strings`].
    Str(usize),
    Newline,
    Indent,
    Dedent,
    Eof,
}

/// A syntax error, and whether more input could still make the source valid (an open bracket or
/// triple-quoted string, a block header without its body) — the REPL asks for more lines then.
/// The diagnostic is boxed to keep parse results small: the parser recurses, and every frame
/// holds a few of them.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SyntaxError {
    pub diag: Box<Diagnostic>,
    pub incomplete: bool,
}

impl SyntaxError {
    pub fn new(message: impl Into<String>, span: Span) -> Self {
        Diagnostic::syntax(message, span).into()
    }

    pub fn incomplete(mut self) -> Self {
        self.incomplete = true;
        self
    }

    /// Python's `IndentationError` or `TabError` (`kind`) rather than a plain `SyntaxError`.
    pub fn kind(mut self, kind: ErrorKind) -> Self {
        self.diag.kind = kind;
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.diag.help = Some(help.into());
        self
    }
}

impl From<Diagnostic> for SyntaxError {
    fn from(diag: Diagnostic) -> Self {
        SyntaxError {
            diag: Box::new(diag),
            incomplete: false,
        }
    }
}

pub(super) type LexResult<T> = Result<T, SyntaxError>;

/// The 1-based line number of a byte offset, for messages such as "on line 3".
pub(super) fn line_of(src: &str, offset: usize) -> usize {
    src.as_bytes()[..offset.min(src.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

pub(super) fn too_deep(span: Span) -> SyntaxError {
    SyntaxError::new("too deeply nested", span)
        .help(format!("djq allows at most {MAX_DEPTH} levels of nesting"))
}

/// Tokenise a whole program (or REPL entry). The result always ends with `Newline` (unless the
/// source has no tokens), the `Dedent`s closing open blocks, and `Eof`.
pub(super) fn tokenize(src: &str) -> LexResult<Tokens<'_>> {
    let mut lexer = program_lexer(src)?;
    // About one token every four bytes in queryset code: growing the vector token by token
    // was a tenth of compiling a short statement. (Made at its size, not grown to it, and so
    // are the open brackets, which queryset code always has.)
    lexer.tokens.list = Vec::with_capacity(src.len() / 4 + 8);
    lexer.brackets = Vec::with_capacity(8);
    lexer.run()
}

/// Tokenise a whole module a few top-level statements at a time, so that the tokens of a
/// large file never all exist at once: `statements` gets the tokens of whole top-level
/// statements (a class with its body, a decorated function), each batch ending with `Eof`;
/// the last batch (with the closing `Newline` and `Dedent`s) is returned. A top-level statement
/// that does not tokenise (an unclosed bracket, an f-string djq cannot read) is handed to
/// `unreadable` with its error and its text's span, up to the next line that starts a
/// top-level statement, where tokenising starts over.
pub(super) fn tokenize_module<'a>(
    src: &'a str,
    statements: &mut dyn FnMut(Tokens<'a>) -> LexResult<()>,
    unreadable: &mut dyn FnMut(SyntaxError, Span),
) -> LexResult<Tokens<'a>> {
    let mut lexer = program_lexer(src)?;
    loop {
        let error = match lexer.scan(Some(&mut *statements)) {
            Ok(()) => match lexer.finish() {
                Ok(tokens) => return Ok(tokens),
                Err(error) => error,
            },
            Err(error) => error,
        };
        // The statement ends where a line starts the next one; an error past that line was
        // reached through an open bracket (or string), which is then this statement's error.
        let start = lexer.statement_start;
        let at = error.diag.span.map_or(lexer.pos, |s| s.start);
        let resume = next_statement_line(src, start);
        let error = match lexer.brackets.first() {
            Some((open, span)) if at >= resume => {
                SyntaxError::new(format!("'{open}' was never closed"), *span)
            }
            _ => error,
        };
        unreadable(error, Span::new(start, resume));
        lexer = Lexer::new(src, resume, src.len(), false);
    }
}

/// The offset of the first line after the one holding `at` that starts a top-level statement
/// (at column 0, with a name or a decorator, not an `else`-like clause); the end of `src` if
/// none does.
fn next_statement_line(src: &str, at: usize) -> usize {
    let mut pos = at;
    while let Some(end) = src[pos..].find(['\n', '\r']) {
        pos += end + newline_len(&src[pos + end..]);
        let line = &src[pos..];
        let word = take_name_chars(line);
        let starts = line.starts_with('@') || line.starts_with(is_name_start);
        if starts && !matches!(word, "else" | "elif" | "except" | "finally") {
            return pos;
        }
    }
    src.len()
}

fn program_lexer(src: &str) -> LexResult<Lexer<'_>> {
    // Python refuses a NUL anywhere, in strings and comments too, before tokenising. (A fold
    // with no early exit is checked 16 bytes at a time, faster than a search for the short
    // sources most are; the position is looked for only when there is one.)
    if src.bytes().fold(false, |nul, b| nul | (b == 0))
        && let Some(at) = src.find('\0')
    {
        return Err(invalid_character('\0', Span::new(at, at + 1)));
    }
    let start = if src.starts_with('\u{feff}') { 3 } else { 0 };
    Ok(Lexer::new(src, start, src.len(), false))
}

/// Tokenise the expression of an f-string field, `src[span]`, as if it were in parentheses:
/// no line structure, only `Eof` at the end.
pub(super) fn tokenize_fragment(src: &str, span: Span) -> LexResult<Tokens<'_>> {
    Lexer::new(src, span.start, span.end, true).run()
}

/// An indentation level, measured twice (tabs to multiples of 8, and tabs as one column) so
/// that indentation whose meaning depends on the tab size is refused, as Python does.
#[derive(Clone, Copy, Default, PartialEq)]
struct Indentation {
    columns: usize,
    tabs_as_one: usize,
}

struct Lexer<'a> {
    src: &'a str,
    end: usize,
    pos: usize,
    fragment: bool,
    tokens: Tokens<'a>,
    /// Open brackets with their spans, innermost last.
    brackets: Vec<(char, Span)>,
    /// The indentation of the open blocks, innermost last (the top level's, none, is not kept).
    indents: Vec<Indentation>,
    /// Where the top-level statement being tokenised starts (see [`tokenize_module`]).
    statement_start: usize,
}

impl<'a> Lexer<'a> {
    fn new(src: &'a str, start: usize, end: usize, fragment: bool) -> Self {
        Lexer {
            src,
            end,
            pos: start,
            statement_start: start,
            fragment,
            tokens: Tokens::default(),
            brackets: Vec::new(),
            indents: Vec::new(),
        }
    }

    /// The indentation of the innermost open block.
    fn indentation(&self) -> Indentation {
        self.indents.last().copied().unwrap_or_default()
    }

    fn rest(&self) -> &'a str {
        &self.src[self.pos..self.end]
    }

    fn push(&mut self, kind: Tok<'a>, start: usize, end: usize) {
        self.tokens.list.push(Token {
            kind,
            span: Span::new(start, end),
        });
    }

    /// Has a logical line begun that no `Newline` has ended yet?
    fn in_logical_line(&self) -> bool {
        !matches!(
            self.tokens.list.last().map(|t| &t.kind),
            None | Some(Tok::Newline)
        )
    }

    /// Line structure matters only outside brackets and outside f-string fields.
    fn significant_newlines(&self) -> bool {
        !self.fragment && self.brackets.is_empty()
    }

    fn run(mut self) -> LexResult<Tokens<'a>> {
        self.scan(None)?;
        self.finish()
    }

    /// Tokenise to the end of the input (without the closing tokens of [`Lexer::finish`]);
    /// with `statements`, handing it the tokens so far at each top-level statement boundary
    /// (see [`tokenize_module`]).
    fn scan(
        &mut self,
        mut statements: Option<&mut dyn FnMut(Tokens<'a>) -> LexResult<()>>,
    ) -> LexResult<()> {
        let mut at_line_start = !self.fragment;
        loop {
            if at_line_start {
                if self.rest().is_empty() {
                    break;
                }
                if self.blank_line_or_indentation()? {
                    continue;
                }
                at_line_start = false;
                if let Some(statements) = statements.as_mut()
                    && self.at_statement_boundary()
                {
                    let mut tokens = std::mem::take(&mut self.tokens);
                    tokens.list.push(Token {
                        kind: Tok::Eof,
                        span: Span::new(self.pos, self.pos),
                    });
                    self.statement_start = self.pos;
                    statements(tokens)?;
                }
            }
            // Spaces, tabs and form feeds between tokens.
            let bytes = &self.src.as_bytes()[..self.end];
            while matches!(bytes.get(self.pos), Some(b' ' | b'\t' | b'\x0c')) {
                self.pos += 1;
            }
            let Some(&byte) = bytes.get(self.pos) else {
                break;
            };
            let start = self.pos;
            match byte {
                b'#' => self.pos += line_len(self.rest()),
                b'\n' | b'\r' => {
                    self.pos += newline_len(self.rest());
                    if self.significant_newlines() {
                        if self.in_logical_line() {
                            self.push(Tok::Newline, start, self.pos);
                        }
                        at_line_start = true;
                    }
                }
                b'\\' => self.continuation()?,
                b'\'' | b'"' => match strings::plain_text(self.src, self.end, start, false) {
                    Some((text, end)) => {
                        self.pos = end;
                        self.push(Tok::Text(text), start, end);
                    }
                    None => self.string(start, "")?,
                },
                b'0'..=b'9' => self.number()?,
                b'.' if bytes.get(start + 1).is_some_and(u8::is_ascii_digit) => self.number()?,
                b'a'..=b'z' | b'A'..=b'Z' | b'_' => self.name()?,
                0x80.. => {
                    let c = self.rest().chars().next().expect("not at the end");
                    if is_name_start(c) {
                        self.name()?;
                    } else {
                        return Err(invalid_character(c, Span::new(start, start + c.len_utf8())));
                    }
                }
                _ => self.operator(byte)?,
            }
        }
        Ok(())
    }

    /// At the start of a physical line: skip it if blank, otherwise compare its indentation
    /// with the enclosing blocks and emit `Indent`/`Dedent`. Returns true for a blank line.
    fn blank_line_or_indentation(&mut self) -> LexResult<bool> {
        let line_start = self.pos;
        let mut level = Indentation {
            columns: 0,
            tabs_as_one: 0,
        };
        for byte in self.rest().bytes() {
            match byte {
                b' ' => {
                    level.columns += 1;
                    level.tabs_as_one += 1;
                }
                b'\t' => {
                    level.columns = (level.columns / 8 + 1) * 8;
                    level.tabs_as_one += 1;
                }
                b'\x0c' => {
                    level = Indentation {
                        columns: 0,
                        tabs_as_one: 0,
                    }
                }
                _ => break,
            }
            self.pos += 1;
        }
        let rest = self.rest();
        if rest.is_empty() || rest.starts_with(['#', '\n', '\r']) {
            self.pos += line_len(rest);
            self.pos += newline_len(self.rest());
            return Ok(true);
        }
        let first = self.pos;
        let whitespace = Span::new(line_start, first);
        let inconsistent = || {
            SyntaxError::new(
                "inconsistent use of tabs and spaces in indentation",
                whitespace,
            )
            .kind(ErrorKind::Tab)
            .help("indent with spaces only")
        };
        let top = self.indentation();
        if level.columns > top.columns {
            if level.tabs_as_one <= top.tabs_as_one {
                return Err(inconsistent());
            }
            if self.indents.len() >= MAX_INDENT {
                return Err(
                    SyntaxError::new("too many levels of indentation", whitespace)
                        .kind(ErrorKind::Indentation),
                );
            }
            self.indents.push(level);
            self.push(Tok::Indent, line_start, first);
        } else {
            while level.columns < self.indents.last().map_or(0, |i| i.columns) {
                self.indents.pop();
                self.push(Tok::Dedent, first, first);
            }
            let top = self.indentation();
            if level.columns != top.columns {
                return Err(SyntaxError::new(
                    "unindent does not match any outer indentation level",
                    whitespace,
                )
                .kind(ErrorKind::Indentation));
            }
            if level != top {
                return Err(inconsistent());
            }
        }
        Ok(false)
    }

    /// A backslash: joins this line with the next one.
    fn continuation(&mut self) -> LexResult<()> {
        let backslash = Span::new(self.pos, self.pos + 1);
        self.pos += 1;
        match newline_len(self.rest()) {
            0 if self.rest().is_empty() => {
                Err(SyntaxError::new("unexpected EOF while parsing", backslash).incomplete())
            }
            0 => Err(SyntaxError::new(
                "unexpected character after line continuation character",
                backslash,
            )),
            len => {
                self.pos += len;
                Ok(())
            }
        }
    }

    fn string(&mut self, start: usize, prefix: &str) -> LexResult<()> {
        let (literal, end) = strings::scan(self.src, self.end, start, prefix)?;
        self.pos = end;
        if let StrLit::Plain(Cow::Borrowed(text)) = literal {
            self.push(Tok::Text(text), start, end);
        } else {
            self.push(Tok::Str(self.tokens.strings.len()), start, end);
            self.tokens.strings.push(literal);
        }
        Ok(())
    }

    /// (Inlined into [`Lexer::scan`]: a name every few bytes of queryset code, and its call
    /// cost a tenth of reading one.)
    #[inline(always)]
    fn name(&mut self) -> LexResult<()> {
        let start = self.pos;
        let end = name_end(self.src, start, self.end);
        let word = &self.src[start..end];
        let quote = end < self.end && matches!(self.src.as_bytes()[end], b'\'' | b'"');
        if quote && strings::is_prefix(word) {
            return self.string(start, word);
        }
        self.pos = end;
        let kind = match keyword(word) {
            Some(keyword) => Tok::Keyword(keyword),
            None => Tok::Name(word),
        };
        self.push(kind, start, self.pos);
        Ok(())
    }

    fn number(&mut self) -> LexResult<()> {
        let start = self.pos;
        // Most numbers are a few decimal digits with nothing stuck to them: read them at once.
        let bytes = &self.src.as_bytes()[start..self.end];
        let digits = bytes.iter().take_while(|b| b.is_ascii_digit()).count();
        let alone = !bytes
            .get(digits)
            .is_some_and(|&b| ASCII_NAME[usize::from(b)] || b == b'.' || !b.is_ascii());
        if alone && (digits == 1 || bytes[0] != b'0') {
            let value = bytes[..digits].iter().try_fold(0i64, |value, digit| {
                value.checked_mul(10)?.checked_add(i64::from(digit - b'0'))
            });
            if let Some(value) = value {
                self.pos = start + digits;
                self.push(Tok::Int(value), start, self.pos);
                return Ok(());
            }
        }
        let (len, number) = number(self.rest());
        let end = start + len;
        let rest = &self.src[end..self.end];
        let span = Span::new(start, end);
        if let Number::Decimal { .. } = number
            && rest.starts_with(['j', 'J'])
            && !rest[1..].starts_with(is_name_continue)
        {
            self.pos = end + 1;
            self.push(Tok::Imaginary, start, end + 1);
            return Ok(());
        }
        if rest.starts_with(is_name_continue) || matches!(number, Number::Radix { digits: "", .. })
        {
            // `1abc`, `1_`, `0o8`, `0x`, `1j`: the error covers the letters stuck to the number.
            let with_tail = Span::new(start, end + take_name_chars(rest).len());
            return Err(SyntaxError::new(number.invalid(rest), with_tail));
        }
        let kind = match number {
            Number::Radix { radix, digits } => {
                int_value(&without_underscores(digits), radix, span)?
            }
            Number::Decimal { float: true } => {
                let text = without_underscores(&self.src[start..end]);
                Tok::Float(
                    text.parse()
                        .expect("the float grammar is a subset of Rust's"),
                )
            }
            Number::Decimal { float: false } => {
                let text = without_underscores(&self.src[start..end]);
                if text.starts_with('0') && text.bytes().any(|b| b != b'0') {
                    return Err(SyntaxError::new(
                        "leading zeros in decimal integer literals are not permitted; \
                         use an 0o prefix for octal integers",
                        span,
                    ));
                }
                int_value(&text, 10, span)?
            }
        };
        self.pos = end;
        self.push(kind, start, end);
        Ok(())
    }

    /// The operator or delimiter starting with the ASCII `byte`.
    fn operator(&mut self, byte: u8) -> LexResult<()> {
        let start = self.pos;
        let c = char::from(byte);
        let bytes = &self.src.as_bytes()[start..self.end];
        let next = bytes.get(1).copied();
        // The delimiters queryset code is mostly made of are one byte, whatever follows
        // (or unless a `.`, `=` or `:` follows): no longest operator to look for.
        let op = match byte {
            b'(' => Op::LParen,
            b')' => Op::RParen,
            b'[' => Op::LBracket,
            b']' => Op::RBracket,
            b',' => Op::Comma,
            b'.' if next != Some(b'.') => Op::Dot,
            b'=' if next != Some(b'=') => Op::Assign,
            b':' if next != Some(b'=') => Op::Colon,
            _ => match operator(bytes) {
                Some(op) => op,
                None => return Err(invalid_character(c, Span::new(start, start + 1))),
            },
        };
        let span = Span::new(start, start + op.text().len());
        match byte {
            b'(' | b'[' | b'{' => {
                if self.brackets.len() >= MAX_DEPTH {
                    return Err(too_deep(span));
                }
                self.brackets.push((c, span));
            }
            b')' | b']' | b'}' => match self.brackets.pop() {
                None => return Err(SyntaxError::new(format!("unmatched '{c}'"), span)),
                Some((open, open_span)) if closing(open) != c => {
                    let mut message = format!(
                        "closing parenthesis '{c}' does not match opening parenthesis '{open}'"
                    );
                    let open_line = line_of(self.src, open_span.start);
                    if open_line != line_of(self.src, start) {
                        message.push_str(&format!(" on line {open_line}"));
                    }
                    return Err(SyntaxError::new(message, span));
                }
                Some(_) => {}
            },
            _ => {}
        }
        self.pos = span.end;
        self.push(Tok::Op(op), start, span.end);
        Ok(())
    }

    /// At the start of a line that begins a new top-level statement: no block or bracket open,
    /// the line before not a decorator, and this line not an `else`/`elif`/`except`/`finally`
    /// clause of the statement before.
    fn at_statement_boundary(&self) -> bool {
        if !self.indents.is_empty() || !self.brackets.is_empty() {
            return false;
        }
        // The Dedents that closed the blocks of the statement before.
        let dedents = self
            .tokens
            .list
            .iter()
            .rev()
            .take_while(|t| t.kind == Tok::Dedent)
            .count();
        let Some((
            Token {
                kind: Tok::Newline, ..
            },
            before,
        )) = self.tokens.list[..self.tokens.list.len() - dedents].split_last()
        else {
            return false; // nothing yet
        };
        // A line ending at the top level: is it a decorator?
        let line = before
            .iter()
            .rposition(|t| matches!(t.kind, Tok::Newline | Tok::Indent | Tok::Dedent))
            .map_or(0, |i| i + 1);
        if dedents == 0 && before.get(line).is_some_and(|t| t.kind == Tok::Op(Op::At)) {
            return false;
        }
        let word = take_name_chars(self.rest());
        !matches!(word, "else" | "elif" | "except" | "finally")
    }

    fn finish(&mut self) -> LexResult<Tokens<'a>> {
        if let Some((open, span)) = self.brackets.last() {
            return Err(SyntaxError::new(format!("'{open}' was never closed"), *span).incomplete());
        }
        let end = self.end;
        if !self.fragment {
            if self.in_logical_line() {
                self.push(Tok::Newline, end, end);
            }
            for _ in 0..self.indents.len() {
                self.push(Tok::Dedent, end, end);
            }
        }
        self.push(Tok::Eof, end, end);
        Ok(std::mem::take(&mut self.tokens))
    }
}

fn closing(open: char) -> char {
    match open {
        '(' => ')',
        '[' => ']',
        _ => '}',
    }
}

/// Length of the line at the start of `s`, up to (not including) its line break.
fn line_len(s: &str) -> usize {
    s.bytes()
        .position(|b| b == b'\n' || b == b'\r')
        .unwrap_or(s.len())
}

/// Length of the line break at the start of `s` (0 when there is none).
fn newline_len(s: &str) -> usize {
    if s.starts_with("\r\n") {
        2
    } else if s.starts_with(['\n', '\r']) {
        1
    } else {
        0
    }
}

fn invalid_character(c: char, span: Span) -> SyntaxError {
    let code = format!("U+{:04X}", c as u32);
    match c {
        '\0' => SyntaxError::new("source code cannot contain null bytes", span),
        '\u{201c}' | '\u{201d}' | '\u{2018}' | '\u{2019}' => {
            SyntaxError::new(format!("invalid character '{c}' ({code})"), span)
                .help("this is a typographic quote; use a plain ' or \" instead")
        }
        c if c.is_whitespace() || c.is_control() => {
            SyntaxError::new(format!("invalid non-printable character {code}"), span)
                .help("replace it with a plain space")
        }
        c if c.is_ascii() => SyntaxError::new("invalid syntax", span),
        c => SyntaxError::new(format!("invalid character '{c}' ({code})"), span),
    }
}

fn int_value(digits: &str, radix: u32, span: Span) -> LexResult<Tok<'static>> {
    i64::from_str_radix(digits, radix)
        .map(Tok::Int)
        .map_err(|_| {
            SyntaxError::new("integer literal too large", span)
                .help(format!("djq integers are 64-bit (at most {})", i64::MAX))
        })
}

/// A number's digits without the `_` separators (borrowed when it has none, as most do).
fn without_underscores(digits: &str) -> Cow<'_, str> {
    if digits.contains('_') {
        digits.replace('_', "").into()
    } else {
        digits.into()
    }
}

fn is_name_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_name_continue(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

/// Which bytes are ASCII name characters (letters, digits, `_`): a table, looked up once a byte.
static ASCII_NAME: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 128 {
        table[byte] = (byte as u8).is_ascii_alphanumeric() || byte == b'_' as usize;
        byte += 1;
    }
    table
};

/// The name characters at the start of `s`.
fn take_name_chars(s: &str) -> &str {
    &s[..name_end(s, 0, s.len())]
}

/// Where the name characters from `at` in `src[..end]` end: ASCII ones byte by byte, Unicode's
/// rules from the first non-ASCII byte on.
/// (Inlined into [`Lexer::name`], which reads a name every few bytes of queryset code.)
#[inline(always)]
fn name_end(src: &str, mut at: usize, end: usize) -> usize {
    let b = &src.as_bytes()[..end];
    while at < b.len() && ASCII_NAME[usize::from(b[at])] {
        at += 1;
    }
    if at < b.len() && !b[at].is_ascii() {
        let unicode = &src[at..end];
        at += unicode
            .find(|c| !is_name_continue(c))
            .unwrap_or(unicode.len());
    }
    at
}

/// What [`number`] recognised; the caller checks what follows and converts the value.
enum Number<'a> {
    /// `0x…`, `0o…`, `0b…`; `digits` (underscores included) is empty when none follows.
    Radix {
        radix: u32,
        digits: &'a str,
    },
    Decimal {
        float: bool,
    },
}

impl Number<'_> {
    /// The message for this number followed by `rest`, which starts with a name character.
    fn invalid(&self, rest: &str) -> String {
        match self {
            Number::Decimal { .. } => "invalid decimal literal".to_string(),
            Number::Radix { radix, .. } => {
                let name = match radix {
                    16 => "hexadecimal",
                    8 => "octal",
                    _ => "binary",
                };
                match rest.chars().next() {
                    Some(d) if d.is_ascii_digit() => {
                        format!("invalid digit '{d}' in {name} literal")
                    }
                    _ => format!("invalid {name} literal"),
                }
            }
        }
    }
}

/// `(["_"] digit)*` at the start of `b`: its length.
fn digits(b: &[u8], digit: impl Fn(u8) -> bool) -> usize {
    let mut len = 0;
    loop {
        let underscore = usize::from(b.get(len) == Some(&b'_'));
        match b.get(len + underscore) {
            Some(&d) if digit(d) => len += underscore + 1,
            _ => return len,
        }
    }
}

/// `digit (["_"] digit)*` at the start of `b`: its length (0 if `b` starts with no digit).
fn digit_part(b: &[u8]) -> usize {
    match b.first() {
        Some(d) if d.is_ascii_digit() => 1 + digits(&b[1..], |d| d.is_ascii_digit()),
        _ => 0,
    }
}

/// The number at the start of `s` (which starts with a digit, or `.` and a digit): its length
/// and what it is. Python's grammar: `0x`/`0o`/`0b` and digits with single underscores between
/// them (perhaps none), or a decimal mantissa (`1`, `1.`, `1.5`, `.5`) with an optional
/// exponent (`e-3`, taken only when digits follow).
fn number(s: &str) -> (usize, Number<'_>) {
    let b = s.as_bytes();
    let radix = match b {
        [b'0', b'x' | b'X', ..] => 16,
        [b'0', b'o' | b'O', ..] => 8,
        [b'0', b'b' | b'B', ..] => 2,
        _ => 0,
    };
    if radix != 0 {
        let len = digits(&b[2..], |d| char::from(d).is_digit(radix));
        return (
            2 + len,
            Number::Radix {
                radix,
                digits: &s[2..2 + len],
            },
        );
    }
    let mut len = digit_part(b);
    let mut float = len == 0;
    if float || b.get(len) == Some(&b'.') {
        float = true;
        len += 1 + digit_part(&b[len + 1..]);
    }
    if let Some(b'e' | b'E') = b.get(len) {
        let sign = usize::from(matches!(b.get(len + 1), Some(b'+' | b'-')));
        let exponent = digit_part(&b[len + 1 + sign..]);
        if exponent > 0 {
            len += 1 + sign + exponent;
            float = true;
        }
    }
    (len, Number::Decimal { float })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(src: &str) -> Vec<Tok<'_>> {
        tokenize(src)
            .unwrap()
            .list
            .into_iter()
            .map(|t| t.kind)
            .collect()
    }

    #[test]
    fn indentation_becomes_indent_and_dedent() {
        use Tok::*;
        assert_eq!(
            kinds("if x:\n    y\n\n  # comment\nz"),
            vec![
                Keyword("if"),
                Name("x"),
                Op(op::Op::Colon),
                Newline,
                Indent,
                Name("y"),
                Newline,
                Dedent,
                Name("z"),
                Newline,
                Eof
            ]
        );
    }

    #[test]
    fn newlines_inside_brackets_and_continuations_are_ignored() {
        use Tok::*;
        assert_eq!(
            kinds("f(1,\n  2) + \\\n 3\r\n"),
            vec![
                Name("f"),
                Op(op::Op::LParen),
                Int(1),
                Op(op::Op::Comma),
                Int(2),
                Op(op::Op::RParen),
                Op(op::Op::Plus),
                Int(3),
                Newline,
                Eof
            ]
        );
    }

    #[test]
    fn numbers() {
        use Tok::*;
        assert_eq!(
            kinds("1_000 0x_ff 0o17 0b101 1.5 1. .5 1e3 2E-2 0 00"),
            vec![
                Int(1000),
                Int(255),
                Int(15),
                Int(5),
                Float(1.5),
                Float(1.0),
                Float(0.5),
                Float(1000.0),
                Float(0.02),
                Int(0),
                Int(0),
                Newline,
                Eof
            ]
        );
    }

    #[test]
    fn longest_operator_wins_and_keywords_are_recognised() {
        use Tok::*;
        assert_eq!(
            kinds("a **= b // c is not None"),
            vec![
                Name("a"),
                Op(op::Op::PowAssign),
                Name("b"),
                Op(op::Op::DoubleSlash),
                Name("c"),
                Keyword("is"),
                Keyword("not"),
                Keyword("None"),
                Newline,
                Eof
            ]
        );
    }

    #[test]
    fn names_read_unicode_past_their_ascii_start_and_strings_borrow_plain_text() {
        use Tok::*;
        let error = tokenize("abcé_1 = 'ab' + 'a\\tb' + 1e + x").unwrap_err();
        assert_eq!(error.diag.message, "invalid decimal literal");
        let tokens = tokenize("abcé_1 = 'ab' + 'a\\tb'").unwrap();
        let kinds: Vec<_> = tokens.list.iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![
                Name("abcé_1"),
                Op(op::Op::Assign),
                Text("ab"),
                Op(op::Op::Plus),
                Str(0),
                Newline,
                Eof
            ]
        );
        assert!(matches!(&tokens.strings[0], StrLit::Plain(Cow::Owned(s)) if s == "a\tb"));
    }

    #[test]
    fn one_byte_delimiters_and_plain_literals_yield_to_longer_tokens() {
        use Tok::*;
        assert_eq!(
            kinds("a.b == c[1:] ... (x := '') '''t''' ''"),
            vec![
                Name("a"),
                Op(op::Op::Dot),
                Name("b"),
                Op(op::Op::EqEq),
                Name("c"),
                Op(op::Op::LBracket),
                Int(1),
                Op(op::Op::Colon),
                Op(op::Op::RBracket),
                Op(op::Op::Ellipsis),
                Op(op::Op::LParen),
                Name("x"),
                Op(op::Op::Walrus),
                Text(""),
                Op(op::Op::RParen),
                Str(0),
                Text(""),
                Newline,
                Eof
            ]
        );
    }

    #[test]
    fn bom_is_skipped_and_spans_stay_absolute() {
        let tokens = tokenize("\u{feff}x").unwrap();
        assert_eq!(tokens.list[0].span, Span::new(3, 4));
    }

    #[test]
    fn fragments_have_no_line_structure() {
        let src = "f'{a +\n b}'";
        let tokens = tokenize_fragment(src, Span::new(3, 9)).unwrap();
        let kinds: Vec<_> = tokens.list.into_iter().map(|t| t.kind).collect();
        assert_eq!(
            kinds,
            vec![Tok::Name("a"), Tok::Op(Op::Plus), Tok::Name("b"), Tok::Eof]
        );
    }
}
