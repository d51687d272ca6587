//! The settings page (R14, D4, D5) and the `getSetting` / `openSetting` results (R2, R15, R19).

use serde::Serialize;
use serde_json::{Map, Value as Json, json};

use crate::catalogue::{PromptKind, Scope, Text};
use crate::error::CoreError;
use crate::manifest::Manifest;
use crate::state::{AppState, Change, Subject, Value, Via};

/// The three positions of the location row when the background mode is declared (D5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocationChoice {
    /// 不允许: userLocation=false, background=false.
    Never,
    /// 仅在使用小程序期间: (true, false).
    WhileUsing,
    /// 使用小程序期间和离开小程序后: (true, true).
    Always,
}

impl LocationChoice {
    pub fn label(self) -> Text {
        match self {
            LocationChoice::Never => Text {
                zh: "不允许",
                en: "Don't allow",
            },
            LocationChoice::WhileUsing => Text {
                zh: "仅在使用小程序期间",
                en: "While using the mini-program",
            },
            LocationChoice::Always => Text {
                zh: "使用小程序期间和离开小程序后",
                en: "While using and after leaving",
            },
        }
    }
}

/// How a row is switched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind")]
pub enum Control {
    /// A plain switch; `locked` rows (retired scopes, D4) cannot be switched off.
    Switch { on: bool, locked: bool },
    /// The tri-state location row (D5); its key is `scope.userLocation`.
    Location { selected: LocationChoice },
}

/// One row of the settings page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Row {
    pub scope: Scope,
    pub label: Text,
    pub control: Control,
}

/// The settings page: only requested scopes are listed (R14).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SettingsPage {
    pub rows: Vec<Row>,
}

impl SettingsPage {
    /// Builds the page a user sees for this state.
    pub fn new(state: &AppState, manifest: &Manifest) -> SettingsPage {
        let tri = manifest.background_location;
        let mut rows = Vec::new();
        for (scope, v) in state.requested() {
            if tri && scope == Scope::UserLocationBackground {
                continue;
            }
            rows.push(Row {
                scope,
                label: scope.info().label,
                control: Control::Switch {
                    on: v == Value::Granted,
                    locked: scope.info().prompt == PromptKind::Retired,
                },
            });
        }
        if tri {
            let fg = state.scope(Scope::UserLocation);
            let bg = state.scope(Scope::UserLocationBackground);
            if fg != Value::Unset || bg != Value::Unset {
                let selected = match (fg == Value::Granted, bg == Value::Granted) {
                    (_, true) => LocationChoice::Always,
                    (true, false) => LocationChoice::WhileUsing,
                    (false, false) => LocationChoice::Never,
                };
                let row = Row {
                    scope: Scope::UserLocation,
                    label: Scope::UserLocation.info().label,
                    control: Control::Location { selected },
                };
                match rows.iter().position(|r| r.scope == Scope::UserLocation) {
                    Some(i) => rows[i] = row,
                    None => rows.insert(0, row),
                }
            }
        }
        SettingsPage { rows }
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The scopes a user can switch here, with the values each can take (for the explorer).
    pub fn toggles(&self) -> Vec<SettingChange> {
        let mut out = Vec::new();
        for r in &self.rows {
            match r.control {
                Control::Switch { locked: true, .. } => {}
                Control::Switch { on, .. } => out.push(SettingChange {
                    scope: r.scope,
                    on: !on,
                }),
                Control::Location { selected } => {
                    for (scope, on) in [
                        (Scope::UserLocation, false),
                        (Scope::UserLocation, true),
                        (Scope::UserLocationBackground, true),
                    ] {
                        let target = match (scope, on) {
                            (Scope::UserLocation, false) => LocationChoice::Never,
                            (Scope::UserLocation, true) => LocationChoice::WhileUsing,
                            _ => LocationChoice::Always,
                        };
                        if target != selected {
                            out.push(SettingChange { scope, on });
                        }
                    }
                }
            }
        }
        out
    }
}

/// One switch flipped by the user: `SCOPE=on|off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct SettingChange {
    pub scope: Scope,
    pub on: bool,
}

impl SettingChange {
    /// Parses `scope.userLocation=on`.
    pub fn parse(s: &str) -> Result<SettingChange, CoreError> {
        let (k, v) = s
            .split_once('=')
            .ok_or_else(|| CoreError::MalformedSetting(s.to_string()))?;
        let scope =
            Scope::parse(k.trim()).ok_or_else(|| CoreError::UnknownScope(k.trim().to_string()))?;
        let on = match v.trim() {
            "on" | "true" => true,
            "off" | "false" => false,
            _ => return Err(CoreError::MalformedSetting(s.to_string())),
        };
        Ok(SettingChange { scope, on })
    }
}

impl std::fmt::Display for SettingChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}={}", self.scope, if self.on { "on" } else { "off" })
    }
}

/// Applies the user's switches on the settings page; every change is `via: settings`.
///
/// Only listed rows can be switched (R14); retired scopes cannot be switched off (D4); with the
/// background mode the location row is tri-state (D5).
pub fn apply_settings(
    state: &AppState,
    manifest: &Manifest,
    changes: &[SettingChange],
    gesture: bool,
) -> Result<Vec<Change>, CoreError> {
    let page = SettingsPage::new(state, manifest);
    let mut next = *state;
    let mut out: Vec<Change> = Vec::new();
    let set = |next: &mut AppState, scope: Scope, to: Value, out: &mut Vec<Change>| {
        let from = next.scope(scope);
        if from != to {
            out.push(Change {
                subject: Subject::Scope(scope),
                from,
                to,
                via: Via::Settings,
                gesture,
                api: None,
                notice: None,
            });
            next.apply_change(Subject::Scope(scope), to, Via::Settings, 0);
        }
    };
    let b = |on: bool| if on { Value::Granted } else { Value::Denied };
    for c in changes {
        let tri = manifest.background_location
            && matches!(c.scope, Scope::UserLocation | Scope::UserLocationBackground);
        let row_scope = if tri { Scope::UserLocation } else { c.scope };
        let row = page
            .rows
            .iter()
            .find(|r| r.scope == row_scope)
            .ok_or_else(|| CoreError::NoSuchRow(c.scope.as_str().to_string()))?;
        if let Control::Switch { locked: true, .. } = row.control {
            if !c.on {
                return Err(CoreError::NotSwitchable(c.scope.as_str().to_string()));
            }
            continue;
        }
        if tri {
            let (fg, bg) = match (c.scope, c.on) {
                (Scope::UserLocation, false) => (false, false),
                (Scope::UserLocation, true) => (true, false),
                (_, true) => (true, true),
                (_, false) => (next.scope(Scope::UserLocation) == Value::Granted, false),
            };
            set(&mut next, Scope::UserLocation, b(fg), &mut out);
            set(&mut next, Scope::UserLocationBackground, b(bg), &mut out);
        } else {
            set(&mut next, c.scope, b(c.on), &mut out);
        }
    }
    Ok(out)
}

/// `authSetting`: requested scopes only, Granted → true, Denied → false (R2).
pub fn auth_setting(state: &AppState) -> Map<String, Json> {
    state
        .requested()
        .map(|(s, v)| (s.as_str().to_string(), Json::Bool(v == Value::Granted)))
        .collect()
}

/// The success payload of `getSetting` / `openSetting` (R2, R15, R19).
pub fn setting_result(state: &AppState, api: &str, with_subscriptions: bool) -> Json {
    let mut m = Map::new();
    m.insert("authSetting".into(), Json::Object(auth_setting(state)));
    if with_subscriptions {
        // Nothing ticked "always keep this choice": only mainSwitch (R19).
        m.insert("subscriptionsSetting".into(), json!({"mainSwitch": true}));
    }
    m.insert("errMsg".into(), Json::String(format!("{api}:ok")));
    Json::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_setting_change() {
        assert_eq!(
            SettingChange::parse("scope.camera=on").unwrap(),
            SettingChange {
                scope: Scope::Camera,
                on: true
            }
        );
        assert_eq!(
            SettingChange::parse("scope.camera")
                .unwrap_err()
                .to_string(),
            "malformed setting `scope.camera` (expected SCOPE=on|off)"
        );
        assert_eq!(
            SettingChange::parse("scope.nope=on")
                .unwrap_err()
                .to_string(),
            "unknown scope `scope.nope`"
        );
        assert!(SettingChange::parse("scope.camera=maybe").is_err());
    }
}
