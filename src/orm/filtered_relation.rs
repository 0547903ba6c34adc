//! `FilteredRelation(relation_name, *, condition=Q())` objects, and what `annotate()` and
//! `alias()` do with them (the query's side is `crate::query::filtered_relation`).

use super::Session;
use super::obj::{DjangoObj, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::query::QNode;
use crate::value::Value;
use crate::{native_any, native_equals};
use std::borrow::Cow;

/// A `FilteredRelation` object, given to `annotate()` or `alias()`.
#[derive(Debug, Clone, PartialEq)]
pub struct FilteredRelation {
    pub relation_name: String,
    pub condition: QNode,
}

impl crate::py::Native for FilteredRelation {
    fn type_name(&self) -> Cow<'_, str> {
        "FilteredRelation".into()
    }
    native_equals!();
    native_any!();
}

impl Session {
    /// `FilteredRelation(relation_name, *, condition=Q())`, with Django's checks.
    pub(super) fn filtered_relation_object(&mut self, args: &Args) -> Result<Obj> {
        let span = args.span;
        args.no_kwargs_except(&["relation_name", "condition"], "FilteredRelation.__init__")?;
        if args.pos.len() > 1 {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "FilteredRelation.__init__() takes 2 positional arguments but {} were given",
                    args.pos.len() + 1
                ),
            )
            .at(span));
        }
        let relation_name = match (
            args.pos.first().map(|(o, _)| o),
            args.kwarg("relation_name"),
        ) {
            (Some(_), Some(_)) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "FilteredRelation.__init__() got multiple values for argument 'relation_name'",
                )
                .at(span));
            }
            (Some(o), None) | (None, Some(o)) => o,
            (None, None) => {
                return Err(Diagnostic::new(
                    ErrorKind::Type,
                    "FilteredRelation.__init__() missing 1 required positional argument: 'relation_name'",
                )
                .at(span));
            }
        };
        let relation_name = match relation_name {
            Obj::Value(Value::Text(s)) if !s.is_empty() => s.to_string(),
            Obj::Value(Value::Text(_) | Value::Null) => {
                return Err(
                    Diagnostic::new(ErrorKind::Value, "relation_name cannot be empty.").at(span),
                );
            }
            other => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "FilteredRelation with a relation_name of type {} is not supported by djq yet",
                        other.type_name()
                    ),
                )
                .at(span));
            }
        };
        let condition = match args.kwarg("condition") {
            None => QNode::new(Vec::new(), Vec::new()),
            Some(o) if let Some(q) = o.q() => q.clone(),
            Some(_) => {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "condition argument must be a Q() instance.",
                )
                .at(span));
            }
        };
        Ok(Obj::new_native(FilteredRelation {
            relation_name,
            condition,
        }))
    }

    /// `annotate()`/`alias()`: the FilteredRelations among the keyword arguments added to
    /// the query; the other arguments are returned.
    pub(super) fn add_filtered_relations(&self, qs: &mut QuerySet, args: &Args) -> Result<Args> {
        let mut rest = Args {
            pos: args.pos.clone(),
            kw: Vec::with_capacity(args.kw.len()),
            span: args.span,
        };
        for (name, o, span) in &args.kw {
            let Some(fr) = o.native::<FilteredRelation>() else {
                rest.kw.push((name.clone(), o.clone(), *span));
                continue;
            };
            let schema = &self.host.schema;
            let m = schema.model(qs.query.model);
            if m.get_field(name).is_some() || m.fields.iter().any(|f| f.has_attname(name)) {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    format!("The annotation '{name}' conflicts with a field on the model."),
                )
                .at(*span));
            }
            super::extra::check_alias(name).map_err(|d| d.at(*span))?;
            qs.query
                .add_filtered_relation(schema, name, &fr.relation_name, &fr.condition)
                .map_err(|d| d.at(*span))?;
        }
        Ok(rest)
    }
}

/// `prefetch_related()` and `only()` refuse a name whose first part is a FilteredRelation's,
/// with Django's words.
pub(super) fn refuse_filtered<'a>(
    query: &crate::query::Query,
    names: impl IntoIterator<Item = &'a str>,
    method: &str,
) -> Result<()> {
    for name in names {
        let first = name.split("__").next().unwrap_or(name);
        if query.filtered_relations.iter().any(|f| *f.name == *first) {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!("{method}() is not supported with FilteredRelation."),
            ));
        }
    }
    Ok(())
}
