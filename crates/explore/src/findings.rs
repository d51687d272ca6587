//! The finding rules: each reads one path's transcript (typed [`Event`]s, DESIGN.md's transcript
//! table) and names the defects it shows, each at the call site it is about.
//!
//! Working on the transcript contract, not on runtime internals, keeps the rules honest: a
//! finding is always something a developer can see again with the printed `miniperm run` line.
//!
//! A call site is its source location (`at` on `call`, `callback` and `warning` events). The
//! rules pair a call with its results through it, and one call site gets one of
//! `opensetting-without-tap`, `unhandled-fail` and `silent-deny`, the most specific.
//!
//! No rule reads errMsg text: a failure is the engine's typed [`Fail`] carried by the callback
//! or warning event, an answer is parsed by the runtime's [`UiAnswer`], what a flow read of its
//! consent is the run's [`Observation`]s. Where each code is decided:
//! - `no-retry-after-settings`: a settings answer that switches on a scope the path tried and
//!   failed to get (a call for it whose result carried a failure, or a getSetting read that
//!   found it denied), with no call that uses the scope afterwards in that dispatch;
//! - `opensetting-without-tap`: an `openSetting` result or unhandled failure of
//!   [`Fail::TapRequired`];
//! - `unset-treated-as-denied`: `openSetting` called in a dispatch that read, from a
//!   getSetting result, only scopes that were unset (never denied), with no denial since;
//! - `nag-loop`: the same modal or settings page again after the user cancelled or left it;
//! - `silent-deny`: a denial ([`Fail::is_denial`]) a callback received, and nothing the user can
//!   see followed in that dispatch (no UI, no navigation, no data change);
//! - `unhandled-fail`: a failure nothing received (the runtime's `unhandled-fail` warning: no
//!   fail/complete callback), or a rejection nothing handled (`unhandled-rejection`, linked by
//!   the runtime to the call whose result was rejected);
//! - `uncaught-error`, `prompt-on-launch`, `missing-permission-desc` (the engine's warning),
//!   `missing-private-info` ([`Fail::PrivateInfos`]), `retired-scope` (the catalogue's prompt
//!   kind of the scope `authorize` asked for).

use std::fmt;

use miniperm_core::catalogue::{APIS, PromptKind, Scope};
use miniperm_core::{Fail, FindingCode, Subject, UiAnswer, UiKind, Value};
use miniperm_runtime::{Event, Observation, Observed, Repeats};
use serde::{Deserialize, Serialize};
use serde_json::Value as Json;

/// Stable finding codes (issue 4) and what they rest on, as reports write them (the words are
/// core's [`FindingCode`]).
pub fn codes() -> impl Iterator<Item = (&'static str, String)> {
    FindingCode::ALL.iter().map(|c| (c.as_str(), c.basis()))
}

/// One line of help per code (SARIF rule descriptions, `--help`); empty for an unknown code.
pub fn describe(code: &str) -> &'static str {
    FindingCode::parse(code).map_or("", FindingCode::describe)
}

/// What a code rests on (`R16, D1`); empty for an unknown code.
pub fn rule_of(code: &str) -> String {
    FindingCode::parse(code).map_or_else(String::new, FindingCode::basis)
}

/// A code's place in the catalogue (reports list findings in this order); unknown codes last.
pub fn rank(code: &str) -> usize {
    FindingCode::parse(code)
        .and_then(|c| FindingCode::ALL.iter().position(|x| *x == c))
        .unwrap_or(usize::MAX)
}

/// Where in the mini-program's source a finding is: the call it is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Location {
    /// Project-relative path, as app.json names pages (`pages/index/index.js`).
    pub file: String,
    /// 1-based.
    pub line: u32,
    /// 1-based.
    pub column: u32,
}

impl Location {
    /// Parses `file:line:col` (an event's `at`, or a stack frame's position).
    pub fn parse(at: &str) -> Option<Location> {
        let mut parts = at.rsplitn(3, ':');
        let column = parts.next()?.parse().ok()?;
        let line = parts.next()?.parse().ok()?;
        let file = parts.next()?.to_string();
        if file.is_empty() || file.starts_with('<') {
            return None;
        }
        Some(Location { file, line, column })
    }

    /// The first project frame of a (mapped) QuickJS stack: `    at fn (file:line:col)`.
    pub fn from_stack(stack: &str) -> Option<Location> {
        stack.lines().find_map(|l| {
            let l = l.trim().trim_end_matches(')');
            let pos = l.rsplit([' ', '(']).next()?;
            Location::parse(pos)
        })
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One defect seen on one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub code: FindingCode,
    pub message: String,
    pub location: Option<Location>,
}

fn err_msg(res: &Json) -> &str {
    res.get("errMsg").and_then(Json::as_str).unwrap_or("")
}

fn loc(at: Option<&str>) -> Option<Location> {
    at.and_then(Location::parse)
}

fn is_tap(e: &Event) -> bool {
    matches!(e, Event::Tap { .. })
}

fn detail<'a>(e: &'a Event, k: &str) -> &'a str {
    match e {
        Event::Ui { detail, .. } => detail.get(k).and_then(Json::as_str).unwrap_or(""),
        _ => "",
    }
}

/// The scope a `call` is about: `authorize`'s argument or the guarded API's scope.
pub fn call_scope(api: &str, args: &Json) -> Option<Scope> {
    if api == "authorize" {
        return args
            .get("scope")
            .and_then(Json::as_str)
            .and_then(Scope::parse);
    }
    APIS.iter().find(|a| a.name == api).and_then(|a| a.scope)
}

/// True when calling `api` uses what `scope` grants: its own scope, a guard of it, or the same
/// kind of private information (`chooseLocation` after `scope.userLocation` was switched on).
fn serves(api: &str, args: &Json, scope: Scope) -> bool {
    if call_scope(api, args) == Some(scope) || scope.info().guards.contains(&api) {
        return true;
    }
    let info = scope.info().info;
    info.is_some() && APIS.iter().any(|a| a.name == api && a.info == info)
}

/// Scopes a settings-page answer switches on (`settings:scope.userLocation=on;…`), as the
/// runtime parses answers.
fn switched_on(answer: &str) -> Vec<Scope> {
    match answer.parse::<UiAnswer>() {
        Ok(UiAnswer::Settings(changes)) => changes
            .into_iter()
            .filter(|c| c.on)
            .map(|c| c.scope)
            .collect(),
        _ => Vec::new(),
    }
}

/// The user turned a UI down: cancelled a modal, or left the settings page unchanged.
fn declined(answer: &str) -> bool {
    match answer.parse::<UiAnswer>() {
        Ok(UiAnswer::Cancel) => true,
        Ok(UiAnswer::Settings(changes)) => changes.is_empty(),
        _ => false,
    }
}

/// A runtime warning that a failure reached nothing: no callback, or a rejection nothing
/// handled.
fn is_unhandled(code: &str) -> bool {
    code == miniperm_runtime::warning::UNHANDLED_FAIL
        || code == miniperm_runtime::warning::UNHANDLED_REJECTION
}

/// The engine's failure a callback carries (none for a success, or a failure the engine did
/// not decide: a cancelled picker, a file not found).
fn failure_of(e: &Event) -> Option<Fail> {
    match e {
        Event::Callback { failure, .. } | Event::Warning { failure, .. } => *failure,
        _ => None,
    }
}

/// The scopes the path tried and failed to get before event `i`: a call that asked for the
/// scope (`authorize`, or an API it guards) whose result carried an engine failure, or a read
/// of its getSetting value that found it denied (the flow learnt it had failed).
fn failed_before(events: &[&Event], observations: &[Observation], i: usize) -> Vec<Scope> {
    let mut out: Vec<Scope> = observations
        .iter()
        .filter(|o| o.after <= i && o.how == Observed::Read && o.value == Value::Denied)
        .filter_map(|o| match o.subject {
            Subject::Scope(s) => Some(s),
            _ => None,
        })
        .collect();
    for (j, e) in events[..i].iter().enumerate() {
        let Event::Callback { api, at, .. } = e else {
            continue;
        };
        if failure_of(e).is_none() {
            continue;
        }
        // The call this result belongs to: the latest call of that api from the same site.
        let scope = events[..j].iter().rev().find_map(|c| match c {
            Event::Call {
                api: a,
                args,
                at: t,
                ..
            } if a == api && t == at => Some(call_scope(a, args)),
            _ => None,
        });
        if let Some(Some(s)) = scope
            && !out.contains(&s)
        {
            out.push(s);
        }
    }
    out
}

/// The events from `i` on, up to the next tap (one dispatch of the user's).
fn rest_of_dispatch<'a>(events: &[&'a Event], i: usize) -> impl Iterator<Item = &'a Event> {
    events[i..].iter().copied().take_while(|x| !is_tap(x))
}

/// The start of the dispatch holding event `i`.
fn dispatch_start(events: &[&Event], i: usize) -> usize {
    events[..i].iter().rposition(|e| is_tap(e)).unwrap_or(0)
}

/// Something the user can see, or an attempt to show them the settings.
fn tells_user(e: &Event) -> bool {
    match e {
        Event::Ui { .. } | Event::Navigate { .. } | Event::Data { .. } => true,
        Event::Call { api, .. } => {
            matches!(api.as_str(), "openSetting" | "openAppAuthorizeSetting")
        }
        _ => false,
    }
}

/// The call site of the closest call before `i` that matches.
fn call_before(events: &[&Event], i: usize, f: impl Fn(&str) -> bool) -> Option<Location> {
    events[..i].iter().rev().find_map(|x| match x {
        Event::Call { api, at, .. } if f(api) => loc(at.as_deref()),
        _ => None,
    })
}

/// Specificity among the codes that can land on one failing call site: the higher wins.
fn specificity(code: FindingCode) -> u8 {
    match code {
        FindingCode::OpensettingWithoutTap | FindingCode::MissingPrivateInfo => 3,
        FindingCode::UnhandledFail => 2,
        FindingCode::SilentDeny => 1,
        _ => 0,
    }
}

/// Runs every rule over one path's events and the consent facts it observed.
pub fn analyse(events: &[&Event], observations: &[Observation]) -> Vec<Hit> {
    let mut hits: Vec<Hit> = Vec::new();
    let mut push = |code: FindingCode, message: String, location: Option<Location>| {
        if !hits
            .iter()
            .any(|h| h.code == code && h.message == message && h.location == location)
        {
            hits.push(Hit {
                code,
                message,
                location,
            });
        }
    };
    let first_tap = events.iter().position(|e| is_tap(e));
    let repeats = Repeats::keys(events.iter().copied());

    for (i, e) in events.iter().enumerate() {
        match e {
            Event::Answer { ui, answer } if UiKind::parse(ui) == Some(UiKind::Settings) => {
                let tried = failed_before(events, observations, i);
                for scope in switched_on(answer).into_iter().filter(|s| tried.contains(s)) {
                    let retried = rest_of_dispatch(events, i + 1).any(
                        |x| matches!(x, Event::Call { api, args, .. } if serves(api, args, scope)),
                    );
                    if !retried {
                        push(
                            FindingCode::NoRetryAfterSettings,
                            format!(
                                "`{scope}` failed, the user switched it on in settings, and the flow ended without calling `authorize` or an api that uses it again"
                            ),
                            call_before(events, i, |a| a == "openSetting"),
                        );
                    }
                }
            }
            Event::Callback {
                api, kind, res, at, ..
            } => {
                let Some(fail) = failure_of(e) else {
                    continue;
                };
                let msg = err_msg(res);
                if fail == Fail::TapRequired && api == "openSetting" {
                    push(
                        FindingCode::OpensettingWithoutTap,
                        "`wx.openSetting` was called outside a tap context and failed: the settings page never opened".into(),
                        loc(at.as_deref()),
                    );
                } else if fail == Fail::PrivateInfos {
                    push(
                        FindingCode::MissingPrivateInfo,
                        format!("`{api}` is not listed in app.json `requiredPrivateInfos`: it fails with `{msg}`"),
                        loc(at.as_deref()),
                    );
                } else if fail.is_denial() {
                    // A fail callback followed by the same call's complete: judge at the complete.
                    let complete_follows = matches!(
                        events.get(i + 1),
                        Some(Event::Callback { api: a2, kind: k2, at: t2, .. })
                            if a2 == api && k2 == "complete" && t2 == at
                    );
                    if complete_follows && kind != "complete" {
                        continue;
                    }
                    let heard = rest_of_dispatch(events, i + 1).any(tells_user);
                    if !heard {
                        push(
                            FindingCode::SilentDeny,
                            format!(
                                "`{api}` failed with `{msg}` and the user was told nothing (no modal, toast, navigation or data change)"
                            ),
                            loc(at.as_deref()),
                        );
                    }
                }
            }
            Event::Ui { ui, .. }
                if UiKind::parse(ui).is_some_and(UiKind::is_prompt)
                    && first_tap.is_none_or(|t| i < t) =>
            {
                let scope = detail(e, "scope");
                push(
                    FindingCode::PromptOnLaunch,
                    format!(
                        "a {ui} prompt{} appears before the user tapped anything",
                        if scope.is_empty() {
                            String::new()
                        } else {
                            format!(" for `{scope}`")
                        }
                    ),
                    call_before(events, i, |_| true),
                );
            }
            Event::Call { api, at, .. } if api == "openSetting" => {
                // The flow heads for the settings page on the word of a getSetting result it
                // read in this dispatch where every scope it read was unset (never asked), with
                // no denial since: it took "never asked" for "denied" (R14). Judged on what the
                // flow read (the run's observations), not on what the result listed.
                let start = dispatch_start(events, i);
                let read: Vec<&Observation> = observations
                    .iter()
                    .filter(|o| {
                        o.how == Observed::Read
                            && o.after > start
                            && o.after <= i
                            && matches!(o.subject, Subject::Scope(_))
                    })
                    .collect();
                let all_unset = !read.is_empty() && read.iter().all(|o| o.value == Value::Unset);
                let denial_since = events[start..i]
                    .iter()
                    .any(|x| failure_of(x).is_some_and(Fail::is_denial));
                if all_unset && !denial_since {
                    push(
                        FindingCode::UnsetTreatedAsDenied,
                        "the flow sent the user to the settings page although the scope it read from getSetting was never asked (absent, not false): ask with `authorize` or the api first".into(),
                        loc(at.as_deref()),
                    );
                }
            }
            Event::Ui { ui, .. }
                if matches!(UiKind::parse(ui), Some(UiKind::Modal | UiKind::Settings)) =>
            {
                // The same modal or settings page again after the user declined it.
                if let Some(key) = &repeats[i] {
                    let start = dispatch_start(events, i);
                    let declined_before = (start..i).any(|j| {
                        repeats[j].as_ref() == Some(key)
                            && matches!(events.get(j + 1), Some(Event::Answer { answer, .. }) if declined(answer))
                    });
                    if declined_before {
                        push(
                            FindingCode::NagLoop,
                            format!(
                                "{} comes back after the user declined it",
                                if UiKind::parse(ui) == Some(UiKind::Settings) {
                                    "the settings page".to_string()
                                } else {
                                    format!("the modal `{}`", detail(e, "title"))
                                }
                            ),
                            call_before(events, i, |a| {
                                matches!(a, "showModal" | "openSetting")
                            }),
                        );
                    }
                }
            }
            Event::Error { message, stack } => push(
                FindingCode::UncaughtError,
                format!("uncaught exception in mini-program code: {message}"),
                Location::from_stack(stack),
            ),
            Event::Warning {
                code, message, at, ..
            } => match code.as_str() {
                c if c == miniperm_core::Warning::MISSING_PERMISSION_DESC => push(
                    FindingCode::MissingPermissionDesc,
                    message.clone(),
                    loc(at.as_deref()).or_else(|| call_before(events, i, |_| true)),
                ),
                c if is_unhandled(c) && failure_of(e) == Some(Fail::TapRequired) =>
                {
                    push(
                        FindingCode::OpensettingWithoutTap,
                        "`wx.openSetting` was called outside a tap context and failed: the settings page never opened".into(),
                        loc(at.as_deref()),
                    )
                }
                // A failure nothing received, or the rejection of a failed call's result that
                // nothing handled (the runtime links it to that call's site).
                c if is_unhandled(c) => {
                    push(FindingCode::UnhandledFail, message.clone(), loc(at.as_deref()))
                }
                _ => {}
            },
            Event::Call { api, args, at } if api == "authorize" => {
                if let Some(scope) = call_scope(api, args) {
                    let kind = scope.info().prompt;
                    if matches!(kind, PromptKind::Retired | PromptKind::NoPrompt) {
                        push(
                            FindingCode::RetiredScope,
                            format!(
                                "`wx.authorize` for `{scope}` never shows a prompt ({})",
                                if kind == PromptKind::Retired {
                                    "its authorization was retired: the API works without it"
                                } else {
                                    "use the avatar and nickname fill-in instead"
                                }
                            ),
                            loc(at.as_deref()),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    // One call site, one of the failure codes: the most specific.
    let best_at = |h: &Hit| {
        hits.iter()
            .filter(|o| o.location.is_some() && o.location == h.location)
            .map(|o| specificity(o.code))
            .max()
            .unwrap_or(0)
    };
    let keep: Vec<bool> = hits
        .iter()
        .map(|h| {
            specificity(h.code) == 0 || h.location.is_none() || specificity(h.code) >= best_at(h)
        })
        .collect();
    hits.iter()
        .zip(keep)
        .filter(|(_, k)| *k)
        .map(|(h, _)| h.clone())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// [`super::analyse`] over a list of events (the explorer passes references).
    fn analyse(events: &[Event], observations: &[Observation]) -> Vec<Hit> {
        super::analyse(&events.iter().collect::<Vec<_>>(), observations)
    }

    fn ev(v: Json) -> Event {
        serde_json::from_value(v).unwrap()
    }

    fn evs(v: Vec<Json>) -> Vec<Event> {
        v.into_iter().map(ev).collect()
    }

    #[test]
    fn no_retry_after_settings() {
        let e = evs(vec![
            json!({"type":"tap","route":"pages/index/index","handler":"onLocate"}),
            json!({"type":"call","api":"getLocation","args":{},"at":"pages/index/index.js:4:5"}),
            json!({"type":"callback","api":"getLocation","kind":"fail","res":{"errMsg":"getLocation:fail auth deny"},"at":"pages/index/index.js:4:5","failure":"auth-deny"}),
            json!({"type":"ui","ui":"toast","title":"denied"}),
            json!({"type":"call","api":"openSetting","args":{},"at":"pages/index/index.js:9:5"}),
            json!({"type":"ui","ui":"settings"}),
            json!({"type":"answer","ui":"settings","answer":"settings:scope.userLocation=on"}),
            json!({"type":"callback","api":"openSetting","kind":"success","res":{"errMsg":"openSetting:ok"}}),
        ]);
        let h = analyse(&e, &[]);
        assert_eq!(h[0].code, FindingCode::NoRetryAfterSettings, "{h:?}");
        assert_eq!(
            h[0].location.as_ref().map(ToString::to_string).as_deref(),
            Some("pages/index/index.js:9:5")
        );
        for api in ["getLocation", "chooseLocation", "authorize"] {
            let mut fixed = e.clone();
            fixed.push(ev(
                json!({"type":"call","api":api,"args":{"scope":"scope.userLocation"}}),
            ));
            assert!(
                analyse(&fixed, &[])
                    .iter()
                    .all(|h| h.code != FindingCode::NoRetryAfterSettings),
                "{api} is a retry"
            );
        }
    }

    #[test]
    fn silent_deny_and_heard_deny() {
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"callback","api":"authorize","kind":"fail","res":{"errMsg":"authorize:fail auth deny","errno":103},"failure":"auth-deny"}),
        ]);
        assert_eq!(analyse(&e, &[])[0].code, FindingCode::SilentDeny);
        let mut heard = e.clone();
        heard.push(ev(json!({"type":"ui","ui":"toast","title":"未授权"})));
        assert!(analyse(&heard, &[]).is_empty());
    }

    #[test]
    fn complete_only_denial_is_silent() {
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"callback","api":"saveImageToPhotosAlbum","kind":"complete","res":{"errMsg":"saveImageToPhotosAlbum:fail auth deny"},"at":"a.js:1:1","failure":"auth-deny"}),
        ]);
        assert_eq!(analyse(&e, &[])[0].code, FindingCode::SilentDeny);
    }

    #[test]
    fn one_site_one_failure_code() {
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"callback","api":"saveImageToPhotosAlbum","kind":"reject","res":{"errMsg":"saveImageToPhotosAlbum:fail auth deny"},"at":"a.js:3:5","failure":"auth-deny"}),
            json!({"type":"warning","code":"unhandled-rejection","message":"a promise was rejected and nothing handles it: {\"errMsg\":\"saveImageToPhotosAlbum:fail auth deny\"}","at":"a.js:3:5","failure":"auth-deny"}),
        ]);
        let h = analyse(&e, &[]);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].code, FindingCode::UnhandledFail);
        assert_eq!(h[0].location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn nag_loop() {
        let m = json!({"type":"ui","ui":"modal","title":"需要权限","content":"去设置"});
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            m.clone(),
            json!({"type":"answer","ui":"modal","answer":"cancel"}),
            m,
        ]);
        assert!(
            analyse(&e, &[])
                .iter()
                .any(|h| h.code == FindingCode::NagLoop)
        );
    }

    #[test]
    fn prompt_on_launch() {
        let e = evs(vec![
            json!({"type":"ui","ui":"authorize","scope":"scope.userLocation"}),
        ]);
        assert_eq!(analyse(&e, &[])[0].code, FindingCode::PromptOnLaunch);
    }

    #[test]
    fn locations_parse() {
        let l = Location::parse("pages/a/b.js:12:5").unwrap();
        assert_eq!((l.file.as_str(), l.line, l.column), ("pages/a/b.js", 12, 5));
        assert_eq!(Location::parse("<miniperm>:1:2"), None);
        assert_eq!(Location::parse("nope"), None);
        let s = "    at onTap (pages/index/index.js:7:11)\n    at <anonymous> (<miniperm>:3:4)";
        assert_eq!(Location::from_stack(s).unwrap().line, 7);
    }

    #[test]
    fn no_retry_needs_a_failed_attempt_first() {
        // a page whose only action opens the settings page: nothing was tried, nothing to retry
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"call","api":"openSetting","args":{},"at":"a.js:9:5"}),
            json!({"type":"ui","ui":"settings"}),
            json!({"type":"answer","ui":"settings","answer":"settings:scope.record=on"}),
        ]);
        assert!(analyse(&e, &[]).is_empty(), "{:?}", analyse(&e, &[]));
    }

    #[test]
    fn unset_treated_as_denied_reads_what_the_flow_read() {
        use miniperm_runtime::{Observation, Observed};
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"call","api":"getSetting","args":{},"at":"a.js:2:5"}),
            json!({"type":"callback","api":"getSetting","kind":"success","res":{"authSetting":{"scope.camera":false},"errMsg":"getSetting:ok"},"at":"a.js:2:5"}),
            json!({"type":"ui","ui":"modal","title":"去设置"}),
            json!({"type":"answer","ui":"modal","answer":"confirm"}),
            json!({"type":"call","api":"openSetting","args":{},"at":"a.js:6:9"}),
        ]);
        let read = |v: Value| Observation {
            after: 3,
            subject: Subject::Scope(Scope::UserLocation),
            value: v,
            how: Observed::Read,
        };
        // the flow read scope.userLocation (never asked) and sent the user to settings; that
        // another scope is listed denied does not excuse it
        let h = analyse(&e, &[read(Value::Unset)]);
        assert!(
            h.iter()
                .any(|h| h.code == FindingCode::UnsetTreatedAsDenied),
            "{h:?}"
        );
        // it read it denied: sending the user to settings is right
        assert!(analyse(&e, &[read(Value::Denied)]).is_empty());
        // it read nothing: nothing to judge
        assert!(analyse(&e, &[]).is_empty());
    }

    #[test]
    fn a_rejection_nothing_handles_is_unhandled_fail_at_its_call() {
        // a promisifying wrapper: the fail callback rejects, nothing catches the rejection
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"call","api":"getLocation","args":{},"at":"lib/wx.js:3:7"}),
            json!({"type":"callback","api":"getLocation","kind":"fail","res":{"errMsg":"getLocation:fail auth deny"},"at":"lib/wx.js:3:7","failure":"auth-deny"}),
            json!({"type":"warning","code":"unhandled-rejection","message":"a promise was rejected and nothing handles it","at":"lib/wx.js:3:7","failure":"auth-deny"}),
        ]);
        let h = analyse(&e, &[]);
        assert_eq!(h.len(), 1, "{h:?}");
        assert_eq!(h[0].code, FindingCode::UnhandledFail);
        assert_eq!(h[0].location.as_ref().unwrap().line, 3);
    }

    #[test]
    fn a_failure_is_judged_by_its_type_not_its_words() {
        // errMsg text that looks like a denial, with no engine failure: nothing to find
        let e = evs(vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"callback","api":"request","kind":"fail","res":{"errMsg":"request:fail auth deny"},"at":"a.js:1:1"}),
        ]);
        assert!(analyse(&e, &[]).is_empty());
    }

    #[test]
    fn every_code_has_a_rule_and_a_description() {
        for (c, r) in codes() {
            assert!(!r.is_empty(), "{c}");
            assert!(!describe(c).is_empty(), "{c}");
        }
    }
}
