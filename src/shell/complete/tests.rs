//! Completion in each context, against the demo library's models (plus the blog's, for
//! many-to-many relations, and a models.py with custom managers).

use super::{Index, VarKind};
use crate::schema::models_py::{load_source, schema_from_models};

const ENTRY_MODELS: &str = r#"
from django.db import models

class EntryQuerySet(models.QuerySet):
    def live(self):
        return self.filter(live=True)

class EntryManager(models.Manager):
    def get_queryset(self):
        return EntryQuerySet(self.model, using=self._db)

    def newest(self):
        return self.get_queryset().order_by("-id")

class Entry(models.Model):
    live = models.BooleanField(default=False)
    objects = EntryManager()
"#;

fn index() -> Index {
    let mut decls = load_source(
        "books",
        "books/models.py",
        include_str!("../../../fixtures/demo/books/models.py"),
    )
    .unwrap();
    decls.extend(
        load_source(
            "blog",
            "blog/models.py",
            include_str!("../../../fixtures/blog/blog/models.py"),
        )
        .unwrap(),
    );
    decls.extend(load_source("news", "news/models.py", ENTRY_MODELS).unwrap());
    Index::new(&schema_from_models(decls).unwrap())
}

/// The replacements offered at the end of `line`.
fn complete(index: &Index, line: &str) -> Vec<String> {
    let (_, candidates) = index.complete(line, line.len());
    candidates.into_iter().map(|c| c.replacement).collect()
}

#[track_caller]
fn offers(index: &Index, line: &str, expected: &[&str]) {
    let got = complete(index, line);
    for e in expected {
        assert!(
            got.iter().any(|g| g == e),
            "{line:?}: {e:?} missing from {got:?}"
        );
    }
}

#[track_caller]
fn lacks(index: &Index, line: &str, unexpected: &[&str]) {
    let got = complete(index, line);
    for e in unexpected {
        assert!(
            !got.iter().any(|g| g == e),
            "{line:?}: {e:?} offered in {got:?}"
        );
    }
}

#[test]
fn names_in_scope() {
    let ix = index();
    assert_eq!(complete(&ix, "Boo"), ["Book"]);
    offers(&ix, "Co", &["Count", "Coalesce", "Comment", "Concat"]);
    offers(&ix, "con", &["continue"]);
    offers(&ix, "Ex", &["Exists", "ExtractYear", "Exception"]);
    offers(&ix, "x = Low", &["Lower"]);
    offers(&ix, "pri", &["print"]);
    offers(&ix, "Outer", &["OuterRef"]);
    offers(&ix, "TruncM", &["TruncMonth", "TruncMinute"]);
    offers(&ix, "wh", &["while"]);
    offers(&ix, "print(le", &["len"]);
    assert_eq!(complete(&ix, "x = 12"), Vec::<String>::new());
}

#[test]
fn after_a_model() {
    let ix = index();
    assert_eq!(
        complete(&ix, "Book."),
        ["objects", "DoesNotExist", "MultipleObjectsReturned"]
    );
    assert_eq!(complete(&ix, "Book.Do"), ["DoesNotExist"]);
}

#[test]
fn manager_and_queryset_methods() {
    let ix = index();
    assert_eq!(complete(&ix, "Book.objects.fil"), ["filter("]);
    offers(
        &ix,
        "Book.objects.",
        &["all(", "filter(", "select_related(", "aggregate("],
    );
    offers(
        &ix,
        "Book.objects.filter(pages__gt=400).order_by('title').val",
        &["values(", "values_list("],
    );
    offers(&ix, "Book.objects.all()[:5].", &["count("]);
    // Custom managers: the manager's methods and its queryset's, then the queryset's only.
    offers(&ix, "Entry.objects.", &["newest(", "live(", "filter("]);
    offers(&ix, "Entry.objects.live().", &["live(", "exists("]);
    lacks(&ix, "Entry.objects.live().", &["newest("]);
    lacks(&ix, "Book.objects.", &["add("]);
}

#[test]
fn instances_and_their_relations() {
    let ix = index();
    offers(
        &ix,
        "Book.objects.get(pk=1).",
        &[
            "pk",
            "title",
            "author",
            "author_id",
            "get_genre_display(",
            "save(",
        ],
    );
    offers(&ix, "Book.objects.first().author.", &["name", "books"]);
    offers(&ix, "Book.objects.all()[0].", &["isbn"]);
    offers(
        &ix,
        "Book.objects.create(title='x').",
        &["publication_date"],
    );
    // A related manager: queryset methods and the related ones.
    offers(&ix, "Author.objects.first().books.", &["filter(", "add("]);
    offers(&ix, "Article.objects.first().tags.", &["set("]);
}

#[test]
fn terminal_methods_offer_nothing() {
    let ix = index();
    assert!(complete(&ix, "Book.objects.count().").is_empty());
    assert!(complete(&ix, "Book.objects.exists().").is_empty());
    assert!(complete(&ix, "Book.objects.filter.").is_empty());
}

#[test]
fn lookup_keywords() {
    let ix = index();
    assert_eq!(
        complete(&ix, "Book.objects.filter(pa"),
        ["pages=", "pages__"]
    );
    offers(
        &ix,
        "Book.objects.filter(",
        &["title=", "author=", "author__", "pk="],
    );
    offers(
        &ix,
        "Book.objects.filter(auth",
        &["author=", "author__", "author_id="],
    );
    offers(
        &ix,
        "Book.objects.filter(author__",
        &[
            "author__name=",
            "author__name__",
            "author__isnull=",
            "author__in=",
        ],
    );
    offers(
        &ix,
        "Book.objects.filter(author__books__author__na",
        &["author__books__author__name="],
    );
    assert_eq!(
        complete(&ix, "Book.objects.filter(author__name__icon"),
        ["author__name__icontains="]
    );
    offers(
        &ix,
        "Book.objects.exclude(publication_date__",
        &[
            "publication_date__year=",
            "publication_date__year__",
            "publication_date__gte=",
        ],
    );
    offers(
        &ix,
        "Book.objects.filter(publication_date__year__",
        &["publication_date__year__gt="],
    );
    lacks(
        &ix,
        "Book.objects.filter(publication_date__year__",
        &["publication_date__year__year="],
    );
    lacks(
        &ix,
        "Book.objects.filter(pages__",
        &["pages__year=", "pages__unaccent="],
    );
    // Reverse relations by their query names; many-to-many both ways.
    offers(&ix, "Author.objects.filter(books__ti", &["books__title="]);
    offers(
        &ix,
        "Article.objects.filter(tags__",
        &["tags__name=", "tags__slug__"],
    );
    offers(&ix, "Tag.objects.filter(art", &["article=", "article__"]);
    // After another argument; in get(); in Q() inside a filter.
    offers(&ix, "Book.objects.filter(pages__gt=1, ti", &["title="]);
    offers(&ix, "Book.objects.get(is", &["isbn="]);
    offers(&ix, "Book.objects.filter(Q(auth", &["author__"]);
    offers(&ix, "Book.objects.filter(Q(pages=1) | Q(ti", &["title="]);
    // Not after `=`: the value is an expression.
    lacks(&ix, "Book.objects.filter(pages=", &["title="]);
    offers(&ix, "Book.objects.filter(pages=F", &["F"]);
}

#[test]
fn field_keywords() {
    let ix = index();
    assert_eq!(complete(&ix, "Book.objects.create(ti"), ["title="]);
    assert!(complete(&ix, "Book.objects.create(author__").is_empty());
    offers(&ix, "Book.objects.filter(pages=1).update(pa", &["pages="]);
    offers(&ix, "Book(is", &["isbn="]);
    // Not for methods without field keywords.
    assert!(complete(&ix, "Book.objects.annotate(").is_empty());
}

#[test]
fn paths_in_strings() {
    let ix = index();
    let line = "Book.objects.order_by('-pub";
    let (start, candidates) = ix.complete(line, line.len());
    assert_eq!(&line[start..], "pub");
    let got: Vec<_> = candidates.into_iter().map(|c| c.replacement).collect();
    assert_eq!(got, ["publication_date", "publication_date__"]);
    offers(
        &ix,
        "Book.objects.values('author__",
        &["author__name", "author__books__"],
    );
    offers(&ix, "Book.objects.values_list('title', 'pa", &["pages"]);
    offers(&ix, "Book.objects.select_related(\"au", &["author"]);
    offers(
        &ix,
        "Book.objects.only('publication_date__",
        &["publication_date__year"],
    );
    lacks(
        &ix,
        "Book.objects.only('publication_date__",
        &["publication_date__gt"],
    );
    offers(&ix, "Book.objects.filter(pages__gt=F('pa", &["pages"]);
    offers(
        &ix,
        "Author.objects.annotate(n=Count('bo",
        &["books", "books__"],
    );
    offers(
        &ix,
        "Author.objects.annotate(n=Count('books__pa",
        &["books__pages"],
    );
    offers(&ix, "Book.objects.annotate(t=Lower('ti", &["title"]);
    // OuterRef names the outer queryset's fields.
    offers(
        &ix,
        "Author.objects.filter(Exists(Book.objects.filter(author=OuterRef('na",
        &["name"],
    );
    assert!(complete(&ix, "print('pa").is_empty());
}

#[test]
fn session_variables() {
    let mut ix = index();
    let book = ix.models["Book"];
    ix.set_variables(vec![
        (
            "qs".into(),
            VarKind::QuerySet {
                model: book,
                related: false,
            },
        ),
        ("b".into(), VarKind::Instance(book)),
        ("n".into(), VarKind::Other),
    ]);
    offers(&ix, "q", &["qs"]);
    offers(&ix, "qs.fil", &["filter("]);
    offers(&ix, "qs.filter(ti", &["title="]);
    offers(&ix, "b.ti", &["title"]);
    offers(&ix, "b.author.", &["name"]);
    assert!(complete(&ix, "n.").is_empty());
}

#[test]
fn meta_commands() {
    let ix = index();
    offers(&ix, "\\", &["models", "dt", "d ", "sql ", "q", "quit"]);
    assert_eq!(complete(&ix, "\\ti"), ["timing "]);
    assert_eq!(complete(&ix, "\\d Bo"), ["Book"]);
    assert_eq!(complete(&ix, "\\format j"), ["json"]);
    assert_eq!(complete(&ix, "\\sql "), ["on", "off", "params"]);
    assert_eq!(complete(&ix, "\\timing o"), ["on", "off"]);
    let line = "\\d Au";
    assert_eq!(ix.complete(line, line.len()).0, 3);
}

#[test]
fn hints() {
    let ix = index();
    let hint = |line: &str| {
        ix.hint(line, line.len(), false)
            .map(|h| rustyline::hint::Hint::display(&h).to_string())
    };
    assert_eq!(hint("Book.objects.select_r").as_deref(), Some("elated("));
    // select_related and select_for_update: their common part.
    assert_eq!(hint("Book.objects.sel").as_deref(), Some("ect_"));
    assert_eq!(
        hint("Book.objects.filter(author__name__icon").as_deref(),
        Some("tains=")
    );
    assert_eq!(hint("Book.objects.filter(tit").as_deref(), Some("le"));
    assert_eq!(hint("\\form").as_deref(), Some("at "));
    // Nothing to add, nothing typed yet, or the cursor inside the line.
    assert_eq!(hint("Book.objects.filter").as_deref(), Some("("));
    assert_eq!(hint("Book.objects.da").as_deref(), Some("te"));
    assert_eq!(hint("Book.objects.filter(pages"), None);
    assert_eq!(hint("Book.objects."), None);
    assert_eq!(
        ix.hint("Book.objects.select_r ", 21, false).map(|_| ()),
        None
    );
    let colored = ix.hint("Book.objects.select_r", 21, true).unwrap();
    assert_eq!(
        rustyline::hint::Hint::display(&colored),
        "\x1b[2melated(\x1b[0m"
    );
    assert_eq!(rustyline::hint::Hint::completion(&colored), Some("elated("));
}
