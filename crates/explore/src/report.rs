//! The report of an exploration ([`Report`]: its [`Finding`]s, [`Outcome`] counts and tree) and
//! how it spells a starting state and a replay command ([`state_label`], [`shell_quote`]). A
//! leaf: the search (the crate root), the fold that builds the report and the formats import it.

use miniperm_core::{Subject, Value};
use serde::Serialize;

use crate::findings::Location;
use crate::tree::{self, Branch};

/// A defect with the path that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: String,
    pub message: String,
    pub rule: String,
    /// The answers of the witness path, as `--answers` takes them.
    pub answers: Vec<String>,
    /// The witness's starting state: `scope.userLocation=denied`, `os.location=not-determined`.
    pub state: Vec<String>,
    /// A `miniperm run` command line that reproduces it.
    pub replay: String,
    /// The call the finding is about, when the stack showed one.
    pub location: Option<Location>,
    /// The witness path's transcript, as `miniperm run` prints it (for the HTML report).
    #[serde(skip)]
    pub transcript: Vec<String>,
}

/// The result of an exploration.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Number of paths run.
    pub paths: usize,
    pub findings: Vec<Finding>,
    #[serde(rename = "tree")]
    pub branches: Vec<Branch>,
    /// `--max-paths` stopped the search before every path ran.
    pub truncated: bool,
    /// Starting states explored, as labels.
    pub starts: Vec<String>,
    /// Paths whose run ended with `limit` (a deadline, the memory cap, a runaway timer).
    #[serde(skip)]
    pub limit_paths: usize,
    /// Paths cut because the same UI kept coming back.
    #[serde(skip)]
    pub cut_paths: usize,
    /// How many paths ended in each outcome (a leaf's line), most first.
    pub outcomes: Vec<Outcome>,
    /// Every subject some path observed, in order (what the starting states varied over).
    #[serde(skip)]
    pub observed: Vec<Subject>,
}

/// A number of paths that ended the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub outcome: String,
    pub paths: usize,
}

impl Report {
    pub fn text_tree(&self) -> String {
        tree::render_text(&self.branches)
    }
}

/// `scope.userLocation=denied` / `os.location=not-determined`.
pub fn state_label(subject: Subject, v: Value) -> String {
    match subject {
        Subject::Os(_) => format!("{}={}", subject.key(), v.os_arg()),
        _ => format!("{}={}", subject.key(), v.as_str()),
    }
}

pub(crate) fn start_label(start: &[(Subject, Value)]) -> String {
    if start.is_empty() {
        return "fresh (every scope unset, os authorized)".into();
    }
    start
        .iter()
        .map(|(s, v)| state_label(*s, *v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quotes one word for a POSIX shell (`shlex`), so a printed command runs as printed: an
/// answer with `;`, spaces or quotes stays one argument. A NUL byte (which no argument can hold)
/// is dropped.
pub fn shell_quote(word: &str) -> String {
    match shlex::try_quote(word) {
        Ok(q) => q.into_owned(),
        Err(_) => shlex::try_quote(&word.replace('\0', ""))
            .map(|q| q.into_owned())
            .unwrap_or_default(),
    }
}

/// The replay flags for a starting state.
pub(crate) fn replay_flags(start: &[(Subject, Value)]) -> String {
    let mut out = String::new();
    for (s, v) in start {
        let (flag, value) = match s {
            Subject::Os(p) => ("--system", format!("{}={}", p.as_str(), v.os_arg())),
            other => ("--state", format!("{}={}", other.key(), v.as_str())),
        };
        out.push_str(&format!(" {flag} {}", shell_quote(&value)));
    }
    out
}
