//! The interpreter on every statement's path (issue 15), against Django 6 doing the same work
//! in the same run (`tools/bench_interpreter_django.py`, with `tools/.venv`; without it the
//! bench says so and prints djq's figures only):
//! - sql-only: 3,000 seed-style queryset statements over the demo models (filters with
//!   lookups, Q and F, related lookups, exclude, annotate with Count/Sum/Avg/Max, values and
//!   values_list, order_by, slices; generated from a fixed seed by [`statements`]), each
//!   compiled to its SQL as `--sql-only` does, in process, per statement; against Django
//!   building the same querysets from their text and calling `qs.query.sql_with_params()`.
//!   The SQL of every statement is compared with Django's (the count that differ is printed).
//!   Also the djq binary over the whole script (process start and models.py included).
//! - saves: a loop of 10,000 `save(update_fields=[...])` on a copy of the demo SQLite
//!   database, the same script text run by djq in process and by Django's `exec`.
//!
//! Figures are the median of rounds of CPU time (the process's, on both sides: the machine's
//! other work, which swung wall-clock figures by 2x, does not count); the ratio is Django's
//! time over djq's. The binary's figure is wall-clock (process start included).
//!
//! On the 2-core development machine (Django 6.1.3, CPU time): sql-only 31 µs a statement
//! (12.5× Django's 390 µs) before the SQL writer and lexer stopped allocating per piece, 23.5
//! µs (16×) after; saves 9.1 µs (12×) before the schema's models were shared, 6.4 µs (17.5×)
//! after. With mimalloc as the allocator (src/alloc.rs): sql-only 14.3–16.3 µs (22–27.5×;
//! 123k instructions a statement under callgrind, 202k before), saves 5.5–6.0 µs (19×).
//! Then a hand-written byte lexer, filters that resolve their path once, and an SQL writer
//! that writes in place from a borrowed query: sql-only 9.5–10.3 µs (39–44×; 72k instructions).
//! Issue 15's targets: 100× and 10×.
//!
//! Run with `cargo bench --bench interpreter` (builds the release binary);
//! `cargo bench --bench interpreter -- saves` runs one part, and `-- --profile` runs djq's
//! side alone in process, 50 rounds (`--rounds N`), for a profiler (`perf record`, or
//! `valgrind --tool=callgrind`, whose instruction counts do not depend on the machine's load).

#[path = "../tests/support/mod.rs"]
mod support;

use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

const STATEMENTS: usize = 3_000;
const SAVES: usize = 10_000;

/// How a part runs: its rounds, and whether only djq in process (`--profile`).
#[derive(Clone, Copy)]
struct Mode {
    rounds: usize,
    profile: bool,
}

/// A fixed-seed generator (splitmix64): the same statements on every run and machine.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }

    fn int(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next() % (hi - lo + 1) as u64) as i64
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

const GENRES: &[&str] = &["FIC", "NON", "SCI", "HIS"];
const AUTHORS: &[&str] = &[
    "Jane Austen",
    "George Orwell",
    "J.R.R. Tolkien",
    "Charles Dickens",
    "Mark Twain",
    "Herman Melville",
    "Emily Brontë",
];
const WORDS: &[&str] = &["the", "war", "love", "house", "night", "and", "of"];
const STARTS: &[&str] = &["The", "A", "Pride", "Great", "J", "Ch", "M"];

/// A keyword filter on Book: a field path, a lookup that fits it and a value.
fn book_lookup(r: &mut Rng) -> String {
    match r.below(14) {
        0 => format!("pages__gt={}", r.int(100, 900)),
        1 => format!("pages__lte={}", r.int(100, 900)),
        2 => {
            let lo = r.int(100, 500);
            format!("pages__range=({lo}, {})", lo + r.int(50, 400))
        }
        3 => format!("genre=\"{}\"", r.pick(GENRES)),
        4 => format!("genre__in=[\"{}\", \"{}\"]", r.pick(GENRES), r.pick(GENRES)),
        5 => format!("title__icontains=\"{}\"", r.pick(WORDS)),
        6 => format!("title__startswith=\"{}\"", r.pick(STARTS)),
        7 => format!("publication_date__year={}", r.int(1800, 2000)),
        8 => format!("publication_date__gte=\"{}-01-01\"", r.int(1800, 2000)),
        9 => format!("author__name=\"{}\"", r.pick(AUTHORS)),
        10 => format!("author__name__startswith=\"{}\"", r.pick(STARTS)),
        11 => format!("author__birth_date__year__lt={}", r.int(1750, 1950)),
        12 => format!(
            "author__birth_date__isnull={}",
            ["True", "False"][r.below(2)]
        ),
        _ => format!(
            "pages__in=[{}, {}, {}]",
            r.int(100, 900),
            r.int(100, 900),
            r.int(100, 900)
        ),
    }
}

/// A keyword filter on Author, following `books` for some.
fn author_lookup(r: &mut Rng) -> String {
    match r.below(8) {
        0 => format!("name__icontains=\"{}\"", r.pick(WORDS)),
        1 => format!("name__startswith=\"{}\"", r.pick(STARTS)),
        2 => format!("birth_date__year__lt={}", r.int(1750, 1950)),
        3 => format!("books__genre=\"{}\"", r.pick(GENRES)),
        4 => format!("books__pages__gt={}", r.int(100, 900)),
        5 => format!("books__title__icontains=\"{}\"", r.pick(WORDS)),
        6 => format!("books__publication_date__year__gte={}", r.int(1800, 2000)),
        _ => format!("birth_date__isnull={}", ["True", "False"][r.below(2)]),
    }
}

/// Two Book filters on different fields (Python refuses a repeated keyword).
fn two_book_lookups(r: &mut Rng) -> String {
    let a = book_lookup(r);
    loop {
        let b = book_lookup(r);
        if a.split('=').next() != b.split('=').next() {
            return format!("{a}, {b}");
        }
    }
}

/// `Q(a) | Q(b)`, `~Q(a)` or `Q(a) & ~Q(b)` over Book lookups.
fn book_q(r: &mut Rng) -> String {
    let (a, b) = (book_lookup(r), book_lookup(r));
    match r.below(3) {
        0 => format!("Q({a}) | Q({b})"),
        1 => format!("~Q({a})"),
        _ => format!("Q({a}) & ~Q({b})"),
    }
}

/// A filter comparing Book columns through F.
fn book_f(r: &mut Rng) -> String {
    match r.below(3) {
        0 => "title=F('author__name')".to_string(),
        1 => format!("pages__lt=F('id') * {}", r.int(2, 9)),
        _ => "publication_date__lt=F('author__birth_date')".to_string(),
    }
}

const BOOK_ORDERS: &[&str] = &[
    "'-pages'",
    "'title'",
    "'-publication_date', 'title'",
    "'author__name', '-pages'",
    "'genre', 'title'",
    "'pk'",
];
const BOOK_VALUES: &[&str] = &[
    ".values('title', 'pages')",
    ".values('title', 'author__name')",
    ".values_list('title', flat=True)",
    ".values_list('title', 'publication_date')",
    ".values('genre', 'pages', 'publication_date')",
];

fn slice(r: &mut Rng) -> String {
    match r.below(3) {
        0 => format!("[:{}]", r.int(1, 25)),
        1 => {
            let lo = r.int(0, 40);
            format!("[{lo}:{}]", lo + r.int(1, 20))
        }
        _ => String::new(),
    }
}

/// One statement, in the shapes the seed pages and the conformance corpora use.
fn statement(r: &mut Rng) -> String {
    match r.below(6) {
        // Book filters and excludes, ordered, listed, sliced.
        0 | 1 => {
            let mut s = String::from("Book.objects");
            for _ in 0..r.int(1, 2) {
                let method = if r.chance(25) { "exclude" } else { "filter" };
                let args = match r.below(5) {
                    0 => two_book_lookups(r),
                    1 => book_q(r),
                    2 if r.chance(50) => book_f(r),
                    _ => book_lookup(r),
                };
                s += &format!(".{method}({args})");
            }
            if r.chance(60) {
                s += &format!(".order_by({})", r.pick(BOOK_ORDERS));
            }
            if r.chance(40) {
                s += r.pick(BOOK_VALUES);
            }
            s + &slice(r)
        }
        // Authors annotated with an aggregate over their books, filtered and ordered by it.
        2 => {
            let mut s = String::from("Author.objects");
            if r.chance(40) {
                s += &format!(".filter({})", author_lookup(r));
            }
            let (alias, aggregate) = match r.below(5) {
                0 => ("num_books", "Count('books')".to_string()),
                1 => ("total_pages", "Sum('books__pages')".to_string()),
                2 => ("avg_pages", "Avg('books__pages')".to_string()),
                3 => (
                    "long_books",
                    format!(
                        "Count('books', filter=Q(books__pages__gt={}))",
                        r.int(200, 600)
                    ),
                ),
                _ => ("latest", "Max('books__publication_date')".to_string()),
            };
            s += &format!(".annotate({alias}={aggregate})");
            if r.chance(50) && alias != "latest" {
                s += &format!(".filter({alias}__gt={})", r.int(1, 5));
            }
            s += &format!(".order_by('-{alias}', 'name')");
            if r.chance(30) {
                s += &format!(".values('name', '{alias}')");
            }
            s + &slice(r)
        }
        // Books grouped by a column.
        3 => {
            let mut s = String::from("Book.objects");
            if r.chance(50) {
                s += &format!(".filter({})", book_lookup(r));
            }
            let group = r.pick(&["'genre'", "'author__name'", "'publication_date__year'"]);
            let (alias, aggregate) = match r.below(3) {
                0 => ("n", "Count('id')"),
                1 => ("total", "Sum('pages')"),
                _ => ("average", "Avg('pages')"),
            };
            s += &format!(".values({group}).annotate({alias}={aggregate})");
            let order = if r.chance(50) {
                format!("'-{alias}'")
            } else {
                group.to_string()
            };
            s + &format!(".order_by({order})")
        }
        // Authors through their books.
        4 => {
            let method = if r.chance(30) { "exclude" } else { "filter" };
            let mut s = format!("Author.objects.{method}({})", author_lookup(r));
            if r.chance(50) {
                s += ".distinct()";
            }
            if r.chance(50) {
                s += ".order_by('name')";
            }
            s + &slice(r)
        }
        // Books with their author joined, or with an expression annotated.
        _ => {
            let mut s = String::from("Book.objects");
            s += match r.below(3) {
                0 => ".select_related('author')".to_string(),
                1 => format!(".annotate(double=F('pages') * {})", r.int(2, 4)),
                _ => ".annotate(title_length=Length('title'))".to_string(),
            }
            .as_str();
            s += &format!(".filter({})", book_lookup(r));
            if r.chance(50) {
                s += &format!(".order_by({})", r.pick(BOOK_ORDERS));
            }
            s + &slice(r)
        }
    }
}

/// [`STATEMENTS`] distinct statements from the fixed seed.
fn statements() -> Vec<String> {
    let mut r = Rng(15);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    while out.len() < STATEMENTS {
        let s = statement(&mut r);
        if seen.insert(s.clone()) {
            out.push(s);
        }
    }
    out
}

/// The save loop, as a Django shell script: 100 books saved 100 times each.
fn save_script() -> String {
    let per_book = SAVES / 100;
    format!(
        "books = list(Book.objects.order_by('pk')[:100])\n\
         with transaction.atomic():\n    \
             for n in range({per_book}):\n        \
                 for b in books:\n            \
                     b.pages = n\n            \
                     b.title = f\"Title {{n}}\"\n            \
                     b.save(update_fields=['pages', 'title'])\n"
    )
}

/// The CPU time this process has used (Python's `time.process_time()`).
fn cpu_time() -> Duration {
    let mut t = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `t` is a valid timespec to write to; the clock id is a constant.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_PROCESS_CPUTIME_ID, &mut t) };
    assert_eq!(rc, 0, "clock_gettime");
    Duration::new(t.tv_sec as u64, t.tv_nsec as u32)
}

fn median(mut runs: Vec<Duration>) -> Duration {
    runs.sort();
    runs[runs.len() / 2]
}

fn seconds(runs: &serde_json::Value) -> Duration {
    median(
        runs.as_array()
            .expect("rounds")
            .iter()
            .map(|s| Duration::from_secs_f64(s.as_f64().expect("seconds")))
            .collect(),
    )
}

/// A `--sql-only` session over the demo models, writing nowhere.
fn sql_only_session() -> Session {
    let decls =
        djq::schema::models_py::load(&[support::root().join(support::DEMO_MODELS)]).unwrap();
    let schema = djq::schema::models_py::schema_from_models(decls).unwrap();
    Session::new(
        schema,
        None,
        Dialect::Sqlite,
        Options::sql_only(Format::Json),
        Box::new(std::io::sink()),
    )
}

/// Django's figures from tools/bench_interpreter_django.py, or `None` (said) without the venv.
fn django(args: &[&str]) -> Option<serde_json::Value> {
    let python = support::root().join("tools/.venv/bin/python");
    if !python.exists() {
        println!("  Django: not measured (no tools/.venv; see tools/README.md)");
        return None;
    }
    let out = Command::new(python)
        .arg(support::root().join("tools/bench_interpreter_django.py"))
        .args(args)
        .output()
        .expect("run tools/bench_interpreter_django.py");
    assert!(
        out.status.success(),
        "tools/bench_interpreter_django.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(serde_json::from_slice(&out.stdout).expect("its JSON"))
}

fn ratio(djq: Duration, django: Duration) -> String {
    format!("{:.1}×", django.as_secs_f64() / djq.as_secs_f64())
}

fn sql_only(dir: &Path, mode: Mode) {
    let statements = statements();
    let file = dir.join("statements.txt");
    std::fs::write(&file, statements.join("\n") + "\n").unwrap();
    println!("sql-only: {} statements", statements.len());

    let mut s = sql_only_session();
    let mut compiled = Vec::with_capacity(statements.len());
    for st in &statements {
        s.host.log.clear();
        s.run(st).unwrap_or_else(|d| panic!("{st}: {d:?}"));
        let [one] = &s.host.log.iter().collect::<Vec<_>>()[..] else {
            panic!("{st}: not one statement");
        };
        compiled.push(serde_json::json!({
            "sql": one.sql,
            "params": one.params.iter().map(|p| p.to_json()).collect::<Vec<_>>(),
        }));
    }
    let round = |s: &mut Session| {
        let started = cpu_time();
        for st in &statements {
            s.host.log.clear();
            s.run(st).unwrap();
        }
        cpu_time() - started
    };
    let djq = median((0..mode.rounds).map(|_| round(&mut s)).collect());
    let per = |d: Duration| d.as_secs_f64() * 1e6 / statements.len() as f64;
    println!(
        "  djq in process: {:.1} µs a statement ({:.1} ms the round)",
        per(djq),
        djq.as_secs_f64() * 1e3
    );
    if mode.profile {
        return;
    }

    // The binary over the whole script; `-c` echoes each expression's SQL as the shell does
    // (a script file would show nothing), 1,000 statements an argument (under Linux's bound).
    let run_binary = || {
        let mut cmd = support::djq();
        cmd.args([
            "--sql-only",
            "--models",
            support::DEMO_MODELS,
            "--format",
            "json",
        ]);
        for chunk in statements.chunks(1000) {
            cmd.arg("-c").arg(chunk.join("\n"));
        }
        let started = Instant::now();
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        started.elapsed()
    };
    let binary = median((0..mode.rounds).map(|_| run_binary()).collect());
    println!(
        "  djq binary, whole script: {:.1} ms ({:.1} µs a statement, process start included)",
        binary.as_secs_f64() * 1e3,
        per(binary)
    );

    let sql_file = dir.join("django_sql.json");
    let Some(d) = django(&[
        "sql-only",
        file.to_str().unwrap(),
        "--sql",
        sql_file.to_str().unwrap(),
    ]) else {
        return;
    };
    let from_text = seconds(&d["rounds"]);
    let precompiled = seconds(&d["precompiled_rounds"]);
    println!(
        "  Django {}: {:.1} µs a statement from its text ({:.1} µs with the Python compiled beforehand)",
        d["django"].as_str().unwrap_or("?"),
        per(from_text),
        per(precompiled)
    );
    let theirs: Vec<serde_json::Value> =
        serde_json::from_str(&std::fs::read_to_string(&sql_file).unwrap()).unwrap();
    let differ: Vec<&String> = statements
        .iter()
        .zip(compiled.iter().zip(&theirs))
        .filter(|(_, (a, b))| a != b)
        .map(|(st, _)| st)
        .collect();
    println!(
        "  SQL and parameters as Django's: {} of {}{}",
        statements.len() - differ.len(),
        statements.len(),
        differ
            .first()
            .map_or(String::new(), |st| format!(" (first differing: {st})"))
    );
    println!(
        "  ratio Django / djq: {} from text ({} against Django's precompiled code)",
        ratio(djq, from_text),
        ratio(djq, precompiled)
    );
}

fn saves(dir: &Path, mode: Mode) {
    let script = save_script();
    let file = dir.join("saves.py");
    std::fs::write(&file, &script).unwrap();
    println!("saves: {SAVES} save(update_fields=[...]) on SQLite");
    let run = || {
        let (_copy, db) = support::demo_sqlite_copy();
        let backend = djq::backend::connect(&db, false).unwrap();
        let (mut s, _) = support::session(backend, &[support::DEMO_MODELS]);
        let started = cpu_time();
        s.run_script(&script).unwrap();
        let took = cpu_time() - started;
        assert_eq!(
            s.host.log.total(),
            1 + SAVES as u64,
            "one SELECT, then the UPDATEs"
        );
        took
    };
    let djq = median((0..mode.rounds).map(|_| run()).collect());
    println!(
        "  djq in process: {:.1} ms ({:.2} µs a save)",
        djq.as_secs_f64() * 1e3,
        djq.as_secs_f64() * 1e6 / SAVES as f64
    );
    if mode.profile {
        return;
    }
    let demo: PathBuf = support::root().join(support::DEMO_SQLITE);
    let Some(d) = django(&["script", file.to_str().unwrap(), demo.to_str().unwrap()]) else {
        return;
    };
    let django = seconds(&d["rounds"]);
    println!(
        "  Django {}: {:.1} ms ({:.2} µs a save)",
        d["django"].as_str().unwrap_or("?"),
        django.as_secs_f64() * 1e3,
        django.as_secs_f64() * 1e6 / SAVES as f64
    );
    println!("  ratio Django / djq: {}", ratio(djq, django));
}

fn main() {
    // The allocator as the binary sets it.
    djq::alloc::configure();
    let dir = tempfile::tempdir().expect("temporary directory");
    let args: Vec<String> = std::env::args().skip(1).collect();
    let only = args
        .iter()
        .find(|a| matches!(a.as_str(), "sql-only" | "saves"));
    let profile = args.iter().any(|a| a == "--profile");
    // `--rounds N` for a slower profiler (valgrind's callgrind counts instructions exactly).
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1)?.parse().ok());
    let mode = Mode {
        rounds: rounds.unwrap_or(if profile { 50 } else { 5 }),
        profile,
    };
    if only.is_none_or(|o| o == "sql-only") {
        sql_only(dir.path(), mode);
    }
    if only.is_none_or(|o| o == "saves") {
        saves(dir.path(), mode);
    }
}
