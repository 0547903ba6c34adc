//! `Meta.order_with_respect_to`: the hidden `_order` field (declared by the schema) numbered
//! when a row is inserted, as Django's `_save_table` does: one more than the largest among
//! the rows of the same foreign key value, 0 for the first; and the methods Django gives the
//! model the foreign key points at (`question.get_answer_order()`, `set_answer_order(ids)`).

use super::Session;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Result, Span};
use crate::py::{Args, Obj};
use crate::query::annotate::Aggregation;
use crate::query::expr::{AggFunc, Arith};
use crate::query::filter::FExpr;
use crate::query::func::FuncKind;
use crate::query::{Operand, QNode};
use crate::schema::ModelId;
use crate::value::Value;
use std::rc::Rc;

impl Session {
    /// Before inserting `inst` into `model`'s table: its `_order`, from Django's query
    /// (`aggregate(_order__max=Coalesce(Max('_order') + 1, 0))` over the base manager's rows
    /// of the same `wrt` value).
    pub(super) fn number_new_row(
        &mut self,
        inst: &Instance,
        model: ModelId,
        wrt: usize,
    ) -> Result<()> {
        let f = &self.host.schema.model(model).fields[wrt];
        let (name, value) = (
            f.name.clone(),
            inst.get(&f.attname()).unwrap_or(Value::Null),
        );
        let qs = self.base_queryset(model)?;
        let mut query = qs.query;
        query.add_q(&self.host.schema, &QNode::leaf(name, Operand::Value(value)))?;
        let span = Span::default();
        let max = FExpr::Aggregate {
            options: Box::default(),
            func: AggFunc::Max,
            arg: Some(Box::new(FExpr::Ref {
                name: "_order".into(),
                span,
            })),
            distinct: false,
            filter: None,
            default: None,
            span,
        };
        let next = FExpr::Func {
            func: FuncKind::Coalesce,
            args: vec![
                FExpr::Combined {
                    op: Arith::Add,
                    lhs: Box::new(max),
                    rhs: Box::new(FExpr::Value(Value::Int(1))),
                },
                FExpr::Value(Value::Int(0)),
            ],
            output: None,
            span,
        };
        let aggregation = query.aggregation(&self.host.schema, &[("_order__max".into(), next)])?;
        let row = match aggregation {
            Aggregation::Flat(q) => self.fetch_all(&QuerySet::new(q, QsKind::Values))?,
            Aggregation::Nested { inner, aggs } => self
                .fetch_aggregate_over(&inner, &aggs)?
                .into_iter()
                .collect(),
        };
        let order = match row.first() {
            Some(Obj::Dict(d)) => d.borrow().first().map(|(_, v)| v.clone()),
            _ => None,
        };
        let order = match order {
            Some(Obj::Value(v)) => v,
            _ => Value::Int(0),
        };
        inst.set("_order", order);
        Ok(())
    }

    /// What `get_<name>_order`/`set_<name>_order` is on `model`'s instances: (whether it
    /// sets, the ordered model, the index of its foreign key to `model`).
    pub(super) fn order_target(
        &self,
        model: ModelId,
        name: &str,
    ) -> Option<(bool, ModelId, usize)> {
        let (set, ordered_name) = match (name.strip_prefix("get_"), name.strip_prefix("set_")) {
            (Some(n), _) => (false, n.strip_suffix("_order")?),
            (_, Some(n)) => (true, n.strip_suffix("_order")?),
            _ => return None,
        };
        let schema = &self.host.schema;
        let owner = schema.concrete_model(model);
        schema.models.iter().enumerate().find_map(|(i, m)| {
            let wrt = m.order_wrt?;
            let to = m.fields[wrt].relation.as_ref()?.to;
            (to == owner && m.name.to_lowercase() == ordered_name).then_some((set, i, wrt))
        })
    }

    /// `question.get_answer_order()` (the `objects` queryset of the answers' pks, flat) and
    /// `question.set_answer_order(ids)` (their `_order` by position, one `bulk_update`), for
    /// each model ordered with respect to a foreign key to `inst`'s model; `None` for other
    /// names.
    pub(super) fn order_method(
        &mut self,
        inst: &Rc<Instance>,
        name: &str,
        args: &Args,
    ) -> Option<Result<Obj>> {
        let (set, ordered, wrt) = self.order_target(inst.model, name)?;
        let schema = &self.host.schema;
        let owner = schema.concrete_model(inst.model);
        let m = schema.model(ordered);
        let (fk, pk_name) = (m.fields[wrt].name.clone(), m.pk_field().name.clone());
        let owner_pk = schema.model(owner).pk_field().attname();
        let key = inst.get(&owner_pk).unwrap_or(Value::Null);
        let span = args.span;
        Some((|| {
            let mut qs = self.manager_queryset(ordered);
            (qs.query).add_q(&self.host.schema, &QNode::leaf(fk, Operand::Value(key)))?;
            let args_of = |pos: Vec<Obj>, kw: Vec<(&str, Obj)>| Args {
                pos: pos.into_iter().map(|o| (o, span)).collect(),
                kw: kw
                    .into_iter()
                    .map(|(k, o)| (k.to_string(), o, span))
                    .collect(),
                span,
            };
            if !set {
                args.no_kwargs_except(&[], name)?;
                let flat = args_of(
                    vec![Obj::str(pk_name.clone())],
                    vec![("flat", Obj::bool(true))],
                );
                return self.queryset_method(Rc::new(qs), "values_list", flat);
            }
            let [(ids, at)] = &args.pos[..] else {
                return Err(crate::diag::Diagnostic::new(
                    crate::diag::ErrorKind::Type,
                    format!(
                        "{name}() takes 1 positional argument but {} were given",
                        args.pos.len()
                    ),
                )
                .at(span));
            };
            let mut objs = Vec::new();
            let Some(ids) = ids.items() else {
                return Err(crate::diag::Diagnostic::new(
                    crate::diag::ErrorKind::Type,
                    format!(
                        "{name}() takes a list of primary keys, not '{}'",
                        ids.type_name()
                    ),
                )
                .at(*at));
            };
            for (order, id) in ids.into_iter().enumerate() {
                let made = args_of(
                    Vec::new(),
                    vec![(pk_name.as_str(), id), ("_order", Obj::int(order as i64))],
                );
                objs.push(super::obj::make::instance(
                    self.new_instance(ordered, &made)?,
                ));
            }
            let fields = Obj::list(vec![Obj::str("_order".to_string())]);
            self.queryset_method(
                Rc::new(qs),
                "bulk_update",
                args_of(vec![Obj::list(objs), fields], Vec::new()),
            )?;
            Ok(Obj::NONE)
        })())
    }
}
