#!/usr/bin/env python
"""Record what real Django prints and writes for sequences of Django shell scripts that change
the database (fixtures/scripts/<sequence>/*.py), on SQLite and on PostgreSQL.

Usage (from the repository root):

    tools/.venv/bin/python tools/record_writes.py                    # every sequence, both backends
    tools/.venv/bin/python tools/record_writes.py shop               # some sequences
    tools/.venv/bin/python tools/record_writes.py --backend sqlite   # one backend
    tools/.venv/bin/python tools/record_writes.py --check            # fail if a recording is stale

A sequence (SEQUENCES below) is a list of scripts run in order against ONE fresh copy of a
fixture database: the SQLite fixture copied to a temporary file, or a new database on a
throwaway PostgreSQL cluster (tools/pgcluster.py) loaded from the `.postgres.sql` dump the way
djq's tests load it. Each script runs verbatim in a fresh interpreter, as `python script.py`
would (the machinery of tools/record_scripts.py: its settings module is an alias of
tools/djangoproj's settings, its statements are counted), in Django's autocommit mode.

Recorded per script: its stdout, the exception it let escape (type and message), the number
of statements it executed (transaction control not counted), and `changes`: how every table of
the app differs from before the script. After the sequence: `tables`, the full contents of every
table of the app. Rows are JSON objects in column order, ordered by `id` (every table here has
Django's `id` primary key), with values normalised the same way for both backends and by
tests/writes.rs:

- NULL -> null; integers -> numbers; booleans (SQLite: a column declared `bool`) -> true/false;
- datetimes as Django stores them in UTC -> "YYYY-MM-DDTHH:MM:SS[.ffffff]Z" (trailing zeros of
  the fraction dropped); one within the time the sequence ran (auto_now, auto_now_add) ->
  "<now>" (a SQLite text that is not in Django's storage format stays as it is);
- dates "YYYY-MM-DD"; text as it is; decimals as each backend keeps them: SQLite's number
  (4.5, or 2 for 2.0: NUMERIC affinity), PostgreSQL's numeric as str(Decimal) ("2.0");
- JSONField: SQLite's text as it is, PostgreSQL's jsonb as the JSON document.

djq runs each script in one transaction (SPEC.md): a script that raises changes nothing. So a
script that raises must be the last of its sequence; its `changes` are what Django committed
before the error (autocommit), and `tables` is the database as it was before that script --
what djq must leave.

Output: fixtures/scripts/<sequence>/recorded.<backend>.json

    {"django": "6.x.y",
     "backend": "sqlite",                                    # or "postgres", + "server_version"
     "database": "fixtures/shop/shop.sqlite3",               # or the .postgres.sql dump
     "models": "fixtures/shop/shop/models.py",               # passed to djq with --models
     "scripts": [
       {"script": "fixtures/scripts/shop/01_protect.py",
        "queries": 7,
        "error": {"type": "IntegrityError", "message": "..."},   # only if the script raised
        "stdout": ["line 1\\n", ...],
        "changes": {"shop_product": {"inserted": [{...}], "updated": [{...}], "deleted": [3]}}},
       ...],
     "tables": {"shop_carrier": [{"id": 1, "name": "Standard post"}, ...], ...}}

`updated` rows are the new values; `deleted` lists ids; tables and lists without changes are
left out. tests/writes.rs runs the same scripts through the djq binary; it never runs Python.
"""
import argparse
import datetime
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

import build_fixtures
import record_scripts
from build_fixtures import DATASETS, ROOT

SCRIPTS = record_scripts.SCRIPTS

# name -> (fixture dataset of tools/build_fixtures.py, models.py given to djq, scripts in order)
SEQUENCES = {
    # the seed tutorial's four scripts, verbatim, on the database its `migrate` makes
    "tutorial": ("tutorial", "fixtures/tutorial/books/models.py",
                 ["add_books", "query_books", "update_books", "delete_books"]),
    # save(), update(), get_or_create() & co., bulk writes and deletes on the demo library
    "library_writes": ("library", "fixtures/demo/books/models.py", None),
    # on_delete semantics, many-to-many and related managers, defaults, transactions
    "shop": ("shop", "fixtures/shop/shop/models.py", None),
    # the Python of issue 15: imports, builtins, models.py's own methods and save(), qs.query,
    # connection.queries
    "journal": ("journal", "fixtures/journal/journal/models.py", None),
    # Python classes, and models.py's classes run as Python (methods, properties, save() and
    # delete() overrides), without the imports and builtins of the journal sequence
    "journal_classes": ("journal", "fixtures/journal/journal/models.py", None),
    # aware datetimes in fixed zones other than UTC (written, filtered and read back), dir()
    # of session classes, callable(), models.Model, transaction.atomic() as an object
    "journal_zones": ("journal", "fixtures/journal/journal/models.py", None),
    # composite primary keys (issue 16): create(), save() as UPDATE then INSERT, get_or_create,
    # update_or_create, update_fields, pk lookups after the writes; then an instance delete()
    "compositepk": ("compositepk", "fixtures/compositepk/compositepk/models.py", None),
    # generic relations (issue 16): ContentType, GenericForeignKey assigned and read,
    # GenericRelation managers, deletes cascading through GenericRelations, GenericPrefetch
    "tagging": ("tagging", "fixtures/tagging/tagging/models.py", None),
    # django-taggit (issue 16): TaggableManager's add/remove/set/clear through taggit's
    # generic TaggedItem and a through model of the app's own, tags made from names (slugs),
    # deletes through the tag tables
    "recipes": ("recipes", "fixtures/recipes/recipes/models.py", None),
    # field and model features (issue 16): UUID keys, callable and database defaults,
    # GeneratedField, choices enums, to_field, db_column, self and through many-to-many,
    # recursive foreign keys, JSON documents changed in place, what INSERT and UPDATE read back
    # (RETURNING)
    "fields": ("fields", "fixtures/fields/fields", None),
    # model inheritance (issue 16): multi-table children created, saved, updated and deleted
    # (their parents' rows with them), two parents, an explicit parent link, proxies, abstract
    # bases from another app (the models are a project root: fixtures/inherit/{core,inherit})
    "inherit": ("inherit", "fixtures/inherit", None),
}

NOW = "<now>"
# a little slack around the sequence's run for clocks read at different moments
SLACK = datetime.timedelta(seconds=5)
# Django's text for a datetime; SQLite's own clock (`db_default=Now()`) writes milliseconds
_DJANGO_DATETIME = re.compile(r"(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{3}|\d{6}))?")


def sequence_scripts(name):
    """The scripts of a sequence, in order (None in SEQUENCES: the folder's, sorted)."""
    listed = SEQUENCES[name][2]
    folder = SCRIPTS / name
    if listed is None:
        return sorted(folder.glob("*.py"))
    return [folder / f"{stem}.py" for stem in listed]


def fixture(name, backend):
    dataset = DATASETS[SEQUENCES[name][0]]
    suffix = ".sqlite3" if backend == "sqlite" else ".postgres.sql"
    return dataset["dir"] / f"{dataset['name']}{suffix}"


# ---------------------------------------------------------------------------------------
# the tables of an app, normalised
# ---------------------------------------------------------------------------------------

def iso_datetime(date, time, fraction):
    fraction = (fraction or "").rstrip("0")
    return f"{date}T{time}{'.' + fraction if fraction else ''}Z"


def normalise_datetime(iso, window):
    moment = datetime.datetime.fromisoformat(iso)
    return NOW if window[0] <= moment <= window[1] else iso


def normalise_sqlite(value, declared, window):
    declared = declared.lower()
    if value is None:
        return None
    if declared == "bool" and isinstance(value, int):
        return bool(value)
    if declared == "datetime" and isinstance(value, str):
        m = _DJANGO_DATETIME.fullmatch(value)
        return normalise_datetime(iso_datetime(*m.groups()), window) if m else value
    return value


def normalise_postgres(value, window):
    if isinstance(value, datetime.datetime):
        utc = value.astimezone(datetime.timezone.utc)
        fraction = f"{utc.microsecond:06d}" if utc.microsecond else None
        return normalise_datetime(iso_datetime(utc.strftime("%Y-%m-%d"), utc.strftime("%H:%M:%S"), fraction), window)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, (bool, int, float, str, dict, list)) or value is None:
        return value  # a jsonb document as the JSON it is
    return str(value)


def is_app_table(name):
    return not name.startswith(("django_", "sqlite_"))


# Tables keyed by other columns than `id` (a composite primary key): name -> the key's columns.
TABLE_KEYS = {}


def row_key(name, row):
    """A row's identity in `changes`: its id, or its primary key's values (a list)."""
    key = TABLE_KEYS.get(name)
    return row["id"] if key is None else [row[c] for c in key]


def read_tables(backend, target, window):
    """{table: [row objects ordered by primary key]} for every table of the app."""
    if backend == "sqlite":
        raw = build_fixtures.sqlite_rows(target)
        conn = sqlite3.connect(target)
        try:
            info = {name: list(conn.execute(f'PRAGMA table_info("{name}")')) for name in raw}
            declared = {name: [r[2] for r in conn.execute(f'PRAGMA table_xinfo("{name}")')] for name in raw}
        finally:
            conn.close()
        keys = {name: [r[1] for r in sorted(rows, key=lambda r: r[5]) if r[5]] for name, rows in info.items()}
        norm = {name: lambda v, i, name=name: normalise_sqlite(v, declared[name][i], window) for name in raw}
    else:
        with build_fixtures.pg_connect(target) as conn:
            raw = build_fixtures.pg_rows(conn)
            keys = {name: pk for name, (_, pk) in build_fixtures.pg_tables(conn).items()}
        norm = {name: lambda v, i: normalise_postgres(v, window) for name in raw}
    tables = {}
    for name, (cols, rows) in sorted(raw.items()):
        if is_app_table(name):
            if "id" not in cols:
                assert keys[name], f"{name} has no id column and no primary key"
                TABLE_KEYS[name] = keys[name]
            tables[name] = [{c: norm[name](v, i) for i, (c, v) in enumerate(zip(cols, row))} for row in rows]
    return tables


def changes(before, after):
    """How `after` differs from `before`, table by table (see the module docstring)."""
    out = {}
    for name in sorted(set(before) | set(after)):
        def keyed(rows):
            return {(tuple(k) if isinstance(k := row_key(name, row), list) else k): row for row in rows}

        old = keyed(before.get(name, []))
        new = keyed(after.get(name, []))
        diff = {
            "inserted": [new[i] for i in sorted(new.keys() - old.keys())],
            "updated": [new[i] for i in sorted(new.keys() & old.keys()) if new[i] != old[i]],
            "deleted": [list(k) if isinstance(k, tuple) else k for k in sorted(old.keys() - new.keys())],
        }
        diff = {k: v for k, v in diff.items() if v}
        if diff:
            out[name] = diff
    return out


# ---------------------------------------------------------------------------------------
# running a sequence
# ---------------------------------------------------------------------------------------

def settings_env(backend, target):
    if backend == "sqlite":
        return {"DJQ_DB_BACKEND": "sqlite", "DJQ_DB_PATH": str(target)}
    return {"DJQ_DB_BACKEND": "postgres", **build_fixtures.postgres_settings_env(target)}


def run_child(script, app, backend, target):
    proc = subprocess.run(
        [sys.executable, __file__, "--child", str(script), app, backend, str(target)],
        check=True, capture_output=True, text=True, encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    )
    return json.loads(proc.stdout)


def record_sequence(name, backend, target):
    """Run the sequence against `target` (a SQLite file or a PostgreSQL URL, freshly made
    from the fixture); the recording."""
    dataset, models, _ = SEQUENCES[name]
    app = DATASETS[dataset]["app"]
    start = datetime.datetime.now(datetime.timezone.utc) - SLACK

    def tables():
        return read_tables(backend, target, (start, datetime.datetime.now(datetime.timezone.utc) + SLACK))

    scripts = sequence_scripts(name)
    state = tables()
    entries = []
    django_version = None
    for n, script in enumerate(scripts, 1):
        record_scripts.script_app(script.read_text(encoding="utf-8"), script.name, [app])
        run = run_child(script, app, backend, target)
        django_version = run["django"]
        after = tables()
        entry = {"script": script.relative_to(ROOT).as_posix(), "queries": run["queries"]}
        if run["error"]:
            if n != len(scripts):
                raise SystemExit(f"record_writes.py: {script.name} raised {run['error']['type']} but is not the "
                                 f"last script of {name}: djq rolls it back, Django does not, and the rest would differ")
            entry["error"] = run["error"]
        entry["stdout"] = run["stdout"].splitlines(keepends=True)
        entry["changes"] = changes(state, after)
        entries.append(entry)
        if not run["error"]:
            state = after
    doc = {"django": django_version, "backend": backend}
    if backend == "postgres":
        with build_fixtures.pg_connect(target) as conn:
            doc["server_version"] = conn.execute("SHOW server_version").fetchone()[0].split()[0]
    doc.update({
        "database": fixture(name, backend).relative_to(ROOT).as_posix(),
        "models": models,
        "scripts": entries,
        "tables": state,
    })
    return doc


def render(doc, indent=0):
    """JSON with one line per row (an object of scalars) and per list of numbers (ids), one line
    per item of other lists."""
    pad, inner = " " * indent, " " * (indent + 2)
    if isinstance(doc, dict) and doc and any(isinstance(v, (dict, list)) for v in doc.values()):
        items = [f"{inner}{json.dumps(k)}: {render(v, indent + 2)}" for k, v in doc.items()]
        return "{\n" + ",\n".join(items) + f"\n{pad}}}"
    if isinstance(doc, list) and doc and not all(isinstance(v, int) for v in doc):
        return "[\n" + ",\n".join(inner + render(v, indent + 2) for v in doc) + f"\n{pad}]"
    return json.dumps(doc, ensure_ascii=False)


def recording_path(name, backend):
    return SCRIPTS / name / f"recorded.{backend}.json"


def record_all(names, backends, check):
    stale = []

    def emit(name, backend, doc):
        target = recording_path(name, backend)
        text = render(doc) + "\n"
        raised = [e["script"].rsplit("/", 1)[1] for e in doc["scripts"] if "error" in e]
        print(f"{name} ({backend}): {len(doc['scripts'])} scripts"
              f"{', raised in ' + ', '.join(raised) if raised else ''} -> {target.relative_to(ROOT)}")
        if check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.relative_to(ROOT).as_posix())
        else:
            target.write_text(text, encoding="utf-8")

    if "sqlite" in backends:
        for name in names:
            with tempfile.TemporaryDirectory(prefix="djq-writes-") as tmp:
                db = Path(tmp) / "db.sqlite3"
                shutil.copyfile(fixture(name, "sqlite"), db)
                emit(name, "sqlite", record_sequence(name, "sqlite", db))
    if "postgres" in backends:
        import pgcluster

        with pgcluster.Cluster() as cluster:
            for name in names:
                dbname = f"djq_writes_{name}"
                cluster.create_database(dbname)
                url = cluster.url_for(dbname)
                with build_fixtures.pg_connect(url) as conn:
                    # one simple-query batch, as tests/support/pg.rs loads it
                    conn.execute(fixture(name, "postgres").read_bytes(), prepare=False)
                emit(name, "postgres", record_sequence(name, "postgres", url))
    if stale:
        sys.exit("record_writes.py --check: out of date: " + ", ".join(stale))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("sequences", nargs="*", help=f"any of {', '.join(SEQUENCES)} (default: all)")
    parser.add_argument("--backend", choices=["sqlite", "postgres"], help="one backend only (default: both)")
    parser.add_argument("--check", action="store_true", help="do not write; fail if a recording is out of date")
    parser.add_argument("--child", nargs=4, metavar=("SCRIPT", "APP", "BACKEND", "TARGET"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        script, app, backend, target = args.child
        stdout, error, queries = record_scripts.run_django_script(Path(script), app, settings_env(backend, target))
        import django

        json.dump({"django": django.__version__, "stdout": stdout, "error": error, "queries": queries}, sys.stdout)
        return
    for name in args.sequences:
        if name not in SEQUENCES:
            parser.error(f"unknown sequence {name!r}")
    backends = [args.backend] if args.backend else ["sqlite", "postgres"]
    if "postgres" in backends:
        problem = build_fixtures.postgres_unavailable()
        if problem:
            sys.exit(f"record_writes.py: cannot record on PostgreSQL: {problem} (use --backend sqlite)")
    record_all(args.sequences or list(SEQUENCES), backends, args.check)


if __name__ == "__main__":
    main()
