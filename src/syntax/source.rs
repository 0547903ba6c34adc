//! Reading a script's text from a file or a pipe, bounded: djq reads at most
//! [`MAX_SCRIPT_BYTES`] of a script, and stops at the first NUL byte, which Python refuses in
//! source ("source code cannot contain null bytes", raised by the lexer when the script's turn
//! comes), so that `-f /dev/zero` or an endless pipe fails at once instead of filling memory.

use crate::diag::{Diagnostic, ErrorKind, Result};
use std::io::Read;

/// The most djq reads of one script (`-f FILE`, piped standard input, `\i FILE`): 16 MiB.
pub const MAX_SCRIPT_BYTES: usize = 16 << 20;

/// The bytes of the script `name`, read from `reader` a chunk at a time: up to and including
/// the first NUL byte, and an error past [`MAX_SCRIPT_BYTES`].
pub fn read_script(name: &str, mut reader: impl Read) -> Result<Vec<u8>> {
    let mut bytes = Vec::new();
    let mut chunk = vec![0u8; 64 << 10];
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) => return Ok(bytes),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err(Diagnostic::new(
                    ErrorKind::Io,
                    format!("cannot read {name}: {e}"),
                ));
            }
        };
        let read = &chunk[..n];
        let nul = read.iter().position(|&b| b == 0);
        let end = nul.map_or(n, |at| at + 1);
        if bytes.len() + end > MAX_SCRIPT_BYTES {
            return Err(Diagnostic::new(
                ErrorKind::Io,
                format!(
                    "cannot read {name}: a script may hold at most {} MiB ({MAX_SCRIPT_BYTES} bytes)",
                    MAX_SCRIPT_BYTES >> 20
                ),
            ));
        }
        bytes.extend_from_slice(&read[..end]);
        if nul.is_some() {
            return Ok(bytes);
        }
    }
}
