"""Data for the djq field-features test app (app `fields`), loaded by tools/build_fixtures.py.

Hand-written and deterministic: UUIDs are given, the callable and database defaults that read
the clock (`edited`, `added`, `since`) are pinned. Primary keys of the integer-keyed models
follow list order (1-based).

Shape: Iceland's capital has no population (ordering puts it last); Nora has no home, no
mentor and no novel; "Quiet Hours" has no genre and no publication date; Mila follows Jonas but
not the other way round; friendships are symmetrical.
"""
from datetime import date, datetime, timezone
from decimal import Decimal
from uuid import UUID

UTC = timezone.utc
EDITED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
ADDED = datetime(2024, 6, 1, 8, 30, tzinfo=UTC)

# (code, name)
COUNTRIES = [("fr", "France"), ("IS", "Iceland"), ("de", "germany"), ("JP", "Japan")]

# (name, country code, population)
CITIES = [
    ("Paris", "fr", 2100000),
    ("Lyon", "fr", 520000),
    ("Reykjavik", "IS", None),
    ("Berlin", "de", 3600000),
    ("Kyoto", "JP", 1460000),
    ("Osaka", "JP", 2700000),
]

# (name, born, home city, mentor name)
PEOPLE = [
    ("Amelie", date(1970, 3, 2), "Paris", None),
    ("Jonas", date(1985, 7, 19), "Berlin", "Amelie"),
    ("Mila", date(1992, 11, 5), "Lyon", "Amelie"),
    ("Haruki", date(1949, 1, 12), "Kyoto", None),
    ("Sigrid", date(1990, 5, 30), "Reykjavik", "Haruki"),
    ("Nora", None, None, None),
]

# symmetrical pairs
FRIENDS = [("Amelie", "Jonas"), ("Jonas", "Mila"), ("Haruki", "Sigrid")]
# (follower, followed)
FOLLOWS = [("Mila", "Jonas"), ("Mila", "Amelie"), ("Sigrid", "Haruki"), ("Jonas", "Amelie")]

CLUBS = ["Chess", "Hiking", "Readers"]

# (club, person, role, since, invited by)
MEMBERSHIPS = [
    ("Readers", "Amelie", "chair", date(2015, 1, 10), None),
    ("Readers", "Mila", "member", date(2021, 4, 2), "Amelie"),
    ("Readers", "Haruki", "treasurer", date(2018, 9, 1), "Amelie"),
    ("Chess", "Jonas", "chair", date(2019, 2, 14), None),
    ("Chess", "Sigrid", "member", date(2022, 8, 8), "Jonas"),
    ("Hiking", "Sigrid", "member", date(2020, 6, 21), None),
]

# (uuid, label)
TAGS = [
    (UUID("0f5c0a4e-2a8b-4c1e-9d3a-1b2c3d4e5f60"), "classic"),
    (UUID("3c7e9b1a-5d2f-4e8a-b6c4-7d8e9f0a1b2c"), "debut"),
    (UUID("8a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"), "prize"),
    (UUID("c4d5e6f7-0819-4a2b-bc3d-4e5f60718293"), "translated"),
]

# (uuid, title, author, genre, priority, pages, score, price, reference, batch, status,
#  published, tags)
NOVELS = [
    (UUID("11111111-2222-4333-8444-555555555555"), "Blue Afternoon", "Amelie", "FIC", 2, 320, 7,
     Decimal("12.50"), "REF-1", UUID("aaaaaaaa-0000-4000-8000-000000000001"), "published",
     date(1998, 4, 1), ["classic", "prize"]),
    (UUID("22222222-3333-4444-8555-666666666666"), "The Last Ferry", "Amelie", "MYS", 3, 410, 9,
     Decimal("15.00"), "REF-2", UUID("aaaaaaaa-0000-4000-8000-000000000001"), "published",
     date(2005, 10, 12), ["prize"]),
    (UUID("33333333-4444-4555-8666-777777777777"), "Winter Lines", "Haruki", "POE", 1, 96, None,
     Decimal("8.25"), "REF-3", UUID("aaaaaaaa-0000-4000-8000-000000000002"), "published",
     date(1979, 6, 1), ["classic", "translated"]),
    (UUID("44444444-5555-4666-8777-888888888888"), "Quiet Hours", "Jonas", "", 2, 250, 5,
     Decimal("0.00"), "REF-0", UUID("aaaaaaaa-0000-4000-8000-000000000003"), "draft",
     None, []),
    (UUID("55555555-6666-4777-8888-999999999999"), "Glass Harbour", "Mila", "FIC", 3, 512, 8,
     Decimal("21.90"), "REF-5", UUID("aaaaaaaa-0000-4000-8000-000000000003"), "published",
     date(2021, 3, 15), ["debut"]),
    (UUID("66666666-7777-4888-8999-aaaaaaaaaaaa"), "Salt and Ash", "Sigrid", "MYS", 2, 288, 6,
     Decimal("13.40"), "REF-6", UUID("aaaaaaaa-0000-4000-8000-000000000004"), "published",
     date(2023, 9, 9), ["debut", "translated"]),
]
