//! Shell: the interactive REPL — line editing, history (the file `HistoryFile` finds:
//! private, `DJQ_HISTFILE=` for none, lines typed after a space left out), multi-line input
//! while brackets or blocks are open, backslash meta commands, errors shown with carets (the
//! session survives).
//! Ctrl-C at the prompt abandons the line; while a statement runs it cancels the query
//! ([`ctrl_c`], which `-c`/`-f` runs use too).

pub mod complete;
pub mod ctrl_c;
mod describe;
mod highlight;
mod meta;
mod pager;

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::orm::Session;
use crate::render;
use ctrl_c::CtrlC;
use rustyline::completion::Completer;
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{CompletionType, Config, Context, Editor, Helper};
use std::borrow::Cow;
use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

#[derive(Helper)]
struct ReplHelper {
    completion: complete::Index,
    color: bool,
    /// Colors for the input; `None` without colors.
    highlight: Option<highlight::Highlight>,
    /// Whether to mark the bracket matching the one at the cursor (not once the line is
    /// entered).
    match_brackets: Cell<bool>,
}

impl Highlighter for ReplHelper {
    fn highlight<'l>(&self, line: &'l str, pos: usize) -> Cow<'l, str> {
        match &self.highlight {
            Some(h) => Cow::Owned(h.line(line, self.match_brackets.get().then_some(pos))),
            None => Cow::Borrowed(line),
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, kind: CmdKind) -> bool {
        self.match_brackets.set(kind != CmdKind::ForcedRefresh);
        self.highlight.is_some()
    }
}

impl Completer for ReplHelper {
    type Candidate = complete::Candidate;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<complete::Candidate>)> {
        Ok(self.completion.complete(line, pos))
    }
}

impl Hinter for ReplHelper {
    type Hint = complete::Hint;

    fn hint(&self, line: &str, pos: usize, _: &Context<'_>) -> Option<complete::Hint> {
        self.completion.hint(line, pos, self.color)
    }
}

impl Validator for ReplHelper {
    fn validate(&self, ctx: &mut ValidationContext) -> rustyline::Result<ValidationResult> {
        let input = ctx.input();
        if !input.trim_start().starts_with('\\') && crate::syntax::needs_more_input(input) {
            Ok(ValidationResult::Incomplete)
        } else {
            Ok(ValidationResult::Valid(None))
        }
    }
}

/// The file the REPL's history is read from and written to.
struct HistoryFile {
    path: PathBuf,
    /// Named by `DJQ_HISTFILE` (used as named, symbolic links and all), or chosen by djq.
    named: bool,
}

impl HistoryFile {
    /// `$DJQ_HISTFILE` (empty or `/dev/null`: no history at all), else
    /// `$XDG_DATA_HOME/djq/history`, else `~/.local/share/djq/history`.
    fn find() -> Option<HistoryFile> {
        if let Some(named) = std::env::var_os("DJQ_HISTFILE") {
            return (!named.is_empty() && named != "/dev/null").then(|| HistoryFile {
                path: named.into(),
                named: true,
            });
        }
        let base = std::env::var_os("XDG_DATA_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
        Some(HistoryFile {
            path: base.join("djq").join("history"),
            named: false,
        })
    }

    /// A symbolic link on the way to a file djq chose itself (the file or its `djq`
    /// directory): such a file is neither read nor written.
    fn link(&self) -> Option<&Path> {
        if self.named {
            return None;
        }
        [Some(self.path.as_path()), self.path.parent()]
            .into_iter()
            .flatten()
            .find(|p| p.symlink_metadata().is_ok_and(|m| m.is_symlink()))
    }

    /// Writes the session's history (the file private to the user: rustyline creates it
    /// 0600), creating djq's own directory (0700) if need be.
    fn save(&self, rl: &mut Editor<ReplHelper, rustyline::history::DefaultHistory>) {
        if !self.named
            && let Some(dir) = self.path.parent()
        {
            use std::os::unix::fs::DirBuilderExt;
            let _ = std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir);
        }
        if self.link().is_some() {
            return;
        }
        if let Err(e) = rl.save_history(&self.path) {
            eprintln!(
                "warning: cannot write the history file {}: {e}",
                self.path.display()
            );
        }
    }
}

/// How many rows of a queryset the shell shows (Django's `REPR_OUTPUT_SIZE`: its repr reads
/// one more, to know whether there are more); `\all` shows every row.
const REPR_OUTPUT_SIZE: usize = 20;

/// `notes`: what djq could not read in the models files (counted in the banner, listed by
/// `\warnings`); `heading`: the project's line, shown above the banner (see
/// [`crate::project::Project::banner`]).
pub fn run(
    session: &mut Session,
    color: bool,
    notes: Vec<String>,
    heading: Option<String>,
) -> Result<()> {
    let rl_err = |e: ReadlineError| Diagnostic::new(ErrorKind::Io, format!("terminal: {e}"));
    // A line typed with a leading space is not kept (bash's HISTCONTROL=ignorespace).
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .history_ignore_space(true)
        .build();
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> =
        Editor::with_config(config).map_err(rl_err)?;
    let models = session
        .host
        .schema
        .user_models()
        .map(|(_, m)| m.name.clone());
    rl.set_helper(Some(ReplHelper {
        completion: complete::Index::new(&session.host.schema),
        color,
        highlight: color.then(|| highlight::Highlight::new(models)),
        match_brackets: Cell::new(false),
    }));
    let ctrl_c = CtrlC::new(session.canceller())?;
    let history = HistoryFile::find().filter(|h| match h.link() {
        Some(link) => {
            eprintln!(
                "warning: {} is a symbolic link: no history is kept (DJQ_HISTFILE names a file \
                 to use)",
                link.display()
            );
            false
        }
        None => true,
    });
    if let Some(h) = &history {
        let _ = rl.load_history(&h.path);
    }
    // delete() and update() say what they would change and wait for a yes.
    session.host.confirm = Some(Box::new(confirm));
    // Relations loaded row by row in one statement get a warning naming the fix.
    session.host.warn_n_plus_one = true;
    // Big results show their first rows, read as Django's repr reads them (`LIMIT 21`).
    session.host.opts.max_rows = Some(REPR_OUTPUT_SIZE);
    session.host.opts.timing = true;
    // Results longer or wider than the terminal go through the pager, unwrapped.
    let pager = pager::Pager::new();
    let mut shell = meta::Shell::new(color, pager.pages());
    shell.history = history.as_ref().map(|h| h.path.clone());
    let noted = match notes.len() {
        0 => String::new(),
        1 => ", 1 warning: \\warnings".to_string(),
        n => format!(", {n} warnings: \\warnings"),
    };
    shell.notes = notes;
    let _ = session.set_out(Box::new(pager));
    let models = session.host.schema.user_models().count();
    if let Some(heading) = heading {
        println!("{heading}");
    }
    println!(
        "djq {} — {} ({models} models{noted}). \\help for help, \\q to quit.",
        env!("CARGO_PKG_VERSION"),
        session.backend_description()
    );
    let style = shell.error_style();
    let prompt = if color {
        ("djq> ", "\x1b[1;32mdjq>\x1b[0m ")
    } else {
        ("djq> ", "djq> ")
    };
    loop {
        if let Some(helper) = rl.helper_mut() {
            helper.completion.set_variables(session.variable_kinds());
        }
        match rl.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                let input = match line.trim().strip_prefix('\\') {
                    Some(cmd) => match meta::run(session, &mut shell, cmd) {
                        meta::Flow::Quit => break,
                        meta::Flow::Continue => continue,
                        meta::Flow::Run(input) => input,
                    },
                    None => meta::Input::typed(line),
                };
                if !input.script {
                    shell.last_input = Some(input.text.clone());
                }
                // Tables fit the terminal as it is now (it may have been resized), unless
                // they go to the pager.
                session.host.opts.style = shell.result_style();
                // Each entry autocommits; inside `--rollback`'s transaction an entry that
                // fails is undone alone, and the session stays usable.
                let run = |s: &mut Session| {
                    if input.script {
                        s.run_script(&input.text)
                    } else {
                        s.run(&input.text)
                    }
                };
                let (queries, started) = (session.host.log.total(), Instant::now());
                let result = ctrl_c.run(|| {
                    if session.in_transaction() {
                        session.atomic(run)
                    } else {
                        run(session)
                    }
                });
                let queries = session.host.log.total() - queries;
                let summary = status(queries, started.elapsed(), session.host.opts.timing);
                if let (Some(text), Ok(())) = (summary, &result) {
                    println!("{}", style.paint(text, owo_colors::Style::new().dimmed()));
                }
                // `exit()` / `quit()` leave the shell, as `\q` does.
                if let Err(d) = &result
                    && crate::py::exit::exit_status(d).is_some()
                {
                    break;
                }
                if let Err(d) = result {
                    eprintln!(
                        "{}",
                        render::diagnostic::diagnostic(&d, Some((&input.name, &input.text)), style)
                    );
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(rl_err(e)),
        }
    }
    if let Some(h) = &history {
        h.save(&mut rl);
    }
    Ok(())
}

/// The line after a statement: how many queries it ran and (`\timing`) how long it took;
/// nothing for a statement that ran no query.
fn status(queries: u64, elapsed: Duration, timing: bool) -> Option<String> {
    if queries == 0 {
        return None;
    }
    let noun = if queries == 1 { "query" } else { "queries" };
    let ms = elapsed.as_secs_f64() * 1000.0;
    Some(if timing {
        format!("{queries} {noun}, {ms:.1} ms")
    } else {
        format!("{queries} {noun}")
    })
}

/// Print what a write would change and read the answer from the terminal.
fn confirm(summary: &str) -> bool {
    use std::io::Write;
    println!("{summary}");
    print!("Proceed? [y/N] ");
    let _ = std::io::stdout().flush();
    let mut answer = String::new();
    std::io::stdin().read_line(&mut answer).is_ok()
        && matches!(answer.trim(), "y" | "Y" | "yes" | "YES" | "Yes")
}
