"""Data for the djq managers test app (app `managers`), loaded by tools/build_fixtures.py.

Hand-written and deterministic; primary keys follow list order (1-based). Loaded through the
plain managers (`Writer.everyone`, `Title.objects`, `Series.objects`, `Magazine.everything`),
so no manager's narrowing hides a row.

Shape: writers 3 (Hugo Marsh) and 5 (Ines Calder) are inactive; titles 4, 7 and 10 are not
available; series 2 and magazine 2 are archived; magazine 2 has issues.
"""
from decimal import Decimal

# (name, active)
WRITERS = [
    ("Ada Brook", True),
    ("Basil Grey", True),
    ("Hugo Marsh", False),
    ("Iris Vane", True),
    ("Ines Calder", False),
]

# (writer, name, year, pages, price, available)
TITLES = [
    ("Ada Brook", "Harbour Lights", 1932, 280, Decimal("8.50"), True),
    ("Ada Brook", "The Long Tide", 1948, 412, Decimal("12.00"), True),
    ("Ada Brook", "Salt and Iron", 1961, 356, Decimal("9.99"), True),
    ("Basil Grey", "Paper Moons", 1927, 198, Decimal("6.25"), False),
    ("Basil Grey", "A Field of Clocks", 1975, 520, Decimal("15.00"), True),
    ("Hugo Marsh", "Northern Rooms", 1940, 305, Decimal("7.75"), True),
    ("Hugo Marsh", "The Quiet Mill", 1952, 240, Decimal("11.40"), False),
    ("Iris Vane", "Glass Orchard", 2003, 330, Decimal("14.20"), True),
    ("Iris Vane", "Winter Ledger", 2011, 610, Decimal("18.90"), True),
    ("Ines Calder", "Cold Harvest", 1938, 265, Decimal("5.00"), False),
    ("Ines Calder", "Lanterns", 1999, 290, Decimal("9.00"), True),
]

# (name, archived, writers)
SERIES = [
    ("Harbour Cycle", False, ["Ada Brook", "Hugo Marsh"]),
    ("Clockwork", True, ["Basil Grey"]),
    ("Orchard Years", False, ["Iris Vane", "Ines Calder", "Ada Brook"]),
]

# (name, archived)
MAGAZINES = [
    ("Tidewater Review", False),
    ("The Lamp", True),
    ("Ledger Quarterly", False),
]

# (magazine, number)
ISSUES = [
    ("Tidewater Review", 1),
    ("Tidewater Review", 2),
    ("The Lamp", 1),
    ("The Lamp", 2),
    ("Ledger Quarterly", 1),
]
