#!/usr/bin/env python
"""Measure djq on models and queries nobody on the team wrote: Django's own test apps.

Usage (from the repository root):

    tools/.venv/bin/python tools/django_suite.py                      # the curated apps
    tools/.venv/bin/python tools/django_suite.py basic lookup         # some apps
    tools/.venv/bin/python tools/django_suite.py --tests DIR          # another tests/ folder
    tools/.venv/bin/python tools/django_suite.py --download           # pip download Django's sdist
    tools/.venv/bin/python tools/django_suite.py --no-record basic    # replay the last recording
    tools/.venv/bin/python tools/django_suite.py --backend postgresql # on PostgreSQL (any of the above)
    tools/.venv/bin/python tools/django_suite.py --report-only        # report on the last run again

Nothing of Django's is committed: the test apps are read at run time from `--tests` (default
/work/django-src/django-6.1.3/tests, or the sdist `--download` fetches into
target/django-suite/), and everything made from them lives in target/django-suite/ (git-ignored).

`--backend` says what Django and djq run on: `sqlite` (the default; everything under
target/django-suite/<app>/) or `postgresql` (everything under target/django-suite/postgresql/<app>/,
on a throwaway server tools/pgcluster.py starts for the recording and stops after it).

For each app, in a fresh interpreter (Django configured with contenttypes, auth and the app,
USE_TZ=True, TIME_ZONE="UTC"):

1. `migrate --run-syncdb` into a base database (SQLite: base.sqlite3; PostgreSQL: the
   database `suite_base`), contenttypes' and auth's tables made by syncdb too, as Django's
   runtests.py does;
2. every TestCase class of the app's test*.py modules whose test methods hold queryset
   expressions gets a copy of that database (SQLite: a copy of the file; PostgreSQL: `CREATE
   DATABASE suite_<n> TEMPLATE suite_base`), populated the way the class does it (its
   `fixtures`, `setUpTestData()`, its own `setUp()`); a class whose setup fails is reported
   and skipped; then ContentType's cache is cleared, so that Django, like the djq session that
   replays the class, starts as a fresh shell would (setup's lookups would spare Django the
   content type queries a shell runs);
3. the expressions are extracted with `ast`: maximal expressions rooted at `<Model>.<manager>`
   (or at a local name a test method assigned such an expression to, substituted), whose free
   names are only the models Django's shell imports (earlier apps take precedence), what
   `from django.db.models import *` and `from django.db.models.functions import *` bind, the
   test module's imports of its app's models (made absolute), of `datetime`, `decimal` and
   `uuid` names and of `django.utils.timezone` (run first on both sides, the "preamble"), and a
   few builtins; writes (`create`, `update`, `delete`, related managers'
   `add`/`set`/...), async methods, Django's internals (`.query`, `._result_cache`, `.db`) and
   lambdas/comprehensions are left out; deduplicated per class;
4. each is evaluated by Django with tools/record.py's `evaluate` and that backend's driver
   rendering (rows, SQL, errors; in a rolled-back transaction), written as
   <app>/<module>.<Class>.<sqlite|postgres>.json in record.py's format. Entries Django itself
   cannot materialise (`Unsupported`: a Query object, a generator, a bound method) are left
   out. On PostgreSQL the parent then writes each class database as a plain SQL script
   (build_fixtures.py's `pg_dump_sql`) to <app>/<module>.<Class>.postgres.sql, the
   recording's "database", and drops the databases.

Then `cargo test --test conformance django_suite_replay -- --ignored` replays every recording
through djq (on PostgreSQL: each dump loaded into a database of the server tests/support/pg.rs
starts, as for the committed PostgreSQL corpora) with tests/conformance.rs's own comparison
(DjangoJSONEncoder's millisecond rule, row order compared only when Django's result is
ordered, keys in Django's column order, the SQL text and parameters of every statement), and
this script prints per app: entries, % of values equal, % of SQL equal, and the failures
grouped by cause (djq's error with its message's literals elided, Django's error djq does not
raise, the kind of row difference, the first differing token of the SQL) with counts; the full report, with an example of each cause, goes
to report.md in the backend's folder (target/django-suite/report.md,
target/django-suite/postgresql/report.md; and report.json, the per-entry outcomes).
"""
import argparse
import ast
import importlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import unittest
from collections import Counter, defaultdict
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
sys.path.insert(0, str(TOOLS))
OUT = ROOT / "target" / "django-suite"
# Where each backend's recordings, replays and report go.
BACKENDS = {"sqlite": OUT, "postgresql": OUT / "postgresql"}
DEFAULT_TESTS = Path("/work/django-src/django-6.1.3/tests")
DJANGO_VERSION = "6.1.3"

APPS = [
    "basic", "lookup", "queries", "aggregation", "annotations", "expressions", "many_to_one",
    "many_to_many", "one_to_one", "m2m_through", "select_related", "prefetch_related",
    "null_fk", "custom_pk", "model_inheritance", "model_inheritance_regress", "proxy_models",
    "generic_relations", "custom_managers", "composite_pk", "ordering", "dates",
    "datetimes", "update", "delete", "distinct_on_fields", "or_lookups", "reverse_lookup",
    "get_or_create", "m2m_recursive", "m2o_recursive", "custom_columns", "field_defaults",
    "str", "db_functions",
]

# Query methods that write or do not return data: such expressions are left out.
WRITES = {
    "create", "get_or_create", "update_or_create", "update", "delete", "bulk_create",
    "bulk_update", "add", "remove", "clear", "set", "save", "iterator", "explain",
}
# Django's internals (`qs.query.get_compiler(...)`, `qs._result_cache`, `qs.db`): left out.
INTERNALS = {"query", "db"}
BUILTINS = {"True", "False", "None", "range", "str", "int", "float", "list", "tuple", "set",
            "dict", "len", "sorted", "min", "max", "sum", "bool", "abs"}
# Modules whose imports the preamble may carry (both sides run them before the entries).
PREAMBLE_MODULES = {"datetime", "decimal", "uuid"}


# ---------------------------------------------------------------------------------------
# extraction
# ---------------------------------------------------------------------------------------

def preamble_of(tree, modname, app):
    """(source, names) of the module's top-level imports of its app's models (relative ones
    made absolute: `from .models import User` binds the app's `User`, not auth's, as in the
    test), of PREAMBLE_MODULES and of django.utils.timezone."""
    from importlib.util import resolve_name

    lines, names = [], set()
    package = modname.rpartition(".")[0]
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(app + ".")):
            module = resolve_name("." * node.level + (node.module or ""), package) if node.level else node.module
            if module == f"{app}.models" or module.startswith(f"{app}.models."):
                keep = [a for a in node.names if a.name != "*"]
                if keep:
                    lines.append(ast.unparse(ast.ImportFrom(module=module, names=keep, level=0)))
                    names.update(a.asname or a.name for a in keep)
            continue
        if isinstance(node, ast.Import):
            keep = [a for a in node.names if a.name in PREAMBLE_MODULES]
            if keep:
                lines.append(ast.unparse(ast.Import(names=keep)))
                names.update(a.asname or a.name for a in keep)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            if node.module in PREAMBLE_MODULES:
                keep = node.names
            elif node.module == "django.utils":
                keep = [a for a in node.names if a.name == "timezone"]
            else:
                keep = []
            if keep:
                lines.append(ast.unparse(ast.ImportFrom(module=node.module, names=keep, level=0)))
                names.update(a.asname or a.name for a in keep)
    return "\n".join(lines), names


def spine(node):
    """The chain of a call/attribute/subscript expression from its root name outwards:
    (root Name or None, [attribute names along the chain])."""
    attrs = []
    while True:
        if isinstance(node, ast.Call):
            node = node.func
        elif isinstance(node, ast.Subscript):
            node = node.value
        elif isinstance(node, ast.Attribute):
            attrs.append(node.attr)
            node = node.value
        else:
            break
    return (node if isinstance(node, ast.Name) else None), attrs[::-1]


class Extractor:
    def __init__(self, namespace, allowed, managers, queryset_methods):
        self.namespace = namespace  # name -> object (models etc.)
        self.allowed = allowed  # free names an expression may use
        self.managers = managers  # model name -> manager attribute names
        self.queryset_methods = queryset_methods

    def rooted(self, node, local):
        """node with local names substituted, if it is a chain rooted at <Model>.<manager>."""
        if not isinstance(node, (ast.Call, ast.Attribute, ast.Subscript)):
            return None
        root, attrs = spine(node)
        if root is None:
            return None
        if root.id in local:
            node = _substitute(node, root.id, local[root.id])
            root, attrs = spine(node)
            if root is None:
                return None
        elif root.id in self.managers:
            if not attrs or attrs[0] not in self.managers[root.id]:
                return None
        else:
            return None
        return node

    def acceptable(self, node):
        root, attrs = spine(node)
        if len(attrs) < 2 and not isinstance(node, ast.Call):
            return False  # a bare manager
        if any(a in WRITES or a in INTERNALS or a.startswith("_") or (a.startswith("a") and a[1:] in self.queryset_methods)
               for a in attrs):
            return False
        if isinstance(node, ast.Attribute) and node.attr in self.queryset_methods:
            return False  # a bound method passed along (assertRaises(..., Model.objects.get, ...))
        for sub in ast.walk(node):
            if isinstance(sub, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                                ast.GeneratorExp, ast.NamedExpr, ast.Starred, ast.Await)):
                return False
            if isinstance(sub, ast.keyword) and sub.arg is None:
                return False  # **kwargs
            if isinstance(sub, ast.Name) and sub.id not in self.allowed:
                return False
        return True

    def method(self, fn):
        """The expressions of one test method, in order of appearance, each with the lookup
        registrations in force where it is (`Registrations`)."""
        found = []
        local = {}
        regs = Registrations()

        def visit(node):
            cand = self.rooted(node, local)
            if cand is not None and self.acceptable(cand):
                found.append((node.lineno, cand, regs.copy()))
                return
            for child in ast.iter_child_nodes(node):
                visit(child)

        def statements(body):
            nonlocal regs
            for stmt in body:
                if regs.statement(stmt):
                    continue
                if isinstance(stmt, ast.With) and (inner := regs.entered(stmt)) is not None:
                    outer, regs = regs, inner
                    statements(stmt.body)
                    regs = outer
                    continue
                if isinstance(stmt, ast.Assign) and len(stmt.targets) == 1 and isinstance(stmt.targets[0], ast.Name):
                    # `qs = Model.objects...` : later uses of `qs` are substituted
                    name = stmt.targets[0].id
                    regs.assigned[name] = stmt.value
                    cand = self.rooted(stmt.value, local)
                    if cand is not None and self.acceptable(cand):
                        found.append((stmt.value.lineno, cand, regs.copy()))
                        local[name] = cand
                    else:
                        local.pop(name, None)
                        visit(stmt.value)
                    continue
                # this statement's own expressions first, then its nested statements in order
                nested = []
                for _, value in ast.iter_fields(stmt):
                    items = value if isinstance(value, list) else [value]
                    for v in items:
                        if isinstance(v, ast.stmt):
                            nested.append([v])
                        elif isinstance(v, ast.excepthandler):
                            nested.append(v.body)
                        elif isinstance(v, ast.AST):
                            visit(v)
                for inner in nested:
                    statements(inner)

        statements(fn.body)
        return found


class Registrations:
    """The lookups a test registers around its expressions, as Django's tests write it:
    inside `with register_lookup(Field, Cls[, Cls2][, lookup_name=...])` blocks and after
    `Field.register_lookup(Cls[, name])` statements (`Field._unregister_lookup(...)` takes
    one back); with the classes the method itself defines (`class NotEqual(Lookup)`) and its
    plain assignments, which a registration's owner may name (`field = ...get_field(...)`)."""

    def __init__(self):
        self.calls = []  # (owner, cls, name): ast expressions
        self.classes = {}  # local class definitions by name
        self.assigned = {}  # local `name = value` assignments

    def copy(self):
        other = Registrations()
        other.calls = list(self.calls)
        other.classes = self.classes
        other.assigned = dict(self.assigned)
        return other

    def statement(self, stmt):
        """Take in a class definition or a `register_lookup` statement; whether it was one."""
        if isinstance(stmt, ast.ClassDef):
            self.classes[stmt.name] = stmt
            return True
        call = stmt.value if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) else None
        if call is None or not isinstance(call.func, ast.Attribute):
            return False
        if call.func.attr not in ("register_lookup", "_unregister_lookup") or not call.args:
            return False
        name = call.args[1] if len(call.args) > 1 else next((k.value for k in call.keywords if k.arg == "lookup_name"), None)
        key = (call.func.value, call.args[0], name)
        if call.func.attr == "register_lookup":
            self.calls.append(key)
        else:
            self.calls = [c for c in self.calls if ast.dump(c[0]) != ast.dump(key[0]) or ast.dump(c[1]) != ast.dump(key[1])]
        return True

    def entered(self, stmt):
        """The registrations inside a `with` of django.test.utils.register_lookup calls, or
        None for another `with`."""
        items = [i.context_expr for i in stmt.items]
        if not items or not all(isinstance(c, ast.Call) and isinstance(c.func, ast.Name)
                                and c.func.id == "register_lookup" and len(c.args) >= 2 for c in items):
            return None
        inner = self.copy()
        for c in items:
            name = next((k.value for k in c.keywords if k.arg == "lookup_name"), None)
            for cls in c.args[1:]:
                inner.calls.append((c.args[0], cls, name))
        return inner

    def code(self, tree):
        """(setup, teardown) source for djq and Django alike: the module's imports and class
        definitions the registrations need (with the module-level registrations of those
        classes, `@YearTransform.register_lookup`), the method's own classes, then the
        `register_lookup` calls; the teardown takes them back. ("", "") when there are none."""
        if not self.calls:
            return "", ""
        calls = []
        for owner, cls, name in self.calls:
            if isinstance(owner, ast.Name) and owner.id in self.assigned:
                owner = self.assigned[owner.id]
            # a field the method made itself (`sum_field = IntegerField()`) is no model's: its
            # registration changes no query the method could be extracted from
            if any(isinstance(n, ast.Call) and not (isinstance(n.func, ast.Attribute) and n.func.attr == "get_field")
                   for n in ast.walk(owner)):
                continue
            calls.append((owner, cls, name))
        if not calls:
            return "", ""
        module_classes = {n.name: n for n in tree.body if isinstance(n, ast.ClassDef)}
        used = set()
        for owner, cls, name in calls:
            used |= names_in(owner) | names_in(cls) | (names_in(name) if name else set())
        local = [c for c in self.classes.values()]
        for c in local:
            used |= names_in(c)
        # the module's classes they reach, and those that register themselves on them
        needed, todo = set(), [n for n in used if n in module_classes]
        while todo:
            n = todo.pop()
            if n in needed:
                continue
            needed.add(n)
            todo += [m for m in names_in(module_classes[n]) if m in module_classes]
            todo += [m for m, c in module_classes.items()
                     if any(n in names_in(d) for d in c.decorator_list)]
        body = [c for c in tree.body if isinstance(c, ast.ClassDef) and c.name in needed]
        reached = set().union(*(names_in(c) for c in body)) | used
        imports = []
        for node in tree.body:
            if isinstance(node, (ast.Import, ast.ImportFrom)) and not (
                    isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(("django.test", "unittest")))):
                keep = [a for a in node.names if (a.asname or a.name).split(".")[0] in reached]
                if keep:
                    imports.append(type(node)(**{**{f: getattr(node, f) for f in node._fields}, "names": keep}))
        setup = [ast.unparse(n) for n in imports + body + local]
        teardown = []
        for owner, cls, name in calls:
            extra = f", lookup_name={ast.unparse(name)}" if name else ""
            setup.append(f"{ast.unparse(owner)}.register_lookup({ast.unparse(cls)}{extra})")
            teardown.insert(0, f"{ast.unparse(owner)}._unregister_lookup({ast.unparse(cls)}{extra})")
        return "\n".join(setup), "\n".join(teardown)


def names_in(node):
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _substitute(node, name, replacement):
    class Sub(ast.NodeTransformer):
        def visit_Name(self, n):
            return replacement if n.id == name else n

    import copy

    return Sub().visit(copy.deepcopy(node))


def writable(entry):
    """Can record.py's renderer write this entry (a model instance left inside a row cannot)?"""
    from django.core.serializers.json import DjangoJSONEncoder

    try:
        json.dumps(entry, cls=DjangoJSONEncoder)
    except (TypeError, ValueError):
        return False
    return True


# ---------------------------------------------------------------------------------------
# child: one app under Django
# ---------------------------------------------------------------------------------------

class SQLiteStore:
    """The class databases of one app on SQLite: files under the app's folder."""

    backend = "sqlite"

    def __init__(self, outdir):
        self.outdir = outdir
        self.base = outdir / "base.sqlite3"
        self.base.unlink(missing_ok=True)

    def settings(self):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": str(self.base)}

    def copy(self, label):
        """A copy of the base database for a class: (Django's NAME, the recording's database)."""
        db = self.outdir / f"{label}.sqlite3"
        shutil.copyfile(self.base, db)
        return str(db), str(db)

    def recorder(self, record, name):
        return record.SQLiteBackend(None, name)


class PostgresStore:
    """The class databases of one app on the parent's throwaway PostgreSQL server: a base
    database `suite_base`, one `CREATE DATABASE suite_<n> TEMPLATE suite_base` per class, each
    dumped by the parent after the child is done (pg_dump_sql) to <label>.postgres.sql, which
    is the recording's database and what the replay loads."""

    backend = "postgres"

    def __init__(self, outdir, url):
        from urllib.parse import urlsplit

        self.outdir = outdir
        self.url = url
        self.server = urlsplit(url)
        self.classes = 0
        self.admin("DROP DATABASE IF EXISTS suite_base")
        self.admin("CREATE DATABASE suite_base TEMPLATE template0 ENCODING 'UTF8'")

    def admin(self, sql):
        from build_fixtures import pg_connect

        with pg_connect(self.url) as conn:
            conn.execute(sql)

    def settings(self):
        return {"ENGINE": "django.db.backends.postgresql", "NAME": "suite_base",
                "HOST": self.server.hostname, "PORT": str(self.server.port), "USER": self.server.username}

    def copy(self, label):
        self.classes += 1
        name = f"suite_{self.classes}"
        self.admin(f"CREATE DATABASE {name} TEMPLATE suite_base")
        return name, str(self.outdir / f"{label}.postgres.sql")

    def recorder(self, record, name):
        return record.PostgresBackend(None, self.url)


def child_main(app, tests_dir, outdir, server=None):
    tests_dir = Path(tests_dir)
    outdir = Path(outdir)
    sys.path.insert(0, str(tests_dir))
    store = PostgresStore(outdir, server) if server else SQLiteStore(outdir)

    import django
    from django.conf import settings

    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", app],
        DATABASES={"default": store.settings()},
        USE_TZ=True,
        TIME_ZONE="UTC",
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        SECRET_KEY="django_suite",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        # as Django's runtests.py: every table by syncdb, together (the app's foreign keys to
        # contenttypes' and auth's tables need them in the same run on PostgreSQL)
        MIGRATION_MODULES={"auth": None, "contenttypes": None, app: None},
    )
    django.setup()

    import record
    from django.apps import apps
    from django.core.management import call_command
    from django.db import connection
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import Model, QuerySet
    from django.test import TestCase as DjangoTestCase

    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    connection.close()

    # Django's shell: models of apps earlier in INSTALLED_APPS take precedence
    namespace = record.shell_namespace([app, "auth", "contenttypes"])

    def managers_of(ns):
        """model name -> its managers' attribute names, for the models a namespace binds"""
        return {name: {m.name for m in obj._meta.managers} for name, obj in ns.items()
                if isinstance(obj, type) and issubclass(obj, Model) and obj is not Model and not obj._meta.abstract}

    queryset_methods = {n for n in dir(QuerySet) if not n.startswith("_")}

    cases = []
    app_dir = tests_dir / app
    for path in sorted(app_dir.rglob("test*.py")):
        rel = path.relative_to(tests_dir).with_suffix("")
        modname = ".".join(rel.parts)
        case = {"module": modname}
        try:
            module = importlib.import_module(modname)
            tree = ast.parse(path.read_text(encoding="utf-8"))
        except Exception as e:  # noqa: BLE001 - reported, the run goes on
            cases.append({**case, "class": None, "setup_error": f"import: {type(e).__name__}: {e}"})
            continue
        preamble, preamble_names = preamble_of(tree, modname, app)
        ns = dict(namespace)
        exec(preamble, ns)
        allowed = set(namespace) | preamble_names | BUILTINS
        extractor = Extractor(ns, allowed, managers_of(ns), queryset_methods)
        for cdef in (n for n in tree.body if isinstance(n, ast.ClassDef)):
            cls = getattr(module, cdef.name, None)
            if not (isinstance(cls, type) and issubclass(cls, unittest.TestCase)):
                continue
            exprs, seen = [], set()
            for fn in cdef.body:
                if isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)) and fn.name.startswith("test"):
                    for line, node, regs in extractor.method(fn):
                        text = ast.unparse(node)
                        setup, teardown = regs.code(tree)
                        if (text, setup) not in seen:
                            seen.add((text, setup))
                            exprs.append((line, text, setup, teardown))
            if not exprs:
                continue
            # what the class's setUp() registers (Django's side runs setUp itself): djq runs
            # it after the imports
            class_preamble = preamble
            set_up = next((fn for fn in cdef.body if isinstance(fn, ast.FunctionDef) and fn.name == "setUp"), None)
            if set_up is not None:
                regs = Registrations()
                for stmt in set_up.body:
                    regs.statement(stmt)
                registered, _ = regs.code(tree)
                if registered:
                    class_preamble = f"{preamble}\n{registered}" if preamble else registered
            label = f"{modname}.{cdef.name}"
            connection.close()
            name, db = store.copy(label)
            entry = {**case, "class": cdef.name, "label": label, "database": db, "preamble": class_preamble,
                     "recording": str(outdir / f"{label}.{store.backend}.json"), "extracted": len(exprs)}
            if store.backend == "postgres":
                entry["server_database"] = name
            connection.settings_dict["NAME"] = name
            test = None
            try:
                if getattr(cls, "fixtures", None):
                    call_command("loaddata", *cls.fixtures, verbosity=0)
                if issubclass(cls, DjangoTestCase):
                    cls.setUpTestData()
                if "setUp" in vars(cls):
                    first = next(n.name for n in cdef.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name.startswith("test"))
                    test = cls(first)
                    test.setUp()
            except Exception as e:  # noqa: BLE001 - reported, the class skipped
                connection.close()
                cases.append({**entry, "setup_error": f"{type(e).__name__}: {e}".splitlines()[0][:300]})
                continue
            connection.close()
            # djq replays the entries in a fresh session on this database, as a fresh
            # `manage.py shell` would run them: ContentTypeManager's per-process cache starts
            # empty there, so the lookups setup made must not leave Django's warm.
            ContentType.objects.clear_cache()
            backend = store.recorder(record, name)
            connection.ensure_connection()
            backend.check_session(connection)
            entries = []
            unsupported = 0
            for line, text, setup, teardown in exprs:
                # the entry's registrations, made as djq's replay makes them
                entry_ns = ns
                if setup:
                    entry_ns = {**ns, "__name__": modname}
                    try:
                        exec(setup, entry_ns)
                    except Exception:  # noqa: BLE001 - a registration Django cannot make
                        unsupported += 1
                        continue
                got = record.evaluate(text, entry_ns, backend)
                if teardown:
                    try:
                        exec(teardown, entry_ns)
                    except Exception as e:  # noqa: BLE001 - said, the run goes on
                        print(f"{label}: could not take back {teardown!r}: {e}", file=sys.stderr)
                if got.get("error", {}).get("type") == "Unsupported" or not writable(got):
                    unsupported += 1
                    continue
                kept = {"setup": setup, "teardown": teardown} if setup else {}
                entries.append({"expr": text, "line": line, **kept, **got})
            if test is not None:
                test.doCleanups()  # what setUp registered (addCleanup) is taken back
            server_version = backend.server_version(connection)
            connection.close()
            doc = {"django": django.__version__, "backend": store.backend, "database": db,
                   "corpus": str(path), "entries": entries}
            if server_version is not None:
                doc["server_version"] = server_version
            Path(entry["recording"]).write_text(record.render(doc), encoding="utf-8")
            cases.append({**entry, "entries": len(entries), "unsupported": unsupported})
    (outdir / "cases.json").write_text(json.dumps(cases, indent=1), encoding="utf-8")


# ---------------------------------------------------------------------------------------
# parent
# ---------------------------------------------------------------------------------------

def download():
    """Django's sdist into target/django-suite/; returns its tests/ folder."""
    dest = OUT / "sdist"
    tests = dest / f"django-{DJANGO_VERSION}" / "tests"
    if tests.is_dir():
        return tests
    dest.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
                    f"django=={DJANGO_VERSION}", "-d", str(dest)], check=True)
    archive = next(dest.glob(f"[dD]jango-{DJANGO_VERSION}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(dest, filter="data")
    return tests


def record_app(app, tests_dir, out, cluster=None):
    """Record one app in a child interpreter, under `out` (on PostgreSQL: on `cluster`, each
    class database then dumped next to its recording and dropped); an error text, or None."""
    outdir = out / app
    if outdir.exists():
        shutil.rmtree(outdir)
    outdir.mkdir(parents=True)
    proc = subprocess.run([sys.executable, __file__, "--child", app, str(tests_dir), str(outdir),
                           *([cluster.url] if cluster else [])],
                          capture_output=True, text=True, cwd=ROOT)
    (outdir / "child.log").write_text(proc.stdout + proc.stderr, encoding="utf-8")
    if cluster:
        from build_fixtures import pg_dump_sql

        cases_path = outdir / "cases.json"
        for case in json.loads(cases_path.read_text(encoding="utf-8")) if proc.returncode == 0 else []:
            if "setup_error" not in case:
                title = f"djq's django_suite: {case['label']} of Django's test app '{app}', on PostgreSQL"
                Path(case["database"]).write_text(pg_dump_sql(cluster, case["server_database"], title),
                                                  encoding="utf-8")
        for name in cluster.psql("SELECT datname FROM pg_database WHERE datname LIKE 'suite\\_%'").split():
            cluster.psql(f'DROP DATABASE "{name}"')
    if proc.returncode != 0:
        last = [l for l in proc.stderr.strip().splitlines() if l.strip()][-1:] or ["(no output)"]
        return f"setup failed: {last[0][:300]}"
    return None


def crash_reason(stderr):
    """What stopped the replay process, from its stderr."""
    lines = stderr.splitlines()
    for i, line in enumerate(lines):
        if "has overflowed its stack" in line:
            return "stack overflow"
        if "panicked at" in line:
            return "panic: " + (lines[i + 1].strip() if i + 1 < len(lines) else line)
    return "the replay process died"


def replay_binary():
    """Build tests/conformance.rs once; the path of its test executable."""
    proc = subprocess.run(["cargo", "test", "--test", "conformance", "--no-run", "--message-format=json"],
                          cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"django_suite: cargo test --no-run failed:\n{proc.stderr[-3000:]}")
    for line in proc.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("target", {}).get("name") == "conformance" \
                and msg.get("executable"):
            return msg["executable"]
    sys.exit("django_suite: no conformance test executable in cargo's output")


def replay(jobs, out):
    """Run tests/conformance.rs's django_suite_replay on the jobs (manifest and log under
    `out`); an entry that crashes djq (a panic, a stack overflow) is written as
    {"crash": reason} and the replay goes on after it."""
    binary = replay_binary()
    for job in jobs:
        Path(job["out"]).unlink(missing_ok=True)
        job["first"] = 0
    manifest = out / "manifest.json"
    # djq's binary runs on the main thread's 8 MiB stack; test threads get 2 MiB by default
    env = dict(os.environ, DJQ_SUITE=str(manifest), RUST_MIN_STACK=str(8 << 20))
    pending = jobs
    log = []
    while pending:
        manifest.write_text(json.dumps(pending, indent=1), encoding="utf-8")
        proc = subprocess.run([binary, "django_suite_replay", "--ignored", "--exact", "--nocapture",
                               "--test-threads=1"], cwd=ROOT, env=env, capture_output=True, text=True)
        log.append(proc.stdout + proc.stderr)
        if proc.returncode == 0:
            break
        for i, job in enumerate(pending):
            outcomes = Path(job["out"])
            lines = outcomes.read_text(encoding="utf-8").splitlines() if outcomes.exists() else []
            if lines and "session_error" in lines[0]:
                continue
            # the file holds one line per entry replayed so far, over every resumption
            if len(lines) < job["n"]:
                crashed = len(lines)
                with outcomes.open("a", encoding="utf-8") as f:
                    f.write(json.dumps({"crash": crash_reason(proc.stderr)}) + "\n")
                pending = [{**job, "first": crashed + 1}] + pending[i + 1:]
                break
        else:
            print(f"django_suite: the replay failed ({out / 'replay.log'}):\n{proc.stderr[-2000:]}")
            break
    (out / "replay.log").write_text("\n".join(log), encoding="utf-8")


_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"|`[^`]*`")
_NUMBER = re.compile(r"\b\d+\b")
_NAME = re.compile(r"[A-Za-z_][\w.]{0,40}")


def elide(message, names=False):
    """A message with its literals elided (numbers, quoted text, the field lists after
    "Choices are:"; with `names`, quoted names too), so that one cause groups its instances."""
    first = message.strip().splitlines()[0] if message.strip() else ""
    first = first.split(" Choices are:")[0]
    keep = (lambda q: False) if names else _NAME.fullmatch
    first = _QUOTED.sub(lambda m: m.group(0) if keep(m.group(0)[1:-1]) else "'…'", first)
    return _NUMBER.sub("N", first)[:160]


_TOKEN = re.compile(r'"[^"]*"|\'[^\']*\'|\w+|[^\w\s]')


def sql_cause(django, djq):
    """The first difference between two lists of statements, as a short cause."""
    if len(django) != len(djq):
        return f"SQL: djq runs {len(djq)} statement(s), Django {len(django)}"
    for a, b in zip(django, djq):
        if a["sql"] != b["sql"]:
            ta, tb = _TOKEN.findall(a["sql"]), _TOKEN.findall(b["sql"])
            i = 0
            while i < min(len(ta), len(tb)) and ta[i] == tb[i]:
                i += 1
            ctx = lambda t: " ".join(t[i:i + 4]) or "(end)"
            prev = ta[i - 1] if i else "^"
            return f"SQL: after `{prev}` Django has `{ctx(ta)}`, djq `{ctx(tb)}`"
        if a["params"] != b["params"]:
            return "SQL: same text, other parameters"
    return "SQL: other"


def parse_detail(detail):
    """(django statements, djq statements) from run_entry's "SQL differs" detail."""
    m = re.search(r"SQL differs:\n  django: (.*)\n  djq:    (.*)\n", detail)
    if not m:
        return None
    return json.loads(m.group(1)), json.loads(m.group(2))


def rows_cause(detail, claim):
    if claim.startswith("djq raises ") and claim != "djq raises nothing":
        m = re.search(r"djq raised (\w+): (.*)", detail) or re.search(r"/ djq (\w+): (.*)", detail)
        return (f"djq raises {m.group(1)}: {elide(m.group(2), names=True)}",
                f"djq raises {m.group(1)}: {elide(m.group(2))}") if m else claim
    if claim == "djq raises nothing":
        m = re.search(r"django raised (\{.*\}), djq did not", detail)
        err = json.loads(m.group(1)) if m else {"type": "?", "message": ""}
        return f"Django raises {err['type']}, djq does not: {elide(err['message'])}"
    if claim == "message":
        m = re.search(r"error differs: django (\{.*\}) / djq (\w+): (.*)", detail)
        return f"error message differs ({m.group(2)}): djq says {elide(m.group(3))}" if m else claim
    if claim == "JSON":
        return "djq output is not one JSON document"
    m = re.search(r"rows differ:\n  django: (.*)\n  djq:    (.*)\n", detail)
    if not m:
        return "rows differ"
    try:
        a, b = json.loads(m.group(1)), json.loads(m.group(2))
    except ValueError:
        return "rows differ (long)"
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return "rows: another number of rows"
        if sorted(map(json.dumps, a)) == sorted(map(json.dumps, b)):
            return "rows: same rows, another order"
        if a and isinstance(a[0], dict) and isinstance(b[0], dict) and list(a[0]) != list(b[0]):
            return "rows: other keys" + (" (same set, other order)" if set(a[0]) == set(b[0]) else "")
        return "rows: other values"
    if isinstance(a, dict) and isinstance(b, dict) and list(a) != list(b):
        return "rows: other keys"
    return "rows: other value"


def analyse(apps_run, app_errors, out):
    per_app = {}
    causes = defaultdict(list)  # cause -> [(app, entry outcome)]
    outcomes = []
    for app in apps_run:
        if app in app_errors:
            per_app[app] = {"error": app_errors[app]}
            continue
        cases = json.loads((out / app / "cases.json").read_text(encoding="utf-8"))
        n = rows = sql = 0
        skipped = []
        for case in cases:
            if "setup_error" in case:
                skipped.append(f"{case.get('label') or case['module']}: {case['setup_error']}")
                continue
            recording = json.loads(Path(case["recording"]).read_text(encoding="utf-8"))
            replayed = Path(case["recording"]).with_suffix(".djq.json")
            if not replayed.exists():
                skipped.append(f"{case['label']}: not replayed")
                continue
            results = [json.loads(l) for l in replayed.read_text(encoding="utf-8").splitlines()]
            if results and "session_error" in results[0]:
                why = elide(results[0]["session_error"])
                skipped.append(f"{case['label']}: djq could not start: {why}")
                for e in recording["entries"]:
                    n += 1
                    causes[f"djq could not start: {why}"].append((app, {"expr": e["expr"], "detail": why}))
                continue
            for e, r in zip(recording["entries"], results):
                n += 1
                if "crash" in r:
                    r = {"expr": e["expr"], "detail": r["crash"], "rows_ok": False, "sql_ok": False,
                         "cause": f"djq crashes: {r['crash']}"}
                rows += r["rows_ok"]
                sql += r["sql_ok"]
                r["app"], r["case"] = app, case["label"]
                qs = parse_detail(r["detail"])
                if "cause" in r:
                    pass
                elif not r["rows_ok"]:
                    cause = rows_cause(r["detail"], r["rows_claim"])
                    r["cause"], r["variant"] = cause if isinstance(cause, tuple) else (cause, cause)
                    if not r["sql_ok"]:
                        r["sql_cause"] = sql_cause(*qs) if qs else "SQL differs"
                elif not r["sql_ok"]:
                    r["cause"] = sql_cause(*qs) if qs else "SQL differs"
                if "cause" in r:
                    causes[r["cause"]].append((app, r))
                outcomes.append(r)
        per_app[app] = {"entries": n, "rows": rows, "sql": sql, "skipped": skipped,
                        "classes": sum(1 for c in cases if "setup_error" not in c)}
    return per_app, causes, outcomes


def pct(a, n):
    return f"{100.0 * a / n:.1f}%" if n else "-"


def report(per_app, causes, outcomes, backend):
    lines = [f"# djq on Django's own test apps, on {backend}", "",
             "Made by tools/django_suite.py (values and SQL compared as tests/conformance.rs does).", "",
             "| app | classes | entries | values equal | SQL equal |", "|---|---|---|---|---|"]
    total = [0, 0, 0]
    for app, s in per_app.items():
        if "error" in s:
            lines.append(f"| {app} | - | - | {s['error']} | |")
            continue
        lines.append(f"| {app} | {s['classes']} | {s['entries']} | {pct(s['rows'], s['entries'])} | {pct(s['sql'], s['entries'])} |")
        total[0] += s["entries"]
        total[1] += s["rows"]
        total[2] += s["sql"]
    lines.append(f"| **all** | | {total[0]} | {pct(total[1], total[0])} | {pct(total[2], total[0])} |")
    lines += ["", "## Failure causes (an entry counts once, by its first failure: values, else SQL)", ""]
    for cause, items in sorted(causes.items(), key=lambda kv: -len(kv[1])):
        apps = Counter(a for a, _ in items)
        lines.append(f"### {len(items)} × {cause}")
        lines.append("apps: " + ", ".join(f"{a} {n}" for a, n in apps.most_common()))
        variants = Counter(r.get("variant", cause) for _, r in items)
        if len(variants) > 1:
            lines.append("variants: " + "; ".join(f"{n} × {v}" for v, n in variants.most_common(12)))
        ex = items[0][1]
        lines.append(f"example ({ex.get('case', items[0][0])}): `{ex['expr']}`")
        lines.append("```")
        lines.append(ex["detail"].strip()[:1500])
        lines.append("```")
        lines.append("")
    sql_only = Counter(r["sql_cause"] for r in outcomes if "sql_cause" in r)
    if sql_only:
        lines += ["## SQL causes of entries whose values also differ", ""]
        lines += [f"- {n} × {c}" for c, n in sql_only.most_common()]
        lines.append("")
    skipped = [(app, s) for app, st in per_app.items() for s in st.get("skipped", [])]
    if skipped:
        lines += ["## Classes skipped", ""] + [f"- {app}: {s}" for app, s in skipped]
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser(description="djq against Django's own test apps.")
    parser.add_argument("apps", nargs="*", help="test apps (default: a curated list)")
    parser.add_argument("--backend", choices=sorted(BACKENDS), default="sqlite",
                        help="the database Django and djq run on (default: sqlite)")
    parser.add_argument("--tests", type=Path, default=DEFAULT_TESTS, help="Django's tests/ folder")
    parser.add_argument("--download", action="store_true", help="pip download Django's sdist into target/django-suite/")
    parser.add_argument("--no-record", action="store_true", help="replay the last recordings of the backend")
    parser.add_argument("--report-only", action="store_true", help="neither record nor replay: report on the last run")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child_main(*args.child)
        return
    tests_dir = download() if args.download else args.tests
    if not tests_dir.is_dir():
        parser.error(f"{tests_dir} is not a folder (use --tests DIR or --download)")
    apps = args.apps or APPS
    out = BACKENDS[args.backend]
    out.mkdir(parents=True, exist_ok=True)
    recording = not (args.no_record or args.report_only)
    cluster = None
    if recording and args.backend == "postgresql":
        import pgcluster
        from build_fixtures import postgres_unavailable

        why = postgres_unavailable()
        if why:
            sys.exit(f"django_suite: no PostgreSQL here: {why}")
        cluster = pgcluster.Cluster().start()
    app_errors = {}
    jobs = []
    try:
        for app in apps:
            if recording:
                if not (tests_dir / app).is_dir():
                    app_errors[app] = "no such test app"
                    continue
                err = record_app(app, tests_dir, out, cluster)
                if err:
                    app_errors[app] = err
                    continue
            cases_path = out / app / "cases.json"
            if not cases_path.exists():
                app_errors[app] = "not recorded"
                continue
            for case in json.loads(cases_path.read_text(encoding="utf-8")):
                if "setup_error" in case:
                    continue
                jobs.append({"recording": case["recording"], "database": case["database"], "n": case["entries"],
                             "backend": "postgres" if args.backend == "postgresql" else "sqlite",
                             "models": str(tests_dir / app), "preamble": case["preamble"],
                             "out": str(Path(case["recording"]).with_suffix(".djq.json"))})
    finally:
        if cluster:
            cluster.stop()
    if not args.report_only:
        replay(jobs, out)
    per_app, causes, outcomes = analyse(apps, app_errors, out)
    text = report(per_app, causes, outcomes, args.backend)
    (out / "report.md").write_text(text, encoding="utf-8")
    (out / "report.json").write_text(json.dumps(outcomes, indent=1), encoding="utf-8")
    for app, s in per_app.items():
        if "error" in s:
            print(f"{app}: {s['error']}")
        else:
            print(f"{app}: {s['entries']} entries, values {pct(s['rows'], s['entries'])}, "
                  f"SQL {pct(s['sql'], s['entries'])}" + (f", {len(s['skipped'])} classes skipped" if s["skipped"] else ""))
    print("top causes:")
    for cause, items in sorted(causes.items(), key=lambda kv: -len(kv[1]))[:25]:
        print(f"  {len(items):4} {cause}")
    print(f"full report: {(out / 'report.md').relative_to(ROOT)}")


if __name__ == "__main__":
    main()
