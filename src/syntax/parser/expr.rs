//! Expressions, from `lambda` and `x if c else y` down to atoms, with Python's precedence;
//! comprehensions, call arguments, subscripts, string concatenation and f-string fields;
//! and the checks that decide what may be assigned to or deleted.

use super::{PResult, Parser};
use crate::syntax::ast::{
    Arg, BinOp, BoolOp, CmpOp, Comprehension, Expr, ExprKind, FStringPart, Name, Param, ParamKind,
    Span, UnaryOp,
};
use crate::syntax::lexer::{self, FPiece, MAX_DEPTH, Op, StrLit, SyntaxError, Tok, too_deep};

/// Operator precedence levels, loosest first, as in Python. `**` binds tighter still (and
/// more tightly than a unary minus on its left): see [`Parser::power`].
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Level {
    Or,
    And,
    Not,
    Compare,
    BitOr,
    BitXor,
    BitAnd,
    Shift,
    Sum,
    Term,
    Unary,
}

impl Level {
    /// The level of a left-associative operator's right operand.
    fn tighter(self) -> Level {
        use Level::*;
        match self {
            Or => And,
            And => Not,
            Not => Compare,
            Compare => BitOr,
            BitOr => BitXor,
            BitXor => BitAnd,
            BitAnd => Shift,
            Shift => Sum,
            Sum => Term,
            Term | Unary => Unary,
        }
    }
}

/// An infix operator; `and`/`or` and comparisons gather a whole chain into one node.
enum Infix {
    Bool(BoolOp, &'static str),
    Compare,
    Binary(BinOp),
}

/// What a target is for, which decides the error messages.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Target {
    /// The left side of `=`.
    Assign,
    /// `for` and comprehension targets, `with ... as`, and the inside of a tuple being assigned.
    Bind,
    Delete,
}

fn expr(kind: ExprKind, span: Span) -> Expr {
    Expr { kind, span }
}

/// `value` moved into a box, leaving a placeholder to be overwritten.
fn take(value: &mut Expr) -> Box<Expr> {
    Box::new(std::mem::replace(value, expr(ExprKind::None, value.span)))
}

impl Parser<'_> {
    /// `a`, or `a, *b,` as a tuple without parentheses (statement values, `for` iterables).
    pub(super) fn star_expressions(&mut self) -> PResult<Expr> {
        if self.at_kw("yield") {
            return self.yield_expression();
        }
        self.comma_list(Self::star_expression)
    }

    /// Like [`Self::star_expressions`], where a lone `*x` makes no sense (a value).
    pub(super) fn value(&mut self) -> PResult<Expr> {
        let value = self.star_expressions()?;
        if matches!(value.kind, ExprKind::Starred(_)) {
            return Err(SyntaxError::new(
                "can't use starred expression here",
                value.span,
            ));
        }
        Ok(value)
    }

    /// Targets of `for` and comprehensions: `x`, `a, b`, `(a, *rest)`.
    pub(super) fn target_list(&mut self) -> PResult<Expr> {
        let target = self.comma_list(Self::star_target)?;
        self.check_target(&target, Target::Bind)?;
        Ok(target)
    }

    /// `item (',' item)* [',']`: a tuple when there is a comma.
    fn comma_list(&mut self, item: fn(&mut Self) -> PResult<Expr>) -> PResult<Expr> {
        let start = self.start();
        let first = item(self)?;
        if !self.at_op(Op::Comma) {
            return Ok(first);
        }
        let mut items = vec![first];
        while self.eat_op(Op::Comma) && self.at_expr_start() {
            items.push(item(self)?);
        }
        Ok(expr(ExprKind::Tuple(items), self.since(start)))
    }

    fn star_expression(&mut self) -> PResult<Expr> {
        if self.at_op(Op::Star) {
            self.starred()
        } else {
            self.expression()
        }
    }

    /// An assignment or loop target: `*`-prefixed or not, at the level of `|` (so `in` and `=`
    /// after it are left alone).
    pub(super) fn star_target(&mut self) -> PResult<Expr> {
        if self.at_op(Op::Star) {
            self.starred()
        } else {
            self.operators(Level::BitOr)
        }
    }

    fn starred(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        let value = self.nested(|p| p.operators(Level::BitOr))?;
        Ok(expr(ExprKind::Starred(Box::new(value)), self.since(start)))
    }

    /// Can the current token begin an expression?
    pub(super) fn at_expr_start(&self) -> bool {
        match self.tok() {
            Tok::Name(_)
            | Tok::Int(_)
            | Tok::Float(_)
            | Tok::Imaginary
            | Tok::Text(_)
            | Tok::Str(_) => true,
            Tok::Keyword(k) => matches!(
                *k,
                "None" | "True" | "False" | "not" | "lambda" | "await" | "yield"
            ),
            Tok::Op(op) => starts_operand(*op),
            _ => false,
        }
    }

    /// `lambda`, or `body if test else orelse`, or an `or` expression.
    pub(super) fn expression(&mut self) -> PResult<Expr> {
        self.nested(|p| {
            if p.at_lone_atom() {
                p.atom()
            } else if let (Tok::Name(_), Tok::Op(Op::Walrus)) = (p.tok(), p.peek_tok(1)) {
                p.named_expression()
            } else if p.at_kw("lambda") {
                p.lambda()
            } else {
                p.conditional()
            }
        })
    }

    /// Is the expression here a lone name or literal (`400`, `"FIC"`, `True` before a `,`
    /// or a closing bracket)? Most call arguments are: they skip the descent through every
    /// precedence level, which could only hand the atom back.
    fn at_lone_atom(&self) -> bool {
        self.at_atom() && ends_expression(self.peek_tok(1))
    }

    /// Is the current token a name or a literal?
    fn at_atom(&self) -> bool {
        matches!(
            self.tok(),
            Tok::Name(_)
                | Tok::Int(_)
                | Tok::Float(_)
                | Tok::Text(_)
                | Tok::Str(_)
                | Tok::Keyword("None" | "True" | "False")
        )
    }

    /// Does the current token begin a primary (an atom and its trailers) that no prefix
    /// operator or `await` comes before?
    fn at_primary_start(&self) -> bool {
        self.at_atom() || matches!(self.tok(), Tok::Op(Op::LParen | Op::LBracket | Op::LBrace))
    }

    // The functions on the recursion paths keep their own frames small (their heavier cases
    // are separate functions): unoptimised builds must still nest 200 levels in a 2 MiB stack.

    fn conditional(&mut self) -> PResult<Expr> {
        let start = self.start();
        let body = if self.at_primary_start() {
            // A primary that nothing continues (`Book.objects.filter(...)`, `F("price")`) is
            // the whole expression: it skips the descent through every precedence level.
            let value = self.primary()?;
            if ends_expression(self.tok()) {
                return Ok(value);
            }
            let operand = self.power_tail(value, start)?;
            self.infix_operators(operand, Level::Or, start)?
        } else {
            self.operators(Level::Or)?
        };
        if self.at_kw("if") {
            self.if_else(body, start)
        } else {
            Ok(body)
        }
    }

    /// `body if test else orelse`, at the `if`.
    fn if_else(&mut self, body: Expr, start: usize) -> PResult<Expr> {
        self.bump();
        let test = self.operators(Level::Or)?;
        if !self.eat_kw("else") {
            return Err(SyntaxError::new(
                "expected 'else' after 'if' expression",
                self.since(start),
            ));
        }
        let orelse = self.expression()?;
        let kind = ExprKind::IfExp {
            test: Box::new(test),
            body: Box::new(body),
            orelse: Box::new(orelse),
        };
        Ok(expr(kind, self.since(start)))
    }

    fn lambda(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        let params = self.params(Op::Colon, false)?;
        if !self.eat_op(Op::Colon) {
            return Err(self.invalid("',' or ':'"));
        }
        let body = self.expression()?;
        let kind = ExprKind::Lambda {
            params,
            body: Box::new(body),
        };
        Ok(expr(kind, self.since(start)))
    }

    /// Parameters of a `def` or `lambda`, up to (not including) `close`.
    /// Annotations (`def` only) are checked and dropped; a bare `*` or `/` only marks where
    /// keyword-only or positional-only parameters begin, and is not kept either.
    pub(super) fn params(&mut self, close: Op, annotations: bool) -> PResult<Vec<Param>> {
        let mut params: Vec<Param> = Vec::new();
        let mut seen_default = false;
        let mut seen_star = false;
        while !self.at_op(close) {
            if params.last().is_some_and(|p| p.kind == ParamKind::KwArgs) {
                return Err(self.error("arguments cannot follow var-keyword argument"));
            }
            let marker = self.span();
            let kind = if self.eat_op(Op::Star) {
                if seen_star {
                    return Err(SyntaxError::new("* argument may appear only once", marker));
                }
                seen_star = true;
                if !matches!(self.tok(), Tok::Name(_)) {
                    if !(self.at_op(Op::Comma) && matches!(self.peek_tok(1), Tok::Name(_))) {
                        return Err(SyntaxError::new(
                            "named arguments must follow bare *",
                            marker,
                        ));
                    }
                    self.bump();
                    continue;
                }
                ParamKind::VarArgs
            } else if self.eat_op(Op::DoubleStar) {
                ParamKind::KwArgs
            } else if self.eat_op(Op::Slash) {
                if seen_star || params.is_empty() {
                    return Err(SyntaxError::new(
                        "/ must be ahead of * and after at least one parameter",
                        marker,
                    ));
                }
                if !self.eat_op(Op::Comma) {
                    break;
                }
                continue;
            } else {
                ParamKind::Normal
            };
            let name = self.expect_name("a parameter name")?;
            if params.iter().any(|p| p.name.name == name.name) {
                return Err(SyntaxError::new(
                    format!("duplicate argument '{}' in function definition", name.name),
                    name.span,
                ));
            }
            if annotations && self.eat_op(Op::Colon) {
                self.expression()?;
            }
            let default = if kind == ParamKind::Normal && self.eat_op(Op::Assign) {
                Some(self.expression()?)
            } else {
                None
            };
            if default.is_some() {
                seen_default = true;
            } else if seen_default && !seen_star && kind == ParamKind::Normal {
                return Err(SyntaxError::new(
                    "parameter without a default follows parameter with a default",
                    name.span,
                ));
            }
            params.push(Param {
                name,
                default,
                kind,
            });
            if !self.eat_op(Op::Comma) {
                break;
            }
        }
        // Most methods take `self` alone: no room to grow.
        params.shrink_to_fit();
        Ok(params)
    }

    /// Every operator from `or` down to unary minus, by precedence climbing: an operand, then
    /// the infix operators binding at least as tightly as `min`.
    fn operators(&mut self, min: Level) -> PResult<Expr> {
        let start = self.start();
        let left = match self.prefix_operator() {
            Some((op, level)) if level >= min => self.unary(op, level)?,
            _ => self.power()?,
        };
        self.infix_operators(left, min, start)
    }

    /// The infix operators binding at least as tightly as `min` after their first operand
    /// `left`, which began at token `start`.
    fn infix_operators(&mut self, mut left: Expr, min: Level, start: usize) -> PResult<Expr> {
        // Like trailers, each operator nests the tree one level deeper (`1 + 1 + ... + 1`).
        let outer = self.depth;
        let mut first = true;
        while let Some((infix, level)) = self.infix_operator().filter(|(_, level)| *level >= min) {
            if !std::mem::take(&mut first) {
                if self.depth >= MAX_DEPTH {
                    self.depth = outer;
                    return Err(too_deep(self.error_span()));
                }
                self.depth += 1;
            }
            match self.infix(left, infix, level, start) {
                Ok(l) => left = l,
                Err(e) => {
                    self.depth = outer;
                    return Err(e);
                }
            }
        }
        self.depth = outer;
        Ok(left)
    }

    /// `not x`, `-x`, `+x`, `~x`, at the operator.
    fn unary(&mut self, op: UnaryOp, level: Level) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        let operand = self.nested(|p| p.operators(level))?;
        let kind = ExprKind::Unary {
            op,
            operand: Box::new(operand),
        };
        Ok(expr(kind, self.since(start)))
    }

    /// `left` followed by an infix operator (at the current token) and its right side.
    fn infix(&mut self, left: Expr, infix: Infix, level: Level, start: usize) -> PResult<Expr> {
        let kind = match infix {
            // `a or b or c` is one node, as in Python.
            Infix::Bool(op, keyword) => {
                let mut values = vec![left];
                while self.eat_kw(keyword) {
                    values.push(self.operators(level.tighter())?);
                }
                ExprKind::BoolOp { op, values }
            }
            // `a < b <= c` too.
            Infix::Compare => {
                let mut ops = Vec::new();
                while let Some((op, tokens)) = self.comparison_operator() {
                    for _ in 0..tokens {
                        self.bump();
                    }
                    ops.push((op, self.operators(level.tighter())?));
                }
                ExprKind::Compare {
                    left: Box::new(left),
                    ops,
                }
            }
            Infix::Binary(op) => {
                self.bump();
                let right = self.operators(level.tighter())?;
                ExprKind::Binary {
                    op,
                    left: Box::new(left),
                    right: Box::new(right),
                }
            }
        };
        Ok(expr(kind, self.since(start)))
    }

    fn prefix_operator(&self) -> Option<(UnaryOp, Level)> {
        match self.tok() {
            Tok::Keyword("not") => Some((UnaryOp::Not, Level::Not)),
            Tok::Op(Op::Minus) => Some((UnaryOp::Neg, Level::Unary)),
            Tok::Op(Op::Plus) => Some((UnaryOp::Pos, Level::Unary)),
            Tok::Op(Op::Tilde) => Some((UnaryOp::Invert, Level::Unary)),
            _ => None,
        }
    }

    /// The infix operator at the current token (not consumed) and its level.
    fn infix_operator(&self) -> Option<(Infix, Level)> {
        if self.comparison_operator().is_some() {
            return Some((Infix::Compare, Level::Compare));
        }
        let binary = |op, level| Some((Infix::Binary(op), level));
        match self.tok() {
            Tok::Keyword("or") => Some((Infix::Bool(BoolOp::Or, "or"), Level::Or)),
            Tok::Keyword("and") => Some((Infix::Bool(BoolOp::And, "and"), Level::And)),
            Tok::Op(op) => match *op {
                Op::Pipe => binary(BinOp::BitOr, Level::BitOr),
                Op::Caret => binary(BinOp::BitXor, Level::BitXor),
                Op::Amp => binary(BinOp::BitAnd, Level::BitAnd),
                Op::LShift => binary(BinOp::LShift, Level::Shift),
                Op::RShift => binary(BinOp::RShift, Level::Shift),
                Op::Plus => binary(BinOp::Add, Level::Sum),
                Op::Minus => binary(BinOp::Sub, Level::Sum),
                Op::Star => binary(BinOp::Mul, Level::Term),
                Op::Slash => binary(BinOp::Div, Level::Term),
                Op::DoubleSlash => binary(BinOp::FloorDiv, Level::Term),
                Op::Percent => binary(BinOp::Mod, Level::Term),
                Op::At => binary(BinOp::MatMul, Level::Term),
                _ => None,
            },
            _ => None,
        }
    }

    /// The comparison operator at the current token, and how many tokens it takes
    /// (`not in` and `is not` take two).
    fn comparison_operator(&self) -> Option<(CmpOp, usize)> {
        let operator = match (self.tok(), self.peek_tok(1)) {
            (Tok::Op(op), _) => {
                let op = match *op {
                    Op::EqEq => CmpOp::Eq,
                    Op::NotEq => CmpOp::NotEq,
                    Op::Lt => CmpOp::Lt,
                    Op::LtE => CmpOp::LtE,
                    Op::Gt => CmpOp::Gt,
                    Op::GtE => CmpOp::GtE,
                    _ => return None,
                };
                (op, 1)
            }
            (Tok::Keyword("in"), _) => (CmpOp::In, 1),
            (Tok::Keyword("not"), Tok::Keyword("in")) => (CmpOp::NotIn, 2),
            (Tok::Keyword("is"), Tok::Keyword("not")) => (CmpOp::IsNot, 2),
            (Tok::Keyword("is"), _) => (CmpOp::Is, 1),
            _ => return None,
        };
        Some(operator)
    }

    /// `a ** b`: right-associative, and its right side may carry a unary sign (`2 ** -1`).
    pub(super) fn power(&mut self) -> PResult<Expr> {
        let start = self.start();
        let base = if self.at_kw("await") {
            self.await_expression()?
        } else {
            self.primary()?
        };
        self.power_tail(base, start)
    }

    /// `** exponent` after `base` (which began at token `start`), if there is one.
    fn power_tail(&mut self, base: Expr, start: usize) -> PResult<Expr> {
        if !self.eat_op(Op::DoubleStar) {
            return Ok(base);
        }
        let exponent = self.nested(|p| p.operators(Level::Unary))?;
        let kind = ExprKind::Binary {
            op: BinOp::Pow,
            left: Box::new(base),
            right: Box::new(exponent),
        };
        Ok(expr(kind, self.since(start)))
    }

    /// An atom followed by `.name`, `(args)` and `[index]`. Each of those nests the tree one
    /// level deeper, so each after the first counts toward the nesting limit (a chain of
    /// 10,000 `.all()` is refused, not a stack overflow later).
    fn primary(&mut self) -> PResult<Expr> {
        let start = self.start();
        let outer = self.depth;
        let mut value = self.atom()?;
        let mut first = true;
        while matches!(self.op(), Some(Op::Dot | Op::LParen | Op::LBracket)) {
            // The first trailer is free (`f(x)` nests as deep as `(x)`).
            if !std::mem::take(&mut first) {
                if self.depth >= MAX_DEPTH {
                    self.depth = outer;
                    return Err(too_deep(self.error_span()));
                }
                self.depth += 1;
            }
            if let Err(e) = self.trailer(&mut value, start) {
                self.depth = outer;
                return Err(e);
            }
        }
        self.depth = outer;
        Ok(value)
    }

    /// `value.name`, `value(args)` or `value[index]`, at the `.`, `(` or `[`: `value` becomes
    /// the longer expression in place (rather than moving through a result, as a chain of
    /// trailers would at every link).
    fn trailer(&mut self, value: &mut Expr, start: usize) -> PResult<()> {
        let kind = match self.op() {
            Some(Op::Dot) => {
                self.bump();
                let attr = self.expect_name("an attribute name after '.'")?;
                ExprKind::Attribute {
                    value: take(value),
                    attr,
                }
            }
            Some(Op::LParen) => {
                self.bump();
                let args = self.call_args()?;
                ExprKind::Call {
                    func: take(value),
                    args,
                }
            }
            _ => {
                self.bump();
                let index = self.subscript()?;
                ExprKind::Subscript {
                    value: take(value),
                    index: Box::new(index),
                }
            }
        };
        *value = expr(kind, self.since(start));
        Ok(())
    }

    fn atom(&mut self) -> PResult<Expr> {
        let kind = match self.tok() {
            Tok::Name(_) => ExprKind::Name(self.name_here()),
            Tok::Int(value) => ExprKind::Int(*value),
            Tok::Float(value) => ExprKind::Float(*value),
            Tok::Imaginary => {
                let span = self.span();
                let literal = &self.src[span.start..span.end];
                return Err(self.not_supported(&format!("'{literal}' (a complex number)")));
            }
            Tok::Keyword("None") => ExprKind::None,
            Tok::Keyword("True") => ExprKind::Bool(true),
            Tok::Keyword("False") => ExprKind::Bool(false),
            Tok::Text(_) | Tok::Str(_) => return self.strings(),
            Tok::Op(Op::LParen) => return self.paren(),
            Tok::Op(Op::LBracket) => return self.list(),
            Tok::Op(Op::LBrace) => return self.brace(),
            Tok::Op(Op::Ellipsis) => ExprKind::Ellipsis,
            _ => return Err(self.invalid("an expression")),
        };
        Ok(expr(kind, self.bump()))
    }

    /// `()`, `(x)`, `(x,)`, `(x for x in y)`.
    fn paren(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        if self.eat_op(Op::RParen) {
            return Ok(expr(ExprKind::Tuple(Vec::new()), self.since(start)));
        }
        if self.at_kw("yield") {
            let value = self.yield_expression()?;
            self.close(Op::RParen, start)?;
            return Ok(value);
        }
        let first = self.star_expression()?;
        if self.at_op(Op::RParen) && !matches!(first.kind, ExprKind::Starred(_)) {
            self.bump();
            // A parenthesised expression keeps its own span, as in Python's ast.
            return Ok(first);
        }
        self.tuple_or_generator(first, start)
    }

    fn tuple_or_generator(&mut self, first: Expr, start: usize) -> PResult<Expr> {
        if self.at_comprehension() {
            let generators = self.comprehension(&first)?;
            self.close(Op::RParen, first.span.start)?;
            let kind = ExprKind::GeneratorExp {
                elt: Box::new(first),
                generators,
            };
            return Ok(expr(kind, self.since(start)));
        }
        if self.at_op(Op::RParen) {
            return Err(SyntaxError::new(
                "cannot use starred expression here",
                first.span,
            ));
        }
        let items = self.sequence_tail(first, Op::RParen, Self::star_expression)?;
        Ok(expr(ExprKind::Tuple(items), self.since(start)))
    }

    /// `[a, *b]`, `[x for x in y]`.
    fn list(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        if self.eat_op(Op::RBracket) {
            return Ok(expr(ExprKind::List(Vec::new()), self.since(start)));
        }
        let first = self.star_expression()?;
        let kind = if self.at_comprehension() {
            let generators = self.comprehension(&first)?;
            self.close(Op::RBracket, first.span.start)?;
            ExprKind::ListComp {
                elt: Box::new(first),
                generators,
            }
        } else {
            ExprKind::List(self.sequence_tail(first, Op::RBracket, Self::star_expression)?)
        };
        Ok(expr(kind, self.since(start)))
    }

    /// Dict and set displays and comprehensions; `{}` is an empty dict.
    fn brace(&mut self) -> PResult<Expr> {
        let start = self.start();
        self.bump();
        if self.eat_op(Op::RBrace) {
            return Ok(expr(ExprKind::Dict(Vec::new()), self.since(start)));
        }
        if self.eat_op(Op::DoubleStar) {
            let mapping = self.nested(|p| p.operators(Level::BitOr))?;
            let pairs = self.dict_pairs(None, mapping)?;
            return Ok(expr(ExprKind::Dict(pairs), self.since(start)));
        }
        let first = self.star_expression()?;
        if !matches!(first.kind, ExprKind::Starred(_)) && self.eat_op(Op::Colon) {
            self.dict(first, start)
        } else {
            self.set(first, start)
        }
    }

    /// The rest of a dict display or comprehension, after its first key and `:`.
    fn dict(&mut self, first: Expr, start: usize) -> PResult<Expr> {
        let value = self.expression()?;
        let kind = if self.at_comprehension() {
            let generators = self.comprehension(&first)?;
            self.close(Op::RBrace, first.span.start)?;
            ExprKind::DictComp {
                key: Box::new(first),
                value: Box::new(value),
                generators,
            }
        } else {
            ExprKind::Dict(self.dict_pairs(Some(first), value)?)
        };
        Ok(expr(kind, self.since(start)))
    }

    /// `(',' (key ':' value | '**' mapping))* [','] '}'` after the first entry.
    fn dict_pairs(&mut self, key: Option<Expr>, value: Expr) -> PResult<Vec<(Option<Expr>, Expr)>> {
        let mut pairs = vec![(key, value)];
        loop {
            if self.eat_op(Op::RBrace) {
                break;
            }
            let previous = pairs
                .last()
                .map_or(0, |(key, value)| key.as_ref().unwrap_or(value).span.start);
            if !self.eat_op(Op::Comma) {
                return Err(self.expected_close(Op::RBrace, previous));
            }
            if self.eat_op(Op::RBrace) {
                break;
            }
            if self.eat_op(Op::DoubleStar) {
                let mapping = self.nested(|p| p.operators(Level::BitOr))?;
                pairs.push((None, mapping));
                continue;
            }
            let key = self.expression()?;
            if !self.eat_op(Op::Colon) {
                return Err(self.error("':' expected after dictionary key"));
            }
            pairs.push((Some(key), self.expression()?));
        }
        pairs.shrink_to_fit();
        Ok(pairs)
    }

    /// The rest of a set display or comprehension, after its first element.
    fn set(&mut self, first: Expr, start: usize) -> PResult<Expr> {
        let kind = if self.at_comprehension() {
            let generators = self.comprehension(&first)?;
            self.close(Op::RBrace, first.span.start)?;
            ExprKind::SetComp {
                elt: Box::new(first),
                generators,
            }
        } else {
            ExprKind::Set(self.sequence_tail(first, Op::RBrace, Self::star_expression)?)
        };
        Ok(expr(kind, self.since(start)))
    }

    /// After the first item of a bracketed sequence: `(',' item)* [','] close`.
    fn sequence_tail(
        &mut self,
        first: Expr,
        close: Op,
        item: fn(&mut Self) -> PResult<Expr>,
    ) -> PResult<Vec<Expr>> {
        let mut items = vec![first];
        loop {
            if self.eat_op(close) {
                break;
            }
            let previous = items.last().map_or(self.start(), |e| e.span.start);
            if !self.eat_op(Op::Comma) {
                return Err(self.expected_close(close, previous));
            }
            if self.eat_op(close) {
                break;
            }
            items.push(item(self)?);
        }
        // Displays are many in a models.py (choices, `fields=[...]`): no room to grow.
        items.shrink_to_fit();
        Ok(items)
    }

    fn close(&mut self, close: Op, previous: usize) -> PResult<()> {
        if self.eat_op(close) {
            Ok(())
        } else {
            Err(self.expected_close(close, previous))
        }
    }

    /// The error for a token where `,` or `close` should be; `previous` is where the item before
    /// it started (to show both sides of a forgotten comma).
    fn expected_close(&self, close: Op, previous: usize) -> SyntaxError {
        if self.at_op(Op::Assign) {
            self.error("invalid syntax. Maybe you meant '==' or ':=' instead of '='?")
        } else if self.at_expr_start() && !self.at_op(Op::Star) {
            let span = Span::new(previous, self.error_span().end);
            SyntaxError::new("invalid syntax. Perhaps you forgot a comma?", span)
        } else {
            self.invalid(&format!("',' or '{close}'"))
        }
    }

    /// `for target in iter if cond ...` clauses after the element of a comprehension.
    fn comprehension(&mut self, element: &Expr) -> PResult<Vec<Comprehension>> {
        if matches!(element.kind, ExprKind::Starred(_)) {
            return Err(SyntaxError::new(
                "iterable unpacking cannot be used in comprehension",
                element.span,
            ));
        }
        let mut generators = Vec::new();
        // `async for` (in an async function, which djq does not run) iterates as `for` reads.
        while self.eat_async_for() {
            let target = self.target_list()?;
            if !self.eat_kw("in") {
                return Err(self.invalid("'in'"));
            }
            let iter = self.operators(Level::Or)?;
            let mut ifs = Vec::new();
            while self.eat_kw("if") {
                ifs.push(self.operators(Level::Or)?);
            }
            generators.push(Comprehension { target, iter, ifs });
        }
        Ok(generators)
    }

    /// Arguments of a call or class bases, after the `(` and up to and including the `)`.
    pub(super) fn call_args(&mut self) -> PResult<Vec<Arg>> {
        // They gather on the stack shared by nested calls, and the call's list is made once at
        // its exact size: most calls take an argument or two (a models.py has one per field).
        let base = self.args.len();
        match self.stack_call_args(base) {
            // Moved out in one copy (`split_off`), keeping the stack's room when it empties.
            Ok(()) if base == 0 => {
                let mut args = Vec::with_capacity(self.args.len());
                args.append(&mut self.args);
                Ok(args)
            }
            Ok(()) => Ok(self.args.split_off(base)),
            Err(error) => {
                self.args.truncate(base);
                Err(error)
            }
        }
    }

    /// [`Self::call_args`], pushing them on [`Parser::args`] above `base`.
    fn stack_call_args(&mut self, base: usize) -> PResult<()> {
        let mut seen_keyword = false;
        let mut seen_double_star = false;
        loop {
            if self.eat_op(Op::RParen) {
                return Ok(());
            }
            let start = self.start();
            // Each argument is pushed where it is read (an argument is large: moving it up
            // through results was a good part of reading it), then checked there.
            self.call_arg(self.args.len() == base)?;
            let (arg, before) = self.args[base..].split_last().expect("just pushed");
            let misplaced = match arg {
                Arg::Positional(_) if seen_double_star => {
                    Some("positional argument follows keyword argument unpacking")
                }
                Arg::Positional(_) if seen_keyword => {
                    Some("positional argument follows keyword argument")
                }
                Arg::Star(_) if seen_double_star => {
                    Some("iterable argument unpacking follows keyword argument unpacking")
                }
                _ => None,
            };
            if let Some(message) = misplaced {
                return Err(SyntaxError::new(message, self.since(start)));
            }
            match arg {
                Arg::Keyword { name, .. } => {
                    let repeated = before
                        .iter()
                        .any(|a| matches!(a, Arg::Keyword { name: n, .. } if n.name == name.name));
                    if repeated {
                        return Err(SyntaxError::new(
                            format!("keyword argument repeated: {}", name.name),
                            name.span,
                        ));
                    }
                    seen_keyword = true;
                }
                Arg::DoubleStar(_) => seen_double_star = true,
                _ => {}
            }
            if self.eat_op(Op::RParen) {
                return Ok(());
            }
            if !self.eat_op(Op::Comma) {
                return Err(self.expected_close(Op::RParen, start));
            }
        }
    }

    /// One call argument, pushed on [`Parser::args`]; `first` allows a bare generator
    /// expression (`sum(x for x in y)`).
    fn call_arg(&mut self, first: bool) -> PResult<()> {
        if self.eat_op(Op::Star) {
            let value = self.expression()?;
            self.args.push(Arg::Star(value));
            return Ok(());
        }
        if self.eat_op(Op::DoubleStar) {
            let value = self.expression()?;
            self.args.push(Arg::DoubleStar(value));
            return Ok(());
        }
        if let (Tok::Name(_), Tok::Op(Op::Assign)) = (self.tok(), self.peek_tok(1)) {
            return self.keyword_arg();
        }
        let first_token = self.pos;
        let value = self.expression()?;
        if self.at_comprehension() {
            let generator = self.bare_generator(value, first, first_token)?;
            self.args.push(Arg::Positional(generator));
            return Ok(());
        }
        if self.at_op(Op::Assign) {
            let span = Span::new(value.span.start, self.span().end);
            return Err(SyntaxError::new(
                "expression cannot contain assignment, perhaps you meant \"==\"?",
                span,
            ));
        }
        self.args.push(Arg::Positional(value));
        Ok(())
    }

    /// `name=value`, at the name, pushed on [`Parser::args`].
    fn keyword_arg(&mut self) -> PResult<()> {
        let name = self.expect_name("a keyword")?;
        self.bump();
        if !self.at_expr_start() {
            return Err(SyntaxError::new(
                "expected argument value expression",
                self.since(name.span.start),
            )
            .help(format!(
                "give '{}' a value, e.g. {}=1",
                name.name, name.name
            )));
        }
        let value = self.expression()?;
        self.args.push(Arg::Keyword { name, value });
        Ok(())
    }

    /// `f(x for x in y)`: a generator expression needs no parentheses of its own as the only
    /// argument. `first_token` is where the argument starts.
    fn bare_generator(&mut self, element: Expr, first: bool, first_token: usize) -> PResult<Expr> {
        let generators = self.comprehension(&element)?;
        if !first || !self.at_op(Op::RParen) {
            let span = self.since(element.span.start);
            return Err(SyntaxError::new(
                "Generator expression must be parenthesized",
                span,
            ));
        }
        // As in Python's ast, the call's parentheses are the generator's own.
        let span = Span::new(self.tokens[first_token - 1].span.start, self.span().end);
        let kind = ExprKind::GeneratorExp {
            elt: Box::new(element),
            generators,
        };
        Ok(expr(kind, span))
    }

    /// The index of a subscript after the `[`, up to and including the `]`: an expression, a
    /// slice, or a tuple of them.
    fn subscript(&mut self) -> PResult<Expr> {
        let first = self.slice_item()?;
        if self.eat_op(Op::RBracket) {
            // `x[*a]` indexes with the tuple `(*a,)`.
            if matches!(first.kind, ExprKind::Starred(_)) {
                let span = first.span;
                return Ok(expr(ExprKind::Tuple(vec![first]), span));
            }
            return Ok(first);
        }
        let start = first.span.start;
        let items = self.sequence_tail(first, Op::RBracket, Self::slice_item)?;
        let end = items.last().map_or(start, |e| e.span.end);
        Ok(expr(ExprKind::Tuple(items), Span::new(start, end)))
    }

    fn slice_item(&mut self) -> PResult<Expr> {
        let start = self.start();
        let lower = if self.at_op(Op::Colon) {
            None
        } else {
            let lower = self.star_expression()?;
            if !self.at_op(Op::Colon) {
                return Ok(lower);
            }
            Some(Box::new(lower))
        };
        self.bump();
        let upper = self.slice_bound()?;
        let step = if self.eat_op(Op::Colon) {
            self.slice_bound()?
        } else {
            None
        };
        let kind = ExprKind::Slice { lower, upper, step };
        Ok(expr(kind, self.since(start)))
    }

    fn slice_bound(&mut self) -> PResult<Option<Box<Expr>>> {
        if self.at_op(Op::Colon) || self.at_op(Op::Comma) || self.at_op(Op::RBracket) {
            Ok(None)
        } else {
            Ok(Some(Box::new(self.expression()?)))
        }
    }

    /// Adjacent string literals, concatenated; an f-string among them makes it an f-string.
    fn strings(&mut self) -> PResult<Expr> {
        // A lone literal whose value is its source text (most): that range of the source.
        if let Tok::Text(text) = *self.tok()
            && !matches!(self.peek_tok(1), Tok::Text(_) | Tok::Str(_))
        {
            let span = self.bump();
            let end = span.end - 1; // the closing quote
            let text = self.name_at(Span::new(end - text.len(), end));
            return Ok(expr(ExprKind::Str(text), span));
        }
        let start = self.start();
        // The text so far, until an f-string turns it into the first of its parts.
        let mut text = String::new();
        let mut parts: Option<Vec<FStringPart>> = None;
        loop {
            let literal = match *self.tok() {
                Tok::Text(text) => Literal::Plain(text),
                Tok::Str(index) => match &self.strings[index] {
                    StrLit::Plain(plain) => Literal::Plain(plain),
                    StrLit::F(pieces) => Literal::F(pieces),
                },
                _ => break,
            };
            match (literal, &mut parts) {
                // The first literal is copied at once, without `push_str`'s path for growing.
                (Literal::Plain(plain), None) if text.is_empty() => text = plain.to_string(),
                (Literal::Plain(plain), None) => text.push_str(plain),
                (Literal::Plain(plain), Some(parts)) => push_literal(parts, plain),
                (Literal::F(pieces), parts) => {
                    let parts = parts.get_or_insert_with(|| {
                        let mut parts = Vec::new();
                        push_literal(&mut parts, &text);
                        parts
                    });
                    self.fstring_parts(pieces, parts)?;
                }
            }
            self.bump();
        }
        let kind = match parts {
            Some(parts) => ExprKind::FString(parts),
            None => ExprKind::Str(Name::new(&text)),
        };
        Ok(expr(kind, self.since(start)))
    }

    fn fstring_parts(&self, pieces: &[FPiece], parts: &mut Vec<FStringPart>) -> PResult<()> {
        for piece in pieces {
            let field = match piece {
                FPiece::Literal(text) => {
                    push_literal(parts, text);
                    continue;
                }
                FPiece::Field(field) => field,
            };
            let mut spec = Vec::new();
            self.fstring_parts(&field.spec, &mut spec)?;
            let conversion = match &field.debug {
                Some(text) => {
                    push_literal(parts, text);
                    field
                        .conversion
                        .or(if spec.is_empty() { Some('r') } else { None })
                }
                None => field.conversion,
            };
            parts.push(FStringPart::Field {
                expr: self.fstring_expression(field.expr)?,
                conversion,
                spec,
            });
        }
        Ok(())
    }

    /// The expression of an f-string field, lexed and parsed where it stands in the source.
    fn fstring_expression(&self, span: Span) -> PResult<Expr> {
        let tokens = lexer::tokenize_fragment(self.src, span)?;
        let mut parser = Parser::new(self.src, self.text.as_ref(), tokens);
        parser.depth = self.depth;
        let value = parser.nested(Self::value).and_then(|value| {
            if parser.at(&Tok::Eof) {
                Ok(value)
            } else {
                Err(parser.expected_close(Op::RBrace, value.span.start))
            }
        });
        value.map_err(|mut error| {
            if error.diag.message.starts_with("invalid syntax") {
                error.diag.message.insert_str(0, "f-string: ");
            }
            error
        })
    }

    /// Is `target` something that can be assigned to (or deleted)?
    pub(super) fn check_target(&self, target: &Expr, purpose: Target) -> PResult<()> {
        let message = match &target.kind {
            ExprKind::Name(_) | ExprKind::Attribute { .. } | ExprKind::Subscript { .. } => {
                return Ok(());
            }
            ExprKind::Tuple(items) | ExprKind::List(items) => {
                let starred = items
                    .iter()
                    .filter(|e| matches!(e.kind, ExprKind::Starred(_)));
                if purpose != Target::Delete && starred.count() > 1 {
                    return Err(SyntaxError::new(
                        "multiple starred expressions in assignment",
                        target.span,
                    ));
                }
                let inner = if purpose == Target::Delete {
                    Target::Delete
                } else {
                    Target::Bind
                };
                for item in items {
                    match &item.kind {
                        ExprKind::Starred(value) if purpose != Target::Delete => {
                            self.check_target(value, inner)?
                        }
                        _ => self.check_target(item, inner)?,
                    }
                }
                return Ok(());
            }
            ExprKind::Starred(_) if purpose == Target::Delete => {
                "cannot delete starred".to_string()
            }
            ExprKind::Starred(_) => {
                "starred assignment target must be in a list or tuple".to_string()
            }
            _ => {
                let what = describe(target);
                match purpose {
                    Target::Delete => format!("cannot delete {what}"),
                    Target::Assign
                        if !matches!(target.kind, ExprKind::None | ExprKind::Bool(_)) =>
                    {
                        format!(
                            "cannot assign to {what} here. Maybe you meant '==' instead of '='?"
                        )
                    }
                    _ => format!("cannot assign to {what}"),
                }
            }
        };
        Err(SyntaxError::new(message, target.span))
    }
}

/// A string literal token's text, or its f-string pieces.
enum Literal<'t> {
    Plain(&'t str),
    F(&'t [FPiece]),
}

/// Append literal text, merging it with a literal just before.
fn push_literal(parts: &mut Vec<FStringPart>, text: &str) {
    if text.is_empty() {
        return;
    }
    match parts.last_mut() {
        Some(FStringPart::Literal(last)) => last.push_str(text),
        _ => parts.push(FStringPart::Literal(text.to_string())),
    }
}

/// How Python names a kind of expression in its error messages.
pub(super) fn describe(e: &Expr) -> &'static str {
    match e.kind {
        ExprKind::Name(_) => "name",
        ExprKind::Attribute { .. } => "attribute",
        ExprKind::Subscript { .. } => "subscript",
        ExprKind::Starred(_) => "starred",
        ExprKind::Tuple(_) => "tuple",
        ExprKind::List(_) => "list",
        ExprKind::Call { .. } => "function call",
        ExprKind::Lambda { .. } => "lambda",
        ExprKind::Compare { .. } => "comparison",
        ExprKind::IfExp { .. } => "conditional expression",
        ExprKind::ListComp { .. } => "list comprehension",
        ExprKind::SetComp { .. } => "set comprehension",
        ExprKind::DictComp { .. } => "dict comprehension",
        ExprKind::GeneratorExp { .. } => "generator expression",
        ExprKind::Dict(_) => "dict literal",
        ExprKind::Set(_) => "set display",
        ExprKind::FString(_) => "f-string expression",
        ExprKind::None => "None",
        ExprKind::Bool(true) => "True",
        ExprKind::Bool(false) => "False",
        ExprKind::Int(_) | ExprKind::Float(_) | ExprKind::Str(_) => "literal",
        ExprKind::Unary { .. }
        | ExprKind::Binary { .. }
        | ExprKind::BoolOp { .. }
        | ExprKind::Slice { .. } => "expression",
        ExprKind::NamedExpr { .. } => "named expression",
        ExprKind::Yield(_) | ExprKind::YieldFrom(_) => "yield expression",
        ExprKind::Await(_) => "await expression",
        ExprKind::Ellipsis => "ellipsis",
    }
}

/// An operator that can begin an expression: a bracket, a unary sign, `*` or `...`.
pub(super) fn starts_operand(op: Op) -> bool {
    matches!(
        op,
        Op::LParen
            | Op::LBracket
            | Op::LBrace
            | Op::Minus
            | Op::Plus
            | Op::Tilde
            | Op::Star
            | Op::Ellipsis
    )
}

/// Can no operator, trailer or `if` follow the token `tok` into a longer expression (a `,`, a
/// closing bracket, `:`, `=`, the end of the line)?
fn ends_expression(tok: &Tok) -> bool {
    matches!(
        tok,
        Tok::Op(Op::Comma | Op::RParen | Op::RBracket | Op::RBrace | Op::Colon | Op::Assign)
            | Tok::Newline
            | Tok::Eof
    )
}
