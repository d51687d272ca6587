//! The transcript tells the truth (issue 7, part 4): program order, `undefined` kept, an
//! unregistered page reported, deterministic time and randomness, terminal-safe human output.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_runtime::{Event, render_human};
use serde_json::json;

fn position(o: &miniperm_runtime::RunOutcome, pred: impl Fn(&Event) -> bool) -> usize {
    o.events
        .iter()
        .position(pred)
        .unwrap_or_else(|| panic!("event not found in\n{}", transcript(o)))
}

fn is_call(e: &Event, name: &str) -> bool {
    matches!(e, Event::Call { api, .. } if api == name)
}

#[test]
fn a_top_level_call_in_app_js_comes_before_the_page() {
    let o = go(&fixture("truth"), &[], "");
    let call = position(&o, |e| is_call(e, "getSetting"));
    let ready = position(
        &o,
        |e| matches!(e, Event::Page { action, .. } if action == "load"),
    );
    assert!(call < ready, "{}", transcript(&o));
}

#[test]
fn a_call_made_in_a_later_microtask_comes_after_open_setting() {
    let o = go(&fixture("truth"), &["onSettings"], "settings");
    let open = position(&o, |e| is_call(e, "openSetting"));
    let later = o
        .events
        .refs()
        .into_iter()
        .rposition(|e| is_call(e, "getSetting"))
        .unwrap_or(0);
    assert!(open < later, "{}", transcript(&o));
}

#[test]
fn calls_before_relaunch_are_printed_before_it() {
    let o = go(&fixture("truth"), &["onRestart"], "allow");
    let loc = position(&o, |e| is_call(e, "getLocation"));
    let relaunch = position(&o, |e| is_call(e, "reLaunch"));
    let nav = position(&o, |e| matches!(e, Event::Navigate { .. }));
    assert!(loc < relaunch && relaunch <= nav, "{}", transcript(&o));
    let get = o
        .events
        .iter()
        .enumerate()
        .filter(|(_, e)| is_call(e, "getSetting"))
        .map(|(i, _)| i)
        .last()
        .unwrap_or(0);
    assert!(get < nav, "{}", transcript(&o));
}

#[test]
fn undefined_stays_undefined() {
    let o = go(&fixture("truth"), &[], "");
    let t = transcript(&o);
    assert!(
        t.contains("log log: app saw undefined"),
        "getSetting's unset scope is undefined, not null:\n{t}"
    );
    assert!(
        t.contains("log log: unset is undefined and null is null"),
        "{t}"
    );
    assert!(t.contains("\"picked\":undefined"), "{t}");
    // JSON keeps the distinction with an explicit encoding
    let log = o
        .events
        .iter()
        .find_map(|e| match e {
            Event::Log { args, .. } if args.first() == Some(&json!("unset is")) => Some(args),
            _ => None,
        })
        .expect("the log line");
    assert_eq!(log[1], json!({"$undefined": true}));
    assert_eq!(log[3], json!(null));
}

#[test]
fn a_page_that_never_calls_page_is_reported_without_lifecycle() {
    let o = go(&fixture("truth"), &["onBlank"], "");
    let t = transcript(&o);
    assert!(t.contains("Page[pages/blank/blank] not found"), "{t}");
    assert!(!t.contains("page load pages/blank/blank"), "{t}");
    assert!(!t.contains("page show pages/blank/blank"), "{t}");
    assert!(t.contains("blank module ran"), "{t}");
}

#[test]
fn time_and_randomness_are_deterministic() {
    let a = transcript(&go(&fixture("truth"), &["onRandom"], ""));
    let b = transcript(&go(&fixture("truth"), &["onRandom"], ""));
    assert_eq!(a, b);
    assert!(a.contains("2026-01-01T00:00:00.000Z"), "{a}");
    // the tap comes one virtual second after launch
    assert!(a.contains(" 1000\n") || a.ends_with(" 1000"), "{a}");
    let c = transcript(&run_with(&fixture("truth"), &["onRandom"], "", |cfg| {
        cfg.seed = 7;
        cfg.now_ms = 0;
    }));
    assert_ne!(a, c);
    assert!(c.contains("1970-01-01T00:00:00.000Z"), "{c}");
}

#[test]
fn human_output_escapes_control_characters() {
    let o = go(&fixture("truth"), &["onShout"], "confirm");
    for e in &o.events {
        for color in [false, true] {
            let line = render_human(e, color);
            let stripped = line
                .replace("\x1b[0m", "")
                .replace("\x1b[1m", "")
                .replace("\x1b[2m", "");
            let stripped = (30..=37).fold(stripped, |s, n| s.replace(&format!("\x1b[{n}m"), ""));
            assert!(
                !stripped.contains('\x1b')
                    && !stripped.contains('\x07')
                    && !stripped.contains('\r'),
                "{line:?}"
            );
            if !matches!(e, Event::Error { .. }) {
                assert!(!line.contains('\n'), "{line:?}");
            }
        }
    }
    let t = transcript(&o);
    assert!(
        t.contains("\\e[2J\\u{7}hi\\r\\n  ← allow\\n■ end idle"),
        "{t}"
    );
    assert!(t.contains("line1\\nline2"), "{t}");
}

#[test]
fn project_lib_version_decides_availability_unless_overridden() {
    let p = fixture("oldlib");
    assert_eq!(p.lib_version(), Some((2, 30, 0)));
    let t = transcript(&go(&p, &[], ""));
    assert!(t.contains("log log: privacy api undefined false"), "{t}");
    assert!(t.contains("log log: setting api function true"), "{t}");
    let t = transcript(&run_with(&p, &[], "", |c| c.base_lib = Some((3, 15, 2))));
    assert!(t.contains("log log: privacy api function true"), "{t}");
}
