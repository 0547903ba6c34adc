//! `Meta.order_with_respect_to`: the hidden `_order` field (declared by the schema) numbered
//! when a row is inserted, as Django's `_save_table` does: one more than the largest among
//! the rows of the same foreign key value, 0 for the first.

use super::Session;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Result, Span};
use crate::py::Obj;
use crate::query::annotate::Aggregation;
use crate::query::expr::{AggFunc, Arith};
use crate::query::filter::FExpr;
use crate::query::func::FuncKind;
use crate::query::{Operand, QNode};
use crate::schema::ModelId;
use crate::value::Value;

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
}
