//! The abstract syntax tree of djq's Python subset.
//!
//! It mirrors Python's own `ast` module (so that Django snippets map one to one) and every node
//! carries the [`Span`] of the source it came from, so later stages can point a caret at it.

pub use crate::diag::Span;
use std::sync::Arc;

/// A whole input: a script, a `-c` argument, a REPL entry, or a models.py file.
#[derive(Debug, Clone, PartialEq)]
pub struct Program {
    pub body: Vec<Stmt>,
}

/// A name with its span (attribute names, keyword argument names, definitions).
#[derive(Debug, Clone, PartialEq)]
pub struct Ident {
    pub name: Name,
    pub span: Span,
}

/// The text of a name (a variable, attribute, keyword argument or definition) or of a string
/// literal, read as a `str`. A program's names, and its literals written without escapes, are
/// ranges of its source text, which its tree shares: reading one allocates nothing, and neither
/// does copying it (the tree keeps the text alive; a module read with
/// [`parse_module`](crate::syntax::parse_module), whose trees outlive it, gives each a text of
/// its own, and so does a literal whose value is not its source text).
#[derive(Clone)]
pub struct Name {
    text: Arc<str>,
    start: u32,
    end: u32,
}

impl Name {
    /// A name of its own (not read from a source).
    pub fn new(name: &str) -> Name {
        Name::in_text(&Arc::from(name), 0, name.len())
    }

    /// `text[start..end]`, sharing `text`.
    pub(crate) fn in_text(text: &Arc<str>, start: usize, end: usize) -> Name {
        match (u32::try_from(start), u32::try_from(end)) {
            (Ok(start), Ok(end)) => Name {
                text: Arc::clone(text),
                start,
                end,
            },
            // Past 4 GiB into a text: the name gets a text of its own.
            _ => Name::new(&text[start..end]),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.text[self.start as usize..self.end as usize]
    }
}

impl std::ops::Deref for Name {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq for Name {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Name {}

impl std::hash::Hash for Name {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state)
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Name> for str {
    fn eq(&self, other: &Name) -> bool {
        self == other.as_str()
    }
}

impl From<&str> for Name {
    fn from(name: &str) -> Name {
        Name::new(name)
    }
}

impl From<&Name> for String {
    fn from(name: &Name) -> String {
        name.as_str().to_owned()
    }
}

impl std::fmt::Debug for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for Name {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Display::fmt(self.as_str(), f)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    Name(Name),
    Int(i64),
    Float(f64),
    /// A string literal (adjacent literals already concatenated, escapes resolved).
    Str(Name),
    FString(Vec<FStringPart>),
    Bool(bool),
    None,
    List(Vec<Expr>),
    Tuple(Vec<Expr>),
    Set(Vec<Expr>),
    /// `{k: v, **m}`: a `None` key is a `**mapping` entry (as in Python's `ast.Dict`).
    Dict(Vec<(Option<Expr>, Expr)>),
    Attribute {
        value: Box<Expr>,
        attr: Ident,
    },
    Call {
        func: Box<Expr>,
        args: Vec<Arg>,
    },
    Subscript {
        value: Box<Expr>,
        index: Box<Expr>,
    },
    /// `a:b:c` — only appears as the index of a subscript.
    Slice {
        lower: Option<Box<Expr>>,
        upper: Option<Box<Expr>>,
        step: Option<Box<Expr>>,
    },
    Unary {
        op: UnaryOp,
        operand: Box<Expr>,
    },
    Binary {
        op: BinOp,
        left: Box<Expr>,
        right: Box<Expr>,
    },
    /// `a < b <= c`: chained comparisons.
    Compare {
        left: Box<Expr>,
        ops: Vec<(CmpOp, Expr)>,
    },
    BoolOp {
        op: BoolOp,
        values: Vec<Expr>,
    },
    /// `body if test else orelse`
    IfExp {
        test: Box<Expr>,
        body: Box<Expr>,
        orelse: Box<Expr>,
    },
    Lambda {
        params: Vec<Param>,
        body: Box<Expr>,
    },
    ListComp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    SetComp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    GeneratorExp {
        elt: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    DictComp {
        key: Box<Expr>,
        value: Box<Expr>,
        generators: Vec<Comprehension>,
    },
    /// `*x` in a call, list or assignment target.
    Starred(Box<Expr>),
    /// `name := value`; in a `case` pattern, `pattern as name` (the pattern is the value).
    NamedExpr {
        target: Ident,
        value: Box<Expr>,
    },
    /// `yield` or `yield value`.
    Yield(Option<Box<Expr>>),
    /// `yield from iterable`.
    YieldFrom(Box<Expr>),
    /// `await value`.
    Await(Box<Expr>),
    /// `...`
    Ellipsis,
}

#[derive(Debug, Clone, PartialEq)]
pub enum FStringPart {
    Literal(String),
    /// `{expr!conv:spec}`; the spec may itself contain replacement fields.
    Field {
        expr: Expr,
        conversion: Option<char>,
        spec: Vec<FStringPart>,
    },
}

#[derive(Debug, Clone, PartialEq)]
pub enum Arg {
    Positional(Expr),
    Keyword {
        name: Ident,
        value: Expr,
    },
    /// `*args`
    Star(Expr),
    /// `**kwargs`
    DoubleStar(Expr),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    /// `~`
    Invert,
    /// `-`
    Neg,
    /// `+`
    Pos,
    /// `not`
    Not,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    Add,
    Sub,
    Mul,
    Div,
    FloorDiv,
    Mod,
    Pow,
    BitOr,
    BitAnd,
    BitXor,
    LShift,
    RShift,
    /// `@`
    MatMul,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    NotEq,
    Lt,
    LtE,
    Gt,
    GtE,
    In,
    NotIn,
    Is,
    IsNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoolOp {
    And,
    Or,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Comprehension {
    pub target: Expr,
    pub iter: Expr,
    pub ifs: Vec<Expr>,
}

/// A parameter of a `def` or `lambda`.
#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: Ident,
    pub default: Option<Expr>,
    pub kind: ParamKind,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    Normal,
    /// `*args`
    VarArgs,
    /// `**kwargs`
    KwArgs,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Stmt {
    pub kind: StmtKind,
    pub span: Span,
}

/// The rarer statements keep their expressions boxed, so that a statement (of which a
/// models.py holds one per field) stays small.
#[derive(Debug, Clone, PartialEq)]
pub enum StmtKind {
    Expr(Expr),
    /// `a = b = value`; targets are names, attributes, subscripts or tuples/lists of them.
    Assign {
        targets: Vec<Expr>,
        value: Expr,
    },
    /// `target += value`
    AugAssign {
        target: Expr,
        op: BinOp,
        value: Box<Expr>,
    },
    /// `x: int = value` (annotation kept as an expression)
    AnnAssign {
        target: Expr,
        annotation: Box<Expr>,
        value: Option<Box<Expr>>,
    },
    /// `import a.b as c, d`
    Import(Vec<Alias>),
    /// `from .module import a as b, c` / `from m import *` (name `*`)
    ImportFrom {
        module: String,
        level: usize,
        names: Vec<Alias>,
    },
    If {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    For {
        target: Box<Expr>,
        iter: Box<Expr>,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    While {
        test: Expr,
        body: Vec<Stmt>,
        orelse: Vec<Stmt>,
    },
    Try {
        body: Vec<Stmt>,
        handlers: Vec<ExceptHandler>,
        orelse: Vec<Stmt>,
        finalbody: Vec<Stmt>,
    },
    With {
        items: Vec<WithItem>,
        body: Vec<Stmt>,
    },
    FunctionDef {
        name: Ident,
        params: Vec<Param>,
        body: Vec<Stmt>,
        decorators: Vec<Expr>,
    },
    ClassDef {
        name: Ident,
        bases: Vec<Arg>,
        body: Vec<Stmt>,
        decorators: Vec<Expr>,
    },
    Return(Option<Expr>),
    Raise(Option<Expr>),
    Assert {
        test: Expr,
        msg: Option<Box<Expr>>,
    },
    Del(Vec<Expr>),
    Global(Vec<Ident>),
    Pass,
    Break,
    Continue,
    /// A statement of a module read with [`parse_module`](crate::syntax::parse_module) that
    /// djq cannot parse (Python it does not implement, such as `match` or `async def`): read
    /// past, and raising `error` if it runs.
    Unread {
        /// The class or function the statement defines, when it is a definition.
        defines: Option<Definition>,
        error: Box<crate::diag::Diagnostic>,
    },
    /// `nonlocal a, b`
    Nonlocal(Vec<Ident>),
    /// `async def`, `async for`, `async with`: the statement after `async`.
    Async(Box<Stmt>),
    /// `match subject:` and its `case` clauses.
    Match {
        subject: Box<Expr>,
        cases: Vec<MatchCase>,
    },
    /// `type Name[params] = value` (the type parameters are read and dropped).
    TypeAlias {
        name: Ident,
        value: Box<Expr>,
    },
    /// A `try` whose handlers are `except*` clauses (the `Try` it holds).
    TryStar(Box<Stmt>),
}

/// `case pattern if guard:` and its block. A pattern is held as the expression it reads as
/// (`Point(x=0) | [a, *rest] | {"k": v, **more}`); `pattern as name` is a
/// [`ExprKind::NamedExpr`].
#[derive(Debug, Clone, PartialEq)]
pub struct MatchCase {
    pub pattern: Expr,
    pub guard: Option<Expr>,
    pub body: Vec<Stmt>,
}

/// What an unread statement would define: `class NAME` or `def NAME`.
#[derive(Debug, Clone, PartialEq)]
pub struct Definition {
    pub class: bool,
    pub name: Ident,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Alias {
    /// Dotted name as written (`os.path`), or `*`.
    pub name: String,
    pub asname: Option<Ident>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExceptHandler {
    /// The exception expression (`Book.DoesNotExist`, a tuple, or none for a bare `except:`).
    pub typ: Option<Expr>,
    pub name: Option<Ident>,
    pub body: Vec<Stmt>,
    pub span: Span,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WithItem {
    pub context: Expr,
    pub target: Option<Expr>,
}

impl ExprKind {
    /// The Python djq reads but does not run, as its "not supported" error names it.
    pub fn unsupported_feature(&self) -> Option<&'static str> {
        Some(match self {
            ExprKind::Yield(_) | ExprKind::YieldFrom(_) => "'yield'",
            ExprKind::Await(_) => "'await'",
            ExprKind::Ellipsis => "'...' (Ellipsis)",
            _ => return None,
        })
    }
}

impl Stmt {
    /// The Python djq reads but does not run, as its "not supported" error names it, and the
    /// span of the keyword that starts it.
    pub fn unsupported_feature(&self) -> Option<(&'static str, Span)> {
        let (feature, keyword) = match &self.kind {
            StmtKind::Match { .. } => ("'match' (structural pattern matching)", "match"),
            StmtKind::TypeAlias { .. } => ("'type' (a type alias statement)", "type"),
            StmtKind::Async(_) => ("'async'", "async"),
            StmtKind::TryStar(_) => ("'except*'", "try"),
            StmtKind::Nonlocal(_) => ("'nonlocal'", "nonlocal"),
            _ => return None,
        };
        let start = self.span.start;
        Some((feature, Span::new(start, start + keyword.len())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_as_their_text_whether_shared_or_their_own() {
        let src = "Book.objects.filter(pages__gt=1)";
        let program = crate::syntax::parse_program(src).unwrap();
        let StmtKind::Expr(call) = &program.body[0].kind else {
            panic!("an expression statement")
        };
        let ExprKind::Call { func, args } = &call.kind else {
            panic!("a call")
        };
        let ExprKind::Attribute { value, attr } = &func.kind else {
            panic!("a method")
        };
        assert_eq!(attr.name, "filter");
        assert_eq!(&src[attr.span.start..attr.span.end], attr.name.as_str());
        let Arg::Keyword { name, .. } = &args[0] else {
            panic!("a keyword argument")
        };
        assert_eq!(name.name.as_str(), "pages__gt");
        let ExprKind::Attribute { value: book, attr } = &value.kind else {
            panic!("an attribute")
        };
        assert_eq!(
            (format!("{attr:?}"), attr.name.to_string()),
            (
                "Ident { name: \"objects\", span: Span { start: 5, end: 12 } }".to_string(),
                "objects".to_string()
            )
        );
        assert_eq!(book.kind, ExprKind::Name(Name::new("Book")));
        assert_eq!(Name::new("Book"), *"Book");
    }
}
