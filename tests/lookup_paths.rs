//! The shortcuts the interpreter's call path takes (issue 15's speed work) answer as the long
//! way did: a field's attname recognised without making it, builtin names found by their
//! index.

mod support;

use djq::py::builtins::{builtin, builtin_names};
use djq::py::obj::Obj;

fn demo_schema() -> djq::schema::Schema {
    let mut schema = djq::schema::Schema::default();
    let decls = djq::schema::models_py::load(&[support::root().join(support::DEMO_MODELS)])
        .expect("models.py");
    djq::schema::models_py::overlay(&mut schema, decls).expect("overlay");
    schema
}

#[test]
fn has_attname_agrees_with_attname_on_every_demo_field() {
    let schema = demo_schema();
    let mut relations = 0;
    for m in &schema.models {
        for f in &m.fields {
            relations += usize::from(f.relation.is_some());
            let candidates = [
                f.attname(),
                f.name.to_string(),
                format!("{}_id", f.name),
                format!("{}_idx", f.name),
                "_id".to_string(),
                String::new(),
            ];
            for c in &candidates {
                assert_eq!(
                    f.has_attname(c),
                    f.attname() == *c,
                    "{}.{} vs {c:?}",
                    m.name,
                    f.name
                );
            }
        }
    }
    assert!(relations > 0, "the demo models have foreign keys");
}

#[test]
fn every_builtin_name_resolves_to_its_first_binding() {
    for name in builtin_names() {
        let found = builtin(&name).unwrap_or_else(|| panic!("{name} does not resolve"));
        match found {
            Obj::Builtin(_) | Obj::Module(_) | Obj::ExceptionClass(_) => {}
            other => panic!("{name}: {}", other.type_name()),
        }
    }
    assert!(matches!(builtin("print"), Some(Obj::Builtin(_))));
    assert!(matches!(builtin("os"), Some(Obj::Module(m)) if m == "os"));
    assert!(matches!(builtin("ValueError"), Some(Obj::ExceptionClass(c)) if c == "ValueError"));
    assert!(builtin("Book").is_none());
    assert!(builtin("").is_none());
}
