//! TIME_ZONE and USE_TZ (issue 17) on the Python side and in writes: a session given the
//! project's settings (`Session::set_time_zone`) answers `django.utils.timezone` and
//! `settings` in that zone, and stores naive datetimes as Django does (made aware in the
//! zone with `USE_TZ`, kept as they are without). The queries themselves are held to
//! Django's recordings by the tz_ny and tz_naive conformance corpora (tests/conformance.rs).

mod support;

use djq::orm::Session;
use djq::tz::TzConfig;
use support::output::Output;

/// A session on a scratch copy of the clock fixture, in `zone` with `use_tz`.
fn clock(zone: &str, use_tz: bool) -> (Session, Output, tempfile::TempDir) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("clock.sqlite3");
    std::fs::copy(support::root().join("fixtures/clock/clock.sqlite3"), &db).unwrap();
    let backend = djq::backend::connect(&db.display().to_string(), false).unwrap();
    let (mut s, out) = support::session(backend, &["fixtures/clock/clock/models.py"]);
    s.set_time_zone(TzConfig::new(zone, use_tz).unwrap())
        .unwrap();
    s.run("import datetime\nfrom django.utils import timezone\nfrom django.conf import settings")
        .unwrap();
    (s, out, dir)
}

fn printed(s: &mut Session, out: &Output, code: &str) -> String {
    out.clear();
    s.run(code)
        .unwrap_or_else(|d| panic!("{code}: {}", d.message));
    out.text().trim_end().to_string()
}

#[test]
fn timezone_functions_follow_time_zone_with_use_tz() {
    let (mut s, out, _dir) = clock("America/New_York", true);
    assert_eq!(
        printed(&mut s, &out, "print(settings.TIME_ZONE, settings.USE_TZ)"),
        "America/New_York True"
    );
    assert_eq!(
        printed(&mut s, &out, "print(timezone.is_aware(timezone.now()))"),
        "True"
    );
    // Summer and winter offsets, and the first of two 01:30s when the clocks fall back.
    let cases = [
        (
            "timezone.localtime(datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc))",
            "2024-05-31 20:00:00-04:00",
        ),
        (
            "timezone.localtime(datetime.datetime(2024, 12, 1, tzinfo=datetime.timezone.utc))",
            "2024-11-30 19:00:00-05:00",
        ),
        (
            "timezone.make_aware(datetime.datetime(2024, 11, 3, 1, 30))",
            "2024-11-03 01:30:00-04:00",
        ),
        (
            "timezone.make_naive(datetime.datetime(2024, 6, 1, tzinfo=datetime.timezone.utc))",
            "2024-05-31 20:00:00",
        ),
    ];
    for (expr, shown) in cases {
        assert_eq!(
            printed(&mut s, &out, &format!("print({expr})")),
            shown,
            "{expr}"
        );
    }
    let err = s
        .run("timezone.localtime(datetime.datetime(2024, 6, 1))")
        .unwrap_err();
    assert_eq!(
        err.message,
        "localtime() cannot be applied to a naive datetime"
    );
}

#[test]
fn naive_datetimes_are_made_aware_in_time_zone_when_saved() {
    let (mut s, out, _dir) = clock("America/New_York", true);
    // 03:00 on the day the clocks spring forward is 07:00 UTC; a filter finds it as it was
    // given, and the database holds UTC.
    s.run("Event.objects.create(name='x', at=datetime.datetime(2024, 3, 10, 3, 0), day=datetime.date(2024, 3, 10), time=datetime.time(3, 0))")
        .unwrap();
    assert_eq!(
        printed(
            &mut s,
            &out,
            "print(Event.objects.get(name='x').at, Event.objects.filter(at=datetime.datetime(2024, 3, 10, 3, 0), name='x').count())"
        ),
        "2024-03-10 07:00:00+00:00 1"
    );
}

#[test]
fn use_tz_false_keeps_datetimes_naive() {
    let (mut s, out, _dir) = clock("Asia/Kolkata", false);
    assert_eq!(
        printed(&mut s, &out, "print(settings.TIME_ZONE, settings.USE_TZ)"),
        "Asia/Kolkata False"
    );
    assert_eq!(
        printed(&mut s, &out, "print(timezone.is_naive(timezone.now()))"),
        "True"
    );
    let err = s.run("timezone.localtime()").unwrap_err();
    assert_eq!(
        err.message,
        "localtime() cannot be applied to a naive datetime"
    );
    s.run("Event.objects.create(name='x', at=datetime.datetime(2024, 3, 10, 3, 0), day=datetime.date(2024, 3, 10), time=datetime.time(3, 0))")
        .unwrap();
    assert_eq!(
        printed(&mut s, &out, "print(repr(Event.objects.get(name='x').at))"),
        "datetime.datetime(2024, 3, 10, 3, 0)"
    );
    // SQLite has no zone to keep an aware datetime in without USE_TZ: Django refuses it.
    let err = s
        .run("Event.objects.create(name='y', at=datetime.datetime(2024, 3, 10, 3, 0, tzinfo=datetime.timezone.utc), day=datetime.date(2024, 3, 10), time=datetime.time(3, 0))")
        .unwrap_err();
    assert_eq!(
        err.message,
        "SQLite backend does not support timezone-aware datetimes when USE_TZ is False."
    );
}

/// On PostgreSQL without USE_TZ the session runs in TIME_ZONE (as Django sets it on
/// connect): timestamptz values read back as naive wall-clock times there, and naive values
/// written are taken in it.
#[test]
fn postgres_sessions_run_in_time_zone_without_use_tz() {
    let Some(pg) = support::pg::server() else {
        support::skip("no PostgreSQL server available");
        return;
    };
    let url = pg.database_from_file("fixtures/clock/clock.postgres.sql");
    let backend = djq::backend::connect(&url, false).unwrap();
    let (mut s, out) = support::session(backend, &["fixtures/clock/clock/models.py"]);
    s.set_time_zone(TzConfig::new("Asia/Kolkata", false).unwrap())
        .unwrap();
    s.run("import datetime").unwrap();
    // 2024-06-30 19:00 UTC is 00:30 the next day in Kolkata.
    assert_eq!(
        printed(
            &mut s,
            &out,
            "print(repr(Event.objects.get(name='kolkata july').at))"
        ),
        "datetime.datetime(2024, 7, 1, 0, 30)"
    );
    s.run("Event.objects.create(name='x', at=datetime.datetime(2024, 3, 10, 3, 0), day=datetime.date(2024, 3, 10), time=datetime.time(3, 0))")
        .unwrap();
    assert_eq!(
        printed(
            &mut s,
            &out,
            "print(repr(Event.objects.get(name='x').at), Event.objects.filter(at__hour=3, name='x').count())"
        ),
        "datetime.datetime(2024, 3, 10, 3, 0) 1"
    );
    drop(s);
    pg.drop_database(&url);
}
