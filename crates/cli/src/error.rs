//! The command's error type and its exit codes.

use miniperm_core::CoreError;
use miniperm_store::StoreError;

/// Success.
pub const EXIT_OK: u8 = 0;
/// `run`: an uncaught error in mini-program code, or a limit.
pub const EXIT_SCRIPT_ERROR: u8 = 1;
/// `explore`: findings under `--strict` / `--deny`, or a cut search under `--strict`.
pub const EXIT_FINDINGS: u8 = 1;
/// Bad input: a malformed flag or argument, an unknown scope, a `--db` file that is not a
/// miniperm database or comes from a newer miniperm. Nothing was written.
pub const EXIT_BAD_INPUT: u8 = 2;
/// The consent store or the output failed (I/O error, full disk, database locked, database
/// server unreachable).
pub const EXIT_IO: u8 = 3;

/// Everything a subcommand can fail with. Printed as one line, `miniperm: <message>`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// A malformed command line (from clap), already reduced to one line.
    #[error("{0}")]
    Usage(String),
    #[error(transparent)]
    Core(#[from] CoreError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(
        "cannot find a data directory for the default consent store: pass `--db PATH` or set `MINIPERM_DB`"
    )]
    NoDataDir,
    #[error("cannot write output: {0}")]
    Output(#[from] std::io::Error),
    #[error("cannot encode json: {0}")]
    Json(#[from] serde_json::Error),
    /// explore could not be carried out (bad input is turned into [`CliError::Usage`] first).
    #[error(transparent)]
    Explore(#[from] miniperm_explore::ExploreError),
}

impl CliError {
    /// The process exit code for this error (the tables are in `help.rs`).
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) | CliError::Core(_) | CliError::NoDataDir => EXIT_BAD_INPUT,
            CliError::Store(e) if e.is_bad_input() => EXIT_BAD_INPUT,
            CliError::Explore(miniperm_explore::ExploreError::BadInput(_)) => EXIT_BAD_INPUT,
            CliError::Store(_) | CliError::Output(_) | CliError::Json(_) | CliError::Explore(_) => {
                EXIT_IO
            }
        }
    }

    /// True when the reader of our output went away (`miniperm … | head`): not worth a message.
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, CliError::Output(e) if e.kind() == std::io::ErrorKind::BrokenPipe)
    }

    /// The message on one line (a source error could carry newlines).
    pub fn one_line(&self) -> String {
        self.to_string()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert_eq!(
            CliError::Core(CoreError::UnknownScope("scope.nope".into())).exit_code(),
            EXIT_BAD_INPUT
        );
        assert_eq!(
            CliError::Store(StoreError::NotSqlite { path: "x".into() }).exit_code(),
            EXIT_BAD_INPUT
        );
        assert_eq!(
            CliError::Output(std::io::Error::other("disk on fire")).exit_code(),
            EXIT_IO
        );
        assert_eq!(CliError::Usage("a\n  b".into()).one_line(), "a b");
        assert_eq!(
            CliError::Explore(miniperm_explore::ExploreError::Store("disk".into())).exit_code(),
            EXIT_IO,
            "a store failure while exploring is exit 3"
        );
        const { assert!(EXIT_SCRIPT_ERROR == 1 && EXIT_FINDINGS == 1 && EXIT_OK == 0) };
    }
}
