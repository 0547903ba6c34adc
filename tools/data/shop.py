"""Data for the djq shop test app (app `shop`), loaded by tools/build_fixtures.py.

Hand-written and deterministic; primary keys follow list order (1-based). The
auto_now_add/auto_now timestamps are pinned to TIMESTAMPS after loading (QuerySet.update()
leaves auto_now alone), so the fixture holds no "now".

Shape of the data, so the write scripts in fixtures/scripts/shop/ can rely on it:
- categories: Books, Electronics, Phones (child of Electronics), Garden, Clearance (no products);
- supplier 3 (Idle Imports) has no products; carrier 1 is the default ("Standard post");
- product 6 (Garden hose) is in no order; products 1 and 5 have no tags;
- customer 3 (Chidi Okafor) has no orders; order 2 has a review (RESTRICT), order 4 none.
"""
from datetime import datetime, timedelta, timezone

UTC = timezone.utc

# (name, parent name)
CATEGORIES = [
    ("Books", None),
    ("Electronics", None),
    ("Phones", "Electronics"),
    ("Garden", None),
    ("Clearance", None),
]

SUPPLIERS = ["Acme Books", "Volt Trading", "Idle Imports"]

CARRIERS = ["Standard post", "Express", "Courier"]

TAGS = ["gift", "sale", "new"]

# (name, sku, price_cents, in_stock, category, supplier or None, tags)
PRODUCTS = [
    ("Pride and Prejudice", "BK-001", 1299, True, "Books", "Acme Books", []),
    ("Dune", "BK-002", 1550, True, "Books", "Acme Books", ["gift", "new"]),
    ("Headphones", "EL-001", 8900, True, "Electronics", "Volt Trading", ["sale"]),
    ("Smartphone X", "PH-001", 69900, False, "Phones", "Volt Trading", ["new", "gift"]),
    ("Phone case", "PH-002", 1999, True, "Phones", None, []),
    ("Garden hose", "GD-001", 2450, True, "Garden", "Volt Trading", ["sale"]),
]

# (name, email)
CUSTOMERS = [
    ("Ana Lima", "ana@example.com"),
    ("Ben Okoro", "ben@example.com"),
    ("Chidi Okafor", "chidi@example.com"),
]

# (customer email, carrier, status, note, [(product sku, quantity)])
ORDERS = [
    ("ana@example.com", "Standard post", "shipped", "", [("BK-001", 1), ("BK-002", 2)]),
    ("ana@example.com", "Express", "paid", "Gift wrap, please.", [("PH-001", 1), ("PH-002", 1)]),
    ("ben@example.com", "Express", "new", "", [("EL-001", 1)]),
    ("ben@example.com", "Courier", "new", "", [("BK-002", 1), ("PH-002", 3)]),
]

# (customer email, order number (1-based), rating, text)
REVIEWS = [
    ("ana@example.com", 2, 4, "Fast delivery."),
    ("ben@example.com", 3, 5, ""),
]

# created_at/updated_at of product n, placed_at of order n: TIMESTAMPS + n hours
TIMESTAMPS = datetime(2025, 3, 1, 9, 30, 0, tzinfo=UTC)


def at(n):
    return TIMESTAMPS + timedelta(hours=n)
