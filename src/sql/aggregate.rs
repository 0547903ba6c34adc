//! How each backend spells an aggregate's call: Django's `StringAgg.as_sqlite` (SQLite's
//! `GROUP_CONCAT`, as Django runs it on the SQLite this project records with, before 3.44:
//! no `ORDER BY` inside aggregates, `DISTINCT` only with the default `,` delimiter, which
//! is then left out), PostgreSQL's `STRING_AGG`, and `function=`.

use super::Dialect;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::query::agg_options::AggOptions;
use crate::query::expr::{AggFunc, Expr};
use crate::value::Value;

/// The function name and whether the delimiter is printed after the argument.
pub struct AggregateCall {
    pub function: String,
    pub delimiter: bool,
}

impl Dialect {
    pub fn aggregate_call(
        self,
        func: AggFunc,
        distinct: bool,
        options: &AggOptions<Expr>,
    ) -> Result<AggregateCall> {
        let sqlite = self == Dialect::Sqlite;
        if sqlite && !options.order_by.is_empty() {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                "This database backend does not support specifying an order on aggregates.",
            ));
        }
        let comma = matches!(&options.delimiter, Some(Expr::Value(Value::Text(d))) if d == ",");
        if sqlite && distinct && options.delimiter.is_some() && !comma {
            return Err(Diagnostic::new(
                ErrorKind::NotSupported,
                format!(
                    "{} does not support distinct with multiple expressions on this database backend.",
                    func.name()
                ),
            ));
        }
        let function = match (&options.function, func) {
            (Some(f), _) => f.clone(),
            (None, AggFunc::StringAgg) if sqlite => "GROUP_CONCAT".into(),
            (None, f) => f.sql().into(),
        };
        Ok(AggregateCall {
            function,
            delimiter: !(sqlite && distinct),
        })
    }
}
