//! `values_list()`'s names (Django's `QuerySet.values_list`): field names, names given again
//! and expressions, each under the name it is selected as.

use super::Session;
use super::obj::{DjangoObj, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::FExpr;
use crate::value::Value;

impl Session {
    /// The names `values_list(*fields)` selects. A name given again is selected again as
    /// `F(name)`, an expression under its `default_alias` (`pages__sum`) or its class name
    /// (`f`), each with the first free number appended (`title1`, `f2`); both are annotated
    /// on `qs` under that name.
    pub(super) fn values_list_names(
        &mut self,
        qs: &mut QuerySet,
        args: &Args,
    ) -> Result<Vec<(String, Span)>> {
        // Django's `field_names`: each name and whether it is taken yet.
        let mut taken: Vec<(String, bool)> = Vec::new();
        for (o, _) in &args.pos {
            if let Obj::Value(Value::Text(s)) = o
                && !taken.iter().any(|(n, _)| n == s)
            {
                taken.push((s.clone(), false));
            }
        }
        let mut counter = 1;
        let mut fields = Vec::with_capacity(args.pos.len());
        for (o, span) in &args.pos {
            let (mut name, expression, seen) = match o {
                Obj::Value(Value::Text(s)) => {
                    let seen = taken.iter().any(|(n, t)| n == s && *t);
                    let again = FExpr::Ref {
                        name: s.clone(),
                        span: *span,
                    };
                    (s.clone(), seen.then_some(again), seen)
                }
                o if let Some(f) = o.f() => {
                    let name = f
                        .default_alias()
                        .unwrap_or_else(|| f.class_name().to_lowercase());
                    (name, Some(f.clone()), true)
                }
                other => {
                    return Err(Diagnostic::new(
                        ErrorKind::Type,
                        format!(
                            "values_list() arguments must be strings or expressions, not {}",
                            other.type_name()
                        ),
                    )
                    .at(*span));
                }
            };
            if seen {
                let prefix = name;
                loop {
                    name = format!("{prefix}{counter}");
                    if !taken.iter().any(|(n, _)| *n == name) {
                        break;
                    }
                    counter += 1;
                }
            }
            if let Some(e) = expression {
                qs.query
                    .add_annotation(&self.host.schema, &name, &e, true)
                    .map_err(|d| d.at(*span))?;
                qs.query.group_for_aggregate();
            }
            match taken.iter_mut().find(|(n, _)| *n == name) {
                Some((_, t)) => *t = true,
                None => taken.push((name.clone(), true)),
            }
            fields.push((name, *span));
        }
        Ok(fields)
    }
}
