//! A project's sources as loaded: each file compiled once ([`Source`]), or the syntax error that
//! stops it ([`FileProblem`]). A leaf: `project` (the loader) and `components` (WXML and WXS)
//! both produce them; the host reads them.

pub(crate) enum Source {
    /// The wrapper expression `(function (require, module, exports, __filename, __dirname) {...})`.
    Js(String),
    Json(String),
    /// A source that does not compile: loading it throws a `SyntaxError` naming the place, so
    /// only the pages and components that need it fail (WeChat's compiler reports the file; the
    /// rest of the app still runs).
    Broken(FileProblem),
}

/// A file of the project that cannot be used as written: a syntax error in a `.js`/`.ts`,
/// `.wxml` or `.wxs` file, with its 1-based place. It is reported for the pages that need the
/// file, when they are opened; the project itself still loads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("syntax error in `{file}` line {line}, column {column}: {message}")]
pub struct FileProblem {
    pub file: String,
    pub line: u32,
    pub column: u32,
    pub message: String,
}
