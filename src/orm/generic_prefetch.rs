//! `django.contrib.contenttypes.prefetch.GenericPrefetch`: a GenericForeignKey's
//! `prefetch_related()` lookup with a queryset of its own for some content types
//! (`GenericPrefetch("content_object", [Bookmark.objects.filter(...), Note.objects.all()])`):
//! the objects of those types come from their queryset filtered on the wanted pks, the others
//! as a plain lookup loads them (Django's `GenericForeignKey.get_prefetch_querysets`).

use super::Session;
use super::obj::{DjangoObj, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::value::Value;
use std::borrow::Cow;

/// A `GenericPrefetch(lookup, querysets)` object, given to `prefetch_related()`.
#[derive(Debug)]
pub struct GenericPrefetch {
    pub lookup: String,
    pub querysets: Vec<QuerySet>,
}

impl crate::py::Native for GenericPrefetch {
    fn type_name(&self) -> Cow<'_, str> {
        "GenericPrefetch".into()
    }
    crate::native_any!();
}

impl Session {
    /// `GenericPrefetch(lookup, querysets, to_attr=None)`: querysets of model instances only.
    pub(super) fn new_generic_prefetch(&mut self, args: &Args) -> Result<Obj> {
        args.no_kwargs_except(&["lookup", "querysets", "to_attr"], "GenericPrefetch")?;
        let arg = |i: usize, name: &str| {
            (args.pos.get(i).map(|(o, _)| o.clone())).or_else(|| args.kwarg(name).cloned())
        };
        let (Some(lookup), Some(querysets)) = (arg(0, "lookup"), arg(1, "querysets")) else {
            let missing = match arg(0, "lookup") {
                Some(_) => "1 required positional argument: 'querysets'",
                None => "2 required positional arguments: 'lookup' and 'querysets'",
            };
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!("GenericPrefetch.__init__() missing {missing}"),
            )
            .at(args.span));
        };
        if arg(2, "to_attr").is_some_and(|o| !o.is_none()) {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "GenericPrefetch(to_attr=...) is not supported by djq yet",
            )
            .at(args.span));
        }
        let lookup = self.py_str(&lookup)?;
        let items = self.iter_obj(&querysets, &crate::py::args::dummy(args.span))?;
        let mut sets = Vec::with_capacity(items.len());
        for item in items {
            let Some(qs) = item.queryset() else {
                return Err(Diagnostic::new(
                    ErrorKind::Attribute,
                    format!("'{}' object has no attribute 'query'", item.type_name()),
                )
                .at(args.span));
            };
            if qs.kind != QsKind::Instances {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "Prefetch querysets cannot use raw(), values(), and values_list().",
                )
                .at(args.span));
            }
            sets.push((*qs).clone());
        }
        Ok(Obj::new_native(GenericPrefetch {
            lookup,
            querysets: sets,
        }))
    }

    /// A GenericPrefetch's querysets by the id of their model's content type (looked up in
    /// order, `for_concrete_model` as the GenericForeignKey says).
    pub(super) fn generic_prefetch_querysets(
        &mut self,
        p: &GenericPrefetch,
        for_concrete_model: bool,
    ) -> Result<Vec<(Value, QuerySet)>> {
        let mut by_type: Vec<(Value, QuerySet)> = Vec::new();
        for qs in &p.querysets {
            let model = qs.query.model;
            let ct = match for_concrete_model {
                true => self.content_type_for(model, Span::default())?,
                false => self.content_type_of(model, Span::default())?,
            };
            let id = ct.get("id").unwrap_or(Value::Null);
            if by_type.iter().any(|(c, _)| *c == id) {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "Only one queryset is allowed for each content type.",
                ));
            }
            by_type.push((id, qs.clone()));
        }
        Ok(by_type)
    }
}
