"""Data for the djq journal test app (app `journal`), loaded by tools/build_fixtures.py.

Hand-written and deterministic; primary keys follow list order (1-based). Entries are created
through the model's own save(), which fills the slug from the title (slugify) unless one is
given. Accounts (django.contrib.auth's User) get a fixed date_joined and the unusable password
"!" (create_user would hash with a random salt).

Shape of the data, so the scripts in fixtures/scripts/journal/ can rely on it:
- accounts: alice, bob, carol (carol wrote nothing); journal users: ada (editor), basho, cleo,
  dora (dora has no notebook and no comment);
- entry 4 has an explicit slug, entry 7 no author (SET_NULL), entry 9 a body of 450 words;
- statuses: draft, published and archived entries; published ones have published_at.
"""
from datetime import date, datetime, timezone

UTC = timezone.utc
JOINED = datetime(2024, 1, 2, 9, 30, tzinfo=UTC)

# (username, first_name, last_name, email, is_staff)
ACCOUNTS = [
    ("alice", "Alice", "Martin", "alice@example.com", True),
    ("bob", "Bob", "Ngata", "bob@example.com", False),
    ("carol", "Carol", "Diaz", "", False),
]

# (handle, display_name, email, is_editor, joined)
USERS = [
    ("ada", "Ada Lovelace", "ada@example.org", True, date(2023, 12, 10)),
    ("basho", "Matsuo Basho", "", False, date(2024, 2, 1)),
    ("cleo", "Cleo Laine", "cleo@example.org", False, date(2024, 3, 15)),
    ("dora", "Dora Maar", "dora@example.org", False, date(2024, 5, 20)),
]

# (name, owner handle, created)
NOTEBOOKS = [
    ("Travel", "ada", date(2024, 1, 5)),
    ("Kitchen", "ada", date(2024, 1, 20)),
    ("Haiku", "basho", date(2024, 2, 3)),
    ("Garden", "cleo", date(2024, 3, 16)),
]

LONG_BODY = " ".join(["pond", "frog", "splash", "water", "sound"] * 90)

# (notebook, author username or None, title, slug or "", body, status, mood, rating, written_on,
#  published_at)
ENTRIES = [
    ("Travel", "alice", "Lisbon in the rain", "", "Trams, tiles and a great deal of rain.", "published", "happy",
     "4.5", date(2024, 1, 6), datetime(2024, 1, 7, 8, 0, tzinfo=UTC)),
    ("Travel", "alice", "The night train to Porto", "", "Slept badly, woke up by the sea.", "draft", "calm",
     None, date(2024, 1, 9), None),
    ("Kitchen", "bob", "Bread, attempt #3", "", "Too much salt again. Next time: less salt, more patience.",
     "published", "gloomy", "2.0", date(2024, 1, 21), datetime(2024, 1, 22, 19, 45, 30, tzinfo=UTC)),
    ("Kitchen", "bob", "Soup for a cold day", "winter-soup", "Leeks, potatoes, butter.", "archived", "calm",
     "3.5", date(2024, 1, 25), datetime(2024, 1, 26, 12, 0, tzinfo=UTC)),
    ("Haiku", "alice", "Old pond", "", "An old silent pond. A frog jumps into the pond. Splash! Silence again.",
     "published", "calm", "5.0", date(2024, 2, 4), datetime(2024, 2, 4, 6, 15, tzinfo=UTC)),
    ("Haiku", "bob", "Autumn moonlight", "", "Autumn moonlight, a worm digs silently into the chestnut.",
     "draft", "gloomy", None, date(2024, 2, 10), None),
    ("Haiku", None, "Über die Brücke", "", "A bridge, a river, a crow.", "published", "happy", "4.0",
     date(2024, 2, 14), datetime(2024, 2, 15, 0, 0, tzinfo=UTC)),
    ("Garden", "alice", "Tomatoes: a plan", "", "Six plants, two varieties, one very sunny wall.", "draft",
     "happy", None, date(2024, 3, 17), None),
    ("Haiku", "bob", "A long walk by the water", "", LONG_BODY, "published", "calm", "3.0",
     date(2024, 3, 30), datetime(2024, 4, 1, 10, 30, tzinfo=UTC)),
    ("Garden", "bob", "First frost", "", "", "draft", "gloomy", None, date(2024, 4, 2), None),
]

# (entry number, user handle, text, posted_on)
COMMENTS = [
    (1, "basho", "Take an umbrella next time.", date(2024, 1, 8)),
    (1, "cleo", "Lisbon is lovely in any weather!", date(2024, 1, 9)),
    (3, "ada", "Try a longer proof.", date(2024, 1, 23)),
    (5, "cleo", "Beautiful.", date(2024, 2, 5)),
    (5, "ada", "A classic, well kept.", date(2024, 2, 6)),
    (7, "basho", "Which bridge?", date(2024, 2, 16)),
    (9, "ada", "Long, but worth it.", date(2024, 4, 2)),
]
