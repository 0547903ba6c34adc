//! Shell: the interactive REPL — line editing, history, multi-line input while brackets or
//! blocks are open, backslash meta commands, errors shown with carets (the session survives).
//! Ctrl-C at the prompt abandons the line; while a statement runs it cancels the query
//! ([`ctrl_c`], which `-c`/`-f` runs use too).

pub mod ctrl_c;

use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::interp::Session;
use crate::render::{self, Format, Style};
use ctrl_c::CtrlC;
use rustyline::error::ReadlineError;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Completer, Editor, Helper, Highlighter, Hinter};
use std::path::PathBuf;

#[derive(Completer, Helper, Highlighter, Hinter)]
struct ReplHelper;

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

/// The history file: `$XDG_DATA_HOME/djq/history`, else `~/.local/share/djq/history`.
fn history_path() -> Option<PathBuf> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))?;
    Some(base.join("djq").join("history"))
}

pub fn run(session: &mut Session, color: bool) -> Result<()> {
    let rl_err = |e: ReadlineError| Diagnostic::new(ErrorKind::Io, format!("terminal: {e}"));
    let mut rl: Editor<ReplHelper, rustyline::history::DefaultHistory> =
        Editor::new().map_err(rl_err)?;
    rl.set_helper(Some(ReplHelper));
    let ctrl_c = CtrlC::new(session.canceller())?;
    let history = history_path();
    if let Some(h) = &history {
        let _ = rl.load_history(h);
    }
    // delete() and update() say what they would change and wait for a yes.
    session.confirm = Some(Box::new(confirm));
    // Relations loaded row by row in one statement get a warning naming the fix.
    session.warn_n_plus_one = true;
    let models = session.schema.user_models().count();
    println!(
        "djq {} — {} ({models} models). \\help for help, \\q to quit.",
        env!("CARGO_PKG_VERSION"),
        session.backend_description()
    );
    let style = Style { color, width: None };
    let prompt = if color {
        ("djq> ", "\x1b[1;32mdjq>\x1b[0m ")
    } else {
        ("djq> ", "djq> ")
    };
    loop {
        match rl.readline(&prompt) {
            Ok(line) => {
                if line.trim().is_empty() {
                    continue;
                }
                let _ = rl.add_history_entry(line.as_str());
                let trimmed = line.trim();
                if let Some(cmd) = trimmed.strip_prefix('\\') {
                    if meta(session, cmd) == Flow::Quit {
                        break;
                    }
                    continue;
                }
                // Tables fit the terminal as it is now (it may have been resized).
                session.opts.style = Style::stdout(session.opts.style.color);
                // Each entry autocommits; inside `--rollback`'s transaction an entry that
                // fails is undone alone, and the session stays usable.
                let run = |s: &mut Session| s.run(&line);
                let result = ctrl_c.run(|| {
                    if session.in_transaction() {
                        session.atomic(run)
                    } else {
                        run(session)
                    }
                });
                if let Err(d) = result {
                    eprintln!(
                        "{}",
                        render::diagnostic::diagnostic(&d, Some(("<input>", &line)), style)
                    );
                }
            }
            Err(ReadlineError::Interrupted) => continue,
            Err(ReadlineError::Eof) => break,
            Err(e) => return Err(rl_err(e)),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = rl.save_history(h);
    }
    Ok(())
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

#[derive(PartialEq, Eq)]
enum Flow {
    Continue,
    Quit,
}

/// Backslash commands, psql style.
fn meta(session: &mut Session, cmd: &str) -> Flow {
    let mut words = cmd.split_whitespace();
    let name = words.next().unwrap_or("");
    let arg = words.next();
    match name {
        "q" | "quit" => return Flow::Quit,
        "models" | "dt" => {
            for (_, m) in session.schema.user_models() {
                println!("{:<24} {}", m.name, m.table);
            }
        }
        "d" => match arg.and_then(|a| session.schema.find_model(a)) {
            Some(id) => describe(session, id),
            None => eprintln!("usage: \\d Model (see \\models)"),
        },
        "sql" => match arg {
            Some("on") => session.opts.show_sql = true,
            Some("off") => session.opts.show_sql = false,
            _ => eprintln!("usage: \\sql on|off"),
        },
        "format" => match arg.map(str::parse::<Format>) {
            Some(Ok(f)) => session.opts.format = f,
            _ => eprintln!("usage: \\format table|vertical|csv|json|ndjson"),
        },
        "x" => {
            session.opts.format = if session.opts.format == Format::Vertical {
                Format::Table
            } else {
                Format::Vertical
            }
        }
        "help" | "?" => println!(
            "Type Django ORM expressions, e.g. Book.objects.filter(pages__gt=400).order_by('-pages')[:5]\n\
             \\models (\\dt)   list models          \\d Model      describe a model\n\
             \\sql on|off     show SQL             \\format FMT   table|vertical|csv|json|ndjson\n\
             \\x              toggle vertical      \\q            quit"
        ),
        other => eprintln!("unknown command \\{other} (try \\help)"),
    }
    Flow::Continue
}

fn describe(session: &Session, id: crate::schema::ModelId) {
    let m = session.schema.model(id);
    println!("{} ({})", m.name, m.table);
    for f in &m.fields {
        let target = f
            .relation
            .as_ref()
            .map(|r| format!(" -> {}", session.schema.model(r.to).name))
            .unwrap_or_default();
        println!(
            "  {:<20} {:<22} {}{}{}",
            f.name,
            f.kind.django_name(),
            f.column,
            if f.null { " NULL" } else { "" },
            target
        );
    }
    for mm in &m.m2m {
        println!(
            "  {:<20} ManyToManyField -> {}",
            mm.name,
            session.schema.model(mm.to).name
        );
    }
    for r in &m.reverse {
        println!(
            "  {:<20} reverse of {} (lookups: {})",
            r.accessor,
            session.schema.model(r.from).name,
            r.query_name
        );
    }
    if !m.ordering.is_empty() {
        println!("  ordering: {:?}", m.ordering);
    }
}
