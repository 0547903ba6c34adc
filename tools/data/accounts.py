"""Rows of the `accounts` fixture (issue 17): a custom user model (AUTH_USER_MODEL =
"accounts.User") with auth's groups and permissions and admin's log entries pointing at it.
Passwords are Django's hashes made with a fixed salt; `date_joined` is fixed."""
import datetime

UTC = datetime.timezone.utc
JOINED = datetime.datetime(2024, 2, 1, 12, 0, tzinfo=UTC)

USERS = [
    # (username, raw password, first, last, email, phone, staff)
    ("erin", "erin-pw", "Erin", "Cole", "erin@example.com", "555-0101", True),
    ("frank", "frank-pw", "Frank", "", "frank@example.com", "", False),
    ("grace", "grace-pw", "", "", "grace@example.org", "555-0303", False),
]
SALTS = {"erin": "ErinSaltErinSaltErin01", "frank": "FrankSaltFrankSalt0001", "grace": "GraceSaltGraceSalt0001"}

GROUPS = [
    # (name, permission codenames, members)
    ("staff", ["view_team", "change_team"], ["erin"]),
    ("players", ["view_team"], ["frank", "grace"]),
]

TEAMS = [("Reds", ["erin", "frank"]), ("Blues", ["grace"]), ("Empty", [])]

LOG_ENTRIES = [
    # (action time, username, object id, repr, flag)
    (datetime.datetime(2024, 4, 1, 9, 0, tzinfo=UTC), "erin", "1", "Reds", 1),
    (datetime.datetime(2024, 4, 2, 9, 0, tzinfo=UTC), "frank", "2", "Blues", 2),
]
