//! What can go wrong while generating the table.

use std::path::PathBuf;

/// Everything went wrong that can.
#[derive(Debug, thiserror::Error)]
pub enum ApigenError {
    #[error("cannot read `{path}`: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot parse `{file}`: {message}")]
    Parse { file: String, message: String },
    #[error("interface `{0}` not found in the typings")]
    MissingInterface(&'static str),
    #[error("no `version` in the typings' package.json")]
    MissingVersion,
    #[error("overlay line {line}: {message}")]
    Overlay { line: usize, message: String },
    #[error("overlay names `{0}`, which the typings do not have")]
    UnknownApi(String),
}
