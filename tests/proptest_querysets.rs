//! Generated querysets over the demo library (Author, Book from
//! fixtures/demo/books/models.py) run on the demo database without an error: filter and
//! exclude (keyword lookups and Q objects) over field paths that follow relations both ways,
//! with lookups that fit the field's type and values of that type; annotate with Count, Sum,
//! Avg, Max, Min (then filtered, ordered, listed by alias); order_by with `-`; distinct;
//! values and values_list; slicing; count, exists, first, aggregate.
//!
//! Every generated expression is one Django accepts, so any error is a djq bug: the SQL it
//! compiled was rejected, or it refused a valid queryset. One exception is Django's own: a
//! `distinct()` queryset that selects its ordering's columns is wrapped as `SELECT
//! "subquery"."x" FROM (SELECT DISTINCT ...) subquery` when counted, aggregated or used as a
//! subquery, and when two of the inner columns share a name PostgreSQL rejects the reference
//! as ambiguous — for Django as for djq (the differential corpora record such entries from
//! Django). [`djangos_own_failure`] lets exactly that error pass. The cases run on the in-memory
//! SQLite demo database, and fewer on PostgreSQL (tests/support/pg.rs: SKIPPED without a
//! server, or a failure under `CI=true` / `DJQ_REQUIRE_SERVERS=1`).
//!
//! Each test runs its cases twice: from the fixed seed [`FIXED_SEED`], the same every time, and
//! from a new random seed, so that new cases are tried on every run. A failure names the seed
//! it came from and the command that reruns it, e.g.
//!
//! ```text
//! seed 4711; rerun with: PROPTEST_RNG_SEED=4711 cargo test --test proptest_querysets generated_querysets_run_on_sqlite
//! ```
//!
//! `PROPTEST_RNG_SEED` (proptest's own variable) replaces the random seed, so the rerun
//! generates the same cases and shrinks to the same smallest failing queryset.

mod support;

use djq::orm::Session;
use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestError, TestRunner};
use std::cell::RefCell;

const DEMO_SQL: &str = include_str!("../fixtures/demo/library.sql");

/// The type of a field path's last field, which decides its lookups and values.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ty {
    Text,
    Int,
    Date,
    /// A relation (forward foreign key or reverse): compared by primary key.
    Rel,
}

/// The demo models' field paths, up to two relations deep.
const BOOK: &[(&str, Ty)] = &[
    ("id", Ty::Int),
    ("title", Ty::Text),
    ("isbn", Ty::Text),
    ("genre", Ty::Text),
    ("pages", Ty::Int),
    ("publication_date", Ty::Date),
    ("author", Ty::Rel),
    ("author__id", Ty::Int),
    ("author__name", Ty::Text),
    ("author__birth_date", Ty::Date),
    ("author__biography", Ty::Text),
    ("author__books", Ty::Rel),
    ("author__books__pages", Ty::Int),
    ("author__books__title", Ty::Text),
];

const AUTHOR: &[(&str, Ty)] = &[
    ("id", Ty::Int),
    ("name", Ty::Text),
    ("birth_date", Ty::Date),
    ("biography", Ty::Text),
    ("books", Ty::Rel),
    ("books__id", Ty::Int),
    ("books__title", Ty::Text),
    ("books__pages", Ty::Int),
    ("books__genre", Ty::Text),
    ("books__publication_date", Ty::Date),
    ("books__author", Ty::Rel),
    ("books__author__name", Ty::Text),
];

const ARTICLE: &[(&str, Ty)] = &[
    ("id", Ty::Int),
    ("title", Ty::Text),
    ("slug", Ty::Text),
    ("body", Ty::Text),
    ("views", Ty::Int),
    ("writer", Ty::Rel),
    ("writer__id", Ty::Int),
    ("writer__name", Ty::Text),
    ("writer__email", Ty::Text),
    ("tags", Ty::Rel),
    ("tags__name", Ty::Text),
    ("tags__slug", Ty::Text),
    ("comment", Ty::Rel),
    ("comment__author_name", Ty::Text),
    ("writer__article__views", Ty::Int),
];

const WRITER: &[(&str, Ty)] = &[
    ("id", Ty::Int),
    ("name", Ty::Text),
    ("email", Ty::Text),
    ("article", Ty::Rel),
    ("article__id", Ty::Int),
    ("article__title", Ty::Text),
    ("article__views", Ty::Int),
    ("article__tags__name", Ty::Text),
    ("article__comment__author_name", Ty::Text),
];

/// A Python string literal of `s`.
fn py_str(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn text_value() -> BoxedStrategy<String> {
    prop_oneof![
        "[a-zA-Z ]{0,6}".prop_map(|s| py_str(&s)),
        Just(py_str("FIC")),
        Just(py_str("Jane Austen")),
        Just(py_str("100%_'\\x")),
    ]
    .boxed()
}

fn int_value() -> BoxedStrategy<String> {
    prop_oneof![-5i64..1000, Just(i64::from(i32::MAX))]
        .prop_map(|n| n.to_string())
        .boxed()
}

fn date_value() -> BoxedStrategy<String> {
    (1700i32..2030, 1u32..=12, 1u32..=28)
        .prop_map(|(y, m, d)| format!("'{y:04}-{m:02}-{d:02}'"))
        .boxed()
}

fn value(ty: Ty) -> BoxedStrategy<String> {
    match ty {
        Ty::Text => text_value(),
        Ty::Int | Ty::Rel => int_value(),
        Ty::Date => date_value(),
    }
}

/// A list, sometimes empty (Django's EmptyResultSet, wherever it lands in the query).
fn list(ty: Ty) -> BoxedStrategy<String> {
    prop::collection::vec(value(ty), 0..4)
        .prop_map(|v| format!("[{}]", v.join(", ")))
        .boxed()
}

/// `lookup=value` for a path of type `ty` (`lookup` starting with `__`, or empty for exact).
fn lookup(ty: Ty) -> BoxedStrategy<String> {
    let compare = prop_oneof![
        Just(""),
        Just("__exact"),
        Just("__gt"),
        Just("__gte"),
        Just("__lt"),
        Just("__lte"),
    ];
    let isnull =
        any::<bool>().prop_map(|b| format!("__isnull={}", if b { "True" } else { "False" }));
    let common = prop_oneof![
        (compare.clone(), value(ty)).prop_map(|(l, v)| format!("{l}={v}")),
        list(ty).prop_map(|v| format!("__in={v}")),
        (value(ty), value(ty)).prop_map(|(a, b)| format!("__range=({a}, {b})")),
        isnull.clone(),
    ];
    match ty {
        Ty::Text => prop_oneof![
            3 => common,
            2 => (
                prop::sample::select(&[
                    "iexact",
                    "contains",
                    "icontains",
                    "startswith",
                    "istartswith",
                    "endswith",
                    "iendswith",
                ][..]),
                text_value()
            )
                .prop_map(|(l, v)| format!("__{l}={v}")),
            1 => (
                prop::sample::select(&["regex", "iregex"][..]),
                prop::sample::select(&["^The", "[0-9]", "a.?b$", ""][..])
            )
                .prop_map(|(l, v)| format!("__{l}={}", py_str(v))),
        ]
        .boxed(),
        Ty::Int => common.boxed(),
        // Django's related lookups: exact, in, the comparisons and isnull (no range).
        Ty::Rel => prop_oneof![
            (compare, value(ty)).prop_map(|(l, v)| format!("{l}={v}")),
            list(ty).prop_map(|v| format!("__in={v}")),
            isnull,
        ]
        .boxed(),
        Ty::Date => prop_oneof![
            3 => common,
            2 => (
                prop::sample::select(&["year", "month", "day", "week_day", "quarter"][..]),
                prop::sample::select(&["", "__gt", "__lte"][..]),
                1i64..2000
            )
                .prop_map(|(part, l, n)| format!("__{part}{l}={n}")),
        ]
        .boxed(),
    }
}

/// `path<lookup>=value` over `paths`.
fn condition(paths: &'static [(&'static str, Ty)]) -> BoxedStrategy<String> {
    prop::sample::select(paths)
        .prop_flat_map(|(path, ty)| lookup(ty).prop_map(move |l| format!("{path}{l}")))
        .boxed()
}

/// A Q object: conditions combined with `|`, `&` and `~`.
fn q(paths: &'static [(&'static str, Ty)]) -> BoxedStrategy<String> {
    let leaf = condition(paths).prop_map(|c| format!("Q({c})"));
    leaf.prop_recursive(2, 6, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} | {b})")),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} & {b})")),
            inner.prop_map(|a| format!("~{a}")),
        ]
    })
    .boxed()
}

/// An aggregate over `paths` fit for the path's type (Sum and Avg of numbers only), with
/// the type of its result.
fn aggregate(paths: &'static [(&'static str, Ty)]) -> BoxedStrategy<(String, Ty)> {
    prop::sample::select(paths)
        .prop_flat_map(|(path, ty)| {
            let functions: &'static [&'static str] = match ty {
                Ty::Int => &["Count", "Sum", "Avg", "Max", "Min"],
                Ty::Text | Ty::Date => &["Count", "Max", "Min"],
                Ty::Rel => &["Count"],
            };
            (prop::sample::select(functions), any::<bool>()).prop_map(
                move |(f, distinct)| match f {
                    "Count" if distinct => {
                        (format!("Count({}, distinct=True)", py_str(path)), Ty::Int)
                    }
                    "Count" | "Sum" | "Avg" => (format!("{f}({})", py_str(path)), Ty::Int),
                    _ => (format!("{f}({})", py_str(path)), ty),
                },
            )
        })
        .boxed()
}

/// A model's name and its field paths.
type Model = (&'static str, &'static [(&'static str, Ty)]);

/// The demo library's models.
const DEMO: &[Model] = &[("Book", BOOK), ("Author", AUTHOR)];

/// The blog's (fixtures/blog/blog/models.py) text, integer and relation paths; its datetime,
/// decimal, float and boolean fields are left out (the generator has no values for them).
const BLOG: &[Model] = &[("Article", ARTICLE), ("Writer", WRITER)];

/// A queryset of one demo model, chained as the module docs say, with maybe a terminal.
fn queryset() -> impl Strategy<Value = String> {
    queryset_of(DEMO)
}

/// A queryset of one of `models`, chained as the module docs say, with maybe a terminal.
fn queryset_of(models: &'static [Model]) -> impl Strategy<Value = String> {
    prop::sample::select(models).prop_flat_map(|(model, paths)| {
        (
            prop::collection::vec(aggregate(paths), 0..3),
            prop::collection::vec((any::<bool>(), condition(paths), q(paths)), 0..3),
            any::<(bool, bool, bool)>(),
        )
            .prop_flat_map(move |(aggs, filters, (having, distinct, slice))| {
                let aliases: Vec<(String, Ty)> = aggs
                    .iter()
                    .enumerate()
                    .map(|(i, (_, ty))| (format!("a{i}"), *ty))
                    .collect();
                let mut sortable: Vec<String> = paths.iter().map(|(p, _)| p.to_string()).collect();
                sortable.extend(aliases.iter().map(|(a, _)| a.clone()));
                let orderings = prop::collection::vec(
                    (prop::sample::select(sortable.clone()), any::<bool>()),
                    0..3,
                );
                let listed = prop::collection::vec(prop::sample::select(sortable), 1..4);
                let having = if having && !aliases.is_empty() {
                    prop::sample::select(aliases)
                        .prop_flat_map(|(a, ty)| {
                            value(ty).prop_map(move |v| Some(format!("{a}__gte={v}")))
                        })
                        .boxed()
                } else {
                    Just(None).boxed()
                };
                (
                    orderings,
                    prop_oneof![Just(0u8), Just(1), Just(2)],
                    listed,
                    having,
                    (0usize..20, 0usize..20),
                    0u8..6,
                )
                    .prop_map(
                        move |(orderings, shape, listed, having, (from, len), terminal)| {
                            let mut s = format!("{model}.objects");
                            if !aggs.is_empty() {
                                let a: Vec<String> = aggs
                                    .iter()
                                    .enumerate()
                                    .map(|(i, (f, _))| format!("a{i}={f}"))
                                    .collect();
                                s.push_str(&format!(".annotate({})", a.join(", ")));
                            }
                            if aggs.is_empty() && filters.is_empty() {
                                s.push_str(".all()");
                            }
                            for (exclude, kw, q) in &filters {
                                let method = if *exclude { "exclude" } else { "filter" };
                                s.push_str(&format!(".{method}({q}, {kw})"));
                            }
                            if let Some(h) = &having {
                                s.push_str(&format!(".filter({h})"));
                            }
                            if !orderings.is_empty() {
                                let o: Vec<String> = orderings
                                    .iter()
                                    .map(|(p, desc)| {
                                        py_str(&format!("{}{p}", if *desc { "-" } else { "" }))
                                    })
                                    .collect();
                                s.push_str(&format!(".order_by({})", o.join(", ")));
                            }
                            if distinct {
                                s.push_str(".distinct()");
                            }
                            let fields: Vec<String> = listed.iter().map(|p| py_str(p)).collect();
                            match shape {
                                1 => s.push_str(&format!(".values({})", fields.join(", "))),
                                2 if fields.len() == 1 => {
                                    s.push_str(&format!(".values_list({}, flat=True)", fields[0]))
                                }
                                2 => s.push_str(&format!(".values_list({})", fields.join(", "))),
                                _ => {}
                            }
                            if slice {
                                s.push_str(&format!("[{from}:{}]", from + len));
                            }
                            match terminal {
                                0 => s.push_str(".count()"),
                                1 => s.push_str(".exists()"),
                                2 if !slice => s.push_str(".first()"),
                                3 => s.push_str(".aggregate(n=Count('pk'))"),
                                _ => {}
                            }
                            s
                        },
                    )
            })
    })
}

/// A session on the demo database, its schema introspected and overlaid with the demo
/// models.py, as `djq` with no arguments opens it.
fn demo_session(backend: Box<dyn djq::backend::Backend>) -> Session {
    support::session(backend, &[support::DEMO_MODELS]).0
}

/// The seed every run starts with.
const FIXED_SEED: u64 = 14;

/// The seed of a run's second pass: `PROPTEST_RNG_SEED` when it is set (`seed_env`), to rerun
/// a failure, else a new random one.
fn run_seed(seed_env: Option<&str>) -> u64 {
    match seed_env {
        Some(seed) => seed
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("PROPTEST_RNG_SEED={seed:?} is not a whole number")),
        None => {
            use std::hash::BuildHasher;
            std::hash::RandomState::new().hash_one(std::process::id())
        }
    }
}

/// Runs `property` on `cases` querysets generated from `seed`; at the first failure, the
/// smallest failing queryset proptest shrinks it to, why it failed, and the command that
/// reruns it (`test` is the test's name).
fn run_cases(
    test: &str,
    seed: u64,
    cases: u32,
    property: impl Fn(&str) -> Result<(), String>,
) -> Result<(), String> {
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(seed),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    let result = runner.run(&queryset(), |expr| {
        property(&expr).map_err(|why| TestCaseError::fail(format!("{expr}\n  failed: {why}")))
    });
    let rerun = format!(
        "seed {seed}; rerun with: PROPTEST_RNG_SEED={seed} cargo test --test proptest_querysets \
         {test}"
    );
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(why, _)) => Err(format!("{why}\n{rerun}")),
        Err(e @ TestError::Abort(_)) => Err(format!("{e}\n{rerun}")),
    }
}

/// Each of `cases` generated querysets must run in `session`, from [`FIXED_SEED`] and then
/// from [`run_seed`]; panics at the first failure, naming its seed.
/// Whether `error` for `expr` is one Django's SQL gets too (see the module doc): PostgreSQL's
/// ambiguous column reference in the wrapper Django puts around a `distinct()` subquery.
fn djangos_own_failure(expr: &str, error: &str) -> bool {
    expr.contains(".distinct()")
        && error.starts_with("ProgrammingError: column reference \"")
        && error.contains("\" is ambiguous")
        && error.contains("\"subquery\".")
}

fn check(test: &str, session: Session, cases: u32) {
    let session = RefCell::new(session);
    let seed_env = std::env::var("PROPTEST_RNG_SEED").ok();
    for seed in [FIXED_SEED, run_seed(seed_env.as_deref())] {
        let outcome = run_cases(test, seed, cases, |expr| {
            session.borrow_mut().run(expr).map(drop).or_else(|e| {
                let error = e.to_string();
                if djangos_own_failure(expr, &error) {
                    Ok(())
                } else {
                    Err(error)
                }
            })
        });
        if let Err(failure) = outcome {
            panic!("{failure}");
        }
    }
}

#[test]
fn generated_querysets_run_on_sqlite() {
    let backend = djq::backend::open_sqlite_script(DEMO_SQL).expect("demo database");
    check(
        "generated_querysets_run_on_sqlite",
        demo_session(backend),
        128,
    );
}

#[test]
fn generated_querysets_run_on_postgres() {
    let Some(pg) = support::pg::server() else {
        return;
    };
    let url = pg.fixture(support::DEMO_POSTGRES);
    let backend = djq::backend::connect(&url, true).expect("connect");
    check(
        "generated_querysets_run_on_postgres",
        demo_session(backend),
        32,
    );
}

/// The differential corpora (tests/conformance.rs replays them against Django's recordings):
/// file, models, how many distinct querysets.
const DIFFERENTIAL: &[(&str, &[Model], usize)] = &[
    ("fixtures/conformance/differential.corpus", DEMO, 1000),
    ("fixtures/conformance/differential_blog.corpus", BLOG, 300),
];

/// A differential corpus: the first `n` distinct querysets of `models` generated from
/// [`FIXED_SEED`], after a header saying so.
fn differential_corpus(path: &str, models: &'static [Model], n: usize) -> String {
    use proptest::strategy::ValueTree;
    let mut runner = TestRunner::new(Config {
        rng_seed: RngSeed::Fixed(FIXED_SEED),
        ..Config::default()
    });
    let strategy = queryset_of(models);
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::with_capacity(n);
    while lines.len() < n {
        let expr = strategy
            .new_tree(&mut runner)
            .expect("a queryset")
            .current();
        if seen.insert(expr.clone()) {
            lines.push(expr);
        }
    }
    let names: Vec<&str> = models.iter().map(|(name, _)| *name).collect();
    format!(
        "# Differential corpus (issue 14): the first {n} distinct {} querysets of \
         tests/proptest_querysets.rs's\n\
         # generator from the fixed seed {FIXED_SEED}, written by\n\
         # `DJQ_BLESS=1 cargo test --test proptest_querysets differential_corpora_are_the_generators_output`,\n\
         # recorded from Django by `tools/record.py {}`, replayed by tests/conformance.rs.\n\n{}\n",
        names.join("/"),
        std::path::Path::new(path)
            .file_stem()
            .unwrap()
            .to_string_lossy(),
        lines.join("\n")
    )
}

/// The differential corpora hold exactly what the generator gives from the fixed seed (so
/// the recordings measure the generator, not a hand-picked set); `DJQ_BLESS=1` rewrites them.
#[test]
fn differential_corpora_are_the_generators_output() {
    let bless = std::env::var_os("DJQ_BLESS").is_some_and(|v| v == "1");
    for (path, models, n) in DIFFERENTIAL {
        let expected = differential_corpus(path, models, *n);
        let file = support::root().join(path);
        if bless {
            std::fs::write(&file, &expected).unwrap();
        }
        let actual = std::fs::read_to_string(&file).unwrap_or_default();
        assert!(
            actual == expected,
            "{path} is not the generator's output from seed {FIXED_SEED}; rewrite it with \
             DJQ_BLESS=1 cargo test --test proptest_querysets \
             differential_corpora_are_the_generators_output, then re-record it with \
             tools/record.py"
        );
    }
}

#[test]
fn a_failure_names_a_seed_that_reproduces_it() {
    // A property that fails on some querysets: the distinct ones.
    let property = |expr: &str| {
        if expr.contains(".distinct()") {
            Err("distinct".to_string())
        } else {
            Ok(())
        }
    };
    let seed = run_seed(None);
    let failure = run_cases("the_test", seed, 256, property).expect_err("a distinct queryset");
    let hint = format!(
        "seed {seed}; rerun with: PROPTEST_RNG_SEED={seed} cargo test --test proptest_querysets \
         the_test"
    );
    assert!(failure.ends_with(&hint), "{failure}");
    // The seed as the rerun gives it, read back as `check` reads it.
    let again = run_seed(Some(&seed.to_string()));
    assert_eq!(again, seed);
    assert_eq!(
        run_cases("the_test", again, 256, property),
        Err(failure.clone())
    );
    // Shrunk to the smallest distinct queryset.
    assert!(
        failure.starts_with("Book.objects.all().distinct().count()\n"),
        "{failure}"
    );
    // The fixed seed finds it too, the same way every time.
    let fixed = run_cases("the_test", FIXED_SEED, 256, property).expect_err("distinct");
    assert_eq!(run_cases("the_test", FIXED_SEED, 256, property), Err(fixed));
}
