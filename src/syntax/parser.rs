//! Parser: tokens → [`ast::Program`], with Python's grammar, precedence and error messages.
//!
//! A recursive-descent parser over the token slice made by [`lexer`](super::lexer). This file
//! owns the public entry points and the token cursor shared by the two halves of the grammar:
//! [`stmt`] (statements and blocks) and [`expr`] (expressions, targets, f-string fields).
//! The grammar it implements is written down in `grammar/djq.peg`.

mod expr;
mod python312;
mod stmt;

use super::ast::{self, Span, StmtKind};
use super::lexer::{self, MAX_DEPTH, Op, StrLit, SyntaxError, Tok, Token, Tokens, too_deep};
use crate::diag::{self, Diagnostic, ErrorKind};
use std::sync::Arc;

type PResult<T> = Result<T, SyntaxError>;

/// Parse a whole program: a script, a `-c` argument, a REPL entry or a models.py file.
pub fn parse_program(src: &str) -> diag::Result<ast::Program> {
    program(src).map_err(|e| *e.diag)
}

/// Parse a module that is read rather than run (a models.py): each statement that does not
/// parse — Python djq does not implement, such as `match`, `async def` or `type X = int`, or
/// a syntax error inside one statement — is read past whole and kept as
/// [`StmtKind::Unread`] with its error; a top-level statement that does not even tokenise (an
/// unclosed bracket, an f-string djq cannot read) is kept so up to the next line that starts a
/// top-level statement. Only a NUL byte makes the whole file an error.
///
/// The file is tokenised and parsed a few top-level statements at a time
/// ([`lexer::tokenize_module`]), so that a large file's tokens never all exist at once.
pub fn parse_module(src: &str) -> diag::Result<ast::Program> {
    let mut body = Vec::new();
    parse_module_each(src, &mut |stmt| body.push(stmt))?;
    // A module's statements stay while it is read: no room to grow.
    body.shrink_to_fit();
    Ok(ast::Program { body })
}

/// [`parse_module`], handing each top-level statement to `each` in source order as soon as
/// it is parsed instead of collecting them: a reader that keeps only some never holds the
/// whole module's tree.
pub fn parse_module_each(src: &str, each: &mut dyn FnMut(ast::Stmt)) -> diag::Result<()> {
    let each = std::cell::RefCell::new(each);
    let mut parse = |tokens| {
        // The module's trees outlive the read (field defaults, methods): each name gets a
        // text of its own rather than keeping a large file's whole text alive.
        let mut parser = Parser::new(src, None, tokens);
        parser.tolerant = true;
        parser
            .statements()?
            .body
            .into_iter()
            .for_each(|stmt| (each.borrow_mut())(stmt));
        Ok(())
    };
    let mut unreadable = |error: SyntaxError, span: Span| {
        let kind = StmtKind::Unread {
            defines: definition_in(src, span),
            error: error.diag,
        };
        (each.borrow_mut())(ast::Stmt { kind, span });
    };
    let last = lexer::tokenize_module(src, &mut parse, &mut unreadable).map_err(|e| *e.diag)?;
    parse(last).map_err(|e| *e.diag)
}

/// The class or function a top-level statement's text `src[span]` defines (after its
/// decorator lines), read from the text: for a statement that does not tokenise.
fn definition_in(src: &str, span: Span) -> Option<ast::Definition> {
    let mut at = span.start;
    while src[at..span.end].starts_with('@') {
        at += src[at..span.end].find('\n')? + 1;
    }
    let line = &src[at..span.end];
    let (class, rest) = match line.strip_prefix("async ").map_or(line, str::trim_start) {
        l if l.starts_with("class ") => (true, &l[6..]),
        l if l.starts_with("def ") => (false, &l[4..]),
        _ => return None,
    };
    let rest = rest.trim_start();
    let start = at + (line.len() - rest.len());
    let name: &str = &rest[..rest
        .find(|c: char| !(c.is_alphanumeric() || c == '_'))
        .unwrap_or(rest.len())];
    (!name.is_empty()).then(|| ast::Definition {
        class,
        name: ast::Ident {
            name: ast::Name::new(name),
            span: Span::new(start, start + name.len()),
        },
    })
}

/// Parse `src` as one expression (a bare tuple such as `1, 2` included), surrounding whitespace
/// and a trailing newline allowed.
pub fn parse_expression(src: &str) -> diag::Result<ast::Expr> {
    single_expression(src).map_err(|e| *e.diag)
}

/// True when `src` is a valid beginning that needs more lines: an open bracket or triple-quoted
/// string, a trailing backslash, a block header without its body, or — as in Python's REPL — a
/// block statement not yet ended by an empty line. (An empty last line also gives up on a block
/// left without its body, so that the REPL reports it.)
pub fn needs_more_input(src: &str) -> bool {
    let tokens = match lexer::tokenize(src) {
        Ok(tokens) => tokens,
        Err(error) => return error.incomplete,
    };
    let last_line = src.rsplit(['\n', '\r']).next().unwrap_or_default();
    let last_line_blank = last_line.trim().is_empty();
    match statements(src, tokens) {
        Err(error) => error.incomplete && !last_line_blank,
        Ok(program) => {
            let ends_in_block = program.body.last().is_some_and(|s| {
                matches!(
                    s.kind,
                    StmtKind::If { .. }
                        | StmtKind::For { .. }
                        | StmtKind::While { .. }
                        | StmtKind::Try { .. }
                        | StmtKind::With { .. }
                        | StmtKind::FunctionDef { .. }
                        | StmtKind::ClassDef { .. }
                )
            });
            ends_in_block && !last_line_blank
        }
    }
}

fn program(src: &str) -> PResult<ast::Program> {
    statements(src, lexer::tokenize(src)?)
}

fn single_expression(src: &str) -> PResult<ast::Expr> {
    let mut parser = Parser::new(src, Some(&Arc::from(src)), lexer::tokenize(src)?);
    parser.eat(&Tok::Indent);
    let expr = parser.value()?;
    parser.eat(&Tok::Newline);
    while parser.eat(&Tok::Dedent) {}
    parser.expect_eof()?;
    Ok(expr)
}

fn statements<'a>(src: &'a str, tokens: Tokens<'a>) -> PResult<ast::Program> {
    Parser::new(src, Some(&Arc::from(src)), tokens).statements()
}

/// Where `return`, `break` and `continue` are allowed.
#[derive(Clone, Copy, Default)]
struct Context {
    in_function: bool,
    in_loop: bool,
}

struct Parser<'a> {
    src: &'a str,
    /// The source again, shared by the names of the tree (see [`ast::Name`]); none when
    /// each name is to get a text of its own.
    text: Option<Arc<str>>,
    tokens: Vec<Token<'a>>,
    /// The string literals of [`Tok::Str`] tokens.
    strings: Vec<StrLit<'a>>,
    /// The arguments of the calls being read, innermost call's last (see [`Parser::call_args`]).
    args: Vec<ast::Arg>,
    pos: usize,
    /// Current nesting of expressions, capped at [`MAX_DEPTH`].
    depth: usize,
    context: Context,
    /// Reading a module rather than a program to run: statements that do not parse are read
    /// past (see [`parse_module`]).
    tolerant: bool,
}

impl<'a> Parser<'a> {
    fn new(src: &'a str, text: Option<&Arc<str>>, tokens: Tokens<'a>) -> Self {
        Parser {
            src,
            text: text.cloned(),
            tokens: tokens.list,
            strings: tokens.strings,
            args: Vec::new(),
            pos: 0,
            depth: 0,
            context: Context::default(),
            tolerant: false,
        }
    }

    /// Statements up to the end of the input.
    fn statements(&mut self) -> PResult<ast::Program> {
        let mut body = Vec::new();
        while !self.at(&Tok::Eof) {
            self.statement(&mut body)?;
        }
        Ok(ast::Program { body })
    }

    fn tok(&self) -> &Tok<'a> {
        &self.tokens[self.pos].kind
    }

    fn peek_tok(&self, ahead: usize) -> &Tok<'a> {
        let last = self.tokens.len() - 1;
        &self.tokens[(self.pos + ahead).min(last)].kind
    }

    fn span(&self) -> Span {
        self.tokens[self.pos].span
    }

    /// Where the current token starts: the start of the node about to be parsed.
    fn start(&self) -> usize {
        self.span().start
    }

    /// The span from `start` to the end of the last consumed token with text of its own
    /// (so a block statement ends with its last statement, not with the newline or dedent).
    fn since(&self, start: usize) -> Span {
        let end = self.tokens[..self.pos]
            .iter()
            .rev()
            .find(|t| !matches!(t.kind, Tok::Newline | Tok::Indent | Tok::Dedent))
            .map_or(start, |t| t.span.end);
        Span::new(start, end.max(start))
    }

    /// Consume the current token (never moves past `Eof`) and return its span.
    fn bump(&mut self) -> Span {
        let span = self.span();
        if !self.at(&Tok::Eof) {
            self.pos += 1;
        }
        span
    }

    /// Is the current token `tok`, one without a value (`Newline`, `Indent`, `Dedent`, `Eof`)?
    fn at(&self, tok: &Tok) -> bool {
        std::mem::discriminant(self.tok()) == std::mem::discriminant(tok)
    }

    fn eat(&mut self, tok: &Tok) -> bool {
        let found = self.at(tok);
        if found {
            self.bump();
        }
        found
    }

    /// The current operator, if the current token is one.
    fn op(&self) -> Option<Op> {
        match self.tok() {
            Tok::Op(op) => Some(*op),
            _ => None,
        }
    }

    fn at_op(&self, op: Op) -> bool {
        self.op() == Some(op)
    }

    fn eat_op(&mut self, op: Op) -> bool {
        let found = self.at_op(op);
        if found {
            self.bump();
        }
        found
    }

    fn at_kw(&self, keyword: &str) -> bool {
        matches!(self.tok(), Tok::Keyword(k) if *k == keyword)
    }

    fn eat_kw(&mut self, keyword: &str) -> bool {
        let found = self.at_kw(keyword);
        if found {
            self.bump();
        }
        found
    }

    /// The span an error about the current token should point at: `Indent`/`Dedent` have no
    /// text of their own, so the first real token after them.
    fn error_span(&self) -> Span {
        self.tokens[self.pos..]
            .iter()
            .find(|t| !matches!(t.kind, Tok::Indent | Tok::Dedent))
            .map_or(self.span(), |t| t.span)
    }

    fn error(&self, message: impl Into<String>) -> SyntaxError {
        SyntaxError::new(message, self.error_span())
    }

    /// Python's plain "invalid syntax" at the current token, with what we expected as help —
    /// or, for Python syntax djq does not implement, an error saying so.
    fn invalid(&self, expected: &str) -> SyntaxError {
        let unsupported = match self.tok() {
            Tok::Keyword(k @ ("yield" | "async" | "await" | "nonlocal")) => format!("'{k}'"),
            Tok::Op(Op::Walrus) => "assignment expressions (':=')".to_string(),
            Tok::Op(Op::Ellipsis) => "'...' (Ellipsis)".to_string(),
            Tok::Op(op @ (Op::At | Op::AtAssign)) => format!("'{op}' (matrix multiplication)"),
            _ => {
                return self
                    .error("invalid syntax")
                    .help(format!("expected {expected}"));
            }
        };
        self.not_supported(&unsupported)
    }

    fn not_supported(&self, feature: &str) -> SyntaxError {
        Diagnostic::new(
            ErrorKind::NotSupported,
            format!("{feature} is not supported by djq"),
        )
        .at(self.error_span())
        .into()
    }

    fn expect_op(&mut self, op: Op) -> PResult<Span> {
        if self.at_op(op) {
            Ok(self.bump())
        } else {
            Err(self.error(format!("expected '{op}'")))
        }
    }

    fn expect_name(&mut self, what: &str) -> PResult<ast::Ident> {
        match *self.tok() {
            Tok::Name(_) => Ok(ast::Ident {
                name: self.name_here(),
                span: self.bump(),
            }),
            _ => Err(self.invalid(what)),
        }
    }

    /// The name at the current token (which is a [`Tok::Name`]), not consumed.
    fn name_here(&self) -> ast::Name {
        self.name_at(self.span())
    }

    /// The name whose text is `span` of the source.
    fn name_at(&self, span: Span) -> ast::Name {
        match &self.text {
            Some(text) => ast::Name::in_text(text, span.start, span.end),
            None => ast::Name::new(&self.src[span.start..span.end]),
        }
    }

    fn expect_eof(&self) -> PResult<()> {
        if self.at(&Tok::Eof) {
            Ok(())
        } else {
            Err(self.error("invalid syntax"))
        }
    }

    /// Only `Dedent`s and `Eof` are left: an error here could be fixed by typing more lines.
    fn at_end_of_input(&self) -> bool {
        self.tokens[self.pos..]
            .iter()
            .all(|t| matches!(t.kind, Tok::Dedent | Tok::Eof))
    }

    /// Run `parse` one nesting level deeper, refusing to go past [`MAX_DEPTH`].
    fn nested<T>(&mut self, parse: impl FnOnce(&mut Self) -> PResult<T>) -> PResult<T> {
        if self.depth >= MAX_DEPTH {
            return Err(too_deep(self.error_span()));
        }
        self.depth += 1;
        let result = parse(self);
        self.depth -= 1;
        result
    }

    fn line_of(&self, offset: usize) -> usize {
        lexer::line_of(self.src, offset)
    }
}
