//! Diagnostics: the one error type every stage returns.
//!
//! A [`Diagnostic`] carries a kind (named like the Python/Django exception a user would see),
//! a message, an optional source [`Span`] and an optional help line. Stages build diagnostics;
//! only the rendering layer (`render::diagnostic`) turns them into text with a caret.

use std::fmt;

/// A byte range into the source text a statement came from.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

impl Span {
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// What kind of error: the name of the exception Django or Python would raise.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ErrorKind {
    /// The input does not parse.
    Syntax,
    /// Python's `IndentationError` (a `SyntaxError`): an unexpected or missing indent.
    Indentation,
    /// Python's `TabError` (an `IndentationError`): tabs and spaces mixed inconsistently.
    Tab,
    /// An unknown variable name.
    Name,
    /// An unknown attribute or method.
    Attribute,
    /// Django's `FieldError` (unknown field, lookup, bad expression).
    Field,
    /// Django's `OutputFieldIsNoneError`, a `FieldError`: an expression whose type is unknown.
    OutputFieldIsNone,
    /// Django's `FieldDoesNotExist` (`only('nope')`).
    FieldDoesNotExist,
    /// `Model.DoesNotExist`; the payload is the model name.
    DoesNotExist(String),
    /// `Model.MultipleObjectsReturned`; the payload is the model name.
    MultipleObjectsReturned(String),
    Type,
    Value,
    /// Django's `ValidationError` (a value a field cannot convert).
    Validation,
    Index,
    Key,
    /// Django's `NotSupportedError`: a feature of Django that djq does not implement yet, or
    /// one the database does not support (PostgreSQL's SQLSTATE class 0A).
    NotSupported,
    /// Django's `DatabaseError`: a database error none of the kinds below describes.
    Database,
    /// Django's `OperationalError`: the database could not carry the statement out (SQLite's
    /// `no such column` or syntax errors, a lost connection, a cancelled statement).
    Operational,
    /// Django's `ProgrammingError`: PostgreSQL rejected the statement (SQLSTATE class 42:
    /// syntax, unknown names, grouping), or the parameters do not fit it.
    Programming,
    /// Django's `IntegrityError`: a constraint failed.
    Integrity,
    /// Django's `ProtectedError` (an `IntegrityError`): deleting an object that
    /// `on_delete=PROTECT` keeps.
    Protected,
    /// Django's `RestrictedError` (an `IntegrityError`): deleting an object that
    /// `on_delete=RESTRICT` keeps.
    Restricted,
    /// Django's `DataError`: a value the database cannot take (SQLSTATE class 22).
    Data,
    /// Django's `InternalError`: the database's own state (an aborted transaction, internal
    /// errors).
    Internal,
    /// Django's `InterfaceError`: the driver was used wrongly.
    Interface,
    /// Django's `DeserializationError`: a fixture that cannot be read or installed.
    Deserialization,
    /// Django's `CommandError`: a management command's arguments do not fit
    /// (`dumpdata("nope")`).
    Command,
    /// Reading files, connecting, command-line problems.
    Io,
    /// Ctrl-C stopped a running statement.
    KeyboardInterrupt,
    /// Another Python exception, by class name, as `raise` and `assert` make them
    /// (`AssertionError`, `ZeroDivisionError`, `RuntimeError`, `Exception`).
    Python(String),
    /// Django's `RelatedObjectDoesNotExist` of a one-to-one accessor: `(descriptor, model)`,
    /// `("Venue.cafe", "Cafe")` for a `Cafe.DoesNotExist` that is also an `AttributeError`
    /// (boxed: errors stay small).
    RelatedObjectDoesNotExist(Box<(String, String)>),
}

impl ErrorKind {
    /// Whether `except AttributeError` catches it (`hasattr()` and `getattr()` with a
    /// default say "no such attribute" for it).
    pub fn is_attribute_error(&self) -> bool {
        matches!(
            self,
            ErrorKind::Attribute | ErrorKind::RelatedObjectDoesNotExist(_)
        )
    }

    /// Whether the database raised it (a `django.db.utils.DatabaseError`).
    pub fn is_database(&self) -> bool {
        matches!(
            self,
            ErrorKind::Database
                | ErrorKind::Operational
                | ErrorKind::Programming
                | ErrorKind::Integrity
                | ErrorKind::Data
                | ErrorKind::Internal
                | ErrorKind::Interface
        )
    }

    /// The exception name as Django/Python prints it.
    pub fn python_name(&self) -> String {
        match self {
            ErrorKind::Syntax => "SyntaxError".into(),
            ErrorKind::Indentation => "IndentationError".into(),
            ErrorKind::Tab => "TabError".into(),
            ErrorKind::Name => "NameError".into(),
            ErrorKind::Attribute => "AttributeError".into(),
            ErrorKind::Field => "FieldError".into(),
            ErrorKind::OutputFieldIsNone => "OutputFieldIsNoneError".into(),
            ErrorKind::FieldDoesNotExist => "FieldDoesNotExist".into(),
            ErrorKind::DoesNotExist(_) => "DoesNotExist".into(),
            ErrorKind::MultipleObjectsReturned(_) => "MultipleObjectsReturned".into(),
            ErrorKind::Type => "TypeError".into(),
            ErrorKind::Value => "ValueError".into(),
            ErrorKind::Validation => "ValidationError".into(),
            ErrorKind::Index => "IndexError".into(),
            ErrorKind::Key => "KeyError".into(),
            ErrorKind::NotSupported => "NotSupportedError".into(),
            ErrorKind::Database => "DatabaseError".into(),
            ErrorKind::Operational => "OperationalError".into(),
            ErrorKind::Programming => "ProgrammingError".into(),
            ErrorKind::Integrity => "IntegrityError".into(),
            ErrorKind::Protected => "ProtectedError".into(),
            ErrorKind::Restricted => "RestrictedError".into(),
            ErrorKind::Data => "DataError".into(),
            ErrorKind::Internal => "InternalError".into(),
            ErrorKind::Interface => "InterfaceError".into(),
            ErrorKind::Deserialization => "DeserializationError".into(),
            ErrorKind::Command => "CommandError".into(),
            ErrorKind::Io => "IOError".into(),
            ErrorKind::KeyboardInterrupt => "KeyboardInterrupt".into(),
            ErrorKind::Python(name) => name.clone(),
            ErrorKind::RelatedObjectDoesNotExist(_) => "RelatedObjectDoesNotExist".into(),
        }
    }
}

/// A row an error names: its model's id and its field values by attname.
pub type ErrorObject = (usize, Vec<(String, crate::value::Value)>);

/// An error with everything needed to show it well.
#[derive(Debug, Clone, PartialEq)]
pub struct Diagnostic {
    pub kind: ErrorKind,
    pub message: String,
    pub span: Option<Span>,
    pub help: Option<String>,
    /// The rows a `ProtectedError`/`RestrictedError` names (its `protected_objects`): each
    /// a model id and its field values by attname.
    pub objects: Box<[ErrorObject]>,
}

impl Diagnostic {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Diagnostic {
            kind,
            message: message.into(),
            span: None,
            help: None,
            objects: Box::default(),
        }
    }

    pub fn syntax(message: impl Into<String>, span: Span) -> Self {
        Diagnostic::new(ErrorKind::Syntax, message).at(span)
    }

    pub fn field(message: impl Into<String>) -> Self {
        Diagnostic::new(ErrorKind::Field, message)
    }

    /// Attach a span unless one is already set (the innermost span wins).
    pub fn at(mut self, span: Span) -> Self {
        if self.span.is_none() {
            self.span = Some(span);
        }
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.python_name(), self.message)
    }
}

impl std::error::Error for Diagnostic {}

pub type Result<T, E = Diagnostic> = std::result::Result<T, E>;

/// "did you mean" helper: the closest candidate by edit distance, if close enough.
pub fn suggest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::damerau_levenshtein(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}
