"""Data for fixtures/projects/mysite (apps polls, library and the contrib apps), loaded by
tools/record_projects.py after `manage.py migrate`, in one transaction.

Hand-written and deterministic; primary keys follow list order (1-based). Passwords are
hashed with Django's default hasher and a fixed salt (create_user would draw a random one) of
24 characters, enough entropy for the hasher's must_update() (a shorter one makes
check_password() rehash and save the password with a random salt): every account's password
is its username followed by "-pw". Datetimes are UTC (the project's
TIME_ZONE), several of them close to midnight and to the ends of months and years, so that
date lookups and truncations are tested where zones and calendars matter.
"""
from datetime import date, datetime, timezone
from decimal import Decimal

UTC = timezone.utc


def at(*args):
    return datetime(*args, tzinfo=UTC)


# (username, first_name, last_name, email, is_staff, is_superuser, is_active, date_joined, last_login)
USERS = [
    ("alice", "Alice", "Martin", "alice@example.com", True, True, True, at(2023, 1, 5, 9, 0), at(2024, 12, 31, 23, 59, 59)),
    ("bob", "Bob", "Ngata", "bob@example.com", True, False, True, at(2023, 6, 30, 23, 30), None),
    ("carol", "Carol", "Diaz", "", False, False, True, at(2024, 2, 29, 12, 0), at(2024, 3, 1, 0, 0, 1)),
    ("dave", "Dave", "Okafor", "dave@example.org", False, False, False, at(2024, 12, 31, 23, 45), None),
]

# (group name, [(app_label, codename)], [usernames])
GROUPS = [
    ("Librarians", [("library", "add_book"), ("library", "change_book"), ("library", "view_loan"),
                    ("polls", "view_question")], ["alice", "bob"]),
    ("Members", [("library", "view_book"), ("polls", "view_question"), ("polls", "view_choice")],
     ["bob", "carol"]),
    ("Auditors", [("admin", "view_logentry"), ("sessions", "view_session")], []),
]

# username -> [(app_label, codename)] given to the account itself
USER_PERMISSIONS = {
    "carol": [("library", "add_loan")],
    "dave": [("polls", "add_choice"), ("polls", "change_choice")],
}

# (question_text, pub_date, [(choice_text, votes)])
QUESTIONS = [
    ("What's new?", at(2023, 6, 15, 12, 0), [("Not much", 3), ("The sky", 7)]),
    ("Best season?", at(2024, 1, 1, 0, 30), [("Spring", 4), ("Summer", 9), ("Autumn", 4), ("Winter", 0)]),
    ("Leap day plans?", at(2024, 2, 29, 23, 59, 59, 500000), [("Sleep", 2), ("Party", 5)]),
    ("Favourite editor?", at(2024, 3, 31, 22, 0), [("vim", 12), ("emacs", 12), ("nano", 1)]),
    ("Tabs or spaces?", at(2024, 7, 4, 18, 45, 10), []),
    ("New year's resolution?", at(2024, 12, 31, 23, 30), [("None", 8)]),
    ("First question of 2025?", at(2025, 1, 1, 0, 15), [("Yes", 1), ("No", 0)]),
]

# (name, born)
AUTHORS = [
    ("Ursula K. Le Guin", date(1929, 10, 21)),
    ("Octavia E. Butler", date(1947, 6, 22)),
    ("Italo Calvino", date(1923, 10, 15)),
    ("Anonymous", None),
]

GENRES = ["Science fiction", "Fantasy", "Literary", "Essays"]

# (title, author, format, published, added_at, price, genres)
BOOKS = [
    ("A Wizard of Earthsea", "Ursula K. Le Guin", "PB", date(1968, 11, 1), at(2023, 12, 31, 23, 59), Decimal("9.99"), ["Fantasy"]),
    ("The Left Hand of Darkness", "Ursula K. Le Guin", "HC", date(1969, 3, 1), at(2024, 1, 1, 0, 0), Decimal("24.50"), ["Science fiction"]),
    ("The Dispossessed", "Ursula K. Le Guin", "EB", date(1974, 5, 1), at(2024, 2, 29, 8, 15), Decimal("7.00"), ["Science fiction", "Literary"]),
    ("Kindred", "Octavia E. Butler", "PB", date(1979, 6, 1), at(2024, 3, 10, 6, 30), Decimal("12.00"), ["Science fiction", "Literary"]),
    ("Parable of the Sower", "Octavia E. Butler", "HC", date(1993, 10, 1), at(2024, 6, 30, 23, 59, 59, 999999), Decimal("28.00"), ["Science fiction"]),
    ("Invisible Cities", "Italo Calvino", "PB", date(1972, 11, 1), at(2024, 11, 3, 5, 30), Decimal("11.25"), ["Literary", "Fantasy"]),
    ("Six Memos for the Next Millennium", "Italo Calvino", "PB", date(1988, 1, 1), at(2024, 12, 31, 12, 0), Decimal("14.00"), ["Essays"]),
    ("Beowulf", "Anonymous", "EB", date(1000, 1, 1), at(2025, 1, 1, 0, 0, 0, 1), Decimal("0.99"), []),
]

# (book title, borrower, lent_at, due, returned_at)
LOANS = [
    ("Kindred", "carol", at(2024, 3, 1, 10, 0), date(2024, 3, 15), at(2024, 3, 14, 17, 5)),
    ("Invisible Cities", "carol", at(2024, 12, 31, 23, 0), date(2025, 1, 14), None),
    ("A Wizard of Earthsea", "bob", at(2024, 1, 31, 23, 59), date(2024, 2, 14), at(2024, 2, 29, 0, 0)),
    ("The Dispossessed", "dave", at(2024, 7, 1, 0, 0), date(2024, 7, 15), None),
    ("Kindred", "bob", at(2025, 1, 2, 9, 30), date(2025, 1, 16), None),
]

# (session_key, session_data, expire_date)
SESSIONS = [
    ("k8d2mq0w1n5x7v3b9c4z6l0p2r8t1y5u", "e30:1tK5pQ:placeholder", at(2024, 12, 31, 23, 59, 59)),
    ("a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6", "e30:1tK5pR:placeholder", at(2025, 1, 14, 12, 0)),
]

# (domain, name): the first is migrate's example.com, renamed
SITES = [("mysite.example", "My site"), ("staging.mysite.example", "Staging")]

# (action_time, username, app_label, model, object_id, object_repr, action_flag, change_message)
LOG_ENTRIES = [
    (at(2024, 1, 1, 0, 5), "alice", "library", "book", "2", "The Left Hand of Darkness", 1, '[{"added": {}}]'),
    (at(2024, 3, 10, 7, 0), "bob", "library", "book", "4", "Kindred", 2, '[{"changed": {"fields": ["Price"]}}]'),
    (at(2024, 12, 31, 23, 59, 30), "alice", "polls", "question", "6", "New year's resolution?", 1, '[{"added": {}}]'),
]


def load():
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.sessions.models import Session
    from django.contrib.sites.models import Site
    from library.models import Author, Book, Genre, Loan
    from polls.models import Choice, Question

    def perm(app_label, codename):
        return Permission.objects.get(content_type__app_label=app_label, codename=codename)

    users = {}
    for username, first, last, email, staff, superuser, active, joined, last_login in USERS:
        users[username] = User.objects.create(
            username=username, first_name=first, last_name=last, email=email, is_staff=staff,
            is_superuser=superuser, is_active=active, date_joined=joined, last_login=last_login,
            password=make_password(f"{username}-pw", salt=f"{username}salt0123456789abcdefghijklmn"[:24]))
    for name, perms, members in GROUPS:
        group = Group.objects.create(name=name)
        group.permissions.set([perm(*p) for p in perms])
        for username in members:
            users[username].groups.add(group)
    for username, perms in USER_PERMISSIONS.items():
        users[username].user_permissions.set([perm(*p) for p in perms])

    for text, pub_date, choices in QUESTIONS:
        q = Question.objects.create(question_text=text, pub_date=pub_date)
        for choice_text, votes in choices:
            Choice.objects.create(question=q, choice_text=choice_text, votes=votes)

    authors = {name: Author.objects.create(name=name, born=born) for name, born in AUTHORS}
    genres = {name: Genre.objects.create(name=name) for name in GENRES}
    books = {}
    for title, author, fmt, published, added_at, price, book_genres in BOOKS:
        book = books[title] = Book.objects.create(
            title=title, author=authors[author], format=fmt, published=published, added_at=added_at,
            price=price)
        book.genres.set([genres[g] for g in book_genres])
    for title, borrower, lent_at, due, returned_at in LOANS:
        Loan.objects.create(book=books[title], borrower=users[borrower], lent_at=lent_at, due=due,
                            returned_at=returned_at)

    for key, data, expires in SESSIONS:
        Session.objects.create(session_key=key, session_data=data, expire_date=expires)
    Site.objects.filter(pk=1).update(domain=SITES[0][0], name=SITES[0][1])
    for domain, name in SITES[1:]:
        Site.objects.create(domain=domain, name=name)
    for when, username, app_label, model, object_id, object_repr, flag, message in LOG_ENTRIES:
        LogEntry.objects.create(
            action_time=when, user=users[username],
            content_type=ContentType.objects.get(app_label=app_label, model=model),
            object_id=object_id, object_repr=object_repr, action_flag=flag, change_message=message)
