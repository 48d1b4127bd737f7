//! Standard output and error for the commands. A reader that goes away (`blotter run … |
//! head -3`) ends the output, not the command: the journal it writes is its work, and
//! `println!`/`eprintln!` would panic on the closed pipe (Rust ignores SIGPIPE; restoring
//! its default would let a control client that hangs up kill a running engine). Other
//! errors writing standard output are reported; an error message that cannot be written is
//! dropped (the exit code still says it).

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Set once standard output's reader has gone: later output is dropped.
static GONE: AtomicBool = AtomicBool::new(false);

/// Writes `bytes` to standard output, unless its reader has gone.
pub fn write(bytes: &[u8]) -> anyhow::Result<()> {
    if GONE.load(Ordering::Relaxed) {
        return Ok(());
    }
    let mut stdout = io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => {
            GONE.store(true, Ordering::Relaxed);
            Ok(())
        }
        Err(error) => Err(anyhow::Error::new(error).context("cannot write to standard output")),
    }
}

/// Writes `bytes` to standard error. Where that fails (its reader gone too, `2>&1 | head`)
/// there is nowhere left to say so: the exit code still tells.
pub fn write_error(bytes: &[u8]) {
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(bytes).and_then(|()| stderr.flush());
}

/// `println!` through [`write`]: `outln!("…", …)?`.
macro_rules! outln {
    () => {
        $crate::cli::out::write(b"\n")
    };
    ($($arg:tt)*) => {
        $crate::cli::out::write(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}
pub(crate) use outln;

/// `eprintln!` through [`write_error`]: `errln!("…", …)`.
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::cli::out::write_error(format!("{}\n", format_args!($($arg)*)).as_bytes())
    };
}
pub(crate) use errln;
