//! D9 / D14: one native UI at a time, first in first out; shared prompts; Promise style (R38).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_core::{OsPermission, Subject, Value};
use miniperm_runtime::{EndReason, Event};

fn uis(o: &miniperm_runtime::RunOutcome) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            Event::Ui { ui, .. } => Some(ui.clone()),
            _ => None,
        })
        .collect()
}

#[test]
fn concurrent_calls_for_one_scope_share_one_prompt() {
    let o = go(&fixture("queue"), &["twice"], "allow");
    assert_eq!(uis(&o), vec!["authorize"]);
    assert_eq!(
        logs(&o),
        vec![
            "first ok authorize:ok",
            "second ok authorize:ok",
            "getLocation ok getLocation:ok"
        ]
    );
    let o = go(&fixture("queue"), &["twice"], "deny");
    assert_eq!(uis(&o), vec!["authorize"]);
    assert_eq!(
        logs(&o),
        vec![
            "first fail authorize:fail auth deny",
            "second fail authorize:fail auth deny",
            "getLocation fail getLocation:fail auth deny"
        ]
    );
}

#[test]
fn native_uis_queue_first_in_first_out() {
    let o = go(&fixture("queue"), &["modalFirst"], "cancel,allow,confirm");
    assert_eq!(uis(&o), vec!["modal", "authorize", "modal"]);
    assert_eq!(
        logs(&o),
        vec![
            "modal ok showModal:ok",
            "camera ok authorize:ok",
            "modal2 ok showModal:ok"
        ]
    );
}

#[test]
fn running_out_of_answers_ends_awaiting() {
    let o = go(&fixture("queue"), &["modalFirst"], "cancel");
    assert_eq!(o.end, EndReason::AwaitingAnswer);
    assert!(matches!(
        o.events.last(),
        Some(Event::End { ui: Some(u), .. }) if u == "authorize"
    ));
}

#[test]
fn promise_style_rejects_with_the_fail_object() {
    let o = go(&fixture("queue"), &["promise"], "deny");
    assert_eq!(logs(&o), vec!["catch getLocation:fail auth deny 103"]);
    assert!(transcript(&o).contains("callback getLocation reject"));
}

#[test]
fn os_denied_fails_with_errno_3_and_keeps_the_scope() {
    let o = run_with(&fixture("queue"), &["promise", "sysinfo"], "allow", |c| {
        c.initial = vec![(Subject::Os(OsPermission::Location), Value::Denied)]
    });
    assert_eq!(
        logs(&o),
        vec![
            "catch getLocation:fail system permission denied 3",
            "\"denied\" true"
        ]
    );
}

#[test]
fn os_not_determined_asks_the_os_once() {
    let o = run_with(&fixture("queue"), &["promise"], "allow,deny", |c| {
        c.initial = vec![(Subject::Os(OsPermission::Location), Value::Unset)]
    });
    assert_eq!(uis(&o), vec!["authorize", "system"]);
    assert_eq!(
        logs(&o),
        vec!["catch getLocation:fail system permission denied 3"]
    );
}

#[test]
fn android_spellings() {
    let o = run_with(&fixture("queue"), &["twice"], "deny", |c| {
        c.profile = miniperm_core::Profile::wechat_android()
    });
    assert_eq!(
        logs(&o),
        vec![
            "first fail authorize:fail:auth deny",
            "second fail authorize:fail:auth deny",
            "getLocation fail getLocation:fail:auth denied"
        ]
    );
}

#[test]
fn an_answer_that_does_not_fit_is_bad_input() {
    let p = fixture("queue");
    let mut store = miniperm_consent::MemoryStore::new();
    let e = try_run_with(&p, &mut store, &["twice"], "confirm", |_| {}).unwrap_err();
    assert!(e.is_bad_input());
    assert_eq!(
        e.to_string(),
        "answer `confirm` does not fit the authorize prompt for `scope.userLocation`"
    );
    // After the deny was stored, the same mistake ends the run `bad-input` with its transcript
    // (issue 9: a run that wrote consent is never "bad input, nothing written").
    let o = try_run_with(
        &example("classic"),
        &mut store,
        &["onLocate"],
        "deny,confirm,settings:scope.camera=on",
        |_| {},
    )
    .unwrap();
    assert_eq!(o.end, EndReason::BadInput);
    assert!(o.events.iter().any(|e| matches!(e,
        Event::Warning { code, message, .. }
            if code == "bad-input" && message.starts_with("answer `settings:scope.camera=on`:"))));
}

#[test]
fn unknown_pages_and_handlers_are_bad_input() {
    let p = fixture("queue");
    let mut store = miniperm_consent::MemoryStore::new();
    let e = try_run_with(&p, &mut store, &[], "", |c| {
        c.page = Some("pages/nope/nope".into())
    })
    .unwrap_err();
    assert_eq!(e.to_string(), "page `pages/nope/nope` is not in app.json");
    let e = try_run_with(&p, &mut store, &["nope"], "", |_| {}).unwrap_err();
    assert_eq!(
        e.to_string(),
        "page `pages/index/index` has no method `nope` to tap"
    );
    let e = try_run_with(&p, &mut store, &["open-type=openSetting"], "", |_| {}).unwrap_err();
    assert!(e.is_bad_input());
}

#[test]
fn an_editable_modal_returns_what_was_typed() {
    let o = go(
        &fixture("queue"),
        &["editable", "editable"],
        "confirm:你好,confirm",
    );
    assert_eq!(logs(&o), vec!["true \"你好\"", "true \"\""]);
    let mut store = miniperm_consent::MemoryStore::new();
    let e = try_run_with(
        &fixture("queue"),
        &mut store,
        &["modalFirst"],
        "confirm:text",
        |_| {},
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("answer `confirm:text` does not fit the modal"),
        "{e}"
    );
}
