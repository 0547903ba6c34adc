//! The arguments of Django's `JSONArray` and `JSONObject` as their `as_postgresql` casts
//! them: each of JSONArray's to its own output field (a `Cast` stays as it is), each of
//! JSONObject's keys to text. The casts print on PostgreSQL only ([`FuncKind::PgCast`]).

use super::Query;
use super::expr::{DbType, Expr};
use super::func::{FuncKind, db_type, type_class, value_class};
use crate::schema::{FieldKind, Schema};

impl Query {
    pub(super) fn json_func_args(
        &self,
        schema: &Schema,
        func: FuncKind,
        args: Vec<Expr>,
    ) -> Vec<Expr> {
        let cast = |ty: DbType, e: Expr| Expr::Func {
            func: FuncKind::PgCast(ty),
            output: e.value_type(),
            args: vec![e],
        };
        match func {
            FuncKind::JsonArray => args
                .into_iter()
                .map(|e| match e {
                    Expr::Func {
                        func: FuncKind::Cast(_),
                        ..
                    } => e,
                    e => match self.output_db_type(schema, &e) {
                        Some(ty) => cast(ty, e),
                        None => e,
                    },
                })
                .collect(),
            FuncKind::JsonObject => args
                .into_iter()
                .enumerate()
                .map(|(i, e)| match i % 2 {
                    0 => cast(db_type(FieldKind::TextField, None, None), e),
                    _ => e,
                })
                .collect(),
            _ => args,
        }
    }

    /// Django's `output_field` of a resolved expression, as a cast spells it (a column's
    /// field with its length and digits; a function of one source, the source's).
    fn output_db_type(&self, schema: &Schema, e: &Expr) -> Option<DbType> {
        match e {
            Expr::Col(c) => {
                let f = self.col_field(schema, c)?;
                Some(db_type(f.kind, f.max_length, f.decimal))
            }
            Expr::Ref { source, .. } | Expr::Parens(source) => self.output_db_type(schema, source),
            Expr::Value(v) => Some(db_type(value_class(v)?, None, None)),
            Expr::Func {
                func: FuncKind::Cast(ty) | FuncKind::PgCast(ty),
                ..
            } => Some(*ty),
            Expr::Func {
                func: FuncKind::JsonArray | FuncKind::JsonObject,
                ..
            } => Some(db_type(FieldKind::JsonField, None, None)),
            Expr::Func { args, output, .. }
                if args.first().is_some_and(|a| a.value_type() == *output) =>
            {
                self.output_db_type(schema, &args[0])
            }
            _ => Some(db_type(
                self.expr_class(schema, e)
                    .or_else(|| type_class(e.value_type()))?,
                None,
                None,
            )),
        }
    }
}
