#!/usr/bin/env python
"""Rebuild djq's fixture databases (SQLite files, PostgreSQL dumps) from scratch.

Usage (from the repository root):

    tools/.venv/bin/python tools/build_fixtures.py

For each dataset (the `books` demo library, the `blog` test app, the `tutorial` database -- the
`books` app with no rows --, the `shop` app of the write tests and the `journal` app of the
Python-runtime scripts; not `pgapp`, which is
PostgreSQL-only) this:
  1. creates an empty SQLite file in a temporary directory and runs Django's `migrate`
     with only contenttypes and that app installed (settings: tools/djangoproj);
  2. loads the data from tools/data/<dataset>.py through the Django ORM, in one transaction;
  3. pins django_migrations.applied to a fixed timestamp (it is "now" otherwise);
  4. writes a plain SQL dump (schema exactly as migrate created it, then all rows) to
     fixtures/<dir>/<name>.sql, and builds fixtures/<dir>/<name>.sqlite3 by executing that
     dump into a fresh file, so the two always agree and both are byte-for-byte reproducible;
  5. (the app's models.py lives in fixtures/<dir>/<app>/models.py, which djq users pass to
     --models; tools/djangoproj/<app>/models.py is a symlink to it.)

Steps 1-3 run in a child process per dataset (Django settings are per process).

Then, unless --sqlite (and only if PostgreSQL is available, unless --postgres), for each
dataset on a throwaway cluster (tools/pgcluster.py):
  6. steps 1-3 again on PostgreSQL (same migrations, same loaders), every table rewritten
     in primary-key order (CLUSTER) and ANALYZEd, then checked row for row, ids included,
     against the SQLite fixture built above (`pgapp` has none: JSONField documents,
     ArrayFields, and the unaccent and pg_trgm extensions its migration creates);
  7. pg_dump of it, made into one plain SQL script (see pg_dump_sql), written to
     fixtures/<dir>/<name>.postgres.sql;
  8. that script loaded into fresh databases as one simple-query batch and with psql -f:
     same rows and sequences as the Django-built database, session settings untouched,
     and dumping it again gives the same script.

    tools/.venv/bin/python tools/build_fixtures.py --sqlite     # steps 1-5 only
    tools/.venv/bin/python tools/build_fixtures.py --postgres   # steps 6-8 only
"""
import argparse
import hashlib
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
PROJECT = TOOLS / "djangoproj"
sys.path.insert(0, str(TOOLS))

DATASETS = {
    "library": {"app": "books", "dir": ROOT / "fixtures" / "demo", "name": "library"},
    "blog": {"app": "blog", "dir": ROOT / "fixtures" / "blog", "name": "blog"},
    "pgapp": {"app": "pgapp", "dir": ROOT / "fixtures" / "pg", "name": "pgapp", "postgres_only": True},
    # the seed tutorial's database right after `migrate`: its books/models.py (verbatim from the
    # page, fixtures/tutorial/books/models.py) defines the demo library's models
    "tutorial": {"app": "books", "dir": ROOT / "fixtures" / "tutorial", "name": "tutorial"},
    "shop": {"app": "shop", "dir": ROOT / "fixtures" / "shop", "name": "shop"},
    "journal": {"app": "journal", "dir": ROOT / "fixtures" / "journal", "name": "journal"},
    "managers": {"app": "managers", "dir": ROOT / "fixtures" / "managers", "name": "managers"},
    "compositepk": {"app": "compositepk", "dir": ROOT / "fixtures" / "compositepk", "name": "compositepk"},
    "tagging": {"app": "tagging", "dir": ROOT / "fixtures" / "tagging", "name": "tagging"},
    "fields": {"app": "fields", "dir": ROOT / "fixtures" / "fields", "name": "fields"},
    # issue 16: model inheritance (abstract bases from the `core` app, multi-table, proxies)
    "inherit": {"app": "inherit", "dir": ROOT / "fixtures" / "inherit", "name": "inherit"},
    # issue 16: django-taggit's TaggableManager (taggit's own tables installed with it)
    "recipes": {"app": "recipes", "dir": ROOT / "fixtures" / "recipes", "name": "recipes"},
    # issue 16: ForeignObject relations (a many-to-many through them, one joining by its own
    # get_extra_restriction())
    "multicol": {"app": "multicol", "dir": ROOT / "fixtures" / "multicol", "name": "multicol"},
    # issue 17: TIME_ZONE / USE_TZ (datetimes around DST changes and local midnights)
    "clock": {"app": "clock", "dir": ROOT / "fixtures" / "clock", "name": "clock"},
    # issue 17: django.contrib's apps (auth, sessions, admin, sites, flatpages, redirects)
    # next to a project app's models
    "portal": {"app": "portal", "dir": ROOT / "fixtures" / "portal", "name": "portal"},
    # issue 17: a custom user model (AUTH_USER_MODEL = "accounts.User") with auth and admin
    "accounts": {"app": "accounts", "dir": ROOT / "fixtures" / "accounts", "name": "accounts"},
}

APPLIED_AT = "2025-01-01 00:00:00.000000"
EXPECTED_DJANGO_MAJOR = 6


# ---------------------------------------------------------------------------------------
# child process: migrate + load through the ORM
# ---------------------------------------------------------------------------------------

def child_build(dataset, target, backend="sqlite"):
    """target: the SQLite file, or (postgres) a postgresql://user@host:port/dbname URL of an
    existing, empty database."""
    os.environ["DJQ_DB_BACKEND"] = backend
    if backend == "sqlite":
        os.environ["DJQ_DB_PATH"] = target
    else:
        os.environ.update(postgres_settings_env(target))
    os.environ["DJQ_APPS"] = DATASETS[dataset]["app"]
    os.environ["DJANGO_SETTINGS_MODULE"] = "djangoproj.settings"
    sys.path.insert(0, str(PROJECT))
    import django

    if django.VERSION[0] != EXPECTED_DJANGO_MAJOR:
        sys.exit(f"build_fixtures: expected Django {EXPECTED_DJANGO_MAJOR}.x, found {django.__version__}")
    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        {"library": load_library, "blog": load_blog, "pgapp": load_pgapp, "tutorial": load_nothing,
         "shop": load_shop, "journal": load_journal, "managers": load_managers,
         "compositepk": load_compositepk, "tagging": load_tagging, "fields": load_fields,
         "inherit": load_inherit, "recipes": load_recipes, "multicol": load_multicol,
         "clock": load_clock, "portal": load_portal, "accounts": load_accounts}[dataset]()
    with connection.cursor() as cur:
        cur.execute("UPDATE django_migrations SET applied = %s", [APPLIED_AT])
    connection.close()


def load_library():
    from books.models import Author, Book
    from data.library import AUTHORS, BOOKS

    check_library_data(AUTHORS, BOOKS)
    authors = {}
    for name, birth_date, biography in AUTHORS:
        authors[name] = Author.objects.create(name=name, birth_date=birth_date, biography=biography)
    for title, author, publication_date, isbn, genre, pages in BOOKS:
        Book.objects.create(
            title=title,
            author=authors[author],
            publication_date=publication_date,
            isbn=isbn,
            genre=genre,
            pages=pages,
        )


def isbn13_check_digit(first12):
    total = sum(int(c) * (1 if i % 2 == 0 else 3) for i, c in enumerate(first12))
    return str((10 - total % 10) % 10)


def check_library_data(authors, books):
    names = [a[0] for a in authors]
    assert len(set(names)) == len(names), "duplicate author names"
    seen_isbn, seen_date, seen_title = set(), set(), set()
    for title, author, date, isbn, genre, pages in books:
        assert author in names, f"unknown author {author!r}"
        assert len(isbn) == 13 and isbn.isdigit(), isbn
        assert isbn13_check_digit(isbn[:12]) == isbn[12], f"bad ISBN check digit: {isbn}"
        assert isbn not in seen_isbn, f"duplicate ISBN {isbn}"
        assert date not in seen_date, f"duplicate publication date {date} (Meta.ordering would tie)"
        assert title not in seen_title, f"duplicate title {title!r}"
        assert genre in ("FIC", "NON", "SCI", "HIS"), genre
        assert isinstance(pages, int) and pages > 0
        seen_isbn.add(isbn)
        seen_date.add(date)
        seen_title.add(title)


def load_blog():
    from blog.models import Article, Comment, Tag, Writer
    from data.blog import rows

    data = rows()
    for name, email, joined in data["writers"]:
        Writer.objects.create(name=name, email=email, joined=joined)
    for name, slug in data["tags"]:
        Tag.objects.create(name=name, slug=slug)
    Through = Article.tags.through
    for row in data["articles"]:
        row = dict(row)
        tags = row.pop("tags")
        article = Article.objects.create(**row)
        # one through row at a time, in list order, so the ids are deterministic
        for tag_id in tags:
            Through.objects.create(article_id=article.pk, tag_id=tag_id)
    for row in data["comments"]:
        Comment.objects.create(**row)


def load_pgapp():
    from django.db.models import JSONNull
    from pgapp.models import Maker, Server, Thing
    from data.pgapp import JSON_NULL, rows

    data = rows()
    for name, country in data["makers"]:
        Maker.objects.create(name=name, country=country)
    for row in data["things"]:
        row = dict(row)
        if row["data"] is JSON_NULL:
            row["data"] = JSONNull()  # JSON null; None is SQL NULL
        Thing.objects.create(**row)
    for name, address in data["servers"]:
        Server.objects.create(name=name, address=address)


def load_nothing():
    pass


def load_shop():
    from shop.models import Carrier, Category, Customer, Order, OrderLine, Product, Review, Supplier, Tag
    from data.shop import CARRIERS, CATEGORIES, CUSTOMERS, ORDERS, PRODUCTS, REVIEWS, SUPPLIERS, TAGS, at

    categories = {}
    for name, parent in CATEGORIES:
        categories[name] = Category.objects.create(name=name, parent=categories.get(parent))
    suppliers = {name: Supplier.objects.create(name=name) for name in SUPPLIERS}
    carriers = {name: Carrier.objects.create(name=name) for name in CARRIERS}
    tags = {name: Tag.objects.create(name=name) for name in TAGS}
    Through = Product.tags.through
    products = {}
    for n, (name, sku, price, in_stock, category, supplier, tag_names) in enumerate(PRODUCTS, 1):
        product = Product.objects.create(
            name=name, sku=sku, price_cents=price, in_stock=in_stock, category=categories[category],
            supplier=suppliers.get(supplier))
        Product.objects.filter(pk=product.pk).update(created_at=at(n), updated_at=at(n))
        # one through row at a time, in list order, so the ids are deterministic
        for tag in tag_names:
            Through.objects.create(product_id=product.pk, tag_id=tags[tag].pk)
        products[sku] = product
    customers = {email: Customer.objects.create(name=name, email=email) for name, email in CUSTOMERS}
    orders = []
    for n, (email, carrier, status, note, lines) in enumerate(ORDERS, 1):
        order = Order.objects.create(customer=customers[email], carrier=carriers[carrier], status=status, note=note)
        Order.objects.filter(pk=order.pk).update(placed_at=at(n))
        for sku, quantity in lines:
            OrderLine.objects.create(order=order, product=products[sku], quantity=quantity)
        orders.append(order)
    for email, order, rating, text in REVIEWS:
        Review.objects.create(customer=customers[email], order=orders[order - 1], rating=rating, text=text)


def load_inherit():
    from inherit.models import Bakery, Booking, Cafe, Market, Member, Memo, Report, Theater, Venue, Visit
    from data.inherit import BOOKINGS, MEMBERS, MEMOS, REPORTS, VENUES, VISITS

    members = {name: Member.objects.create(name=name, joined=joined) for name, joined in MEMBERS}
    kinds = {"venue": Venue, "cafe": Cafe, "bakery": Bakery, "theater": Theater, "market": Market}
    venues = {}
    for kind, fields in VENUES:
        fields = dict(fields)
        if "manager" in fields:
            fields["manager"] = members[fields["manager"]]
        venues[fields["name"]] = kinds[kind].objects.create(**fields)
    for venue, member, day in VISITS:
        Visit.objects.create(venue=venues[venue], member=members[member], day=day)
    for venue, member, day, cafe, seats in BOOKINGS:
        Booking.objects.create(venue=venues[venue], member=members[member], day=day, cafe=venues[cafe], seats=seats)
    for title, owner, created, modified, body in MEMOS:
        Memo.objects.create(title=title, owner=members[owner], created=created, modified=modified, body=body)
    for title, owner, created, pages in REPORTS:
        Report.objects.create(title=title, owner=members[owner], created=created, pages=pages)


def load_journal():
    from decimal import Decimal

    from django.contrib.auth.models import User as Account
    from journal.models import Comment, Entry, Notebook, User
    from data.journal import ACCOUNTS, COMMENTS, ENTRIES, JOINED, NOTEBOOKS, USERS

    accounts = {}
    for username, first, last, email, is_staff in ACCOUNTS:
        accounts[username] = Account.objects.create(
            username=username, first_name=first, last_name=last, email=email, is_staff=is_staff,
            password="!", date_joined=JOINED)
    users = {}
    for handle, display_name, email, is_editor, joined in USERS:
        users[handle] = User.objects.create(
            handle=handle, display_name=display_name, email=email, is_editor=is_editor, joined=joined)
    notebooks = {}
    for name, owner, created in NOTEBOOKS:
        notebooks[name] = Notebook.objects.create(name=name, owner=users[owner], created=created)
    entries = []
    for notebook, author, title, slug, body, status, mood, rating, written_on, published_at in ENTRIES:
        # through Entry.save(), which fills an empty slug from the title
        entries.append(Entry.objects.create(
            notebook=notebooks[notebook], author=accounts.get(author), title=title, slug=slug, body=body,
            status=status, mood=mood, rating=rating and Decimal(rating), written_on=written_on,
            published_at=published_at))
    for entry, user, text, posted_on in COMMENTS:
        Comment.objects.create(entry=entries[entry - 1], user=users[user], text=text, posted_on=posted_on)


def load_managers():
    from managers.models import Issue, Magazine, Series, Title, Writer
    from data.managers import ISSUES, MAGAZINES, SERIES, TITLES, WRITERS

    writers = {name: Writer.everyone.create(name=name, active=active) for name, active in WRITERS}
    for writer, name, year, pages, price, available in TITLES:
        Title.objects.create(writer=writers[writer], name=name, year=year, pages=pages, price=price,
                             available=available)
    for name, archived, members in SERIES:
        series = Series.objects.create(name=name, archived=archived)
        for member in members:
            series.writers.add(writers[member])
    magazines = {name: Magazine.everything.create(name=name, archived=archived) for name, archived in MAGAZINES}
    for magazine, number in ISSUES:
        Issue.objects.create(magazine=magazines[magazine], number=number)


def load_compositepk():
    from compositepk.models import Bin, Product, Stock, Store
    from data.compositepk import BINS, PRODUCTS, STOCK, STORES

    for name in STORES:
        Store.objects.create(name=name)
    for store, sku, name, price in PRODUCTS:
        Product.objects.create(store_id=store, sku=sku, name=name, price=price)
    for aisle, slot, label in BINS:
        Bin.objects.create(aisle=aisle, slot=slot, label=label)
    for store, sku, quantity in STOCK:
        Stock.objects.create(store_id=store, sku=sku, quantity=quantity)


def load_multicol():
    from data.multicol import CLUBS, DOCS, ENROLMENTS, MEMOS, PLAYERS, REGIONS, RIVALRIES
    from multicol.models import Club, Doc, DocText, Enrolment, Memo, Player, Region, Rivalry

    for name in REGIONS:
        Region.objects.create(name=name)
    for name, home in PLAYERS:
        Player.objects.create(name=name, home_id=home)
    for name, region in CLUBS:
        Club.objects.create(name=name, region_id=region)
    for player, club, region, since in ENROLMENTS:
        Enrolment.objects.create(player_id=player, club_id=club, region_id=region, since=since)
    for region, challenger, opponent in RIVALRIES:
        Rivalry.objects.create(region_id=region, challenger_id=challenger, opponent_id=opponent)
    for code, texts in DOCS:
        doc = Doc.objects.create(code=code)
        for lang, title, summary in texts:
            DocText.objects.create(doc=doc, lang=lang, title=title, summary=summary)
    for code, urgent, texts in MEMOS:
        memo = Memo.objects.create(code=code, urgent=urgent)
        for lang, title, summary in texts:
            DocText.objects.create(doc=memo, lang=lang, title=title, summary=summary)


def load_clock():
    from clock.models import Event
    from data.clock import EVENTS

    for name, at, day, time in EVENTS:
        Event.objects.create(name=name, at=at, day=day, time=time)


def load_tagging():
    from data.tagging import (BOOKMARKS, CHILD_TAGS, LINKS, NOTES, PODCASTS, REMARKS, TAGS, VENUES, VOTES, WORKS,
                              WRITEUPS)
    from tagging.models import (Backlink, Bookmark, Link, Note, Podcast, Remark, TaggedItem, Venue, Vote, Work,
                                Writeup, WriteupScore)

    objects = {
        "bookmark": [Bookmark.objects.create(url=url, title=title) for url, title in BOOKMARKS],
        "note": [Note.objects.create(text=text, pinned=pinned) for text, pinned in NOTES],
    }
    for tag, kind, index in TAGS:
        TaggedItem.objects.create(tag=tag, content_object=objects[kind][index - 1])
    for value, kind, index in VOTES:
        Vote.objects.create(value=value, target=objects[kind][index - 1])
    for text, kind, index in REMARKS:
        Remark.objects.create(text=text, subject=objects[kind][index - 1])
    objects["podcast"] = [Podcast.objects.create(url=url, title=title, episodes=episodes)
                          for url, title, episodes in PODCASTS]
    objects["venue"] = [Venue.objects.create(name=name, seats=seats) for name, seats in VENUES]
    for tag, kind, index in CHILD_TAGS:
        TaggedItem.objects.create(tag=tag, content_object=objects[kind][index - 1])
    for label, weight, kind, index in LINKS:
        target = objects[kind][index - 1]
        if weight is None:
            Link.objects.create(label=label, target=target)
        else:
            Backlink.objects.create(label=label, weight=weight, target=target)
    works = [Work.objects.create(title=title) for title in WORKS]
    for critic, stars, index in WRITEUPS:
        if stars is None:
            Writeup.objects.create(critic=critic, about=works[index - 1])
        else:
            WriteupScore.objects.create(critic=critic, stars=stars, about=works[index - 1])


def load_portal():
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission, User
    from django.contrib.contenttypes.models import ContentType
    from django.contrib.flatpages.models import FlatPage
    from django.contrib.redirects.models import Redirect
    from django.contrib.sessions.models import Session
    from django.contrib.sites.models import Site
    from data.portal import (DJQ_HASH, FLATPAGES, GROUPS, JOINED, LOG_ENTRIES, NOTICES, PROFILES, REDIRECTS,
                             SALTS, SESSIONS, SITES, USER_PERMISSIONS, USERS)
    from portal.models import Notice, Profile

    users = {}
    for username, raw, first, last, email, staff, superuser, last_login in USERS:
        if raw is None:
            password = "!"  # unusable, without make_password(None)'s random suffix
        elif raw == DJQ_HASH:
            password = raw
        else:
            password = make_password(raw, SALTS[username])
        users[username] = User.objects.create(
            username=username, password=password, first_name=first, last_name=last, email=email,
            is_staff=staff, is_superuser=superuser, last_login=last_login, date_joined=JOINED)
    perm = {p.codename: p for p in Permission.objects.all()}
    for name, codenames, members in GROUPS:
        group = Group.objects.create(name=name)
        group.permissions.add(*[perm[c] for c in codenames])
        for member in members:
            users[member].groups.add(group)
    for username, codename in USER_PERMISSIONS:
        users[username].user_permissions.add(perm[codename])
    sites = {s.domain: s for s in Site.objects.all()}
    for domain, name in SITES:
        sites[domain] = Site.objects.create(domain=domain, name=name)
    pages = {}
    for url, title, content, registration, domains in FLATPAGES:
        pages[url] = FlatPage.objects.create(url=url, title=title, content=content,
                                             registration_required=registration)
        pages[url].sites.add(*[sites[d] for d in domains])
    for domain, old, new in REDIRECTS:
        Redirect.objects.create(site=sites[domain], old_path=old, new_path=new)
    for key, data, expire in SESSIONS:
        Session.objects.create(session_key=key, session_data=data, expire_date=expire)
    for username, domain, bio in PROFILES:
        Profile.objects.create(user=users[username], site=sites[domain], bio=bio)
    for title, author, urls in NOTICES:
        notice = Notice.objects.create(title=title, author=users.get(author))
        notice.pages.add(*[pages[u] for u in urls])
    for at, username, model, object_id, text, flag, message in LOG_ENTRIES:
        ct = ContentType.objects.get(model=model) if model else None
        LogEntry.objects.create(action_time=at, user=users[username], content_type=ct, object_id=object_id,
                                object_repr=text, action_flag=flag, change_message=message)


def load_accounts():
    from accounts.models import Team, User
    from django.contrib.admin.models import LogEntry
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group, Permission
    from django.contrib.contenttypes.models import ContentType
    from data.accounts import GROUPS, JOINED, LOG_ENTRIES, SALTS, TEAMS, USERS

    users = {}
    for username, raw, first, last, email, phone, staff in USERS:
        users[username] = User.objects.create(
            username=username, password=make_password(raw, SALTS[username]), first_name=first,
            last_name=last, email=email, phone=phone, is_staff=staff, date_joined=JOINED)
    perm = {p.codename: p for p in Permission.objects.all()}
    for name, codenames, members in GROUPS:
        group = Group.objects.create(name=name)
        group.permissions.add(*[perm[c] for c in codenames])
        for member in members:
            users[member].groups.add(group)
    for name, members in TEAMS:
        Team.objects.create(name=name).members.add(*[users[m] for m in members])
    team_type = ContentType.objects.get(model="team")
    for at, username, object_id, text, flag in LOG_ENTRIES:
        LogEntry.objects.create(action_time=at, user=users[username], content_type=team_type,
                                object_id=object_id, object_repr=text, action_flag=flag)


def load_recipes():
    from data.recipes import CHEFS, DISHES, RECIPES
    from recipes.models import Chef, Dish, Recipe

    chefs = [Chef.objects.create(name=name) for name in CHEFS]
    for title, chef, minutes, tags in RECIPES:
        recipe = Recipe.objects.create(title=title, chef=chefs[chef - 1] if chef else None, minutes=minutes)
        recipe.tags.add(*tags)
    for name, tags in DISHES:
        Dish.objects.create(name=name).tags.add(*tags)


def load_fields():
    from fields.models import City, Club, Country, Membership, Novel, Person, Tag
    from data.fields import (ADDED, CITIES, CLUBS, COUNTRIES, EDITED, FOLLOWS, FRIENDS, MEMBERSHIPS, NOVELS,
                             PEOPLE, TAGS)

    for code, name in COUNTRIES:
        Country.objects.create(code=code, name=name)
    cities = {name: City.objects.create(name=name, country_id=code, population=population)
              for name, code, population in CITIES}
    people = {}
    for name, born, home, mentor in PEOPLE:
        people[name] = Person.objects.create(name=name, born=born, home=cities.get(home), mentor=people.get(mentor))
    # one pair at a time, in list order, so the through rows' ids are deterministic
    for a, b in FRIENDS:
        people[a].friends.add(people[b])
    for a, b in FOLLOWS:
        people[a].follows.add(people[b])
    clubs = {name: Club.objects.create(name=name) for name in CLUBS}
    for club, person, role, since, invited_by in MEMBERSHIPS:
        Membership.objects.create(club=clubs[club], person=people[person], role=role, since=since,
                                  invited_by=people.get(invited_by))
    tags = {label: Tag.objects.create(id=pk, label=label) for pk, label in TAGS}
    for pk, title, author, genre, priority, pages, score, price, reference, batch, status, published, tag_names in NOVELS:
        novel = Novel.objects.create(
            id=pk, title=title, author=people[author], genre=genre, priority=priority, pages=pages, score=score,
            price=price, reference=reference, batch=batch, status=status, published=published, edited=EDITED)
        for label in tag_names:
            novel.tags.add(tags[label])
    Novel.objects.update(added=ADDED)


def same_models(a, b):
    """Do two models.py files define the same models, up to docstrings, quotes, blank lines and
    the order of the statements in a class body?"""
    import ast

    def shape(path):
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        body = [n for n in tree.body if not (isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant))]
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                node.body = sorted(node.body, key=ast.dump)
        return [ast.dump(n) for n in body]

    return shape(a) == shape(b)


# ---------------------------------------------------------------------------------------
# parent process: dump, rebuild, copy
# ---------------------------------------------------------------------------------------

def sql_dump(conn, title):
    """A plain SQL script recreating the database: tables (in creation order) each followed
    by its rows (in rowid order), then indexes/triggers/views, then sqlite_sequence."""
    out = [
        f"-- {title}",
        "-- Generated by tools/build_fixtures.py from Django migrations and tools/data/; do not edit.",
        "BEGIN TRANSACTION;",
    ]
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND sql IS NOT NULL ORDER BY rowid"
    ).fetchall()
    for name, sql in tables:
        if name.startswith("sqlite_"):
            continue
        out.append(sql + ";")
        ident = name.replace('"', '""')
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{ident}")')]
        values = " || ',' || ".join(f'quote("{c.replace(chr(34), chr(34) * 2)}")' for c in cols)
        query = f"SELECT 'INSERT INTO \"{ident}\" VALUES(' || {values} || ');' FROM \"{ident}\" ORDER BY rowid"
        out.extend(row[0] for row in conn.execute(query))
    for (sql,) in conn.execute(
        "SELECT sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view') AND sql IS NOT NULL ORDER BY rowid"
    ):
        out.append(sql + ";")
    has_seq = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'").fetchone()
    if has_seq:
        out.append('DELETE FROM "sqlite_sequence";')
        for name, seq in conn.execute('SELECT name, seq FROM "sqlite_sequence" ORDER BY rowid'):
            out.append(f"INSERT INTO \"sqlite_sequence\" VALUES('{name}',{seq});")
    out.append("COMMIT;")
    return "\n".join(out) + "\n"


def table_counts(conn):
    names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    return {n: conn.execute(f'SELECT count(*) FROM "{n}"').fetchone()[0] for n in names}


def build(dataset, python):
    spec = DATASETS[dataset]
    spec["dir"].mkdir(parents=True, exist_ok=True)
    sql_path = spec["dir"] / f"{spec['name']}.sql"
    db_path = spec["dir"] / f"{spec['name']}.sqlite3"
    with tempfile.TemporaryDirectory(prefix="djq-fixtures-") as tmp:
        scratch = os.path.join(tmp, "scratch.sqlite3")
        subprocess.run([python, __file__, "--child", dataset, scratch], check=True)
        src = sqlite3.connect(scratch)
        try:
            dump = sql_dump(src, f"djq fixture database '{dataset}' (Django app '{spec['app']}')")
            counts = table_counts(src)
        finally:
            src.close()

    sql_path.write_text(dump, encoding="utf-8")
    if db_path.exists():
        db_path.unlink()
    dst = sqlite3.connect(db_path)
    try:
        dst.executescript(dump)
        dst.commit()
        assert table_counts(dst) == counts, "rebuilt database differs from the Django-built one"
        assert dst.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not dst.execute("PRAGMA foreign_key_check").fetchall(), "foreign key violations"
    finally:
        dst.close()

    # the dump must also load into a fresh in-memory database (what djq does with it)
    mem = sqlite3.connect(":memory:")
    mem.executescript(dump)
    assert table_counts(mem) == counts
    mem.close()
    if shutil.which("sqlite3"):
        subprocess.run(["sqlite3", ":memory:"], input=dump.encode(), check=True)

    rel = lambda p: p.relative_to(ROOT)
    print(f"{dataset}: {rel(sql_path)} ({sha256(sql_path)[:12]}), {rel(db_path)} ({sha256(db_path)[:12]})")
    for name, n in counts.items():
        print(f"    {name}: {n} rows")


# ---------------------------------------------------------------------------------------
# PostgreSQL: the same migrations and loaders on a throwaway cluster, dumped as plain SQL
# ---------------------------------------------------------------------------------------

def postgres_settings_env(url):
    """DJQ_PG_* variables for tools/djangoproj/djangoproj/settings.py from a URL."""
    from urllib.parse import unquote, urlsplit

    u = urlsplit(url)
    return {
        "DJQ_PG_NAME": unquote(u.path.lstrip("/")),
        "DJQ_PG_HOST": u.hostname or "",
        "DJQ_PG_PORT": str(u.port or 5432),
        "DJQ_PG_USER": unquote(u.username or ""),
        "DJQ_PG_PASSWORD": unquote(u.password or ""),
    }


def pg_connect(url, autocommit=True):
    import psycopg

    return psycopg.connect(url, autocommit=autocommit)


def pg_tables(conn):
    """{table: (columns in attnum order, primary-key columns)} for the public schema."""
    out = {}
    tables = conn.execute(
        "SELECT c.oid, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname"
    ).fetchall()
    for oid, name in tables:
        cols = [r[0] for r in conn.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = %s AND attnum > 0 AND NOT attisdropped "
            "ORDER BY attnum", [oid])]
        pk = [r[0] for r in conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY (i.indkey) WHERE i.indrelid = %s AND i.indisprimary "
            "ORDER BY array_position(i.indkey, a.attnum)", [oid])]
        out[name] = (cols, pk)
    return out


def pg_rows(conn):
    """{table: (columns, rows ordered by primary key)} with psycopg's Python values."""
    from psycopg import sql

    out = {}
    for name, (cols, pk) in pg_tables(conn).items():
        order = pk or cols
        query = sql.SQL("SELECT {} FROM {} ORDER BY {}").format(
            sql.SQL(", ").join(map(sql.Identifier, cols)), sql.Identifier(name),
            sql.SQL(", ").join(map(sql.Identifier, order)))
        out[name] = (cols, conn.execute(query).fetchall())
    return out


def pg_sequences(conn):
    return conn.execute(
        "SELECT sequencename, last_value, start_value, increment_by FROM pg_sequences "
        "WHERE schemaname = 'public' ORDER BY sequencename").fetchall()


def sqlite_rows(path):
    conn = sqlite3.connect(path)
    try:
        out = {}
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
        for name in names:
            # table_xinfo: generated columns (GeneratedField) included
            cols = [r[1] for r in conn.execute(f'PRAGMA table_xinfo("{name}")')]
            pk = [r[1] for r in sorted(conn.execute(f'PRAGMA table_xinfo("{name}")'), key=lambda r: r[5]) if r[5]]
            order = ", ".join(f'"{c}"' for c in (pk or cols))
            select = ", ".join(f'"{c}"' for c in cols)
            out[name] = (cols, conn.execute(f'SELECT {select} FROM "{name}" ORDER BY {order}').fetchall())
        return out
    finally:
        conn.close()


def same_value(pg, lite):
    """Is the PostgreSQL value (psycopg) the one Django stored in SQLite?"""
    import datetime
    import decimal
    import uuid

    if pg is None or lite is None:
        return pg is None and lite is None
    if isinstance(pg, bool):
        return lite in (0, 1) and bool(lite) == pg
    if isinstance(pg, datetime.datetime):
        parsed = datetime.datetime.fromisoformat(lite)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.timezone.utc)
        return pg.tzinfo is not None and pg == parsed
    if isinstance(pg, datetime.date):
        return pg == datetime.date.fromisoformat(lite)
    if isinstance(pg, datetime.time):
        return pg == datetime.time.fromisoformat(lite)
    if isinstance(pg, decimal.Decimal):
        return isinstance(lite, (int, float, str)) and pg == decimal.Decimal(str(lite))
    if isinstance(pg, float):
        return isinstance(lite, (int, float)) and pg == float(lite)
    if isinstance(pg, uuid.UUID):
        # SQLite stores a UUIDField as 32 hex digits
        return lite == pg.hex
    return type(pg) is type(lite) and pg == lite


def compare_with_sqlite(conn, sqlite_path):
    """Raise AssertionError unless every table has the same columns and rows (ids
    included) in PostgreSQL and in the SQLite fixture. Returns {table: row count}.

    The columns may come in another order: a migration that alters a column makes SQLite
    rebuild the table (django.contrib.auth's `auth_permission.name` ends up last there)."""
    pg, lite = pg_rows(conn), sqlite_rows(sqlite_path)
    assert sorted(pg) == sorted(lite), f"tables differ: postgres {sorted(pg)} vs sqlite {sorted(lite)}"
    counts = {}
    for name in sorted(pg):
        (pcols, prows), (lcols, lrows) = pg[name], lite[name]
        assert sorted(pcols) == sorted(lcols), f"{name}: columns differ: postgres {pcols} vs sqlite {lcols}"
        assert len(prows) == len(lrows), f"{name}: {len(prows)} rows in postgres vs {len(lrows)} in sqlite"
        for prow, lrow in zip(prows, lrows):
            lrow = [lrow[lcols.index(col)] for col in pcols]
            for col, p, v in zip(pcols, prow, lrow):
                assert same_value(p, v), f"{name}.{col}: postgres {p!r} vs sqlite {v!r} (row {lrow[:1]})"
        counts[name] = len(prows)
    return counts


def compare_postgres(a, b):
    """Raise AssertionError unless two PostgreSQL databases hold the same rows and sequences."""
    ra, rb = pg_rows(a), pg_rows(b)
    assert sorted(ra) == sorted(rb), f"tables differ: {sorted(ra)} vs {sorted(rb)}"
    for name in ra:
        assert ra[name] == rb[name], f"{name}: rows differ"
    assert pg_sequences(a) == pg_sequences(b), "sequences differ"


def build_postgres_database(dataset, cluster, dbname, python=sys.executable, sqlite_path=None):
    """Create `dbname` on the cluster with Django's migrate and the same loaders as the
    SQLite fixture, make its physical row order the primary-key order, ANALYZE it, and
    check it row for row against the SQLite fixture (PostgreSQL-only datasets have none).
    Returns {table: row count}."""
    spec = DATASETS[dataset]
    cluster.create_database(dbname)
    url = cluster.url_for(dbname)
    subprocess.run([python, __file__, "--child", dataset, url, "--child-backend", "postgres"], check=True)
    with pg_connect(url) as conn:
        # Only django_migrations was UPDATEd; rewrite every table in primary-key order anyway
        # so that unordered scans (and pg_dump) see the rows in id order, as in SQLite.
        for name, (cols, pk) in pg_tables(conn).items():
            index = conn.execute(
                "SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
                "WHERE i.indrelid = %s::regclass AND i.indisprimary", [f'public."{name}"']).fetchone()
            if index:
                conn.execute(f'CLUSTER public."{name}" USING "{index[0]}"')
                conn.execute(f'ALTER TABLE public."{name}" SET WITHOUT CLUSTER')
        conn.execute("ANALYZE")
        if spec.get("postgres_only"):
            return {name: len(rows) for name, (_, rows) in pg_rows(conn).items()}
        return compare_with_sqlite(conn, sqlite_path or spec["dir"] / f"{spec['name']}.sqlite3")


_PRELUDE_DROP = re.compile(
    r"^(?:\\restrict .*|SELECT pg_catalog\.set_config\('search_path', '', false\);"
    r"|-- Dumped from database version .*|-- Dumped by pg_dump version .*)\n", re.M)
_PRELUDE_SET = re.compile(r"^SET (\w+) = (.*);\n", re.M)


def pg_dump_sql(cluster, dbname, title):
    """pg_dump of the database as one plain SQL script: multi-row INSERTs instead of COPY
    blocks, no psql meta-commands (pg_dump's \\restrict/\\unrestrict lines carry a random
    key), no search_path change (every name is schema-qualified anyway), no version lines,
    one transaction, pg_dump's session settings as SET LOCAL, ANALYZE at the end so that a
    freshly loaded database plans queries like the one the recordings were made on."""
    r = subprocess.run(
        [cluster.bin("pg_dump"), "--no-owner", "--no-privileges", "--no-comments", "--rows-per-insert=500",
         "--encoding=UTF8", "--dbname", cluster.url_for(dbname)],
        capture_output=True, text=True, check=True, env=dict(os.environ, PGTZ="UTC", PGDATESTYLE="ISO"))
    text = r.stdout
    # the prelude ends where the first object starts; only there (and in the last line) are
    # pg_dump's own settings and meta-commands, the rest is schema and data
    cut = text.index("\n--\n-- Name: ")
    prelude, body = text[:cut + 1], text[cut + 1:]
    lines = body.rstrip("\n").split("\n")
    if lines[-1].startswith("\\unrestrict "):
        lines.pop()
    body = "\n".join(lines)
    prelude = _PRELUDE_DROP.sub("", prelude)
    settings = []

    def keep_set(m):
        if m.group(1) != "client_encoding":
            settings.append(f"SET LOCAL {m.group(1)} = {m.group(2)};")
        return ""

    prelude = _PRELUDE_SET.sub(keep_set, prelude)
    # pg_dump repeats default_tablespace/default_table_access_method after extensions, which
    # come first when there are any: those become SET LOCAL too
    body = _PRELUDE_SET.sub(keep_set, body)
    assert not re.search(r"^(?:\\|SET |SELECT )", prelude, re.M), f"unexpected prelude: {prelude!r}"
    assert not re.search(r"^(?:COPY |CREATE DATABASE |\\connect |\\restrict |\\unrestrict )", body, re.M), \
        "unexpected statement in the dump"
    body = re.sub(r"\n{3,}", "\n\n", (prelude + body).strip("\n"))
    head = [
        f"-- {title}",
        "-- Generated by tools/build_fixtures.py --postgres (Django migrations + tools/data/, then",
        "-- pg_dump --inserts); do not edit. Plain SQL for an empty database: run it as one batch",
        "-- (simple query protocol) or with psql -f; the session is left as it was found, apart",
        "-- from client_encoding, which is UTF8 (what client libraries use anyway).",
        "SET client_encoding = 'UTF8';",
        "BEGIN;",
        *settings,
    ]
    return "\n".join(head) + "\n\n" + body + "\n\nANALYZE;\nCOMMIT;\n"


def postgres_unavailable():
    """None if PostgreSQL dumps/recordings can be made here, else why not."""
    import pgcluster

    try:
        pgcluster.find_bindir()
        pgcluster._runas_prefix()
    except pgcluster.PgClusterError as e:
        return str(e)
    try:
        import psycopg  # noqa: F401
    except ImportError:
        return "psycopg is not installed (tools/.venv/bin/pip install 'psycopg[binary]')"
    return None


def build_postgres(dataset, python, cluster):
    spec = DATASETS[dataset]
    sql_path = spec["dir"] / f"{spec['name']}.postgres.sql"
    built = f"djq_build_{dataset}"
    counts = build_postgres_database(dataset, cluster, built, python)
    dump = pg_dump_sql(cluster, built, f"djq fixture database '{dataset}' (Django app '{spec['app']}') for PostgreSQL")
    sql_path.write_text(dump, encoding="utf-8")

    # the dump must load into a fresh database in one simple-query batch (what djq's tests
    # do) and give back exactly the Django-built database
    loaded = f"djq_load_{dataset}"
    cluster.create_database(loaded)
    with pg_connect(cluster.url_for(loaded)) as conn:
        settings = "SELECT name, setting FROM pg_settings ORDER BY name"
        before = dict(conn.execute(settings).fetchall())
        conn.execute(dump.encode("utf-8"), prepare=False)  # no parameters: one simple Query message
        after = dict(conn.execute(settings).fetchall())
        # an extension's library (pg_trgm) adds its own settings when CREATE EXTENSION loads it
        changed = sorted((name, after.get(name)) for name in before if after.get(name) != before[name])
        assert not changed, f"the dump changed session settings: {changed}"
        assert conn.info.transaction_status == 0, "the dump left a transaction open"  # IDLE
        with pg_connect(cluster.url_for(built)) as ref:
            compare_postgres(ref, conn)
    redump = pg_dump_sql(cluster, loaded, f"djq fixture database '{dataset}' (Django app '{spec['app']}') for PostgreSQL")
    assert redump == dump, "dumping the loaded database does not give the same script back"
    # and with psql -f
    psql_db = f"djq_psql_{dataset}"
    cluster.create_database(psql_db)
    subprocess.run([cluster.bin("psql"), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", cluster.url_for(psql_db),
                    "-f", str(sql_path)], check=True, stdout=subprocess.DEVNULL)
    with pg_connect(cluster.url_for(psql_db)) as conn, pg_connect(cluster.url_for(built)) as ref:
        compare_postgres(ref, conn)

    rel = sql_path.relative_to(ROOT)
    same = "PostgreSQL only" if spec.get("postgres_only") else "rows identical to the SQLite fixture"
    print(f"{dataset}: {rel} ({sha256(sql_path)[:12]}), {same}")
    for name, n in counts.items():
        print(f"    {name}: {n} rows")


def sha256(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def check_migrations(python):
    """Fail if the models changed without a new migration."""
    env = dict(os.environ, DJANGO_SETTINGS_MODULE="djangoproj.settings", DJQ_DB_PATH=":memory:")
    env.pop("DJQ_APPS", None)
    subprocess.run(
        [python, "manage.py", "makemigrations", "--check", "--dry-run", "--verbosity", "0"],
        cwd=PROJECT, env=env, check=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(DATASETS)} (default: all)")
    which = parser.add_mutually_exclusive_group()
    which.add_argument("--sqlite", action="store_true", help="only the SQLite fixtures")
    which.add_argument("--postgres", action="store_true",
                       help="only the PostgreSQL dumps (needs PostgreSQL; checked against the SQLite fixtures)")
    parser.add_argument("--child", nargs=2, metavar=("DATASET", "TARGET"), help=argparse.SUPPRESS)
    parser.add_argument("--child-backend", default="sqlite", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_build(*args.child, backend=args.child_backend)
        return
    for dataset in args.datasets:
        if dataset not in DATASETS:
            parser.error(f"unknown dataset {dataset!r}")
    datasets = args.datasets or list(DATASETS)
    python = sys.executable
    check_migrations(python)
    tutorial_models = DATASETS["tutorial"]["dir"] / "books" / "models.py"
    if not same_models(tutorial_models, ROOT / "fixtures" / "demo" / "books" / "models.py"):
        sys.exit(f"build_fixtures: {tutorial_models.relative_to(ROOT)} no longer defines the books app's models")
    if not args.postgres:
        for dataset in datasets:
            if not DATASETS[dataset].get("postgres_only"):
                build(dataset, python)
    if args.sqlite:
        return
    import pgcluster

    problem = postgres_unavailable()
    if problem and not args.postgres:
        print(f"build_fixtures: skipped the .postgres.sql dumps: {problem} (see tools/README.md)")
        return
    if problem:
        sys.exit(f"build_fixtures: {problem}")
    try:
        with pgcluster.Cluster() as cluster:
            for dataset in datasets:
                build_postgres(dataset, python, cluster)
    except pgcluster.PgClusterError as e:
        sys.exit(f"build_fixtures: {e}")


if __name__ == "__main__":
    main()
