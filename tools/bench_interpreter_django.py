"""Django's own time for what benches/interpreter.rs measures in djq, in one process run of
Django 6 on the demo library (app `books`, SQLite):

    tools/.venv/bin/python tools/bench_interpreter_django.py sql-only STATEMENTS [--rounds N] [--sql OUT]
    tools/.venv/bin/python tools/bench_interpreter_django.py script SCRIPT DATABASE [--rounds N]

`sql-only`: STATEMENTS holds one queryset expression a line. Each is built from its text as
Django's shell would (`eval`, in a namespace like record.py's: `from django.db.models import *`,
`from django.db.models.functions import *`, the app's models) and compiled with
`qs.query.sql_with_params()`; a round does every statement once, after one warm-up round.
Printed: one JSON object, {"django": version, "statements": n, "rounds": [seconds, ...],
"precompiled_rounds": [seconds, ...]}, the latter with the expressions compiled to Python code
objects beforehand (the queryset build and SQL compile alone). `--sql OUT` also writes each
statement's SQL and parameters as the sqlite3 driver receives them (record.py's conversion), a
JSON array, for the bench to compare with djq's.

Times are the process's CPU time (`time.process_time()`), as benches/interpreter.rs measures
djq's, so that other work on the machine does not count.

`script`: SCRIPT is a Django shell script, run with `exec` on a copy of DATABASE (made per
round, not timed), in the same namespace plus `transaction`; printed: {"django": version,
"rounds": [seconds, ...]}.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
DEMO = ROOT / "fixtures" / "demo" / "library.sqlite3"


def setup(database):
    os.environ.update({
        "DJQ_DB_BACKEND": "sqlite",
        "DJQ_DB_PATH": str(database),
        "DJQ_APPS": "books",
        "DJANGO_SETTINGS_MODULE": "djangoproj.settings",
    })
    sys.path.insert(0, str(TOOLS / "djangoproj"))
    sys.path.insert(0, str(TOOLS))
    import django

    django.setup()
    from django.apps import apps
    from django.db import transaction

    namespace = {}
    exec("from django.db.models import *", namespace)
    exec("from django.db.models.functions import *", namespace)
    for model in apps.get_app_config("books").get_models():
        namespace[model.__name__] = model
    namespace["transaction"] = transaction
    return django.__version__, namespace


def sql_only(args):
    version, namespace = setup(DEMO)
    statements = [line for line in Path(args.file).read_text().splitlines() if line.strip()]

    def round_from_text():
        started = time.process_time()
        for s in statements:
            eval(s, namespace).query.sql_with_params()
        return time.process_time() - started

    codes = [compile(s, "<statement>", "eval") for s in statements]

    def round_precompiled():
        started = time.process_time()
        for c in codes:
            eval(c, namespace).query.sql_with_params()
        return time.process_time() - started

    round_from_text()
    rounds = [round_from_text() for _ in range(args.rounds)]
    precompiled = [round_precompiled() for _ in range(args.rounds)]
    if args.sql:
        from record import SQLiteBackend

        driver = SQLiteBackend("library", DEMO)
        compiled = []
        for s in statements:
            sql, params = eval(s, namespace).query.sql_with_params()
            compiled.append({
                "sql": driver.driver_sql(sql, params, False),
                "params": [driver.driver_param(p) for p in params],
            })
        Path(args.sql).write_text(json.dumps(compiled, default=str))
    print(json.dumps({"django": version, "statements": len(statements), "rounds": rounds,
                      "precompiled_rounds": precompiled}))


def script(args):
    source = Path(args.file).read_text()
    code = compile(source, args.file, "exec")
    with tempfile.TemporaryDirectory() as tmp:
        database = Path(tmp) / "library.sqlite3"
        version, namespace = setup(database)
        from django.db import connection

        rounds = []
        for _ in range(args.rounds):
            connection.close()
            shutil.copyfile(args.database, database)
            started = time.process_time()
            exec(code, dict(namespace))
            rounds.append(time.process_time() - started)
    print(json.dumps({"django": version, "rounds": rounds}))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("sql-only")
    q.add_argument("file")
    q.add_argument("--rounds", type=int, default=5)
    q.add_argument("--sql")
    s = sub.add_parser("script")
    s.add_argument("file")
    s.add_argument("database")
    s.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    {"sql-only": sql_only, "script": script}[args.mode](args)


if __name__ == "__main__":
    main()
