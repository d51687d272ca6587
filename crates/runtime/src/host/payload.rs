//! Payloads shaped by the `wx` API table: each device/app/window info API gets exactly the
//! fields the typings give it, and the not-supported warnings say what the call does instead.

use miniperm_core::wxapi::{self, Shape};
use miniperm_core::{AppState, Fail, OsPermission, Profile, Subject, SystemSwitches, Value};
use serde_json::{Map, Value as Json, json};

/// Keeps the fields of `api`'s result row (all of `full` when the table has none for it).
fn pick(api: &str, full: Map<String, Json>) -> Json {
    let Some(row) = wxapi::lookup(api).filter(|r| !r.result_fields.is_empty()) else {
        return Json::Object(full);
    };
    let mut out = Map::new();
    for f in row.result_fields {
        if let Some(v) = full.get(f.name) {
            out.insert(f.name.to_string(), v.clone());
        }
    }
    Json::Object(out)
}

fn os(state: &AppState, p: OsPermission) -> Value {
    state.os(p)
}

/// `getSystemInfo`, `getWindowInfo`, `getDeviceInfo`, `getAppBaseInfo` (and their sync/async
/// forms): one device, each API its own fields.
pub(super) fn system_info(
    api: &str,
    profile: &Profile,
    base_lib: (u16, u16, u16),
    system: &SystemSwitches,
    state: &AppState,
    device: &crate::Device,
) -> Json {
    let android = profile.name.contains("android");
    let (w, h) = (device.width, device.height);
    let (top, bottom) = (device.status_bar, device.safe_bottom);
    let authorized = |p: OsPermission| os(state, p) == Value::Granted;
    let notification = authorized(OsPermission::Notification);
    let full = json!({
        "brand": if android { "Android" } else { "devtools" },
        "model": if android { "Android Phone" } else { device.model },
        "platform": if android { "android" } else { "ios" },
        "system": if android { "Android 14" } else { "iOS 17.0" },
        "abi": if android { "arm64-v8a" } else { "arm64" },
        "deviceAbi": if android { "arm64-v8a" } else { "arm64" },
        "cpuType": "unknown",
        "memorySize": "8192",
        "benchmarkLevel": 1,
        "version": "8.0.50",
        "SDKVersion": format!("{}.{}.{}", base_lib.0, base_lib.1, base_lib.2),
        "PCKernelVersion": "",
        "enableDebug": false,
        "host": { "appId": "" },
        "language": "zh_CN",
        "fontSizeSetting": 16,
        "fontSizeScaleFactor": 1,
        "pixelRatio": device.pixel_ratio,
        "screenWidth": w, "screenHeight": h, "screenTop": 0,
        "windowWidth": w, "windowHeight": h,
        "statusBarHeight": top,
        "safeArea": {
            "left": 0, "right": w, "top": top, "bottom": bottom,
            "width": w, "height": bottom - top,
        },
        "deviceOrientation": "portrait",
        "locationEnabled": system.location_enabled,
        "bluetoothEnabled": system.bluetooth_enabled,
        "wifiEnabled": system.wifi_enabled,
        "albumAuthorized": authorized(OsPermission::Album),
        "cameraAuthorized": authorized(OsPermission::Camera),
        "locationAuthorized": authorized(OsPermission::Location),
        "microphoneAuthorized": authorized(OsPermission::Microphone),
        "phoneCalendarAuthorized": authorized(OsPermission::Calendar),
        "notificationAuthorized": notification,
        "notificationAlertAuthorized": notification,
        "notificationBadgeAuthorized": notification,
        "notificationSoundAuthorized": notification,
        "locationReducedAccuracy": false,
    });
    match full {
        Json::Object(m) => pick(api, m),
        other => other,
    }
}

/// `getAppAuthorizeSetting`: the OS switches as `authorized`/`denied`/`not determined`, only the
/// fields the typings give it (no `contactsAuthorized`).
pub(super) fn app_authorize_setting(state: &AppState) -> Json {
    let mut m = Map::new();
    for p in OsPermission::ALL {
        m.insert(
            p.authorize_setting_field().to_string(),
            Json::String(os(state, p).os_str().to_string()),
        );
    }
    let note = os(state, OsPermission::Notification).os_str();
    for k in [
        "notificationAlertAuthorized",
        "notificationBadgeAuthorized",
        "notificationSoundAuthorized",
    ] {
        m.insert(k.into(), Json::String(note.to_string()));
    }
    m.insert("locationReducedAccuracy".into(), Json::Bool(false));
    pick("getAppAuthorizeSetting", m)
}

/// The result fields that report an OS permission (`cameraAuthorized`, the notification
/// sub-switches…), as `{field: "os.camera"}`: what the prelude watches in `getSystemInfo` and
/// `getAppAuthorizeSetting` results (reading one observes that permission).
pub(super) fn os_fields() -> Json {
    let mut m = Map::new();
    for p in OsPermission::ALL {
        m.insert(
            p.authorize_setting_field().to_string(),
            Json::String(Subject::Os(p).key()),
        );
    }
    for k in [
        "notificationAlertAuthorized",
        "notificationBadgeAuthorized",
        "notificationSoundAuthorized",
    ] {
        m.insert(
            k.into(),
            Json::String(Subject::Os(OsPermission::Notification).key()),
        );
    }
    Json::Object(m)
}

/// The `not-supported` warning: what the call does instead, by its shape (a callback fails
/// with the profile's errMsg).
pub(super) fn not_supported_message(api: &str, shape: &str, profile: &Profile) -> String {
    let shape = match shape {
        "c" => Some(Shape::Callback),
        "l" => Some(Shape::Listener),
        "f" => Some(Shape::Factory),
        "n" => Some(Shape::Namespace),
        _ => wxapi::lookup(api).map(|r| r.shape),
    };
    match shape {
        Some(Shape::Callback) => format!(
            "wx.{api} is not supported by miniperm: it fails with `{}`",
            Fail::NotSupported.err_msg(profile, api)
        ),
        // `offX` removes what `onX` added: nothing was ever called
        Some(Shape::Listener) if api.starts_with("off") => {
            format!(
                "wx.{api} is not supported by miniperm: it does nothing (the matching `on` listener is never called)"
            )
        }
        Some(Shape::Listener) => {
            format!("wx.{api} is not supported by miniperm: its listener is never called")
        }
        Some(Shape::Factory) => {
            format!("wx.{api} is not supported by miniperm: the object it returns does nothing")
        }
        _ => format!("wx.{api} is not supported by miniperm: it returns undefined"),
    }
}

/// A picker API (`chooseLocation`…): the user answers it, the engine does not decide it.
pub(super) fn is_picker(api: &str) -> bool {
    miniperm_core::wxapi::lookup(api)
        .is_some_and(|r| r.handling == miniperm_core::wxapi::Handling::Picker)
}

pub(super) fn fail_res(f: Fail, profile: &Profile, api: &str) -> Json {
    let mut m = Map::new();
    m.insert("errMsg".into(), Json::String(f.err_msg(profile, api)));
    if let Some(n) = f.errno(profile) {
        m.insert("errno".into(), json!(n));
    }
    Json::Object(m)
}

pub(super) fn ok_res(api: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("errMsg".into(), Json::String(format!("{api}:ok")));
    m
}

/// The API name in errMsg: RecorderManager failures read `operateRecorder:fail ...`.
pub(super) fn err_name(api: &str) -> &str {
    match api {
        "RecorderManager.start" => "operateRecorder",
        // the <camera> component reports through binderror
        "<camera>" => "insertCamera",
        _ => api,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_info_api_gets_its_own_fields() {
        let p = Profile::default();
        let st = AppState::default();
        let sys = SystemSwitches::default();
        let dev0 = crate::Device::default();
        let win = system_info("getWindowInfo", &p, (3, 0, 0), &sys, &st, &dev0);
        let keys: Vec<&str> = win
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert!(keys.contains(&"safeArea") && keys.contains(&"screenTop"));
        assert!(!keys.contains(&"brand") && !keys.contains(&"SDKVersion"));
        let dev = system_info("getDeviceInfo", &p, (3, 0, 0), &sys, &st, &dev0);
        assert!(dev.get("brand").is_some() && dev.get("windowWidth").is_none());
        let all = system_info("getSystemInfoSync", &p, (3, 0, 0), &sys, &st, &dev0);
        assert_eq!(all["SDKVersion"], "3.0.0");
        assert!(all["cameraAuthorized"].is_boolean());
        assert!(all.get("host").is_some());
    }

    #[test]
    fn app_authorize_setting_has_no_contacts_field() {
        let v = app_authorize_setting(&AppState::default());
        assert!(v.get("contactsAuthorized").is_none());
        assert!(v["cameraAuthorized"].is_string());
        assert_eq!(
            v["notificationSoundAuthorized"],
            v["notificationAuthorized"]
        );
    }
}
