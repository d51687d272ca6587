//! D10 warning, the openSetting button's handler gesture, and the two transcript formats.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_runtime::{EndReason, Event, render_human};

#[test]
fn a_location_scope_without_permission_desc_warns_and_proceeds() {
    let o = go(&fixture("nodesc"), &["locate"], "allow");
    assert!(
        o.events.iter().any(|e| matches!(e,
        Event::Warning { code, .. } if code == "missing-permission-desc")),
        "{}",
        transcript(&o)
    );
    assert_eq!(logs(&o), vec!["getLocation:ok"]);
    // the prompt shows no purpose line
    assert!(
        transcript(&o).contains("ui  authorize scope.userLocation\n"),
        "{}",
        transcript(&o)
    );
}

#[test]
fn the_bindopensetting_handler_runs_in_a_gesture() {
    let o = go(
        &fixture("nodesc"),
        &["locate", "open-type=openSetting"],
        "allow,settings:scope.userLocation=off,settings",
    );
    assert_eq!(
        logs(&o),
        vec![
            "getLocation:ok",
            "back {\"scope.userLocation\":false}",
            "reopened from the button handler"
        ],
        "{}",
        transcript(&o)
    );
}

#[test]
fn human_and_json_forms() {
    let ev = Event::Callback {
        api: "authorize".into(),
        kind: "fail".into(),
        res: serde_json::json!({"errMsg": "authorize:fail auth deny", "errno": 103}),
        at: None,
        failure: Some(miniperm_core::Fail::AuthDeny),
    };
    assert_eq!(
        render_human(&ev, false),
        "  callback authorize fail {\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}"
    );
    assert!(render_human(&ev, true).starts_with("\x1b[31m"));
    assert_eq!(
        serde_json::to_string(&ev).unwrap(),
        "{\"type\":\"callback\",\"api\":\"authorize\",\"kind\":\"fail\",\"res\":{\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}}"
    );
    let end = Event::End {
        reason: EndReason::AwaitingAnswer,
        ui: Some("modal".into()),
    };
    assert_eq!(
        serde_json::to_string(&end).unwrap(),
        "{\"type\":\"end\",\"reason\":\"awaiting-answer\",\"ui\":\"modal\"}"
    );
    assert_eq!(render_human(&end, false), "■ end awaiting-answer (modal)");
    let back: Event = serde_json::from_str(&serde_json::to_string(&end).unwrap()).unwrap();
    assert_eq!(back, end);
}
