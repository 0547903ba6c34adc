//! `QuerySet.dates()` and `datetimes()`: their checks, and the chain Django defines them as.

use super::Session;
use super::obj::{QuerySet, make};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::value::Value;

impl Session {
    /// `dates(field, kind, order='ASC')` / `datetimes(...)`: Django defines them as
    /// `annotate(datefield=Trunc(field, kind, output_field=DateField()), plain_field=F(field))
    /// .values_list('datefield', flat=True).distinct().filter(plain_field__isnull=False)
    /// .order_by('datefield')`, and so does djq — by running that very chain.
    pub(super) fn dates(&mut self, qs: QuerySet, datetimes: bool, args: &Args) -> Result<Obj> {
        let span = args.span;
        let method = if datetimes { "datetimes" } else { "dates" };
        args.no_kwargs_except(&["order", "tzinfo"], method)?;
        let missing = match args.pos.len() {
            0 => Some("2 required positional arguments: 'field_name' and 'kind'"),
            1 => Some("1 required positional argument: 'kind'"),
            _ => None,
        };
        if let Some(missing) = missing {
            let message = format!("QuerySet.{method}() missing {missing}");
            return Err(Diagnostic::new(ErrorKind::Type, message).at(span));
        }
        let text = |o: Option<&Obj>| match o {
            Some(Obj::Value(Value::Text(s))) => Some(s.clone()),
            _ => None,
        };
        let field = text(args.pos.first().map(|(o, _)| o));
        let kind = text(args.pos.get(1).map(|(o, _)| o));
        let order = text(
            args.pos
                .get(2)
                .map(|(o, _)| o)
                .or_else(|| args.kwarg("order")),
        )
        .unwrap_or_else(|| "ASC".into());
        let (Some(field), Some(kind)) = (field, kind) else {
            let message = "dates() takes a field name and a kind";
            return Err(Diagnostic::new(ErrorKind::Type, message).at(span));
        };
        let kinds: &[&str] = if datetimes {
            &["year", "month", "week", "day", "hour", "minute", "second"]
        } else {
            &["year", "month", "week", "day"]
        };
        if !kinds.contains(&kind.as_str()) {
            let message = if datetimes {
                "'kind' must be one of 'year', 'month', 'week', 'day', 'hour', 'minute', or 'second'."
            } else {
                "'kind' must be one of 'year', 'month', 'week', or 'day'."
            };
            return Err(Diagnostic::new(ErrorKind::Value, message).at(span));
        }
        if order != "ASC" && order != "DESC" {
            return Err(Diagnostic::new(
                ErrorKind::Value,
                "'order' must be either 'ASC' or 'DESC'.",
            )
            .at(span));
        }
        let (name, output) = if datetimes {
            ("datetimefield", "DateTimeField")
        } else {
            ("datefield", "DateField")
        };
        let desc = if order == "DESC" { "-" } else { "" };
        // datetimes(tzinfo=...) truncates in that zone.
        let tzinfo = args.kwarg("tzinfo").filter(|_| datetimes).cloned();
        let zone = if tzinfo.is_some() {
            ", tzinfo=__djq_tz"
        } else {
            ""
        };
        let chain = format!(
            "__djq_qs.annotate({name}=Trunc({field:?}, {kind:?}, output_field={output}(){zone}), plain_field=F({field:?}))\
             .values_list({name:?}, flat=True).distinct().filter(plain_field__isnull=False).order_by(\"{desc}{name}\")"
        );
        let expr = crate::syntax::parse_expression(&chain)?;
        let mut locals = crate::py::Names::from_iter([("__djq_qs".into(), make::queryset(qs))]);
        if let Some(tzinfo) = tzinfo {
            locals.insert("__djq_tz".into(), tzinfo);
        }
        let result = self.in_scope(locals, |s| s.eval(&expr));
        // Errors belong to the user's call, not to the chain spelled here.
        result.map_err(|mut d| {
            d.span = Some(span);
            d
        })
    }
}
