//! Render tree flows (issue 8): taps on what the user sees, a wx:if swap to an openSetting
//! button, components with triggerEvent, `<camera>` asking for its scope, a privacy popup
//! component, and `--render` outlines.
mod common;
use common::*;
use miniperm_runtime::{Event, RunError};

fn fx() -> miniperm_runtime::Project {
    fixture("render")
}

fn logs(o: &miniperm_runtime::RunOutcome) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::Log { args, .. } => Some(
                args.iter()
                    .map(|a| a.as_str().map_or_else(|| a.to_string(), str::to_string))
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        })
        .collect()
}

#[test]
fn a_wx_if_swap_is_driven_by_text_selectors_only() {
    let o = go(
        &fx(),
        &["text=开启定位", "text=去设置"],
        "deny,settings:scope.userLocation=on",
    );
    let t = transcript(&o);
    let l = logs(&o);
    assert!(l.contains(&"tapped from main".to_string()), "{t}");
    assert!(
        l.contains(&"location failed getLocation:fail auth deny".to_string()),
        "{t}"
    );
    // after the settings page, bindopensetting retried and the location arrived
    assert!(t.contains("ui  settings"), "{t}");
    assert!(
        t.matches("call wx.getLocation").count() == 2,
        "the flow retries after settings:\n{t}"
    );
    assert!(t.contains("\"denied\":false"), "{t}");
}

#[test]
fn the_hidden_button_cannot_be_tapped() {
    let mut store = miniperm_consent::MemoryStore::new();
    let e = try_run_with(&fx(), &mut store, &["text=去设置"], "", |_| {}).unwrap_err();
    assert!(matches!(e, RunError::NotVisible { .. }), "{e}");
    let m = e.to_string();
    assert!(m.contains("`text=去设置`"), "{m}");
    assert!(
        m.contains("text=开启定位"),
        "the error lists what is tappable: {m}"
    );
    assert!(e.is_bad_input());
}

#[test]
fn selector_forms_reach_the_same_button() {
    for sel in [
        "button.primary",
        ".primary",
        "button[data-source=main]",
        "text=开启定位",
    ] {
        let o = go(&fx(), &[sel], "allow");
        assert!(
            logs(&o).contains(&"tapped from main".to_string()),
            "{sel}:\n{}",
            transcript(&o)
        );
    }
}

#[test]
fn a_tap_bubbles_with_target_and_current_target() {
    let o = go(&fx(), &["onLocate", "text=天河城店"], "allow");
    assert!(
        logs(&o).contains(&"store 9 target 9".to_string()),
        "{}",
        transcript(&o)
    );
}

#[test]
fn a_component_trigger_event_reaches_the_page_handler_with_its_detail() {
    let o = go(
        &fx(),
        &["text=开启定位", "text=打开设置"],
        "deny,settings:scope.userLocation=on",
    );
    let l = logs(&o);
    let t = transcript(&o);
    assert!(l.contains(&"overlay attached".to_string()), "{t}");
    assert!(
        l.contains(&"overlay shown for scope.userLocation".to_string()),
        "{t}"
    );
    assert!(
        l.contains(&"overlay retry scope.userLocation".to_string()),
        "{t}"
    );
}

#[test]
fn a_camera_prompts_when_it_renders_and_binderror_reaches_the_component() {
    let o = run_with(&fx(), &[], "deny", |c| {
        c.page = Some("pages/camera/camera".into())
    });
    let t = transcript(&o);
    assert!(t.contains("ui  authorize scope.camera"), "{t}");
    let l = logs(&o);
    assert!(
        l.contains(&"[components/camera-panel/camera-panel] camera error".to_string()),
        "{t}"
    );
    assert!(
        l.iter()
            .any(|x| x.starts_with("camera blocked: insertCamera:fail")),
        "{t}"
    );
    // the settings button only appears after setData; then selectComponent reopens the camera
    let o = run_with(
        &fx(),
        &["text=去设置开启摄像头"],
        "deny,settings:scope.camera=on",
        |c| c.page = Some("pages/camera/camera".into()),
    );
    let t = transcript(&o);
    assert!(
        logs(&o).contains(&"camera setting now true".to_string()),
        "{t}"
    );
    // the camera shows again with the scope granted: no second prompt, no error
    assert_eq!(t.matches("ui  authorize scope.camera").count(), 1, "{t}");
    assert_eq!(t.matches("camera error").count(), 1, "{t}");
}

#[test]
fn a_camera_with_the_scope_granted_does_not_prompt() {
    let o = run_with(&fx(), &[], "", |c| {
        c.page = Some("pages/camera/camera".into());
        c.initial = vec![(
            miniperm_core::Subject::Scope(miniperm_core::Scope::Camera),
            miniperm_core::Value::Granted,
        )];
    });
    let t = transcript(&o);
    assert!(!t.contains("ui  authorize"), "{t}");
    assert!(!t.contains("camera error"), "{t}");
}

#[test]
fn a_privacy_popup_component_answers_the_listener() {
    let o = go(&fixture("render_privacy"), &["onLocate"], "agree,allow");
    let t = transcript(&o);
    let l = logs(&o);
    assert!(l.contains(&"page heard agree".to_string()), "{t}");
    assert!(l.iter().any(|x| x.starts_with("got ")), "{t}");
}

#[test]
fn render_events_show_the_outline() {
    let o = run_with(&fx(), &["text=开启定位"], "deny", |c| c.render = true);
    let renders: Vec<&Event> = o
        .events
        .iter()
        .filter(|e| matches!(e, Event::Render { .. }))
        .collect();
    assert_eq!(renders.len(), 2, "one render after each settle");
    insta::assert_snapshot!("render_swap_after_deny", transcript(&o));
}
