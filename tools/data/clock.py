"""Data for the djq time zone test app (app `clock`), loaded by tools/build_fixtures.py under
the project's default settings (USE_TZ = True, TIME_ZONE = "UTC"), so the SQLite file holds
UTC text and PostgreSQL timestamptz instants. Hand-written and deterministic.

Each row's `at` is an aware UTC instant chosen to fall on a different side of a boundary in
UTC, in America/New_York (EST -5, EDT -4: spring forward 2024-03-10 07:00 UTC, fall back
2024-11-03 06:00 UTC) and in Asia/Kolkata (+5:30); `day` and `time` are plain values.
"""
import datetime

UTC = datetime.timezone.utc


def at(*parts):
    return datetime.datetime(*parts, tzinfo=UTC)


# (name, at, day, time)
EVENTS = [
    ("before spring", at(2024, 3, 10, 6, 59, 59), datetime.date(2024, 3, 10), datetime.time(1, 59, 59)),
    ("after spring", at(2024, 3, 10, 7, 0, 0), datetime.date(2024, 3, 10), datetime.time(3, 0)),
    ("fall first", at(2024, 11, 3, 5, 30), datetime.date(2024, 11, 3), datetime.time(1, 30)),
    ("fall second", at(2024, 11, 3, 6, 30), datetime.date(2024, 11, 3), datetime.time(1, 30, 0, 500000)),
    ("utc midnight", at(2024, 6, 1, 0, 0), datetime.date(2024, 6, 1), datetime.time(0, 0)),
    ("late utc", at(2024, 6, 1, 23, 30), datetime.date(2024, 6, 1), datetime.time(23, 30)),
    ("kolkata july", at(2024, 6, 30, 19, 0), datetime.date(2024, 6, 30), datetime.time(19, 0)),
    ("year end", at(2024, 12, 31, 23, 59, 59, 500000), datetime.date(2024, 12, 31), datetime.time(23, 59, 59)),
    ("ny year end", at(2025, 1, 1, 4, 30), datetime.date(2025, 1, 1), datetime.time(4, 30)),
    ("iso week", at(2021, 1, 3, 3, 0), datetime.date(2021, 1, 3), datetime.time(3, 0)),
    ("no time", None, datetime.date(2024, 2, 29), datetime.time(12, 0)),
]
