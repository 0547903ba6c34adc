//! Statements: simple statements separated by `;`, block statements with their indented (or
//! same-line) bodies, decorators, imports, and the checks Python makes on where `return`,
//! `break` and `continue` may appear.

use super::expr::{Target, describe};
use super::{Context, PResult, Parser};
use crate::diag::ErrorKind;
use crate::syntax::ast::{
    Alias, BinOp, Definition, ExceptHandler, Expr, ExprKind, Ident, Span, Stmt, StmtKind, WithItem,
};
use crate::syntax::lexer::{Op, SyntaxError, Tok};

fn stmt(kind: StmtKind, span: Span) -> Stmt {
    Stmt { kind, span }
}

/// The operator of an augmented assignment such as `+=`.
fn augmented(op: Op) -> Option<BinOp> {
    Some(match op {
        Op::PlusAssign => BinOp::Add,
        Op::MinusAssign => BinOp::Sub,
        Op::StarAssign => BinOp::Mul,
        Op::SlashAssign => BinOp::Div,
        Op::FloorDivAssign => BinOp::FloorDiv,
        Op::PercentAssign => BinOp::Mod,
        Op::PowAssign => BinOp::Pow,
        Op::PipeAssign => BinOp::BitOr,
        Op::AmpAssign => BinOp::BitAnd,
        Op::CaretAssign => BinOp::BitXor,
        Op::LShiftAssign => BinOp::LShift,
        Op::RShiftAssign => BinOp::RShift,
        Op::AtAssign => BinOp::MatMul,
        _ => return None,
    })
}

impl Parser<'_> {
    /// One compound statement, or one line of simple statements, added to `body`. Reading a
    /// module ([`Parser::tolerant`]), a statement that does not parse is read past, whole, and
    /// becomes [`StmtKind::Unread`].
    pub(super) fn statement(&mut self, body: &mut Vec<Stmt>) -> PResult<()> {
        let first = self.pos;
        let start = self.start();
        let before = body.len();
        let result = self.strict_statement(body);
        if !self.tolerant {
            return result;
        }
        result.or_else(|error| {
            body.truncate(before);
            self.pos = first;
            let defines = self.definition_ahead();
            self.skip_statement();
            let kind = StmtKind::Unread {
                defines,
                error: error.diag,
            };
            body.push(stmt(kind, self.since(start)));
            Ok(())
        })
    }

    /// The class or function the statement at the cursor defines, if it is a definition
    /// (decorators and `async` allowed before it).
    fn definition_ahead(&self) -> Option<Definition> {
        let mut i = self.pos;
        while matches!(self.tokens[i].kind, Tok::Op(Op::At)) {
            while !matches!(self.tokens[i].kind, Tok::Newline | Tok::Eof) {
                i += 1;
            }
            i += 1;
        }
        if self.tokens[i].kind == Tok::Keyword("async") {
            i += 1;
        }
        let class = match self.tokens[i].kind {
            Tok::Keyword("class") => true,
            Tok::Keyword("def") => false,
            _ => return None,
        };
        match self.tokens.get(i + 1)?.kind {
            Tok::Name(_) => {
                let span = self.tokens[i + 1].span;
                Some(Definition {
                    class,
                    name: Ident {
                        name: self.name_at(span),
                        span,
                    },
                })
            }
            _ => None,
        }
    }

    /// Move past the statement at the cursor: its logical line (with the decorator lines
    /// before a definition), its indented block, and the clauses that continue it (`else`,
    /// `elif`, `except`, `finally`).
    fn skip_statement(&mut self) {
        let mut depth = 0usize;
        let mut line_start = self.pos;
        loop {
            match self.tok() {
                Tok::Eof => return,
                Tok::Indent => depth += 1,
                Tok::Dedent if depth == 0 => return,
                Tok::Dedent => {
                    depth -= 1;
                    if depth == 0 && !self.continues_statement(1) {
                        self.bump();
                        return;
                    }
                }
                Tok::Newline if depth == 0 => {
                    let decorator = self.tokens[line_start].kind == Tok::Op(Op::At);
                    self.bump();
                    line_start = self.pos;
                    if !decorator && !self.at(&Tok::Indent) && !self.continues_statement(0) {
                        return;
                    }
                    continue;
                }
                Tok::Newline if self.tokens[self.pos + 1].kind != Tok::Indent => {
                    line_start = self.pos + 1;
                }
                _ => {}
            }
            self.bump();
        }
    }

    /// Is the token `ahead` of the cursor a clause that continues a compound statement?
    fn continues_statement(&self, ahead: usize) -> bool {
        matches!(
            self.peek_tok(ahead),
            Tok::Keyword("else" | "elif" | "except" | "finally")
        )
    }

    fn strict_statement(&mut self, body: &mut Vec<Stmt>) -> PResult<()> {
        let compound = match self.tok() {
            Tok::Indent => {
                return Err(self.error("unexpected indent").kind(ErrorKind::Indentation));
            }
            Tok::Keyword("if") => self.if_statement()?,
            Tok::Keyword("for") => self.for_statement()?,
            Tok::Keyword("while") => self.while_statement()?,
            Tok::Keyword("try") => self.try_statement()?,
            Tok::Keyword("with") => self.with_statement()?,
            Tok::Keyword("async") => self.async_statement()?,
            Tok::Op(Op::At) if self.decorates_async() => self.async_statement()?,
            Tok::Keyword("def" | "class") | Tok::Op(Op::At) => self.definition()?,
            Tok::Name("match" | "type") => match self.soft_keyword_statement(body) {
                Some(result) => return result,
                None => return self.simple_statements(body),
            },
            _ => return self.simple_statements(body),
        };
        body.push(compound);
        Ok(())
    }

    /// The body after a block header: `:` then an indented block or simple statements on the
    /// same line. `what` names the header for errors ("'for' statement"); `header` is its offset.
    pub(super) fn block(
        &mut self,
        what: &str,
        header: usize,
        context: Context,
    ) -> PResult<Vec<Stmt>> {
        if !self.eat_op(Op::Colon) {
            if self.at_op(Op::Assign) {
                return Err(
                    self.error("invalid syntax. Maybe you meant '==' or ':=' instead of '='?")
                );
            }
            return Err(self.error("expected ':'"));
        }
        let outer = std::mem::replace(&mut self.context, context);
        let body = self.block_body(what, header);
        self.context = outer;
        body
    }

    fn block_body(&mut self, what: &str, header: usize) -> PResult<Vec<Stmt>> {
        let mut body = Vec::new();
        if !self.eat(&Tok::Newline) {
            self.simple_statements(&mut body)?;
        } else if !self.eat(&Tok::Indent) {
            let line = self.line_of(header);
            let error = self
                .error(format!(
                    "expected an indented block after {what} on line {line}"
                ))
                .kind(ErrorKind::Indentation);
            return Err(if self.at_end_of_input() {
                error.incomplete()
            } else {
                error
            });
        } else {
            while !self.eat(&Tok::Dedent) && !self.at(&Tok::Eof) {
                self.statement(&mut body)?;
            }
        }
        // Blocks are many and mostly short (a method's one `return`): no room to grow.
        body.shrink_to_fit();
        Ok(body)
    }

    /// `else:` and its block, if there is one.
    fn else_block(&mut self) -> PResult<Vec<Stmt>> {
        let start = self.start();
        if !self.eat_kw("else") {
            return Ok(Vec::new());
        }
        self.block("'else' statement", start, self.context)
    }

    /// `if` or `elif` (an `elif` becomes an `if` alone in the `orelse` of the one before).
    fn if_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        let what = if self.at_kw("if") {
            "'if' statement"
        } else {
            "'elif' statement"
        };
        self.bump();
        let test = self.expression()?;
        let body = self.block(what, start, self.context)?;
        let orelse = if self.at_kw("elif") {
            vec![self.if_statement()?]
        } else {
            self.else_block()?
        };
        Ok(stmt(StmtKind::If { test, body, orelse }, self.since(start)))
    }

    pub(super) fn for_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let target = self.target_list()?;
        if !self.eat_kw("in") {
            return Err(self.invalid("'in'"));
        }
        let iter = self.star_expressions()?;
        let in_loop = Context {
            in_loop: true,
            ..self.context
        };
        let body = self.block("'for' statement", start, in_loop)?;
        let orelse = self.else_block()?;
        let kind = StmtKind::For {
            target: Box::new(target),
            iter: Box::new(iter),
            body,
            orelse,
        };
        Ok(stmt(kind, self.since(start)))
    }

    fn while_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let test = self.expression()?;
        let in_loop = Context {
            in_loop: true,
            ..self.context
        };
        let body = self.block("'while' statement", start, in_loop)?;
        let orelse = self.else_block()?;
        Ok(stmt(
            StmtKind::While { test, body, orelse },
            self.since(start),
        ))
    }

    fn try_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let body = self.block("'try' statement", start, self.context)?;
        let star = self.at_kw("except") && *self.peek_tok(1) == Tok::Op(Op::Star);
        let mut handlers: Vec<ExceptHandler> = Vec::new();
        while self.at_kw("except") {
            if let Some(bare) = handlers.iter().find(|h| h.typ.is_none()) {
                return Err(SyntaxError::new(
                    "default 'except:' must be last",
                    bare.span,
                ));
            }
            handlers.push(self.except_handler()?);
        }
        let orelse = if handlers.is_empty() {
            Vec::new()
        } else {
            self.else_block()?
        };
        let finally_start = self.start();
        let finalbody = if self.eat_kw("finally") {
            self.block("'finally' statement", finally_start, self.context)?
        } else {
            Vec::new()
        };
        if handlers.is_empty() && finalbody.is_empty() {
            let error = self.error("expected 'except' or 'finally' block");
            return Err(if self.at_end_of_input() {
                error.incomplete()
            } else {
                error
            });
        }
        let kind = StmtKind::Try {
            body,
            handlers,
            orelse,
            finalbody,
        };
        let try_statement = stmt(kind, self.since(start));
        if star {
            return Ok(stmt(
                StmtKind::TryStar(Box::new(try_statement)),
                self.since(start),
            ));
        }
        Ok(try_statement)
    }

    /// `except:`, `except E:`, `except (A, B) as e:` and the handler's block.
    fn except_handler(&mut self) -> PResult<ExceptHandler> {
        let start = self.start();
        self.bump();
        // `except*` (the `try` is then a `TryStar`).
        self.eat_op(Op::Star);
        let (typ, name) = if self.at_op(Op::Colon) {
            (None, None)
        } else {
            let typ = self.expression()?;
            if self.at_op(Op::Comma) {
                return Err(SyntaxError::new(
                    "multiple exception types must be parenthesized",
                    Span::new(typ.span.start, self.error_span().end),
                )
                .help("write `except (A, B):`"));
            }
            let name = if self.eat_kw("as") {
                Some(self.expect_name("a name after 'as'")?)
            } else {
                None
            };
            (Some(typ), name)
        };
        let body = self.block("'except' statement", start, self.context)?;
        Ok(ExceptHandler {
            typ,
            name,
            body,
            span: self.since(start),
        })
    }

    pub(super) fn with_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        self.bump();
        let items = match self.parenthesized_with_items() {
            Some(items) => items,
            None => self.with_items()?,
        };
        let body = self.block("'with' statement", start, self.context)?;
        Ok(stmt(StmtKind::With { items, body }, self.since(start)))
    }

    /// `with (a as x, b as y):` — tried first, and abandoned (rewinding) when the parentheses
    /// turn out to be part of the first expression, as in `with (a, b) as c:`.
    fn parenthesized_with_items(&mut self) -> Option<Vec<WithItem>> {
        if !self.at_op(Op::LParen) {
            return None;
        }
        let saved = self.pos;
        self.bump();
        match self.with_items() {
            Ok(items) if self.eat_op(Op::RParen) && self.at_op(Op::Colon) => Some(items),
            _ => {
                self.pos = saved;
                None
            }
        }
    }

    /// `item (',' item)*` where an item is `expression ['as' target]`.
    fn with_items(&mut self) -> PResult<Vec<WithItem>> {
        let mut items = Vec::new();
        loop {
            let context = self.expression()?;
            let target = if self.eat_kw("as") {
                let target = self.star_target()?;
                self.check_target(&target, Target::Bind)?;
                Some(target)
            } else {
                None
            };
            items.push(WithItem { context, target });
            if !self.eat_op(Op::Comma) || self.at_op(Op::RParen) {
                return Ok(items);
            }
        }
    }

    /// `def` or `class`, with the decorators before it (where its span starts, unlike Python's
    /// ast, whose span starts at the keyword).
    pub(super) fn definition(&mut self) -> PResult<Stmt> {
        let start = self.start();
        let mut decorators = Vec::new();
        while self.eat_op(Op::At) {
            decorators.push(self.expression()?);
            if !self.eat(&Tok::Newline) {
                return Err(self.invalid("a new line after the decorator"));
            }
        }
        // An `async def`'s (see `async_statement`, which wraps it).
        self.eat_kw("async");
        let header = self.start();
        let kind = if self.eat_kw("def") {
            let name = self.expect_name("a function name")?;
            self.type_params()?;
            self.expect_op(Op::LParen)?;
            let params = self.params(Op::RParen, true)?;
            if !self.eat_op(Op::RParen) {
                return Err(self.invalid("',' or ')'"));
            }
            if self.eat_op(Op::Arrow) {
                self.expression()?;
            }
            let in_function = Context {
                in_function: true,
                in_loop: false,
            };
            let body = self.block("function definition", header, in_function)?;
            StmtKind::FunctionDef {
                name,
                params,
                body,
                decorators,
            }
        } else if self.eat_kw("class") {
            let name = self.expect_name("a class name")?;
            self.type_params()?;
            let bases = if self.eat_op(Op::LParen) {
                self.call_args()?
            } else {
                Vec::new()
            };
            let body = self.block("class definition", header, Context::default())?;
            StmtKind::ClassDef {
                name,
                bases,
                body,
                decorators,
            }
        } else {
            let error = self.invalid("'def' or 'class' after a decorator");
            return Err(if self.at_end_of_input() {
                error.incomplete()
            } else {
                error
            });
        };
        Ok(stmt(kind, self.since(start)))
    }

    /// `a; b; c` up to the end of the line, added to `body`.
    pub(super) fn simple_statements(&mut self, body: &mut Vec<Stmt>) -> PResult<()> {
        body.push(self.simple_statement()?);
        while self.eat_op(Op::Semi) && !self.at(&Tok::Newline) {
            body.push(self.simple_statement()?);
        }
        if !self.eat(&Tok::Newline) {
            return Err(self.invalid("the end of the statement (a new line or ';')"));
        }
        Ok(())
    }

    fn at_statement_end(&self) -> bool {
        matches!(self.tok(), Tok::Newline | Tok::Eof | Tok::Op(Op::Semi))
    }

    fn simple_statement(&mut self) -> PResult<Stmt> {
        let start = self.start();
        let keyword = match self.tok() {
            Tok::Keyword(k) => Some(*k),
            _ => None,
        };
        let misplaced = match keyword {
            Some("return") if !self.context.in_function => Some("'return' outside function"),
            Some("break") if !self.context.in_loop => Some("'break' outside loop"),
            Some("continue") if !self.context.in_loop => Some("'continue' not properly in loop"),
            _ => None,
        };
        if let Some(message) = misplaced {
            return Err(self.error(message));
        }
        let kind = match keyword {
            Some("pass") => {
                self.bump();
                StmtKind::Pass
            }
            Some("break") => {
                self.bump();
                StmtKind::Break
            }
            Some("continue") => {
                self.bump();
                StmtKind::Continue
            }
            Some("return") => {
                self.bump();
                StmtKind::Return(if self.at_statement_end() {
                    None
                } else {
                    Some(self.value()?)
                })
            }
            Some("raise") => {
                self.bump();
                StmtKind::Raise(if self.at_statement_end() {
                    None
                } else {
                    Some(self.raise_value()?)
                })
            }
            Some("global") => {
                self.bump();
                let mut names = vec![self.expect_name("a name")?];
                while self.eat_op(Op::Comma) {
                    names.push(self.expect_name("a name")?);
                }
                StmtKind::Global(names)
            }
            Some("del") => {
                self.bump();
                StmtKind::Del(self.delete_targets()?)
            }
            Some("assert") => {
                self.bump();
                let test = self.expression()?;
                let msg = if self.eat_op(Op::Comma) {
                    Some(Box::new(self.expression()?))
                } else {
                    None
                };
                StmtKind::Assert { test, msg }
            }
            Some("nonlocal") => self.nonlocal()?,
            Some("import") => self.import()?,
            Some("from") => self.import_from()?,
            _ => self.expression_statement()?,
        };
        Ok(stmt(kind, self.since(start)))
    }

    /// `raise E` or `raise E from cause` (the cause only changes a traceback; it is checked
    /// and dropped).
    fn raise_value(&mut self) -> PResult<Expr> {
        let exception = self.expression()?;
        if self.eat_kw("from") {
            self.expression()?;
        }
        Ok(exception)
    }

    fn delete_targets(&mut self) -> PResult<Vec<Expr>> {
        let mut targets = Vec::new();
        loop {
            let target = self.star_target()?;
            self.check_target(&target, Target::Delete)?;
            targets.push(target);
            if !self.eat_op(Op::Comma) || self.at_statement_end() {
                return Ok(targets);
            }
        }
    }

    /// `import a.b as c, d`
    fn import(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut names = Vec::new();
        loop {
            let start = self.start();
            let name = self.dotted_name()?;
            names.push(self.alias(name, start)?);
            if !self.eat_op(Op::Comma) {
                return Ok(StmtKind::Import(names));
            }
        }
    }

    /// `from .x.y import a as b, c`, `from . import m`, `from x import (a, b,)`, `from x import *`
    fn import_from(&mut self) -> PResult<StmtKind> {
        self.bump();
        let mut level = 0;
        loop {
            level += match self.op() {
                Some(Op::Dot) => 1,
                Some(Op::Ellipsis) => 3,
                _ => break,
            };
            self.bump();
        }
        let module = if level > 0 && self.at_kw("import") {
            String::new()
        } else {
            self.dotted_name()?
        };
        if !self.eat_kw("import") {
            return Err(self.invalid("'import'"));
        }
        if self.at_op(Op::Star) {
            let span = self.bump();
            let star = Alias {
                name: "*".to_string(),
                asname: None,
                span,
            };
            return Ok(StmtKind::ImportFrom {
                module,
                level,
                names: vec![star],
            });
        }
        let parenthesized = self.eat_op(Op::LParen);
        let mut names = Vec::new();
        loop {
            let start = self.start();
            let name = self
                .expect_name("a name to import")?
                .name
                .as_str()
                .to_owned();
            names.push(self.alias(name, start)?);
            if !self.eat_op(Op::Comma) || (parenthesized && self.at_op(Op::RParen)) {
                break;
            }
            if !parenthesized && self.at_statement_end() {
                return Err(
                    self.error("trailing comma not allowed without surrounding parentheses")
                );
            }
        }
        if parenthesized {
            self.expect_op(Op::RParen)?;
        }
        Ok(StmtKind::ImportFrom {
            module,
            level,
            names,
        })
    }

    fn dotted_name(&mut self) -> PResult<String> {
        let mut name = self.expect_name("a module name")?.name.as_str().to_owned();
        while self.eat_op(Op::Dot) {
            name.push('.');
            name.push_str(&self.expect_name("a name after '.'")?.name);
        }
        Ok(name)
    }

    /// The optional `as name` after an imported name that started at `start`.
    fn alias(&mut self, name: String, start: usize) -> PResult<Alias> {
        let asname = if self.eat_kw("as") {
            Some(self.expect_name("a name after 'as'")?)
        } else {
            None
        };
        Ok(Alias {
            name,
            asname,
            span: self.since(start),
        })
    }

    /// An expression statement or an assignment of one of its three kinds.
    fn expression_statement(&mut self) -> PResult<StmtKind> {
        let first = self.star_expressions()?;
        if self.at_op(Op::Assign) {
            let mut targets = vec![first];
            while self.eat_op(Op::Assign) {
                targets.push(self.star_expressions()?);
            }
            let value = targets.pop().expect("at least the first expression");
            if matches!(value.kind, ExprKind::Starred(_)) {
                return Err(SyntaxError::new(
                    "can't use starred expression here",
                    value.span,
                ));
            }
            for target in &targets {
                self.check_target(target, Target::Assign)?;
            }
            targets.shrink_to_fit();
            return Ok(StmtKind::Assign { targets, value });
        }
        if let Some(op) = self.op().and_then(augmented) {
            if !matches!(
                first.kind,
                ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. }
            ) {
                let message = format!(
                    "'{}' is an illegal expression for augmented assignment",
                    describe(&first)
                );
                return Err(SyntaxError::new(message, first.span));
            }
            self.bump();
            let value = self.value()?;
            return Ok(StmtKind::AugAssign {
                target: first,
                op,
                value: Box::new(value),
            });
        }
        if self.at_op(Op::Colon) {
            let message = match first.kind {
                ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => None,
                ExprKind::Tuple(_) => Some("only single target (not tuple) can be annotated"),
                ExprKind::List(_) => Some("only single target (not list) can be annotated"),
                _ => Some("illegal target for annotation"),
            };
            if let Some(message) = message {
                return Err(SyntaxError::new(message, first.span));
            }
            self.bump();
            let annotation = Box::new(self.expression()?);
            let value = if self.eat_op(Op::Assign) {
                Some(Box::new(self.value()?))
            } else {
                None
            };
            return Ok(StmtKind::AnnAssign {
                target: first,
                annotation,
                value,
            });
        }
        if let ExprKind::Name(name) = &first.kind
            && (name == "print" || name == "exec")
            && self.at_expr_start()
        {
            let end = self.tokens[self.pos..]
                .iter()
                .find(|t| matches!(t.kind, Tok::Newline | Tok::Eof | Tok::Op(Op::Semi)))
                .map_or(first.span.end, |t| t.span.start);
            return Err(SyntaxError::new(
                format!("Missing parentheses in call to '{name}'. Did you mean {name}(...)?"),
                Span::new(first.span.start, end),
            ));
        }
        if matches!(first.kind, ExprKind::Starred(_)) {
            return Err(SyntaxError::new(
                "can't use starred expression here",
                first.span,
            ));
        }
        Ok(StmtKind::Expr(first))
    }
}
