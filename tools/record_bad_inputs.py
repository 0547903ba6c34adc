#!/usr/bin/env python
"""Record what Django (and CPython) raise for each case of the bad-input catalog.

Usage (from the repository root):

    tools/.venv/bin/python tools/record_bad_inputs.py           # re-record
    tools/.venv/bin/python tools/record_bad_inputs.py --check   # fail if the recording is stale

The catalog is fixtures/bad_inputs.txt (format: tests/bad_input.rs). Each case's input runs
as Django's shell runs code, in a fresh namespace like `manage.py shell`'s (`from
django.db.models import *`, `from django.db.models.functions import *`, the `books` models),
on a scratch copy of fixtures/demo/library.sqlite3:

- `-c` input (no tag) is compiled as a str; `[stdin]` input is first read by CPython as a
  source file (`python -`, as `djq -f -` reads it), whose syntax errors are taken from there;
- the value of each top-level expression statement is repr()'d, as the interactive shell
  shows it (djq prints it too), so a lazy QuerySet is evaluated;
- SyntaxError (and its subclasses) are recorded with CPython's message (`e.msg`, without the
  location), every other exception as `type(e).__qualname__: str(e)`, as djq prints them;
- an input that runs to the end is recorded as raising nothing.

The process runs under a 4 GiB address-space limit, so an input that would exhaust memory
raises MemoryError as it would on a smaller machine instead of swapping this one.

Cases that have no Django counterpart are recorded as `djq only`, by rule, never by hand: a
case tagged `[read-only]` (djq's --read-only refusal) or `[arg ...]` (a djq command-line
option such as --statement-timeout).

Output: fixtures/bad_inputs.django.json

    {"django": "6.1.3", "python": "3.12.1", "catalog": "fixtures/bad_inputs.txt",
     "cases": [
        {"case": ">>> Book.objects.filter(pags=1)",   # the catalog's >>> line, verbatim
         "raises": "FieldError: Cannot resolve keyword ..."},  # null: Django raised nothing
        {"case": ">>> [read-only] ...", "djq_only": "--read-only is a djq option"},
        ...]}

tests/bad_input.rs compares djq's first `error:` line of each case with "raises"; a case
whose message deliberately differs carries a `# differs: <why>` line in the catalog.
"""
import argparse
import ast
import contextlib
import io
import json
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
PROJECT = TOOLS / "djangoproj"
CATALOG = ROOT / "fixtures" / "bad_inputs.txt"
RECORDING = ROOT / "fixtures" / "bad_inputs.django.json"
DATABASE = ROOT / "fixtures" / "demo" / "library.sqlite3"

EXPECTED_DJANGO_MAJOR = 6
MEMORY_LIMIT = 4 << 30
SECONDS_PER_CASE = 60

# Tags whose cases have no Django counterpart, and why (the rule recorded as "djq_only").
DJQ_ONLY = {
    "read-only": "--read-only is a djq option",
    "arg": "a djq command-line option",
}


def unescape(text):
    """The catalog's escapes (tests/bad_input.rs, `unescape`), decoded to bytes."""
    out = bytearray()
    i = 0
    while i < len(text):
        c = text[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = text[i + 1]
        if e == "\\":
            out += b"\\"
            i += 2
        elif e in "nt0":
            out += {"n": b"\n", "t": b"\t", "0": b"\0"}[e]
            i += 2
        elif e == "x":
            out.append(int(text[i + 2 : i + 4], 16))
            i += 4
        elif e == "u":
            end = text.index("}", i)
            out += chr(int(text[i + 3 : end], 16)).encode()
            i = end + 1
        elif e == "*":
            open_, close = text.index("{", i), text.index("}", i)
            out += unescape(text[open_ + 1 : close]) * int(text[i + 2 : open_])
            i = close + 1
        else:
            raise SystemExit(f"unknown escape \\{e} in {CATALOG}")
    return bytes(out)


def cases(text):
    """(header, tags, input bytes) of each catalog case, in order."""
    out = []
    for line in text.splitlines():
        if not line.startswith(">>> "):
            continue
        code, tags = line[4:], []
        while True:
            if code.startswith("[stdin] "):
                tags.append("stdin")
                code = code[len("[stdin] ") :]
            elif code.startswith("[read-only] "):
                tags.append("read-only")
                code = code[len("[read-only] ") :]
            elif code.startswith("[arg ") and "] " in code:
                tags.append("arg")
                code = code[code.index("] ") + 2 :]
            else:
                break
        out.append((line, tags, unescape(code)))
    return out


class Timeout(BaseException):
    pass


def on_alarm(signum, frame):
    raise Timeout()


def file_syntax_error(source):
    """The syntax error CPython reports for `source` read as a file (`python -`), or None.

    A file goes through CPython's file tokenizer, whose messages differ from compile()'s
    (PEP 263 for undecodable bytes, "source code cannot contain null bytes"). Source that
    compiles runs there without Django, harmlessly; only a syntax error is taken from it."""
    done = subprocess.run(
        [sys.executable, "-"], input=source, capture_output=True, timeout=SECONDS_PER_CASE
    )
    last = done.stderr.decode(errors="replace").rstrip("\n").rsplit("\n", 1)[-1]
    kind, _, message = last.partition(": ")
    return last if kind in ("SyntaxError", "IndentationError", "TabError") and message else None


def shown(tree):
    """`tree` with each top-level expression statement's value repr()'d, as the interactive
    shell shows it (so a lazy QuerySet is evaluated, as the user would see it)."""
    for i, node in enumerate(tree.body):
        if isinstance(node, ast.Expr):
            call = ast.Call(ast.Name("__show__", ast.Load()), [node.value], [])
            tree.body[i] = ast.copy_location(ast.Expr(call), node)
    return ast.fix_missing_locations(tree)


def show(value):
    if value is not None:
        repr(value)


def raised(source, stdin, namespace):
    """What running `source` raised, as `Kind: message`, or None."""
    if stdin and (error := file_syntax_error(source)):
        return error
    signal.alarm(SECONDS_PER_CASE)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            text = source if stdin else source.decode()
            compile(text, "<input>", "exec")  # CPython's own syntax errors, untransformed
            tree = ast.parse(text, "<input>", "exec")
            exec(compile(shown(tree), "<input>", "exec"), {**namespace, "__show__": show})
    except SyntaxError as e:
        return f"{type(e).__qualname__}: {e.msg}"
    except Timeout:
        raise SystemExit(f"a case ran past {SECONDS_PER_CASE}s")
    except Exception as e:  # noqa: BLE001 - recording what Django raised
        return f"{type(e).__qualname__}: {e}"
    finally:
        signal.alarm(0)
    return None


def record():
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
    signal.signal(signal.SIGALRM, on_alarm)
    sys.setrecursionlimit(1000)
    scratch = tempfile.mkdtemp()
    db = Path(scratch) / "library.sqlite3"
    shutil.copyfile(DATABASE, db)
    os.environ.pop("DJANGO_SETTINGS_MODULE", None)
    os.environ.update(
        DJANGO_SETTINGS_MODULE="djangoproj.settings",
        DJQ_DB_BACKEND="sqlite",
        DJQ_DB_PATH=str(db),
        DJQ_APPS="books",
    )
    sys.path.insert(0, str(PROJECT))
    import django

    if django.VERSION[0] != EXPECTED_DJANGO_MAJOR:
        raise SystemExit(f"expected Django {EXPECTED_DJANGO_MAJOR}.x, found {django.__version__}")
    django.setup()
    from django.apps import apps

    base = {}
    exec("from django.db.models import *", base)
    exec("from django.db.models.functions import *", base)
    for model in apps.get_app_config("books").get_models():
        base[model.__name__] = model

    entries = []
    try:
        for header, tags, source in cases(CATALOG.read_text(encoding="utf-8")):
            rule = next((DJQ_ONLY[t] for t in tags if t in DJQ_ONLY), None)
            if rule:
                entries.append({"case": header, "djq_only": rule})
            else:
                shutil.copyfile(DATABASE, db)
                from django.db import connections

                connections.close_all()
                namespace = dict(base)
                entries.append({"case": header, "raises": raised(source, "stdin" in tags, namespace)})
    finally:
        shutil.rmtree(scratch)
    return {
        "django": django.__version__,
        "python": platform.python_version(),
        "catalog": "fixtures/bad_inputs.txt",
        "cases": entries,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="fail if the recording is stale")
    args = parser.parse_args()
    text = json.dumps(record(), ensure_ascii=False, indent=1) + "\n"
    if args.check:
        if RECORDING.read_text(encoding="utf-8") != text:
            raise SystemExit(f"{RECORDING.relative_to(ROOT)} is stale: run {Path(__file__).name}")
        print(f"{RECORDING.relative_to(ROOT)}: up to date")
    else:
        RECORDING.write_text(text, encoding="utf-8")
        print(f"wrote {RECORDING.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
