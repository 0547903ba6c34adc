//! A field's own `from_db_value()`: a models.py field class that defines one (it or a base;
//! the schema names the class, `Field::from_db_value`) has it applied to each value the
//! database gives for the field, as Django's converters do — an instance's attribute (once,
//! on first read, then kept by the instance), a `values()`/`values_list()` entry of the
//! field, and an annotation or aggregate whose output field is the field (a column of it,
//! `Max`/`Min`/`Sum` of one). djq runs it in models.py's names with the field
//! (`_meta.get_field(...)`'s object), the value, `None` for the expression (djq has no
//! `Col` object) and `django.db.connection`.

use super::Session;
use super::meta::MetaField;
use super::modules::Connection;
use super::obj::{Instance, QsKind, QuerySet};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::expr::AggFunc;
use crate::query::setup::{Plan, PlanCol};
use crate::query::{Expr, Query};
use crate::schema::ModelId;
use crate::value::Value;

/// The field (model, index) whose `from_db_value()` converts an entry, by the entry's place
/// among a row's entries, with its name.
pub(super) type Converters = Vec<(usize, String, (ModelId, usize))>;

impl Session {
    /// The field of model `m` (or of a multi-table parent) named or attnamed `name`, if its
    /// class defines its own `from_db_value()`.
    pub(super) fn converted_field(&self, m: ModelId, name: &str) -> Option<(ModelId, usize)> {
        let schema = &self.host.schema;
        schema.concrete_fields(m).into_iter().find(|&(o, i)| {
            let f = &schema.model(o).fields[i];
            f.from_db_value.is_some() && (f.name == name || f.has_attname(name))
        })
    }

    /// `field.from_db_value(value, None, connection)` of field `i` of model `m`.
    pub(super) fn run_from_db_value(
        &mut self,
        (m, i): (ModelId, usize),
        value: Value,
        span: Span,
    ) -> Result<Obj> {
        let field = &self.host.schema.model(m).fields[i];
        let class = field.from_db_value.clone().unwrap_or_default();
        let found = self
            .model_module(m)
            .and_then(|scope| scope.names.borrow().get(&*class).cloned());
        let Some(class @ Obj::Class(_)) = found else {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "{class}.from_db_value() cannot be run by djq: its class is not models.py's"
                ),
            )
            .at(span));
        };
        let method = self.attribute(class, "from_db_value", span)?;
        let args = [
            Obj::new_native(MetaField::Concrete(m, i)),
            Obj::Value(value),
            Obj::NONE,
            Obj::new_native(Connection),
        ];
        self.call(
            method,
            Args {
                pos: args.into_iter().map(|a| (a, span)).collect(),
                kw: Vec::new(),
                span,
            },
        )
    }

    /// Instance attribute `attname` as its field's own `from_db_value()` makes it (the same
    /// object each time); `None`: its field has none.
    pub(super) fn converted_attribute(
        &mut self,
        inst: &Instance,
        attname: &str,
        value: &Value,
        span: Span,
    ) -> Result<Option<Obj>> {
        if let Some(o) = inst.converted(attname) {
            return Ok(Some(o));
        }
        let Some(field) = self.converted_field(inst.model, attname) else {
            return Ok(None);
        };
        let o = self.run_from_db_value(field, value.clone(), span)?;
        inst.set_converted(attname, o.clone());
        Ok(Some(o))
    }

    /// The field whose own `from_db_value()` Django applies to what expression `e` of query
    /// `q` reads: a column of that field, and `Max`/`Min`/`Sum` of one (whose output field
    /// is their source's).
    fn output_field(&self, q: &Query, e: &Expr) -> Option<(ModelId, usize)> {
        match e {
            Expr::Col(c) => {
                let table = (q.tables.iter())
                    .find(|t| t.alias == c.alias)
                    .map_or(&*c.alias, |t| &*t.table);
                let schema = &self.host.schema;
                (schema.models.iter().enumerate())
                    .filter(|(_, m)| m.table == table)
                    .find_map(|(m, model)| {
                        (model.fields.iter())
                            .position(|f| f.from_db_value.is_some() && f.column == *c.column)
                            .map(|i| (m, i))
                    })
            }
            Expr::Aggregate {
                func: AggFunc::Max | AggFunc::Min | AggFunc::Sum,
                arg: Some(arg),
                default: None,
                options,
                ..
            } if options.output.is_none() => self.output_field(q, arg),
            Expr::Parens(e) => self.output_field(q, e),
            _ => None,
        }
    }

    /// The entries of a row of `plan` that a field's own `from_db_value()` converts: of a
    /// `values()`/`values_list()` row, each such column; of an instance, its annotations
    /// (its fields convert when read, [`Session::converted_attribute`]).
    pub(super) fn converters(&self, qs: &QuerySet, plan: &Plan) -> Converters {
        if !self.has_from_db_value() {
            return Vec::new();
        }
        let mut columns: Vec<&PlanCol> = plan.columns[..plan.shown.min(plan.columns.len())]
            .iter()
            .collect();
        // The columns of a composite key or ForeignObject are one entry.
        columns.dedup_by(|a, b| a.name == b.name);
        let model = qs.query.model;
        let instances = qs.kind == QsKind::Instances;
        (columns.into_iter().enumerate())
            .filter(|(_, c)| !instances || !self.is_field(model, &c.name))
            .filter_map(|(at, c)| {
                let field = (self.converted_field(model, &c.name))
                    .filter(|_| !instances)
                    .or_else(|| self.output_field(&qs.query, &c.expr))?;
                Some((at, c.name.to_string(), field))
            })
            .collect()
    }

    /// Whether any field of the schema has its own `from_db_value()` (else no row needs
    /// converting).
    pub(super) fn has_from_db_value(&self) -> bool {
        (self.host.schema.models.iter()).any(|m| m.fields.iter().any(|f| f.from_db_value.is_some()))
    }

    /// Whether `name` is a concrete field's name or attname of model `m` (or a parent's).
    fn is_field(&self, m: ModelId, name: &str) -> bool {
        let schema = &self.host.schema;
        (schema.concrete_fields(m).into_iter())
            .any(|(o, i)| schema.model(o).fields[i].has_attname(name))
    }

    /// Apply `converters` to the objects of a query's rows.
    pub(super) fn convert_rows(&mut self, objs: &mut [Obj], converters: &Converters) -> Result<()> {
        for o in objs {
            if let Some(inst) = o.native::<Instance>() {
                for (_, name, field) in converters {
                    let value = inst.get(name).unwrap_or(Value::Null);
                    let converted = self.run_from_db_value(*field, value, Span::default())?;
                    inst.set_converted(name, converted);
                }
            } else {
                *o = self.convert_entries(std::mem::replace(o, Obj::NONE), converters)?;
            }
        }
        Ok(())
    }

    /// A `values()`/`values_list()` row with its `converters`' entries converted.
    fn convert_entries(&mut self, row: Obj, converters: &Converters) -> Result<Obj> {
        let convert = |s: &mut Session, at: usize, o: Obj| -> Result<Obj> {
            match converters.iter().find(|(i, ..)| *i == at) {
                Some(&(_, _, field)) if let Obj::Value(v) = o => {
                    s.run_from_db_value(field, v, Span::default())
                }
                _ => Ok(o),
            }
        };
        Ok(match row {
            Obj::Dict(pairs) => {
                let pairs = pairs.borrow().clone();
                let mut out = Vec::with_capacity(pairs.len());
                for (at, (k, v)) in pairs.into_iter().enumerate() {
                    out.push((k, convert(self, at, v)?));
                }
                Obj::dict(out)
            }
            Obj::Row(fields) => {
                let mut out = Vec::with_capacity(fields.len());
                for (at, (k, v)) in fields.iter().cloned().enumerate() {
                    out.push((k, convert(self, at, v)?));
                }
                Obj::row(out)
            }
            Obj::Tuple(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (at, v) in items.iter().cloned().enumerate() {
                    out.push(convert(self, at, v)?);
                }
                Obj::tuple(out)
            }
            scalar => convert(self, 0, scalar)?,
        })
    }
}
