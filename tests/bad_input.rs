//! The bad-input catalog: every case of `fixtures/bad_inputs.txt` is malformed or wrong input
//! run through the real binary, which must fail cleanly: exit status 1, exactly the expected
//! stderr (the message, the `-->` line:col and the caret under the span), the expected stdout
//! (usually none), and never a panic. Every mismatch is reported at once.
//!
//! The catalog runs twice: on the bundled demo database (no DATABASE argument, no
//! `DATABASE_URL`), and on a copy of `fixtures/demo/library.sqlite3` given as DATABASE, where
//! no case may crash and the file must be byte for byte unchanged afterwards (some cases
//! would write if they got far enough).
//!
//! `DJQ_BLESS=1` rewrites the expected lines from the current output; review the diff by hand.
//!
//! The messages are Django's: `fixtures/bad_inputs.django.json`, recorded by
//! `tools/record_bad_inputs.py`, holds what Django 6 (and CPython, for syntax errors) raises
//! for each case's input, and `bad_input_messages_are_djangos_or_say_why_not` checks that each
//! case's first expected line is `error: ` and that message, unless the case is djq only (a
//! djq option such as `--read-only`: recorded so by the tool's rule) or carries a
//! `# differs: <why>` line right above its `>>>` line. A mark on a case that now equals
//! Django's message fails too, and so does a recording that does not hold the catalog's cases.
//!
//! # The file
//!
//! ```text
//! # a comment
//! # differs: <why>                         djq's message deliberately differs from Django's
//! >>> Book.objects.filter(pags=1)          run with -c
//! >>> [stdin] Book.objects.filter(         run with -f - and the text on stdin
//! >>> [read-only] Book.objects.all().delete()
//! >>> [arg --statement-timeout=1s] ...     run with one more argument (repeatable)
//! error: FieldError: ...                   the expected stderr, line by line
//! 1> a line                                an expected stdout line
//! ```
//!
//! Input and expected lines take escapes: `\\`, `\n`, `\t`, `\0`, `\xHH` (one raw byte, so
//! stdin can be invalid UTF-8), `\u{HHHH}`, and `\*N{text}` for `text` repeated `N` times.

mod support;

use assert_cmd::Command;
use std::path::Path;
use support::root;

const CATALOG: &str = "fixtures/bad_inputs.txt";
/// What Django raises for each case, recorded by tools/record_bad_inputs.py.
const RECORDING: &str = "fixtures/bad_inputs.django.json";

/// One catalog case.
struct Case {
    /// The `>>>` line as written (for reports and blessing).
    header: String,
    input: Vec<u8>,
    stdin: bool,
    read_only: bool,
    /// Arguments of `[arg ...]` tags.
    args: Vec<String>,
    stderr: String,
    stdout: String,
    /// Why djq's message deliberately differs from Django's: the `# differs: ` line right
    /// above the `>>>` line.
    differs: Option<String>,
}

/// What the binary did with one case.
struct Outcome {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Decodes the escapes of the catalog file.
fn unescape(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(i) = rest.find('\\') {
        out.extend_from_slice(&rest.as_bytes()[..i]);
        let after = &rest[i + 1..];
        let mut chars = after.chars();
        let c = chars.next().expect("a backslash ends a catalog line");
        let mut used = c.len_utf8();
        match c {
            '\\' => out.push(b'\\'),
            'n' => out.push(b'\n'),
            't' => out.push(b'\t'),
            '0' => out.push(0),
            'x' => {
                out.push(u8::from_str_radix(&after[1..3], 16).expect("\\xHH"));
                used = 3;
            }
            'u' => {
                let end = after.find('}').expect("\\u{...}");
                let code = u32::from_str_radix(&after[2..end], 16).expect("\\u{HHHH}");
                let c = char::from_u32(code).expect("a character");
                out.extend_from_slice(c.to_string().as_bytes());
                used = end + 1;
            }
            '*' => {
                let open = after.find('{').expect("\\*N{text}");
                let close = after.find('}').expect("\\*N{text}");
                let n: usize = after[1..open].parse().expect("\\*N{...}: a count");
                let unit = unescape(&after[open + 1..close]);
                for _ in 0..n {
                    out.extend_from_slice(&unit);
                }
                used = close + 1;
            }
            other => panic!("unknown escape \\{other} in {CATALOG}"),
        }
        rest = &after[used..];
    }
    out.extend_from_slice(rest.as_bytes());
    out
}

/// Encodes an output line for the catalog: backslashes and control characters escaped, long
/// runs of one character (but spaces) as `\*N{c}`.
fn escape(line: &str) -> String {
    let mut out = String::new();
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let run = chars[i..].iter().take_while(|&&d| d == c).count();
        let one = match c {
            '\\' => "\\\\".to_string(),
            '\t' => "\\t".to_string(),
            c if (c as u32) < 0x20 || c == '\x7f' => format!("\\x{:02x}", c as u32),
            c => c.to_string(),
        };
        // Spaces (caret lines) stay readable unless absurdly many.
        let long = if c == ' ' { 200 } else { 16 };
        if run >= long && c != '}' {
            out.push_str(&format!("\\*{run}{{{one}}}"));
            i += run;
        } else {
            out.push_str(&one);
            i += 1;
        }
    }
    out
}

fn parse(text: &str) -> Vec<Case> {
    let mut cases: Vec<Case> = Vec::new();
    let mut differs = None;
    for line in text.lines() {
        if let Some(why) = line.strip_prefix("# differs: ") {
            differs = Some(why.to_string());
        } else if let Some(header) = line.strip_prefix(">>> ") {
            let (mut stdin, mut read_only, mut args) = (false, false, Vec::new());
            let mut code = header;
            loop {
                if let Some(rest) = code.strip_prefix("[stdin] ") {
                    (stdin, code) = (true, rest);
                } else if let Some(rest) = code.strip_prefix("[read-only] ") {
                    (read_only, code) = (true, rest);
                } else if let Some((arg, rest)) = code
                    .strip_prefix("[arg ")
                    .and_then(|rest| rest.split_once("] "))
                {
                    args.push(arg.to_string());
                    code = rest;
                } else {
                    break;
                }
            }
            cases.push(Case {
                header: line.to_string(),
                input: unescape(code),
                stdin,
                read_only,
                args,
                stderr: String::new(),
                stdout: String::new(),
                differs: differs.take(),
            });
        } else if line.starts_with('#') || line.trim().is_empty() {
            assert!(
                differs.is_none(),
                "a `# differs:` line is right above a >>> line"
            );
        } else {
            let case = cases.last_mut().expect("expected lines follow a >>> line");
            let (target, line) = match line.strip_prefix("1> ") {
                Some(out) => (&mut case.stdout, out),
                None => (&mut case.stderr, line),
            };
            let decoded = String::from_utf8(unescape(line)).expect("expected text is UTF-8");
            target.push_str(&decoded);
            target.push('\n');
        }
    }
    cases
}

fn run(case: &Case, database: Option<&Path>) -> Outcome {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_djq"));
    cmd.env_remove("DATABASE_URL").env_remove("NO_COLOR");
    if let Some(db) = database {
        cmd.arg(db);
    }
    cmd.arg("--no-color");
    if case.read_only {
        cmd.arg("--read-only");
    }
    cmd.args(&case.args);
    if case.stdin {
        cmd.args(["-f", "-"]).write_stdin(case.input.clone());
    } else {
        let code = String::from_utf8(case.input.clone()).expect("-c code is UTF-8");
        assert!(!code.contains('\0'), "-c code cannot hold NUL: use [stdin]");
        cmd.arg("-c").arg(code).write_stdin(Vec::new());
    }
    cmd.timeout(std::time::Duration::from_secs(60));
    let out = cmd.output().expect("running djq");
    Outcome {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Why `got` is not a clean failure, if it is not.
fn unclean(got: &Outcome) -> Option<String> {
    crashed(got)
        .or_else(|| (got.code != Some(1)).then(|| format!("exit status {:?}, not 1", got.code)))
}

/// Whether djq panicked or died of a signal (a stack overflow aborts).
fn crashed(got: &Outcome) -> Option<String> {
    (got.stderr.contains("panicked")
        || got.stderr.contains("overflowed its stack")
        || got.code == Some(101)
        || got.code.is_none())
    .then(|| format!("djq crashed (exit status {:?}):\n{}", got.code, got.stderr))
}

/// The catalog file with every expected block replaced by what djq printed.
fn blessed(text: &str, outcomes: &[Outcome]) -> String {
    let mut out = String::new();
    let mut next = outcomes.iter();
    let mut skipping = false;
    for line in text.lines() {
        if line.starts_with(">>> ") {
            out.push_str(line);
            out.push('\n');
            let got = next.next().expect("one outcome per case");
            for l in got.stderr.lines() {
                out.push_str(&escape(l));
                out.push('\n');
            }
            for l in got.stdout.lines() {
                out.push_str(&format!("1> {}\n", escape(l)));
            }
            skipping = true;
        } else if line.starts_with('#') || line.trim().is_empty() {
            skipping = false;
            out.push_str(line);
            out.push('\n');
        } else if !skipping {
            panic!("expected lines without a case: {line}");
        }
    }
    out
}

#[test]
fn bad_inputs_fail_cleanly_with_the_expected_message_and_caret() {
    let path = root().join(CATALOG);
    let text = std::fs::read_to_string(&path).expect("the catalog");
    let cases = parse(&text);
    assert!(cases.len() >= 100, "the catalog has {} cases", cases.len());
    let outcomes: Vec<Outcome> = cases.iter().map(|c| run(c, None)).collect();
    if std::env::var_os("DJQ_BLESS").is_some_and(|v| v == "1") {
        std::fs::write(&path, blessed(&text, &outcomes)).expect("writing the catalog");
    }
    let mut failures = Vec::new();
    for (case, got) in cases.iter().zip(&outcomes) {
        let mut why = Vec::new();
        why.extend(unclean(got));
        if got.stderr != case.stderr {
            why.push(format!(
                "stderr differs:\n--- expected\n{}--- actual\n{}",
                case.stderr, got.stderr
            ));
        }
        if got.stdout != case.stdout {
            why.push(format!(
                "stdout differs:\n--- expected\n{}--- actual\n{}",
                case.stdout, got.stdout
            ));
        }
        if !why.is_empty() {
            failures.push(format!("{}\n{}", case.header, why.join("\n")));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases failed (DJQ_BLESS=1 rewrites the expectations):\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// Django's side of each case, from the recording (`None`: the case is djq only).
fn django_messages() -> Vec<(String, Option<String>)> {
    let text = std::fs::read_to_string(root().join(RECORDING)).expect("the recording");
    let json: serde_json::Value = serde_json::from_str(&text).expect("the recording is JSON");
    json["cases"]
        .as_array()
        .expect("\"cases\"")
        .iter()
        .map(|entry| {
            let case = entry["case"].as_str().expect("\"case\"").to_string();
            let raises = match entry.get("djq_only") {
                Some(_) => None,
                None => Some(match &entry["raises"] {
                    serde_json::Value::Null => "(nothing: Django runs it)".to_string(),
                    raises => raises.as_str().expect("\"raises\"").to_string(),
                }),
            };
            (case, raises)
        })
        .collect()
}

#[test]
fn bad_input_messages_are_djangos_or_say_why_not() {
    let text = std::fs::read_to_string(root().join(CATALOG)).expect("the catalog");
    let cases = parse(&text);
    let recorded = django_messages();
    let headers: Vec<&str> = cases.iter().map(|c| c.header.as_str()).collect();
    let recorded_headers: Vec<&str> = recorded.iter().map(|(h, _)| h.as_str()).collect();
    assert_eq!(
        headers, recorded_headers,
        "{RECORDING} does not hold the catalog's cases: run tools/record_bad_inputs.py"
    );
    let mut failures = Vec::new();
    for (case, (_, django)) in cases.iter().zip(&recorded) {
        // bad_inputs_fail_cleanly_with_the_expected_message_and_caret holds djq to these lines.
        let djq = case.stderr.lines().next().unwrap_or("");
        let djq = djq.strip_prefix("error: ").unwrap_or(djq);
        match (django, &case.differs) {
            (None, Some(_)) => failures.push(format!("{}\nmarked, but djq only", case.header)),
            (Some(django), None) if django != djq => failures.push(format!(
                "{}\ndiffers from Django without a `# differs:` line:\n  djq:    {djq}\n  \
                 Django: {django}",
                case.header
            )),
            (Some(django), Some(_)) if django == djq => failures.push(format!(
                "{}\nmarked `# differs:` but equals Django's: {django}",
                case.header
            )),
            _ => {}
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn bad_inputs_write_nothing() {
    let text = std::fs::read_to_string(root().join(CATALOG)).expect("the catalog");
    let cases = parse(&text);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("library.sqlite3");
    let original = std::fs::read(root().join("fixtures/demo/library.sqlite3")).unwrap();
    std::fs::write(&db, &original).unwrap();
    let mut failures = Vec::new();
    for case in &cases {
        // Names may differ here (no models.py: Django's default reverse names), so only
        // crashes count, and writes.
        let got = run(case, Some(&db));
        if let Some(why) = crashed(&got) {
            failures.push(format!("{}\n{why}\n{}", case.header, got.stderr));
        }
        if std::fs::read(&db).unwrap() != original {
            failures.push(format!("{}\nchanged the database file", case.header));
            std::fs::write(&db, &original).unwrap();
        }
    }
    let left: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(left, ["library.sqlite3"], "files left beside the database");
    assert!(
        failures.is_empty(),
        "{} cases failed on a database file:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}

#[test]
fn escapes_round_trip() {
    for line in [
        "a\\b",
        "tab\there",
        "(((((((((((((((((((((((((",
        "\u{2400}x\u{1b}",
    ] {
        assert_eq!(unescape(&escape(line)), line.as_bytes());
    }
    assert_eq!(unescape("\\*3{ab}\\xff\\u{e9}"), b"ababab\xff\xc3\xa9");
}
