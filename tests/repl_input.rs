//! Typing in the REPL, in a real terminal: the input colored as it is typed and the bracket
//! matching the one at the cursor marked, the history kept across sessions (private to the
//! user, without lines typed after a space, in the file DJQ_HISTFILE names or none, never
//! through a symbolic link djq was not given) and searched backwards with Ctrl-R.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use support::repl::{ControlCode, Repl};

/// A file's permission bits.
fn mode(path: &Path) -> u32 {
    std::fs::metadata(path)
        .expect("the file exists")
        .permissions()
        .mode()
        & 0o777
}

/// One session typing `lines`, each waited for until it prints what follows it.
fn session(env: &[(&str, &str)], lines: &[(&str, &str)]) -> String {
    let mut repl = Repl::start_env(false, &[], env);
    let banner = repl.banner.clone();
    for (line, last) in lines {
        repl.run(line, last);
    }
    drop(repl.quit());
    banner
}

#[test]
fn the_input_is_colored_as_it_is_typed() {
    let mut repl = Repl::start(true);
    repl.session
        .send("for b in Book.objects.filter(pages__gt=400, title='Em")
        .expect("type");
    // Keywords, the model name, numbers and the unfinished string.
    let shown = repl.expect("\x1b[32m'Em");
    assert!(shown.contains("\x1b[35mfor\x1b[0m"), "{shown:?}");
    assert!(shown.contains("\x1b[1;36mBook\x1b[0m"), "{shown:?}");
    assert!(shown.contains("\x1b[33m400\x1b[0m"), "{shown:?}");
    // Closing the call marks the bracket it matches.
    repl.session.send("ma')").expect("type");
    repl.expect("filter\x1b[1;4m(\x1b[0m");
    repl.session
        .send_control(ControlCode::EndOfText)
        .expect("Ctrl-C");
    repl.prompt();
    drop(repl.quit());
}

#[test]
fn history_survives_the_session_and_ctrl_r_finds_it() {
    let data = tempfile::tempdir().expect("temporary directory");
    let data_home = data.path().to_str().expect("utf-8 path");
    let env = [("XDG_DATA_HOME", data_home)];
    let mut repl = Repl::start_env(false, &[], &env);
    repl.run("Book.objects.filter(pages__gt=1400).count()", "1 query");
    repl.run("print('other', 6 * 7)", "other 42");
    drop(repl.quit());

    let mut repl = Repl::start_env(false, &[], &env);
    // Ctrl-R and a few letters find the query typed in the last session.
    repl.session.send("\x12").expect("Ctrl-R");
    repl.session.send("gt=14").expect("type");
    repl.expect("reverse-i-search");
    repl.expect("pages__gt=1400");
    repl.session.send("\r").expect("Enter");
    let out = repl.expect("1 query");
    assert!(out.contains("\r\n1\r\n"), "the count ran again: {out}");
    repl.prompt();
    drop(repl.quit());
}

#[test]
fn history_is_private_and_skips_lines_typed_after_a_space() {
    let data = tempfile::tempdir().expect("temporary directory");
    let env = [("XDG_DATA_HOME", data.path().to_str().unwrap())];
    session(
        &env,
        &[
            ("print('kept', 6 * 7)", "kept 42"),
            (" print('S3CR3T')", "S3CR3T\r\n"),
        ],
    );
    let file = data.path().join("djq/history");
    let text = std::fs::read_to_string(&file).expect("history written");
    assert!(text.contains("print('kept', 6 * 7)"), "{text}");
    assert!(!text.contains("S3CR3T"), "{text}");
    assert_eq!(mode(&file), 0o600);
    assert_eq!(mode(file.parent().unwrap()), 0o700);
}

#[test]
fn djq_histfile_names_the_history_file_or_turns_history_off() {
    let data = tempfile::tempdir().expect("temporary directory");
    let default = data.path().join("djq");
    let named = data.path().join("mine");
    let line = ("print('hello', 6 * 7)", "hello 42");
    let env = |histfile: &str| {
        [
            ("XDG_DATA_HOME", data.path().to_str().unwrap().to_string()),
            ("DJQ_HISTFILE", histfile.to_string()),
        ]
    };
    let named_env = env(named.to_str().unwrap());
    let named_env: Vec<(&str, &str)> = named_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    session(&named_env, &[line]);
    let text = std::fs::read_to_string(&named).expect("the named file is written");
    assert!(text.contains(line.0), "{text}");
    assert_eq!(mode(&named), 0o600);
    assert!(!default.exists(), "nothing written in the default place");
    // And read back next time.
    let mut repl = Repl::start_env(false, &[], &named_env);
    repl.session.send("\x12").expect("Ctrl-R");
    repl.session.send("hello").expect("type");
    repl.expect("print('hello', 6 * 7)");
    repl.session.send("\r").expect("Enter");
    repl.expect("hello 42");
    repl.prompt();
    drop(repl.quit());

    for off in ["", "/dev/null"] {
        let off_env = env(off);
        let off_env: Vec<(&str, &str)> = off_env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let mut repl = Repl::start_env(false, &[], &off_env);
        let help = repl.run("\\help", "History: none is kept (DJQ_HISTFILE)");
        assert!(help.contains("\\q (\\quit)"), "{help}");
        // Nothing was read either: Ctrl-R finds nothing of the named file's session.
        repl.session.send("\x12").expect("Ctrl-R");
        repl.session.send("hello").expect("type");
        repl.expect("(failed reverse-i-search)");
        repl.session
            .send_control(ControlCode::EndOfText)
            .expect("Ctrl-C");
        repl.prompt();
        repl.run(line.0, line.1);
        drop(repl.quit());
        assert!(!default.exists(), "{off:?}: no history written");
    }
}

#[test]
fn history_never_goes_through_a_symbolic_link_djq_was_not_given() {
    let data = tempfile::tempdir().expect("temporary directory");
    let elsewhere = data.path().join("elsewhere");
    std::fs::write(&elsewhere, "not djq's\n").unwrap();
    std::fs::set_permissions(&elsewhere, std::fs::Permissions::from_mode(0o644)).unwrap();
    std::fs::create_dir(data.path().join("djq")).unwrap();
    let link = data.path().join("djq/history");
    std::os::unix::fs::symlink(&elsewhere, &link).unwrap();
    let env = [("XDG_DATA_HOME", data.path().to_str().unwrap())];
    let banner = session(&env, &[("print('typed', 6 * 7)", "typed 42")]);
    assert!(
        banner.contains(&format!("warning: {} is a symbolic link", link.display())),
        "{banner}"
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "not djq's\n");
    assert_eq!(mode(&elsewhere), 0o644);
    // A link the user names is followed.
    let named = [
        ("XDG_DATA_HOME", data.path().to_str().unwrap()),
        ("DJQ_HISTFILE", link.to_str().unwrap()),
    ];
    session(&named, &[("print('typed', 6 * 7)", "typed 42")]);
    let text = std::fs::read_to_string(&elsewhere).unwrap();
    assert!(text.contains("print('typed', 6 * 7)"), "{text}");
}
