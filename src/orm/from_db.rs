//! A field's own `from_db_value()`: a models.py field class that defines one (it or a base;
//! the schema names the class, `Field::from_db_value`) has it applied to each value the
//! database gives for the field, as Django's converters do — an instance's attribute (once,
//! on first read, then kept by the instance) and a `values()`/`values_list()` entry of the
//! queried model's own field. djq runs it in models.py's names with the field
//! (`_meta.get_field(...)`'s object), the value, `None` for the expression (djq has no
//! `Col` object) and `django.db.connection`.

use super::Session;
use super::meta::MetaField;
use super::modules::Connection;
use super::obj::{Instance, QsKind};
use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::py::{Args, Obj};
use crate::query::setup::Plan;
use crate::schema::ModelId;
use crate::value::Value;

/// The field (model, index) whose `from_db_value()` converts an entry, by the entry's place
/// among a row's entries.
pub(super) type Converters = Vec<(usize, (ModelId, usize))>;

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
        let Some(field) = self.converted_field(inst.model, attname) else {
            return Ok(None);
        };
        if let Some(o) = inst.converted(attname) {
            return Ok(Some(o));
        }
        let o = self.run_from_db_value(field, value.clone(), span)?;
        inst.set_converted(attname, o.clone());
        Ok(Some(o))
    }

    /// The entries of a `values()`/`values_list()` row of `plan` that a field's own
    /// `from_db_value()` converts (the queried model's fields, by name).
    pub(super) fn converters(&self, kind: &QsKind, model: ModelId, plan: &Plan) -> Converters {
        if *kind == QsKind::Instances {
            return Vec::new();
        }
        let mut names: Vec<&str> = (plan.columns[..plan.shown.min(plan.columns.len())].iter())
            .map(|c| &*c.name)
            .collect();
        // The columns of a composite key or ForeignObject are one entry.
        names.dedup();
        (names.into_iter().enumerate())
            .filter_map(|(at, name)| Some((at, self.converted_field(model, name)?)))
            .collect()
    }

    /// A `values()`/`values_list()` row with its `converters`' entries converted.
    pub(super) fn convert_entries(&mut self, row: Obj, converters: &Converters) -> Result<Obj> {
        let convert = |s: &mut Session, at: usize, o: Obj| -> Result<Obj> {
            match converters.iter().find(|(i, _)| *i == at) {
                Some(&(_, field)) if let Obj::Value(v) = o => {
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
