"""Rows of the `tagging` fixture (generic relations, issue 16): bookmarks, notes, and the tags
and votes that point at them through content types. Deterministic: created in list order."""

BOOKMARKS = [
    # (url, title)
    ("https://www.djangoproject.com/", "Django"),
    ("https://www.postgresql.org/", "PostgreSQL"),
    ("https://sqlite.org/", "SQLite"),
    ("https://www.rust-lang.org/", "Rust"),
    ("https://docs.python.org/3/", "Python docs"),
]

NOTES = [
    # (text, pinned)
    ("Read the contenttypes docs", True),
    ("Generic relations need an index on (content_type, object_id)", False),
    ("Buy milk", False),
    ("Prefetch content_object to avoid N+1 queries", True),
]

TAGS = [
    # (tag, "bookmark" | "note", index in its list, 1-based)
    ("django", "bookmark", 1),
    ("python", "bookmark", 1),
    ("web", "bookmark", 1),
    ("database", "bookmark", 2),
    ("sql", "bookmark", 2),
    ("database", "bookmark", 3),
    ("sql", "bookmark", 3),
    ("embedded", "bookmark", 3),
    ("rust", "bookmark", 4),
    ("python", "bookmark", 5),
    ("docs", "bookmark", 5),
    ("django", "note", 1),
    ("docs", "note", 1),
    ("database", "note", 2),
    ("django", "note", 2),
    ("django", "note", 4),
    ("performance", "note", 4),
]

VOTES = [
    # (value, "bookmark" | "note", index)
    (1, "bookmark", 1),
    (1, "bookmark", 1),
    (-1, "bookmark", 1),
    (1, "bookmark", 2),
    (1, "note", 1),
    (-1, "note", 3),
]

REMARKS = [
    # (text, "bookmark" | "note", index)
    ("The docs are good", "bookmark", 1),
    ("Fast", "bookmark", 3),
    ("Done", "note", 3),
]

PODCASTS = [
    # (url, title, episodes): Bookmarks too (multi-table children)
    ("https://djangochat.com/", "Django Chat", 150),
    ("https://talkpython.fm/", "Talk Python", 480),
]

VENUES = [
    # (name, seats)
    ("Congress hall", 1200),
    ("Meetup room", 40),
]

# tags on the children: (tag, "podcast" | "venue", index)
CHILD_TAGS = [
    ("django", "podcast", 1),
    ("audio", "podcast", 1),
    ("python", "podcast", 2),
    ("conference", "venue", 1),
    ("meetup", "venue", 2),
]

LINKS = [
    # (label, weight or None for a plain Link, "bookmark" | "note" | "podcast" | "venue", index)
    ("home", None, "bookmark", 1),
    ("see also", 3, "note", 2),
    ("listen", 5, "podcast", 1),
    ("where", 1, "venue", 2),
]

WORKS = ["Blue Train", "Kind of Blue", "Silence"]

WRITEUPS = [
    # (critic, stars or None for a plain Writeup, work index): a WriteupScore is a multi-table
    # child of Writeup, which holds the content type and object id
    ("Ann", 5, 1),
    ("Bob", 3, 1),
    ("Cy", None, 1),
    ("Ann", 4, 2),
    ("Dee", None, 2),
]
