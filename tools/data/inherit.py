"""Data for the djq inheritance test app (app `inherit`), loaded by tools/build_fixtures.py.

Hand-written and deterministic; primary keys follow creation order (1-based). Children are
created through their own model (`Cafe.objects.create(name=..., seats=...)`), which writes the
parent rows first, so a child's key is its parent row's id: the venues are created in list
order, plain venues, cafes, bakeries, theaters and markets interleaved.

Shape of the data, so the corpus and the scripts in fixtures/scripts/inherit/ can rely on it:
- members: ada, basho, cleo, dora (dora manages nothing, owns nothing, visits nothing);
- venues (id: kind): 1 Harbour Hall (plain), 2 Blue Cup (cafe, food, 24 seats), 3 Crumb & Co
  (bakery, food, 3 ovens), 4 Odeon (theater), 5 Night Owl (cafe, no food), 6 Flour Power
  (bakery, no food, 1 oven), 7 Saturday Market (market, sponsor Acme), 8 Rialto (theater),
  9 Corner Cafe (cafe, food, 48 seats, no manager), 10 Old Mill (plain), 11 Farmers Market
  (market, sponsor Bolt);
- visits on several days, some venues never visited.
"""
from datetime import date, datetime, timezone

UTC = timezone.utc

# (name, joined)
MEMBERS = [
    ("ada", date(2023, 5, 1)),
    ("basho", date(2023, 9, 12)),
    ("cleo", date(2024, 1, 20)),
    ("dora", date(2024, 6, 3)),
]

# (kind, fields); "manager" names a member
VENUES = [
    ("venue", {"name": "Harbour Hall", "city": "Lyon"}),
    ("cafe", {"name": "Blue Cup", "city": "Lyon", "serves_food": True, "seats": 24, "manager": "ada"}),
    ("bakery", {"name": "Crumb & Co", "city": "Paris", "serves_food": True, "seats": 12,
                "manager": "basho", "ovens": 3}),
    ("theater", {"name": "Odeon", "city": "Paris", "screens": 2}),
    ("cafe", {"name": "Night Owl", "city": "Nantes", "serves_food": False, "seats": 30, "manager": "cleo"}),
    ("bakery", {"name": "Flour Power", "city": "Lyon", "serves_food": False, "seats": 0,
                "manager": "ada", "ovens": 1}),
    ("market", {"name": "Saturday Market", "city": "Nantes", "brand": "Acme", "stalls": 40}),
    ("theater", {"name": "Rialto", "city": "Lyon", "screens": 5}),
    ("cafe", {"name": "Corner Cafe", "city": "Paris", "serves_food": True, "seats": 48}),
    ("venue", {"name": "Old Mill", "city": "Nantes"}),
    ("market", {"name": "Farmers Market", "city": "Paris", "brand": "Bolt", "stalls": 12}),
]

# (venue name, member name, day)
VISITS = [
    ("Blue Cup", "ada", date(2024, 3, 1)),
    ("Blue Cup", "basho", date(2024, 3, 2)),
    ("Crumb & Co", "cleo", date(2024, 3, 2)),
    ("Odeon", "ada", date(2024, 3, 5)),
    ("Harbour Hall", "basho", date(2024, 3, 7)),
    ("Saturday Market", "cleo", date(2024, 3, 9)),
    ("Corner Cafe", "ada", date(2024, 3, 10)),
    ("Flour Power", "basho", date(2024, 3, 11)),
    ("Rialto", "cleo", date(2024, 3, 12)),
]

# Bookings (a Visit's child): (venue, member, day, cafe, seats)
BOOKINGS = [
    ("Harbour Hall", "ada", date(2024, 4, 1), "Blue Cup", 2),
    ("Odeon", "basho", date(2024, 4, 2), "Crumb & Co", 4),
    ("Rialto", "ada", date(2024, 4, 3), "Crumb & Co", 1),
]

# (title, owner, created, modified, body)
MEMOS = [
    ("Opening hours", "ada", datetime(2024, 2, 1, 9, 0, tzinfo=UTC), None, "Open at nine."),
    ("Ovens", "basho", datetime(2024, 2, 3, 14, 30, tzinfo=UTC),
     datetime(2024, 2, 4, 8, 0, tzinfo=UTC), "Clean the ovens on Monday."),
    ("Stock", "ada", datetime(2024, 1, 15, 11, 0, tzinfo=UTC), None, "Order flour."),
    ("Screens", "cleo", datetime(2024, 2, 10, 18, 45, tzinfo=UTC), None, "Screen 2 flickers."),
]

# (title, owner, created, pages)
REPORTS = [
    ("Quarterly", "ada", datetime(2024, 3, 31, 17, 0, tzinfo=UTC), 12),
    ("Annual", "basho", datetime(2023, 12, 31, 17, 0, tzinfo=UTC), 40),
    ("Audit", "ada", datetime(2024, 1, 31, 12, 0, tzinfo=UTC), 7),
]
