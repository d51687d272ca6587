//! miniperm's consent engine: WeChat's mini-program authorization rules as pure functions.
//!
//! * [`catalogue`]: the scopes of table T1 and the APIs they guard, as data;
//! * [`profile`]: every spelling and knob that differs between clients (D3);
//! * [`state`]: consent events and the state that folding them gives (R1, D15);
//! * [`decide`]: the R36 pipeline, `decide(request, state, env) -> Decision`, and [`decide::resolve`]
//!   for the user's answers;
//! * [`settings`]: the settings page and the `getSetting` payload;
//! * [`explain`]: the trail behind a scope's state;
//! * [`wxapi`]: the one table of `wx` APIs (shape, base library, handling, result fields);
//! * [`vocab`]: the rule ids, the kinds of native UI and the explorer's finding codes, as enums.
//!
//! No I/O, no async, no JS or SQL types: callers own time (`now` is passed in), storage and UI.
#![forbid(unsafe_code)]

pub mod answer;
pub mod catalogue;
pub mod decide;
pub mod error;
pub mod explain;
pub mod flow;
pub mod manifest;
pub mod profile;
pub mod settings;
pub mod state;
pub mod vocab;
pub mod wxapi;

pub use answer::{AnswerError, UiAnswer, parse_answers};
pub use catalogue::{Api, InfoType, OsPermission, PromptKind, Scope, ScopeInfo};
pub use decide::{
    Answer, Ask, Decision, Env, Fail, Outcome, Request, Resolution, ScopeArg, Step, SystemSwitches,
    Then, Warning, decide, resolve,
};
pub use error::CoreError;
pub use explain::{Explanation, explain};
pub use flow::{Driven, drive};
pub use manifest::{Manifest, Privacy};
pub use profile::{BaseLib, Profile};
pub use settings::{SettingChange, SettingsPage, apply_settings, auth_setting, setting_result};
pub use state::{AppState, Change, Channel, ConsentEvent, EventMeta, Subject, Value, Via};
pub use vocab::{FindingCode, Rule, UiKind};
