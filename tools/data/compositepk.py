"""Data for the djq composite primary key test app (app `compositepk`), loaded by
tools/build_fixtures.py. Hand-written and deterministic.

Shape: stores 1 (Harbour St) and 2 (Mill Lane); SKUs repeat across stores ("A1", "B2"), so a
lookup on `sku` alone matches more rows than one on the whole key; bins fill aisles 1 and 2;
every stock row points at a product of its own store.
"""
from decimal import Decimal

STORES = ["Harbour St", "Mill Lane"]

# (store, sku, name, price)
PRODUCTS = [
    (1, "A1", "Lantern", Decimal("24.00")),
    (1, "B2", "Rope, 10 m", Decimal("12.50")),
    (1, "C3", "Tin cup", Decimal("3.20")),
    (2, "A1", "Storm lantern", Decimal("31.00")),
    (2, "B2", "Rope, 20 m", Decimal("22.00")),
    (2, "D4", "Oilskin", Decimal("58.90")),
]

# (aisle, slot, label)
BINS = [
    (1, 1, "ropes"),
    (1, 2, "cups"),
    (1, 3, "spare"),
    (2, 1, "lamps"),
    (2, 2, "coats"),
]

# (store, sku, quantity)
STOCK = [
    (1, "A1", 4),
    (1, "B2", 10),
    (2, "A1", 1),
    (2, "D4", 3),
    (1, "C3", 25),
]
