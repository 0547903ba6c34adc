"""Data for fixtures/projects/splitpg (apps accounts — the custom user model —, events and the
contrib apps), loaded by tools/record_projects.py after `manage.py migrate` on PostgreSQL, in
one transaction.

Hand-written and deterministic; primary keys follow list order (1-based). Passwords are hashed
with a fixed salt of 24 characters (see tools/data/mysite.py): each account's is its username
followed by "-pw". The project's TIME_ZONE
is America/New_York: the events start around New York's midnight (a different day, month or
year in UTC), and at the daylight-saving changes of 2024 (10 March, 3 November), so that date
lookups and truncations in the current zone differ from UTC ones.
"""
from datetime import date, datetime, timezone

UTC = timezone.utc


def at(*args):
    return datetime(*args, tzinfo=UTC)


# (username, display_name, birth_date, email, is_staff, is_superuser, is_active, date_joined, last_login)
USERS = [
    ("ann", "Ann Lee", date(1990, 1, 1), "ann@example.com", True, True, True, at(2024, 1, 1, 4, 59), at(2024, 11, 3, 6, 30)),
    ("ben", "", date(1985, 12, 31), "ben@example.com", True, False, True, at(2024, 1, 1, 5, 0), None),
    ("cat", "Cat Moreno", None, "", False, False, True, at(2024, 3, 10, 7, 30), at(2025, 1, 1, 3, 0)),
    ("dan", "Dan Wu", date(2000, 2, 29), "dan@example.org", False, False, False, at(2024, 7, 1, 3, 59, 59), None),
]

# (group name, [(app_label, codename)], [usernames])
GROUPS = [
    ("Organizers", [("events", "add_event"), ("events", "change_event"), ("events", "view_venue")],
     ["ann", "ben"]),
    ("Staff", [("accounts", "view_user"), ("events", "view_event")], ["ben", "cat"]),
    ("Empty", [], []),
]

USER_PERMISSIONS = {
    "cat": [("events", "delete_event")],
    "dan": [("events", "view_event"), ("accounts", "change_user")],
}

# (name, city)
VENUES = [("Town Hall", "New York"), ("Riverside Park", "New York"), ("Online", "")]

# (title, venue, organizer, starts_at (UTC), ends_at, day, status, attendees)
EVENTS = [
    # 19:30 on 31 Dec 2023 in New York: 2024 in UTC
    ("New Year's Eve party", "Town Hall", "ann", at(2024, 1, 1, 0, 30), at(2024, 1, 1, 5, 30), date(2023, 12, 31), 1, ["ben", "cat"]),
    # 23:59 on 29 Feb 2024 in New York: 1 March in UTC
    ("Leap night walk", "Riverside Park", "ben", at(2024, 3, 1, 4, 59), None, date(2024, 2, 29), 1, ["ann"]),
    # 01:30 EST, then 03:30 EDT: the spring-forward night
    ("Spring forward vigil", "Online", "ann", at(2024, 3, 10, 6, 30), at(2024, 3, 10, 7, 30), date(2024, 3, 10), 0, []),
    # 00:00 on 1 July 2024 in New York: 04:00 UTC
    ("Midsummer midnight", "Riverside Park", "cat", at(2024, 7, 1, 4, 0), None, date(2024, 7, 1), 2, ["ann", "ben", "dan"]),
    # 01:30 EDT and 01:30 EST: the fall-back night's hour twice
    ("Fall back, first 1:30", "Online", "ben", at(2024, 11, 3, 5, 30), None, date(2024, 11, 3), 1, ["cat"]),
    ("Fall back, second 1:30", "Online", "ben", at(2024, 11, 3, 6, 30), None, date(2024, 11, 3), 1, []),
    # 23:00 on 31 Dec 2024 in New York: 2025 in UTC
    ("Countdown", "Town Hall", "ann", at(2025, 1, 1, 4, 0), at(2025, 1, 1, 6, 0), date(2024, 12, 31), 1, ["ben", "cat", "dan"]),
    # 09:15 on a Monday, same day everywhere
    ("Standup", "Online", "dan", at(2025, 1, 6, 14, 15, 0, 123456), None, date(2025, 1, 6), 0, ["ann"]),
]

# (session_key, session_data, expire_date)
SESSIONS = [("s7lq0m3c9xv2b8n4k1j6h5g0f3d2s1a9", "e30:1tK5pS:placeholder", at(2025, 1, 1, 4, 59, 59))]


def load():
    from accounts.models import User
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission
    from django.contrib.sessions.models import Session
    from events.models import Event, Venue

    def perm(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    users = {}
    for username, display, born, email, staff, superuser, active, joined, last_login in USERS:
        users[username] = User.objects.create(
            username=username, display_name=display, birth_date=born, email=email, is_staff=staff,
            is_superuser=superuser, is_active=active, date_joined=joined, last_login=last_login,
            password=make_password(f"{username}-pw", salt=f"{username}salt0123456789abcdefghijklmn"[:24]))
    for name, perms, members in GROUPS:
        group = Group.objects.create(name=name)
        group.permissions.set([perm(*p) for p in perms])
        for username in members:
            users[username].groups.add(group)
    for username, perms in USER_PERMISSIONS.items():
        users[username].user_permissions.set([perm(*p) for p in perms])

    venues = {name: Venue.objects.create(name=name, city=city) for name, city in VENUES}
    for title, venue, organizer, starts_at, ends_at, day, status, attendees in EVENTS:
        event = Event.objects.create(
            title=title, venue=venues[venue], organizer=users[organizer], starts_at=starts_at,
            ends_at=ends_at, day=day, status=status)
        event.attendees.set([users[u] for u in attendees])
    for key, data, expires in SESSIONS:
        Session.objects.create(session_key=key, session_data=data, expire_date=expires)
