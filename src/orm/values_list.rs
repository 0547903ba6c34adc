//! `values_list()`'s names: an expression (`values_list(Upper('name'), flat=True)`) is
//! annotated under its `default_alias` (an aggregate's `name__count`) or its lowercased class
//! name, a field named again is selected again as `F(name)`, both with the first free number
//! appended (`upper1`, `title1`), as Django's `values_list` names them.

use super::Session;
use super::obj::{DjangoObj, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::Args;
use crate::query::FExpr;

impl Session {
    /// The names `values_list(*fields)` selects, its expressions annotated on `qs`.
    pub(super) fn values_list_fields(
        &mut self,
        qs: &mut QuerySet,
        args: &Args,
    ) -> Result<Vec<(String, Span)>> {
        // The field names, checked as `strings()` checks them.
        let plain = Args {
            pos: (args.pos.iter())
                .filter(|(o, _)| o.f().is_none())
                .cloned()
                .collect(),
            kw: Vec::new(),
            span: args.span,
        };
        let plain = plain.strings("values_list")?;
        // Django's `field_names`: each name given or made, and whether it was selected yet.
        let mut field_names: Vec<(String, bool)> =
            plain.iter().map(|(n, _)| (n.clone(), false)).collect();
        let mut plain = plain.into_iter();
        let mut counter = 1;
        let mut fields = Vec::with_capacity(args.pos.len());
        for (o, span) in &args.pos {
            let (mut name, expr) = match o.f() {
                Some(FExpr::Aggregate { .. }) => {
                    let f = o.f().expect("an expression");
                    let alias = f.default_alias().ok_or_else(|| {
                        Diagnostic::new(ErrorKind::Type, "Complex expressions require an alias")
                            .at(*span)
                    })?;
                    (alias, Some(f.clone()))
                }
                Some(f) => (f.class_name().to_lowercase(), Some(f.clone())),
                None => {
                    let (name, span) = plain.next().expect("a field name per plain argument");
                    let seen = field_names.iter().any(|(n, s)| *n == name && *s);
                    let again = seen.then(|| FExpr::Ref {
                        name: name.clone(),
                        span,
                    });
                    (name, again)
                }
            };
            if expr.is_some() {
                let prefix = name;
                name = loop {
                    let candidate = format!("{prefix}{counter}");
                    if !field_names.iter().any(|(n, _)| *n == candidate) {
                        break candidate;
                    }
                    counter += 1;
                };
            }
            if let Some(e) = &expr {
                qs.query
                    .add_annotation(&self.host.schema, &name, e, true)
                    .map_err(|d| d.at(*span))?;
                qs.query.group_for_aggregate();
            }
            match field_names.iter_mut().find(|(n, _)| *n == name) {
                Some((_, seen)) => *seen = true,
                None => field_names.push((name.clone(), true)),
            }
            fields.push((name, *span));
        }
        Ok(fields)
    }
}
