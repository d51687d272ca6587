//! The finding rules: each reads one path's transcript (the JSON events of DESIGN.md's
//! transcript table) and names the defects it shows.
//!
//! Working on the transcript contract, not on runtime internals, keeps the rules honest: a
//! finding is always something a developer can see again with the printed `miniperm run` line.

use miniperm_core::catalogue::{APIS, PromptKind, Scope};
use serde::Serialize;
use serde_json::Value as Json;

/// Stable finding codes (issue 4).
pub const CODES: &[(&str, &str)] = &[
    ("no-retry-after-settings", "R15"),
    ("opensetting-without-tap", "R16, D1"),
    ("unset-treated-as-denied", "R2, R14"),
    ("nag-loop", "R6, D9"),
    ("silent-deny", "R5, R10"),
    ("unhandled-fail", "R37, R38"),
    ("uncaught-error", "DESIGN.md `miniperm run`"),
    ("prompt-on-launch", "R5"),
    ("missing-permission-desc", "R21, D10"),
    ("missing-private-info", "R22"),
    ("retired-scope", "R3, R7, D2, D4"),
];

/// The rule a code rests on.
pub fn rule_of(code: &str) -> &'static str {
    CODES
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, r)| *r)
        .unwrap_or("")
}

/// One defect seen on one path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hit {
    pub code: &'static str,
    pub message: String,
}

fn ty(e: &Json) -> &str {
    e.get("type").and_then(Json::as_str).unwrap_or("")
}

fn s<'a>(e: &'a Json, k: &str) -> &'a str {
    e.get(k).and_then(Json::as_str).unwrap_or("")
}

fn err_msg(e: &Json) -> &str {
    e.get("res")
        .and_then(|r| r.get("errMsg"))
        .and_then(Json::as_str)
        .unwrap_or("")
}

fn is_fail_kind(e: &Json) -> bool {
    matches!(s(e, "kind"), "fail" | "reject")
}

/// The scope a `call` event is about: `authorize`'s argument or the guarded API's scope.
pub fn call_scope(e: &Json) -> Option<Scope> {
    let api = s(e, "api");
    if api == "authorize" {
        return e
            .get("args")
            .and_then(|a| a.get("scope"))
            .and_then(Json::as_str)
            .and_then(Scope::parse);
    }
    APIS.iter().find(|a| a.name == api).and_then(|a| a.scope)
}

/// A user's denial surfaced to the mini-program (scope, OS or privacy).
fn is_denial(msg: &str) -> bool {
    msg.contains("auth deny")
        || msg.contains("auth denied")
        || msg.contains("system permission denied")
        || msg.contains("privacy permission is not authorized")
}

/// Scopes switched on by a settings answer such as `settings:scope.userLocation=on;scope.camera=off`.
fn switched_on(answer: &str) -> Vec<Scope> {
    answer
        .strip_prefix("settings:")
        .unwrap_or("")
        .split(';')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(_, v)| *v == "on")
        .filter_map(|(k, _)| Scope::parse(k))
        .collect()
}

fn ui_key(e: &Json) -> Option<String> {
    match s(e, "ui") {
        "modal" => Some(format!("modal:{}:{}", s(e, "title"), s(e, "content"))),
        "settings" => Some("settings".into()),
        _ => None,
    }
}

/// Runs every rule over one path's events.
pub fn analyse(events: &[Json]) -> Vec<Hit> {
    let mut hits = Vec::new();
    let mut push = |code: &'static str, message: String| {
        if !hits
            .iter()
            .any(|h: &Hit| h.code == code && h.message == message)
        {
            hits.push(Hit { code, message });
        }
    };
    let first_tap = events.iter().position(|e| ty(e) == "tap");

    for (i, e) in events.iter().enumerate() {
        match ty(e) {
            "answer" if s(e, "ui") == "settings" => {
                for scope in switched_on(s(e, "answer")) {
                    let retried = events[i + 1..]
                        .iter()
                        .take_while(|x| ty(x) != "tap")
                        .any(|x| ty(x) == "call" && call_scope(x) == Some(scope));
                    if !retried {
                        push(
                            "no-retry-after-settings",
                            format!(
                                "the user switched `{scope}` on in settings and the flow ended without calling `authorize` or a guarded API again"
                            ),
                        );
                    }
                }
            }
            "callback"
                if s(e, "api") == "openSetting"
                    && is_fail_kind(e)
                    && err_msg(e).contains("TAP gesture") =>
            {
                push(
                    "opensetting-without-tap",
                    "`wx.openSetting` was called outside a tap context and failed: the settings page never opened".into(),
                );
            }
            "callback" if is_fail_kind(e) && err_msg(e).contains("requiredPrivateInfos") => {
                push(
                    "missing-private-info",
                    format!(
                        "`{}` is not listed in app.json `requiredPrivateInfos`: it fails with `{}`",
                        s(e, "api"),
                        err_msg(e)
                    ),
                );
            }
            "callback" if is_fail_kind(e) && is_denial(err_msg(e)) => {
                let heard = events[i + 1..]
                    .iter()
                    .take_while(|x| ty(x) != "tap")
                    .any(|x| matches!(ty(x), "ui" | "navigate" | "data"));
                if !heard {
                    push(
                        "silent-deny",
                        format!(
                            "`{}` failed with `{}` and the user was told nothing (no modal, toast, navigation or data change)",
                            s(e, "api"),
                            err_msg(e)
                        ),
                    );
                }
            }
            "ui" if matches!(s(e, "ui"), "authorize" | "system" | "privacy")
                && first_tap.is_none_or(|t| i < t) =>
            {
                push(
                    "prompt-on-launch",
                    format!(
                        "a {} prompt{} appears before the user tapped anything",
                        s(e, "ui"),
                        e.get("scope")
                            .and_then(Json::as_str)
                            .map(|sc| format!(" for `{sc}`"))
                            .unwrap_or_default()
                    ),
                );
            }
            "ui" if matches!(s(e, "ui"), "modal" | "settings") => {
                // A "please enable" modal or the settings page, reached from getSetting, with no
                // sign of any denial so far: the scope was never asked.
                let before = &events[..i];
                let dispatch_start = before.iter().rposition(|x| ty(x) == "tap").unwrap_or(0);
                let window = &before[dispatch_start..];
                let read_settings = window
                    .iter()
                    .any(|x| ty(x) == "callback" && s(x, "api") == "getSetting");
                let evidence = before.iter().any(|x| {
                    (ty(x) == "callback" && is_denial(err_msg(x)))
                        || (ty(x) == "ui"
                            && matches!(s(x, "ui"), "authorize" | "system" | "privacy"))
                        || (ty(x) == "callback"
                            && s(x, "api") == "getSetting"
                            && x.get("res")
                                .and_then(|r| r.get("authSetting"))
                                .and_then(Json::as_object)
                                .is_some_and(|m| m.values().any(|v| v == &Json::Bool(false))))
                });
                if read_settings && !evidence {
                    push(
                        "unset-treated-as-denied",
                        format!(
                            "the flow showed {} for a scope that was never asked (getSetting lists an unasked scope as absent, not false)",
                            if s(e, "ui") == "settings" {
                                "the settings page".to_string()
                            } else {
                                format!("the modal `{}`", s(e, "title"))
                            }
                        ),
                    );
                }
                // The same modal or settings page again after the user declined it.
                if let Some(key) = ui_key(e) {
                    let dispatch_start = before.iter().rposition(|x| ty(x) == "tap").unwrap_or(0);
                    let declined_before = before[dispatch_start..].windows(2).any(|w| {
                        ty(&w[0]) == "ui"
                            && ui_key(&w[0]).as_deref() == Some(key.as_str())
                            && ty(&w[1]) == "answer"
                            && matches!(s(&w[1], "answer"), "cancel" | "settings")
                    });
                    if declined_before {
                        push(
                            "nag-loop",
                            format!(
                                "{} comes back after the user declined it",
                                if key == "settings" {
                                    "the settings page".to_string()
                                } else {
                                    format!("the modal `{}`", s(e, "title"))
                                }
                            ),
                        );
                    }
                }
            }
            "error" => push(
                "uncaught-error",
                format!(
                    "uncaught exception in mini-program code: {}",
                    s(e, "message")
                ),
            ),
            "warning" => match s(e, "code") {
                "missing-permission-desc" => {
                    push("missing-permission-desc", s(e, "message").to_string())
                }
                "unhandled-fail" | "unhandled-rejection" => {
                    push("unhandled-fail", s(e, "message").to_string())
                }
                _ => {}
            },
            "call" if s(e, "api") == "authorize" => {
                if let Some(scope) = call_scope(e) {
                    let kind = scope.info().prompt;
                    if matches!(kind, PromptKind::Retired | PromptKind::NoPrompt) {
                        push(
                            "retired-scope",
                            format!(
                                "`wx.authorize` for `{scope}` never shows a prompt ({})",
                                if kind == PromptKind::Retired {
                                    "its authorization was retired: the API works without it"
                                } else {
                                    "use the avatar and nickname fill-in instead"
                                }
                            ),
                        );
                    }
                }
            }
            _ => {}
        }
    }
    hits
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn no_retry_after_settings() {
        let ev = vec![
            json!({"type":"tap","route":"pages/index/index","handler":"onLocate"}),
            json!({"type":"ui","ui":"settings"}),
            json!({"type":"answer","ui":"settings","answer":"settings:scope.userLocation=on"}),
            json!({"type":"callback","api":"openSetting","kind":"success","res":{"errMsg":"openSetting:ok"}}),
        ];
        assert_eq!(analyse(&ev)[0].code, "no-retry-after-settings");
        let mut fixed = ev.clone();
        fixed.push(json!({"type":"call","api":"getLocation","args":{}}));
        assert!(
            analyse(&fixed)
                .iter()
                .all(|h| h.code != "no-retry-after-settings")
        );
    }

    #[test]
    fn silent_deny_and_heard_deny() {
        let ev = vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            json!({"type":"callback","api":"authorize","kind":"fail","res":{"errMsg":"authorize:fail auth deny","errno":103}}),
        ];
        assert_eq!(analyse(&ev)[0].code, "silent-deny");
        let mut heard = ev.clone();
        heard.push(json!({"type":"ui","ui":"toast","title":"未授权"}));
        assert!(analyse(&heard).is_empty());
    }

    #[test]
    fn nag_loop() {
        let m = json!({"type":"ui","ui":"modal","title":"需要权限","content":"去设置"});
        let ev = vec![
            json!({"type":"tap","route":"p","handler":"h"}),
            m.clone(),
            json!({"type":"answer","ui":"modal","answer":"cancel"}),
            m,
        ];
        assert!(analyse(&ev).iter().any(|h| h.code == "nag-loop"));
    }

    #[test]
    fn prompt_on_launch() {
        let ev = vec![json!({"type":"ui","ui":"authorize","scope":"scope.userLocation"})];
        assert_eq!(analyse(&ev)[0].code, "prompt-on-launch");
    }

    #[test]
    fn every_code_has_a_rule() {
        for (c, r) in CODES {
            assert!(!r.is_empty(), "{c}");
        }
    }
}
