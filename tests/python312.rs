//! Python 3.12 syntax: every construct parses (a models.py may hold any of it), into the
//! tree Python's `ast` would give; what djq does not run says so when it runs.

mod support;

use djq::syntax::ast::{ExprKind, StmtKind};
use djq::syntax::{parse_module, parse_program};

fn djq(code: &str) -> (Option<i32>, String, String) {
    let run: support::Run = (support::djq().args(["-c", code]).output())
        .expect("run djq")
        .into();
    (run.code, run.stdout, run.stderr)
}

#[test]
fn every_python_3_12_construct_parses() {
    let src = include_str!("../fixtures/python312.py");
    let program = parse_program(src).unwrap_or_else(|e| panic!("{e} at {:?}", e.span));
    // Read as a module, nothing is left unread.
    let module = parse_module(src).unwrap();
    assert!(
        !module
            .body
            .iter()
            .any(|s| matches!(s.kind, StmtKind::Unread { .. })),
        "{:?}",
        module.body
    );
    assert_eq!(program.body.len(), module.body.len());
}

#[test]
fn an_unparenthesised_walrus_is_a_named_expression() {
    let program = parse_program("if n := len(x):\n    pass\nwhile c := f(): pass").unwrap();
    for stmt in &program.body {
        let (StmtKind::If { test, .. } | StmtKind::While { test, .. }) = &stmt.kind else {
            panic!("{stmt:?}");
        };
        assert!(matches!(test.kind, ExprKind::NamedExpr { .. }), "{test:?}");
    }
}

#[test]
fn yield_await_async_and_match_are_their_own_nodes() {
    let src = "def g():\n    yield 1\n    yield from x\n    y = yield\n\
               async def h():\n    await z\n\
               match p:\n    case [a, *rest] as whole if a:\n        pass\n    case _:\n        pass\n\
               match = 1\ntype T = int\nclass K[T]:\n    ...\n";
    let body = parse_program(src).unwrap().body;
    let StmtKind::FunctionDef { body: g, .. } = &body[0].kind else {
        panic!()
    };
    assert!(matches!(&g[0].kind, StmtKind::Expr(e) if matches!(e.kind, ExprKind::Yield(Some(_)))));
    assert!(matches!(&g[1].kind, StmtKind::Expr(e) if matches!(e.kind, ExprKind::YieldFrom(_))));
    assert!(
        matches!(&g[2].kind, StmtKind::Assign { value, .. } if value.kind == ExprKind::Yield(None))
    );
    assert!(matches!(&body[1].kind, StmtKind::Async(inner)
        if matches!(&inner.kind, StmtKind::FunctionDef { body, .. }
            if matches!(&body[0].kind, StmtKind::Expr(e) if matches!(e.kind, ExprKind::Await(_))))));
    let StmtKind::Match { cases, .. } = &body[2].kind else {
        panic!("{:?}", body[2])
    };
    assert_eq!(cases.len(), 2);
    assert!(
        matches!(cases[0].pattern.kind, ExprKind::NamedExpr { .. }) && cases[0].guard.is_some()
    );
    // `match` and `type` stay names where they are used as names.
    assert!(matches!(body[3].kind, StmtKind::Assign { .. }));
    assert!(matches!(body[4].kind, StmtKind::TypeAlias { .. }));
    assert!(matches!(&body[5].kind, StmtKind::ClassDef { body, .. }
        if matches!(&body[0].kind, StmtKind::Expr(e) if e.kind == ExprKind::Ellipsis)));
}

#[test]
fn a_walrus_runs_and_what_djq_does_not_run_says_so_where_it_runs() {
    let (code, out, err) = djq("print((n := 3) + n, [y for x in [1, 2] if (y := x * 2)])");
    assert_eq!(
        (code, out.as_str(), err.as_str()),
        (Some(0), "6 [2, 4]\n", "")
    );
    for (code_text, says) in [
        ("x = ...", "'...' (Ellipsis) is not supported by djq"),
        (
            "def g():\n    yield 1\ng()",
            "'yield' is not supported by djq",
        ),
        (
            "match 1:\n    case 1:\n        pass",
            "'match' (structural pattern matching) is not supported by djq",
        ),
        (
            "async def h():\n    pass\nh()",
            "'async def' (h) is not supported by djq",
        ),
    ] {
        let (code, _, err) = djq(code_text);
        assert_eq!(code, Some(1), "{code_text}");
        assert!(
            err.starts_with(&format!("error: NotSupportedError: {says}")),
            "{code_text}: {err}"
        );
    }
}
