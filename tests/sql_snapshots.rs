//! SQL snapshots per dialect: what djq compiles for representative querysets, from
//! models.py alone (no database), as `--sql-only` prints it. Review changes with
//! `cargo insta review`. The SQL is also checked against Django itself by
//! tests/conformance.rs; these snapshots make every change to the SQL visible.

use djq::orm::{Options, Session};
use djq::render::Format;
use djq::sql::Dialect;
use std::path::PathBuf;

const QUERIES: &[&str] = &[
    "Book.objects.all()",
    "Book.objects.get(pk=1)",
    "Book.objects.filter(author__name__icontains='austen').order_by('-pages')[:5]",
    "Book.objects.filter(Q(genre='FIC') | Q(pages__gt=400))",
    "Book.objects.filter(~Q(genre='FIC'), publication_date__gt='1950-01-01')",
    "Book.objects.filter(title=F('author__name'))",
    "Book.objects.filter(pages__gt=F('pages') * 2 - 100)",
    "Book.objects.filter(publication_date__year=1813)",
    "Book.objects.filter(publication_date__month__in=[1, 2])",
    "Book.objects.filter(title__startswith='The', pages__range=(100, 300))",
    "Book.objects.filter(title__regex=r'^The [A-D]')",
    "Book.objects.exclude(author__birth_date__isnull=True)",
    "Author.objects.filter(books__pages__gt=400).distinct()",
    "Author.objects.filter(books__genre='FIC').filter(books__pages__gt=400)",
    "Author.objects.exclude(books__pages__gt=400)",
    "Book.objects.filter(author__in=Author.objects.filter(name__startswith='J'))",
    "Book.objects.select_related('author').only('title', 'author__name')[:5]",
    "Book.objects.values('title', 'author__name')[:10]",
    "Book.objects.values_list('genre', flat=True).distinct().order_by('genre')",
    "Book.objects.order_by('author', '-title')[10:20]",
    "Book.objects.count()",
    "Book.objects.filter(pages__gt=400)[:5].count()",
    "Book.objects.filter(genre='SCI').exists()",
    "Book.objects.last()",
];

/// PostgreSQL-only lookups and DISTINCT ON, over the pgapp fixture models (JSONField,
/// ArrayFields of varchar(20) and integer, text for unaccent and trigrams).
const POSTGRES_QUERIES: &[&str] = &[
    "Thing.objects.filter(data__name='pâté')",
    "Thing.objects.filter(data__owner__address__city='Paris').values('id', 'data__owner__name')",
    "Thing.objects.filter(data__list__0=1, data__0__gt=2)",
    "Thing.objects.filter(data__name__icontains='crème', data__count__in=[1, 2])",
    "Thing.objects.filter(data__contains={'owner': {'name': 'Ana'}}, data__color=None)",
    "Thing.objects.filter(data__has_key='dims', data__has_any_keys=['list', 'price'])",
    "Thing.objects.exclude(data__count__isnull=True).order_by('-data__price')",
    "Thing.objects.filter(tags__contains=['sweet'], scores__overlap=[10, 11])",
    "Thing.objects.filter(tags=[], scores__len__gt=2)",
    "Thing.objects.filter(tags__0='sweet', tags__0_2=['sweet', 'cold'])",
    "Thing.objects.filter(name__unaccent__icontains='creme')",
    "Thing.objects.filter(name__unaccent__trigram_similar='Creme brulee')",
    "Thing.objects.order_by('kind', '-rank').distinct('kind')",
    "Thing.objects.order_by('maker__name').distinct('maker__name').values('maker__name', 'name')",
    "Thing.objects.distinct('kind').count()",
];

fn session(models: &str, dialect: Dialect) -> Session {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let decls = djq::schema::models_py::load(&[root.join(models)]).unwrap();
    let schema = djq::schema::models_py::schema_from_models(decls).unwrap();
    let opts = Options::sql_only(Format::Json);
    Session::new(schema, None, dialect, opts, Box::new(std::io::sink()))
}

fn sql_for(models: &str, queries: &[&str], dialect: Dialect) -> String {
    let mut s = session(models, dialect);
    let mut out = String::new();
    for q in queries {
        s.host.log.clear();
        s.run(q).unwrap_or_else(|d| panic!("{q}: {d}"));
        out.push_str(&format!("# {q}\n"));
        for st in &s.host.log {
            let params: Vec<String> = st.params.iter().map(|p| p.to_json().to_string()).collect();
            out.push_str(&format!("{}\n  params: [{}]\n", st.sql, params.join(", ")));
        }
        out.push('\n');
    }
    out
}

const BOOKS: &str = "fixtures/demo/books/models.py";
const PGAPP: &str = "fixtures/pg/pgapp/models.py";

#[test]
fn sqlite_sql() {
    insta::assert_snapshot!(sql_for(BOOKS, QUERIES, Dialect::Sqlite));
}

#[test]
fn postgres_sql() {
    insta::assert_snapshot!(sql_for(BOOKS, QUERIES, Dialect::Postgres));
}

#[test]
fn postgres_only_sql() {
    insta::assert_snapshot!(sql_for(PGAPP, POSTGRES_QUERIES, Dialect::Postgres));
}

/// SQLite has none of PostgreSQL's own lookups; each says so when compiled.
#[test]
fn sqlite_refuses_postgres_only_sql() {
    let mut s = session(PGAPP, Dialect::Sqlite);
    for (q, message) in [
        (
            "Thing.objects.distinct('kind')",
            "DISTINCT ON fields is not supported by this database backend",
        ),
        (
            "Thing.objects.filter(data__contains={'a': 1})",
            "contains lookup is not supported on this database backend.",
        ),
        (
            "Thing.objects.filter(data__name='x')",
            "djq supports JSONField key transforms on PostgreSQL only",
        ),
        (
            "Thing.objects.filter(tags__overlap=['x'])",
            "overlap lookup is not supported on this database backend.",
        ),
        (
            "Thing.objects.filter(name__unaccent='x')",
            "djq supports the unaccent lookup on PostgreSQL only",
        ),
    ] {
        let err = s.run(q).unwrap_err();
        assert_eq!(err.message, message, "{q}");
        assert_eq!(err.kind.python_name(), "NotSupportedError", "{q}");
    }
}

/// A chained method or a slice takes its queryset only when nothing else holds it: a
/// queryset bound to a name keeps its query however many querysets are made from it.
#[test]
fn a_queryset_held_by_a_name_keeps_its_query_when_chained_from() {
    let mut s = session(BOOKS, Dialect::Sqlite);
    let mut sql = |q: &str| {
        s.host.log.clear();
        s.run(q).unwrap_or_else(|d| panic!("{q}: {d}"));
        s.host
            .log
            .iter()
            .map(|st| st.sql.clone())
            .collect::<Vec<_>>()
    };
    let alone = sql("Book.objects.filter(pages__gt=400)");
    sql("q = Book.objects.filter(pages__gt=400)");
    let chained = sql("q.order_by('title').exclude(title='x')");
    assert_eq!(chained.len(), 1);
    assert!(chained[0].contains("ORDER BY"), "{chained:?}");
    assert_eq!(sql("q"), alone);
    sql("r = q.all()");
    sql("r.filter(title='y')");
    assert_eq!(sql("r"), alone);
    let sliced = sql("q.order_by('title')[:5]");
    assert!(sliced[0].contains("LIMIT 5"), "{sliced:?}");
    sql("q[2:4]");
    assert_eq!(sql("q"), alone);
}
