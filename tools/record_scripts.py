#!/usr/bin/env python
"""Record what real Django prints for each tutorial-style script in fixtures/scripts/.

Usage (from the repository root):

    tools/.venv/bin/python tools/record_scripts.py                 # re-record every script
    tools/.venv/bin/python tools/record_scripts.py lookups values  # some scripts (by stem)
    tools/.venv/bin/python tools/record_scripts.py --check         # fail if a recording is stale

Each fixtures/scripts/<name>.py is a Django shell script written the way users write them
(`os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'something.settings')`, `django.setup()`,
`from <app>.models import ...`, then queries and prints). It is run verbatim, as `python
<name>.py` would run it, in a fresh interpreter:

- the app is the one the script imports models from (`books`, `blog` or `journal`); its fixture
  database is copied to a temporary file, so the fixture itself is never opened by Django;
- tools/djangoproj is put on sys.path with DJQ_APPS=<app> and DJQ_DB_PATH=<the copy>, and
  whatever settings module the script names is an alias of `djangoproj.settings`, so the
  script's own boilerplate is what configures Django;
- every statement sent to the database is counted (a wrapper installed on each new
  connection; transaction control is not counted), and the copy must be byte-identical
  afterwards: these scripts only read.

tools/record_writes.py runs sequences of scripts that write, with the same machinery.

Output: fixtures/scripts/<name>.expected.json

    {"django": "6.x.y",
     "script": "fixtures/scripts/<name>.py",
     "database": "fixtures/demo/library.sqlite3",   # what djq is run against
     "models": "fixtures/demo/books/models.py",      # passed to djq with --models
     "queries": 12,                                  # statements Django executed
     "error": {"type": "Book.DoesNotExist", "message": "..."},   # only if the script raised
     "stdout": ["line 1\\n", "line 2\\n"]}           # "".join(stdout) is the exact output

tests/scripts.rs replays these with the djq binary; it never runs Python.
"""
import argparse
import contextlib
import hashlib
import io
import json
import os
import re
import runpy
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
PROJECT = TOOLS / "djangoproj"
SCRIPTS = ROOT / "fixtures" / "scripts"

EXPECTED_DJANGO_MAJOR = 6

APPS = {
    "books": {"database": "fixtures/demo/library.sqlite3", "models": "fixtures/demo/books/models.py"},
    "blog": {"database": "fixtures/blog/blog.sqlite3", "models": "fixtures/blog/blog/models.py"},
    "journal": {"database": "fixtures/journal/journal.sqlite3", "models": "fixtures/journal/journal/models.py"},
}

_IMPORT_APP = re.compile(r"^from\s+(\w+)\.models\s+import\b", re.MULTILINE)
_SETTINGS = re.compile(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"]([\w.]+)['\"]")


def script_app(text, name, apps):
    """The one app of `apps` the script imports models from."""
    found = set(_IMPORT_APP.findall(text)) & set(apps)
    if len(found) != 1:
        raise SystemExit(f"{name} must import models from exactly one of {sorted(apps)}")
    return found.pop()


def expected_path(script):
    return script.with_name(script.stem + ".expected.json")


def sha256(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ---------------------------------------------------------------------------------------
# child process: run one script under Django
# ---------------------------------------------------------------------------------------

def alias_settings(text):
    """Make the settings module the script names resolve to djangoproj.settings."""
    import djangoproj.settings

    m = _SETTINGS.search(text)
    if not m or m.group(1) == "djangoproj.settings":
        return
    parts = m.group(1).split(".")
    for i in range(1, len(parts)):
        package = types.ModuleType(".".join(parts[:i]))
        package.__path__ = []
        sys.modules.setdefault(package.__name__, package)
    sys.modules[m.group(1)] = djangoproj.settings


_TRANSACTION_CONTROL = re.compile(r"\s*(?:BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)


def run_django_script(script, app, env):
    """Run `script` verbatim under Django, in this fresh interpreter, with Django's settings
    taken from `env` (DJQ_DB_BACKEND, DJQ_DB_PATH or DJQ_PG_*; DJQ_APPS is `app`).

    Returns (stdout, error, queries): what it printed, {"type", "message"} of the exception
    it raised (None if it ran to the end), and how many statements it sent to the database
    (transaction control -- BEGIN, COMMIT, ROLLBACK, SAVEPOINT, RELEASE -- not counted)."""
    text = script.read_text(encoding="utf-8")
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.update({**env, "DJQ_APPS": app})
    sys.path.insert(0, str(PROJECT))
    alias_settings(text)

    import django
    from django.db import connections
    from django.db.backends.signals import connection_created

    if django.VERSION[0] != EXPECTED_DJANGO_MAJOR:
        raise SystemExit(
            f"{Path(sys.argv[0]).name}: expected Django {EXPECTED_DJANGO_MAJOR}.x in tools/.venv, "
            f"found {django.__version__}"
        )

    queries = 0

    def count(execute, sql, params, many, context):
        nonlocal queries
        if not _TRANSACTION_CONTROL.match(sql):
            queries += 1
        return execute(sql, params, many, context)

    def on_connect(sender, connection, **kwargs):
        connection.execute_wrappers.append(count)

    connection_created.connect(on_connect)
    out = io.StringIO()
    error = None
    sys.argv = [str(script)]
    with contextlib.redirect_stdout(out):
        try:
            runpy.run_path(str(script), run_name="__main__")
        except Exception as e:  # noqa: BLE001 - recording what the script raised
            error = {"type": type(e).__qualname__, "message": str(e)}
    connections.close_all()
    return out.getvalue(), error, queries


def run_script(script):
    app = script_app(script.read_text(encoding="utf-8"), script.name, APPS)
    with tempfile.TemporaryDirectory(prefix="djq-scripts-") as tmp:
        db = Path(tmp) / "db.sqlite3"
        shutil.copyfile(ROOT / APPS[app]["database"], db)
        before = sha256(db)
        stdout, error, queries = run_django_script(script, app, {"DJQ_DB_BACKEND": "sqlite", "DJQ_DB_PATH": str(db)})
        if sha256(db) != before:
            raise SystemExit(f"record_scripts.py: {script.name} wrote to the database; scripts here only read")

    import django

    doc = {
        "django": django.__version__,
        "script": script.relative_to(ROOT).as_posix(),
        "database": APPS[app]["database"],
        "models": APPS[app]["models"],
        "queries": queries,
    }
    if error:
        doc["error"] = error
    doc["stdout"] = stdout.splitlines(keepends=True)
    return doc


def render(doc):
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


# ---------------------------------------------------------------------------------------
# parent: one child process per script (each configures Django for its own app)
# ---------------------------------------------------------------------------------------

def main():
    parser = argparse.ArgumentParser(description="Record Django's output for fixtures/scripts/*.py.")
    parser.add_argument("scripts", nargs="*", help="script names without .py (default: all)")
    parser.add_argument("--check", action="store_true", help="do not write; fail if a recording is out of date")
    parser.add_argument("--child", metavar="SCRIPT", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        sys.stdout.write(render(run_script(Path(args.child).resolve())))
        return

    all_scripts = sorted(SCRIPTS.glob("*.py"))
    if args.scripts:
        by_stem = {s.stem: s for s in all_scripts}
        unknown = [n for n in args.scripts if n not in by_stem]
        if unknown:
            parser.error(f"unknown script(s): {', '.join(unknown)}")
        scripts = [by_stem[n] for n in args.scripts]
    else:
        scripts = all_scripts

    stale = []
    for script in scripts:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(script)],
            check=True,
            capture_output=True,
            text=True,
            encoding="utf-8",
            env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        )
        text = proc.stdout
        doc = json.loads(text)
        target = expected_path(script)
        status = f"error {doc['error']['type']}" if "error" in doc else "ok"
        print(f"{script.name}: {len(doc['stdout'])} lines, {doc['queries']} queries, {status} -> {target.relative_to(ROOT)}")
        if args.check:
            if not target.exists() or target.read_text(encoding="utf-8") != text:
                stale.append(target.name)
        else:
            target.write_text(text, encoding="utf-8")
    if stale:
        sys.exit("record_scripts.py --check: out of date: " + ", ".join(stale))


if __name__ == "__main__":
    main()
