//! Exceptions: Python's and Django's exception classes and their hierarchy, which `except`
//! clauses a [`Diagnostic`] matches, exception objects (`except ... as e`, `ValueError("x")`)
//! and `raise`.
//!
//! A diagnostic's class is its kind's exception name (`Book.DoesNotExist` for a model's). The
//! hierarchy is Python's and Django's: `Book.DoesNotExist` is an `ObjectDoesNotExist`,
//! `ProtectedError` an `IntegrityError`, which is a `DatabaseError`, which is an `Exception`;
//! `KeyboardInterrupt` is only a `BaseException`. djq's own errors — a feature it does not
//! support yet, a missing database, a syntax error — are never caught: a handler taking them
//! for the script's own exception would run a path Django never runs.

use super::obj::Obj;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::value::Value;
use std::rc::Rc;

/// Each class with its base class, for the classes in scope by name.
const CLASSES: &[(&str, &str)] = &[
    ("Exception", "BaseException"),
    ("KeyboardInterrupt", "BaseException"),
    ("SystemExit", "BaseException"),
    ("ArithmeticError", "Exception"),
    ("ZeroDivisionError", "ArithmeticError"),
    ("OverflowError", "ArithmeticError"),
    ("AssertionError", "Exception"),
    ("AttributeError", "Exception"),
    ("LookupError", "Exception"),
    ("IndexError", "LookupError"),
    ("KeyError", "LookupError"),
    ("NameError", "Exception"),
    ("TypeError", "Exception"),
    ("ValueError", "Exception"),
    ("RuntimeError", "Exception"),
    ("NotImplementedError", "RuntimeError"),
    ("RecursionError", "RuntimeError"),
    ("MemoryError", "Exception"),
    ("ImportError", "Exception"),
    ("ModuleNotFoundError", "ImportError"),
    ("EmptyResultSet", "Exception"),
    ("ObjectDoesNotExist", "Exception"),
    ("MultipleObjectsReturned", "Exception"),
    ("FieldDoesNotExist", "Exception"),
    ("FieldError", "Exception"),
    ("OutputFieldIsNoneError", "FieldError"),
    ("ValidationError", "Exception"),
    ("DatabaseError", "Exception"),
    ("InterfaceError", "Exception"),
    ("DataError", "DatabaseError"),
    ("OperationalError", "DatabaseError"),
    ("IntegrityError", "DatabaseError"),
    ("InternalError", "DatabaseError"),
    ("ProgrammingError", "DatabaseError"),
    ("NotSupportedError", "DatabaseError"),
    ("TransactionManagementError", "ProgrammingError"),
    ("ProtectedError", "IntegrityError"),
    ("RestrictedError", "IntegrityError"),
];

/// The diagnostic kinds that have a class of their own (the rest are [`ErrorKind::Python`]).
const KINDS: &[ErrorKind] = &[
    ErrorKind::Name,
    ErrorKind::Attribute,
    ErrorKind::Field,
    ErrorKind::OutputFieldIsNone,
    ErrorKind::FieldDoesNotExist,
    ErrorKind::Type,
    ErrorKind::Value,
    ErrorKind::Validation,
    ErrorKind::Index,
    ErrorKind::Key,
    ErrorKind::Database,
    ErrorKind::Operational,
    ErrorKind::Programming,
    ErrorKind::Integrity,
    ErrorKind::Protected,
    ErrorKind::Restricted,
    ErrorKind::Data,
    ErrorKind::Internal,
    ErrorKind::Interface,
    ErrorKind::KeyboardInterrupt,
];

/// The exception classes in scope by name.
pub fn class_names() -> impl Iterator<Item = &'static str> {
    std::iter::once("BaseException").chain(CLASSES.iter().map(|(c, _)| *c))
}

/// The class of an error: `IntegrityError`, `Book.DoesNotExist`.
pub fn class_of(kind: &ErrorKind) -> String {
    match kind {
        ErrorKind::DoesNotExist(model) | ErrorKind::MultipleObjectsReturned(model)
            if !model.is_empty() =>
        {
            format!("{model}.{}", kind.python_name())
        }
        ErrorKind::RelatedObjectDoesNotExist(related) => {
            format!("{}.{}", related.0, kind.python_name())
        }
        _ => kind.python_name(),
    }
}

/// A class name without its model (`DoesNotExist` for `Book.DoesNotExist`): `__name__`.
pub fn short_name(class: &str) -> &str {
    class.rsplit('.').next().unwrap_or(class)
}

/// `e.name` of an ImportError: the module it names (`x` of "No module named 'x'", `a.b` of
/// "cannot import name 'X' from 'a.b' (...)").
pub fn import_name(e: &Diagnostic) -> Option<String> {
    let ErrorKind::Python(class) = &e.kind else {
        return None;
    };
    let quoted = match class.as_str() {
        "ModuleNotFoundError" => e.message.strip_prefix("No module named ")?,
        "ImportError" => e.message.split_once(" from ")?.1,
        _ => return None,
    };
    Some(quoted.split('\'').nth(1)?.to_string())
}

/// The base class of `class` (`None` for `BaseException`).
fn base(class: &str) -> Option<&'static str> {
    match class.split_once('.') {
        Some((_, "DoesNotExist")) => Some("ObjectDoesNotExist"),
        Some((_, "MultipleObjectsReturned")) => Some("MultipleObjectsReturned"),
        _ if class == "DoesNotExist" => Some("ObjectDoesNotExist"),
        _ => CLASSES.iter().find(|(c, _)| *c == class).map(|(_, b)| *b),
    }
}

/// Whether `class` is `ancestor` or derives from it.
pub fn is_subclass(class: &str, ancestor: &str) -> bool {
    let mut class = class;
    loop {
        if class == ancestor {
            return true;
        }
        match base(class) {
            Some(b) => class = b,
            None => return false,
        }
    }
}

/// The kind of the error an exception class makes when raised.
fn kind_of(class: &str) -> ErrorKind {
    if let Some((model, name)) = class.split_once('.') {
        match name {
            "DoesNotExist" => return ErrorKind::DoesNotExist(model.to_string()),
            "MultipleObjectsReturned" => {
                return ErrorKind::MultipleObjectsReturned(model.to_string());
            }
            _ => {}
        }
    }
    KINDS
        .iter()
        .find(|k| k.python_name() == class)
        .cloned()
        .unwrap_or_else(|| match class {
            "DoesNotExist" => ErrorKind::DoesNotExist(String::new()),
            "MultipleObjectsReturned" => ErrorKind::MultipleObjectsReturned(String::new()),
            _ => ErrorKind::Python(class.to_string()),
        })
}

/// Whether an `except` clause catching `classes` (a class or a tuple of them) catches `d`;
/// `None` for a bare `except:`.
pub fn catches(d: &Diagnostic, classes: Option<&Obj>, span: Span) -> Result<bool> {
    if matches!(
        d.kind,
        ErrorKind::NotSupported
            | ErrorKind::Io
            | ErrorKind::Syntax
            | ErrorKind::Indentation
            | ErrorKind::Tab
    ) {
        return Ok(false);
    }
    let class = class_of(&d.kind);
    let Some(classes) = classes else {
        return Ok(true);
    };
    // Django's RelatedObjectDoesNotExist has two bases.
    let also = match &d.kind {
        ErrorKind::RelatedObjectDoesNotExist(related) => {
            vec![
                format!("{}.DoesNotExist", related.1),
                "AttributeError".to_string(),
            ]
        }
        _ => Vec::new(),
    };
    let one = |c: &Obj| match c {
        Obj::ExceptionClass(c) => {
            Ok(is_subclass(&class, c) || also.iter().any(|base| is_subclass(base, c)))
        }
        _ => Err(Diagnostic::new(
            ErrorKind::Type,
            "catching classes that do not inherit from BaseException is not allowed",
        )
        .at(span)),
    };
    match classes {
        Obj::Tuple(items) => {
            for c in items.iter() {
                if one(c)? {
                    return Ok(true);
                }
            }
            Ok(false)
        }
        c => one(c),
    }
}

/// The class of an exception object (`type(e)`).
pub fn type_of(d: &Diagnostic) -> Obj {
    Obj::ExceptionClass(class_of(&d.kind))
}

/// Python's `repr()` of an exception object: `IntegrityError('UNIQUE constraint failed')`.
pub fn repr(d: &Diagnostic) -> String {
    let class = class_of(&d.kind);
    let name = short_name(&class);
    match &d.kind {
        _ if d.message.is_empty() => format!("{name}()"),
        // A KeyError's message is the repr of its key already.
        ErrorKind::Key => format!("{name}({})", d.message),
        _ => format!(
            "{name}({})",
            crate::value::python_repr(&Value::Text(d.message.clone()))
        ),
    }
}

impl<H: Host> Interp<H> {
    /// `ValueError("message")`: an exception object.
    pub fn new_exception(&mut self, class: &str, args: &super::args::Args) -> Result<Obj> {
        let kind = kind_of(class);
        let message = match args.pos.as_slice() {
            [] => String::new(),
            [(arg, _)] if kind == ErrorKind::Key => self.repr(arg)?,
            // Django's `ValidationError`: its str() is its messages' list (or dict of lists).
            [(arg, _)] if kind == ErrorKind::Validation => self.repr(&validation_messages(arg))?,
            [(arg, _)] => self.py_str(arg)?,
            many => self.repr(&Obj::tuple(many.iter().map(|(o, _)| o.clone()).collect()))?,
        };
        Ok(Obj::Exception(Rc::new(Diagnostic::new(kind, message))))
    }

    /// The error `raise value` raises: an exception object, or a class (raised with no
    /// arguments).
    pub fn raised(&mut self, value: Obj, span: Span) -> Diagnostic {
        match value {
            Obj::Exception(d) => (*d).clone().at(span),
            Obj::ExceptionClass(c) => Diagnostic::new(kind_of(&c), "").at(span),
            _ => Diagnostic::new(ErrorKind::Type, "exceptions must derive from BaseException")
                .at(span),
        }
    }
}

/// The messages of a `ValidationError(message)` as its `str()` shows them: a list of
/// messages, or for a dict, each key's list.
fn validation_messages(arg: &Obj) -> Obj {
    let listed = |o: &Obj| match o {
        Obj::List(_) => o.clone(),
        Obj::Tuple(items) => Obj::list(items.to_vec()),
        other => Obj::list(vec![other.clone()]),
    };
    match arg {
        Obj::Dict(pairs) => Obj::dict(
            pairs
                .borrow()
                .iter()
                .map(|(k, v)| (k.clone(), listed(v)))
                .collect(),
        ),
        other => listed(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hierarchy() {
        assert!(is_subclass("Book.DoesNotExist", "ObjectDoesNotExist"));
        assert!(is_subclass("Book.DoesNotExist", "Exception"));
        assert!(!is_subclass("Book.DoesNotExist", "Author.DoesNotExist"));
        assert!(is_subclass(
            "Book.MultipleObjectsReturned",
            "MultipleObjectsReturned"
        ));
        assert!(is_subclass("ProtectedError", "IntegrityError"));
        assert!(is_subclass("RestrictedError", "DatabaseError"));
        assert!(is_subclass("KeyError", "LookupError"));
        assert!(!is_subclass("KeyboardInterrupt", "Exception"));
        assert!(is_subclass("KeyboardInterrupt", "BaseException"));
        assert!(!is_subclass("IntegrityError", "OperationalError"));
    }

    #[test]
    fn kinds_round_trip() {
        for k in KINDS {
            assert_eq!(kind_of(&class_of(k)), *k);
            assert!(class_names().any(|c| c == k.python_name()), "{k:?}");
        }
        assert_eq!(
            kind_of("Book.DoesNotExist"),
            ErrorKind::DoesNotExist("Book".into())
        );
        assert_eq!(
            kind_of("AssertionError"),
            ErrorKind::Python("AssertionError".into())
        );
    }

    #[test]
    fn djq_errors_are_never_caught() {
        let d = Diagnostic::new(ErrorKind::NotSupported, "not supported by djq yet");
        assert!(!catches(&d, None, Span::default()).unwrap());
        let d = Diagnostic::new(ErrorKind::Integrity, "UNIQUE constraint failed");
        assert!(catches(&d, None, Span::default()).unwrap());
        let db = Obj::ExceptionClass("DatabaseError".into());
        assert!(catches(&d, Some(&db), Span::default()).unwrap());
        let not_a_class = Obj::int(1);
        assert!(catches(&d, Some(&not_a_class), Span::default()).is_err());
    }
}
