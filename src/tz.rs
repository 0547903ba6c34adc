//! Django's `TIME_ZONE` and `USE_TZ`: the one value ([`TzConfig`]) that carries them into a
//! session, and the conversions Django makes with them (`make_aware`, `localtime`).
//!
//! A session gets it when it is made (`Schema::tz`, set before the session starts; the
//! default is Django's `startproject` setting, `USE_TZ = True` in UTC), and every layer reads
//! it from there: the SQL compiler (the zone of `__date`, `__year`, ..., `Trunc*`,
//! `Extract*`, `dates()`/`datetimes()`, and of naive datetimes given as values), the backends
//! (PostgreSQL's connection time zone, how datetimes are read back) and the Python side
//! (`django.utils.timezone`, `settings.TIME_ZONE`).
//!
//! Ambiguous and missing local times resolve as Python's `zoneinfo` does with `fold=0`:
//! the earlier of two, and the offset before a gap.

use chrono::{DateTime, FixedOffset, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Tz;

use crate::value::Value;

/// The project's `USE_TZ` and `TIME_ZONE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TzConfig {
    pub use_tz: bool,
    pub zone: Tz,
}

impl Default for TzConfig {
    /// `USE_TZ = True`, `TIME_ZONE = "UTC"`.
    fn default() -> TzConfig {
        TzConfig {
            use_tz: true,
            zone: Tz::UTC,
        }
    }
}

impl TzConfig {
    /// The settings' `TIME_ZONE` (an IANA name) and `USE_TZ`; an unknown zone is Django's
    /// start-up error.
    pub fn new(time_zone: &str, use_tz: bool) -> Result<TzConfig, String> {
        let zone =
            zone(time_zone).ok_or_else(|| format!("Incorrect timezone setting: {time_zone}"))?;
        Ok(TzConfig { use_tz, zone })
    }

    /// `TIME_ZONE` as written in the IANA database (`America/New_York`).
    pub fn name(self) -> &'static str {
        self.zone.name()
    }

    /// The zone Django's date functions convert to (`get_tzname()` without `tzinfo`): the
    /// current zone with `USE_TZ`, none without.
    pub fn sql_tzname(self) -> Option<&'static str> {
        self.use_tz.then(|| self.zone.name())
    }

    /// `timezone.make_aware(naive)` in the current zone.
    pub fn make_aware(self, naive: NaiveDateTime) -> DateTime<FixedOffset> {
        make_aware(self.zone, naive)
    }

    /// A naive datetime as a DateTimeField's value (Django's `get_prep_value`): made aware
    /// in the current zone with `USE_TZ` (an aware value at offset zero is a
    /// [`Value::DateTime`]), kept naive without.
    pub fn field_value(self, naive: NaiveDateTime) -> Option<Value> {
        if !self.use_tz {
            return Some(Value::NaiveDateTime(naive));
        }
        let aware = self.make_aware(naive);
        Value::aware(aware.to_utc(), aware.offset().local_minus_utc())
    }

    /// `timezone.now()`: an aware UTC datetime with `USE_TZ`, else the wall-clock time in
    /// `TIME_ZONE` (Django runs the process in it).
    pub fn now(self) -> Value {
        let now = Utc::now();
        match self.use_tz {
            true => Value::DateTime(now),
            false => Value::NaiveDateTime(self.wall_clock(now)),
        }
    }

    /// The wall-clock time of an instant in `TIME_ZONE` (what Python's `datetime.now()` and
    /// `date.today()` read in a process Django runs in it).
    pub fn wall_clock(self, instant: DateTime<Utc>) -> NaiveDateTime {
        instant.with_timezone(&self.zone).naive_local()
    }

    /// `timezone.localtime(aware)`: the instant in the current zone.
    pub fn localtime(self, instant: DateTime<Utc>) -> DateTime<FixedOffset> {
        instant.with_timezone(
            &self
                .zone
                .offset_from_utc_datetime(&instant.naive_utc())
                .fix(),
        )
    }
}

/// The zone an IANA name (or `UTC`) names.
pub fn zone(name: &str) -> Option<Tz> {
    name.parse().ok()
}

/// `naive` made aware in the zone Django's date functions name (`get_tzname()`): an IANA
/// zone, or a fixed offset `UTC+05:30` (a `datetime.timezone`'s name). `None` for a name
/// neither reads.
pub fn make_aware_in(tzname: &str, naive: NaiveDateTime) -> Option<DateTime<FixedOffset>> {
    if let Some(zone) = zone(tzname) {
        return Some(make_aware(zone, naive));
    }
    let offset = tzname.strip_prefix("UTC")?;
    let (sign, hm) = match offset.split_at_checked(1)? {
        ("+", hm) => (1, hm),
        ("-", hm) => (-1, hm),
        _ => return None,
    };
    let (h, m) = hm.split_once(':').unwrap_or((hm, "0"));
    let seconds = sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60);
    let offset = FixedOffset::east_opt(seconds)?;
    Some(
        (naive - TimeDelta::seconds(seconds.into()))
            .and_utc()
            .with_timezone(&offset),
    )
}

/// `naive` as a wall-clock time in `zone`, made aware as `zoneinfo` does with `fold=0`: of an
/// ambiguous time the earlier instant, a time inside a gap at the offset before the gap.
pub fn make_aware(zone: Tz, naive: NaiveDateTime) -> DateTime<FixedOffset> {
    use chrono::LocalResult;
    let offset = match zone.offset_from_local_datetime(&naive) {
        LocalResult::Single(o) | LocalResult::Ambiguous(o, _) => o.fix(),
        LocalResult::None => {
            // The offset in force a day before: the one before the gap.
            let before = naive - TimeDelta::days(1);
            zone.offset_from_utc_datetime(&before).fix()
        }
    };
    (naive - TimeDelta::seconds(offset.local_minus_utc().into()))
        .and_utc()
        .with_timezone(&offset)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
    }

    #[test]
    fn make_aware_resolves_folds_and_gaps_as_zoneinfo() {
        let ny = zone("America/New_York").unwrap();
        // fall back: 01:30 happens twice; fold=0 is the first (EDT).
        assert_eq!(
            make_aware(ny, naive("2024-11-03 01:30:00")).to_rfc3339(),
            "2024-11-03T01:30:00-04:00"
        );
        // spring forward: 02:30 does not exist; fold=0 takes the offset before (EST).
        assert_eq!(
            make_aware(ny, naive("2024-03-10 02:30:00")).to_rfc3339(),
            "2024-03-10T02:30:00-05:00"
        );
        let tz = TzConfig::new("Asia/Kolkata", false).unwrap();
        assert_eq!(
            tz.localtime(naive("2024-06-30 19:00:00").and_utc())
                .to_rfc3339(),
            "2024-07-01T00:30:00+05:30"
        );
        assert_eq!(tz.sql_tzname(), None);
        assert_eq!(
            TzConfig::new("Mars/Olympus", true).unwrap_err(),
            "Incorrect timezone setting: Mars/Olympus"
        );
    }
}
