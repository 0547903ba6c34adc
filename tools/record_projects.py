"""Record what Django makes of the projects under fixtures/projects/, for tests/projects.rs.

    tools/.venv/bin/python tools/record_projects.py                  # every project
    tools/.venv/bin/python tools/record_projects.py mysite naivetz   # some of them
    tools/.venv/bin/python tools/record_projects.py --check          # fail if a file is stale

`shop` — a project tree of models only (no settings): each model's `_meta.get_fields()`
(forward fields: concrete, many-to-many and private; not reverse relations), its managers and
the SQL of `Model._default_manager.all()` (`shop.django.json`), and the SQLite DDL of its
tables (`shop.sqlite.sql`). django-taggit, django-mptt, django-treebeard and django-money are
the real packages (installed in the venv, see tools/README.md); the others are the stand-ins
in fixtures/projects/stubs.

`mysite`, `splitpg`, `naivetz` — the acceptance projects of issue 17, made with `django-admin
startproject` (see each one's settings): for each, the database is built with the project's
own `manage.py migrate` and settings, and the data script tools/data/<project>.py, then the
corpus fixtures/projects/<project>.corpus is recorded the way a user types it into
`manage.py shell`: under the project's own settings (DJANGO_SETTINGS_MODULE as manage.py sets
it), in the namespace Django 6's shell auto-imports (every model by name, settings,
connection, models, functions, reset_queries, timezone), after PREAMBLE. Entries are
tools/record.py's (rows, SQL and parameters in the driver's form, errors), rendered by its
renderer, written to fixtures/projects/<project>.<backend>.json.

- SQLite projects (mysite, naivetz): the database is dumped as plain SQL to
  fixtures/projects/<project>.sql (build_fixtures.sql_dump) and the project's own
  `db.sqlite3` is built from it; recorded on a copy of the project tree whose db.sqlite3 is
  built from the dump, as tests/projects.rs builds it.
- PostgreSQL (splitpg): built on a throwaway cluster (pgcluster.py), every table rewritten in
  primary-key order, dumped to fixtures/projects/splitpg.postgres.sql
  (build_fixtures.pg_dump_sql); recorded on a database loaded from that dump, its URL given
  in DATABASE_URL, which the project's `.env` does not override (django-environ's
  `read_env` keeps what the environment has), as tests/projects.rs gives it to djq.

Needs django-environ and dj-database-url in the venv (`tools/.venv/bin/pip install
django-environ dj-database-url`; recorded with 0.14.0 and 3.1.2).
"""
import argparse
import json
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
PROJECTS = ROOT / "fixtures" / "projects"
sys.path.insert(0, str(TOOLS))

# What the corpus lines need besides the shell's auto-imports, typed first.
PREAMBLE = "import datetime"

# project -> the backend its settings name
ACCEPTANCE = {"mysite": "sqlite", "splitpg": "postgres", "naivetz": "sqlite"}


# ---------------------------------------------------------------------------------------
# shop: a tree of models
# ---------------------------------------------------------------------------------------

def record_shop(check):
    """shop.django.json and shop.sqlite.sql, made in this (child) process."""
    sys.path[:0] = [str(PROJECTS / "shop"), str(PROJECTS / "stubs")]

    import django
    from django.conf import settings

    apps_ = ["core", "catalog", "catalog.reviews", "accounts", "pages", "api", "billing"]
    settings.configure(
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "taggit", *apps_],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
    )
    django.setup()

    from django.apps import apps
    from django.db import connection

    labels = {apps.get_app_config(name.rsplit(".", 1)[-1]).label for name in apps_}
    models = {}
    for model in apps.get_models():
        if model._meta.app_label not in labels:
            continue
        fields = [
            {
                "name": f.name,
                "class": type(f).__name__,
                "column": f.column if f.concrete else None,
                "many_to_many": bool(f.many_to_many),
                "max_length": getattr(f, "max_length", None),
                "decimal": [f.max_digits, f.decimal_places] if hasattr(f, "decimal_places") else None,
            }
            for f in model._meta.get_fields()
            if not (f.auto_created and not f.concrete)
        ]
        models[model._meta.label] = {
            "table": model._meta.db_table,
            "fields": fields,
            # what the packages' managers add (django-mptt's TreeManager orders by the tree)
            "managers": [[m.name, type(m).__name__] for m in model._meta.managers],
            "default_manager": type(model._default_manager).__name__,
            "query": str(model._default_manager.all().query),
        }
    with connection.schema_editor(collect_sql=True) as editor:
        for model in apps.get_models():
            editor.create_model(model)
        statements = editor.collected_sql
    outputs = {
        PROJECTS / "shop.django.json": json.dumps(models, indent=1, sort_keys=True) + "\n",
        PROJECTS / "shop.sqlite.sql": "\n".join(statements) + "\n",
    }
    print(f"shop: {len(models)} models")
    return write_outputs(outputs, check)


def write_outputs(outputs, check):
    """Write {path: text}; with `check`, write nothing and return the paths that would change."""
    stale = []
    for path, text in outputs.items():
        if check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
    return stale


# ---------------------------------------------------------------------------------------
# the acceptance projects: a copy of the tree, its settings, its database
# ---------------------------------------------------------------------------------------

def settings_module(project_dir):
    """The DJANGO_SETTINGS_MODULE manage.py sets."""
    text = (project_dir / "manage.py").read_text(encoding="utf-8")
    m = re.search(r"os\.environ\.setdefault\(\s*['\"]DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]", text)
    if not m:
        sys.exit(f"record_projects.py: {project_dir}/manage.py sets no DJANGO_SETTINGS_MODULE")
    return m.group(1)


def copy_project(project, into):
    """A copy of fixtures/projects/<project> (no database, no bytecode) under `into`."""
    target = Path(into) / project
    shutil.copytree(PROJECTS / project, target,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "db.sqlite3"))
    return target


def setup_django(project_dir, database_url=None):
    """django.setup() with the project's own settings, as `manage.py` run in `project_dir`
    would (cwd and sys.path[0] the project); DATABASE_URL given in the environment."""
    os.chdir(project_dir)
    sys.path.insert(0, str(project_dir))
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module(project_dir)
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    import record

    if django.VERSION[0] != record.EXPECTED_DJANGO_MAJOR:
        sys.exit(f"record_projects.py: expected Django {record.EXPECTED_DJANGO_MAJOR}.x, found {django.__version__}")
    django.setup()


def child_build(project, project_dir, database_url):
    """migrate + the data script, in the project's settings (which must have every migration
    its models need)."""
    setup_django(Path(project_dir), database_url)
    import importlib

    from django.core.management import call_command
    from django.db import connection, transaction

    from build_fixtures import APPLIED_AT

    # models changed without their migration: stop (makemigrations in the project first)
    call_command("makemigrations", check=True, dry_run=True, verbosity=0)
    call_command("migrate", verbosity=0, interactive=False)
    with transaction.atomic():
        importlib.import_module(f"data.{project}").load()
    with connection.cursor() as cur:
        cur.execute("UPDATE django_migrations SET applied = %s", [APPLIED_AT])
    connection.close()


def child_record(project, project_dir, database_url, out):
    """The corpus recorded in the project's settings, as JSON text written to `out`."""
    setup_django(Path(project_dir), database_url)
    import django
    from django.core.management.commands.shell import Command
    from django.db import connection

    import record

    backend_name = ACCEPTANCE[project]
    if backend_name == "sqlite":
        backend = record.SQLiteBackend(None, Path(project_dir) / "db.sqlite3")
        database = f"fixtures/projects/{project}.sql"
    else:
        backend = record.PostgresBackend(None, database_url)
        database = f"fixtures/projects/{project}.postgres.sql"
    # what `manage.py shell` auto-imports, at verbosity 0
    namespace = Command().get_namespace(verbosity=0)
    exec(PREAMBLE, namespace)
    before = backend.fingerprint()
    connection.ensure_connection()
    backend.check_session(connection)
    server_version = backend.server_version(connection)
    corpus = PROJECTS / f"{project}.corpus"
    entries = [{"expr": expr, "line": line, **record.evaluate(expr, namespace, backend)}
               for line, expr in record.read_corpus(corpus)]
    connection.close()
    # A statement that writes would be rolled back, but what it wrote may be random (a
    # password rehashed with a new salt): the corpus only reads.
    writes = [e["expr"] for e in entries for q in e["queries"]
              if not q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))]
    if writes:
        sys.exit(f"record_projects.py: {project}: these corpus lines write: {writes}")
    if backend.fingerprint() != before:
        sys.exit(f"record_projects.py: {project}'s database changed while recording")
    doc = {
        "django": django.__version__,
        "backend": backend_name,
        "database": database,
        "corpus": corpus.relative_to(ROOT).as_posix(),
        "preamble": PREAMBLE,
        "entries": entries,
    }
    if server_version is not None:
        doc["server_version"] = server_version
    Path(out).write_text(record.render(doc), encoding="utf-8")


def run_child(*args):
    subprocess.run([sys.executable, __file__, "--child", *map(str, args)], check=True)


def build_sqlite_from_dump(dump, path):
    """A SQLite file at `path` built from a plain SQL dump, as tests/projects.rs builds it."""
    conn = sqlite3.connect(path)
    try:
        conn.executescript(dump)
        conn.commit()
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert not conn.execute("PRAGMA foreign_key_check").fetchall(), "foreign key violations"
    finally:
        conn.close()


def record_sqlite_project(project, check):
    import build_fixtures

    with tempfile.TemporaryDirectory(prefix="djq-projects-") as tmp:
        built = copy_project(project, Path(tmp) / "build")
        run_child("build", project, built, "")
        conn = sqlite3.connect(built / "db.sqlite3")
        try:
            dump = build_fixtures.sql_dump(conn, f"djq project '{project}' (fixtures/projects/{project}), "
                                                 "built by tools/record_projects.py")
            counts = build_fixtures.table_counts(conn)
        finally:
            conn.close()
        replay = copy_project(project, Path(tmp) / "replay")
        build_sqlite_from_dump(dump, replay / "db.sqlite3")
        conn = sqlite3.connect(replay / "db.sqlite3")
        assert build_fixtures.table_counts(conn) == counts, "the dump does not rebuild the database"
        conn.close()
        out = Path(tmp) / "out.json"
        run_child("record", project, replay, "", out)
        recording = out.read_text(encoding="utf-8")
    stale = write_outputs({PROJECTS / f"{project}.sql": dump,
                           PROJECTS / f"{project}.sqlite.json": recording}, check)
    # the project's own db.sqlite3, so that `cd fixtures/projects/<project> && djq` has data
    db = PROJECTS / project / "db.sqlite3"
    if not check:
        db.unlink(missing_ok=True)
        build_sqlite_from_dump(dump, db)
    report(project, "sqlite", recording, counts)
    return stale


def record_postgres_project(project, check):
    import build_fixtures
    import pgcluster

    problem = build_fixtures.postgres_unavailable()
    if problem:
        sys.exit(f"record_projects.py: {project} needs PostgreSQL: {problem}")
    with tempfile.TemporaryDirectory(prefix="djq-projects-") as tmp, pgcluster.Cluster() as cluster:
        built_db = f"djq_build_{project}"
        cluster.create_database(built_db)
        run_child("build", project, copy_project(project, Path(tmp) / "build"), cluster.url_for(built_db))
        with build_fixtures.pg_connect(cluster.url_for(built_db)) as conn:
            # rows in primary-key order, as build_fixtures.build_postgres_database leaves them
            for name in build_fixtures.pg_tables(conn):
                index = conn.execute(
                    "SELECT ic.relname FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid "
                    "WHERE i.indrelid = %s::regclass AND i.indisprimary", [f'public."{name}"']).fetchone()
                if index:
                    conn.execute(f'CLUSTER public."{name}" USING "{index[0]}"')
                    conn.execute(f'ALTER TABLE public."{name}" SET WITHOUT CLUSTER')
            conn.execute("ANALYZE")
            counts = {name: len(rows) for name, (_, rows) in build_fixtures.pg_rows(conn).items()}
        dump = build_fixtures.pg_dump_sql(cluster, built_db, f"djq project '{project}' (fixtures/projects/{project}) "
                                                             "for PostgreSQL, built by tools/record_projects.py")
        loaded_db = f"djq_replay_{project}"
        cluster.create_database(loaded_db)
        with build_fixtures.pg_connect(cluster.url_for(loaded_db)) as conn:
            conn.execute(dump.encode("utf-8"), prepare=False)
            with build_fixtures.pg_connect(cluster.url_for(built_db)) as ref:
                build_fixtures.compare_postgres(ref, conn)
        out = Path(tmp) / "out.json"
        run_child("record", project, copy_project(project, Path(tmp) / "replay"), cluster.url_for(loaded_db), out)
        recording = out.read_text(encoding="utf-8")
    stale = write_outputs({PROJECTS / f"{project}.postgres.sql": dump,
                           PROJECTS / f"{project}.postgres.json": recording}, check)
    report(project, "postgres", recording, counts)
    return stale


def report(project, backend, recording, counts):
    entries = json.loads(recording)["entries"]
    errors = [e for e in entries if "error" in e]
    unsupported = [e for e in errors if e["error"]["type"] == "Unsupported"]
    print(f"{project} [{backend}]: {len(entries)} entries, {len(errors)} errors "
          f"({len(unsupported)} unsupported), {sum(counts.values())} rows in {len(counts)} tables")
    for e in unsupported:
        print(f"    unsupported: {e['expr']}: {e['error']['message']}")


def main():
    parser = argparse.ArgumentParser(description="Record Django's answers for fixtures/projects/.")
    parser.add_argument("projects", nargs="*", help=f"any of shop, {', '.join(ACCEPTANCE)} (default: all)")
    parser.add_argument("--check", action="store_true", help="write nothing; fail if a recording is out of date")
    parser.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        what, *rest = args.child
        if what == "shop":
            stale = record_shop(rest == ["--check"])
            sys.exit(1 if stale else 0)
        if what == "build":
            child_build(*rest)
        else:
            child_record(*rest)
        return
    projects = args.projects or ["shop", *ACCEPTANCE]
    stale = []
    for project in projects:
        if project == "shop":
            # settings.configure() is once per process
            r = subprocess.run([sys.executable, __file__, "--child", "shop", *(["--check"] if args.check else [])])
            if r.returncode:
                stale.append("shop")
        elif ACCEPTANCE.get(project) == "sqlite":
            stale += record_sqlite_project(project, args.check)
        elif ACCEPTANCE.get(project) == "postgres":
            stale += record_postgres_project(project, args.check)
        else:
            parser.error(f"unknown project {project!r}")
    if stale:
        sys.exit("record_projects.py --check: out of date: " + ", ".join(stale))


if __name__ == "__main__":
    main()
