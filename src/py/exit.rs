//! `exit()` and `quit()`: Python's SystemExit, which ends a script (with its status) or the
//! shell quietly; `except Exception` does not catch it, a bare `except:` does.

use super::args::Args;
use super::{Host, Interp};
use crate::diag::{Diagnostic, ErrorKind, Result};
use crate::value::Value;

/// The class name of the exception `exit()` raises.
pub const SYSTEM_EXIT: &str = "SystemExit";

/// The SystemExit of `exit(code)`: its message is the code as `str()` shows it (empty for
/// `exit()` and `exit(None)`).
pub fn system_exit<H: Host>(cx: &mut Interp<H>, args: &Args) -> Result<Diagnostic> {
    args.no_kwargs_except(&["code"], "exit")?;
    let code = args.pos.first().map(|(o, _)| o).or(args.kwarg("code"));
    let message = match code {
        None | Some(super::Obj::Value(Value::Null)) => String::new(),
        Some(o) => cx.py_str(o)?,
    };
    Ok(Diagnostic::new(ErrorKind::Python(SYSTEM_EXIT.into()), message).at(args.span))
}

/// How a SystemExit ends the program: its exit status, and the message Python prints to
/// stderr for a code that is not an integer (`exit("bye")`); `None` when `d` is not one.
pub fn exit_status(d: &Diagnostic) -> Option<(u8, Option<String>)> {
    if d.kind != ErrorKind::Python(SYSTEM_EXIT.into()) {
        return None;
    }
    Some(match d.message.as_str() {
        "" => (0, None),
        m => match m.parse::<i64>() {
            Ok(i) => ((i & 0xff) as u8, None),
            Err(_) => (1, Some(m.to_string())),
        },
    })
}
