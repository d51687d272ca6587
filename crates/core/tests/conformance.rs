//! Data-driven conformance cases: one JSON file per rule of the reference (R1–R40, D1–D15),
//! under `tests/conformance/`, named by its number. Each file holds cases; each case sets a
//! starting state, then runs steps (calls with scripted answers, settings-page switches, resets)
//! and checks errMsg, errno, the UIs shown, the rule, warnings, getSetting and the state.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::collections::VecDeque;
use std::path::Path;

use miniperm_core::settings::SettingsPage;
use miniperm_core::{
    Answer, Api, AppState, Ask, Env, Manifest, Profile, Request, SettingChange, Subject,
    SystemSwitches, Value, Via, apply_settings, auth_setting, drive,
};
use serde::Deserialize;
use serde_json::{Map, Value as Json};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    rule: String,
    title: String,
    cases: Vec<Case>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    profile: Option<String>,
    #[serde(default)]
    base_lib: Option<String>,
    #[serde(default)]
    manifest: Manifest,
    #[serde(default)]
    listener: bool,
    /// Profile knob D10: location-class APIs must be declared even without the field.
    #[serde(default)]
    require_private_infos: bool,
    #[serde(default)]
    system: Option<SystemSwitches2>,
    /// Starting state: subject key → value (`granted|denied|unset`).
    #[serde(default)]
    given: Map<String, Json>,
    steps: Vec<StepSpec>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SystemSwitches2 {
    #[serde(default = "yes")]
    location_enabled: bool,
    #[serde(default = "yes")]
    bluetooth_enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepSpec {
    /// An API name (`authorize`, `getLocation`, ...).
    #[serde(default)]
    call: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    gesture: bool,
    #[serde(default)]
    now: i64,
    #[serde(default)]
    answers: Vec<String>,
    /// Switches flipped on the settings page (`SCOPE=on|off`).
    #[serde(default)]
    settings: Option<Vec<String>>,
    /// `reset` or `remove` (D15).
    #[serde(default)]
    reset: Option<String>,
    /// `wx.getSetting({withSubscriptions})`: checks `expect.result`.
    #[serde(default)]
    get_setting: Option<bool>,
    /// `wx.getPrivacySetting()`: checks `expect.result`.
    #[serde(default)]
    privacy_setting: bool,
    #[serde(default)]
    expect: Expect,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct Expect {
    #[serde(rename = "errMsg", default)]
    err_msg: Option<String>,
    /// `null` = no errno; absent = not checked.
    #[serde(default, deserialize_with = "some")]
    errno: Option<Option<i64>>,
    #[serde(default)]
    asked: Option<Vec<String>>,
    #[serde(default)]
    waiting: Option<String>,
    #[serde(default)]
    rule: Option<String>,
    #[serde(default)]
    warnings: Option<Vec<String>>,
    #[serde(rename = "authSetting", default)]
    auth_setting: Option<Map<String, Json>>,
    /// subject key → value, checked after the step.
    #[serde(default)]
    state: Option<Map<String, Json>>,
    #[serde(default)]
    changes: Option<usize>,
    /// Settings-page rows after the step: scope names in order.
    #[serde(default)]
    rows: Option<Vec<String>>,
    /// Expected error text for a step the engine refuses (a bad switch, a bad answer).
    #[serde(default)]
    error: Option<String>,
    /// The payload of `get_setting` / `privacy_setting`.
    #[serde(default)]
    result: Option<Json>,
}

fn some<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(d).map(Some)
}

fn ask_name(a: &Ask) -> &'static str {
    match a {
        Ask::ScopePrompt {
            with_privacy: false,
            ..
        } => "scope-prompt",
        Ask::ScopePrompt {
            with_privacy: true, ..
        } => "scope-prompt+privacy",
        Ask::PrivacyListener { .. } => "privacy-listener",
        Ask::PrivacyPopup { .. } => "privacy-popup",
        Ask::OsPrompt { .. } => "os-prompt",
    }
}

fn parse_answer(s: &str) -> Answer {
    Answer::parse(s).unwrap_or_else(|| panic!("bad answer `{s}` in a conformance case"))
}

fn check_state(ctx: &str, state: &AppState, want: &Map<String, Json>) {
    for (k, v) in want {
        let subject = Subject::parse(k).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        let got = match subject {
            Subject::Scope(s) => state.scope(s).as_str(),
            Subject::Os(p) => state.os(p).as_str(),
            Subject::Privacy(t) => {
                if state.privacy_granted(t) {
                    "granted"
                } else {
                    "unset"
                }
            }
            Subject::All => panic!("{ctx}: `*` is no state"),
        };
        assert_eq!(Some(got), v.as_str(), "{ctx}: state of `{k}`");
    }
}

fn run_file(path: &Path) {
    let text = std::fs::read_to_string(path).unwrap();
    let file: File =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let stem = path.file_stem().unwrap().to_string_lossy().to_string();
    assert_eq!(
        file.rule.trim_start_matches(['R', 'D']).parse::<u32>().ok(),
        stem.trim_start_matches(['R', 'D']).parse::<u32>().ok(),
        "{stem}: the file is named by its rule"
    );
    assert!(!file.title.is_empty());
    assert!(!file.cases.is_empty(), "{stem}: no cases");
    for case in &file.cases {
        let mut profile = Profile::by_name(case.profile.as_deref().unwrap_or("wechat")).unwrap();
        profile.require_private_infos = case.require_private_infos;
        if let Some(v) = &case.base_lib {
            profile.base_lib = miniperm_core::BaseLib::parse(v).unwrap();
        }
        let sys = case.system.unwrap_or(SystemSwitches2 {
            location_enabled: true,
            bluetooth_enabled: true,
        });
        let env = Env {
            profile: &profile,
            manifest: &case.manifest,
            privacy_listener: case.listener,
            system: SystemSwitches {
                location_enabled: sys.location_enabled,
                bluetooth_enabled: sys.bluetooth_enabled,
                wifi_enabled: true,
            },
        };
        let mut state = AppState::new();
        for (k, v) in &case.given {
            let subject = Subject::parse(k).unwrap();
            let value = Value::parse(v.as_str().unwrap()).unwrap();
            state.apply_change(subject, value, Via::Host, 0);
        }
        for (i, step) in case.steps.iter().enumerate() {
            let ctx = format!("{stem} / {} / step {}", case.name, i + 1);
            let e = &step.expect;
            if let Some(kind) = &step.reset {
                let via = if kind == "remove" {
                    Via::Remove
                } else {
                    Via::Reset
                };
                state.apply_change(Subject::All, Value::Unset, via, step.now);
            } else if let Some(with_subscriptions) = step.get_setting {
                let got = miniperm_core::setting_result(&state, "getSetting", with_subscriptions);
                assert_eq!(Some(&got), e.result.as_ref(), "{ctx}: getSetting result");
            } else if step.privacy_setting {
                let (need, name) = case.manifest.privacy_setting(&state);
                let got =
                    serde_json::json!({"needAuthorization": need, "privacyContractName": name});
                assert_eq!(
                    Some(&got),
                    e.result.as_ref(),
                    "{ctx}: getPrivacySetting result"
                );
            } else if let Some(sw) = &step.settings {
                let changes: Vec<SettingChange> = sw
                    .iter()
                    .map(|s| SettingChange::parse(s).unwrap())
                    .collect();
                match apply_settings(&state, &case.manifest, &changes, step.gesture) {
                    Ok(cs) => {
                        assert!(e.error.is_none(), "{ctx}: expected an error");
                        if let Some(n) = e.changes {
                            assert_eq!(cs.len(), n, "{ctx}: number of changes");
                        }
                        for c in cs {
                            assert_eq!(c.via, Via::Settings);
                            state.apply_change(c.subject, c.to, c.via, step.now);
                        }
                    }
                    Err(err) => assert_eq!(Some(err.to_string()), e.error, "{ctx}: error"),
                }
            } else if let Some(api_name) = &step.call {
                let api = Api::parse(api_name).unwrap_or_else(|| panic!("{ctx}: api `{api_name}`"));
                let req = if api == Api::Authorize {
                    Request::authorize(step.scope.as_deref(), step.gesture, step.now)
                } else {
                    Request::api(api, step.gesture, step.now)
                };
                let mut answers: VecDeque<Answer> =
                    step.answers.iter().map(|a| parse_answer(a)).collect();
                let d = match drive(&req, &mut state, &env, |_| answers.pop_front()) {
                    Ok(d) => d,
                    Err(err) => {
                        assert_eq!(Some(err.to_string()), e.error, "{ctx}: engine error");
                        continue;
                    }
                };
                assert!(e.error.is_none(), "{ctx}: expected an error");
                assert!(answers.is_empty(), "{ctx}: answers left over: {answers:?}");
                let asked: Vec<&str> = d.asked.iter().map(|(a, _)| ask_name(a)).collect();
                if let Some(want) = &e.asked {
                    assert_eq!(&asked, want, "{ctx}: UIs shown");
                }
                if let Some(w) = &e.waiting {
                    assert_eq!(
                        d.waiting.as_ref().map(ask_name),
                        Some(w.as_str()),
                        "{ctx}: waiting"
                    );
                } else {
                    assert!(
                        d.waiting.is_none(),
                        "{ctx}: unexpectedly waiting on {:?}",
                        d.waiting
                    );
                    let (msg, errno) = match d.result {
                        Ok(()) => (format!("{api_name}:ok"), None),
                        Err(f) => (f.err_msg(&profile, api_name), f.errno(&profile)),
                    };
                    if let Some(want) = &e.err_msg {
                        assert_eq!(&msg, want, "{ctx}: errMsg");
                    }
                    if let Some(want) = e.errno {
                        assert_eq!(errno, want, "{ctx}: errno");
                    }
                }
                if let Some(want) = &e.rule {
                    assert_eq!(d.rule.as_str(), want, "{ctx}: rule");
                }
                if let Some(want) = &e.warnings {
                    let got: Vec<&str> = d.warnings.iter().map(|w| w.code()).collect();
                    assert_eq!(&got, want, "{ctx}: warnings");
                }
                if let Some(n) = e.changes {
                    assert_eq!(d.changes.len(), n, "{ctx}: number of changes");
                }
            }
            if let Some(want) = &e.auth_setting {
                assert_eq!(&auth_setting(&state), want, "{ctx}: authSetting");
            }
            if let Some(want) = &e.state {
                check_state(&ctx, &state, want);
            }
            if let Some(want) = &e.rows {
                let page = SettingsPage::new(&state, &case.manifest);
                let got: Vec<String> = page
                    .rows
                    .iter()
                    .map(|r| match r.control {
                        miniperm_core::settings::Control::Location { selected } => {
                            format!(
                                "{}:{}",
                                r.scope,
                                serde_json::to_value(selected).unwrap().as_str().unwrap()
                            )
                        }
                        _ => r.scope.to_string(),
                    })
                    .collect();
                assert_eq!(&got, want, "{ctx}: settings rows");
            }
        }
    }
}

macro_rules! conformance {
    ($($name:ident),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                let file = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance/", stringify!($name), ".json");
                run_file(Path::new(&file.replace(stringify!($name), &stringify!($name).to_uppercase())));
            }
        )*

        #[test]
        fn every_case_file_has_a_test() {
            let listed: Vec<String> = vec![$(stringify!($name).to_uppercase()),*];
            let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/conformance");
            for entry in std::fs::read_dir(dir).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().to_string();
                let stem = name.trim_end_matches(".json").to_string();
                assert!(listed.contains(&stem), "{name} has no test in conformance.rs");
            }
        }
    };
}

conformance!(
    r01, r02, r03, r04, r05, r06, r07, r08, r09, r10, r11, r12, r13, r14, r15, r16, r19, r21, r22,
    r23, r24, r25, r26, r28, r29, r30, r31, r32, r33, r34, r35, r36, r37, d01, d02, d03, d04, d05,
    d06, d07, d08, d09, d10, d11, d12, d13, d14, d15,
);
