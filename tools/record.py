#!/usr/bin/env python
"""Record what real Django does for each conformance-corpus expression.

Usage (from the repository root):

    tools/.venv/bin/python tools/record.py                  # every corpus: sqlite, and postgres
                                                            # too when PostgreSQL is available
    tools/.venv/bin/python tools/record.py library          # one corpus
    tools/.venv/bin/python tools/record.py --backend sqlite # one backend
    tools/.venv/bin/python tools/record.py --check          # record in memory, diff against files
    tools/.venv/bin/python tools/record.py --diff           # also list sqlite/postgres differences
    tools/.venv/bin/python tools/record.py --backend sqlite --database PATH  # another database

Corpus files: fixtures/conformance/<corpus>.corpus, one Django expression per line (blank
lines and lines starting with '#' are ignored). Each line is evaluated with eval() in a
namespace like Django's shell: `from django.db.models import *`,
`from django.db.models.functions import *`, then the app's models, then the corpus's
"preamble" if CORPORA gives it one (e.g. `import datetime`; djq's replay runs it too).

A corpus may have "settings" too: environment variables for tools/djangoproj's settings
(DJQ_TIME_ZONE, DJQ_USE_TZ); the recording then says {"TIME_ZONE": ..., "USE_TZ": ...}.

Output: fixtures/conformance/<corpus>.<backend>.json:

    {"django": "6.1.3", "backend": "sqlite", "database": "fixtures/demo/library.sqlite3",
     "corpus": "fixtures/conformance/library.corpus",
     "preamble": "import datetime",   # only when the corpus has one (CORPORA's "preamble"):
                                      # run first, as a user would type it before the lines
     "entries": [
        {"expr": "...",
         "line": 12,            # the expression's line in the corpus file (1-based)
         "queries": [{"sql": "...", "params": [...]}, ...],
         "result": ...,         # absent when "error" is present
         "ordered": true,       # QuerySet results: qs.ordered; other results: true; absent on error
         "error": {"type": "FieldError", "message": "..."}},   # only when Django raised
        ...]}

Values keep full precision: datetimes and times as Python's isoformat() (microseconds and
UTC offset kept, e.g. "2021-03-01T09:30:00.123456+00:00"), decimals as str(), durations in
Django's ISO 8601 form; the millisecond rule of DjangoJSONEncoder (djq's --format json
contract) is applied by the comparison in tests/, not here.

"queries" lists every statement Django sent to the driver while evaluating the expression and
materialising its result, in order, in the driver's placeholder style (see Backend.driver_sql).
Each evaluation runs inside a transaction that is rolled back; the database file is checked to
be byte-identical afterwards.

Backends:

- sqlite: the fixture file itself (fixtures/demo/library.sqlite3, fixtures/blog/blog.sqlite3),
  checked to be byte-identical afterwards; SQL in "?" style, parameters after the sqlite3
  module's adapters (a date is '2024-01-31').
- postgres: a throwaway cluster (tools/pgcluster.py); each corpus's database is built there
  by Django's migrate and the same loaders as the SQLite fixture
  (build_fixtures.build_postgres_database), then checked row for row (ids included) against
  the SQLite fixture (the PostgreSQL-only `pgapp` corpus has no SQLite fixture nor SQLite
  recording). SQL with $1, $2, ... placeholders as psycopg converts it for
  server-side binding, parameters as psycopg's text dumpers render them (a timestamptz is
  '2022-12-31 23:59:59.999999+00:00', a Decimal '4.50'; JSON scalars and lists unchanged;
  a JSONField value, which Django wraps in psycopg's Jsonb, as the JSON document). The file
  also has "server_version" (e.g. "15.18"), and "database" names the .postgres.sql dump djq
  loads; the dump is loaded into a second database, compared with the Django-built one and
  the corpus recorded again there, to check both give the same recording.
  `--database postgresql://...` records against an existing database as is instead.
"""
import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
sys.path.insert(0, str(TOOLS))
ROOT = TOOLS.parent
PROJECT = TOOLS / "djangoproj"
CONFORMANCE = ROOT / "fixtures" / "conformance"

EXPECTED_DJANGO_MAJOR = 6

# The two fixture databases most corpora are recorded on.
LIBRARY = {"app": "books", "dataset": "library",
           "sqlite": ROOT / "fixtures" / "demo" / "library.sqlite3",
           "postgres": ROOT / "fixtures" / "demo" / "library.postgres.sql"}
BLOG = {"app": "blog", "dataset": "blog",
        "sqlite": ROOT / "fixtures" / "blog" / "blog.sqlite3",
        "postgres": ROOT / "fixtures" / "blog" / "blog.postgres.sql"}

# A transform and a lookup typed in the shell: the lookups_managers corpus's preamble. InYear
# takes a date as it is (prepare_rhs = False), which PostgreSQL cannot type from
# `date_trunc('month', %s)` alone: Django's client-side binding writes it as a date.
LOOKUP_IN_THE_SHELL = """import datetime
from django.db import models
class Mod7(models.Transform):
    lookup_name = "mod7"
    def as_sql(self, compiler, connection):
        lhs, params = compiler.compile(self.lhs)
        return "(%s) %%%% 7" % lhs, params
models.IntegerField.register_lookup(Mod7)
class InYear(models.Lookup):
    lookup_name = "inyear"
    prepare_rhs = False
    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return "%s = CAST(strftime('%%%%Y', %s) AS integer)" % (lhs, rhs), list(lhs_params) + list(rhs_params)
    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        rhs, rhs_params = self.process_rhs(compiler, connection)
        return "%s = EXTRACT(YEAR FROM date_trunc('month', %s))" % (lhs, rhs), list(lhs_params) + list(rhs_params)
models.IntegerField.register_lookup(InYear)"""

CORPORA = {
    # the read path
    "library": LIBRARY,
    "blog": BLOG,
    # aggregation, annotations, expressions, subqueries, set operations (issue 4)
    "library_agg": LIBRARY,
    # window expressions (issue 19)
    "library_window": LIBRARY,
    "blog_agg": BLOG,
    # querysets djq once got wrong, with their families (issue 14)
    "regressions": LIBRARY,
    "regressions_blog": BLOG,
    # extra(), conditional expressions, sets and expressions in __in, get() after set
    # operations (session 24)
    "extra_blog": BLOG,
    # Django's rules djq missed on Django's own test apps (session 24)
    "suite": LIBRARY,
    "suite_more_blog": BLOG,
    # the long tail of Django's rules djq missed on Django's own test apps (session 25, issue 16)
    "suite_tail_blog": BLOG,
    # django.db.models functions djq lacked on Django's own test apps (session 24, h15)
    "functions_blog": BLOG,
    # FilteredRelation (session 24)
    "filtered_relation_blog": BLOG,
    # JSONObject, JSONArray, StringAgg, Aggregate used directly, aggregation rules (issues 16/19)
    "jsonagg_blog": BLOG,
    # prefetch_related's nested lookups and Prefetch objects, using(), fetch_mode() (issue 20)
    "prefetch": BLOG,
    # the proptest generator's querysets from a fixed seed (issue 14; written by
    # tests/proptest_querysets.rs)
    "differential": LIBRARY,
    "differential_blog": BLOG,
    # constructs tools/django_suite.py found in Django's own test apps, on the blog (issue 16)
    "suite_blog": BLOG,
    # the second batch of Django's test apps (issue 16)
    "suite2_blog": BLOG,
    # expressions, CASE and annotations djq missed on Django's expressions, expressions_case
    # and annotations test apps (issue 16): typed Value(), temporal arithmetic, F() slices,
    # Subquery(output_field=); its lines may use datetime and Decimal (the "preamble")
    "expressions_blog": {**BLOG, "preamble": "import datetime\nfrom decimal import Decimal"},
    # PostgreSQL-only differences tools/django_suite.py --backend postgresql found in Django's
    # test apps (issue 16): durations as parameters, ...; its lines may use `datetime` and `Decimal`
    "suite_pg_blog": {**BLOG, "preamble": "import datetime\nfrom decimal import Decimal"},
    # every manager of a model (issue 16)
    "managers": {"app": "managers", "dataset": "managers",
                 "sqlite": ROOT / "fixtures" / "managers" / "managers.sqlite3",
                 "postgres": ROOT / "fixtures" / "managers" / "managers.postgres.sql"},
    # lookups and transforms written in Python: registered by the app's models.py, and in the
    # shell (the preamble) (issue 16)
    "lookups_managers": {"app": "managers", "dataset": "managers",
                         "sqlite": ROOT / "fixtures" / "managers" / "managers.sqlite3",
                         "postgres": ROOT / "fixtures" / "managers" / "managers.postgres.sql",
                         "preamble": LOOKUP_IN_THE_SHELL},
    # composite primary keys and ForeignObject (issue 16)
    "compositepk": {"app": "compositepk", "dataset": "compositepk",
                    "sqlite": ROOT / "fixtures" / "compositepk" / "compositepk.sqlite3",
                    "postgres": ROOT / "fixtures" / "compositepk" / "compositepk.postgres.sql"},
    # ForeignObject relations as Django runs them: nested multi-column `__in`, a many-to-many
    # through ForeignObjects, one joining by its own get_extra_restriction() (issue 16)
    "multicol": {"app": "multicol", "dataset": "multicol",
                 "sqlite": ROOT / "fixtures" / "multicol" / "multicol.sqlite3",
                 "postgres": ROOT / "fixtures" / "multicol" / "multicol.postgres.sql"},
    # generic relations: ContentType, GenericForeignKey, GenericRelation (issue 16); the shell's
    # namespace also has django.contrib.contenttypes' ContentType
    "tagging": {"app": "tagging", "dataset": "tagging", "also": ["contenttypes"],
                "sqlite": ROOT / "fixtures" / "tagging" / "tagging.sqlite3",
                "postgres": ROOT / "fixtures" / "tagging" / "tagging.postgres.sql"},
    # django-taggit's TaggableManager through taggit's generic TaggedItem and a custom
    # through model (issue 16); the namespace also has taggit's Tag and TaggedItem
    "recipes": {"app": "recipes", "dataset": "recipes", "also": ["taggit"],
                "sqlite": ROOT / "fixtures" / "recipes" / "recipes.sqlite3",
                "postgres": ROOT / "fixtures" / "recipes" / "recipes.postgres.sql"},
    # generic relations whose content type is not cached yet (issue 16)
    "suite2_tagging": {"app": "tagging", "dataset": "tagging", "also": ["contenttypes"],
                "sqlite": ROOT / "fixtures" / "tagging" / "tagging.sqlite3",
                "postgres": ROOT / "fixtures" / "tagging" / "tagging.postgres.sql"},
    # model inheritance: abstract bases from another app, multi-table, proxies (issue 16)
    "inherit": {"app": "inherit", "dataset": "inherit",
                "sqlite": ROOT / "fixtures" / "inherit" / "inherit.sqlite3",
                "postgres": ROOT / "fixtures" / "inherit" / "inherit.postgres.sql"},
    # only() on multi-table children (issue 16)
    "suite2_inherit": {"app": "inherit", "dataset": "inherit",
                "sqlite": ROOT / "fixtures" / "inherit" / "inherit.sqlite3",
                "postgres": ROOT / "fixtures" / "inherit" / "inherit.postgres.sql"},
    # field and model features (issue 16): UUIDs, choices enums, to_field, db_default,
    # GeneratedField, ordering expressions, get_latest_by, self and through many-to-many
    "fields": {"app": "fields", "dataset": "fields",
               "sqlite": ROOT / "fixtures" / "fields" / "fields.sqlite3",
               "postgres": ROOT / "fixtures" / "fields" / "fields.postgres.sql"},
    # TIME_ZONE and USE_TZ (issue 17): every date lookup, Trunc/Extract kind, dates()/datetimes()
    # on rows around DST changes and local midnights, recorded under the corpus's "settings"
    # (the environment tools/djangoproj's settings read; the recording names them and djq's
    # replay sets them). The database is the same, built with USE_TZ = True in UTC.
    "tz_ny": {"app": "clock", "dataset": "clock", "preamble": "import datetime",
              "settings": {"DJQ_TIME_ZONE": "America/New_York", "DJQ_USE_TZ": "1"},
              "sqlite": ROOT / "fixtures" / "clock" / "clock.sqlite3",
              "postgres": ROOT / "fixtures" / "clock" / "clock.postgres.sql"},
    "tz_naive": {"app": "clock", "dataset": "clock", "preamble": "import datetime",
                 "settings": {"DJQ_TIME_ZONE": "Asia/Kolkata", "DJQ_USE_TZ": "0"},
                 "sqlite": ROOT / "fixtures" / "clock" / "clock.sqlite3",
                 "postgres": ROOT / "fixtures" / "clock" / "clock.postgres.sql"},
    # django.contrib's models built into djq (issue 17): auth, contenttypes, sessions, admin,
    # sites, flatpages, redirects next to the `portal` app's models; the namespace has them all
    "contrib": {"app": "portal", "dataset": "portal",
                "also": ["auth", "contenttypes", "sessions", "admin", "sites", "flatpages", "redirects"],
                "preamble": "from django.contrib.auth import get_user_model\n"
                            "from django.contrib.auth.hashers import check_password, is_password_usable, make_password",
                "sqlite": ROOT / "fixtures" / "portal" / "portal.sqlite3",
                "postgres": ROOT / "fixtures" / "portal" / "portal.postgres.sql"},
    # a custom user model (AUTH_USER_MODEL = "accounts.User" on AbstractUser) with auth,
    # sessions and admin pointing at it (issue 17)
    "contrib_swapped": {"app": "accounts", "dataset": "accounts",
                        "also": ["auth", "contenttypes", "sessions", "admin"],
                        "preamble": "from django.contrib.auth import get_user_model",
                        "sqlite": ROOT / "fixtures" / "accounts" / "accounts.sqlite3",
                        "postgres": ROOT / "fixtures" / "accounts" / "accounts.postgres.sql"},
    # JSONField, ArrayField, unaccent/trigram lookups, DISTINCT ON: PostgreSQL only
    "pgapp": {"app": "pgapp", "dataset": "pgapp", "sqlite": None,
              "postgres": ROOT / "fixtures" / "pg" / "pgapp.postgres.sql"},
}


def backends_of(corpus):
    """The backends a corpus is recorded on."""
    return [b for b in ("sqlite", "postgres") if CORPORA[corpus][b] is not None]


# ---------------------------------------------------------------------------------------
# backends
# ---------------------------------------------------------------------------------------

class Backend:
    name = None

    def __init__(self, corpus, database):
        self.corpus = corpus
        self.database = database

    def environ(self):
        """Environment for tools/djangoproj/djangoproj/settings.py."""
        raise NotImplementedError

    def label(self):
        """The "database" field of the output file."""
        raise NotImplementedError

    def driver_sql(self, sql, params, many):
        """The statement as the DB-API driver receives it."""
        raise NotImplementedError

    def driver_param(self, value):
        """One parameter as the driver binds it (after the driver's own adapters)."""
        return value

    def fingerprint(self):
        """Something that changes if the database changes (checked before/after)."""
        return None

    def server_version(self, connection):
        """The "server_version" field of the output file, or None for no such field."""
        return None

    def check_session(self, connection):
        """Called once connected, before recording."""


# Django's SQLite backend (django/db/backends/sqlite3/base.py, SQLiteCursorWrapper):
#   execute(query, params): if params is None the query goes through untouched; a Mapping
#   switches to "named" style; otherwise FORMAT_QMARK_REGEX (?<!%)%s -> "?" and then
#   "%%" -> "%".
_SQLITE_QMARK = re.compile(r"(?<!%)%s")


class SQLiteBackend(Backend):
    name = "sqlite"

    def __init__(self, corpus, database):
        super().__init__(corpus, Path(database or CORPORA[corpus]["sqlite"]).resolve())

    def environ(self):
        return {"DJQ_DB_BACKEND": "sqlite", "DJQ_DB_PATH": str(self.database)}

    def label(self):
        try:
            return self.database.relative_to(ROOT).as_posix()
        except ValueError:
            return str(self.database)

    def driver_sql(self, sql, params, many):
        if params is None:
            return sql
        sample = params[0] if (many and params) else params
        if isinstance(sample, dict):
            return sql % {name: f":{name}" for name in sample}
        return _SQLITE_QMARK.sub("?", sql).replace("%%", "%")

    def driver_param(self, value):
        # The sqlite3 module applies registered adapters by exact type before binding;
        # Django registers Decimal -> str, date -> isoformat(), datetime -> isoformat(" ").
        import sqlite3

        adapter = sqlite3.adapters.get((type(value), sqlite3.PrepareProtocol))
        return adapter(value) if adapter else value

    def fingerprint(self):
        return hashlib.sha256(self.database.read_bytes()).hexdigest()


# Django's PostgreSQL backend hands psycopg 3 the statement in Python "format" style (%s,
# %(name)s, %% for a literal %). By default it uses a ClientCursor, which inlines the values
# before sending; djq binds parameters server-side, so what is recorded is the statement as
# psycopg itself converts it for server-side binding (ServerBindingCursor, i.e.
# OPTIONS["server_side_binding"]=True): placeholders numbered $1, $2, ... in order of
# appearance (a repeated %(name)s reuses its number) and %% -> %.


class PostgresBackend(Backend):
    name = "postgres"

    def __init__(self, corpus, database):
        if not database or not database.startswith(("postgres://", "postgresql://")):
            raise SystemExit("record.py: the postgres backend needs --database postgresql://... "
                             "(the parent process builds one on a throwaway cluster)")
        super().__init__(corpus, database)

    def environ(self):
        from build_fixtures import postgres_settings_env

        return {"DJQ_DB_BACKEND": "postgres", **postgres_settings_env(self.database)}

    def label(self):
        # the recording database is built by Django (migrate + tools/data loaders) and checked
        # row for row against the SQLite fixture and against this dump, which is what djq loads
        return CORPORA[self.corpus]["postgres"].relative_to(ROOT).as_posix()

    def driver_sql(self, sql, params, many):
        if params is None:
            return sql  # psycopg sends it untouched (no placeholder parsing, %% stays %%)
        from psycopg._queries import _query2pg_nocache

        return _query2pg_nocache(sql.encode("utf-8"), "utf-8")[0].decode("utf-8")

    def fingerprint(self):
        from build_fixtures import pg_connect, pg_rows, pg_sequences

        with pg_connect(self.database) as conn:
            state = repr((pg_rows(conn), pg_sequences(conn)))
        return hashlib.sha256(state.encode("utf-8")).hexdigest()

    def server_version(self, connection):
        v = connection.pg_version  # e.g. 150018
        return f"{v // 10000}.{v % 10000}" if v >= 100000 else f"{v // 10000}.{v // 100 % 100}.{v % 100}"

    def check_session(self, connection):
        # Django's connection time zone: UTC with USE_TZ, else TIME_ZONE
        from django.conf import settings

        expected = "UTC" if settings.USE_TZ else settings.TIME_ZONE
        tz = connection.connection.info.parameter_status("TimeZone")
        if tz != expected:
            raise SystemExit(f"record.py: PostgreSQL session TimeZone is {tz!r}, expected {expected!r}")
        from psycopg.adapt import PyFormat, Transformer

        self._transformer = Transformer(connection.connection)
        self._text = PyFormat.TEXT

    def driver_param(self, value):
        # JSON scalars stay as they are; anything else (date, datetime, time, timedelta,
        # Decimal, UUID, ...) becomes the text psycopg sends for it, e.g. a datetime is
        # '2022-12-31 23:59:59.999999+00:00' (DjangoJSONEncoder would drop microseconds).
        # A JSONField value (Jsonb) is the document it wraps.
        from psycopg.types.json import Jsonb

        if isinstance(value, Jsonb):
            return value.obj
        if value is None or isinstance(value, (bool, int, float, str, list, tuple, dict)):
            return value
        dumped = self._transformer.get_dumper(value, self._text).dump(value)
        return None if dumped is None else bytes(dumped).decode("utf-8")


BACKENDS = {b.name: b for b in (SQLiteBackend, PostgresBackend)}


# ---------------------------------------------------------------------------------------
# corpus
# ---------------------------------------------------------------------------------------

def read_corpus(path):
    """[(line number, expression)] of a corpus file."""
    exprs = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        exprs.append((number, stripped))
    return exprs


def corpus_path(corpus):
    return CONFORMANCE / f"{corpus}.corpus"


def output_path(corpus, backend):
    return CONFORMANCE / f"{corpus}.{backend}.json"



# ---------------------------------------------------------------------------------------
# evaluating one expression under Django (also used by tools/django_suite.py); call after
# django.setup()
# ---------------------------------------------------------------------------------------

class Unsupported(Exception):
    pass


def shell_namespace(app_labels):
    """A namespace like Django's shell: `from django.db.models import *`,
    `from django.db.models.functions import *`, then the models of these apps."""
    from django.apps import apps

    namespace = {}
    exec("from django.db.models import *", namespace)
    exec("from django.db.models.functions import *", namespace)
    for app in app_labels:
        for model in apps.get_app_config(app).get_models():
            namespace[model.__name__] = model
    return namespace


def instance_to_obj(obj, annotation_names=None):
    deferred = obj.get_deferred_fields()
    out = {}
    attnames = set()
    for field in obj._meta.concrete_fields:
        attnames.add(field.attname)
        if field.attname in deferred:
            continue
        out[field.attname] = getattr(obj, field.attname)
    if annotation_names is None:
        # A lone instance (first(), get(), ...): its annotations are the attributes
        # Django's ModelIterable set after the fields, in order.
        annotation_names = [k for k in vars(obj) if not k.startswith("_") and k not in attnames]
    for name in annotation_names:
        out[name] = getattr(obj, name)
    return out


def plain(value):
    import datetime
    import decimal
    import uuid

    from django.db.models import Model

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (datetime.date, datetime.time, datetime.timedelta, decimal.Decimal, uuid.UUID)):
        return value
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Model):
        return instance_to_obj(value)
    raise Unsupported(repr(value))


def materialise(value):
    """(result, ordered) for an evaluated expression."""
    from django.db.models import Model, QuerySet
    from django.db.models.query import (
        FlatValuesListIterable,
        ModelIterable,
        NamedValuesListIterable,
        ValuesIterable,
        ValuesListIterable,
    )

    if isinstance(value, QuerySet):
        rows = list(value)
        ordered = value.ordered
        iterable = value._iterable_class
        if issubclass(iterable, ModelIterable):
            # An instance has its extra(select=...) entries, then its annotations, as
            # attributes after its fields (ModelIterable's annotation_col_map).
            names = [*value.query.extra_select, *value.query.annotation_select]
            return [instance_to_obj(o, names) for o in rows], ordered
        if issubclass(iterable, ValuesIterable):
            return [{k: plain(v) for k, v in row.items()} for row in rows], ordered
        if issubclass(iterable, FlatValuesListIterable):
            return [plain(v) for v in rows], ordered
        if issubclass(iterable, (ValuesListIterable, NamedValuesListIterable)):
            return [[plain(v) for v in row] for row in rows], ordered
        raise Unsupported(f"QuerySet with {iterable.__name__}")
    if isinstance(value, Model):
        return instance_to_obj(value), True
    return plain(value), True


def jsonable_params(backend, params, many):
    if params is None:
        return []
    if many:
        return [jsonable_params(backend, p, False) for p in params]
    if isinstance(params, dict):
        return {k: plain(backend.driver_param(v)) for k, v in params.items()}
    return [plain(backend.driver_param(p)) for p in params]


def evaluate(expr, namespace, backend):
    """{"queries": [...], "result": ..., "ordered": ...} or {"queries": [...], "error": {...}}:
    `expr` evaluated with eval() in `namespace` and materialised, inside a transaction that is
    rolled back; "queries" are the statements sent to the driver (BEGIN not included)."""
    from django.db import connection, transaction

    queries = []

    def capture(execute, sql, params, many, context):
        q = {"sql": backend.driver_sql(sql, params, many), "params": jsonable_params(backend, params, many)}
        if many:
            q["many"] = True
        queries.append(q)
        return execute(sql, params, many, context)

    entry = {"queries": queries}
    with transaction.atomic():
        # installed after atomic() so its BEGIN is not recorded
        with connection.execute_wrapper(capture):
            try:
                value = eval(expr, namespace)
                result, ordered = materialise(value)
            except Unsupported as e:
                entry["error"] = {"type": "Unsupported", "message": str(e)}
            except Exception as e:  # noqa: BLE001 - recording Django's own errors
                entry["error"] = {"type": type(e).__name__, "message": str(e)}
            else:
                entry["result"] = result
                entry["ordered"] = ordered
        transaction.set_rollback(True)
    return entry


# ---------------------------------------------------------------------------------------
# child process: set Django up for one corpus/backend and record
# ---------------------------------------------------------------------------------------


def record_corpus(corpus, backend_name, database):
    backend = BACKENDS[backend_name](corpus, database)
    os.environ.update(backend.environ())
    os.environ["DJQ_APPS"] = CORPORA[corpus]["app"]
    settings = CORPORA[corpus].get("settings", {})
    os.environ.update(settings)
    os.environ["DJANGO_SETTINGS_MODULE"] = "djangoproj.settings"
    sys.path.insert(0, str(PROJECT))

    import django

    if django.VERSION[0] != EXPECTED_DJANGO_MAJOR:
        raise SystemExit(
            f"record.py: expected Django {EXPECTED_DJANGO_MAJOR}.x in tools/.venv, "
            f"found {django.__version__}; update EXPECTED_DJANGO_MAJOR deliberately"
        )
    django.setup()

    from django.db import connection

    namespace = shell_namespace([*CORPORA[corpus].get("also", []), CORPORA[corpus]["app"]])
    preamble = CORPORA[corpus].get("preamble")
    if preamble:
        exec(preamble, namespace)

    before = backend.fingerprint()
    connection.ensure_connection()
    backend.check_session(connection)
    server_version = backend.server_version(connection)
    entries = []
    for line, expr in read_corpus(corpus_path(corpus)):
        entries.append({"expr": expr, "line": line, **evaluate(expr, namespace, backend)})
    connection.close()
    after = backend.fingerprint()
    if before != after:
        raise SystemExit(f"record.py: {backend.label()} changed while recording!")

    doc = {
        "django": django.__version__,
        "backend": backend.name,
        "database": backend.label(),
        "corpus": corpus_path(corpus).relative_to(ROOT).as_posix(),
        "entries": entries,
    }
    if preamble:
        # run first by the replay too (tests/conformance.rs)
        doc["preamble"] = preamble
    if settings:
        # TIME_ZONE / USE_TZ as Django had them (the replay gives djq the same)
        from django.conf import settings as django_settings

        doc["settings"] = {"TIME_ZONE": django_settings.TIME_ZONE, "USE_TZ": django_settings.USE_TZ}
    if server_version is not None:
        doc["server_version"] = server_version
    return doc


# ---------------------------------------------------------------------------------------
# output: valid JSON, one result row / query per line so that diffs stay readable
# ---------------------------------------------------------------------------------------

def render(doc):
    import datetime

    from django.core.serializers.json import DjangoJSONEncoder

    class FullPrecision(DjangoJSONEncoder):
        """DjangoJSONEncoder without its millisecond rule: datetimes and times keep their
        microseconds and their offset as isoformat() writes them."""

        def default(self, o):
            if isinstance(o, (datetime.datetime, datetime.time)):
                return o.isoformat()
            return super().default(o)

    def dump(v):
        return json.dumps(v, cls=FullPrecision, ensure_ascii=False, allow_nan=False)

    def rows(values, indent):
        if not values:
            return "[]"
        pad = " " * indent
        return "[\n" + ",\n".join(pad + "  " + dump(v) for v in values) + "\n" + pad + "]"

    out = ["{"]
    for key in ("django", "backend", "server_version", "database", "corpus", "settings", "preamble"):
        if key in doc:
            out.append(f"  {dump(key)}: {dump(doc[key])},")
    out.append('  "entries": [')
    entries = []
    for e in doc["entries"]:
        parts = [f"      {dump('expr')}: {dump(e['expr'])}", f"      {dump('line')}: {dump(e['line'])}"]
        # what the entry needs run before it and after it (django_suite.py's registrations)
        parts += [f"      {dump(k)}: {dump(e[k])}" for k in ("setup", "teardown") if k in e]
        parts.append(f"      {dump('queries')}: {rows(e['queries'], 6)}")
        if "result" in e:
            r = e["result"]
            parts.append(f"      {dump('result')}: {rows(r, 6) if isinstance(r, list) else dump(r)}")
            parts.append(f"      {dump('ordered')}: {dump(e['ordered'])}")
        if "error" in e:
            parts.append(f"      {dump('error')}: {dump(e['error'])}")
        entries.append("    {\n" + ",\n".join(parts) + "\n    }")
    out.append(",\n".join(entries))
    out.append("  ]")
    out.append("}")
    text = "\n".join(out) + "\n"
    assert json.loads(text)["entries"] == json.loads(dump(doc["entries"])), "renderer bug"
    return text


def child_main(corpus, backend, database, out):
    doc = record_corpus(corpus, backend, database)
    text = render(doc)
    Path(out).write_text(text, encoding="utf-8")


# ---------------------------------------------------------------------------------------
# parent: one child process per corpus
# ---------------------------------------------------------------------------------------

def run_child(corpus, backend, database):
    """The recording (JSON text) of one corpus, made in a fresh interpreter."""
    import tempfile

    with tempfile.TemporaryDirectory(prefix="djq-record-") as tmp:
        out = Path(tmp) / "out.json"
        cmd = [sys.executable, __file__, "--backend", backend, "--child", corpus, str(out)]
        if database:
            cmd += ["--database", str(database)]
        subprocess.run(cmd, check=True)
        return out.read_text(encoding="utf-8")


def record_one(corpus, backend, database, check, stale):
    target = output_path(corpus, backend)
    text = run_child(corpus, backend, database)
    doc = json.loads(text)
    entries = doc["entries"]
    errors = [e for e in entries if "error" in e]
    unsupported = [e for e in errors if e["error"]["type"] == "Unsupported"]
    nqueries = sum(len(e["queries"]) for e in entries)
    rel = target.relative_to(ROOT)
    print(
        f"{corpus} [{backend}, Django {doc['django']}]: {len(entries)} entries, "
        f"{len(errors)} errors ({len(unsupported)} unsupported), {nqueries} queries -> {rel}"
    )
    for e in unsupported:
        print(f"    unsupported: {e['expr']}: {e['error']['message']}")
    if check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            stale.append(str(rel))
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return doc


def differences(a, b):
    """[(expr, what)] for the entries of two recordings of the same corpus whose outcome
    differs: "rows" (different rows), "order" (same rows, another order; "unordered" when
    neither recording says the result is ordered), "error" (raised on one side only or
    another exception type), "message" (same exception type, another message)."""
    canon = lambda v: json.dumps(v, sort_keys=True)
    out = []
    for ea, eb in zip(a["entries"], b["entries"]):
        assert ea["expr"] == eb["expr"]
        if ("error" in ea) != ("error" in eb):
            out.append((ea["expr"], "error"))
        elif "error" in ea:
            if ea["error"]["type"] != eb["error"]["type"]:
                out.append((ea["expr"], "error"))
            elif ea["error"]["message"] != eb["error"]["message"]:
                out.append((ea["expr"], "message"))
        elif canon(ea["result"]) != canon(eb["result"]):
            ra, rb = ea["result"], eb["result"]
            if isinstance(ra, list) and isinstance(rb, list) and sorted(map(canon, ra)) == sorted(map(canon, rb)):
                ordered = ea["ordered"] or eb["ordered"]
                out.append((ea["expr"], "order" if ordered else "unordered"))
            else:
                out.append((ea["expr"], "rows"))
    return out


def check_dump(corpus, cluster, built, doc):
    """djq's tests run against a database loaded from the .postgres.sql dump, not the
    Django-built one: load the dump, check it holds the same rows, record again and check
    that every entry comes out the same (row order of unordered queries included)."""
    import build_fixtures

    dump = CORPORA[corpus]["postgres"]
    rel = dump.relative_to(ROOT)
    if not dump.exists():
        print(f"    {rel} missing: run tools/build_fixtures.py --postgres")
        return
    loaded = f"djq_dump_{corpus}"
    cluster.create_database(loaded)
    with build_fixtures.pg_connect(cluster.url_for(loaded)) as conn:
        conn.execute(dump.read_bytes(), prepare=False)
        with build_fixtures.pg_connect(cluster.url_for(built)) as ref:
            try:
                build_fixtures.compare_postgres(ref, conn)
            except AssertionError as e:
                sys.exit(f"record.py: {rel} is stale ({e}): run tools/build_fixtures.py --postgres")
    again = json.loads(run_child(corpus, "postgres", cluster.url_for(loaded)))
    diffs = [a["expr"] for a, b in zip(doc["entries"], again["entries"]) if a != b]
    if diffs:
        print(f"    WARNING: {len(diffs)} entries come out differently on a database loaded from {rel}:")
        for expr in diffs:
            print(f"        {expr}")
    else:
        print(f"    same recording on a database loaded from {rel}")


def postgres_problem():
    from build_fixtures import postgres_unavailable

    return postgres_unavailable()


def main():
    parser = argparse.ArgumentParser(description="Record Django's behaviour for the djq conformance corpora.")
    parser.add_argument("corpora", nargs="*", help=f"any of {', '.join(CORPORA)} (default: all)")
    parser.add_argument("--backend", choices=sorted(BACKENDS),
                        help="default: sqlite, and postgres too when PostgreSQL is available here")
    parser.add_argument("--database", help="database to record against (sqlite: a file; postgres: a "
                        "postgresql:// URL used as is; default: the corpus's fixture / a throwaway cluster)")
    parser.add_argument("--check", action="store_true", help="do not write; fail if the recordings are out of date")
    parser.add_argument("--diff", action="store_true",
                        help="list every entry whose outcome differs between the sqlite and postgres recordings")
    parser.add_argument("--child", nargs=2, metavar=("CORPUS", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        child_main(args.child[0], args.backend, args.database, args.child[1])
        return

    corpora = args.corpora or list(CORPORA)
    for c in corpora:
        if c not in CORPORA:
            parser.error(f"unknown corpus {c!r}")
    if args.database and len(corpora) != 1:
        parser.error("--database needs exactly one corpus")
    if args.database and not args.backend:
        parser.error("--database needs --backend")

    if args.backend:
        backends = [args.backend]
        for c in corpora:
            if args.backend not in backends_of(c) and (args.corpora or args.database):
                parser.error(f"corpus {c!r} is not recorded on {args.backend}")
    else:
        problem = postgres_problem()
        if problem:
            print(f"record.py: PostgreSQL not available ({problem}): recording sqlite only")
            backends = ["sqlite"]
        else:
            backends = ["sqlite", "postgres"]

    stale = []
    docs = {}
    for backend in backends:
        on_backend = [c for c in corpora if backend in backends_of(c)]
        if backend == "sqlite" or args.database:
            for corpus in on_backend:
                docs[corpus, backend] = record_one(corpus, backend, args.database, args.check, stale)
            continue
        problem = postgres_problem()
        if problem:
            sys.exit(f"record.py: {problem}")
        import build_fixtures
        import pgcluster

        with pgcluster.Cluster() as cluster:
            for corpus in on_backend:
                dbname = f"djq_record_{corpus}"
                # same migrations and loaders as the SQLite fixture; checked row for row against it
                build_fixtures.build_postgres_database(CORPORA[corpus]["dataset"], cluster, dbname)
                doc = docs[corpus, backend] = record_one(corpus, backend, cluster.url_for(dbname), args.check, stale)
                check_dump(corpus, cluster, dbname, doc)

    for corpus in corpora:
        pg = docs.get((corpus, "postgres"))
        if pg is None:
            continue
        if "sqlite" not in backends_of(corpus):
            continue
        lite = docs.get((corpus, "sqlite"))
        if lite is None:
            path = output_path(corpus, "sqlite")
            if not path.exists():
                continue
            lite = json.loads(path.read_text(encoding="utf-8"))
        diffs = differences(lite, pg)
        kinds = {}
        for _, kind in diffs:
            kinds[kind] = kinds.get(kind, 0) + 1
        summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items())) or "none"
        print(f"{corpus}: sqlite vs postgres outcomes differ in {len(diffs)} entries ({summary})"
              + ("" if args.diff or not diffs else "; --diff lists them"))
        if args.diff:
            for expr, kind in diffs:
                print(f"    {kind:9} {expr}")
    if stale:
        sys.exit("record.py --check: out of date: " + ", ".join(stale))


if __name__ == "__main__":
    main()
