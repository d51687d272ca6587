//! The user behind every native UI: what a UI asks ([`UiRequest`]), what a user answers
//! ([`UiAnswer`], core's, written as the `--answers` tokens of DESIGN.md) and who answers
//! ([`User`]).

use std::collections::VecDeque;

pub use miniperm_core::{AnswerError, UiAnswer, parse_answers};
use miniperm_core::{OsPermission, Scope, SettingsPage, UiKind};
use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::event::Event;

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
    pub fn event(&self) -> Event {
        let mut d = Map::new();
        match self {
            UiRequest::Authorize {
                scope,
                desc,
                with_privacy,
            } => {
                d.insert("scope".into(), json!(scope.as_str()));
                if let Some(s) = desc {
                    d.insert("desc".into(), json!(s));
                }
                if *with_privacy {
                    d.insert("withPrivacy".into(), json!(true));
                }
            }
            UiRequest::System { permission } => {
                d.insert("permission".into(), json!(permission.as_str()));
            }
            UiRequest::Privacy { referrer, source } => {
                d.insert("referrer".into(), json!(referrer));
                d.insert("source".into(), json!(source));
            }
            UiRequest::Modal {
                title,
                content,
                show_cancel,
                cancel_text,
                confirm_text,
                editable,
                ..
            } => {
                d.insert("title".into(), json!(title));
                d.insert("content".into(), json!(content));
                d.insert("showCancel".into(), json!(show_cancel));
                d.insert("confirmText".into(), json!(confirm_text));
                d.insert("cancelText".into(), json!(cancel_text));
                if *editable {
                    d.insert("editable".into(), json!(true));
                }
            }
            UiRequest::ActionSheet { items } => {
                d.insert("items".into(), json!(items));
            }
            UiRequest::Settings { page } => {
                let rows: Vec<Json> = page
                    .rows
                    .iter()
                    .map(|r| {
                        let state = match r.control {
                            miniperm_core::settings::Control::Switch { on, locked } => {
                                if locked {
                                    "on (locked)".to_string()
                                } else if on {
                                    "on".to_string()
                                } else {
                                    "off".to_string()
                                }
                            }
                            miniperm_core::settings::Control::Location { selected } => {
                                serde_json::to_value(selected)
                                    .ok()
                                    .and_then(|v| v.as_str().map(str::to_string))
                                    .unwrap_or_default()
                            }
                        };
                        json!({"scope": r.scope.as_str(), "label": r.label.zh, "state": state})
                    })
                    .collect();
                d.insert("rows".into(), Json::Array(rows));
            }
            UiRequest::Picker { api } => {
                d.insert("api".into(), json!(api));
            }
        }
        Event::Ui {
            ui: self.kind().to_string(),
            detail: d,
        }
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
