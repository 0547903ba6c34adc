//! Lookups on a composite primary key (Django's `tuple_lookups`): `pk=(1, "A1")` is
//! `("t"."store_id", "t"."sku") = (?, ?)`, `pk__in=[...]` a row-value `IN`, `pk__gt` & co. a
//! row-value comparison, `pk__isnull` one test per column; each value converted by its own
//! field, and Django's ValueError for a value of the wrong shape.

use super::expr::{Connector, Expr, Lookup, LookupKind, Rhs, WhereNode};
use super::filter::Operand;
use super::lookups::{self, OutputField, Prepared};
use super::path;
use super::{Query, Sym};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::{ModelId, Schema};
use crate::value::Value;

impl Query {
    /// `filter(pk=...)` (or `rel__pk=...`) where that `pk` is composite: the condition and the
    /// joins it used; `None` when the key names no composite primary key.
    pub(super) fn composite_pk_filter(
        &mut self,
        schema: &Schema,
        parts: &[&str],
        value: &Operand,
        can_reuse: &mut Vec<Sym>,
    ) -> Result<Option<(WhereNode, Vec<Sym>)>> {
        let Some(at) = parts.iter().position(|p| *p == "pk") else {
            return Ok(None);
        };
        let model = if at == 0 {
            self.model
        } else {
            match path::names_to_path(schema, &parts[..at], self.model, true, true) {
                Ok(n) if n.consumed == at => n.path.last().map_or(self.model, |p| p.to_model),
                _ => return Ok(None),
            }
        };
        let key = schema.model(model).composite_pk.clone();
        if key.is_empty() {
            return Ok(None);
        }
        let lookup = match &parts[at + 1..] {
            [] => "exact",
            [one] => *one,
            more => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "transforms of a composite primary key (pk__{}) are not supported by djq yet",
                        more.join("__")
                    ),
                ));
            }
        };
        let base = self.base_alias().clone();
        self.ref_alias(&base);
        let (alias, joins) = if at == 0 {
            (base, Vec::new())
        } else {
            let info = self
                .setup_joins(
                    schema,
                    &parts[..at],
                    self.model,
                    &base,
                    Some(can_reuse),
                    true,
                )
                .map_err(|e| match e {
                    path::PathError::Field(d) => d,
                    path::PathError::MultiJoin(_) => unreachable!("allow_many"),
                })?;
            let alias = info.joins.last().cloned().unwrap_or(base);
            (alias, info.joins)
        };
        for j in &joins {
            if !can_reuse.contains(j) {
                can_reuse.push(j.clone());
            }
        }
        let cols: Vec<(Expr, OutputField)> = key
            .iter()
            .map(|&i| {
                let field = &schema.model(model).fields[i];
                let col = path::col(schema, (model, i), &alias);
                (Expr::Col(col), OutputField::of_field(field))
            })
            .collect();
        let condition = match value {
            // `pk__in=<queryset>`: a row-value IN over the subquery's key columns.
            Operand::Query(q) if lookup == "in" => {
                let mut q = (**q).clone();
                q.select_pk_if_empty(schema);
                if q.select.len() != cols.len() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "'in' subquery lookup of 'pk' must have {} fields (received {})",
                            cols.len(),
                            q.select.len()
                        ),
                    ));
                }
                if !q.is_sliced() {
                    q.clear_ordering(true, true);
                }
                let sub = self.as_subquery(schema, q)?;
                WhereNode::Lookup(Box::new(Lookup {
                    lhs: Expr::Tuple(cols.into_iter().map(|(c, _)| c).collect()),
                    kind: LookupKind::In,
                    rhs: Rhs::Expr(Expr::Subquery(Box::new(sub))),
                }))
            }
            _ => tuple_lookup(schema, model, lookup, &cols, value)?,
        };
        let mut clause = WhereNode::and();
        clause.add(condition, Connector::And);
        Ok(Some((clause, joins)))
    }
}

impl Query {
    /// `name` (`pk`, `rel__pk`) with a composite key's `pk` replaced by its first field
    /// (`rel__store`); `None` when it names no composite primary key.
    pub(super) fn composite_pk_first(&self, schema: &Schema, name: &str) -> Option<String> {
        let parts: Vec<String> = name.split("__").map(str::to_string).collect();
        let (last, prefix) = parts.split_last()?;
        if last != "pk" {
            return None;
        }
        let model = match prefix {
            [] => self.model,
            _ => {
                let n = path::names_to_path(schema, prefix, self.model, true, true).ok()?;
                n.path.last().map_or(self.model, |p| p.to_model)
            }
        };
        let m = schema.model(model);
        let first = m.fields[*m.composite_pk.first()?].name.to_string();
        Some(
            prefix
                .iter()
                .chain([&first])
                .cloned()
                .collect::<Vec<_>>()
                .join("__"),
        )
    }
}

/// The condition of `lookup` between the key's columns and `value`.
fn tuple_lookup(
    schema: &Schema,
    model: ModelId,
    lookup: &str,
    cols: &[(Expr, OutputField)],
    value: &Operand,
) -> Result<WhereNode> {
    let lhs = Expr::Tuple(cols.iter().map(|(c, _)| c.clone()).collect());
    let shape = |what: String| {
        Diagnostic::new(
            ErrorKind::Value,
            format!("'{lookup}' lookup of 'pk' {what}"),
        )
    };
    let kind = match lookup {
        "exact" => LookupKind::Exact,
        "gt" => LookupKind::Gt,
        "gte" => LookupKind::Gte,
        "lt" => LookupKind::Lt,
        "lte" => LookupKind::Lte,
        "in" => LookupKind::In,
        "isnull" => {
            let Operand::Value(Value::Bool(null)) = value else {
                return Err(Diagnostic::new(
                    ErrorKind::Value,
                    "The QuerySet value for an isnull lookup must be True or False.",
                ));
            };
            // Django's TupleIsNull: any column NULL, or none.
            let mut node = WhereNode::and();
            let connector = if *null { Connector::Or } else { Connector::And };
            let tests = cols.iter().map(|(c, _)| {
                WhereNode::Lookup(Box::new(Lookup {
                    lhs: c.clone(),
                    kind: LookupKind::IsNull,
                    rhs: Rhs::Bool(*null),
                }))
            });
            if let WhereNode::Node {
                connector: c,
                children,
                ..
            } = &mut node
            {
                *c = connector;
                children.extend(tests);
            }
            return Ok(node);
        }
        other => {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "the lookup '{other}' on the composite primary key of {} is not supported by djq yet",
                    schema.model(model).name
                ),
            ));
        }
    };
    // One tuple of values, each converted as its own field's lookup would convert it.
    let row = |items: &Operand, each: bool| -> Result<Expr> {
        let Operand::List(items) = items else {
            return Err(shape(if each {
                "must be a collection of tuples or lists".into()
            } else {
                "must be a tuple or a list".into()
            }));
        };
        if items.len() != cols.len() {
            let what = if each { " each" } else { "" };
            return Err(shape(format!("must have {} elements{what}", cols.len())));
        }
        let mut values = Vec::with_capacity(items.len());
        for ((col, out), item) in cols.iter().zip(items) {
            let v = match item {
                Operand::Value(v) => v.clone(),
                Operand::Instance(_, pk) => pk.clone(),
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "expressions inside a composite primary key value are not supported by djq yet",
                    ));
                }
            };
            let exact = ["exact"];
            let prepared = lookups::build_lookup(
                schema,
                &exact,
                (col.clone(), out.clone()),
                Prepared::Value(v),
            )?;
            match &prepared {
                WhereNode::Lookup(l) if let Rhs::Value(v) = &l.rhs => {
                    values.push(Expr::Value(v.clone()))
                }
                _ => {
                    return Err(Diagnostic::new(
                        ErrorKind::NotSupported,
                        "a None inside a composite primary key value is not supported by djq yet",
                    ));
                }
            }
        }
        Ok(Expr::Tuple(values))
    };
    let rhs = if kind == LookupKind::In {
        let Operand::List(rows) = value else {
            return Err(shape("must be a tuple or a list".into()));
        };
        Rhs::List(rows.iter().map(|r| row(r, true)).collect::<Result<_>>()?)
    } else {
        Rhs::Expr(row(value, false)?)
    };
    Ok(WhereNode::Lookup(Box::new(Lookup { lhs, kind, rhs })))
}
