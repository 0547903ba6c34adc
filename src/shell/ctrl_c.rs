//! Ctrl-C while a statement runs: SIGINT calls the session's [`Canceller`], so the running
//! query stops with "query cancelled" and the session stays usable. The REPL and `-c`/`-f`
//! runs both use it.
//!
//! The SIGINT handler (signal-hook) is installed once per process, by the first [`CtrlC`]
//! that has a canceller, and a thread of its own calls the canceller: sending a cancel
//! request is not something a signal handler may do (PostgreSQL's opens a connection).
//! SIGINT cancels only while [`CtrlC::run`] runs a statement, and is ignored otherwise: at
//! the REPL's prompt the terminal is in raw mode, where rustyline reads Ctrl-C as a key (and
//! puts its own SIGINT handler in place until the line is read). Another Ctrl-C while a
//! cancel is under way sends another request; it never ends the process.

use std::io::IsTerminal;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, PoisonError};

use signal_hook::consts::SIGINT;
use signal_hook::iterator::Signals;

use crate::backend::Canceller;
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::render::{self, Style};

/// The canceller of the statement running now, if one is.
static RUNNING: Mutex<Option<Arc<Canceller>>> = Mutex::new(None);

/// Whether the handler and its thread are in place (or why not).
static INSTALLED: OnceLock<std::result::Result<(), String>> = OnceLock::new();

/// Ctrl-C for one session.
pub struct CtrlC {
    canceller: Option<Arc<Canceller>>,
}

impl CtrlC {
    /// Ctrl-C cancelling through `canceller` (see [`crate::orm::Session::canceller`]).
    /// With `None`, SIGINT is left as it is: it ends the process.
    pub fn new(canceller: Option<Canceller>) -> Result<CtrlC> {
        if canceller.is_some() {
            install()?;
        }
        Ok(CtrlC {
            canceller: canceller.map(Arc::new),
        })
    }

    /// Runs `statement` with Ctrl-C cancelling its queries.
    pub fn run<T>(&self, statement: impl FnOnce() -> T) -> T {
        let Some(canceller) = &self.canceller else {
            return statement();
        };
        *running() = Some(canceller.clone());
        let _disarm = Disarm;
        statement()
    }
}

/// Stops Ctrl-C cancelling when the statement ends, however it ends.
struct Disarm;

impl Drop for Disarm {
    fn drop(&mut self) {
        *running() = None;
    }
}

fn running() -> MutexGuard<'static, Option<Arc<Canceller>>> {
    RUNNING.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Installs the SIGINT handler and the thread that answers it, once per process.
fn install() -> Result<()> {
    INSTALLED
        .get_or_init(|| {
            let mut signals = Signals::new([SIGINT]).map_err(|e| e.to_string())?;
            std::thread::Builder::new()
                .name("ctrl-c".into())
                .spawn(move || {
                    for _ in signals.forever() {
                        // Not called under the lock: a statement ending meanwhile must not wait.
                        let canceller = running().clone();
                        let Some(cancel) = canceller else { continue };
                        // Loops that run no query stop at their next iteration.
                        crate::orm::interrupt();
                        // The terminal has echoed ^C where the cursor was: the error the
                        // statement ends with starts on a line of its own.
                        if std::io::stderr().is_terminal() {
                            eprintln!();
                        }
                        if let Err(d) = cancel() {
                            eprintln!(
                                "{}",
                                render::diagnostic::diagnostic(&d, None, Style::plain())
                            );
                        }
                    }
                })
                .map(drop)
                .map_err(|e| e.to_string())
        })
        .clone()
        .map_err(|why| Diagnostic::new(ErrorKind::Io, format!("cannot handle Ctrl-C: {why}")))
}
