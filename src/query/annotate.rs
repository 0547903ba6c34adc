//! Annotations and aggregation: `annotate()`, `alias()`, `aggregate()` and the GROUP BY
//! they imply, as Django's `Query.add_annotation`, `set_group_by` and `get_aggregation`, and
//! the type an aggregate's values come back as (Django's converters by output field).

use super::expr::{AggFunc, Expr};
use super::filter::{FExpr, QNode};
use super::lookups::OutputField;
use super::{GroupBy, Query, SelectItem};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::schema::{FieldKind, Schema};
use crate::value::{Value, ValueType};

impl Query {
    /// Django's `_check_ordering_first_last_queryset_aggregation`: `first()`/`last()` of an
    /// unordered `values(...).annotate(...)` must find the model's primary key (every field
    /// of a composite one) among the GROUP BY columns, or it raises this TypeError.
    pub fn check_first_last_grouping(&self, schema: &Schema, method: &str) -> Result<()> {
        let GroupBy::Exprs(group_by) = &self.group_by else {
            return Ok(());
        };
        let m = schema.model(self.model);
        let base = self.base_alias();
        let pk = match m.composite_pk.as_slice() {
            [] => std::slice::from_ref(&m.pk),
            key => key,
        };
        let grouped = |i: &usize| {
            let column = &m.fields[*i].column;
            let is =
                |e: &Expr| matches!(e, Expr::Col(c) if c.alias == *base && *c.column == **column);
            group_by.iter().any(|e| match e {
                Expr::Tuple(cols) => cols.iter().any(is),
                e => is(e),
            })
        };
        match pk.iter().all(grouped) {
            true => Ok(()),
            false => Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "Cannot use QuerySet.{method}() on an unordered queryset performing \
                     aggregation. Add an ordering with order_by()."
                ),
            )),
        }
    }

    /// An annotation by name, selected or not.
    pub fn annotation(&self, name: &str) -> Option<&Expr> {
        self.annotations
            .iter()
            .chain(&self.hidden_annotations)
            .find(|a| a.name == name)
            .map(|a| &a.expr)
    }

    /// `annotate(name=expr)` (`select`) or `alias(name=expr)`.
    pub fn add_annotation(
        &mut self,
        schema: &Schema,
        name: &str,
        expr: &FExpr,
        select: bool,
    ) -> Result<()> {
        let m = schema.model(self.model);
        // Django checks against the values() names when there are some, else the fields
        // (`get_field` knows the attnames too).
        let conflict = if self.select.is_empty() {
            m.get_field(name).is_some()
        } else {
            self.select.iter().any(|s| s.name == name)
        };
        if conflict {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                format!("The annotation '{name}' conflicts with a field on the model."),
            ));
        }
        let resolved = self.resolve_f(schema, expr, None)?;
        let item = SelectItem {
            name: name.to_string(),
            expr: resolved,
            aliased: true,
        };
        self.annotations.retain(|a| a.name != name);
        self.hidden_annotations.retain(|a| a.name != name);
        if select {
            self.annotations.push(item);
        } else {
            self.hidden_annotations.push(item);
        }
        Ok(())
    }

    /// After annotating with an aggregate: group by every selected column of a model
    /// queryset, or by the `values()` columns (Django's `set_group_by`).
    pub fn group_for_aggregate(&mut self) {
        if !self
            .annotations
            .iter()
            .chain(&self.hidden_annotations)
            .any(|a| a.expr.contains_aggregate())
        {
            return;
        }
        self.group_by = if self.default_cols {
            GroupBy::All
        } else {
            // Aggregates selected by name (`values('num_books')`) are not grouped by; a
            // composite primary key's columns are one (Django's `ColPairs`).
            let mut exprs: Vec<Expr> = Vec::new();
            let mut prev: Option<&str> = None;
            for s in self.select.iter().filter(|s| !s.expr.contains_aggregate()) {
                let key = s.name == "pk" || s.name.ends_with("__pk");
                match exprs.last_mut() {
                    Some(last) if key && prev == Some(s.name.as_str()) => match last {
                        Expr::Tuple(cols) => cols.push(s.expr.clone()),
                        first => *first = Expr::Tuple(vec![first.clone(), s.expr.clone()]),
                    },
                    _ => exprs.push(s.expr.clone()),
                }
                prev = Some(&s.name);
            }
            for a in &self.annotations {
                if !a.expr.contains_aggregate() {
                    exprs.extend(a.expr.group_by_cols());
                }
            }
            GroupBy::Exprs(exprs)
        };
    }

    /// Django's `get_aggregation` for `aggregate(**aggs)` (and `count()`): the query whose
    /// single row holds the results.
    pub fn aggregation(&self, schema: &Schema, aggs: &[(String, FExpr)]) -> Result<Aggregation> {
        let existing = self
            .annotations
            .iter()
            .chain(&self.hidden_annotations)
            .any(|a| a.expr.contains_aggregate())
            || self.where_.contains_aggregate();
        // Django's `qualify` (filtering on windows) and `refs_window` (an aggregate over a
        // window annotation): both aggregate over a subquery.
        let qualify = self.where_.contains_over_clause();
        let windows: Vec<&str> = self
            .annotations
            .iter()
            .chain(&self.hidden_annotations)
            .filter(|a| a.expr.contains_over_clause())
            .map(|a| a.name.as_str())
            .collect();
        let refs_window = !windows.is_empty() && {
            let mut q = self.clone();
            q.summarize = true;
            let mut refs = Vec::new();
            for (_, e) in aggs {
                if let Ok(e) = q.resolve_f(schema, e, None) {
                    e.ref_names(&mut refs);
                }
            }
            refs.iter().any(|r| windows.contains(&r.as_str()))
        };
        if matches!(self.group_by, GroupBy::Exprs(_))
            || existing
            || self.is_sliced()
            || refs_window
            || qualify
            || self.distinct
            || self.combinator.is_some()
        {
            return self.nested_aggregation(schema, aggs, existing, qualify);
        }
        let mut q = self.clone();
        // The aggregates read the query's own (non-aggregate) annotations, resolved as
        // Django's summarize does (those values() selects, no aliases) and then inlined:
        // `annotate(n=Length('title')).aggregate(Max('n'))` is `MAX(LENGTH(title))`.
        q.summarize = true;
        let mut resolved: Vec<SelectItem> = Vec::with_capacity(aggs.len());
        for (name, expr) in aggs {
            // Django adds each aggregate as a summary annotation: later ones may read it
            // (`Coalesce('total', 0)`), but no aggregate may aggregate it.
            if let FExpr::Aggregate {
                func,
                arg: Some(arg),
                ..
            } = expr
                && let FExpr::Ref { name: r, .. } = &**arg
                && resolved.iter().any(|a| a.name == *r)
            {
                return Err(Diagnostic::field(format!(
                    "Cannot compute {}('{r}'): '{r}' is an aggregate",
                    func.name()
                )));
            }
            let mut e = q.resolve_f(schema, expr, None)?;
            check_aggregate(name, &e)?;
            // Django's `refs_subquery` and `refs_window`: an aggregate over an annotation
            // holding a subquery or a window reads it from the query as a subquery.
            let mut refs = Vec::new();
            e.ref_names(&mut refs);
            if refs.iter().any(|r| {
                self.annotation(r)
                    .is_some_and(|a| a.contains_subquery() || a.contains_over_clause())
            }) {
                return self.nested_aggregation(schema, aggs, existing, qualify);
            }
            e.inline_refs();
            let item = SelectItem {
                name: name.clone(),
                expr: e,
                aliased: true,
            };
            q.annotations.push(item.clone());
            resolved.push(item);
        }
        q.summarize = false;
        q.annotations = resolved;
        q.select.clear();
        q.mask_extra_select();
        q.default_cols = false;
        q.select_related = super::SelectRelated::None;
        // Django's get_aggregation locks no row, here nor in the nested query below.
        q.select_for_update = false;
        q.clear_ordering(true, true);
        Ok(Aggregation::Flat(q))
    }

    /// The aggregates over this query as a subquery: what it selects is what they read
    /// (`qualify`: the query filters on windows).
    fn nested_aggregation(
        &self,
        schema: &Schema,
        aggs: &[(String, FExpr)],
        existing: bool,
        qualify: bool,
    ) -> Result<Aggregation> {
        let mut inner = self.clone();
        inner.subquery = true;
        inner.select_related = super::SelectRelated::None;
        inner.select_for_update = false;
        if inner.orderby_issubset_groupby(schema) {
            inner.clear_ordering(false, true);
        }
        // Annotations are read by name from the subquery.
        inner.summarize = true;
        let mut resolved = Vec::with_capacity(aggs.len());
        for (name, expr) in aggs {
            let e = inner.resolve_f(schema, expr, None)?;
            check_aggregate(name, &e)?;
            resolved.push((name.clone(), e));
        }
        inner.summarize = false;
        if !inner.distinct {
            if inner.default_cols && existing {
                let base = inner.base_alias().clone();
                let pk = (inner.model, schema.model(inner.model).pk);
                inner.group_by =
                    GroupBy::Exprs(vec![Expr::Col(super::path::col(schema, pk, &base))]);
            }
            inner.default_cols = false;
            // Filtering on windows keeps every annotation (Django does not realias them).
            if inner.combinator.is_none() && !qualify {
                let mut wanted: Vec<String> = Vec::new();
                if let GroupBy::Exprs(exprs) = &inner.group_by {
                    exprs.iter().for_each(|e| e.ref_names(&mut wanted));
                }
                resolved.iter().for_each(|(_, e)| e.ref_names(&mut wanted));
                let (keep, masked): (Vec<_>, Vec<_>) = std::mem::take(&mut inner.annotations)
                    .into_iter()
                    .partition(|a| wanted.contains(&a.name) || !a.expr.group_by_cols().is_empty());
                inner.annotations = keep;
                // Django's set_annotation_mask replaces the mask: an annotation values() left
                // out is selected again when an aggregate reads it.
                let (unmasked, hidden): (Vec<_>, Vec<_>) =
                    std::mem::take(&mut inner.hidden_annotations)
                        .into_iter()
                        .partition(|a| {
                            wanted.contains(&a.name)
                                && !inner.select.iter().any(|s| s.name == a.name)
                                && !inner.annotations.iter().any(|k| k.name == a.name)
                        });
                inner.annotations.extend(unmasked);
                inner.hidden_annotations = hidden;
                inner.hidden_annotations.extend(masked);
                // So are the ones values() selects (Django's set_annotation_mask prunes them
                // from `selected`).
                let hidden = &inner.hidden_annotations;
                inner.select.retain(|s| {
                    !hidden.iter().any(|a| a.name == s.name)
                        || wanted.contains(&s.name)
                        || !s.expr.group_by_cols().is_empty()
                });
            }
        }
        // Columns the aggregates read are selected by the subquery as `__colN`.
        let mut cols: Vec<Expr> = Vec::new();
        let mut outer = Vec::with_capacity(resolved.len());
        for (name, mut e) in resolved {
            e.for_each_child_mut(&mut |c| c.repoint_cols(&mut cols));
            outer.push(SelectItem {
                name,
                expr: e,
                aliased: false,
            });
        }
        for (i, c) in cols.into_iter().enumerate() {
            inner.annotations.push(SelectItem {
                name: format!("__col{}", i + 1),
                expr: c,
                aliased: true,
            });
        }
        if inner.select.is_empty() && !inner.default_cols && inner.annotations.is_empty() {
            inner.select_pk_if_empty(schema);
        }
        Ok(Aggregation::Nested { inner, aggs: outer })
    }

    /// The type a selected expression's values come back as: its own, except that Django has
    /// no converter for an aggregate whose output field is an auto field or a foreign key
    /// (only `*IntegerField`s are made `int`), so it returns what the driver gives:
    /// PostgreSQL's `SUM(bigint)` is `numeric`, a `Decimal` (and so is a `Max` of it).
    pub fn result_type(&self, schema: &Schema, e: &Expr) -> ValueType {
        match e {
            Expr::Aggregate { .. }
                if matches!(
                    self.expr_class(schema, e),
                    Some(
                        FieldKind::AutoField
                            | FieldKind::BigAutoField
                            | FieldKind::SmallAutoField
                            | FieldKind::ForeignKey
                            | FieldKind::OneToOneField
                    )
                ) =>
            {
                ValueType::Any
            }
            Expr::Ref { source, .. } => self.result_type(schema, source),
            e => e.value_type(),
        }
    }

    /// Django's `orderby_issubset_groupby`: whether ordering a `values().annotate()` query
    /// only by what it groups by (then `aggregate()` over it drops the ordering). An
    /// `.asc()`/`.desc()` expression or `'?'` never is.
    fn orderby_issubset_groupby(&self, schema: &Schema) -> bool {
        let GroupBy::Exprs(group_by) = &self.group_by else {
            return true;
        };
        let mut q = self.clone();
        self.order_by.iter().all(|o| match o {
            super::OrderSpec::Expr { expr, bare, .. } => *bare && group_by.contains(expr),
            super::OrderSpec::Name { name, .. } => {
                name != "?"
                    && q.resolve_ref(schema, name.trim_start_matches('-'), None)
                        .is_ok_and(|e| group_by.contains(&e))
            }
        })
    }

    /// An aggregate's expression: its argument (whose own type is never asked for when the
    /// aggregate has an `output_field`: not `typed`), `FILTER (WHERE ...)` (joins it needs
    /// made LEFT OUTER, as Django's `Q.resolve_expression` does) and default.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn resolve_aggregate(
        &mut self,
        schema: &Schema,
        func: AggFunc,
        arg: Option<&FExpr>,
        typed: bool,
        distinct: bool,
        filter: Option<&QNode>,
        default: Option<&FExpr>,
    ) -> Result<Expr> {
        let arg = match arg {
            Some(FExpr::Ref { name, .. })
                if !self.summarize
                    && self.annotation(name).is_some_and(Expr::contains_aggregate) =>
            {
                return Err(Diagnostic::field(format!(
                    "Cannot compute {}('{name}'): '{name}' is an aggregate",
                    func.name()
                )));
            }
            // A composite primary key: `Count` counts its first column, as Django's does;
            // Django's other aggregates refuse it.
            Some(FExpr::Ref { name, span })
                if let Some(first) = self.composite_pk_first(schema, name) =>
            {
                let refuse = |m: String| Err(Diagnostic::new(ErrorKind::Value, m).at(*span));
                if func != AggFunc::Count {
                    return refuse(format!(
                        "{} expression does not support composite primary keys.",
                        func.name()
                    ));
                }
                if distinct {
                    return refuse("COUNT(DISTINCT) doesn't support composite primary keys".into());
                }
                let col = self.resolve_ref(schema, &first, None);
                Some(Box::new(col.map_err(|d| d.at(*span))?))
            }
            Some(a) => Some(Box::new(self.resolve_f_typed(schema, a, None, typed)?)),
            None => None,
        };
        let filter = match filter {
            Some(q) => Some(Box::new(self.resolve_condition(schema, q)?)),
            None => None,
        };
        let default = match default {
            Some(d) => Some(Box::new(self.resolve_f(schema, d, None)?)),
            None => None,
        };
        let mut agg = Expr::Aggregate {
            func,
            arg,
            distinct,
            filter,
            default,
            resolved: false,
            options: Box::default(),
        };
        // Django wraps a plain default in `Value(default, output_field=<the aggregate's>)`:
        // a decimal one is a Decimal, cast to NUMERIC on SQLite.
        let ty = agg.value_type();
        if let Expr::Aggregate {
            default: Some(d), ..
        } = &mut agg
            && let (Expr::Value(v), ValueType::Decimal { .. }) = (&**d, ty)
            && !matches!(v, Value::Null | Value::Decimal(_))
        {
            let v = super::lookups::prep_value(
                FieldKind::DecimalField,
                None,
                v.clone(),
                Default::default(),
            )?;
            **d = Expr::Func {
                func: super::func::FuncKind::Wrapper,
                args: vec![Expr::Value(v)],
                output: ty,
            };
        }
        Ok(agg)
    }
}

/// What `aggregate()` runs.
#[derive(Debug, Clone)]
pub enum Aggregation {
    /// One query whose annotations are the aggregates.
    Flat(Query),
    /// Django's `AggregateQuery`: `SELECT aggs FROM (inner) subquery`.
    Nested { inner: Query, aggs: Vec<SelectItem> },
}

/// `aggregate(name=expr)` needs an aggregate in `expr`.
fn check_aggregate(name: &str, e: &Expr) -> Result<()> {
    if e.contains_aggregate() {
        Ok(())
    } else {
        Err(Diagnostic::new(
            ErrorKind::Type,
            format!("{name} is not an aggregate expression"),
        ))
    }
}

impl Expr {
    /// Names of the annotations this expression refers to.
    fn ref_names(&self, out: &mut Vec<String>) {
        let mut e = self.clone();
        fn walk(e: &mut Expr, out: &mut Vec<String>) {
            match e {
                Expr::Ref { name, .. } => out.push(name.clone()),
                other => other.for_each_child_mut(&mut |c| walk(c, out)),
            }
        }
        walk(&mut e, out);
    }

    /// Whether a subquery is inside: Django's `contains_subquery`.
    fn contains_subquery(&self) -> bool {
        let mut found = matches!(self, Expr::Subquery(_) | Expr::Exists(_));
        if !found {
            self.clone()
                .for_each_child_mut(&mut |c| found |= c.contains_subquery());
        }
        found
    }

    /// References to annotations replaced by the annotations' expressions.
    fn inline_refs(&mut self) {
        match self {
            Expr::Ref { source, .. } => {
                let mut inner = std::mem::replace(&mut **source, Expr::One);
                inner.inline_refs();
                *self = inner;
            }
            other => other.for_each_child_mut(&mut |c| c.inline_refs()),
        }
    }

    /// Replace columns (outside annotation references) by references to `__colN`
    /// selections of the subquery, numbered in `cols`.
    fn repoint_cols(&mut self, cols: &mut Vec<Expr>) {
        match self {
            Expr::Col(_) => {
                let i = match cols.iter().position(|c| c == self) {
                    Some(i) => i,
                    None => {
                        cols.push(self.clone());
                        cols.len() - 1
                    }
                };
                *self = Expr::Ref {
                    name: format!("__col{}", i + 1),
                    source: Box::new(self.clone()),
                };
            }
            Expr::Ref { .. } | Expr::Subquery(_) | Expr::Exists(_) => {}
            other => other.for_each_child_mut(&mut |c| c.repoint_cols(cols)),
        }
    }
}

impl FExpr {
    /// Django's `default_alias`: `pages__avg` for `Avg('pages')`, `Count__sum` for
    /// `Sum(Count('id'))`; none for an aggregate with a filter or of anything else.
    pub fn default_alias(&self) -> Option<String> {
        let FExpr::Aggregate {
            func,
            arg: Some(arg),
            filter: None,
            options,
            ..
        } = self
        else {
            return None;
        };
        // StringAgg's delimiter is a second source expression; the Aggregate class has no
        // name unless a class defined in the session gives one.
        let name = match (&options.name, func) {
            (Some(n), _) => n.as_str(),
            (None, AggFunc::StringAgg | AggFunc::Aggregate) => return None,
            (None, f) => f.name(),
        };
        let inner = match &**arg {
            FExpr::Ref { name, .. } => name.clone(),
            FExpr::Aggregate { func, .. } => func.name().to_string(),
            _ => return None,
        };
        Some(format!("{inner}__{}", name.to_lowercase()))
    }

    /// The Django class the expression is an instance of (`Upper`, `F`, `Window`).
    pub fn class_name(&self) -> String {
        match self {
            FExpr::Func {
                func: super::func::FuncKind::Wrapper,
                args,
                ..
            } if matches!(args.as_slice(), [FExpr::Value(_)]) => "Value".into(),
            FExpr::Func { func, args, .. } => {
                let generic =
                    matches!(args.get(1), Some(FExpr::Value(v)) if super::func::is_kind_arg(v));
                func.class_name(generic)
            }
            FExpr::Ref { .. } => "F".into(),
            FExpr::Value(_) => "Value".into(),
            FExpr::Combined { .. } => "CombinedExpression".into(),
            FExpr::Case { .. } => "Case".into(),
            FExpr::Window { .. } => "Window".into(),
            FExpr::Subquery { exists: true, .. } => "Exists".into(),
            FExpr::Subquery { .. } => "Subquery".into(),
            FExpr::Condition(_) => "Q".into(),
            FExpr::OrderBy { .. } => "OrderBy".into(),
            FExpr::Aggregate { func, .. } => func.name().to_string(),
            FExpr::WindowFunc { func, .. } => func.name().to_string(),
            FExpr::OuterRef { .. } => "OuterRef".into(),
            FExpr::When(_) => "When".into(),
            FExpr::Negated(_) => "NegatedExpression".into(),
            FExpr::Frame(f) => if f.rows { "RowRange" } else { "ValueRange" }.into(),
        }
    }
}

/// The output field of an annotation, for lookups against it.
pub fn output_field(expr: &Expr) -> OutputField {
    OutputField::of_type(expr.value_type())
}
