"""Data for the djq PostgreSQL-only test app (app `pgapp`), loaded by tools/build_fixtures.py.

Everything is deterministic: hand-written lists plus fixed arithmetic on the row number n
(1-based, the primary key). `rows()` returns plain Python values; `JSON_NULL` marks a JSON
document that is JSON `null` (stored with `JSONNull()`), `None` is SQL NULL.

Shape of the data, so tests can rely on it:
- 6 makers, 40 things; Thing.maker is NULL when n is a multiple of 12;
- Thing.data is SQL NULL when n is a multiple of 10, JSON null for n = 7 and 17, the JSON
  string "just a string" for n = 13, the number 42 for n = 23, the array [1, 2, 3] for
  n = 33, and otherwise an object with:
    "name"   a string, missing when n is a multiple of 6;
    "count"  n % 9, missing when n % 4 == 3; the string "7" for n = 11;
    "price"  n * 1.25 when n is odd;
    "active" true when n is a multiple of 3, else false;
    "color"  red/green/blue by n % 3, JSON null when n % 8 == 5;
    "dims"   {"w": n % 5 + 1, "h": n % 4 + 2} when n is even;
    "owner"  {"name": ..., "address": {"city": ...}} when n % 3 == 1;
    "list"   [n % 3, n % 5, n % 7] when n % 4 == 1; [] when n % 4 == 2;
- Thing.tags (varchar(20)[]) is [] when n is a multiple of 11; Thing.scores (integer[]) is
  NULL when n is a multiple of 9 and [] when n % 10 == 5;
- 5 servers (Server.address an inet: IPv4 and IPv6, one NULL);
- Thing.name carries accents for most rows ("Crème brûlée"), plus unaccented near-twins
  ("Creme caramel", "Cafe latte") for unaccent and trigram lookups.
"""

JSON_NULL = object()

# (name, country)
MAKERS = [
    ("Atelier Béatrice", "France"),
    ("Bäckerei Müller", "Germany"),
    ("Cocina Peña", "Spain"),
    ("Dolce Vità", "Italy"),
    ("Észak Kft.", "Hungary"),
    ("Phở Hà Nội", "Vietnam"),
]

# (name, address)
SERVERS = [
    ("alpha", "192.0.2.10"),
    ("beta", "2001:db8::1"),
    ("gamma", "198.51.100.32"),
    ("delta", None),
    ("epsilon", "192.0.2.132"),
]

# (name, kind)
THINGS = [
    ("Crème brûlée", "dessert"),
    ("Café au lait", "drink"),
    ("Jalapeño poppers", "snack"),
    ("Smörgåsbord", "meal"),
    ("Açaí bowl", "breakfast"),
    ("Pão de queijo", "snack"),
    ("Crêpe Suzette", "dessert"),
    ("Piña colada", "drink"),
    ("Gâteau basque", "dessert"),
    ("Bánh mì", "meal"),
    ("Phở bò", "meal"),
    ("Crème fraîche", "ingredient"),
    ("Jägerschnitzel", "meal"),
    ("Rösti", "side"),
    ("Tiramisù", "dessert"),
    ("Curaçao", "drink"),
    ("Entrecôte", "meal"),
    ("Soufflé", "dessert"),
    ("Crudités", "snack"),
    ("Purée", "side"),
    ("Pâté", "snack"),
    ("Flambé", "dessert"),
    ("Kaiserschmarrn", "dessert"),
    ("Pad thai", "meal"),
    ("Creme caramel", "dessert"),
    ("Cafe latte", "drink"),
    ("Bouillabaisse", "meal"),
    ("Ratatouille", "side"),
    ("Gazpacho", "meal"),
    ("Paella", "meal"),
    ("Goulash", "meal"),
    ("Baklava", "dessert"),
    ("Churros", "snack"),
    ("Empanada", "snack"),
    ("Falafel", "snack"),
    ("Hummus", "side"),
    ("Kimchi", "side"),
    ("Miso soup", "meal"),
    ("Sushi", "meal"),
    ("Tacos al pastor", "meal"),
]

TAG_WORDS = ["sweet", "savory", "spicy", "vegan", "hot", "cold", "classic", "french", "street", "baked"]
OWNERS = ["Zoé", "Ömer", "Ana", "Łukasz"]
CITIES = ["Paris", "Lyon", "Oslo", "Kraków"]
NOTES = [
    "",
    "déjà vu every time",
    "a naïve take on a classic",
    "façade of sugar",
    "résumé-worthy",
    "best served cold",
    "jalapeño optional",
]


def data_for(n, name):
    if n % 10 == 0:
        return None
    if n in (7, 17):
        return JSON_NULL
    if n == 13:
        return "just a string"
    if n == 23:
        return 42
    if n == 33:
        return [1, 2, 3]
    doc = {}
    if n % 6 != 0:
        doc["name"] = name.lower()
    if n == 11:
        doc["count"] = "7"
    elif n % 4 != 3:
        doc["count"] = n % 9
    if n % 2 == 1:
        doc["price"] = n * 1.25
    doc["active"] = n % 3 == 0
    doc["color"] = None if n % 8 == 5 else ["red", "green", "blue"][n % 3]
    if n % 2 == 0:
        doc["dims"] = {"w": n % 5 + 1, "h": n % 4 + 2}
    if n % 3 == 1:
        doc["owner"] = {"name": OWNERS[n % 4], "address": {"city": CITIES[n % 4]}}
    if n % 4 == 1:
        doc["list"] = [n % 3, n % 5, n % 7]
    elif n % 4 == 2:
        doc["list"] = []
    return doc


def tags_for(n):
    if n % 11 == 0:
        return []
    return [w for i, w in enumerate(TAG_WORDS) if (n >> (i % 5)) & 1 and (n + i) % 3 != 0][:4]


def scores_for(n):
    if n % 9 == 0:
        return None
    if n % 10 == 5:
        return []
    return [n % 7, n * 3 % 11, n * 5 % 13][: 1 + n % 3]


def rows():
    things = []
    for n, (name, kind) in enumerate(THINGS, start=1):
        things.append({
            "name": name,
            "kind": kind,
            "maker_id": None if n % 12 == 0 else 1 + n % len(MAKERS),
            "rank": n * 7 % 10 + 1,
            "data": data_for(n, name),
            "tags": tags_for(n),
            "scores": scores_for(n),
            "notes": NOTES[n % len(NOTES)],
        })
    return {"makers": MAKERS, "things": things, "servers": SERVERS}
