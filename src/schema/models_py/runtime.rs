//! A models.py's Python beyond what the schema reads from it ([`PyModule`]), kept compactly:
//! the text of what runs, parsed when a model's Python is first needed.

use crate::syntax::ast::{Definition, ExprKind, Stmt, StmtKind};
use std::sync::OnceLock;

/// A models.py's module-level statements (imports, constants, functions) and its classes
/// with their methods only (fields, constants and managers left out, and of `class Meta` its
/// verbose names only). Kept as the text of those statements at their places in the file
/// (a large models file is mostly class bodies, whose fields are not kept twice), and parsed
/// the first time it is asked for ([`PyModule::body`]); `crate::orm` runs it when a model's
/// Python is first needed: its methods, properties, `save()` overrides and the module names
/// `default=` uses.
pub struct PyModule {
    /// The file, as errors name it.
    pub path: String,
    /// The byte offset of each line's start.
    lines: Vec<u32>,
    /// The file's length in bytes.
    len: u32,
    /// The text of each statement (or part of a class) that runs, at its byte offset.
    pieces: Vec<(u32, Box<str>)>,
    body: OnceLock<Vec<Stmt>>,
}

impl std::fmt::Debug for PyModule {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "PyModule({})", self.path)
    }
}

impl PyModule {
    pub(super) fn new(path: String, source: &str, pieces: Vec<(u32, Box<str>)>) -> PyModule {
        PyModule {
            path,
            lines: std::iter::once(0)
                .chain(source.match_indices('\n').map(|(i, _)| i as u32 + 1))
                .collect(),
            len: source.len() as u32,
            pieces,
            body: OnceLock::new(),
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

    /// The statements that run, their spans the file's: the kept text at its places, blanks
    /// elsewhere (its lines kept), parsed once.
    pub fn body(&self) -> &[Stmt] {
        self.body.get_or_init(|| {
            let mut text = vec![b' '; self.len as usize];
            for &start in &self.lines[1..] {
                text[start as usize - 1] = b'\n';
            }
            for (at, piece) in &self.pieces {
                let at = *at as usize;
                text[at..at + piece.len()].copy_from_slice(piece.as_bytes());
            }
            let text = String::from_utf8(text).unwrap_or_default();
            let mut body = crate::syntax::parse_module(&text)
                .map(|p| p.body)
                .unwrap_or_default();
            super::locate_unread(&mut body, &|d| {
                if let Some(span) = d.span {
                    d.message = format!("{}: {}", self.place(span.start), d.message);
                }
            });
            body
        })
    }
}

/// The text of what of a module-level statement runs ([`PyModule`]), each piece at its
/// offset: the statement, or a class's header, its methods and its `Meta`'s verbose names
/// (`pass` where it keeps nothing).
pub(super) fn pieces(stmt: &Stmt, source: &str, out: &mut Vec<(u32, Box<str>)>) {
    let mut keep = |from: usize, to: usize| {
        if let Some(text) = source.get(from..to) {
            out.push((from as u32, text.into()));
        }
    };
    let StmtKind::ClassDef { body, .. } = &stmt.kind else {
        keep(stmt.span.start, stmt.span.end);
        return;
    };
    let Some(first) = body.first() else { return };
    keep(stmt.span.start, first.span.start);
    let mut kept = 0;
    for s in body {
        match &s.kind {
            StmtKind::FunctionDef { .. }
            | StmtKind::Unread {
                defines: Some(Definition { class: false, .. }),
                ..
            } => keep(s.span.start, s.span.end),
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
        out.push((first.span.start as u32, "pass".into()));
    }
}
