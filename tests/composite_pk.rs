//! Composite primary keys (`models.CompositePrimaryKey`) on the compositepk fixture app, with
//! expectations run in Django 6.1.3 on the same data (the recorded corpus and write scripts
//! cover the rest: tests/conformance.rs, tests/writes.rs).

mod support;

use support::{Run, djq};

const DB: &str = "fixtures/compositepk/compositepk.sqlite3";
const MODELS: &str = "fixtures/compositepk/compositepk";

/// djq on the compositepk fixture (read-only), running each of `code` in one session.
fn run(code: &[&str]) -> Run {
    run_on(DB, &["--read-only"], code)
}

fn run_on(db: &str, options: &[&str], code: &[&str]) -> Run {
    let mut cmd = djq();
    cmd.args([db, "--models", MODELS]).args(options);
    for c in code {
        cmd.arg("-c").arg(c);
    }
    cmd.output().expect("run djq").into()
}

/// The run printed `expected`, line for line.
fn assert_lines(out: &Run, expected: &[&str]) {
    assert_eq!(
        out.stdout.lines().collect::<Vec<_>>(),
        expected,
        "{}",
        out.stderr
    );
}

/// Each `code`, run alone on the fixture, fails with `error`.
fn assert_errors(cases: &[(&str, &str)]) {
    assert_errors_after("", cases);
}

/// Each `code`, run on the fixture after `setup` (when given), fails with `error`.
fn assert_errors_after(setup: &str, cases: &[(&str, &str)]) {
    for (code, error) in cases {
        let lines: Vec<&str> = [setup, code]
            .into_iter()
            .filter(|l| !l.is_empty())
            .collect();
        let out = run(&lines);
        assert!(out.stderr.contains(error), "{code}: {}", out.stderr);
    }
}

/// A copy of the fixture database to write to (deleted with the directory).
fn writable() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("compositepk.sqlite3");
    std::fs::copy(support::root().join(DB), &path).expect("copy the fixture");
    (dir, path.display().to_string())
}

#[test]
fn instances_are_equal_and_hash_by_the_whole_composite_key() {
    let out = run(&[
        "a = Bin.objects.get(pk=(1, 1)); b = Bin.objects.get(pk=(1, 2))",
        "print(a == b, a == Bin.objects.get(pk=(1, 1)), len({a, b, Bin.objects.get(pk=(1, 1))}), hash(a) == hash((1, 1)))",
        "print(Bin(aisle=1, slot=1) == a, Bin(aisle=1, slot=2) == a)",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "False True 2 True\nTrue False\n");
}

#[test]
fn refresh_from_db_reloads_the_row_the_whole_composite_key_finds() {
    let out = run(&[
        "b = Bin.objects.get(pk=(1, 2)); b.label = 'x'; b.refresh_from_db()",
        "print(b.label)",
        "b.label = 'y'; b.refresh_from_db(fields=['label'])",
        "print(b.label)",
        "p = Product.objects.get(pk=(2, 'A1')); p.name = 'z'; p.refresh_from_db()",
        "print(p.name)",
    ]);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert_eq!(out.stdout, "cups\ncups\nStorm lantern\n");
}

/// Django 6.1.3's statements and results, captured on the same data.
#[test]
fn delete_of_a_composite_key_instance_and_queryset_runs_djangos_statements() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "from django.db import connection; from django.conf import settings; settings.DEBUG = True",
            "Bin.objects.filter(aisle=2).delete()",
            "Bin.objects.get(pk=(1, 3)).delete()",
            "for q in connection.queries: print(q['sql'])",
            "Bin(aisle=None, slot=1).delete()",
        ],
    );
    assert_eq!(
        out.stdout,
        "(2, {'compositepk.Bin': 2})\n(1, {'compositepk.Bin': 1})\n\
         DELETE FROM \"compositepk_bin\" WHERE \"compositepk_bin\".\"aisle\" = 2\n\
         SELECT \"compositepk_bin\".\"aisle\", \"compositepk_bin\".\"slot\", \"compositepk_bin\".\"label\" \
         FROM \"compositepk_bin\" WHERE (\"compositepk_bin\".\"aisle\", \"compositepk_bin\".\"slot\") = (1, 3) LIMIT 21\n\
         DELETE FROM \"compositepk_bin\" WHERE (\"compositepk_bin\".\"aisle\", \"compositepk_bin\".\"slot\") IN ((1, 3))\n"
    );
    assert!(
        out.stderr.contains(
            "ValueError: Bin object can't be deleted because its pk attribute is set to None."
        ),
        "{}",
        out.stderr
    );
}

/// Django 6.1.3's statements and counts on the same data: deleting rows a `ForeignObject`
/// points at deletes the rows referring to them by the row value of its columns, directly
/// and down an ordinary foreign key's cascade (where the products are fetched by the fields
/// the relation refers to only).
#[test]
fn deleting_rows_a_foreign_object_points_at_cascades_as_django_does() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "from django.db import connection; from django.conf import settings; settings.DEBUG = True",
            "print(Product.objects.get(pk=(1, 'A1')).delete())",
            "print(Store.objects.filter(pk=2).delete())",
            "for q in connection.queries: print(q['sql'])",
            "print(Store.objects.count(), Product.objects.count(), Stock.objects.count())",
        ],
    );
    let expected = [
        "(2, {'compositepk.Stock': 1, 'compositepk.Product': 1})",
        "(6, {'compositepk.Stock': 2, 'compositepk.Product': 3, 'compositepk.Store': 1})",
        r#"SELECT "compositepk_product"."store_id", "compositepk_product"."sku", "compositepk_product"."name", "compositepk_product"."price" FROM "compositepk_product" WHERE ("compositepk_product"."store_id", "compositepk_product"."sku") = (1, 'A1') LIMIT 21"#,
        r#"DELETE FROM "compositepk_stock" WHERE ("compositepk_stock"."store_id", "compositepk_stock"."sku") IN ((1, 'A1'))"#,
        r#"DELETE FROM "compositepk_product" WHERE ("compositepk_product"."store_id", "compositepk_product"."sku") IN ((1, 'A1'))"#,
        r#"SELECT "compositepk_store"."id", "compositepk_store"."name" FROM "compositepk_store" WHERE "compositepk_store"."id" = 2"#,
        r#"SELECT "compositepk_product"."store_id", "compositepk_product"."sku" FROM "compositepk_product" WHERE "compositepk_product"."store_id" IN (2)"#,
        r#"DELETE FROM "compositepk_stock" WHERE ("compositepk_stock"."store_id", "compositepk_stock"."sku") IN ((2, 'A1'), (2, 'B2'), (2, 'D4'))"#,
        r#"DELETE FROM "compositepk_stock" WHERE "compositepk_stock"."store_id" IN (2)"#,
        r#"DELETE FROM "compositepk_product" WHERE ("compositepk_product"."store_id", "compositepk_product"."sku") IN ((2, 'D4'), (2, 'B2'), (2, 'A1'))"#,
        r#"DELETE FROM "compositepk_store" WHERE "compositepk_store"."id" IN (2)"#,
        "1 2 2",
    ];
    assert_lines(&out, &expected);
}

/// Django 6.1.3's statements and counts on the same data: a plain UPDATE when the filter
/// reads the table alone, a row-value `IN (SELECT ...)` over the key when it joins.
#[test]
fn update_of_a_composite_key_queryset_runs_djangos_statements() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "from django.db import connection; from django.conf import settings; settings.DEBUG = True",
            "Bin.objects.filter(aisle=1).update(label='x')",
            "Bin.objects.filter(pk=(2, 1)).update(slot=F('slot') + 10)",
            "Product.objects.filter(store__name='Harbour St').update(price=F('price') + 1)",
            "print(list(Bin.objects.filter(pk__in=Bin.objects.filter(aisle=2)).values_list('pk', 'label')))",
            "for q in connection.queries: print(q['sql'])",
        ],
    );
    let expected = [
        "3",
        "1",
        "3",
        "[((2, 2), 'coats'), ((2, 11), 'lamps')]",
        r#"UPDATE "compositepk_bin" SET "label" = 'x' WHERE "compositepk_bin"."aisle" = 1"#,
        r#"UPDATE "compositepk_bin" SET "slot" = ("compositepk_bin"."slot" + 10) WHERE ("compositepk_bin"."aisle", "compositepk_bin"."slot") = (2, 1)"#,
        r#"UPDATE "compositepk_product" SET "price" = (CAST(("compositepk_product"."price" + 1) AS NUMERIC)) WHERE ("compositepk_product"."store_id", "compositepk_product"."sku") IN (SELECT "U0"."store_id", "U0"."sku" FROM "compositepk_product" "U0" INNER JOIN "compositepk_store" "U1" ON ("U0"."store_id" = "U1"."id") WHERE "U1"."name" = 'Harbour St')"#,
        r#"SELECT "compositepk_bin"."aisle", "compositepk_bin"."slot", "compositepk_bin"."label" AS "label" FROM "compositepk_bin" WHERE ("compositepk_bin"."aisle", "compositepk_bin"."slot") IN (SELECT "U0"."aisle", "U0"."slot" FROM "compositepk_bin" "U0" WHERE "U0"."aisle" = 2)"#,
    ];
    assert_lines(&out, &expected);
}

/// Django 6.1.3 on the same data: `Count` of a composite key counts its first column (also
/// across a relation); `COUNT(DISTINCT)` and the other aggregates refuse it.
#[test]
fn count_of_a_composite_key_counts_its_first_column_and_other_aggregates_refuse_it() {
    let out = run(&[
        "from django.db import connection; from django.conf import settings; settings.DEBUG = True",
        "print(Bin.objects.aggregate(Count('pk')))",
        "print(list(Store.objects.annotate(n=Count('products__pk')).values('name', 'n')))",
        "for q in connection.queries: print(q['sql'])",
    ]);
    let expected = [
        "{'pk__count': 5}",
        "[{'name': 'Harbour St', 'n': 3}, {'name': 'Mill Lane', 'n': 3}]",
        r#"SELECT COUNT("compositepk_bin"."aisle") AS "pk__count" FROM "compositepk_bin""#,
        r#"SELECT "compositepk_store"."name" AS "name", COUNT("compositepk_product"."store_id") AS "n" FROM "compositepk_store" LEFT OUTER JOIN "compositepk_product" ON ("compositepk_store"."id" = "compositepk_product"."store_id") GROUP BY "compositepk_store"."id", 1"#,
    ];
    assert_lines(&out, &expected);
    assert_errors(&[
        (
            "Bin.objects.aggregate(Max('pk'))",
            "ValueError: Max expression does not support composite primary keys.",
        ),
        (
            "Bin.objects.aggregate(Count('pk', distinct=True))",
            "ValueError: COUNT(DISTINCT) doesn't support composite primary keys",
        ),
    ]);
}

/// A `ForeignObject` is joined across, compared, selected, ordered by and fetched (checked
/// against Django by the compositepk corpus); what djq does not do with it yet is a clear
/// not-supported error, never an expression on one of its columns.
#[test]
fn what_djq_does_not_do_with_a_foreign_object_yet_is_not_supported() {
    let out = run(&["print(Stock.objects.annotate(p=F('product')))"]);
    assert!(
        out.stderr.contains(
            "NotSupportedError: Stock.product is a multi-column relation (ForeignObject): using \
             the relation itself as one value here is not supported by djq yet"
        ),
        "{}",
        out.stderr
    );
}

/// Django 6.1.3 on the same data: the way back of a `ForeignObject` is a related manager whose
/// `create()` sets the relation's columns from the owner; `add()`/`set()` raise Django's
/// FieldError (the relation is not a concrete field) and `remove()`/`clear()` do not exist on
/// a relation that is not nullable.
#[test]
fn the_related_manager_of_a_foreign_object_creates_and_refuses_as_django_does() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "p = Product.objects.get(pk=(1, 'A1'))",
            "print(list(p.stock.values_list('pk', 'quantity')), p.stock.count())",
            "s = p.stock.create(quantity=9); print(s.pk, s.store_id, s.sku)",
            "print(Stock(product=Product.objects.get(pk=(2, 'D4')), quantity=1).sku, Stock(product=None, quantity=1).store_id)",
            "print(Stock.objects.get_or_create(product=Product.objects.get(pk=(2, 'B2')), defaults={'quantity': 5}))",
            "print(Bin.objects.get_or_create(pk=(7, 7), defaults={'label': 'z'}))",
        ],
    );
    assert_eq!(
        out.stdout,
        "[(1, 4)] 1\n6 1 A1\nD4 None\n(<Stock: Stock object (7)>, True)\n(<Bin: Bin object ((7, 7))>, True)\n",
        "{}",
        out.stderr
    );
    assert_errors_after(
        "p = Product.objects.get(pk=(1, 'A1'))",
        &[
            (
                "p.stock.add(Stock.objects.get(pk=3))",
                "FieldError: Cannot update model field <django.db.models.fields.related.ForeignObject: product> (only concrete fields are permitted).",
            ),
            (
                "p.stock.set([])",
                "FieldError: Cannot update model field <django.db.models.fields.related.ForeignObject: product> (only concrete fields are permitted).",
            ),
            (
                "p.stock.remove(Stock.objects.get(pk=1))",
                "AttributeError: 'RelatedManager' object has no attribute 'remove'",
            ),
            (
                "Stock(product=Bin.objects.get(pk=(1, 1)), quantity=1)",
                "ValueError: Cannot assign \"<Bin: Bin object ((1, 1))>\": \"Stock.product\" must be a \"Product\" instance.",
            ),
        ],
    );
}

/// Django 6.1.3's statements and results on the same data: `bulk_create()` inserts the key's
/// columns as given; `bulk_update()` finds each object by its key's row value (a `CASE WHEN`
/// per object, a row-value `IN`) and refuses the key's fields and a `ForeignObject`.
#[test]
fn bulk_create_and_bulk_update_of_composite_keys_run_djangos_statements() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "from django.db import connection; from django.conf import settings; settings.DEBUG = True",
            "print(Bin.objects.bulk_create([Bin(aisle=5, slot=1, label='x'), Bin(aisle=5, slot=2, label='y')]))",
            "print(Bin.objects.bulk_update([Bin(aisle=1, slot=1, label='X'), Bin(aisle=5, slot=2, label='Y')], ['label']))",
            "for q in connection.queries: print(q['sql'])",
            "print(list(Bin.objects.filter(label__in=['X', 'Y']).values_list('pk', flat=True)))",
        ],
    );
    let expected = [
        "[<Bin: Bin object ((5, 1))>, <Bin: Bin object ((5, 2))>]",
        "2",
        r#"INSERT INTO "compositepk_bin" ("aisle", "slot", "label") VALUES (5, 1, 'x'), (5, 2, 'y')"#,
        r#"UPDATE "compositepk_bin" SET "label" = CASE WHEN (("compositepk_bin"."aisle", "compositepk_bin"."slot") = (1, 1)) THEN 'X' WHEN (("compositepk_bin"."aisle", "compositepk_bin"."slot") = (5, 2)) THEN 'Y' ELSE NULL END WHERE ("compositepk_bin"."aisle", "compositepk_bin"."slot") IN ((1, 1), (5, 2))"#,
        "[(1, 1), (5, 2)]",
    ];
    assert_lines(&out, &expected);
    assert_errors(&[
        (
            "Bin.objects.bulk_update([Bin(aisle=1, slot=1, label='X')], ['aisle'])",
            "ValueError: bulk_update() cannot be used with primary key fields.",
        ),
        (
            "Stock.objects.bulk_update([Stock(id=1, store_id=1, sku='A1', quantity=1)], ['product'])",
            "ValueError: bulk_update() can only be used with concrete fields.",
        ),
    ]);
}

/// Django 6.1.3's statements on the same data: a related manager's `set()` of a foreign key
/// that cannot be NULL only adds (one UPDATE, nothing removed); `add()` of composite-keyed
/// objects sets the relation and then finds them by their keys (which hold the relation's
/// new value here, so Django's UPDATE finds nothing); `remove()` of such a relation does not
/// exist.
#[test]
fn related_manager_writes_of_a_non_null_foreign_key_run_djangos_statements() {
    let (_dir, db) = writable();
    let out = run_on(
        &db,
        &[],
        &[
            "from django.db import connection; from django.conf import settings",
            "s, p, d = Store.objects.get(pk=1), Stock.objects.get(pk=3), Product.objects.get(pk=(2, 'D4'))",
            "settings.DEBUG = True",
            "s.stock.set([p]); s.products.add(d)",
            "for q in connection.queries: print(q['sql'])",
            "print(Stock.objects.get(pk=3).store_id, Product.objects.filter(sku='D4').values_list('store_id', flat=True)[0])",
        ],
    );
    let expected = [
        r#"UPDATE "compositepk_stock" SET "store_id" = 1 WHERE "compositepk_stock"."id" IN (3)"#,
        r#"UPDATE "compositepk_product" SET "store_id" = 1 WHERE ("compositepk_product"."store_id", "compositepk_product"."sku") IN ((1, 'D4'))"#,
        "1 2",
    ];
    assert_lines(&out, &expected);
    let out = run(&["Store.objects.get(pk=1).products.remove(Product.objects.get(pk=(1, 'A1')))"]);
    assert!(
        out.stderr
            .contains("AttributeError: 'RelatedManager' object has no attribute 'remove'"),
        "{}",
        out.stderr
    );
}

/// A models.py of `ForeignObject` subclasses: one whose `get_extra_restriction()` adds
/// nothing, one that only renames the class.
const SUBCLASSES: &str = r#"from django.db import models


class LangJoin(models.ForeignObject):
    def get_extra_restriction(self, alias, related_alias):
        return None


class PlainJoin(models.ForeignObject):
    pass


class Book(models.Model):
    title = models.CharField(max_length=50)
    current = LangJoin("Edition", models.CASCADE, from_fields=["id"], to_fields=["book"], related_name="+")
    first = PlainJoin("Edition", models.CASCADE, from_fields=["id", "title"], to_fields=["book", "title"], related_name="+")


class Edition(models.Model):
    book = models.ForeignKey(Book, models.CASCADE)
    title = models.CharField(max_length=50)
    lang = models.CharField(max_length=2)
"#;

#[test]
fn a_foreign_object_subclass_joins_as_one_and_a_restriction_of_none_adds_nothing() {
    let (_dir, app) = support::temp_app("shelf", SUBCLASSES);
    let sql = |code: &str| support::sql_only_sqlite(&app, code);
    // As Django 6.1.3 prints it (`str(qs.query)`, the parameter inlined).
    let plain = sql("Book.objects.filter(first__lang='fi')");
    assert_eq!(
        plain.stdout.trim_end(),
        "SELECT \"shelf_book\".\"id\", \"shelf_book\".\"title\" FROM \"shelf_book\" INNER JOIN \
         \"shelf_edition\" ON (\"shelf_book\".\"id\" = \"shelf_edition\".\"book_id\" AND \
         \"shelf_book\".\"title\" = \"shelf_edition\".\"title\") WHERE \"shelf_edition\".\"lang\" = 'fi';",
        "{}",
        plain.stderr
    );
    // Django names both in its choices.
    let unknown = sql("Book.objects.filter(nope=1)");
    assert!(
        unknown.stderr.contains(
            "Cannot resolve keyword 'nope' into field. Choices are: current, edition, first, id, title"
        ),
        "{}",
        unknown.stderr
    );
    // `get_extra_restriction()` returning None adds nothing to the join, as in Django.
    let current = sql("Book.objects.filter(current__lang='fi')");
    assert_eq!(
        current.stdout.trim_end(),
        "SELECT \"shelf_book\".\"id\", \"shelf_book\".\"title\" FROM \"shelf_book\" INNER JOIN \
         \"shelf_edition\" ON (\"shelf_book\".\"id\" = \"shelf_edition\".\"book_id\") WHERE \
         \"shelf_edition\".\"lang\" = 'fi';",
        "{}",
        current.stderr
    );
    let related = sql("Book.objects.select_related('current')");
    assert_eq!(
        related.stdout.trim_end(),
        "SELECT \"shelf_book\".\"id\", \"shelf_book\".\"title\", \"shelf_edition\".\"id\", \
         \"shelf_edition\".\"book_id\", \"shelf_edition\".\"title\", \"shelf_edition\".\"lang\" FROM \
         \"shelf_book\" INNER JOIN \"shelf_edition\" ON (\"shelf_book\".\"id\" = \"shelf_edition\".\"book_id\");",
        "{}",
        related.stderr
    );
}

/// A `ForeignObject` joining by its own `get_extra_restriction()` (multicol's
/// `Doc.current_text`) is read from what `select_related()` loaded; read on an instance
/// alone it is a clear not-supported error, never a row found without its condition.
#[test]
fn a_restricted_foreign_object_is_read_through_select_related() {
    let mut cmd = djq();
    cmd.args([
        "fixtures/multicol/multicol.sqlite3",
        "--models",
        "fixtures/multicol/multicol",
        "--read-only",
        "-c",
        "print(Doc.objects.select_related('current_text').get(code='D1').current_text.title)",
    ]);
    let out: Run = cmd.output().expect("run djq").into();
    assert_lines(&out, &["Rules"]);
    let mut cmd = djq();
    cmd.args([
        "fixtures/multicol/multicol.sqlite3",
        "--models",
        "fixtures/multicol/multicol",
        "--read-only",
        "-c",
        "Doc.objects.get(code='D1').current_text",
    ]);
    let out: Run = cmd.output().expect("run djq").into();
    assert!(
        out.stderr.contains(
            "NotSupportedError: Doc.current_text is a CurrentText: reading it on an instance \
             without select_related() is not supported by djq yet"
        ),
        "{}",
        out.stderr
    );
}

/// The way back of a `ForeignObject` djq cannot place (its class joins by its own
/// `get_joining_fields()`) is a clear not-supported error, not an unknown name.
#[test]
fn the_way_back_of_a_foreign_object_djq_cannot_place_says_so() {
    let (_dir, app) = support::temp_app(
        "pages",
        r#"from django.db import models


class PrefixJoin(models.ForeignObject):
    def get_joining_fields(self, reverse_join=False):
        return ()


class Page(models.Model):
    slug = models.CharField(max_length=20)
    children = PrefixJoin("self", models.DO_NOTHING, from_fields=["slug"], to_fields=["slug"], related_name="parents")
"#,
    );
    let out = support::sql_only_sqlite(&app, "Page.objects.filter(parents__slug='a')");
    assert!(
        out.stderr.contains(
            "NotSupportedError: Page.parents is the way back of Page.children, a PrefixJoin: a \
             ForeignObject joining by its own get_joining_fields() is not supported by djq yet"
        ),
        "{}",
        out.stderr
    );
}
