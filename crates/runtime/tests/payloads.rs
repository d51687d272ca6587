//! Every API miniperm answers (handling engine, native-ui, picker, local, simulated; shape sync
//! or callback) returns the fields the typings require, each of the right JSON type class.
mod common;
use common::*;

use miniperm_consent::MemoryStore;
use miniperm_core::wxapi::{self, Handling, Shape};
use miniperm_runtime::{Event, UiAnswer, UiRequest, run};
use serde_json::Value as Json;

/// Simulated APIs not on this branch yet (the `sim` branch builds them): skipped by name
/// (`cloud.` covers every `wx.cloud` method).
const PENDING_SIMULATED: &[&str] = &[];

/// Fields the typings call required that WeChat leaves out in the case the test makes:
/// downloadFile answers `filePath` only when a `filePath` was asked for (else `tempFilePath`).
const NOT_ALWAYS_THERE: &[(&str, &str)] = &[("downloadFile", "filePath")];

/// Every answer the user can be asked for, positive: allow, agree, confirm, first item, pick.
fn yes(ui: &UiRequest) -> Option<UiAnswer> {
    Some(match ui {
        UiRequest::Authorize { .. } | UiRequest::System { .. } => UiAnswer::Allow,
        UiRequest::Privacy { .. } => UiAnswer::Agree,
        UiRequest::Modal { .. } => UiAnswer::Confirm,
        UiRequest::ActionSheet { .. } => UiAnswer::Sheet(0),
        UiRequest::Settings { .. } => UiAnswer::Settings(Vec::new()),
        UiRequest::Picker { .. } => UiAnswer::Pick,
    })
}

fn in_scope(r: &wxapi::ApiRow) -> bool {
    matches!(
        r.handling,
        Handling::Engine
            | Handling::NativeUi
            | Handling::Picker
            | Handling::Local
            | Handling::Simulated
    ) && matches!(r.shape, Shape::Sync | Shape::Callback)
}

/// What a payload lacks against the row: missing required fields and wrong type classes.
fn check(row: &wxapi::ApiRow, v: &Json) -> Vec<String> {
    let mut bad = Vec::new();
    if row.shape == Shape::Sync {
        if let Some(t) = row.returns
            && !v.is_null()
            && !t.admits(v)
        {
            bad.push(format!("returns {v} (want {})", t.as_str()));
        }
        if row.returns.is_some() && v.is_null() && row.returns != Some(wxapi::Ty::Any) {
            bad.push("returns nothing".into());
        }
    }
    for f in row.result_fields {
        match v.get(f.name) {
            None if f.required && !NOT_ALWAYS_THERE.contains(&(row.name, f.name)) => {
                bad.push(format!("no `{}`", f.name))
            }
            None => {}
            Some(x) if !f.ty.admits(x) => {
                bad.push(format!("`{}` is {x} (want {})", f.name, f.ty.as_str()))
            }
            Some(_) => {}
        }
    }
    bad
}

fn payload(o: &miniperm_runtime::RunOutcome) -> Result<Json, String> {
    for e in &o.events {
        if let Event::Log { args, .. } = e {
            let tag = args.first().and_then(Json::as_str).unwrap_or("");
            let body = args.get(1).and_then(Json::as_str).unwrap_or("null");
            match tag {
                "payload" => return serde_json::from_str(body).map_err(|e| e.to_string()),
                "failed" => return Err(format!("failed {body}")),
                "missing" => return Err("absent from wx".into()),
                _ => {}
            }
        }
    }
    Err(format!("no result; transcript:\n{}", transcript(o)))
}

#[test]
fn every_answered_api_returns_the_typed_fields() {
    let project = fixture("payloads");
    let mut checked = 0;
    let mut skipped = Vec::new();
    let mut problems = Vec::new();
    for row in wxapi::rows().filter(|r| in_scope(r)) {
        if PENDING_SIMULATED
            .iter()
            .any(|p| row.name == *p || (p.ends_with('.') && row.name.starts_with(p)))
        {
            skipped.push(row.name);
            continue;
        }
        let mut cfg = miniperm_runtime::RunConfig::new(&project);
        cfg.now_ms = 1_767_225_600_000;
        let shape = if row.shape == Shape::Sync {
            "sync"
        } else {
            "callback"
        };
        cfg.query = Some(format!("api={}&shape={shape}", row.name));
        cfg.taps = vec!["go".into()];
        if row.name == "startLocationUpdateBackground" {
            // background location is granted in the settings page, never by a prompt
            cfg.initial.push((
                miniperm_core::Subject::Scope(miniperm_core::Scope::UserLocationBackground),
                miniperm_core::Value::Granted,
            ));
        }
        let mut store = MemoryStore::new();
        let mut user = yes;
        let o = match run(&project, &cfg, &mut store, &mut user) {
            Ok(o) => o,
            Err(e) => {
                problems.push(format!("{}: run failed: {e}", row.name));
                continue;
            }
        };
        checked += 1;
        match payload(&o) {
            Ok(v) => {
                let bad = check(row, &v);
                if !bad.is_empty() {
                    problems.push(format!("{}: {}", row.name, bad.join(", ")));
                }
            }
            Err(e) => problems.push(format!("{}: {e}", row.name)),
        }
    }
    eprintln!(
        "payloads: {checked} APIs checked; skipped: {}",
        skipped.join(", ")
    );
    assert!(checked > 60, "only {checked} APIs checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_check_catches_a_missing_or_mistyped_field() {
    let row = wxapi::lookup("getWindowInfo").unwrap();
    let v = serde_json::json!({"pixelRatio": "3"});
    let bad = check(row, &v);
    assert!(
        bad.iter().any(|b| b.starts_with("`pixelRatio` is")),
        "{bad:?}"
    );
    assert!(bad.iter().any(|b| b == "no `safeArea`"), "{bad:?}");
}

#[test]
fn scripted_answers_still_work_with_the_fixture() {
    // The fixture with a plain scripted user: a location call prompts and is allowed.
    let project = fixture("payloads");
    let o = run_with(&project, &["go"], "allow", |c| {
        c.query = Some("api=getLocation&shape=callback".into());
    });
    let v = payload(&o).unwrap();
    assert!(v.get("latitude").is_some_and(Json::is_number), "{v}");
}

#[test]
fn not_supported_apis_behave_as_their_shape_and_warn_once() {
    let o = go(&fixture("wxtable"), &["shapes"], "");
    let l = logs(&o);
    assert_eq!(
        l,
        [
            "sync undefined",
            "listener undefined",
            "factory object function undefined",
            "then undefined",
            "sync call order",
            "scan fail scanCode:fail not supported",
            "scan fail again scanCode:fail not supported",
            "scan rejected scanCode:fail not supported",
        ],
        "{}",
        transcript(&o)
    );
    let warnings: Vec<String> = o
        .events
        .iter()
        .filter_map(|e| match e {
            Event::Warning { code, message, .. } if code == "not-supported" => {
                Some(message.clone())
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        warnings,
        [
            "wx.scanCode is not supported by miniperm: it fails with `scanCode:fail not supported`",
            "wx.getBatteryInfoSync is not supported by miniperm: it returns undefined",
            "wx.onAccelerometerChange is not supported by miniperm: its listener is never called",
            "wx.offAccelerometerChange is not supported by miniperm: it does nothing (the matching `on` listener is never called)",
            "wx.createMapContext is not supported by miniperm: the object it returns does nothing",
            "wx.createMapContext().moveToLocation is not supported by miniperm: it returns undefined",
        ]
    );
}

#[test]
fn the_base_library_decides_what_wx_has_and_what_can_i_use_says() {
    let p = fixture("wxtable");
    let old = run_with(&p, &["presence"], "", |c| c.base_lib = Some((2, 19, 0)));
    assert_eq!(
        logs(&old),
        [
            "undefined undefined function",
            "false true true false false true false false false",
            "false false true true true function false",
            "again true function false true true true"
        ]
    );
    let new = run_with(&p, &["presence"], "", |c| c.base_lib = Some((2, 32, 3)));
    assert_eq!(
        logs(&new),
        [
            "function function function",
            "true true true false true true false false false",
            "true true true true true function false",
            "again true function true true true true"
        ]
    );
    // the profile's base library when the run gives none
    let default = go(&p, &["presence"], "");
    assert_eq!(logs(&default)[0], "function function function");
}
