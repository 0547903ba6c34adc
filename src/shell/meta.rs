//! The backslash meta commands, psql style: `\models`, `\d Model`, `\sql`, `\timing`,
//! `\format`, `\x`, `\explain`, `\o FILE`, `\e`, `\i FILE`, `\help`, `\q` — the table of
//! them ([`COMMANDS`]) and what each does. A command's output that is a result (`\models`,
//! `\d`, `\explain`) goes where results go (`\o`); usage errors go to stderr. No command
//! ends the session but `\q`.

use std::io::Write;

use super::describe;
use crate::orm::{Session, SqlEcho};
use crate::render::{Format, Style, escape_controls};

/// One meta command: its name, other names, arguments and what it does (for `\help` and
/// completion).
pub(crate) struct Command {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub args: &'static str,
    pub help: &'static str,
}

/// Every meta command, in the order `\help` lists them.
pub(crate) const COMMANDS: &[Command] = &[
    Command {
        name: "models",
        aliases: &["dt"],
        args: "",
        help: "list models",
    },
    Command {
        name: "d",
        aliases: &[],
        args: "Model",
        help: "describe a model",
    },
    Command {
        name: "sql",
        aliases: &[],
        args: "on|off|params",
        help: "show each query's SQL",
    },
    Command {
        name: "timing",
        aliases: &[],
        args: "[on|off]",
        help: "show how long each statement took",
    },
    Command {
        name: "format",
        aliases: &[],
        args: "FMT",
        help: "table|vertical|csv|json|ndjson",
    },
    Command {
        name: "x",
        aliases: &[],
        args: "",
        help: "toggle the vertical view",
    },
    Command {
        name: "all",
        aliases: &[],
        args: "",
        help: "show every row of the last result shown in part",
    },
    Command {
        name: "explain",
        aliases: &[],
        args: "[EXPR]",
        help: "the plan of the last query, or of EXPR's",
    },
    Command {
        name: "o",
        aliases: &["out"],
        args: "[FILE]",
        help: "send results to FILE (none: back to the terminal)",
    },
    Command {
        name: "e",
        aliases: &["edit"],
        args: "[FILE]",
        help: "edit the last input (or FILE) in $EDITOR, then run it",
    },
    Command {
        name: "i",
        aliases: &["include"],
        args: "FILE",
        help: "run a script file",
    },
    Command {
        name: "warnings",
        aliases: &[],
        args: "",
        help: "what djq could not read in the models files",
    },
    Command {
        name: "help",
        aliases: &["?"],
        args: "",
        help: "this list",
    },
    Command {
        name: "q",
        aliases: &["quit"],
        args: "",
        help: "quit",
    },
];

/// What the shell keeps for the meta commands between inputs.
pub(super) struct Shell {
    /// The last input run as typed (or edited), for `\e`.
    pub last_input: Option<String>,
    /// The file `\o` sends results to.
    output: Option<String>,
    /// Whether the terminal shows colors.
    color: bool,
    /// Whether results for the terminal go through a pager (then they are not fitted to
    /// its width: the pager scrolls sideways).
    paged: bool,
    /// The history file, for `\help` (`None`: no history is kept).
    pub history: Option<std::path::PathBuf>,
    /// What djq could not read in the models files, for `\warnings`.
    pub notes: Vec<String>,
}

impl Shell {
    pub fn new(color: bool, paged: bool) -> Shell {
        Shell {
            last_input: None,
            output: None,
            color,
            paged,
            history: None,
            notes: Vec::new(),
        }
    }

    /// How results are written now: for the terminal (fitted to its width, which may have
    /// changed, unless paged), or plain for `\o`'s file.
    pub fn result_style(&self) -> Style {
        match self.output {
            Some(_) => Style::plain(),
            None if self.paged => Style {
                color: self.color,
                width: None,
            },
            None => Style::stdout(self.color),
        }
    }

    /// How errors are shown on stderr.
    pub fn error_style(&self) -> Style {
        Style {
            color: self.color,
            width: None,
        }
    }
}

/// Code to run as the shell runs input, with errors shown against `name`.
pub(super) struct Input {
    pub name: String,
    pub text: String,
    /// Run as a script file (expression values not shown), not as typed input.
    pub script: bool,
}

impl Input {
    /// A line (or lines) typed at the prompt. Input typed after a space (to keep it out of
    /// the history) runs without the indentation all its lines share, as if typed at the
    /// margin.
    pub fn typed(text: String) -> Input {
        let indent = |line: &str| line.len() - line.trim_start_matches([' ', '\t']).len();
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let first = lines.next().map_or("", |l| &l[..indent(l)]);
        let common = lines.fold(first, |common, line| {
            let same = common
                .bytes()
                .zip(line.bytes())
                .take_while(|(a, b)| a == b)
                .count();
            &common[..same]
        });
        let text = match common.len() {
            0 => text,
            n => text
                .lines()
                .map(|l| l.get(n..).unwrap_or(""))
                .collect::<Vec<_>>()
                .join("\n"),
        };
        Input {
            name: "<input>".into(),
            text,
            script: false,
        }
    }
}

/// What the shell does after a meta command.
pub(super) enum Flow {
    Continue,
    Quit,
    /// Run this as if it had been typed (`\e`) or as a script (`\i`).
    Run(Input),
}

/// Run the backslash command `cmd` (without its backslash).
pub(super) fn run(session: &mut Session, shell: &mut Shell, cmd: &str) -> Flow {
    let cmd = cmd.trim();
    let (name, rest) = cmd
        .split_once(char::is_whitespace)
        .map_or((cmd, ""), |(n, r)| (n, r.trim()));
    let arg = (!rest.is_empty()).then_some(rest);
    session.host.opts.style = shell.result_style();
    match name {
        "q" | "quit" => return Flow::Quit,
        "models" | "dt" => {
            let mut text = String::new();
            for (_, m) in session.host.schema.user_models() {
                text += &format!("{:<24} {}\n", m.name, m.table);
            }
            write_result(session, &escape_controls(&text));
        }
        "d" => match arg.map(|a| describe::find(&session.host.schema, a)) {
            Some(Ok(id)) => {
                let text = describe::describe(&session.host.schema, id, session.host.opts.style);
                write_result(session, &text);
            }
            Some(Err(message)) => eprintln!("{message}"),
            None => eprintln!("usage: \\d Model (see \\models)"),
        },
        "sql" => match arg {
            Some("on") => session.host.opts.show_sql = SqlEcho::Inline,
            Some("params") => session.host.opts.show_sql = SqlEcho::Params,
            Some("off") => session.host.opts.show_sql = SqlEcho::Off,
            _ => eprintln!("usage: \\sql on|off|params"),
        },
        "timing" => match arg {
            None => session.host.opts.timing = !session.host.opts.timing,
            Some("on") => session.host.opts.timing = true,
            Some("off") => session.host.opts.timing = false,
            _ => eprintln!("usage: \\timing [on|off]"),
        },
        "format" => match arg.map(str::parse::<Format>) {
            Some(Ok(f)) => session.host.opts.format = f,
            _ => eprintln!("usage: \\format table|vertical|csv|json|ndjson"),
        },
        "x" => {
            session.host.opts.format = if session.host.opts.format == Format::Vertical {
                Format::Table
            } else {
                Format::Vertical
            }
        }
        "all" => {
            if let Err(d) = session.show_all() {
                let style = session.host.opts.style;
                eprintln!("{}", crate::render::diagnostic(&d, None, style));
            }
        }
        "explain" => match session.explain(arg) {
            Ok(plan) => write_result(session, &escape_controls(&format!("{plan}\n"))),
            Err(d) => eprintln!(
                "{}",
                crate::render::diagnostic(&d, arg.map(|a| ("\\explain", a)), shell.error_style())
            ),
        },
        "o" | "out" => redirect(session, shell, arg),
        "e" | "edit" => return edit(shell, arg),
        "i" | "include" => match arg {
            Some(path) => match include(path) {
                Ok(text) => {
                    return Flow::Run(Input {
                        name: path.into(),
                        text,
                        script: true,
                    });
                }
                Err(message) => eprintln!("\\i: {message}"),
            },
            None => eprintln!("usage: \\i FILE"),
        },
        "warnings" if shell.notes.is_empty() => println!("djq read the models files whole"),
        "warnings" => {
            for note in &shell.notes {
                println!("warning: {note}");
            }
        }
        "help" | "?" => help(shell),
        other => {
            let names = COMMANDS
                .iter()
                .flat_map(|c| std::iter::once(&c.name).chain(c.aliases));
            match crate::diag::suggest(other, names.copied()) {
                Some(near) => {
                    eprintln!("unknown command \\{other} (try \\help); did you mean \\{near}?")
                }
                None => eprintln!("unknown command \\{other} (try \\help)"),
            }
        }
    }
    Flow::Continue
}

/// Write a command's result where results go.
fn write_result(session: &mut Session, text: &str) {
    let out = session.out();
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        eprintln!("cannot write the result: {e}");
    }
}

/// `\o FILE`: results to FILE from now on, without colors (refused with `--read-only`, as a
/// write); `\o`: back to the terminal.
fn redirect(session: &mut Session, shell: &mut Shell, path: Option<&str>) {
    if path.is_some()
        && let Err(d) = session.refuse_if_read_only()
    {
        return eprintln!(
            "{}",
            crate::render::diagnostic(&d, None, shell.error_style())
        );
    }
    let out: Box<dyn Write> = match path {
        Some(path) => match std::fs::File::create(path) {
            Ok(file) => Box::new(std::io::BufWriter::new(file)),
            Err(e) => return eprintln!("\\o: cannot write {path}: {e}"),
        },
        None => Box::new(super::pager::Pager::new()),
    };
    if let Err(d) = session.set_out(out) {
        eprintln!("\\o: {}", d.message);
    }
    shell.output = path.map(str::to_string);
    session.host.opts.style = shell.result_style();
}

/// `\e [FILE]`: edit the last input (or FILE) in `$EDITOR` (else `$VISUAL`, else `vi`),
/// then show the text and run it as if typed.
fn edit(shell: &Shell, file: Option<&str>) -> Flow {
    let edited = match file {
        Some(path) => {
            run_editor(std::path::Path::new(path)).and_then(|()| read(std::path::Path::new(path)))
        }
        None => edit_in_temp_file(shell.last_input.as_deref().unwrap_or("")),
    };
    let text = match edited {
        Ok(text) => text,
        Err(message) => {
            eprintln!("\\e: {message}");
            return Flow::Continue;
        }
    };
    let text = text.trim_end().to_string();
    if text.trim().is_empty() {
        return Flow::Continue;
    }
    println!("{text}");
    Flow::Run(Input {
        name: file.unwrap_or("<input>").into(),
        text,
        script: false,
    })
}

/// Edit `text` in a new temporary file, private to the user (0600) and created anew (no
/// symbolic link followed), as psql does; the text as the editor left it. The file is removed
/// afterwards.
fn edit_in_temp_file(text: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("djq-edit-")
        .suffix(".py")
        .tempfile()
        .map_err(|e| {
            let dir = std::env::temp_dir();
            format!("cannot create a temporary file in {}: {e}", dir.display())
        })?;
    file.write_all(format!("{text}\n").as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write {}: {e}", file.path().display()))?;
    run_editor(file.path())?;
    read(file.path())
}

/// Run the user's editor on `path` through the shell (so `EDITOR="code -w"` works).
fn run_editor(path: &std::path::Path) -> Result<(), String> {
    let editor = ["EDITOR", "VISUAL"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|v| !v.is_empty())
        .map_or_else(|| "vi".to_string(), |v| v.to_string_lossy().into_owned());
    let status = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(path)
        .status()
        .map_err(|e| format!("cannot run {editor}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{editor} failed ({status}); nothing was run"))
    }
}

/// The text of a script run by `\\i`, read as `-f` reads one (bounded, UTF-8).
fn include(path: &str) -> Result<String, String> {
    let file = std::fs::File::open(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let bytes = crate::syntax::source::read_script(path, file).map_err(|d| d.message)?;
    String::from_utf8(bytes).map_err(|e| format!("cannot read {path}: {e}"))
}

fn read(path: &std::path::Path) -> Result<String, String> {
    std::fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}

fn help(shell: &Shell) {
    println!(
        "Type Django ORM expressions, e.g. Book.objects.filter(pages__gt=400).order_by('-pages')[:5]"
    );
    for c in COMMANDS {
        let mut names = format!("\\{}", c.name);
        for a in c.aliases {
            names += &format!(" (\\{a})");
        }
        println!("  {:<28} {}", format!("{names} {}", c.args), c.help);
    }
    match &shell.history {
        Some(path) => println!(
            "History: {} (a line starting with a space is not kept; DJQ_HISTFILE names another \
             file, DJQ_HISTFILE= keeps none)",
            path.display()
        ),
        None => println!("History: none is kept (DJQ_HISTFILE)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn input_typed_after_a_space_runs_at_the_margin() {
        let typed = |text: &str| Input::typed(text.to_string()).text;
        assert_eq!(typed("  print(1)"), "print(1)");
        assert_eq!(
            typed(" for b in x:\n     print(b)\n"),
            "for b in x:\n    print(b)"
        );
        // Indentation the lines do not share is left for the parser to judge.
        assert_eq!(typed("\tx = 1\n  y = 2"), "\tx = 1\n  y = 2");
        assert_eq!(typed("print(1)"), "print(1)");
    }
}
