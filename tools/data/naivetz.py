"""Data for fixtures/projects/naivetz (app shifts; USE_TZ = False, TIME_ZONE = "Asia/Kolkata"),
loaded by tools/record_projects.py after `manage.py migrate`, in one transaction.

Hand-written and deterministic; primary keys follow list order (1-based). Datetimes are naive
(local Kolkata wall-clock time, as Django stores them with USE_TZ = False), several of them
close to midnight and to the ends of months and years, one with microseconds.
"""
from datetime import date, datetime, time

# (name, hired)
WORKERS = [("Asha", date(2023, 4, 1)), ("Vikram", date(2024, 2, 29)), ("Meera", date(2024, 12, 31))]

# (worker, kind, starts_at, ends_at, break_at, logged_on)
SHIFTS = [
    ("Asha", "M", datetime(2024, 1, 1, 6, 0), datetime(2024, 1, 1, 14, 0), time(10, 30), date(2024, 1, 1)),
    ("Asha", "N", datetime(2024, 2, 29, 22, 0), datetime(2024, 3, 1, 6, 0), time(2, 0), date(2024, 2, 29)),
    ("Vikram", "E", datetime(2024, 3, 31, 14, 0), datetime(2024, 3, 31, 22, 0), None, date(2024, 3, 31)),
    ("Vikram", "N", datetime(2024, 6, 30, 23, 30), None, time(3, 15, 30), date(2024, 7, 1)),
    ("Meera", "M", datetime(2024, 12, 31, 5, 29, 59, 999999), datetime(2024, 12, 31, 13, 30), time(9, 0), date(2024, 12, 31)),
    ("Meera", "N", datetime(2024, 12, 31, 23, 45), datetime(2025, 1, 1, 7, 45), None, date(2025, 1, 1)),
    ("Asha", "E", datetime(2025, 1, 6, 14, 15, 0, 123456), None, time(18, 0), date(2025, 1, 6)),
]


def load():
    from shifts.models import Shift, Worker

    workers = {name: Worker.objects.create(name=name, hired=hired) for name, hired in WORKERS}
    for worker, kind, starts_at, ends_at, break_at, logged_on in SHIFTS:
        Shift.objects.create(worker=workers[worker], kind=kind, starts_at=starts_at, ends_at=ends_at,
                             break_at=break_at, logged_on=logged_on)
