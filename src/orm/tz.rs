//! The project's time zone on the Python side: `django.utils.timezone`'s functions and
//! `settings.TIME_ZONE`/`USE_TZ` follow the session's [`TzConfig`] (held by the schema, so the
//! compiler and the backends read the same one), and the values of `Trunc` over datetimes are
//! made aware in the current zone as Django's `Trunc.convert_value` makes them.

use chrono::NaiveDateTime;

use super::Session;
use super::obj::DjangoFn;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::py::{Args, Obj};
use crate::query::Expr;
use crate::query::func::FuncKind;
use crate::query::setup::Plan;
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};

/// The current time zone as `timezone.get_current_timezone()` returns it: Python's
/// `zoneinfo.ZoneInfo`, whose `str()` is its key.
#[derive(Debug)]
pub struct ZoneInfo(pub &'static str);

impl crate::py::Native for ZoneInfo {
    fn type_name(&self) -> std::borrow::Cow<'_, str> {
        "ZoneInfo".into()
    }
    fn equals(&self, other: &dyn crate::py::Native) -> bool {
        other
            .as_any()
            .downcast_ref::<ZoneInfo>()
            .is_some_and(|o| o.0 == self.0)
    }
    crate::native_any!();
}

impl Session {
    /// Gives the session the project's `TIME_ZONE`/`USE_TZ`: call it once, right after
    /// [`Session::new`]. The compiler, the backend (PostgreSQL's connection time zone) and
    /// `django.utils.timezone` follow it from then on.
    pub fn set_time_zone(&mut self, tz: TzConfig) -> Result<()> {
        self.host.schema.tz = tz;
        match self.host.backend.as_mut() {
            Some(backend) => backend.set_time_zone(tz),
            None => Ok(()),
        }
    }

    /// `timezone.get_current_timezone()` (a `ZoneInfo` of `TIME_ZONE`) and
    /// `get_current_timezone_name()` (its key): djq has no `timezone.activate()`, so the
    /// current zone is always the default one.
    pub(super) fn current_timezone(&mut self, name_only: bool, args: &Args) -> Result<Obj> {
        let func = match name_only {
            true => "get_current_timezone_name",
            false => "get_current_timezone",
        };
        if let Some((_, span)) = args.pos.first() {
            return Err(Diagnostic::new(
                ErrorKind::Type,
                format!(
                    "{func}() takes 0 positional arguments but {} were given",
                    args.pos.len()
                ),
            )
            .at(*span));
        }
        args.no_kwargs_except(&[], func)?;
        let key = self.host.schema.tz.name();
        Ok(match name_only {
            true => Obj::str(key),
            false => Obj::new_native(ZoneInfo(key)),
        })
    }

    /// `django.utils.timezone`'s `now()`, `localtime()`, `make_aware()`, `make_naive()`,
    /// `is_aware()`, `is_naive()` in the current zone (`TIME_ZONE`; with `USE_TZ = False`
    /// `now()` is naive). A `timezone=` argument is a fixed offset
    /// (`datetime.timezone(...)`).
    pub(super) fn timezone_fn(&mut self, f: DjangoFn, args: &Args) -> Result<Obj> {
        let tz = self.host.schema.tz;
        let name = match f {
            DjangoFn::Now => "now",
            DjangoFn::LocalTime => "localtime",
            DjangoFn::MakeAware => "make_aware",
            DjangoFn::MakeNaive => "make_naive",
            DjangoFn::IsAware => "is_aware",
            _ => "is_naive",
        };
        args.no_kwargs_except(&["value", "timezone"], name)?;
        let error = |kind: ErrorKind, message: &str| {
            Err(Diagnostic::new(kind, message.to_string()).at(args.span))
        };
        let value = match args.pos.first().map(|(o, _)| o).or(args.kwarg("value")) {
            None | Some(Obj::Value(Value::Null)) if f == DjangoFn::LocalTime => tz.now(),
            Some(Obj::Value(v)) => v.clone(),
            None if f == DjangoFn::Now => tz.now(),
            _ => return error(ErrorKind::Type, &format!("{name}() takes a datetime")),
        };
        // The zone to convert to: the one given (a fixed offset), else the current one.
        let offset_at = |instant: chrono::DateTime<chrono::Utc>| -> Result<i32> {
            match args.pos.get(1).map(|(o, _)| o).or(args.kwarg("timezone")) {
                None | Some(Obj::Value(Value::Null)) => {
                    Ok(tz.localtime(instant).offset().local_minus_utc())
                }
                Some(o) => crate::py::stdlib::datetime::zone(o).ok_or_else(|| {
                    Diagnostic::new(
                        ErrorKind::NotSupported,
                        "djq supports a fixed offset (datetime.timezone(...)) as timezone= only",
                    )
                    .at(args.span)
                }),
            }
        };
        let aware = value.instant();
        Ok(Obj::Value(match f {
            DjangoFn::Now => value,
            DjangoFn::IsAware => Value::Bool(aware.is_some()),
            DjangoFn::IsNaive => Value::Bool(aware.is_none()),
            DjangoFn::LocalTime | DjangoFn::MakeNaive => {
                let Some(instant) = aware else {
                    return error(
                        ErrorKind::Value,
                        &format!("{name}() cannot be applied to a naive datetime"),
                    );
                };
                let local = Value::aware(instant, offset_at(instant)?).expect("an offset");
                match f {
                    DjangoFn::LocalTime => local,
                    _ => Value::NaiveDateTime(match local {
                        Value::OffsetDateTime(dt) => dt.naive_local(),
                        _ => instant.naive_utc(),
                    }),
                }
            }
            _ => {
                let Value::NaiveDateTime(naive) = value else {
                    return error(
                        ErrorKind::Value,
                        "Not naive datetime (tzinfo is already set)",
                    );
                };
                match args.pos.get(1).map(|(o, _)| o).or(args.kwarg("timezone")) {
                    None | Some(Obj::Value(Value::Null)) => {
                        let aware = tz.make_aware(naive);
                        Value::aware(aware.to_utc(), aware.offset().local_minus_utc())
                            .expect("an offset")
                    }
                    Some(_) => {
                        let offset = offset_at(naive.and_utc())?;
                        let utc = naive - chrono::TimeDelta::seconds(offset.into());
                        Value::aware(utc.and_utc(), offset).expect("an offset")
                    }
                }
            }
        }))
    }

    /// The selected columns whose values Django's `Trunc.convert_value` makes aware (a
    /// truncation to a datetime, with `USE_TZ`), with the zone the database gave their
    /// wall-clock time in: the truncation's own `tzinfo=`, else the current zone.
    pub(super) fn local_columns(&self, plan: &Plan) -> Vec<(usize, String)> {
        let Some(current) = self.host.schema.tz.sql_tzname() else {
            return Vec::new();
        };
        let trunc = |e: &Expr| {
            matches!(
                e,
                Expr::Func {
                    func: FuncKind::Trunc(_),
                    output: ValueType::DateTime,
                    ..
                }
            )
        };
        (plan.columns.iter().enumerate())
            .filter_map(|(i, c)| match &c.expr {
                e if trunc(e) => Some((i, current.to_string())),
                Expr::InZone { tzname, expr } if trunc(expr) => Some((i, tzname.clone())),
                _ => None,
            })
            .collect()
    }
}

/// The values at `columns` of a row made aware in their zones (see
/// [`Session::local_columns`]).
pub(super) fn localize(row: &mut [Value], columns: &[(usize, String)]) {
    for (i, tzname) in columns {
        let wall: Option<NaiveDateTime> = match &row[*i] {
            Value::DateTime(dt) => Some(dt.naive_utc()),
            Value::NaiveDateTime(dt) => Some(*dt),
            _ => None,
        };
        let aware = wall.and_then(|wall| crate::tz::make_aware_in(tzname, wall));
        if let Some(aware) =
            aware.and_then(|a| Value::aware(a.to_utc(), a.offset().local_minus_utc()))
        {
            row[*i] = aware;
        }
    }
}
