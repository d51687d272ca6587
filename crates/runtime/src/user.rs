//! The user behind every native UI: what a UI asks ([`UiRequest`]), what a user answers
//! ([`UiAnswer`], written as the `--answers` tokens of DESIGN.md) and who answers ([`User`]).

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;

use miniperm_core::{OsPermission, Scope, SettingChange, SettingsPage, UiKind};
use serde::Serialize;

/// Where a privacy request is shown (R26, R28).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PrivacySource {
    /// The mini-program's own popup, through `wx.onNeedPrivacyAuthorization`.
    Listener,
    /// WeChat's official privacy popup (no listener registered).
    Popup,
}

/// A native UI waiting for the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "ui", rename_all = "camelCase")]
pub enum UiRequest {
    /// The scope prompt (R5); `with_privacy` = the 3.4.2 merged privacy checkbox (R33).
    Authorize {
        scope: Scope,
        desc: Option<String>,
        with_privacy: bool,
    },
    /// The OS-level prompt (D12).
    System {
        permission: OsPermission,
    },
    /// Privacy consent: the app's popup (listener) or the official one.
    Privacy {
        referrer: String,
        source: PrivacySource,
    },
    Modal {
        title: String,
        content: String,
        show_cancel: bool,
        cancel_text: String,
        confirm_text: String,
        editable: bool,
        placeholder_text: String,
    },
    ActionSheet {
        items: Vec<String>,
    },
    /// The settings page (openSetting, the openSetting button).
    Settings {
        page: SettingsPage,
    },
    /// A picker (chooseLocation, chooseAddress, chooseImage, ...).
    Picker {
        api: String,
    },
}

impl UiRequest {
    /// The `ui` field of the transcript.
    pub fn kind(&self) -> UiKind {
        match self {
            UiRequest::Authorize { .. } => UiKind::Authorize,
            UiRequest::System { .. } => UiKind::System,
            UiRequest::Privacy { .. } => UiKind::Privacy,
            UiRequest::Modal { .. } => UiKind::Modal,
            UiRequest::ActionSheet { .. } => UiKind::ActionSheet,
            UiRequest::Settings { .. } => UiKind::Settings,
            UiRequest::Picker { .. } => UiKind::Picker,
        }
    }

    /// The transcript's `ui` event for this UI.
    pub fn event(&self) -> crate::Event {
        crate::host::uiqueue::ui_event(self)
    }

    /// A short description for messages: `the authorize prompt for `scope.userLocation``.
    pub fn describe(&self) -> String {
        match self {
            UiRequest::Authorize { scope, .. } => format!("the authorize prompt for `{scope}`"),
            UiRequest::System { permission } => {
                format!("the os prompt for `{}`", permission.as_str())
            }
            UiRequest::Privacy { .. } => "the privacy popup".into(),
            UiRequest::Modal { title, .. } => format!("the modal `{title}`"),
            UiRequest::ActionSheet { .. } => "the action sheet".into(),
            UiRequest::Settings { .. } => "the settings page".into(),
            UiRequest::Picker { api } => format!("the `{api}` picker"),
        }
    }

    /// The answers this UI takes, as tokens (settings: `settings` plus one token per switch).
    pub fn choices(&self) -> Vec<UiAnswer> {
        match self {
            UiRequest::Authorize { .. } | UiRequest::System { .. } => {
                vec![UiAnswer::Allow, UiAnswer::Deny]
            }
            UiRequest::Privacy { .. } => vec![UiAnswer::Agree, UiAnswer::Disagree],
            UiRequest::Modal { show_cancel, .. } => {
                if *show_cancel {
                    vec![UiAnswer::Confirm, UiAnswer::Cancel]
                } else {
                    vec![UiAnswer::Confirm]
                }
            }
            UiRequest::ActionSheet { items } => {
                let mut v: Vec<UiAnswer> = (0..items.len()).map(UiAnswer::Sheet).collect();
                v.push(UiAnswer::Cancel);
                v
            }
            UiRequest::Settings { page } => {
                let mut v = vec![UiAnswer::Settings(Vec::new())];
                v.extend(
                    page.toggles()
                        .into_iter()
                        .map(|c| UiAnswer::Settings(vec![c])),
                );
                v
            }
            UiRequest::Picker { .. } => vec![UiAnswer::Pick, UiAnswer::Cancel],
        }
    }

    /// Whether `answer` is one this UI can take (settings rows are checked when applied).
    pub fn fits(&self, answer: &UiAnswer) -> bool {
        match (self, answer) {
            (UiRequest::Settings { .. }, UiAnswer::Settings(_)) => true,
            (UiRequest::ActionSheet { items }, UiAnswer::Sheet(n)) => *n < items.len(),
            (UiRequest::Modal { editable, .. }, UiAnswer::ConfirmWith(_)) => *editable,
            _ => self.choices().contains(answer),
        }
    }
}

/// A user's answer, as written in `--answers`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UiAnswer {
    Allow,
    Deny,
    Confirm,
    /// `confirm:TEXT`: confirm an `editable` modal after typing TEXT (no commas).
    ConfirmWith(String),
    Cancel,
    Agree,
    Disagree,
    Sheet(usize),
    Pick,
    /// Leave the settings page after switching these (empty = unchanged).
    Settings(Vec<SettingChange>),
}

/// A malformed `--answers` entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AnswerError {
    #[error(
        "malformed answer `{0}` (expected allow, deny, confirm, confirm:TEXT, cancel, agree, disagree, sheet:N, pick, settings or settings:SCOPE=on|off[;...])"
    )]
    Malformed(String),
    #[error("malformed answer `{answer}`: {reason}")]
    BadSetting { answer: String, reason: String },
}

impl FromStr for UiAnswer {
    type Err = AnswerError;

    fn from_str(s: &str) -> Result<UiAnswer, AnswerError> {
        let t = s.trim();
        Ok(match t {
            "allow" => UiAnswer::Allow,
            "deny" => UiAnswer::Deny,
            "confirm" => UiAnswer::Confirm,
            "cancel" => UiAnswer::Cancel,
            "agree" => UiAnswer::Agree,
            "disagree" => UiAnswer::Disagree,
            "pick" => UiAnswer::Pick,
            "settings" => UiAnswer::Settings(Vec::new()),
            _ => {
                if let Some(text) = t.strip_prefix("confirm:") {
                    UiAnswer::ConfirmWith(text.to_string())
                } else if let Some(n) = t.strip_prefix("sheet:") {
                    let n = n
                        .parse::<usize>()
                        .map_err(|_| AnswerError::Malformed(t.to_string()))?;
                    UiAnswer::Sheet(n)
                } else if let Some(rest) = t.strip_prefix("settings:") {
                    let mut v = Vec::new();
                    for part in rest.split(';').filter(|p| !p.trim().is_empty()) {
                        let c =
                            SettingChange::parse(part).map_err(|e| AnswerError::BadSetting {
                                answer: t.to_string(),
                                reason: e.to_string(),
                            })?;
                        v.push(c);
                    }
                    if v.is_empty() {
                        return Err(AnswerError::Malformed(t.to_string()));
                    }
                    UiAnswer::Settings(v)
                } else {
                    return Err(AnswerError::Malformed(t.to_string()));
                }
            }
        })
    }
}

impl fmt::Display for UiAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UiAnswer::Allow => f.write_str("allow"),
            UiAnswer::Deny => f.write_str("deny"),
            UiAnswer::Confirm => f.write_str("confirm"),
            UiAnswer::ConfirmWith(t) => write!(f, "confirm:{t}"),
            UiAnswer::Cancel => f.write_str("cancel"),
            UiAnswer::Agree => f.write_str("agree"),
            UiAnswer::Disagree => f.write_str("disagree"),
            UiAnswer::Sheet(n) => write!(f, "sheet:{n}"),
            UiAnswer::Pick => f.write_str("pick"),
            UiAnswer::Settings(v) if v.is_empty() => f.write_str("settings"),
            UiAnswer::Settings(v) => {
                f.write_str("settings:")?;
                for (i, c) in v.iter().enumerate() {
                    if i > 0 {
                        f.write_str(";")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
        }
    }
}

/// Parses a comma-separated `--answers` list (empty entries are skipped).
pub fn parse_answers(s: &str) -> Result<Vec<UiAnswer>, AnswerError> {
    s.split(',')
        .filter(|p| !p.trim().is_empty())
        .map(str::parse)
        .collect()
}

/// Whoever answers native UIs. `None` = no answer: the run ends `awaiting-answer`.
pub trait User {
    fn answer(&mut self, ui: &UiRequest) -> Option<UiAnswer>;

    /// True to stop the run at this UI, shown and not answered yet, so that it can be resumed
    /// with each of several answers from the same point (the explorer; only a run on a
    /// zygote can stop: elsewhere this is never asked).
    fn suspend_at(&mut self, _ui: &UiRequest) -> bool {
        false
    }
}

/// Answers from a fixed list, in order (the CLI's `--answers`).
#[derive(Debug, Clone, Default)]
pub struct ScriptedUser {
    queue: VecDeque<UiAnswer>,
}

impl ScriptedUser {
    pub fn new(answers: impl IntoIterator<Item = UiAnswer>) -> ScriptedUser {
        ScriptedUser {
            queue: answers.into_iter().collect(),
        }
    }

    /// Answers not used yet.
    pub fn remaining(&self) -> usize {
        self.queue.len()
    }
}

impl User for ScriptedUser {
    fn answer(&mut self, _ui: &UiRequest) -> Option<UiAnswer> {
        self.queue.pop_front()
    }
}

impl<F: FnMut(&UiRequest) -> Option<UiAnswer>> User for F {
    fn answer(&mut self, ui: &UiRequest) -> Option<UiAnswer> {
        self(ui)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip() {
        for t in [
            "allow",
            "deny",
            "confirm",
            "cancel",
            "agree",
            "disagree",
            "sheet:2",
            "confirm:北京",
            "pick",
            "settings",
            "settings:scope.userLocation=on",
            "settings:scope.camera=off;scope.record=on",
        ] {
            let a: UiAnswer = t.parse().unwrap();
            assert_eq!(a.to_string(), t);
        }
        assert!(parse_answers("deny,maybe").is_err());
        assert!("sheet:x".parse::<UiAnswer>().is_err());
        assert!("settings:scope.nope=on".parse::<UiAnswer>().is_err());
        assert_eq!(parse_answers("deny, confirm,").unwrap().len(), 2);
    }
}
