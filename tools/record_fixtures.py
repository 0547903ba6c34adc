#!/usr/bin/env python
"""Record real Django's `dumpdata` of the fixture databases, for tests/fixtures.rs.

Usage (from the repository root):

    tools/.venv/bin/python tools/record_fixtures.py           # re-record
    tools/.venv/bin/python tools/record_fixtures.py --check    # fail if a recording is stale

For each app (`books` over fixtures/demo/library.sqlite3, `blog` over
fixtures/blog/blog.sqlite3) it copies the database to a temporary file and runs
`manage.py dumpdata <app> --indent 2` there (tools/djangoproj, DJQ_APPS=<app>), writing
fixtures/loaddata/<app>.json byte for byte as Django printed it. The tests load these files
into an empty copy of the schema with `djq --loaddata` (SQLite and PostgreSQL) and expect
djq's `dumpdata(<app>, indent=2)` to print them back unchanged.
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
PROJECT = TOOLS / "djangoproj"
OUT = ROOT / "fixtures" / "loaddata"

APPS = {
    "books": ROOT / "fixtures/demo/library.sqlite3",
    "blog": ROOT / "fixtures/blog/blog.sqlite3",
}


def dump(app: str, database: Path) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "db.sqlite3"
        shutil.copyfile(database, copy)
        env = dict(os.environ, DJQ_APPS=app, DJQ_DB_PATH=str(copy), DJQ_DB_BACKEND="sqlite")
        return subprocess.run(
            [sys.executable, "manage.py", "dumpdata", app, "--indent", "2"],
            cwd=PROJECT,
            env=env,
            check=True,
            stdout=subprocess.PIPE,
        ).stdout


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if a recording is stale")
    args = parser.parse_args()
    import django

    if django.VERSION[0] != 6:
        sys.exit(f"expected Django 6.x, found {django.get_version()}")
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for app, database in APPS.items():
        text = dump(app, database)
        target = OUT / f"{app}.json"
        if args.check:
            if not target.exists() or target.read_bytes() != text:
                stale.append(str(target.relative_to(ROOT)))
        else:
            target.write_bytes(text)
            print(f"wrote {target.relative_to(ROOT)} ({text.count(b'\"model\"')} objects)")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
