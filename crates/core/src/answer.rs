//! What a user does at a native UI, as `--answers` writes it: the one spelling of every answer
//! (the runtime answers UIs with it, explore's findings read it, the CLI parses it).

use std::fmt;
use std::str::FromStr;

use crate::settings::SettingChange;

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
