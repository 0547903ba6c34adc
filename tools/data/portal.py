"""Rows of the `portal` fixture (issue 17): django.contrib's models next to the app's own.

Passwords are Django's PBKDF2-SHA256 hashes made with a fixed salt (`make_password(raw,
salt)`), so the fixture is reproducible; `djq` holds a hash made by djq's own hasher
(`make_password("made-by-djq")` in djq), which the conformance corpus checks Django accepts.
The accounts' `date_joined` and `last_login` are fixed; the sites framework's migration makes
`example.com` (id 1)."""
import datetime

UTC = datetime.timezone.utc
JOINED = datetime.datetime(2024, 3, 1, 8, 0, tzinfo=UTC)

# A hash made by djq, not by Django: its raw password is "made-by-djq".
DJQ_HASH = "pbkdf2_sha256$1500000$V9O1mdIgSDfdtP2bNly7SJ$lLY3vxLwX4fZNNpHxgKpKeLC0O61fVfOy/Gio3pEhgA="

USERS = [
    # (username, raw password (None: unusable), first, last, email, staff, superuser, last login)
    ("alice", "alice-pw", "Alice", "Martin", "alice@example.com", True, True,
     datetime.datetime(2024, 5, 2, 10, 30, tzinfo=UTC)),
    ("bob", "bob-pw", "Bob", "Ngata", "bob@example.com", True, False, None),
    ("carol", "carol-pw", "Carol", "", "carol@example.org", False, False, None),
    ("dave", None, "", "", "", False, False, None),
    ("djq", DJQ_HASH, "Made", "By djq", "djq@example.com", False, False, None),
]

# Salts of the Django-made hashes (22 characters of Django's alphabet, as its own are).
SALTS = {"alice": "AliceSaltAliceSalt0001", "bob": "BobSaltBobSaltBobSalt1", "carol": "CarolSaltCarolSalt0001"}

GROUPS = [
    # (name, permission codenames, members)
    ("editors", ["add_flatpage", "change_flatpage", "view_flatpage"], ["alice", "bob"]),
    ("moderators", ["change_notice", "delete_notice"], ["bob"]),
    ("readers", ["view_notice"], ["carol", "dave"]),
]

USER_PERMISSIONS = [("carol", "add_notice"), ("carol", "view_profile"), ("dave", "view_session")]

SITES = [
    # (domain, name): example.com is made by the sites framework's migration
    ("docs.example.com", "Docs"),
    ("shop.example.net", "Shop"),
]

FLATPAGES = [
    # (url, title, content, registration_required, site domains)
    ("/about/", "About us", "Who we are.", False, ["example.com", "docs.example.com"]),
    ("/contact/", "Contact", "Write to us.", False, ["example.com"]),
    ("/members/", "Members", "For members only.", True, ["docs.example.com"]),
    ("/terms/", "Terms", "", False, []),
]

REDIRECTS = [
    # (site domain, old path, new path)
    ("example.com", "/old-about/", "/about/"),
    ("example.com", "/gone/", ""),
    ("docs.example.com", "/v1/", "/v2/"),
]

SESSIONS = [
    # (session key, data, expire date)
    ("k1aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "e30:1tNqQm:signature-one",
     datetime.datetime(2024, 6, 1, 12, 0, tzinfo=UTC)),
    ("k2bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "e30:1tNqQm:signature-two",
     datetime.datetime(2025, 1, 15, 9, 45, tzinfo=UTC)),
    ("k3cccccccccccccccccccccccccccccc", "e30:1tNqQm:signature-three",
     datetime.datetime(2023, 12, 31, 23, 59, 59, tzinfo=UTC)),
]

PROFILES = [
    # (username, site domain, bio)
    ("alice", "example.com", "Runs the site."),
    ("bob", "docs.example.com", "Writes the docs."),
    ("carol", "docs.example.com", ""),
]

NOTICES = [
    # (title, author username or None, flat page urls)
    ("Welcome", "alice", ["/about/"]),
    ("Maintenance", "bob", ["/contact/", "/terms/"]),
    ("Anonymous tip", None, []),
]

LOG_ENTRIES = [
    # (action time, username, model of the content type or None, object id, repr, flag, message)
    (datetime.datetime(2024, 4, 1, 9, 0, tzinfo=UTC), "alice", "flatpage", "1", "/about/ -- About us", 1, ""),
    (datetime.datetime(2024, 4, 2, 9, 0, tzinfo=UTC), "alice", "flatpage", "1", "/about/ -- About us", 2,
     "Changed content."),
    (datetime.datetime(2024, 4, 3, 9, 0, tzinfo=UTC), "bob", "redirect", "2", "/gone/ ---> ", 3, ""),
    (datetime.datetime(2024, 4, 4, 9, 0, tzinfo=UTC), "bob", None, None, "something", 2, "By hand."),
]
