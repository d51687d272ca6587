//! The core's error type.

use thiserror::Error;

/// Everything the core can reject. Messages are lowercase and name the input in backticks.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum CoreError {
    #[error("unknown scope `{0}`")]
    UnknownScope(String),
    #[error("unknown profile `{0}` (expected wechat or wechat-android)")]
    UnknownProfile(String),
    #[error("bad base library version `{0}` (expected MAJOR.MINOR.PATCH)")]
    BadVersion(String),
    #[error(
        "unknown os permission `{0}` (expected one of location, camera, microphone, album, bluetooth, calendar, contacts, notification)"
    )]
    UnknownOsPermission(String),
    #[error("unknown privacy info type `{0}`")]
    UnknownInfoType(String),
    #[error("malformed setting `{0}` (expected SCOPE=on|off)")]
    MalformedSetting(String),
    #[error("malformed state `{0}` (expected {1})")]
    MalformedState(String, &'static str),
    #[error(
        "the settings page has no row for `{0}` (only scopes the mini-program has requested are listed)"
    )]
    NoSuchRow(String),
    #[error("`{0}` cannot be switched off in the settings page")]
    NotSwitchable(String),
    #[error("answer `{0}` does not fit {1}")]
    AnswerMismatch(&'static str, &'static str),
    #[error("unknown value `{0}` in the consent log")]
    BadLogValue(String),
}
