//! A models.py's Python beyond what the schema reads from it ([`PyModule`]), kept compactly:
//! the text of what runs, parsed when it is about to run — the module-level statements the
//! first time a model's Python is needed, each class on its own when its Python is — and
//! handed to the runner by value, so that no syntax tree outlives its run.

use crate::syntax::ast::{Definition, ExprKind, Stmt, StmtKind};

/// A models.py's module-level statements (imports, constants, functions) and its classes
/// with their methods only (fields, constants and managers left out, and of `class Meta` its
/// verbose names only). Kept as the text of those statements at their places in the file
/// (a large models file is mostly class bodies, whose fields are not kept twice), all in one
/// string, and parsed when asked for: [`PyModule::statements`] gives the module's statements
/// but the classes the caller runs apart, [`PyModule::class`] one class's. `crate::orm` runs
/// them when a model's Python is first needed: its methods, properties, `save()` overrides
/// and the module names `default=` uses.
pub struct PyModule {
    /// The file, as errors name it.
    pub path: String,
    /// The byte offset of each line's start.
    lines: Vec<u32>,
    /// The kept text of every statement, one piece after the other.
    text: String,
    /// Each piece: its byte offset in the file, and where it ends in `text` (it starts where
    /// the one before ends).
    pieces: Vec<(u32, u32)>,
    /// Each top-level statement: where its pieces end in `pieces`, and for a class without
    /// decorators (one that can run apart), its name.
    statements: Vec<(u32, Option<Box<str>>)>,
}

/// The pieces of a module's text that run ([`pieces`]), as [`PyModule`] keeps them.
#[derive(Default)]
pub(super) struct Pieces {
    text: String,
    pieces: Vec<(u32, u32)>,
    statements: Vec<(u32, Option<Box<str>>)>,
}

impl Pieces {
    fn keep(&mut self, at: usize, text: &str) {
        self.text.push_str(text);
        self.pieces.push((at as u32, self.text.len() as u32));
    }

    /// The statement whose pieces were just kept; `class`: a class that can run apart.
    fn end_statement(&mut self, class: Option<&str>) {
        if self.statements.last().map_or(0, |s| s.0) < self.pieces.len() as u32 {
            self.statements
                .push((self.pieces.len() as u32, class.map(Box::from)));
        }
    }
}

impl std::fmt::Debug for PyModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PyModule({})", self.path)
    }
}

impl PyModule {
    pub(super) fn new(path: String, source: &str, pieces: Pieces) -> PyModule {
        let Pieces {
            mut text,
            mut pieces,
            mut statements,
        } = pieces;
        text.shrink_to_fit();
        pieces.shrink_to_fit();
        statements.shrink_to_fit();
        PyModule {
            path,
            lines: std::iter::once(0)
                .chain(source.match_indices('\n').map(|(i, _)| i as u32 + 1))
                .collect(),
            text,
            pieces,
            statements,
        }
    }

    /// `path:line:col` of a byte offset of the file.
    pub fn place(&self, offset: usize) -> String {
        let line = self
            .lines
            .partition_point(|&start| start as usize <= offset)
            .max(1);
        let col = offset - self.lines[line - 1] as usize + 1;
        format!("{}:{line}:{col}", self.path)
    }

    /// The names of the module's classes that can run apart (those without decorators).
    /// Whether the kept text has `word` (`register_lookup`: the module registers lookups,
    /// which must run before a query uses them).
    pub fn mentions(&self, word: &str) -> bool {
        self.text.contains(word)
    }

    pub fn classes(&self) -> impl Iterator<Item = &str> {
        self.statements.iter().filter_map(|(_, c)| c.as_deref())
    }

    /// The module's statements in order, but for the classes `apart` names (of those that
    /// can run apart, [`PyModule::classes`]), parsed.
    pub fn statements(&self, apart: &dyn Fn(&str) -> bool) -> Vec<Stmt> {
        self.parse(&|_, class| !class.is_some_and(apart))
    }

    /// The statement of class `name` (the last, when the module defines it more than once),
    /// parsed; none when it has no such class that can run apart.
    pub fn class(&self, name: &str) -> Vec<Stmt> {
        let Some(last) = self
            .statements
            .iter()
            .rposition(|(_, c)| c.as_deref() == Some(name))
        else {
            return Vec::new();
        };
        self.parse(&|i, _| i == last)
    }

    /// The statements `keep` chooses (by index and class name), their spans the file's: their
    /// text at its places, blanks elsewhere (its lines kept), parsed.
    fn parse(&self, keep: &dyn Fn(usize, Option<&str>) -> bool) -> Vec<Stmt> {
        let mut chosen = Vec::new();
        let mut first = 0;
        for (i, (end, class)) in self.statements.iter().enumerate() {
            if keep(i, class.as_deref()) {
                chosen.push(first as usize..*end as usize);
            }
            first = *end;
        }
        let Some(last) = chosen.last().and_then(|r| r.end.checked_sub(1)) else {
            return Vec::new();
        };
        let piece_text = |p: usize| {
            let from = p.checked_sub(1).map_or(0, |q| self.pieces[q].1 as usize);
            (
                self.pieces[p].0 as usize,
                &self.text[from..self.pieces[p].1 as usize],
            )
        };
        let (at, piece) = piece_text(last);
        // The file up to the end of the last chosen piece, dropped once parsed.
        let mut text = vec![b' '; at + piece.len()];
        for &start in &self.lines[1..] {
            match text.get_mut(start as usize - 1) {
                Some(b) => *b = b'\n',
                None => break,
            }
        }
        for p in chosen.into_iter().flatten() {
            let (at, piece) = piece_text(p);
            text[at..at + piece.len()].copy_from_slice(piece.as_bytes());
        }
        let text = String::from_utf8(text).unwrap_or_default();
        let mut body = crate::syntax::parse_module(&text)
            .map(|p| p.body)
            .unwrap_or_default();
        drop(text);
        super::locate_unread(&mut body, &|d| {
            if let Some(span) = d.span {
                d.message = format!("{}: {}", self.place(span.start), d.message);
            }
        });
        body
    }
}

/// The text of what of a module-level statement runs ([`PyModule`]), each piece at its
/// offset: the statement, or a class's header, its methods and its `Meta`'s verbose names
/// (`pass` where it keeps nothing). The classes a module-level `if` or `try` defines (the
/// first of each name: Python runs one branch) are kept as classes of the module, their
/// lines moved to the margin, so that they run apart like the others; the block's other
/// statements are then not kept.
pub(super) fn pieces(stmt: &Stmt, source: &str, out: &mut Pieces) {
    if matches!(stmt.kind, StmtKind::If { .. } | StmtKind::Try { .. }) {
        let mut classes = Vec::new();
        nested_classes(std::slice::from_ref(stmt), &mut classes);
        if !classes.is_empty() {
            for class in classes {
                let StmtKind::ClassDef {
                    body,
                    name,
                    decorators,
                    ..
                } = &class.kind
                else {
                    continue;
                };
                let Some(first) = body.first() else { continue };
                let line_start = source[..class.span.start].rfind('\n').map_or(0, |i| i + 1);
                let indent = class.span.start - line_start;
                class_pieces(class, first, body, source, out, indent);
                out.end_statement(decorators.is_empty().then_some(name.name.as_str()));
            }
            return;
        }
    }
    let StmtKind::ClassDef {
        body,
        name,
        decorators,
        ..
    } = &stmt.kind
    else {
        if let Some(text) = source.get(stmt.span.start..stmt.span.end) {
            out.keep(stmt.span.start, text);
        }
        out.end_statement(None);
        return;
    };
    let Some(first) = body.first() else { return };
    class_pieces(stmt, first, body, source, out, 0);
    out.end_statement(decorators.is_empty().then_some(name.name.as_str()));
}

/// The classes defined in the blocks of `if` and `try` statements, the first of each name.
fn nested_classes<'s>(body: &'s [Stmt], out: &mut Vec<&'s Stmt>) {
    for stmt in body {
        match &stmt.kind {
            StmtKind::ClassDef { name, .. } => {
                let defined = out.iter().any(
                    |c| matches!(&c.kind, StmtKind::ClassDef { name: n, .. } if n.name == name.name),
                );
                if !defined {
                    out.push(stmt);
                }
            }
            StmtKind::If { body, orelse, .. } => {
                nested_classes(body, out);
                nested_classes(orelse, out);
            }
            StmtKind::Try {
                body,
                handlers,
                orelse,
                finalbody,
            } => {
                nested_classes(body, out);
                for h in handlers {
                    nested_classes(&h.body, out);
                }
                nested_classes(orelse, out);
                nested_classes(finalbody, out);
            }
            _ => {}
        }
    }
}

/// A literal, or a tuple or list of them, or a translated string (`_("Low")`): what a class
/// body's constant is, as opposed to a field or a manager.
fn constant(e: &crate::syntax::ast::Expr, depth: usize) -> bool {
    match &e.kind {
        ExprKind::Str(_)
        | ExprKind::Int(_)
        | ExprKind::Float(_)
        | ExprKind::Bool(_)
        | ExprKind::None => true,
        ExprKind::Unary { operand, .. } => constant(operand, depth + 1),
        ExprKind::Tuple(items) | ExprKind::List(items) => {
            depth < 4 && items.iter().all(|i| constant(i, depth + 1))
        }
        ExprKind::Call { func, args } => {
            matches!(&func.kind, ExprKind::Name(n) if matches!(n.as_str(), "_" | "gettext_lazy" | "gettext"))
                && matches!(args.as_slice(), [crate::syntax::ast::Arg::Positional(a)] if matches!(a.kind, ExprKind::Str(_)))
        }
        _ => false,
    }
}

/// A class's header, methods and `Meta`'s verbose names ([`pieces`]); a class nested
/// `indent` columns deep in a block, each of its lines moved left by that much.
fn class_pieces(
    stmt: &Stmt,
    first: &Stmt,
    body: &[Stmt],
    source: &str,
    out: &mut Pieces,
    indent: usize,
) {
    let mut keep = |from: usize, to: usize| {
        if indent == 0 {
            if let Some(text) = source.get(from..to) {
                out.keep(from, text);
            }
            return;
        }
        let mut at = from;
        while at < to {
            let Some(rest) = source.get(at..to) else {
                return;
            };
            let end = rest.find('\n').map_or(to, |i| at + i);
            let line_start = source[..at].rfind('\n').map_or(0, |i| i + 1);
            let line = &source[at..end];
            let (place, text) = if at == line_start {
                let spaces = line.bytes().take(indent).take_while(|b| *b == b' ').count();
                (at, &line[spaces..])
            } else {
                (at - (at - line_start).min(indent), line)
            };
            out.keep(place, text);
            at = end + 1;
        }
    };
    keep(stmt.span.start, first.span.start);
    let mut kept = 0;
    for s in body {
        match &s.kind {
            StmtKind::FunctionDef { .. }
            | StmtKind::Async(_)
            | StmtKind::Unread {
                defines: Some(Definition { class: false, .. }),
                ..
            } => keep(s.span.start, s.span.end),
            // Constants (`STATUS_DRAFT = "d"`, a Choices member `LOW = 1, "Low"`) and nested
            // classes other than Meta (a `TextChoices` enumeration) run as written.
            StmtKind::Assign { value, .. } if constant(value, 0) => keep(s.span.start, s.span.end),
            StmtKind::ClassDef { name, .. } if name.name != "Meta" => {
                keep(s.span.start, s.span.end)
            }
            StmtKind::ClassDef { name, body, .. } if name.name == "Meta" => {
                let verbose: Vec<&Stmt> = body
                    .iter()
                    .filter(|s| {
                        matches!(&s.kind, StmtKind::Assign { targets, .. }
                            if matches!(targets.as_slice(), [t] if matches!(&t.kind,
                                ExprKind::Name(n) if n.starts_with("verbose_name"))))
                    })
                    .collect();
                let Some(meta_first) = body.first() else {
                    continue;
                };
                if verbose.is_empty() {
                    continue;
                }
                // `class Meta(...)` as `class Meta:` (its bases are not run).
                let Some(colon) = source
                    .get(s.span.start..meta_first.span.start)
                    .and_then(|header| header.find(':'))
                else {
                    continue;
                };
                keep(s.span.start, s.span.start + "class Meta".len());
                keep(s.span.start + colon, s.span.start + colon + 1);
                for v in verbose {
                    keep(v.span.start, v.span.end);
                }
            }
            _ => continue,
        }
        kept += 1;
    }
    if kept == 0 {
        out.keep(first.span.start, "pass");
    }
}
