//! PostgreSQL-only lookups on a live server, beyond what the recorded corpus
//! (fixtures/conformance/pgapp.corpus, whose models come from models.py) covers: array
//! columns known from the catalog alone, and a lookup whose extension the database lacks
//! saying which one and how to create it.

mod support;

use support::output::Output;

use djq::orm::Session;

/// A session on a new database holding `sql`, its schema introspected (no models.py).
fn session(sql: &str) -> Option<(Session, String, Output)> {
    let url = support::pg::server()?.database_from_sql(sql);
    let backend = djq::backend::connect(&url, false).expect("connect");
    let (session, out) = support::session(backend, &[]);
    Some((session, url, out))
}

#[test]
fn array_columns_cast_to_their_element_type_from_the_catalog() {
    let Some((mut s, _, out)) = session(
        "CREATE TABLE place (id bigint PRIMARY KEY, tags varchar(20)[] NOT NULL, \
         scores integer[], prices numeric(5, 2)[]); \
         INSERT INTO place VALUES (1, '{a,b}', '{1,2}', '{1.50}'), (2, '{c}', NULL, NULL);",
    ) else {
        return;
    };
    s.run(
        "Place.objects.filter(tags__contains=['a'], scores__overlap=[2, 3], \
         prices__contained_by=[1.5]).values_list('id', 'tags__1', 'scores__len')",
    )
    .expect("array lookups");
    assert_eq!(
        s.host.log[0].sql,
        "SELECT \"place\".\"id\" AS \"id\", (\"place\".\"tags\")[$1] AS \"tags__1\", \
         CASE WHEN \"place\".\"scores\" IS NULL THEN NULL ELSE coalesce(array_length(\"place\".\"scores\", 1), 0) END AS \"scores__len\" \
         FROM \"place\" WHERE (\"place\".\"prices\" <@ (ARRAY[$2])::numeric(5, 2)[] \
         AND \"place\".\"scores\" && (ARRAY[$3, $4])::integer[] \
         AND \"place\".\"tags\" @> (ARRAY[$5])::varchar(20)[])"
    );
    let printed: serde_json::Value = serde_json::from_str(&out.text()).unwrap();
    assert_eq!(printed, serde_json::json!([[1, "b", 2]]));
}

#[test]
fn lookups_name_the_extension_they_need() {
    let Some((mut s, url, _)) =
        session("CREATE TABLE place (id bigint PRIMARY KEY, name varchar(50) NOT NULL);")
    else {
        return;
    };
    for (q, message, help) in [
        (
            "Place.objects.filter(name__unaccent='Cafe').count()",
            "the unaccent lookup needs PostgreSQL's unaccent extension, which this database does not have",
            "CREATE EXTENSION unaccent; (a Django migration does it with django.contrib.postgres.operations.UnaccentExtension())",
        ),
        (
            "Place.objects.filter(name__trigram_similar='Cafe').count()",
            "trigram similarity (trigram_similar, trigram_word_similar, ...) needs PostgreSQL's pg_trgm extension, which this database does not have",
            "CREATE EXTENSION pg_trgm; (a Django migration does it with django.contrib.postgres.operations.TrigramExtension())",
        ),
    ] {
        let err = s.run(q).unwrap_err();
        assert_eq!(err.message, message, "{q}");
        assert_eq!(err.help.as_deref(), Some(help), "{q}");
        assert_eq!(err.kind.python_name(), "NotSupportedError", "{q}");
    }

    // Once the extension exists, the same session runs the lookup.
    let mut admin = djq::backend::connect(&url, false).expect("connect");
    admin
        .execute("CREATE EXTENSION unaccent", &[])
        .expect("CREATE EXTENSION unaccent");
    s.run("Place.objects.filter(name__unaccent='Cafe').count()")
        .expect("unaccent with the extension installed");
}
