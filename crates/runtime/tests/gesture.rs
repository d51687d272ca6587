//! D1: what carries the user's tap, and what does not.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;

const TAP_FAIL: &str = "openSetting:fail can only be invoked by user TAP gesture.";

fn one(handler: &str, answers: &str) -> Vec<String> {
    logs(&go(&fixture("gesture"), &[handler], answers))
}

#[test]
fn a_tap_handler_has_the_gesture() {
    assert_eq!(one("syncOpen", "settings"), vec!["sync opened"]);
}

#[test]
fn a_modal_callback_keeps_the_tap() {
    assert_eq!(
        one("modalCallback", "confirm,settings"),
        vec!["modal-callback opened"]
    );
}

#[test]
fn an_action_sheet_callback_keeps_the_tap() {
    assert_eq!(
        one("sheetCallback", "sheet:1,settings"),
        vec!["sheet-1 opened"]
    );
}

#[test]
fn a_settings_page_callback_keeps_the_tap() {
    assert_eq!(
        one("settingsThenOpen", "settings,settings"),
        vec!["settings-callback opened"]
    );
}

#[test]
fn a_promise_continuation_loses_it() {
    assert_eq!(
        one("modalPromise", "confirm"),
        vec![format!("modal-promise {TAP_FAIL}")]
    );
}

#[test]
fn await_loses_it() {
    assert_eq!(one("awaited", ""), vec![format!("await {TAP_FAIL}")]);
}

#[test]
fn a_timer_loses_it() {
    assert_eq!(one("timer", ""), vec![format!("timer {TAP_FAIL}")]);
}

#[test]
fn a_non_ui_callback_has_none() {
    assert_eq!(
        one("nonUi", ""),
        vec![format!("getSetting-callback {TAP_FAIL}")]
    );
}

#[test]
fn on_show_has_none() {
    let o = run_with(&fixture("gesture"), &[], "", |c| {
        c.query = Some("onshow=1".into())
    });
    assert_eq!(logs(&o), vec![format!("onShow {TAP_FAIL}")]);
}

#[test]
fn below_base_lib_2_3_0_open_setting_needs_no_tap() {
    let o = run_with(&fixture("gesture"), &["timer"], "settings", |c| {
        c.profile.base_lib = miniperm_core::BaseLib(2, 2, 0)
    });
    assert_eq!(logs(&o), vec!["timer opened"]);
}

#[test]
fn the_open_setting_button_calls_its_handler_after_the_page() {
    let o = go(&fixture("gesture"), &["open-type=openSetting"], "settings");
    let t = transcript(&o);
    assert!(
        t.contains("▸ tap pages/index/index open-type=openSetting"),
        "{t}"
    );
    assert!(t.contains("ui  settings (no rows)"), "{t}");
    assert!(
        matches!(
            o.end,
            miniperm_runtime::EndReason::Idle | miniperm_runtime::EndReason::AwaitingAnswer
        ) && !o
            .events
            .iter()
            .any(|e| matches!(e, miniperm_runtime::Event::Error { .. }))
    );
}
