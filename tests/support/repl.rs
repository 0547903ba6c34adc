//! A running `djq` in a pseudo-terminal, driven as a user would (expectrl): the REPL tests
//! share it. HOME and XDG_DATA_HOME point into a temporary directory so that the history
//! never touches the real home.

pub use expectrl::{ControlCode, Eof, Session, WaitStatus};
use std::path::PathBuf;
use std::time::Duration;

/// Generous: CI machines are small and the first spawn may be slow.
pub const TIMEOUT: Duration = Duration::from_secs(30);

/// A color escape sequence (SGR), as opposed to the cursor movements line editing uses.
pub const COLOR: &str = r"\x1b\[[0-9;]*m";

/// A running `djq` on the bundled demo database, with its own home directory.
pub struct Repl {
    pub session: Session,
    pub home: tempfile::TempDir,
    /// What djq printed before `\help for help`: its name, the database and the models.
    pub banner: String,
}

impl Repl {
    /// Start djq on the demo database; without `colors`, with NO_COLOR set (plain text is
    /// easier to check).
    pub fn start(colors: bool) -> Repl {
        Repl::start_with(colors, &[])
    }

    /// Start djq with `args` (a database, `--models`, ...).
    pub fn start_with(colors: bool, args: &[&str]) -> Repl {
        Repl::start_env(colors, args, &[])
    }

    /// Start djq with `args` and the environment variables `env` (`EDITOR`, ...) set.
    pub fn start_env(colors: bool, args: &[&str], env: &[(&str, &str)]) -> Repl {
        Repl::start_in(&super::root(), colors, args, env)
    }

    /// Start djq in the folder `dir` (a Django project's), as [`Repl::start_env`].
    pub fn start_in(
        dir: &std::path::Path,
        colors: bool,
        args: &[&str],
        env: &[(&str, &str)],
    ) -> Repl {
        let home = tempfile::tempdir().expect("temporary home");
        let mut cmd = super::djq();
        cmd.current_dir(dir)
            .env_remove("DJANGO_SETTINGS_MODULE")
            .args(args)
            .envs(env.iter().copied())
            .env("HOME", home.path())
            .env("XDG_DATA_HOME", home.path().join("data"))
            .env("TERM", "xterm-256color")
            .env_remove("DJQ_HISTFILE")
            // Output longer than the terminal goes through the pager: `cat` shows it all
            // and returns (tests of the pager itself set their own).
            .env("PAGER", "cat")
            .env_remove("NO_COLOR");
        if !colors {
            cmd.env("NO_COLOR", "1");
        }
        cmd.envs(env.iter().copied());
        let mut session = Session::spawn(cmd).expect("spawn djq in a pty");
        session.set_expect_timeout(Some(TIMEOUT));
        // Wide enough that no table wraps.
        session.set_window_size(250, 60).expect("window size");
        let mut repl = Repl {
            session,
            home,
            banner: String::new(),
        };
        repl.banner = repl.expect("\\help for help");
        repl.prompt();
        repl
    }

    /// Wait for `text`; returns everything printed before it.
    pub fn expect(&mut self, text: &str) -> String {
        let found = self
            .session
            .expect(text)
            .unwrap_or_else(|e| panic!("waiting for {text:?}: {e}"));
        String::from_utf8_lossy(found.before()).into_owned()
    }

    /// Wait for the prompt; returns everything printed before it.
    pub fn prompt(&mut self) -> String {
        self.expect("djq>")
    }

    /// Type `text` and Enter; wait until `last` is printed (line editing redraws the prompt
    /// as the input is typed, with its colors and hints, so the prompt alone does not mark
    /// the end of the output; an empty `last` waits for the end of the line typed), then
    /// for the next prompt. Returns the output up to and including `last`.
    pub fn run(&mut self, text: &str, last: &str) -> String {
        self.session.send_line(text).expect("send a line");
        let last = if last.is_empty() { "\r\n" } else { last };
        let out = self.expect(last) + last;
        self.prompt();
        out
    }

    /// Type `line` (`exit()`): djq must leave, with status 0, as on Ctrl-D.
    pub fn leave_with(mut self, line: &str) {
        self.session.send_line(line).expect("send a line");
        self.session.expect(Eof).expect("djq closes the terminal");
        let status = self.session.wait().expect("djq exits");
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "exit status: {status:?}"
        );
    }

    /// Ctrl-D on an empty line: djq must exit with status 0.
    pub fn quit(mut self) -> PathBuf {
        self.session
            .send_control(ControlCode::EndOfTransmission)
            .expect("send Ctrl-D");
        self.session.expect(Eof).expect("djq closes the terminal");
        let status = self.session.wait().expect("djq exits");
        assert!(
            matches!(status, WaitStatus::Exited(_, 0)),
            "exit status: {status:?}"
        );
        self.home.keep()
    }
}
