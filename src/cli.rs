//! The command line: arguments (the contract in SPEC.md), opening the database and schema,
//! and dispatching to `-c`, `-f`, piped stdin or the REPL. `main.rs` only calls [`main`].

use crate::diag::{Diagnostic, ErrorKind, Result, Span};
use crate::orm::{Options, Session, SqlEcho};
use crate::render::{self, Format, Style};
use crate::schema;
use crate::sql::Dialect;
use crate::syntax::source::read_script;
use clap::parser::ValueSource;
use clap::{CommandFactory, FromArgMatches, Parser, ValueEnum};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// The demo library database (Django's migrations' DDL plus data), embedded.
const DEMO_SQL: &str = include_str!("../fixtures/demo/library.sql");
/// The demo app's models.py, embedded.
const DEMO_MODELS: &str = include_str!("../fixtures/demo/books/models.py");

#[derive(Debug, Parser)]
#[command(
    name = "djq",
    version,
    about = "A native shell for Django's ORM: type querysets, see rows and the SQL Django would run"
)]
pub struct Args {
    /// SQLite file, sqlite:///abs/path, sqlite::memory:, or postgres://... (default: in a Django project its DATABASES, else $DATABASE_URL, else the demo)
    // The variable's value may hold a password: `--help` names it, never shows it.
    #[arg(env = "DATABASE_URL", hide_env_values = true)]
    pub database: Option<String>,
    /// A models.py file, an app folder or a Django project root (repeatable)
    #[arg(long = "models", value_name = "PATH")]
    pub models: Vec<PathBuf>,
    /// The project's settings module (default: $DJANGO_SETTINGS_MODULE, else the one manage.py names)
    #[arg(long, value_name = "MODULE")]
    pub settings: Option<String>,
    /// The Django project folder, with manage.py (default: the working folder or one above it)
    #[arg(long, value_name = "DIR")]
    pub project: Option<PathBuf>,
    /// Ignore any Django project: open DATABASE, $DATABASE_URL or the demo library
    #[arg(long, conflicts_with_all = ["settings", "project", "database_alias"])]
    pub no_project: bool,
    /// The DATABASES alias to open in a project
    #[arg(long = "database", value_name = "ALIAS")]
    pub database_alias: Option<String>,
    /// Run CODE and exit (repeatable; run in order in one session)
    #[arg(short = 'c', value_name = "CODE")]
    pub code: Vec<String>,
    /// Install a Django JSON fixture first, as `manage.py loaddata` does (repeatable; all in one transaction)
    #[arg(long = "loaddata", value_name = "FIXTURE")]
    pub loaddata: Vec<String>,
    /// Run a script file (`-` for stdin)
    #[arg(short = 'f', value_name = "FILE")]
    pub file: Option<String>,
    /// Output format
    #[arg(long, value_enum)]
    pub format: Option<FormatArg>,
    /// Print the SQL each statement would run; execute nothing
    #[arg(long)]
    pub sql_only: bool,
    /// With --sql-only and no database: which backend's SQL to show
    #[arg(long, value_enum)]
    pub dialect: Option<DialectArg>,
    /// Refuse every write
    #[arg(long)]
    pub read_only: bool,
    /// Run everything, then roll every change back
    #[arg(long)]
    pub rollback: bool,
    /// Run scripts in autocommit, each statement on its own (default: one transaction)
    #[arg(long)]
    pub no_atomic: bool,
    /// Cancel any statement running longer than DURATION (500ms, 30s, 5min, 1h; 0: no limit)
    #[arg(long, value_name = "DURATION", value_parser = parse_duration)]
    pub statement_timeout: Option<Duration>,
    /// No colors
    #[arg(long)]
    pub no_color: bool,
    /// List at start what djq could not read in the models files (the REPL's \warnings)
    #[arg(long)]
    pub verbose: bool,
}

/// A duration as `--statement-timeout` takes it: a whole number and one of PostgreSQL's
/// units (`ms`, `s`, `min`, `h`), at most what PostgreSQL's `statement_timeout` holds
/// (2147483647 ms, about 24 days); `0` means no limit.
fn parse_duration(text: &str) -> std::result::Result<Duration, String> {
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let (number, unit) = text.split_at(digits);
    let usage = || "expected a whole number and a unit: 500ms, 30s, 5min, 1h (0: no limit)";
    if number.is_empty() {
        return Err(usage().into());
    }
    let per_unit_ms: u64 = match unit {
        "ms" => 1,
        "s" => 1000,
        "min" => 60_000,
        "h" => 3_600_000,
        "" if number.bytes().all(|b| b == b'0') => 1,
        _ => return Err(usage().into()),
    };
    let ms = number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(per_unit_ms))
        .filter(|ms| *ms <= i32::MAX as u64)
        .ok_or("out of range: at most 2147483647ms (about 24 days)")?;
    Ok(Duration::from_millis(ms))
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum FormatArg {
    Table,
    Vertical,
    Csv,
    Json,
    Ndjson,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum DialectArg {
    Sqlite,
    Postgres,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Vertical => Format::Vertical,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
            FormatArg::Ndjson => Format::Ndjson,
        }
    }
}

/// Where the input being run came from (for error carets).
struct Input {
    name: String,
    text: String,
    /// A file or stdin that is not UTF-8: the SyntaxError it raises when its turn comes
    /// (`text` is then decoded lossily, for the caret).
    undecodable: Option<Diagnostic>,
}

impl Input {
    fn new(name: &str, text: String) -> Input {
        Input {
            name: name.into(),
            text,
            undecodable: None,
        }
    }

    /// Source read as bytes: a SyntaxError at the first byte that is not UTF-8, as Python
    /// refuses such a script.
    fn from_bytes(name: &str, bytes: Vec<u8>) -> Input {
        match String::from_utf8(bytes) {
            Ok(text) => Input::new(name, text),
            Err(e) => {
                let at = e.utf8_error().valid_up_to();
                let byte = e.as_bytes()[at];
                let text = String::from_utf8_lossy(e.as_bytes()).into_owned();
                Input {
                    name: name.into(),
                    text,
                    undecodable: Some(Diagnostic::syntax(
                        format!("source is not valid UTF-8: cannot decode byte 0x{byte:02x}"),
                        Span::new(at, at + 1),
                    )),
                }
            }
        }
    }
}

pub fn main() -> ExitCode {
    crate::alloc::configure();
    let matches = Args::command().get_matches();
    let mut args = Args::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    // An empty DATABASE_URL (or argument) names no database, as unset.
    args.database = args.database.filter(|d| !d.is_empty());
    let from_env = matches.value_source("database") == Some(ValueSource::EnvVariable);
    let project = match project_root(&args, from_env) {
        Ok(p) => p,
        Err(message) => Args::command()
            .error(clap::error::ErrorKind::ArgumentConflict, message)
            .exit(),
    };
    // In a project its settings decide the database (they may read DATABASE_URL themselves).
    if project.is_some() && from_env {
        args.database = None;
    }
    // Colors only on a terminal, unless --no-color or NO_COLOR (set and not empty).
    let colors_wanted = !args.no_color && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    let color = colors_wanted && std::io::stdout().is_terminal();
    let err_style = Style {
        color: colors_wanted && std::io::stderr().is_terminal(),
        width: None,
    };
    let report = |d: &Diagnostic, input: Option<&Input>| {
        let src = input.map(|i| (i.name.as_str(), i.text.as_str()));
        eprintln!("{}", render::diagnostic::diagnostic(d, src, err_style));
    };
    let (mut session, notes, heading) = match open(&args, project.as_deref(), color) {
        Ok(s) => s,
        Err(d) => {
            report(&d, None);
            return ExitCode::from(1);
        }
    };
    if args.sql_only && !args.loaddata.is_empty() {
        report(
            &Diagnostic::new(
                ErrorKind::Io,
                "--loaddata runs writes: it cannot be combined with --sql-only",
            ),
            None,
        );
        return ExitCode::from(2);
    }
    let inputs = match inputs(&args) {
        Ok(i) => i,
        Err(d) => {
            report(&d, None);
            return ExitCode::from(2);
        }
    };
    // With fixtures to load, no code means no REPL either (like `manage.py loaddata`).
    let inputs = match inputs {
        None if !args.loaddata.is_empty() => Some(Vec::new()),
        other => other,
    };
    let Some(inputs) = inputs else {
        let repl = |s: &mut Session| crate::shell::run(s, color, notes, heading);
        let result = if args.rollback {
            session.rolled_back(repl)
        } else {
            repl(&mut session)
        };
        return match result {
            Ok(()) => ExitCode::SUCCESS,
            Err(d) => {
                report(&d, None);
                ExitCode::from(1)
            }
        };
    };
    let ctrl_c = match crate::shell::ctrl_c::CtrlC::new(session.canceller()) {
        Ok(c) => c,
        Err(d) => {
            report(&d, None);
            return ExitCode::from(1);
        }
    };
    // The input an error came from, for its caret.
    let mut failed = None;
    // The status and message of an `exit()`.
    let mut exited: Option<(u8, Option<String>)> = None;
    let mut run_all = |s: &mut Session| -> Result<()> {
        if !args.loaddata.is_empty() {
            let summary = s.loaddata(&args.loaddata)?;
            // Machine-readable stdout holds only the documents.
            if matches!(args.format, Some(FormatArg::Json | FormatArg::Ndjson)) {
                eprintln!("{summary}");
            } else {
                writeln!(std::io::stdout(), "{summary}").map_err(render::io_error)?;
            }
        }
        for input in &inputs {
            // A file runs as Python runs scripts (expression values are not shown).
            let result = ctrl_c.run(|| {
                if let Some(d) = &input.undecodable {
                    Err(d.clone())
                } else if input.name == "-c" {
                    s.run(&input.text)
                } else {
                    s.run_script(&input.text)
                }
            });
            // `exit()` ends the run there, keeping what it did, as Python's does.
            if let Err(d) = &result
                && let Some(status) = crate::py::exit::exit_status(d)
            {
                exited = Some(status);
                return Ok(());
            }
            result.inspect_err(|_| failed = Some(input))?;
        }
        Ok(())
    };
    let result = if args.rollback {
        session.rolled_back(run_all)
    } else if args.no_atomic {
        run_all(&mut session)
    } else {
        session.atomic(run_all)
    };
    match result {
        Ok(()) => match exited {
            Some((status, message)) => {
                if let Some(m) = message {
                    eprintln!("{m}");
                }
                ExitCode::from(status)
            }
            None => ExitCode::SUCCESS,
        },
        // The reader of the output has gone (`djq ... | head`): the run ends there, quietly,
        // as psql's does (an atomic run's changes are rolled back, as when it is cut off).
        Err(d) if render::is_broken_pipe(&d) => ExitCode::SUCCESS,
        Err(d) => {
            report(&d, failed);
            ExitCode::from(1)
        }
    }
}

/// The code to run: `-c` arguments, a `-f` file, or piped stdin (files and stdin read as
/// [`read_script`] bounds them); `None` for the REPL.
fn inputs(args: &Args) -> Result<Option<Vec<Input>>> {
    let mut out: Vec<Input> = args
        .code
        .iter()
        .map(|c| Input::new("-c", c.clone()))
        .collect();
    let read_stdin = || -> Result<Input> {
        Ok(Input::from_bytes(
            "<stdin>",
            read_script("standard input", std::io::stdin().lock())?,
        ))
    };
    match args.file.as_deref() {
        Some("-") => out.push(read_stdin()?),
        Some(path) => {
            let file = std::fs::File::open(path)
                .map_err(|e| Diagnostic::new(ErrorKind::Io, format!("cannot read {path}: {e}")))?;
            out.push(Input::from_bytes(path, read_script(path, file)?));
        }
        None if out.is_empty() && !std::io::stdin().is_terminal() => out.push(read_stdin()?),
        None => {}
    }
    Ok((!out.is_empty()).then_some(out))
}

/// The Django project djq opens (`--project`, else the working folder or one above it with
/// `manage.py`; with `--settings` alone, the working folder); `None`: not in a project, or
/// `--no-project`, or a DATABASE argument or `--models` given (they open what they name, as
/// outside a project). `Err`: the project flags and a DATABASE argument or `--models` together.
fn project_root(
    args: &Args,
    database_from_env: bool,
) -> std::result::Result<Option<PathBuf>, String> {
    let explicit =
        args.project.is_some() || args.settings.is_some() || args.database_alias.is_some();
    let database_given = args.database.is_some() && !database_from_env;
    if args.no_project {
        return Ok(None);
    }
    if database_given || !args.models.is_empty() {
        return match explicit {
            true => Err(
                "--settings, --project and --database read a project's settings: they \
                     cannot be combined with a DATABASE argument or --models"
                    .into(),
            ),
            false => Ok(None),
        };
    }
    let request = request(args);
    let cwd = std::env::current_dir().unwrap_or_default();
    Ok(crate::project::find(&request, &cwd).or_else(|| args.settings.as_ref().map(|_| cwd)))
}

/// What the project flags ask for.
fn request(args: &Args) -> crate::project::Request {
    crate::project::Request {
        project: args.project.clone(),
        settings: args.settings.clone(),
        alias: args.database_alias.clone(),
    }
}

/// The session's output options.
fn options(args: &Args, color: bool) -> Options {
    Options {
        style: Style::stdout(color),
        show_sql: if std::io::stdout().is_terminal() {
            SqlEcho::Inline
        } else {
            SqlEcho::Off
        },
        sql_only: args.sql_only,
        ..Options::plain(args.format.map_or(Format::Table, Format::from))
    }
}

/// Open the project at `root` ([`crate::project::open`]): the session, the start-up notes
/// and the banner's project line.
fn open_project(
    args: &Args,
    root: &std::path::Path,
    color: bool,
) -> Result<(Session, Vec<String>, Option<String>)> {
    let opened = crate::project::open(root, &request(args), args.read_only)?;
    for warning in &opened.warnings {
        eprintln!("warning: {warning}");
    }
    if args.verbose {
        for note in &opened.notes {
            eprintln!("warning: {note}");
        }
    }
    let mut notes = opened.warnings;
    notes.extend(opened.notes);
    let mut backend = opened.backend;
    if let Some(timeout) = args.statement_timeout {
        backend.set_statement_timeout(timeout)?;
    }
    let heading = opened.project.banner(opened.models);
    let mut session = session_on(args, opened.schema, backend, color);
    let settings = &opened.project.settings;
    let tz = crate::tz::TzConfig::new(&settings.time_zone, settings.use_tz)
        .map_err(|e| Diagnostic::new(ErrorKind::Value, e))?;
    session.set_time_zone(tz)?;
    session.host.alias = opened.project.alias;
    session.host.settings = opened.project.settings.values;
    Ok((session, notes, Some(heading)))
}

/// Open the database (or none, for `--sql-only --models`), build the schema, make a session;
/// and what djq could not read in the models files (warnings, then each model's notes); in a
/// project, see [`open_project`].
fn open(
    args: &Args,
    project: Option<&std::path::Path>,
    color: bool,
) -> Result<(Session, Vec<String>, Option<String>)> {
    if let Some(root) = project {
        return open_project(args, root, color);
    }
    let schema::models_py::Models { decls, warnings } = schema::models_py::read(&args.models)?;
    // A model djq cannot read is left out, and said so once, at start-up; what it could not
    // read of a model it keeps, with --verbose (the REPL counts them in its banner).
    for warning in &warnings {
        eprintln!("warning: {warning}");
    }
    let printed = warnings.len();
    let mut notes = warnings;
    let mut seen = std::collections::HashSet::new();
    for note in decls.iter().flat_map(|d| &d.notes) {
        if seen.insert(note) {
            notes.push(note.clone());
        }
    }
    // Notes of the schema's merging, once it is made.
    let report = |mut notes: Vec<String>, merged: Vec<String>| {
        notes.extend(merged);
        if args.verbose {
            for note in &notes[printed..] {
                eprintln!("warning: {note}");
            }
        }
        notes
    };
    if args.database.is_none() && args.sql_only && !args.models.is_empty() {
        let mut schema = schema::Schema::default();
        let merged = schema::models_py::overlay(&mut schema, decls)?;
        let notes = report(notes, merged);
        let dialect = match args.dialect {
            Some(DialectArg::Postgres) => Dialect::Postgres,
            _ => Dialect::Sqlite,
        };
        let out: Box<dyn std::io::Write> = Box::new(std::io::BufWriter::new(std::io::stdout()));
        let session = Session::new(schema, None, dialect, options(args, color), out);
        return Ok((session, notes, None));
    }
    let (mut backend, demo) = match &args.database {
        Some(url) => (crate::backend::connect(url, args.read_only)?, false),
        None => (
            crate::backend::open_sqlite_script_as(
                DEMO_SQL,
                "demo library (in memory: changes are not saved)",
            )?,
            true,
        ),
    };
    if let Some(timeout) = args.statement_timeout {
        backend.set_statement_timeout(timeout)?;
    }
    let mut schema = schema::introspect::database(backend.as_mut())?;
    if demo {
        let demo_decls = schema::models_py::load_source("books", "books/models.py", DEMO_MODELS)?;
        schema::models_py::overlay(&mut schema, demo_decls)?;
    }
    let merged = if decls.is_empty() {
        Vec::new()
    } else {
        schema::models_py::overlay(&mut schema, decls)?
    };
    let notes = report(notes, merged);
    Ok((session_on(args, schema, backend, color), notes, None))
}

/// A session on `backend` with the command line's output options and `--read-only`.
fn session_on(
    args: &Args,
    schema: schema::Schema,
    backend: Box<dyn crate::backend::Backend>,
    color: bool,
) -> Session {
    let dialect = backend.dialect();
    let out: Box<dyn std::io::Write> = Box::new(std::io::BufWriter::new(std::io::stdout()));
    let mut session = Session::new(schema, Some(backend), dialect, options(args, color), out);
    session.host.read_only = args.read_only;
    session
}
