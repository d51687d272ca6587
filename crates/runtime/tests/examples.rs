//! Transcript snapshots of examples/ under the answer combinations that matter, deny memory
//! across runs, and the privacy layer (104, 112).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_core::{OsPermission, Scope, Subject, Value};
use miniperm_store::{ConsentStore, MemoryStore, SqliteStore};

fn snap(example_name: &str, taps: &[&str], answers: &str, start: &[(Subject, Value)]) -> String {
    let start = start.to_vec();
    let o = run_with(&example(example_name), taps, answers, |c| c.initial = start);
    transcript(&o)
}

#[test]
fn classic() {
    let tap = &["onLocate"];
    insta::assert_snapshot!(
        "classic_deny_confirm_settings_on",
        snap(
            "classic",
            tap,
            "deny,confirm,settings:scope.userLocation=on",
            &[]
        )
    );
    insta::assert_snapshot!("classic_allow", snap("classic", tap, "allow", &[]));
    insta::assert_snapshot!(
        "classic_deny_cancel",
        snap("classic", tap, "deny,cancel", &[])
    );
    insta::assert_snapshot!(
        "classic_denied_before",
        snap(
            "classic",
            tap,
            "confirm,settings:scope.userLocation=on",
            &[(Subject::Scope(Scope::UserLocation), Value::Denied)]
        )
    );
    insta::assert_snapshot!(
        "classic_os_denied",
        snap(
            "classic",
            tap,
            "allow",
            &[(Subject::Os(OsPermission::Location), Value::Denied)]
        )
    );
}

#[test]
fn classic_done_when() {
    let t = snap(
        "classic",
        &["onLocate"],
        "deny,confirm,settings:scope.userLocation=on",
        &[],
    );
    for needle in [
        "ui  authorize scope.userLocation",
        "callback authorize fail {\"errMsg\":\"authorize:fail auth deny\",\"errno\":103}",
        "ui  modal",
        "ui  settings [scope.userLocation=off]",
        "callback openSetting success {\"authSetting\":{\"scope.userLocation\":true},\"errMsg\":\"openSetting:ok\"}",
        "■ end idle",
    ] {
        assert!(t.contains(needle), "missing {needle} in\n{t}");
    }
    assert!(!t.contains("getLocation"), "classic never retries");
}

#[test]
fn corrected() {
    let tap = &["onLocate"];
    insta::assert_snapshot!("corrected_deny", snap("corrected", tap, "deny", &[]));
    insta::assert_snapshot!(
        "corrected_denied_before_settings_on",
        snap(
            "corrected",
            tap,
            "confirm,settings:scope.userLocation=on",
            &[(Subject::Scope(Scope::UserLocation), Value::Denied)]
        )
    );
}

#[test]
fn album() {
    insta::assert_snapshot!(
        "album_deny_confirm_settings_on",
        snap(
            "album",
            &["onSave"],
            "deny,confirm,settings:scope.writePhotosAlbum=on",
            &[]
        )
    );
    insta::assert_snapshot!(
        "album_button",
        snap(
            "album",
            &["onSave", "open-type=openSetting"],
            "deny,cancel,settings:scope.writePhotosAlbum=on",
            &[]
        )
    );
}

#[test]
fn record() {
    insta::assert_snapshot!(
        "record_allow",
        snap("record", &["onRecord", "onStop"], "allow", &[])
    );
    insta::assert_snapshot!(
        "record_deny_settings_on",
        snap(
            "record",
            &["onRecord"],
            "deny,confirm,settings:scope.record=on",
            &[]
        )
    );
}

#[test]
fn privacy() {
    insta::assert_snapshot!(
        "privacy_agree_allow",
        snap("privacy", &["onLocate"], "agree,allow", &[])
    );
    let t = snap("privacy", &["onLocate"], "disagree", &[]);
    assert!(
        t.contains(
            "\"errMsg\":\"getLocation:fail privacy permission is not authorized\",\"errno\":104"
        ),
        "{t}"
    );
    insta::assert_snapshot!("privacy_disagree", t);
}

#[test]
fn settings_button() {
    insta::assert_snapshot!(
        "settings_button_deny_then_button",
        snap(
            "settings-button",
            &["onShoot", "open-type=openSetting"],
            "deny,settings:scope.camera=on",
            &[]
        )
    );
}

#[test]
fn privacy_not_declared_is_112_without_ui() {
    let o = go(&fixture("privacy112"), &["locate"], "");
    assert_eq!(
        logs(&o),
        vec!["getLocation:fail api scope is not declared in the privacy agreement 112"]
    );
}

#[test]
fn official_popup_without_listener_and_the_gap() {
    let o = go(&fixture("popup"), &["require", "require"], "disagree");
    assert_eq!(
        logs(&o),
        vec![
            "requirePrivacyAuthorize:fail privacy permission is not authorized 104",
            "requirePrivacyAuthorize:fail privacy permission is not authorized 104"
        ]
    );
    // the second call came within the 10-second gap: no second popup (R28)
    assert_eq!(transcript(&o).matches("ui  privacy").count(), 1);
    let o = go(&fixture("popup"), &["require", "locate"], "agree,allow");
    assert_eq!(
        logs(&o),
        vec!["requirePrivacyAuthorize:ok", "getLocation:ok"]
    );
}

#[test]
fn merged_privacy_prompt_from_3_4_2() {
    let o = go(&fixture("popup"), &["locate"], "allow");
    let t = transcript(&o);
    assert!(
        t.contains("ui  authorize scope.userLocation \"测试\" [+privacy]"),
        "{t}"
    );
    assert_eq!(logs(&o), vec!["getLocation:ok"]);
}

fn temp_db(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!(
        "miniperm-runtime-{}-{name}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0)
    ));
    std::fs::create_dir_all(&d).unwrap();
    d.join("consent.sqlite")
}

#[test]
fn a_denial_survives_to_the_next_run_and_clear_brings_the_prompt_back() {
    let path = temp_db("deny");
    let p = example("classic");
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let o = try_run_with(&p, &mut store, &["onLocate"], "deny,cancel", |_| {}).unwrap();
        assert!(transcript(&o).contains("ui  authorize"));
    }
    {
        let mut store = SqliteStore::open(&path).unwrap();
        let o = try_run_with(&p, &mut store, &["onLocate"], "cancel", |_| {}).unwrap();
        let t = transcript(&o);
        assert!(!t.contains("ui  authorize"), "{t}");
        assert!(t.contains("authorize:fail auth deny"), "{t}");
        // the log: the prompt's denial, stamped by the virtual clock, gesture false
        let log = store.log("default", "wxdemo0001").unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].to, Value::Denied);
        assert_eq!(log[0].api.as_deref(), Some("authorize"));
        // devtools "clear authorization data"
        let meta = miniperm_core::EventMeta {
            at: 0,
            user: "default".into(),
            app: "wxdemo0001".into(),
            channel: miniperm_core::Channel::Develop,
            profile: "wechat".into(),
        };
        store
            .append(vec![miniperm_core::ConsentEvent::new(
                &meta,
                miniperm_core::Change {
                    subject: Subject::All,
                    from: Value::Unset,
                    to: Value::Unset,
                    via: miniperm_core::Via::Reset,
                    gesture: false,
                    api: None,
                    notice: None,
                },
            )])
            .unwrap();
        let o = try_run_with(&p, &mut store, &["onLocate"], "allow", |_| {}).unwrap();
        assert!(transcript(&o).contains("ui  authorize"));
    }
    let _ = std::fs::remove_dir_all(path.parent().unwrap());
}

#[test]
fn state_changes_are_in_the_store_before_the_callback() {
    // initial states are host events; the prompt's answer is appended with the api and gesture
    let mut store = MemoryStore::new();
    let p = example("settings-button");
    try_run_with(&p, &mut store, &["onShoot"], "allow", |c| {
        c.initial = vec![(Subject::Os(OsPermission::Camera), Value::Granted)]
    })
    .unwrap();
    let log = store.log("default", "wxdemo0006").unwrap();
    assert_eq!(log.len(), 2);
    assert_eq!(log[0].via, miniperm_core::Via::Host);
    assert_eq!(log[1].via, miniperm_core::Via::Prompt);
    assert!(log[1].gesture, "authorize was called in the tap");
}
