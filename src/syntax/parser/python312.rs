//! The rest of Python 3.12's grammar, which djq reads without running (a models.py holds any
//! of it): `:=`, `yield`/`yield from`, `await`, `async def`/`for`/`with` and `async` in
//! comprehensions, `nonlocal`, `match` statements, `type` aliases, type parameters
//! (`class C[T]:`, read and dropped) and `except*`. The interpreter raises "not supported"
//! where one of them runs.

use super::{PResult, Parser};
use crate::syntax::ast::{Expr, ExprKind, Ident, MatchCase, Span, Stmt, StmtKind};
use crate::syntax::lexer::{Op, Tok};

impl Parser<'_> {
    /// `name := value`, at the name.
    pub(super) fn named_expression(&mut self) -> PResult<Expr> {
        let target = self.expect_name("a name")?;
        self.bump();
        let value = self.expression()?;
        let span = Span::new(target.span.start, value.span.end);
        let kind = ExprKind::NamedExpr {
            target,
            value: Box::new(value),
        };
        Ok(Expr { kind, span })
    }

    /// `yield`, `yield a, b`, `yield from value`, at `yield`.
    pub(super) fn yield_expression(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        let kind = if self.eat_kw("from") {
            ExprKind::YieldFrom(Box::new(self.expression()?))
        } else if self.at_expr_start() {
            ExprKind::Yield(Some(Box::new(self.star_expressions()?)))
        } else {
            ExprKind::Yield(None)
        };
        Ok(Expr {
            kind,
            span: self.since(start),
        })
    }

    /// `await value`, at `await` (it binds like a primary: `await x ** 2` is `(await x) ** 2`).
    pub(super) fn await_expression(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        let value = self.nested(|p| p.power())?;
        Ok(Expr {
            kind: ExprKind::Await(Box::new(value)),
            span: self.since(start),
        })
    }

    /// Is a comprehension's `for` (or `async for`) next?
    pub(super) fn at_comprehension(&self) -> bool {
        self.at_kw("for") || (self.at_kw("async") && *self.peek_tok(1) == Tok::Keyword("for"))
    }

    /// Consume a comprehension's `for` or `async for`.
    pub(super) fn eat_async_for(&mut self) -> bool {
        if self.at_comprehension() {
            if self.at_kw("async") {
                self.bump();
            }
            self.bump();
            return true;
        }
        false
    }

    /// `async def`, `async for`, `async with` (at `async`, or at the decorators of an
    /// `async def`).
    pub(super) fn async_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        let inner = if self.at_op(Op::At) {
            self.definition()?
        } else {
            self.bump();
            match self.tok() {
                Tok::Keyword("def") => self.definition()?,
                Tok::Keyword("for") => self.for_statement()?,
                Tok::Keyword("with") => self.with_statement()?,
                _ => return Err(self.invalid("'def', 'for' or 'with' after 'async'")),
            }
        };
        Ok(Stmt {
            kind: StmtKind::Async(Box::new(inner)),
            span: self.since(start),
        })
    }

    /// Do decorators (from the cursor) lead to an `async def`?
    pub(super) fn decorates_async(&self) -> bool {
        let mut i = self.pos;
        while self.tokens[i].kind == Tok::Op(Op::At) {
            while !matches!(self.tokens[i].kind, Tok::Newline | Tok::Eof) {
                i += 1;
            }
            i += 1;
        }
        self.tokens[i].kind == Tok::Keyword("async")
    }

    /// `nonlocal a, b`, at `nonlocal`.
    pub(super) fn nonlocal(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut names = vec![self.expect_name("a name")?];
        while self.eat_op(Op::Comma) {
            names.push(self.expect_name("a name")?);
        }
        Ok(StmtKind::Nonlocal(names))
    }

    /// `[T, *Ts, **P, U: bound = default]` after a class, function or alias name: read and
    /// dropped (djq checks no types).
    pub(super) fn type_params(&mut self) -> PResult<()> {
        if !self.eat_op(Op::LBracket) {
            return Ok(());
        }
        loop {
            if self.eat_op(Op::RBracket) {
                return Ok(());
            }
            if !self.eat_op(Op::Star) {
                self.eat_op(Op::DoubleStar);
            }
            self.expect_name("a type parameter")?;
            if self.eat_op(Op::Colon) || self.eat_op(Op::Assign) {
                self.expression()?;
                if self.eat_op(Op::Assign) {
                    self.expression()?;
                }
            }
            if !self.eat_op(Op::Comma) {
                self.expect_op(Op::RBracket)?;
                return Ok(());
            }
        }
    }

    /// A statement starting with the soft keyword `match` or `type` that is one: a `match`
    /// statement or a type alias, added to `body`; `None` (the cursor unmoved) when the name is
    /// used as a name.
    pub(super) fn soft_keyword_statement(&mut self, body: &mut Vec<Stmt>) -> Option<PResult<()>> {
        let saved = self.pos;
        let result = match self.tok() {
            Tok::Name("type") if matches!(self.peek_tok(1), Tok::Name(_)) => self.type_alias(),
            // An operator after `match` that cannot begin an operand (`match = 1`,
            // `match.group(1)`) makes it a name; `match[0]` is tried as a statement first.
            Tok::Name("match") if !matches!(self.peek_tok(1), Tok::Op(op) if !super::expr::starts_operand(*op)) => {
                self.match_statement()
            }
            _ => return None,
        };
        match result {
            Ok(stmt) => {
                body.push(stmt);
                Some(Ok(()))
            }
            // `match(x)` as a call, `type = 3`: read again as simple statements, unless that
            // fails too (then this error, which names what was meant, is the one to show).
            Err(error) => {
                let tried = self.pos;
                self.pos = saved;
                let before = body.len();
                let simple = self.simple_statements(body);
                if simple.is_err() {
                    body.truncate(before);
                    self.pos = tried;
                    return Some(Err(error));
                }
                Some(simple)
            }
        }
    }

    /// `type Name[params] = value`, at `type`.
    fn type_alias(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let name = self.expect_name("a type name")?;
        self.type_params()?;
        self.expect_op(Op::Assign)?;
        let value = Box::new(self.expression()?);
        if !self.eat(&Tok::Newline) {
            return Err(self.invalid("the end of the statement"));
        }
        Ok(Stmt {
            kind: StmtKind::TypeAlias { name, value },
            span: self.since(start),
        })
    }

    /// `match subject:` and its indented `case pattern [if guard]:` blocks, at `match`.
    fn match_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let subject = Box::new(self.star_expressions()?);
        self.expect_op(Op::Colon)?;
        if !self.eat(&Tok::Newline) || !self.eat(&Tok::Indent) {
            return Err(self.error("expected an indented block of 'case' clauses"));
        }
        let mut cases = Vec::new();
        while !self.eat(&Tok::Dedent) && !self.at(&Tok::Eof) {
            if *self.tok() != Tok::Name("case") {
                return Err(self.invalid("'case'"));
            }
            let header = self.start();
            self.bump();
            let pattern = self.pattern()?;
            let guard = if self.eat_kw("if") {
                Some(self.expression()?)
            } else {
                None
            };
            let body = self.block("'case' statement", header, self.context)?;
            cases.push(MatchCase {
                pattern,
                guard,
                body,
            });
        }
        Ok(Stmt {
            kind: StmtKind::Match { subject, cases },
            span: self.since(start),
        })
    }

    /// A `case` pattern, read as the expression it looks like: `a | b`, `[x, *rest]`,
    /// `Point(x=0)`, `{"k": v, **more}`, `a, b` (a tuple), each optionally `as name`.
    fn pattern(&mut self) -> PResult<Expr> {
        let start = self.start();
        let first = self.pattern_as()?;
        if !self.at_op(Op::Comma) {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(Op::Comma) && !self.at_op(Op::Colon) && !self.at_kw("if") {
            items.push(self.pattern_as()?);
        }
        Ok(Expr {
            kind: ExprKind::Tuple(items),
            span: self.since(start),
        })
    }

    /// `pattern [as name]`, where `pattern` is an `|` of closed patterns.
    fn pattern_as(&mut self) -> PResult<Expr> {
        let value = self.star_target()?;
        if !self.eat_kw("as") {
            return Ok(value);
        }
        let target: Ident = self.expect_name("a name after 'as'")?;
        let span = Span::new(value.span.start, target.span.end);
        Ok(Expr {
            kind: ExprKind::NamedExpr {
                target,
                value: Box::new(value),
            },
            span,
        })
    }
}
