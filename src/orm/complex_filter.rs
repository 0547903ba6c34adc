//! `QuerySet.complex_filter(filter_obj)` (a `Q` added as it is, a dict as `filter(**dict)`)
//! and `QuerySet.contains(obj)` (`filter(pk=obj.pk).exists()`, or the result cache when the
//! queryset was evaluated), with Django's checks and messages.

use super::Session;
use super::obj::{DjangoObj, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::syntax::ast::CmpOp;
use crate::value::Value;

impl Session {
    /// `qs.complex_filter(filter_obj)`.
    pub(super) fn complex_filter(&mut self, qs: &mut QuerySet, args: &Args) -> Result<()> {
        let span = args.span;
        let [(filter_obj, at)] = args.pos.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "QuerySet.complex_filter() missing 1 required positional argument: 'filter_obj'",
            )
            .at(span));
        };
        if let Some(q) = filter_obj.q() {
            return qs.query.add_q(&self.host.schema, q).map_err(|d| d.at(span));
        }
        let Obj::Dict(pairs) = filter_obj else {
            // Django first intersects it with the prohibited keywords, then makes `Q(**it)`.
            let t = filter_obj.type_name();
            let message = match filter_obj {
                Obj::List(_) | Obj::Tuple(_) | Obj::Set(_) | Obj::Value(Value::Text(_)) => {
                    format!(
                        "django.db.models.query_utils.Q() argument after ** must be a mapping, not {t}"
                    )
                }
                _ => format!("'{t}' object is not iterable"),
            };
            return Err(Diagnostic::new(ErrorKind::Type, message).at(*at));
        };
        let mut kw = Vec::new();
        for (k, v) in pairs.borrow().iter() {
            let Obj::Value(Value::Text(k)) = k else {
                return Err(Diagnostic::new(ErrorKind::Type, "keywords must be strings").at(*at));
            };
            kw.push((k.clone(), v.clone(), *at));
        }
        self.apply_filter(
            qs,
            false,
            Args {
                pos: Vec::new(),
                kw,
                span,
            },
        )
    }

    /// `qs.contains(obj)`; `cached`: the queryset's result cache.
    pub(super) fn contains(
        &mut self,
        qs: QuerySet,
        cached: Option<&[Obj]>,
        args: &Args,
    ) -> Result<bool> {
        let span = args.span;
        if let Some((c, _)) = qs.query.combinator {
            let op = format!("{c:?}").to_lowercase();
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!("Calling QuerySet.contains() after {op}() is not supported."),
            )
            .at(span));
        }
        if qs.kind != QsKind::Instances {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "Cannot call QuerySet.contains() after .values() or .values_list().",
            )
            .at(span));
        }
        let [(obj, at)] = args.pos.as_slice() else {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                "QuerySet.contains() missing 1 required positional argument: 'obj'",
            )
            .at(span));
        };
        let Some(instance) = obj.instance() else {
            return Err(
                Diagnostic::new(ErrorKind::Type, "'obj' must be a model instance.").at(*at),
            );
        };
        let schema = &self.host.schema;
        if schema.concrete_model(instance.model) != schema.concrete_model(qs.query.model) {
            return Ok(false);
        }
        let pk = self.attribute(obj.clone(), "pk", *at)?;
        if matches!(pk, Obj::Value(Value::Null)) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "QuerySet.contains() cannot be used on unsaved objects.",
            )
            .at(*at));
        }
        if let Some(items) = cached {
            for item in items {
                if self.compare(CmpOp::Eq, item, obj, *at)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let mut filtered = qs;
        self.apply_filter(
            &mut filtered,
            false,
            Args {
                pos: Vec::new(),
                kw: vec![("pk".into(), pk, *at)],
                span,
            },
        )?;
        self.exists(&filtered).map_err(|d| d.at(span))
    }
}
