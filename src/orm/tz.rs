//! The project's time zone on the Python side: `django.utils.timezone`'s functions and
//! `settings.TIME_ZONE`/`USE_TZ` follow the session's [`TzConfig`] (held by the schema, so the
//! compiler and the backends read the same one), and the values of `Trunc` over datetimes are
//! made aware in the current zone as Django's `Trunc.convert_value` makes them.

use chrono::NaiveDateTime;

use super::Session;
use crate::diag::Result;
use crate::query::Expr;
use crate::query::func::FuncKind;
use crate::query::setup::Plan;
use crate::tz::TzConfig;
use crate::value::{Value, ValueType};

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

    /// The selected columns whose values Django's `Trunc.convert_value` makes aware in the
    /// current zone (a truncation to a datetime, with `USE_TZ`): the database gives their
    /// wall-clock time in that zone.
    pub(super) fn local_columns(&self, plan: &Plan) -> Vec<usize> {
        if !self.host.schema.tz.use_tz {
            return Vec::new();
        }
        (plan.columns.iter().enumerate())
            .filter(|(_, c)| {
                matches!(
                    c.expr,
                    Expr::Func {
                        func: FuncKind::Trunc(_),
                        output: ValueType::DateTime,
                        ..
                    }
                )
            })
            .map(|(i, _)| i)
            .collect()
    }
}

/// The values at `columns` of a row made aware in the zone (see [`Session::local_columns`]).
pub(super) fn localize(row: &mut [Value], columns: &[usize], tz: TzConfig) {
    for &i in columns {
        let wall: Option<NaiveDateTime> = match &row[i] {
            Value::DateTime(dt) => Some(dt.naive_utc()),
            Value::NaiveDateTime(dt) => Some(*dt),
            _ => None,
        };
        if let Some(aware) = wall.and_then(|wall| tz.field_value(wall)) {
            row[i] = aware;
        }
    }
}
