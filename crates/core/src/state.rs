//! Consent state as a fold over consent events (DESIGN.md "Consent event").
//!
//! The log is the truth; [`AppState`] is what folding one (user, app)'s events gives. A reset is
//! an event too (D15): history is never rewritten.

use serde::{Deserialize, Serialize};

use crate::catalogue::{InfoType, OsPermission, Scope};
use crate::error::CoreError;

/// The tri-state of a scope (R1), reused for privacy consent and OS permissions.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Value {
    /// Never asked (scopes, privacy) / "not determined" (OS).
    #[default]
    Unset,
    /// Granted (scopes, privacy) / "authorized" (OS).
    Granted,
    Denied,
}

impl Value {
    pub fn as_str(self) -> &'static str {
        match self {
            Value::Unset => "unset",
            Value::Granted => "granted",
            Value::Denied => "denied",
        }
    }

    pub fn parse(s: &str) -> Option<Value> {
        match s {
            "unset" => Some(Value::Unset),
            "granted" => Some(Value::Granted),
            "denied" => Some(Value::Denied),
            _ => None,
        }
    }

    /// The OS spelling of T5 (`authorized`, `denied`, `not determined`).
    pub fn os_str(self) -> &'static str {
        match self {
            Value::Unset => "not determined",
            Value::Granted => "authorized",
            Value::Denied => "denied",
        }
    }

    /// The command-line OS spelling (`authorized`, `denied`, `not-determined`): what
    /// `--system` takes ([`Value::parse_os`]), explore's starting states and `settings show`
    /// print.
    pub fn os_arg(self) -> &'static str {
        match self {
            Value::Unset => "not-determined",
            Value::Granted => "authorized",
            Value::Denied => "denied",
        }
    }

    /// Parses the command-line OS spelling (`authorized|denied|not-determined`, see
    /// [`Value::os_arg`]; T5's `not determined` too).
    pub fn parse_os(s: &str) -> Option<Value> {
        match s {
            "authorized" => Some(Value::Granted),
            "denied" => Some(Value::Denied),
            "not-determined" | "not determined" => Some(Value::Unset),
            _ => None,
        }
    }
}

/// What an event is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Subject {
    Scope(Scope),
    /// Privacy consent for one declared info type (R25).
    Privacy(InfoType),
    /// WeChat's own OS permission (D12).
    Os(OsPermission),
    /// Every scope and the privacy consent of the app at once (reset, remove).
    All,
}

impl Subject {
    /// The log's `scope` column: `scope.userLocation`, `privacy.location`, `os.camera`, `*`.
    pub fn key(&self) -> String {
        match self {
            Subject::Scope(s) => s.as_str().to_string(),
            Subject::Privacy(t) => format!("privacy.{}", t.as_str()),
            Subject::Os(p) => format!("os.{}", p.as_str()),
            Subject::All => "*".to_string(),
        }
    }

    pub fn parse(s: &str) -> Result<Subject, CoreError> {
        if s == "*" {
            return Ok(Subject::All);
        }
        if let Some(t) = s.strip_prefix("privacy.") {
            return InfoType::parse(t)
                .map(Subject::Privacy)
                .ok_or_else(|| CoreError::UnknownInfoType(t.to_string()));
        }
        if let Some(p) = s.strip_prefix("os.") {
            return OsPermission::parse(p)
                .map(Subject::Os)
                .ok_or_else(|| CoreError::UnknownOsPermission(p.to_string()));
        }
        Scope::parse(s)
            .map(Subject::Scope)
            .ok_or_else(|| CoreError::UnknownScope(s.to_string()))
    }
}

impl Serialize for Subject {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.key())
    }
}

impl<'de> Deserialize<'de> for Subject {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Subject::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// How a change came about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// The user answered a prompt (scope, privacy or merged), or first use of a retired scope.
    Prompt,
    /// The user switched it on the settings page.
    Settings,
    /// The host set it (`--state`, `miniperm settings set`, the service's API).
    Host,
    /// "Clear authorization data" (devtools).
    Reset,
    /// The user deleted the mini-program.
    Remove,
    /// The OS-level prompt or OS settings (D12).
    Os,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Prompt => "prompt",
            Via::Settings => "settings",
            Via::Host => "host",
            Via::Reset => "reset",
            Via::Remove => "remove",
            Via::Os => "os",
        }
    }

    pub fn parse(s: &str) -> Option<Via> {
        [
            Via::Prompt,
            Via::Settings,
            Via::Host,
            Via::Reset,
            Via::Remove,
            Via::Os,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }
}

/// The mini-program's release channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Channel {
    #[default]
    Develop,
    Trial,
    Release,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Develop, Channel::Trial, Channel::Release];
    /// Their spellings, in the order of [`Channel::ALL`] (`--channel`'s values).
    pub const NAMES: [&'static str; 3] = [
        Channel::ALL[0].as_str(),
        Channel::ALL[1].as_str(),
        Channel::ALL[2].as_str(),
    ];

    pub const fn as_str(self) -> &'static str {
        match self {
            Channel::Develop => "develop",
            Channel::Trial => "trial",
            Channel::Release => "release",
        }
    }

    pub fn parse(s: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// A state change the engine decided, before it is stamped with who, where and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub subject: Subject,
    pub from: Value,
    pub to: Value,
    pub via: Via,
    pub gesture: bool,
    pub api: Option<String>,
    /// The purpose text shown with the prompt, if any.
    pub notice: Option<String>,
}

impl Change {
    /// Every scope and the privacy consent back to unset: devtools' "clear authorization data"
    /// (`via` [`Via::Reset`]) or the user deleting the mini-program ([`Via::Remove`]). OS
    /// permissions stay (D15). The one builder of a reset: the CLI, the service and the
    /// simulator call it.
    pub fn reset(via: Via) -> Change {
        Change {
            subject: Subject::All,
            from: Value::Unset,
            to: Value::Unset,
            via,
            gesture: false,
            api: None,
            notice: None,
        }
    }

    /// The host sets `subject` from `from` to `to` ([`Via::Host`]: the settings tool, a starting
    /// state, the service removing a record): no gesture, no API, no notice. (A store re-derives
    /// `from` from the state it holds when it appends.)
    pub fn host(subject: Subject, from: Value, to: Value) -> Change {
        Change {
            subject,
            from,
            to,
            via: Via::Host,
            gesture: false,
            api: None,
            notice: None,
        }
    }
}

/// Who, where and when an event happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventMeta {
    pub at: i64,
    pub user: String,
    pub app: String,
    pub channel: Channel,
    pub profile: String,
}

/// The consent log's row. `seq` is 0 until the store assigns it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsentEvent {
    pub seq: u64,
    /// Milliseconds since the Unix epoch, from the injected clock.
    pub at: i64,
    pub user: String,
    pub app: String,
    pub channel: Channel,
    pub scope: Subject,
    pub from: Value,
    pub to: Value,
    pub via: Via,
    pub gesture: bool,
    pub api: Option<String>,
    pub notice: Option<String>,
    pub profile: String,
    pub engine_version: String,
}

/// The engine version written into every event.
pub const ENGINE_VERSION: &str = env!("CARGO_PKG_VERSION");

impl ConsentEvent {
    pub fn new(meta: &EventMeta, change: Change) -> ConsentEvent {
        ConsentEvent {
            seq: 0,
            at: meta.at,
            user: meta.user.clone(),
            app: meta.app.clone(),
            channel: meta.channel,
            scope: change.subject,
            from: change.from,
            to: change.to,
            via: change.via,
            gesture: change.gesture,
            api: change.api,
            notice: change.notice,
            profile: meta.profile.clone(),
            engine_version: ENGINE_VERSION.to_string(),
        }
    }

    /// The change as a log line shows it: `unset → denied`, or `all → unset` for a reset (every
    /// subject at once). `settings log` and the simulator's consent log both print this.
    pub fn change_label(&self) -> String {
        match self.scope {
            Subject::All => format!("all → {}", self.to.as_str()),
            _ => format!("{} → {}", self.from.as_str(), self.to.as_str()),
        }
    }

    pub fn change(&self) -> Change {
        Change {
            subject: self.scope,
            from: self.from,
            to: self.to,
            via: self.via,
            gesture: self.gesture,
            api: self.api.clone(),
            notice: self.notice.clone(),
        }
    }
}

/// The current consent state of one (user, app): the fold of its events.
///
/// Plain arrays and a bit set, `Copy`, so the decision pipeline never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AppState {
    scopes: [Value; Scope::COUNT],
    /// `None`: the OS permission was never set, so the profile default (authorized, D12) holds.
    os: [Option<Value>; 8],
    privacy_granted: u32,
    /// When the user last refused privacy consent (R28's gap counts from here).
    pub privacy_refused_at: Option<i64>,
}

impl AppState {
    pub fn new() -> AppState {
        AppState::default()
    }

    /// Folds events, in order, from the empty state.
    pub fn fold<'a>(events: impl IntoIterator<Item = &'a ConsentEvent>) -> AppState {
        let mut s = AppState::new();
        for e in events {
            s.apply(e);
        }
        s
    }

    /// Applies one event (`at` is only used for privacy refusals).
    pub fn apply(&mut self, e: &ConsentEvent) {
        self.apply_change(e.scope, e.to, e.via, e.at);
    }

    pub fn apply_change(&mut self, subject: Subject, to: Value, via: Via, at: i64) {
        match subject {
            Subject::Scope(s) => self.scopes[s.index()] = to,
            Subject::Os(p) => self.os[p.index()] = Some(to),
            Subject::Privacy(t) => match to {
                Value::Granted => self.privacy_granted |= t.bit(),
                Value::Denied => {
                    self.privacy_granted &= !t.bit();
                    self.privacy_refused_at = Some(at);
                }
                Value::Unset => self.privacy_granted &= !t.bit(),
            },
            Subject::All => {
                // D15: scopes and privacy consent back to Unset; OS permissions are the
                // phone's, not the mini-program's, and stay.
                if matches!(via, Via::Reset | Via::Remove | Via::Host) {
                    self.scopes = [Value::Unset; Scope::COUNT];
                    self.privacy_granted = 0;
                    self.privacy_refused_at = None;
                }
            }
        }
    }

    /// A subject's value: a scope's or an OS permission's state; privacy consent is granted
    /// or unset (a refusal is remembered only as R28's gap); `All` has none (unset).
    pub fn value(&self, subject: Subject) -> Value {
        match subject {
            Subject::Scope(s) => self.scope(s),
            Subject::Os(p) => self.os(p),
            Subject::Privacy(t) if self.privacy_granted(t) => Value::Granted,
            Subject::Privacy(_) | Subject::All => Value::Unset,
        }
    }

    pub fn scope(&self, s: Scope) -> Value {
        self.scopes[s.index()]
    }

    /// The recorded OS state, `None` when never set.
    pub fn os_recorded(&self, p: OsPermission) -> Option<Value> {
        self.os[p.index()]
    }

    /// The OS state in force (default: authorized, D12).
    pub fn os(&self, p: OsPermission) -> Value {
        self.os[p.index()].unwrap_or(Value::Granted)
    }

    pub fn privacy_granted(&self, t: InfoType) -> bool {
        self.privacy_granted & t.bit() != 0
    }

    /// Scopes whose state is not Unset, in catalogue order (R2, R14).
    pub fn requested(&self) -> impl Iterator<Item = (Scope, Value)> + '_ {
        Scope::ALL
            .iter()
            .map(|s| (*s, self.scope(*s)))
            .filter(|(_, v)| *v != Value::Unset)
    }

    /// Every non-default entry as `(subject, value)`: what the store's state table holds.
    pub fn entries(&self) -> Vec<(Subject, Value)> {
        let mut out: Vec<(Subject, Value)> = self
            .requested()
            .map(|(s, v)| (Subject::Scope(s), v))
            .collect();
        for t in InfoType::ALL {
            if self.privacy_granted(t) {
                out.push((Subject::Privacy(t), Value::Granted));
            }
        }
        for p in OsPermission::ALL {
            if let Some(v) = self.os_recorded(p) {
                out.push((Subject::Os(p), v));
            }
        }
        out
    }

    /// Rebuilds a state from the store's current-state rows.
    pub fn from_entries(
        entries: impl IntoIterator<Item = (Subject, Value)>,
        privacy_refused_at: Option<i64>,
    ) -> AppState {
        let mut s = AppState::new();
        for (subject, v) in entries {
            s.apply_change(subject, v, Via::Host, 0);
        }
        s.privacy_refused_at = privacy_refused_at;
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(subject: Subject, to: Value, via: Via) -> ConsentEvent {
        let meta = EventMeta {
            at: 1,
            user: "u".into(),
            app: "wxdemo".into(),
            channel: Channel::Develop,
            profile: "wechat".into(),
        };
        ConsentEvent::new(
            &meta,
            Change {
                subject,
                from: Value::Unset,
                to,
                via,
                gesture: false,
                api: None,
                notice: None,
            },
        )
    }

    #[test]
    fn fold_sets_and_resets() {
        let events = [
            ev(
                Subject::Scope(Scope::UserLocation),
                Value::Denied,
                Via::Prompt,
            ),
            ev(Subject::Os(OsPermission::Camera), Value::Denied, Via::Os),
            ev(
                Subject::Privacy(InfoType::Location),
                Value::Granted,
                Via::Prompt,
            ),
            ev(Subject::All, Value::Unset, Via::Reset),
        ];
        let s = AppState::fold(&events[..3]);
        assert_eq!(s.scope(Scope::UserLocation), Value::Denied);
        assert!(s.privacy_granted(InfoType::Location));
        let s = AppState::fold(&events);
        assert_eq!(s.scope(Scope::UserLocation), Value::Unset);
        assert!(!s.privacy_granted(InfoType::Location));
        assert_eq!(
            s.os(OsPermission::Camera),
            Value::Denied,
            "reset keeps OS state"
        );
    }

    #[test]
    fn subjects_round_trip() {
        for k in ["scope.camera", "privacy.location", "os.microphone", "*"] {
            assert_eq!(Subject::parse(k).unwrap().key(), k);
        }
        assert!(Subject::parse("scope.nope").is_err());
        assert!(Subject::parse("os.nope").is_err());
    }

    #[test]
    fn entries_round_trip() {
        let events = [
            ev(Subject::Scope(Scope::Camera), Value::Granted, Via::Prompt),
            ev(Subject::Os(OsPermission::Location), Value::Unset, Via::Host),
            ev(
                Subject::Privacy(InfoType::Album),
                Value::Granted,
                Via::Prompt,
            ),
        ];
        let s = AppState::fold(&events);
        assert_eq!(AppState::from_entries(s.entries(), s.privacy_refused_at), s);
    }
}
