//! The wx surface of table T1 and the pickers, answered by the engine.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
mod common;
use common::*;
use miniperm_core::SystemSwitches;

#[test]
fn pickers_return_simulated_data_and_cancel_fails() {
    let o = go(&fixture("breadth"), &["pickers"], "pick,cancel,pick,pick");
    let l = logs(&o);
    assert!(
        l[0].starts_with("chooseLocation ok {\"errMsg\":\"chooseLocation:ok\",\"name\""),
        "{l:?}"
    );
    assert_eq!(
        l[1],
        "chooseAddress fail {\"errMsg\":\"chooseAddress:fail cancel\"}"
    );
    assert!(l[2].starts_with("chooseImage ok"), "{l:?}");
    assert!(l[3].starts_with("chooseInvoiceTitle ok"), "{l:?}");
    // D4: the retired scopes are recorded granted on first use, without a prompt
    let t = transcript(&o);
    assert_eq!(t.matches("ui  authorize").count(), 0, "{t}");
    assert_eq!(t.matches("ui  picker").count(), 4, "{t}");
}

#[test]
fn guarded_apis_prompt_in_turn() {
    let o = go(
        &fixture("breadth"),
        &["guarded"],
        "allow,deny,allow,allow,allow,deny",
    );
    let l = logs(&o);
    assert_eq!(l.len(), 7, "{l:?}");
    // R22: getFuzzyLocation is not in requiredPrivateInfos: fails at once, before any prompt
    assert!(
        l[0].starts_with(
            "fuzzy fail {\"errMsg\":\"getFuzzyLocation:fail the api need to be declared"
        ),
        "{l:?}"
    );
    assert!(l[1].starts_with("werun ok"), "{l:?}");
    assert_eq!(
        l[2],
        "bluetooth fail {\"errMsg\":\"openBluetoothAdapter:fail auth deny\",\"errno\":103}"
    );
    assert_eq!(
        l[6],
        "record fail {\"errMsg\":\"startRecord:fail auth deny\",\"errno\":103}"
    );
}

#[test]
fn bluetooth_switch_off() {
    let o = run_with(&fixture("breadth"), &["guarded"], "allow,allow", |c| {
        c.system = SystemSwitches {
            bluetooth_enabled: false,
            ..SystemSwitches::default()
        }
    });
    let l = logs(&o);
    assert_eq!(
        l[2],
        "bluetooth fail {\"errMsg\":\"openBluetoothAdapter:fail not available\"}"
    );
}

#[test]
fn location_updates_and_background() {
    let o = go(&fixture("breadth"), &["updates"], "allow");
    let l = logs(&o);
    // startLocationUpdateBackground is not declared in requiredPrivateInfos (R22)
    assert!(l[0].starts_with("background fail"), "{l:?}");
    assert_eq!(
        l[1], "update ok {\"errMsg\":\"startLocationUpdate:ok\"}",
        "{l:?}"
    );
    assert_eq!(l[2], "change 23.129163", "{l:?}");
}

#[test]
fn settings_storage_and_system() {
    let o = go(&fixture("breadth"), &["settings"], "");
    let l = logs(&o);
    assert!(
        l[0].contains("\"locationAuthorized\":\"authorized\""),
        "{l:?}"
    );
    assert!(l[0].contains("\"locationEnabled\":true"), "{l:?}");
    assert_eq!(l[1], "{\"a\":1} ios");
    assert!(l.contains(&"getSetting ok {\"authSetting\":{},\"subscriptionsSetting\":{\"mainSwitch\":true},\"errMsg\":\"getSetting:ok\"}".to_string()), "{l:?}");
    assert!(
        l.contains(&"invalid fail {\"errMsg\":\"authorize:fail invalid scope\"}".to_string()),
        "{l:?}"
    );
    assert!(
        l.contains(&"userInfo fail {\"errMsg\":\"authorize:fail scope unauthorized\"}".to_string()),
        "{l:?}"
    );
}
