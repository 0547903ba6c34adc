//! Lookups on a multi-column value (Django's `tuple_lookups`): a composite primary key, a
//! `ForeignObject` itself, or a reverse relation from a model keyed by several fields (its
//! key). `pk=(1, "A1")` / `product=(1, "A1")` is `("t"."store_id", "t"."sku") = (?, ?)`,
//! `pk__in=[...]` a row-value `IN` (of a queryset: over its key columns, or the fields a
//! `ForeignObject` points at), `pk__gt` & co. a row-value comparison, `pk__isnull` one test
//! per column; each value converted by its own field, a related lookup's single value taken
//! as a tuple of one, Django's ValueError for a value of the wrong shape, and Django's
//! subquery under a negation across a multi-valued relation; a None inside a value is NULL
//! (a row holding one is left out of an `IN` list). Compared with an expression, a key takes
//! an `OuterRef` only (a row comparison once nested), else Django's ValueError. `values()`
//! selects the same columns ([`Query::multi_column_cols`]), and `F('pk')` of a composite key
//! is them as one [`Expr::Tuple`] (Django's `ColPairs`).

use super::expr::{Connector, Expr, Lookup, LookupKind, Rhs, WhereNode};
use super::filter::Operand;
use super::lookups::{self, OutputField, Prepared};
use super::path;
use super::{Query, SelectItem, Sym};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::{FieldRef, ModelId, ReverseVia, Schema};
use crate::value::Value;

/// What a lookup's names end on when it compares several columns at once: the columns
/// `model.fields[fields]`, on the table `names[..joined]` reach; the names from `lookup` on
/// are the lookup. The name before them (`name`) is a composite `pk`, a `ForeignObject`, or
/// a reverse relation from a model keyed by several fields (its key).
struct TupleTarget<'n> {
    joined: usize,
    lookup: usize,
    model: ModelId,
    fields: Vec<usize>,
    /// The name Django's messages give it (`pk`, `product`).
    name: &'n str,
    /// A `ForeignObject`'s target model and fields, which a queryset value selects.
    related: Option<(ModelId, Vec<usize>)>,
}

/// The multi-column value `names` end on (before the lookup), if any.
fn tuple_target<'n>(schema: &Schema, model: ModelId, names: &[&'n str]) -> Option<TupleTarget<'n>> {
    if !schema.multi_column {
        return None;
    }
    for (at, &name) in names.iter().enumerate() {
        let model = if at == 0 {
            model
        } else {
            match path::names_to_path(schema, &names[..at], model, true, true) {
                Ok(n) if n.consumed == at => n.path.last().map_or(model, |p| p.to_model),
                _ => return None,
            }
        };
        let m = schema.model(model);
        if name == "pk" {
            let fields = m.composite_pk.clone();
            return (!fields.is_empty()).then_some(TupleTarget {
                joined: at,
                lookup: at + 1,
                model,
                fields,
                name,
                related: None,
            });
        }
        // Names across the relation (`product__name`) go on to the model it reaches.
        let crosses = |to: ModelId| {
            names
                .get(at + 1)
                .is_some_and(|&next| next == "pk" || schema.model(to).get_field(next).is_some())
        };
        match m.get_field(name) {
            Some(FieldRef::ForeignObject(i)) => {
                let fo = &m.foreign_objects[i];
                if crosses(fo.to) {
                    continue;
                }
                return Some(TupleTarget {
                    joined: at,
                    lookup: at + 1,
                    model,
                    fields: fo.pairs.iter().map(|p| p.0).collect(),
                    name,
                    related: Some((fo.to, fo.pairs.iter().map(|p| p.1).collect())),
                });
            }
            Some(FieldRef::Reverse(i)) if matches!(m.reverse[i].via, ReverseVia::ForeignKey(_)) => {
                let from = m.reverse[i].from;
                if !schema.model(from).composite_pk.is_empty() && !crosses(from) {
                    return Some(reverse_key(schema, from, at, name));
                }
            }
            Some(FieldRef::ForeignObjectReverse(i)) => {
                let from = m.foreign_object_reverse[i].from;
                if !schema.model(from).composite_pk.is_empty() && !crosses(from) {
                    return Some(reverse_key(schema, from, at, name));
                }
            }
            _ => {}
        }
    }
    None
}

/// A reverse relation (`names[at]`) from `from`, a model keyed by several fields: its key.
fn reverse_key<'n>(schema: &Schema, from: ModelId, at: usize, name: &'n str) -> TupleTarget<'n> {
    TupleTarget {
        joined: at + 1,
        lookup: at + 1,
        model: from,
        fields: schema.model(from).composite_pk.clone(),
        name,
        related: None,
    }
}

impl Query {
    /// `filter(pk=...)` (or `rel__pk=...`) where that `pk` is composite, or a lookup on a
    /// `ForeignObject` itself (`product=(1, "A1")`, `product__in=...`): the condition on the
    /// row value of its columns and the joins it used; `None` when the key names neither.
    pub(super) fn composite_pk_filter(
        &mut self,
        schema: &Schema,
        parts: &[&str],
        value: &Operand,
        can_reuse: &mut Vec<Sym>,
        (branch_negated, current_negated): (bool, bool),
    ) -> Result<Option<(WhereNode, Vec<Sym>)>> {
        let Some(target) = tuple_target(schema, self.model, parts) else {
            return Ok(None);
        };
        // Across a multi-valued relation under a negation: Django's subquery.
        if branch_negated
            && target.joined > 0
            && let Err(path::PathError::MultiJoin(nwp)) =
                path::names_to_path(schema, &parts[..target.joined], self.model, false, true)
        {
            let key = parts.join("__");
            return self
                .split_exclude(schema, &key, value, can_reuse, &nwp)
                .map(Some);
        }
        let (model, name) = (target.model, target.name);
        let lookup = match &parts[target.lookup..] {
            [] => "exact",
            [one] => *one,
            more => {
                return Err(Diagnostic::new(
                    ErrorKind::NotSupported,
                    format!(
                        "transforms of a multi-column value ({name}__{}) are not supported by djq yet",
                        more.join("__")
                    ),
                ));
            }
        };
        // Django joins across a `ForeignObject` too, then trims that join (the columns it
        // compares are this side's): its alias stays in the query, unused.
        let across = usize::from(target.related.is_some());
        let prefix = &parts[..target.joined + across];
        let (mut alias, mut joins) =
            self.tuple_joins(schema, prefix, Some(can_reuse.as_slice()))?;
        if across == 1 {
            let trimmed = joins.pop().expect("a join across the relation");
            self.unref_alias(&trimmed);
            alias = joins.last().unwrap_or(self.base_alias()).clone();
        }
        if !joins.is_empty() {
            self.lookup_joins.clone_from(&joins);
        }
        for j in &joins {
            if !can_reuse.contains(j) {
                can_reuse.push(j.clone());
            }
        }
        let cols: Vec<(Expr, OutputField)> = (target.fields.iter())
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
                // A reverse relation's own key (not its `pk`) is related too.
                let related = (target.related.clone())
                    .or_else(|| (name != "pk").then(|| (model, target.fields.clone())));
                match related {
                    // Django's `RelatedIn`: the related model's queryset selects the fields
                    // the relation points at, by name.
                    Some((to, fields)) if q.select.is_empty() && q.model == to => {
                        let base = q.base_alias().clone();
                        q.select = (fields.iter())
                            .map(|&i| SelectItem {
                                name: schema.model(to).fields[i].name.clone(),
                                expr: Expr::Col(path::col(schema, (to, i), &base)),
                                aliased: true,
                            })
                            .collect();
                        q.default_cols = false;
                    }
                    _ => q.select_pk_if_empty(schema),
                }
                if q.select.len() != cols.len() {
                    return Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "The QuerySet value for the 'in' lookup must have {} selected fields (received {})",
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
            // An expression: Django's tuple lookups compare with an `OuterRef` (the outer
            // query's columns once the queryset is nested) or a queryset, nothing else.
            Operand::F(f) if comparison(lookup).is_some() => {
                let e = self.resolve_f(schema, f, Some(can_reuse))?;
                let refuse = |what: String| {
                    Err(Diagnostic::new(
                        ErrorKind::Value,
                        format!(
                            "'{lookup}' subquery lookup of '{name}' {what} (received '{}')",
                            class_name(&e)
                        ),
                    ))
                };
                match comparison(lookup) {
                    Some(LookupKind::In) => return refuse("must be a Query object".into()),
                    Some(kind) if matches!(e, Expr::OuterRef { .. }) => {
                        WhereNode::Lookup(Box::new(Lookup {
                            lhs: Expr::Tuple(cols.into_iter().map(|(c, _)| c).collect()),
                            kind,
                            rhs: Rhs::Expr(e),
                        }))
                    }
                    _ => return refuse("only supports OuterRef and QuerySet objects".into()),
                }
            }
            // Django's `get_normalized_value`: a related lookup's single value is a tuple of
            // one.
            _ if target.related.is_some() && lookup != "isnull" => {
                let one = |v: &Operand| match v {
                    Operand::Value(_) => Operand::List(vec![v.clone()]),
                    v => v.clone(),
                };
                let value = match value {
                    Operand::List(items) if lookup == "in" => {
                        Operand::List(items.iter().map(one).collect())
                    }
                    v => one(v),
                };
                tuple_lookup(schema, (model, name), lookup, &cols, &value)?
            }
            _ => tuple_lookup(schema, (model, name), lookup, &cols, value)?,
        };
        let mut clause = WhereNode::and();
        clause.add(condition, Connector::And);
        // Django's `require_outer`: the joins stay LEFT OUTER (none are reported as needed).
        let isnull = |b: bool| lookup == "isnull" && *value == Operand::Value(Value::Bool(b));
        let require_outer = (isnull(true) && !current_negated)
            || (current_negated && (lookup != "isnull" || isnull(false)));
        Ok(Some((
            clause,
            if require_outer { Vec::new() } else { joins },
        )))
    }
}

impl Query {
    /// The joins across `names` (from the base table), and the alias they end on.
    fn tuple_joins(
        &mut self,
        schema: &Schema,
        names: &[&str],
        can_reuse: Option<&[Sym]>,
    ) -> Result<(Sym, Vec<Sym>)> {
        let base = self.base_alias().clone();
        self.ref_alias(&base);
        if names.is_empty() {
            return Ok((base, Vec::new()));
        }
        let names =
            path::names_to_path(schema, names, self.model, true, true).map_err(|e| match e {
                path::PathError::Field(d) => d,
                path::PathError::MultiJoin(_) => unreachable!("allow_many"),
            })?;
        let info = self.join_path(schema, names, &base, can_reuse)?;
        let alias = info.joins.last().cloned().unwrap_or(base);
        Ok((alias, info.joins))
    }

    /// The columns `name` selects when it names a multi-column value (a composite `pk`, a
    /// `ForeignObject`, a reverse relation from a model keyed by several fields), their
    /// joins made; `None` for any other name.
    pub fn multi_column_cols(&mut self, schema: &Schema, name: &str) -> Result<Option<Vec<Expr>>> {
        if !schema.multi_column {
            return Ok(None);
        }
        let parts: Vec<&str> = path::split_names(name).collect();
        let Some(target) = tuple_target(schema, self.model, &parts) else {
            return Ok(None);
        };
        if target.lookup != parts.len() {
            return Ok(None);
        }
        let (alias, _) = self.tuple_joins(schema, &parts[..target.joined], None)?;
        let cols = (target.fields.iter())
            .map(|&i| Expr::Col(path::col(schema, (target.model, i), &alias)))
            .collect();
        Ok(Some(cols))
    }

    /// The columns of the composite primary key `name` (`pk`, `rel__pk`) ends on, their
    /// joins made; `None` when it names no composite primary key.
    pub(super) fn composite_pk_cols(
        &mut self,
        schema: &Schema,
        name: &str,
    ) -> Result<Option<Vec<Expr>>> {
        if name != "pk" && !name.ends_with("__pk") {
            return Ok(None);
        }
        self.multi_column_cols(schema, name)
    }

    /// Does `name` (`pk`, `rel__pk`) name a composite primary key?
    pub fn names_composite_pk(&self, schema: &Schema, name: &str) -> bool {
        (name == "pk" || name.ends_with("__pk")) && self.composite_pk_first(schema, name).is_some()
    }

    /// `name` (`pk`, `rel__pk`, a reverse relation from a model keyed by several fields)
    /// naming a composite primary key, with that key replaced by its first field
    /// (`rel__store`, `comments__tenant`); `None` when it names none.
    pub(super) fn composite_pk_first(&self, schema: &Schema, name: &str) -> Option<String> {
        if !schema.multi_column {
            return None;
        }
        let parts: Vec<&str> = path::split_names(name).collect();
        let target = tuple_target(schema, self.model, &parts)?;
        if target.lookup != parts.len() || target.related.is_some() {
            return None;
        }
        let first = &schema.model(target.model).fields[*target.fields.first()?].name;
        let names = parts[..target.joined]
            .iter()
            .copied()
            .chain([first.as_str()]);
        Some(names.collect::<Vec<_>>().join("__"))
    }
}

/// The row-value comparison a tuple lookup makes (`isnull` is tests of each column).
fn comparison(lookup: &str) -> Option<LookupKind> {
    Some(match lookup {
        "exact" => LookupKind::Exact,
        "gt" => LookupKind::Gt,
        "gte" => LookupKind::Gte,
        "lt" => LookupKind::Lt,
        "lte" => LookupKind::Lte,
        "in" => LookupKind::In,
        _ => return None,
    })
}

/// The class Django's messages give a resolved expression (`ColPairs` for a composite
/// primary key's columns).
fn class_name(e: &Expr) -> &'static str {
    match e {
        Expr::Col(_) => "Col",
        Expr::Tuple(_) => "ColPairs",
        Expr::OuterRef { .. } => "ResolvedOuterRef",
        Expr::Value(_) => "Value",
        Expr::Func { func, .. } => func.name(),
        Expr::Aggregate { func, .. } => func.name(),
        Expr::Combined { .. } => "CombinedExpression",
        Expr::Case { .. } => "Case",
        Expr::Subquery(_) => "Subquery",
        Expr::Exists(_) => "Exists",
        _ => "Expression",
    }
}

/// The condition of `lookup` between the key's columns and `value`.
fn tuple_lookup(
    schema: &Schema,
    (model, name): (ModelId, &str),
    lookup: &str,
    cols: &[(Expr, OutputField)],
    value: &Operand,
) -> Result<WhereNode> {
    let lhs = Expr::Tuple(cols.iter().map(|(c, _)| c.clone()).collect());
    let shape = |what: String| {
        Diagnostic::new(
            ErrorKind::Value,
            format!("'{lookup}' lookup of '{name}' {what}"),
        )
    };
    let kind = match comparison(lookup) {
        Some(kind) => kind,
        None if lookup == "isnull" => {
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
        None => {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "the lookup '{lookup}' on {}.{name}, a multi-column value, is not supported by djq yet",
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
                // Django's `Value(None)`: NULL, compared as any other value.
                Operand::Value(Value::Null) => {
                    values.push(Expr::Value(Value::Null));
                    continue;
                }
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
                        "this value inside a composite primary key value is not supported by djq yet",
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
        let rows = rows
            .iter()
            .map(|r| row(r, true))
            .collect::<Result<Vec<_>>>()?;
        // Django's `TupleIn`: a row holding None matches nothing and is left out (none left:
        // the lookup matches nothing).
        let has_null =
            |r: &Expr| matches!(r, Expr::Tuple(v) if v.contains(&Expr::Value(Value::Null)));
        Rhs::List(rows.into_iter().filter(|r| !has_null(r)).collect())
    } else {
        Rhs::Expr(row(value, false)?)
    };
    Ok(WhereNode::Lookup(Box::new(Lookup { lhs, kind, rhs })))
}
