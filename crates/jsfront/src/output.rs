//! What both transforms give ([`Output`], [`TransformError`]) and what they share: the parser's
//! options and errors placed in the source (through the line map for generated code). A leaf:
//! `transform` (the crate root) and `wxs` both import it.

use oxc_diagnostics::OxcDiagnostic;
use oxc_parser::ParseOptions;

use crate::linemap::{LineMap, Lines};

/// A transformed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The CommonJS body.
    pub code: String,
    /// Generated → original positions.
    pub map: LineMap,
}

/// A file that cannot be parsed or transformed. Line and column are 1-based, in the source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in `{file}` line {line}, column {column}: {message}")]
pub struct TransformError {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

pub(crate) fn error_at(
    file: &str,
    text: &str,
    offset: u32,
    message: &str,
    map: Option<&LineMap>,
) -> TransformError {
    let (mut line, mut column) = Lines::new(text).position(offset as usize);
    if let Some(m) = map {
        (line, column) = m.original(line, column);
    }
    TransformError {
        file: file.to_string(),
        line,
        column,
        message: lower_first(message),
    }
}

pub(crate) fn diagnostic_error(
    file: &str,
    text: &str,
    d: &OxcDiagnostic,
    map: Option<&LineMap>,
) -> TransformError {
    let offset = d.labels.first().map_or(0, |l| l.offset());
    error_at(file, text, offset, &d.message, map)
}

/// The body runs inside a function, so a top-level `return` is valid (as in Node and devtools).
pub(crate) fn parse_options() -> ParseOptions {
    ParseOptions {
        allow_return_outside_function: true,
        ..ParseOptions::default()
    }
}
