//! The R36 pipeline: one pure function that decides a request.
//!
//! `decide(request, state, env)` runs the steps of R36 in order; the first failing step wins and
//! nothing later runs (D6). When a step needs the user (a scope prompt, the privacy popup or
//! listener, an OS prompt) the outcome is [`Outcome::Ask`]; the caller shows that UI, feeds the
//! answer to [`resolve`], appends the resulting changes and decides again. No step allocates.

use serde::Serialize;

use crate::catalogue::{Api, InfoType, OsPermission, PromptKind, Scope};
use crate::error::CoreError;
use crate::manifest::{Manifest, Privacy};
use crate::profile::{BaseLib, Profile};
use crate::state::{AppState, Change, Subject, Value, Via};
use crate::vocab::Rule;

/// The `scope` argument of `wx.authorize`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScopeArg {
    /// The API carries its own scope (a guarded API) or none.
    None,
    Known(Scope),
    /// A string that is no scope of the catalogue (D11).
    Unknown,
    /// Missing or empty (R9).
    Empty,
}

impl ScopeArg {
    pub fn parse(s: Option<&str>) -> ScopeArg {
        match s {
            None | Some("") => ScopeArg::Empty,
            Some(s) => Scope::parse(s).map_or(ScopeArg::Unknown, ScopeArg::Known),
        }
    }
}

/// One call to decide.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub api: Api,
    pub scope: ScopeArg,
    /// The call happens in a user-tap context (D1).
    pub gesture: bool,
    /// Milliseconds, from the injected clock.
    pub now: i64,
}

impl Request {
    /// `wx.authorize({scope})`.
    pub fn authorize(scope: Option<&str>, gesture: bool, now: i64) -> Request {
        Request {
            api: Api::Authorize,
            scope: ScopeArg::parse(scope),
            gesture,
            now,
        }
    }

    /// Any other API of the catalogue.
    pub fn api(api: Api, gesture: bool, now: i64) -> Request {
        Request {
            api,
            scope: ScopeArg::None,
            gesture,
            now,
        }
    }

    /// The scope this request is about, if any.
    pub fn scope(&self) -> Option<Scope> {
        match self.scope {
            ScopeArg::Known(s) => Some(s),
            _ => self.api.info().scope,
        }
    }

    /// The privacy info type this request needs consent for (R24, R32).
    pub fn info_type(&self) -> Option<InfoType> {
        match self.api {
            Api::Authorize => self.scope().and_then(|s| s.info().info),
            _ => self.api.info().info,
        }
    }
}

/// The device's switches (R35, `wx.getSystemSetting`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SystemSwitches {
    pub location_enabled: bool,
    pub bluetooth_enabled: bool,
    pub wifi_enabled: bool,
}

impl Default for SystemSwitches {
    fn default() -> Self {
        SystemSwitches {
            location_enabled: true,
            bluetooth_enabled: true,
            wifi_enabled: true,
        }
    }
}

/// Everything besides state that a decision reads.
#[derive(Debug, Clone, Copy)]
pub struct Env<'a> {
    pub profile: &'a Profile,
    pub manifest: &'a Manifest,
    /// `wx.onNeedPrivacyAuthorization` has a listener (R26).
    pub privacy_listener: bool,
    pub system: SystemSwitches,
}

/// Why a call fails. The errMsg and errno come from the profile (D3, D7).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Fail {
    NotSupported,
    PrivateInfos,
    TapRequired,
    NoPrivacyGuide,
    PrivacyUndeclared,
    PrivacyRefused,
    AuthDeny,
    ScopeUnauthorized,
    InvalidScope,
    SystemDenied,
    LocationSwitchOff,
    BluetoothOff,
}

impl Fail {
    /// A refusal by the user or by a setting the user controls: the scope denied (R6), the OS
    /// permission denied (R34), the privacy agreement refused (R26). What a flow must tell the
    /// user about; the other failures are the program's or the device's.
    pub fn is_denial(self) -> bool {
        matches!(
            self,
            Fail::AuthDeny | Fail::SystemDenied | Fail::PrivacyRefused
        )
    }

    /// The errMsg for a failure of `api` (R37: prefix is the API name without `wx.`).
    pub fn err_msg(self, profile: &Profile, api: &str) -> String {
        let sp = &profile.spellings;
        let pattern = match self {
            Fail::AuthDeny if api == "authorize" => &sp.authorize_deny,
            Fail::AuthDeny => &sp.api_deny,
            Fail::NotSupported => &sp.not_supported,
            Fail::PrivateInfos => &sp.private_infos,
            Fail::TapRequired => &sp.tap_required,
            Fail::NoPrivacyGuide => &sp.no_privacy_guide,
            Fail::PrivacyUndeclared => &sp.privacy_undeclared,
            Fail::PrivacyRefused => &sp.privacy_refused,
            Fail::ScopeUnauthorized => &sp.scope_unauthorized,
            Fail::InvalidScope => &sp.invalid_scope,
            Fail::SystemDenied => &sp.system_denied,
            Fail::LocationSwitchOff => &sp.location_switch_off,
            Fail::BluetoothOff => &sp.bluetooth_off,
        };
        pattern.replace("{api}", api)
    }

    /// The errno (D7); `None` where the sources show none.
    pub fn errno(self, profile: &Profile) -> Option<i64> {
        match self {
            Fail::AuthDeny => profile.errno_scope_denied,
            Fail::SystemDenied => profile.errno_system_denied,
            Fail::PrivacyRefused => profile.errno_privacy_refused,
            Fail::PrivacyUndeclared => profile.errno_privacy_undeclared,
            Fail::NoPrivacyGuide => profile.errno_no_privacy_guide,
            Fail::NotSupported => profile.errno_not_supported,
            _ => None,
        }
    }

    /// The rule the failure rests on.
    pub fn rule(self) -> Rule {
        match self {
            Fail::NotSupported => Rule::R36,
            Fail::PrivateInfos => Rule::R22,
            Fail::TapRequired => Rule::R16,
            Fail::NoPrivacyGuide | Fail::PrivacyUndeclared => Rule::R24,
            Fail::PrivacyRefused => Rule::R26,
            Fail::AuthDeny => Rule::R6,
            Fail::ScopeUnauthorized => Rule::D2,
            Fail::InvalidScope => Rule::D11,
            Fail::SystemDenied => Rule::R34,
            Fail::LocationSwitchOff | Fail::BluetoothOff => Rule::R35,
        }
    }
}

/// A native UI the decision needs answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "ui")]
pub enum Ask {
    /// The scope prompt (R5, R10), with the privacy checkbox when R33 applies.
    ScopePrompt { scope: Scope, with_privacy: bool },
    /// Fire `onNeedPrivacyAuthorization(resolve, {referrer})` (R26).
    PrivacyListener { referrer: Api },
    /// The official privacy popup (R28).
    PrivacyPopup { referrer: Api },
    /// The OS asks whether WeChat may use the permission (D12).
    OsPrompt { permission: OsPermission },
}

/// What the caller does next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "kind", content = "detail")]
pub enum Outcome {
    Allow,
    Fail(Fail),
    Ask(Ask),
}

/// A pipeline step of R36.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Step {
    Supported,
    Manifest,
    Plugin,
    Tap,
    PrivacyDeclared,
    PrivacyConsent,
    Scope,
    Os,
    OsSwitch,
}

impl Step {
    pub fn describe(self) -> &'static str {
        match self {
            Step::Supported => "1 api exists in the base library",
            Step::Manifest => {
                "2 manifest declarations (requiredPrivateInfos, permission, background mode)"
            }
            Step::Plugin => "3 plugin restrictions",
            Step::Tap => "4 tap requirement",
            Step::PrivacyDeclared => "5 privacy guide declares the info type",
            Step::PrivacyConsent => "6 privacy consent",
            Step::Scope => "7 scope state",
            Step::Os => "8 os permission",
            Step::OsSwitch => "9 os switch",
        }
    }
}

/// Whether a step let the call through.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum StepResult {
    Pass,
    /// Not relevant to this request.
    Skip,
    Stop,
}

/// The steps that ran, in order. Fixed size: deciding never allocates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trail {
    steps: [(Step, StepResult); 9],
    len: u8,
}

impl Trail {
    fn new() -> Trail {
        Trail {
            steps: [(Step::Supported, StepResult::Skip); 9],
            len: 0,
        }
    }

    fn push(&mut self, step: Step, r: StepResult) {
        if (self.len as usize) < self.steps.len() {
            self.steps[self.len as usize] = (step, r);
            self.len += 1;
        }
    }

    pub fn steps(&self) -> &[(Step, StepResult)] {
        &self.steps[..self.len as usize]
    }
}

impl Serialize for Trail {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.len as usize))?;
        for (step, r) in self.steps() {
            seq.serialize_element(&serde_json::json!({"step": step, "result": r}))?;
        }
        seq.end()
    }
}

/// Something the run should hear about that does not stop the call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "code")]
pub enum Warning {
    /// D10: a location scope without `permission[scope].desc`.
    MissingPermissionDesc { scope: Scope },
}

impl Warning {
    /// The code of [`Warning::MissingPermissionDesc`].
    pub const MISSING_PERMISSION_DESC: &'static str = "missing-permission-desc";

    pub fn code(&self) -> &'static str {
        match self {
            Warning::MissingPermissionDesc { .. } => Warning::MISSING_PERMISSION_DESC,
        }
    }

    pub fn message(&self) -> String {
        match self {
            Warning::MissingPermissionDesc { scope } => format!(
                "`{scope}` is requested but app.json has no `permission[\"{scope}\"].desc`: the prompt shows no purpose line (D10)"
            ),
        }
    }
}

/// The answer to one request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Decision {
    pub outcome: Outcome,
    /// The rule or decision that settled it.
    pub rule: Rule,
    pub trail: Trail,
    /// A state change to append before answering (D4: first use of a retired scope).
    pub record: Option<(Scope, Value)>,
    pub warning: Option<Warning>,
}

impl Decision {
    /// The consent facts this decision read, in pipeline order: the privacy consent of the
    /// request's info type (step 6), the scope's state (step 7, or step 6 when consent is
    /// missing: the merged prompt is for unset scopes only), the OS permission beneath
    /// (step 8): each step that ran and was not skipped. A decision depends on nothing else of
    /// the state, so varying anything else cannot change it (what the explorer branches on).
    pub fn consulted(&self, req: &Request) -> impl Iterator<Item = Subject> + use<> {
        let scope = req.scope();
        let info = req.info_type();
        let os = scope.and_then(|s| s.info().os).or(req.api.info().os);
        let mut out: [Option<Subject>; 3] = [None; 3];
        for (step, r) in self.trail.steps() {
            if *r == StepResult::Skip {
                continue;
            }
            match step {
                Step::PrivacyConsent => {
                    out[0] = info.map(Subject::Privacy);
                    // Missing consent with neither a listener nor R28's gap in the way: whether
                    // the scope prompt carries the agreement (merged) or the popup comes alone
                    // reads the scope's state.
                    let privacy_stop = matches!(
                        self.outcome,
                        Outcome::Fail(Fail::PrivacyRefused)
                            | Outcome::Ask(Ask::PrivacyListener { .. })
                    );
                    if !privacy_stop {
                        out[1] = scope.map(Subject::Scope);
                    }
                }
                Step::Scope => out[1] = scope.map(Subject::Scope),
                Step::Os => out[2] = os.map(Subject::Os),
                _ => {}
            }
        }
        out.into_iter().flatten()
    }

    /// The change to append for `record`, if any.
    pub fn record_change(&self, api: Api, gesture: bool, state: &AppState) -> Option<Change> {
        self.record.map(|(scope, to)| Change {
            subject: Subject::Scope(scope),
            from: state.scope(scope),
            to,
            via: Via::Prompt,
            gesture,
            api: Some(api.as_str().to_string()),
            notice: None,
        })
    }
}

/// The base library an API appeared in (T1, T2), from the `wx` API table
/// ([`crate::wxapi`]); names the table does not have (`RecorderManager.start`) and APIs it
/// gives no version: every base library.
pub fn api_since(api: Api) -> BaseLib {
    crate::wxapi::lookup(api.as_str())
        .and_then(|r| r.since)
        .map_or(BaseLib(1, 0, 0), |(a, b, c)| BaseLib(a, b, c))
}

/// Runs the R36 pipeline. Pure: same inputs, same decision.
pub fn decide(req: &Request, state: &AppState, env: &Env<'_>) -> Decision {
    let mut trail = Trail::new();
    let mut warning = None;
    let profile = env.profile;
    let manifest = env.manifest;
    let done = |outcome: Outcome, rule: Rule, trail: Trail, warning| Decision {
        outcome,
        rule,
        trail,
        record: None,
        warning,
    };
    let stop = |mut trail: Trail, step: Step, fail: Fail, warning| {
        trail.push(step, StepResult::Stop);
        Decision {
            outcome: Outcome::Fail(fail),
            rule: fail.rule(),
            trail,
            record: None,
            warning,
        }
    };

    // 1. The API exists in this base library.
    if profile.base_lib < api_since(req.api) {
        return stop(trail, Step::Supported, Fail::NotSupported, None);
    }
    trail.push(Step::Supported, StepResult::Pass);

    // `authorize`'s own argument: an unknown or empty scope is rejected before anything else (D11).
    if req.api == Api::Authorize {
        match req.scope {
            ScopeArg::Known(s) if s.info().prompt != PromptKind::MiniGameOnly => {}
            _ => {
                let mut d = stop(trail, Step::Scope, Fail::InvalidScope, None);
                d.rule = Rule::D11;
                return d;
            }
        }
    }
    let scope = req.scope();

    // 2. Manifest: requiredPrivateInfos (R22, D10), background mode (R8), permission desc (D10).
    let info = req.api.info();
    if info.private_info
        && (manifest.required_private_infos.is_some() || profile.require_private_infos)
        && !manifest.declares_private_info(req.api)
    {
        return stop(trail, Step::Manifest, Fail::PrivateInfos, None);
    }
    if let Some(s) = scope {
        if s.info().needs_background_mode && !manifest.background_location {
            let mut d = stop(trail, Step::Manifest, Fail::ScopeUnauthorized, None);
            d.rule = Rule::R8;
            return d;
        }
        if s.info().needs_permission_desc && manifest.desc(s).is_none() {
            warning = Some(Warning::MissingPermissionDesc { scope: s });
        }
    }
    trail.push(Step::Manifest, StepResult::Pass);

    // 3. Plugins are not modelled: a project is always a mini-program.
    trail.push(Step::Plugin, StepResult::Skip);

    // 4. Tap-only APIs (R16; D1 decides what a tap context is).
    if info.tap_only {
        let needs = req.api != Api::OpenSetting || profile.base_lib >= profile.opensetting_tap_from;
        if needs && !req.gesture {
            return stop(trail, Step::Tap, Fail::TapRequired, warning);
        }
        trail.push(Step::Tap, StepResult::Pass);
    } else {
        trail.push(Step::Tap, StepResult::Skip);
    }

    // 5 and 6. The privacy layer (R23–R33), off unless the project configures it (D13).
    let info_type = if req.api == Api::RequirePrivacyAuthorize {
        None
    } else {
        req.info_type()
    };
    let privacy_on = profile.base_lib >= profile.privacy_from && manifest.privacy != Privacy::Off;
    let mut with_privacy = false;
    if privacy_on && (info_type.is_some() || req.api == Api::RequirePrivacyAuthorize) {
        if manifest.privacy == Privacy::NoGuide {
            return stop(trail, Step::PrivacyDeclared, Fail::NoPrivacyGuide, warning);
        }
        let declared = manifest.declared_bits();
        if let Some(t) = info_type
            && declared & t.bit() == 0
        {
            return stop(
                trail,
                Step::PrivacyDeclared,
                Fail::PrivacyUndeclared,
                warning,
            );
        }
        trail.push(Step::PrivacyDeclared, StepResult::Pass);

        // requirePrivacyAuthorize asks about every declared type (R31).
        let consented = match info_type {
            Some(t) => state.privacy_granted(t),
            None => InfoType::ALL
                .iter()
                .filter(|t| declared & t.bit() != 0)
                .all(|t| state.privacy_granted(*t)),
        };
        if !consented {
            if env.privacy_listener {
                trail.push(Step::PrivacyConsent, StepResult::Stop);
                return done(
                    Outcome::Ask(Ask::PrivacyListener { referrer: req.api }),
                    Rule::R26,
                    trail,
                    warning,
                );
            }
            let in_gap = state
                .privacy_refused_at
                .is_some_and(|at| req.now - at < profile.privacy_gap_ms);
            if in_gap {
                let mut d = stop(trail, Step::PrivacyConsent, Fail::PrivacyRefused, warning);
                d.rule = Rule::R28;
                return d;
            }
            let merged = profile.base_lib >= profile.merged_privacy_prompt_from
                && scope.is_some_and(|s| {
                    s.info().prompt == PromptKind::Prompt && state.scope(s) == Value::Unset
                });
            if merged {
                with_privacy = true;
            } else {
                trail.push(Step::PrivacyConsent, StepResult::Stop);
                return done(
                    Outcome::Ask(Ask::PrivacyPopup { referrer: req.api }),
                    Rule::R28,
                    trail,
                    warning,
                );
            }
        }
        trail.push(Step::PrivacyConsent, StepResult::Pass);
    } else {
        trail.push(Step::PrivacyDeclared, StepResult::Skip);
        trail.push(Step::PrivacyConsent, StepResult::Skip);
    }
    if req.api == Api::RequirePrivacyAuthorize {
        return done(Outcome::Allow, Rule::R31, trail, warning);
    }

    // 7. Scope state (R4–R10, D2, D4, D5).
    let mut record = None;
    let mut rule = Rule::R4;
    if let Some(s) = scope {
        let v = state.scope(s);
        match s.info().prompt {
            PromptKind::Prompt => match v {
                Value::Granted => {}
                Value::Denied => return stop(trail, Step::Scope, Fail::AuthDeny, warning),
                Value::Unset => {
                    trail.push(Step::Scope, StepResult::Stop);
                    let rule = if with_privacy { Rule::R33 } else { Rule::R5 };
                    return done(
                        Outcome::Ask(Ask::ScopePrompt {
                            scope: s,
                            with_privacy,
                        }),
                        rule,
                        trail,
                        warning,
                    );
                }
            },
            PromptKind::SettingsOnly => match v {
                Value::Granted => {}
                Value::Denied => return stop(trail, Step::Scope, Fail::AuthDeny, warning),
                Value::Unset => {
                    let mut d = stop(trail, Step::Scope, Fail::ScopeUnauthorized, warning);
                    d.rule = Rule::R8;
                    return d;
                }
            },
            PromptKind::Retired => {
                rule = Rule::D4;
                if v != Value::Granted {
                    record = Some((s, Value::Granted));
                }
            }
            PromptKind::NoPrompt => {
                return stop(trail, Step::Scope, Fail::ScopeUnauthorized, warning);
            }
            PromptKind::MiniGameOnly => {
                let mut d = stop(trail, Step::Scope, Fail::InvalidScope, warning);
                d.rule = Rule::D11;
                return d;
            }
        }
        trail.push(Step::Scope, StepResult::Pass);
    } else {
        trail.push(Step::Scope, StepResult::Skip);
    }

    // `authorize` only settles the scope; the OS is asked when the API itself runs (R34).
    if req.api == Api::Authorize {
        return Decision {
            outcome: Outcome::Allow,
            rule,
            trail,
            record,
            warning,
        };
    }

    // 8. The OS permission beneath (R34, D12).
    let os = scope.and_then(|s| s.info().os).or(info.os);
    if let Some(p) = os {
        match state.os(p) {
            Value::Granted => trail.push(Step::Os, StepResult::Pass),
            Value::Denied => {
                let mut d = stop(trail, Step::Os, Fail::SystemDenied, warning);
                d.record = record;
                return d;
            }
            Value::Unset => {
                trail.push(Step::Os, StepResult::Stop);
                return Decision {
                    outcome: Outcome::Ask(Ask::OsPrompt { permission: p }),
                    rule: Rule::D12,
                    trail,
                    record,
                    warning,
                };
            }
        }
    } else {
        trail.push(Step::Os, StepResult::Skip);
    }

    // 9. The OS switch (R35).
    let switch_off = match os {
        Some(OsPermission::Location) => !env.system.location_enabled,
        Some(OsPermission::Bluetooth) => !env.system.bluetooth_enabled,
        _ => false,
    };
    if switch_off {
        let fail = if os == Some(OsPermission::Location) {
            Fail::LocationSwitchOff
        } else {
            Fail::BluetoothOff
        };
        let mut d = stop(trail, Step::OsSwitch, fail, warning);
        d.record = record;
        return d;
    }
    trail.push(
        Step::OsSwitch,
        if os.is_some() {
            StepResult::Pass
        } else {
            StepResult::Skip
        },
    );

    Decision {
        outcome: Outcome::Allow,
        rule: if scope.is_some() { rule } else { Rule::R36 },
        trail,
        record,
        warning,
    }
}

/// A user's answer to an [`Ask`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Answer {
    Allow,
    Deny,
    /// Closing the prompt without an answer (D8: only where the profile allows it).
    Dismiss,
    Agree,
    Disagree,
}

impl Answer {
    pub const ALL: [Answer; 5] = [
        Answer::Allow,
        Answer::Deny,
        Answer::Dismiss,
        Answer::Agree,
        Answer::Disagree,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Answer::Allow => "allow",
            Answer::Deny => "deny",
            Answer::Dismiss => "dismiss",
            Answer::Agree => "agree",
            Answer::Disagree => "disagree",
        }
    }

    /// The answer `as_str` spells `s`; `None` for anything else.
    pub fn parse(s: &str) -> Option<Answer> {
        Answer::ALL.into_iter().find(|a| a.as_str() == s)
    }

    /// A host's answer word to `ask`, where the privacy agreement also takes `allow`/`deny` for
    /// `agree`/`disagree` and the scope and OS prompts take `allow`, `deny` or `dismiss`;
    /// `None` when the word does not answer this kind of prompt.
    pub fn to(ask: &Ask, word: &str) -> Option<Answer> {
        let privacy = matches!(ask, Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. });
        Some(match (Answer::parse(word)?, privacy) {
            (Answer::Allow | Answer::Agree, true) => Answer::Agree,
            (Answer::Deny | Answer::Disagree, true) => Answer::Disagree,
            (a @ (Answer::Allow | Answer::Deny | Answer::Dismiss), false) => a,
            _ => return None,
        })
    }
}

/// After an answer: decide again, or fail with this.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Then {
    Redecide,
    Fail(Fail),
}

/// The changes an answer makes and what follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Resolution {
    pub changes: Vec<Change>,
    pub then: Then,
}

/// The answers each [`Ask`] takes.
pub fn answers_for(ask: &Ask, profile: &Profile) -> &'static [Answer] {
    match ask {
        Ask::ScopePrompt { .. } if profile.prompt_dismissable => {
            &[Answer::Allow, Answer::Deny, Answer::Dismiss]
        }
        Ask::ScopePrompt { .. } | Ask::OsPrompt { .. } => &[Answer::Allow, Answer::Deny],
        Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. } => {
            &[Answer::Agree, Answer::Disagree]
        }
    }
}

/// Applies a user's answer to `ask` for `req`. Pure: returns the changes to append.
pub fn resolve(
    ask: &Ask,
    answer: Answer,
    req: &Request,
    state: &AppState,
    env: &Env<'_>,
) -> Result<Resolution, CoreError> {
    if !answers_for(ask, env.profile).contains(&answer) {
        return Err(CoreError::AnswerMismatch(answer.as_str(), ask_name(ask)));
    }
    let api = Some(req.api.as_str().to_string());
    let privacy_grants = |changes: &mut Vec<Change>| {
        for t in env.manifest.declared_types() {
            if !state.privacy_granted(*t) {
                changes.push(Change {
                    subject: Subject::Privacy(*t),
                    from: Value::Unset,
                    to: Value::Granted,
                    via: Via::Prompt,
                    gesture: req.gesture,
                    api: api.clone(),
                    notice: None,
                });
            }
        }
    };
    let mut changes = Vec::new();
    let then = match (*ask, answer) {
        (
            Ask::ScopePrompt {
                scope,
                with_privacy,
            },
            Answer::Allow | Answer::Deny,
        ) => {
            let to = if answer == Answer::Allow {
                Value::Granted
            } else {
                Value::Denied
            };
            if with_privacy && answer == Answer::Allow {
                privacy_grants(&mut changes);
            }
            changes.push(Change {
                subject: Subject::Scope(scope),
                from: state.scope(scope),
                to,
                via: Via::Prompt,
                gesture: req.gesture,
                api: api.clone(),
                notice: env.manifest.desc(scope).map(str::to_string),
            });
            if to == Value::Granted
                && scope == Scope::UserLocation
                && env.profile.location_grant_clears_background
                && state.scope(Scope::UserLocationBackground) == Value::Granted
            {
                changes.push(Change {
                    subject: Subject::Scope(Scope::UserLocationBackground),
                    from: Value::Granted,
                    to: Value::Denied,
                    via: Via::Prompt,
                    gesture: req.gesture,
                    api: api.clone(),
                    notice: None,
                });
            }
            if answer == Answer::Allow {
                Then::Redecide
            } else {
                Then::Fail(Fail::AuthDeny)
            }
        }
        (Ask::ScopePrompt { .. }, _) => Then::Fail(Fail::AuthDeny),
        (Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. }, Answer::Agree) => {
            privacy_grants(&mut changes);
            Then::Redecide
        }
        (Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. }, _) => {
            let t = req.info_type().or_else(|| {
                env.manifest
                    .declared_types()
                    .iter()
                    .find(|t| !state.privacy_granted(**t))
                    .copied()
            });
            if let Some(t) = t {
                changes.push(Change {
                    subject: Subject::Privacy(t),
                    from: if state.privacy_granted(t) {
                        Value::Granted
                    } else {
                        Value::Unset
                    },
                    to: Value::Denied,
                    via: Via::Prompt,
                    gesture: req.gesture,
                    api: api.clone(),
                    notice: None,
                });
            }
            Then::Fail(Fail::PrivacyRefused)
        }
        (Ask::OsPrompt { permission }, _) => {
            let to = if answer == Answer::Allow {
                Value::Granted
            } else {
                Value::Denied
            };
            changes.push(Change {
                subject: Subject::Os(permission),
                from: state.os(permission),
                to,
                via: Via::Os,
                gesture: req.gesture,
                api,
                notice: None,
            });
            if answer == Answer::Allow {
                Then::Redecide
            } else {
                Then::Fail(Fail::SystemDenied)
            }
        }
    };
    Ok(Resolution { changes, then })
}

fn ask_name(ask: &Ask) -> &'static str {
    match ask {
        Ask::ScopePrompt { .. } => "the scope prompt",
        Ask::PrivacyListener { .. } => "the privacy listener",
        Ask::PrivacyPopup { .. } => "the privacy popup",
        Ask::OsPrompt { .. } => "the os prompt",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_parse_as_they_are_spelled() {
        for a in Answer::ALL {
            assert_eq!(Answer::parse(a.as_str()), Some(a));
        }
        assert_eq!(Answer::parse("ok"), None);
    }

    #[test]
    fn a_hosts_word_answers_its_kind_of_prompt() {
        let scope = Ask::ScopePrompt {
            scope: crate::Scope::Camera,
            with_privacy: false,
        };
        let privacy = Ask::PrivacyPopup {
            referrer: crate::Api::GetLocation,
        };
        assert_eq!(Answer::to(&scope, "allow"), Some(Answer::Allow));
        assert_eq!(Answer::to(&scope, "dismiss"), Some(Answer::Dismiss));
        assert_eq!(Answer::to(&scope, "agree"), None);
        assert_eq!(Answer::to(&privacy, "allow"), Some(Answer::Agree));
        assert_eq!(Answer::to(&privacy, "disagree"), Some(Answer::Disagree));
        assert_eq!(Answer::to(&privacy, "dismiss"), None);
        assert_eq!(Answer::to(&privacy, "yes"), None);
    }
}
