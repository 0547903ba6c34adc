//! Validation of model instances: `full_clean()`, `clean_fields()` and the default `clean()`
//! (models.py's `clean()` overrides it), and a `ValidationError`'s `messages` and
//! `message_dict`.
//!
//! `clean_fields()` checks what the schema knows of a field: its choices and `max_length`
//! (not `blank`, which djq does not read, nor validators or the queries a foreign key's
//! check makes); `full_clean()` then runs `clean()` and raises one `ValidationError` of
//! every message by field, as Django does (no unique checks).

use super::Session;
use super::obj::{Instance, make};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::value::Value;
use std::rc::Rc;

/// Messages by field name (`__all__` for the whole object), in the order they came.
type Errors = Vec<(String, Vec<String>)>;

impl Session {
    /// `e.messages` and `e.message_dict` of a ValidationError (whose message is its `str()`,
    /// the list or dict of its messages).
    pub(super) fn validation_attribute(
        &mut self,
        e: &Diagnostic,
        name: &str,
    ) -> Result<Option<Obj>> {
        if e.kind != ErrorKind::Validation || !matches!(name, "messages" | "message_dict") {
            return Ok(None);
        }
        let parsed = match crate::syntax::parse_expression(&e.message) {
            Ok(expr) => self.eval(&expr).ok(),
            Err(_) => None,
        };
        Ok(Some(match (name, parsed) {
            ("message_dict", Some(d @ Obj::Dict(_))) => d,
            ("messages", Some(Obj::Dict(pairs))) => {
                let mut all = Vec::new();
                for (_, v) in pairs.borrow().iter() {
                    all.extend(v.items().unwrap_or_default());
                }
                Obj::list(all)
            }
            ("messages", Some(l @ Obj::List(_))) => l,
            ("messages", _) => Obj::list(vec![Obj::str(e.message.clone())]),
            _ => {
                return Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    "'ValidationError' object has no attribute 'error_dict'",
                ));
            }
        }))
    }

    /// `full_clean()`, `clean_fields()`, `clean()`; `None`: not one of these.
    pub(super) fn clean_method(
        &mut self,
        inst: &Rc<Instance>,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let run = |s: &mut Session| -> Result<Obj> {
            let exclude = match args.kwarg("exclude") {
                Some(o) if !o.is_none() => {
                    let names = s.iter_obj(o, &crate::py::args::dummy(args.span))?;
                    names
                        .iter()
                        .map(|n| s.py_str(n))
                        .collect::<Result<Vec<_>>>()?
                }
                _ => Vec::new(),
            };
            let mut errors = s.field_errors(inst, &exclude);
            if name == "full_clean" {
                let clean = s.attribute(make::instance(inst.clone()), "clean", args.span)?;
                let no_args = Args {
                    pos: Vec::new(),
                    kw: Vec::new(),
                    span: args.span,
                };
                match s.call(clean, no_args) {
                    Ok(_) => {}
                    Err(d) if d.kind == ErrorKind::Validation => s.add_errors(&mut errors, &d)?,
                    Err(d) => return Err(d),
                }
            }
            if errors.is_empty() {
                return Ok(Obj::NONE);
            }
            let dict = Obj::dict(
                errors
                    .into_iter()
                    .map(|(k, v)| {
                        (
                            Obj::str(k),
                            Obj::list(v.into_iter().map(Obj::str).collect()),
                        )
                    })
                    .collect(),
            );
            Err(Diagnostic::new(ErrorKind::Validation, s.repr(&dict)?).at(args.span))
        };
        match name {
            "full_clean" | "clean_fields" => Some(run(self)),
            "clean" => Some(Ok(Obj::NONE)),
            _ => None,
        }
    }

    /// Django's `clean_fields()` of what djq knows of the fields: choices and `max_length`.
    fn field_errors(&self, inst: &Instance, exclude: &[String]) -> Errors {
        let model = self.host.schema.model(inst.model);
        let mut errors = Errors::new();
        for f in &model.fields {
            if exclude.contains(&f.name) {
                continue;
            }
            let v = inst.get(&f.attname()).unwrap_or(Value::Null);
            if matches!(&v, Value::Null) || matches!(&v, Value::Text(t) if t.is_empty()) {
                continue;
            }
            let mut messages = Vec::new();
            if !f.choices.is_empty() && !f.choices.iter().any(|(c, _)| *c == v) {
                messages.push(format!(
                    "Value {} is not a valid choice.",
                    crate::py::repr::value_repr(&v)
                ));
            }
            if let (Some(max), Value::Text(t)) = (f.max_length, &v) {
                let n = t.chars().count();
                if n > max as usize {
                    messages.push(format!(
                        "Ensure this value has at most {max} characters (it has {n})."
                    ));
                }
            }
            if !messages.is_empty() {
                errors.push((f.name.clone(), messages));
            }
        }
        errors
    }

    /// Django's `update_error_dict`: a ValidationError's messages added by field (`__all__`
    /// for a list).
    fn add_errors(&mut self, errors: &mut Errors, d: &Diagnostic) -> Result<()> {
        let e = Obj::Exception(Rc::new(d.clone()));
        let by_field = match self.validation_attribute(d, "message_dict") {
            Ok(Some(Obj::Dict(pairs))) => pairs.borrow().clone(),
            _ => {
                let messages = self.validation_attribute(d, "messages")?.unwrap_or(e);
                vec![(Obj::str("__all__"), messages)]
            }
        };
        for (k, v) in by_field {
            let k = self.py_str(&k)?;
            let mut messages = Vec::new();
            for m in v.items().unwrap_or_default() {
                messages.push(self.py_str(&m)?);
            }
            match errors.iter_mut().find(|(f, _)| *f == k) {
                Some((_, list)) => list.extend(messages),
                None => errors.push((k, messages)),
            }
        }
        Ok(())
    }
}
