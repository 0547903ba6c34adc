//! Aggregates defined in the session as Django's docs show them: `class MySum(Aggregate):
//! function = 'SUM'` (or a subclass of `Sum`, `Count`, ...). The class attributes Django's
//! `Aggregate` reads — `function`, `name`, `output_field`, `allow_distinct` — become the
//! call's options; a custom `template`, `arity` or overridden method is refused as not
//! supported yet.

use super::Session;
use super::obj::DjangoObj;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::obj::Class;
use crate::py::{Args, Obj};
use crate::query::FExpr;
use crate::query::expr::AggFunc;
use crate::value::Value;
use std::rc::Rc;

/// A class attribute, looked up through the Python bases.
fn class_attr(c: &Rc<Class>, name: &str) -> Option<Obj> {
    if let Some(v) = c.dict.borrow().get(name) {
        return Some(v.clone());
    }
    c.bases.iter().find_map(|b| match b {
        Obj::Class(base) => class_attr(base, name),
        _ => None,
    })
}

/// Whether the class (or a Python base) defines `name` itself.
fn defines(c: &Rc<Class>, name: &str) -> bool {
    class_attr(c, name).is_some()
}

impl Session {
    /// `MyAggregate(expr, ...)` for `class MyAggregate(<aggregate>)`.
    pub(super) fn aggregate_subclass(
        &mut self,
        func: AggFunc,
        class: &Rc<Class>,
        args: &Args,
    ) -> Result<FExpr> {
        let span = args.span;
        if let Some(what) = [
            "template",
            "arity",
            "as_sql",
            "as_sqlite",
            "as_postgresql",
            "__init__",
        ]
        .into_iter()
        .find(|n| defines(class, n))
        {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "an aggregate class with its own `{what}` is not supported by djq yet ({})",
                    class.name
                ),
            )
            .at(span));
        }
        let text = |name: &str| match class_attr(class, name) {
            Some(Obj::Value(Value::Text(t))) => Some(t),
            _ => None,
        };
        let mut call = args.clone();
        let given = |k: &str| args.kw.iter().any(|(n, ..)| n == k);
        if let Some(function) = text("function").filter(|_| !given("function")) {
            call.kw.push(("function".into(), Obj::str(function), span));
        }
        if let Some(field) = class_attr(class, "output_field").filter(|_| !given("output_field")) {
            if field.field_instance().is_none() {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    format!("{}.output_field must be a Field instance", class.name),
                )
                .at(span));
            }
            call.kw.push(("output_field".into(), field, span));
        }
        // `allow_distinct` overrides the base class's; Django's refusal names the class.
        let allow_distinct = match class_attr(class, "allow_distinct") {
            Some(Obj::Value(Value::Bool(b))) => b,
            _ => func.allows_distinct(),
        };
        let distinct = matches!(call.kwarg("distinct"), Some(Obj::Value(Value::Bool(true))));
        if distinct && !allow_distinct {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("{} does not allow distinct.", class.name),
            )
            .at(span));
        }
        call.kw.retain(|(n, ..)| n != "distinct");
        let mut expr = self.aggregate_expr(func, &call)?;
        if let FExpr::Aggregate {
            distinct: d,
            options,
            ..
        } = &mut expr
        {
            *d |= distinct;
            options.name = text("name");
        }
        Ok(expr)
    }
}
