//! How a run ends: its outcome, why it could not be carried out, and how the driver's work
//! stops on the way (`Halt`).

use miniperm_consent::StoreError;

use crate::event::EndReason;

use super::pending::Asking;

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The transcript (a resumed run's shares its prefix with the branch it came from).
    pub events: crate::transcript::Transcript,
    pub end: EndReason,
    /// The consent facts the run observed, in order (what the explorer branches on).
    pub observations: Vec<crate::event::Observation>,
    /// With `render`: a selector for each element a user could tap on the final page.
    pub tappable: Vec<String>,
    /// With `screen`: the final page as the simulator and the HTML report draw it
    /// (`host/screen.rs` documents the shape).
    pub screen: Option<serde_json::Value>,
}

/// Why a run could not be carried out (bad input or a store failure); never a JS error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("page `{0}` is not in app.json")]
    NoSuchPage(String),
    #[error("page `{route}` has no method `{handler}` to tap{hint}")]
    NoHandler {
        route: String,
        handler: String,
        /// What is tappable instead, when the page renders (`; tappable: …`).
        hint: String,
    },
    #[error("page `{route}` has no `<button open-type=\"{open_type}\">`")]
    NoButton { route: String, open_type: String },
    #[error("nothing visible on page `{route}` matches `{selector}`; tappable: {tappable}")]
    NotVisible {
        selector: String,
        route: String,
        tappable: String,
    },
    #[error("bad selector `{selector}`: {reason}")]
    BadSelector { selector: String, reason: String },
    #[error("answer `{answer}` does not fit {ui}")]
    AnswerMismatch { answer: String, ui: String },
    #[error("answer `{answer}`: {reason}")]
    BadSetting { answer: String, reason: String },
    #[error("scope `{0}` cannot be set as a starting state")]
    BadInitial(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the javascript engine failed: {0}")]
    Engine(String),
}

impl RunError {
    /// True when the caller's input is at fault (CLI exit code 2).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RunError::Store(e) => e.is_bad_input(),
            RunError::Engine(_) => false,
            _ => true,
        }
    }
}

pub(super) enum Halt {
    End(EndReason, Option<String>),
    Fail(RunError),
    /// The user suspended the run at a UI (the explorer branches there): the driver's stack
    /// unwinds to `drive`, which keeps what resuming needs.
    Suspend(Box<Asking>),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Halt {
        Halt::Fail(RunError::Store(e))
    }
}

impl From<rquickjs::Error> for Halt {
    fn from(e: rquickjs::Error) -> Halt {
        Halt::Fail(RunError::Engine(e.to_string()))
    }
}
