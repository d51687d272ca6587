//! wx dispatch: each `wx.*` call the prelude hands to Rust, decided through the core, and the
//! success payloads of the APIs the host answers.

use miniperm_core::{Api, Fail, Outcome, Request, decide, setting_result};
use serde_json::{Value as Json, json};

use crate::user::UiRequest;

use super::driver::Driver;
use super::outcome::Halt;
use super::payload::{err_name, is_picker, ok_res};
use super::pending::Pending;
use super::shared::{Incoming, Job};

impl<'js> Driver<'_, 'js> {
    pub(super) fn incoming(&mut self, inc: Incoming) -> Result<(), Halt> {
        let Incoming {
            id,
            api,
            args,
            gesture,
        } = inc;
        let now = self.now();
        match api.as_str() {
            "getSetting" => {
                let ws = args.get("withSubscriptions") == Some(&Json::Bool(true));
                let res = setting_result(&self.state(), "getSetting", ws);
                self.deliver(id, true, res, false);
            }
            "openSetting" => {
                let req = Request::api(Api::OpenSetting, gesture, now);
                let d = decide(&req, &self.state(), &self.env());
                match d.outcome {
                    Outcome::Allow => self.uiq.push_back(Pending::Settings {
                        id: Some(id),
                        button: None,
                        with_subscriptions: args.get("withSubscriptions")
                            == Some(&Json::Bool(true)),
                    }),
                    Outcome::Fail(f) => self.deliver_fail(id, f, &api, false),
                    Outcome::Ask(_) => self.deliver_fail(id, Fail::NotSupported, &api, false),
                }
            }
            "showModal" => {
                let s =
                    |k: &str, d: &str| args.get(k).and_then(Json::as_str).unwrap_or(d).to_string();
                let ui = UiRequest::Modal {
                    title: s("title", ""),
                    content: s("content", ""),
                    show_cancel: args
                        .get("showCancel")
                        .and_then(Json::as_bool)
                        .unwrap_or(true),
                    cancel_text: s("cancelText", "取消"),
                    confirm_text: s("confirmText", "确定"),
                    editable: args
                        .get("editable")
                        .and_then(Json::as_bool)
                        .unwrap_or(false),
                    placeholder_text: s("placeholderText", ""),
                };
                self.uiq.push_back(Pending::Modal { id, ui });
            }
            "showActionSheet" => {
                let items: Vec<String> = args
                    .get("itemList")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if items.is_empty() || items.len() > 6 {
                    let msg = if items.is_empty() {
                        "showActionSheet:fail parameter error: itemList should not be empty"
                    } else {
                        "showActionSheet:fail parameter error: itemList should not be large than 6"
                    };
                    self.deliver(id, false, json!({ "errMsg": msg }), false);
                } else {
                    self.uiq.push_back(Pending::Sheet {
                        id,
                        ui: UiRequest::ActionSheet { items },
                    });
                }
            }
            _ => {
                let req = if api == "authorize" {
                    Request::authorize(args.get("scope").and_then(Json::as_str), gesture, now)
                } else if let Some(a) = Api::parse(if api == "<camera>" { "camera" } else { &api })
                {
                    Request::api(a, gesture, now)
                } else {
                    self.sh.borrow_mut().record.warn(
                        "not-supported",
                        format!("wx.{api} is not supported by miniperm"),
                    );
                    let msg = Fail::NotSupported.err_msg(&self.cfg.profile, &api);
                    self.deliver(id, false, json!({ "errMsg": msg }), false);
                    return Ok(());
                };
                let picker = is_picker(&api);
                let d = decide(&req, &self.state(), &self.env());
                self.note(&d, &req)?;
                match d.outcome {
                    Outcome::Allow if !picker => self.succeed(id, &api, &args, false),
                    Outcome::Fail(f) => {
                        let name = err_name(&api);
                        self.deliver_fail(id, f, name, false)
                    }
                    _ => self.uiq.push_back(Pending::Engine {
                        id,
                        api,
                        req,
                        picker,
                        args,
                        tries: 0,
                    }),
                }
            }
        }
        Ok(())
    }

    /// Warnings and recorded changes of a decision.
    pub(super) fn note(&mut self, d: &miniperm_core::Decision, req: &Request) -> Result<(), Halt> {
        self.consulted(d, req);
        if let Some(w) = &d.warning {
            self.sh.borrow_mut().record.warn(w.code(), w.message());
        }
        if let Some(c) = d.record_change(req.api, req.gesture, &self.state()) {
            self.commit(vec![c])?;
        }
        Ok(())
    }

    pub(super) fn succeed(&mut self, id: u32, api: &str, args: &Json, gesture: bool) {
        let (lat, lng) = self.cfg.location;
        let mut m = ok_res(api);
        match api {
            "getLocation" => {
                for (k, v) in [
                    ("latitude", json!(lat)),
                    ("longitude", json!(lng)),
                    ("speed", json!(0)),
                    ("accuracy", json!(65)),
                    ("altitude", json!(0)),
                    ("verticalAccuracy", json!(65)),
                    ("horizontalAccuracy", json!(65)),
                ] {
                    m.insert(k.into(), v);
                }
            }
            "getFuzzyLocation" => {
                m.insert("latitude".into(), json!((lat * 100.0).round() / 100.0));
                m.insert("longitude".into(), json!((lng * 100.0).round() / 100.0));
            }
            "startLocationUpdate" | "startLocationUpdateBackground" => {
                self.deliver(id, true, Json::Object(m), gesture);
                // then the first position reaches onLocationChange
                self.sh
                    .borrow_mut()
                    .queues
                    .jobs
                    .push_back(Job::Location(json!({
                        "latitude": lat, "longitude": lng, "speed": 0, "accuracy": 65,
                        "altitude": 0, "verticalAccuracy": 65, "horizontalAccuracy": 65
                    })));
                return;
            }
            "startRecord" => {
                m.insert("tempFilePath".into(), json!("wxfile://tmp/record.silk"));
            }
            "getWeRunData" => {
                m.insert("encryptedData".into(), json!("bWluaXBlcm0gd2VydW4="));
                m.insert("iv".into(), json!("bWluaXBlcm0="));
                m.insert("cloudID".into(), json!("miniperm-werun"));
            }
            "getUserProfile" | "getUserInfo" => {
                let user = json!({"nickName": "微信用户", "avatarUrl": "", "gender": 0, "country": "", "province": "", "city": "", "language": "zh_CN"});
                // Placeholders in the shapes WeChat uses: `rawData` is the user info as JSON text;
                // nothing here is signed or encrypted.
                m.insert("rawData".into(), json!(user.to_string()));
                m.insert("signature".into(), json!("miniperm-simulated-signature"));
                m.insert("encryptedData".into(), json!(""));
                m.insert("iv".into(), json!(""));
                m.insert("cloudID".into(), json!(""));
                m.insert("userInfo".into(), user);
            }
            "getClipboardData" => {
                let data = self.sh.borrow().clipboard.clone();
                m.insert("data".into(), json!(data));
            }
            "setClipboardData" => {
                // The text as given; a `data` that is not a string is not written (WeChat fails
                // it with a parameter error, which is not modelled).
                if let Some(d) = args.get("data").and_then(Json::as_str) {
                    self.sh.borrow_mut().clipboard = d.to_string();
                }
            }
            "requestSubscribeMessage" => {
                if let Some(ids) = args.get("tmplIds").and_then(Json::as_array) {
                    for t in ids.iter().filter_map(Json::as_str) {
                        m.insert(t.to_string(), json!("accept"));
                    }
                }
            }
            "chooseLocation" | "choosePoi" => {
                m.insert("name".into(), json!("广州塔"));
                m.insert("address".into(), json!("广东省广州市海珠区阅江西路222号"));
                m.insert("latitude".into(), json!(lat));
                m.insert("longitude".into(), json!(lng));
                if api == "choosePoi" {
                    // a precise place (type 2) in Guangzhou (city code 440100)
                    m.insert("type".into(), json!(2));
                    m.insert("city".into(), json!(440100));
                }
            }
            "joinVoIPChat" => {
                m.insert("errCode".into(), json!(0));
                m.insert("openIdList".into(), json!([]));
            }
            "openBluetoothAdapter" => {
                m.insert("errCode".into(), json!(0));
            }
            "createBLEPeripheralServer" => {
                // a placeholder: the peripheral server's methods are not simulated
                m.insert("server".into(), json!({}));
            }
            "chooseAddress" => {
                for (k, v) in [
                    ("userName", "张三"),
                    ("postalCode", "510000"),
                    ("provinceName", "广东省"),
                    ("cityName", "广州市"),
                    ("countyName", "海珠区"),
                    ("streetName", "赤岗街道"),
                    ("detailInfo", "阅江西路222号"),
                    ("detailInfoNew", "阅江西路222号"),
                    ("nationalCode", "440105"),
                    ("telNumber", "020-81234567"),
                ] {
                    m.insert(k.into(), json!(v));
                }
            }
            "chooseImage" => {
                m.insert("tempFilePaths".into(), json!(["wxfile://tmp/image-1.jpg"]));
                m.insert(
                    "tempFiles".into(),
                    json!([{"path": "wxfile://tmp/image-1.jpg", "size": 102400}]),
                );
            }
            "chooseMedia" => {
                m.insert("type".into(), json!("image"));
                m.insert(
                    "tempFiles".into(),
                    json!([{"tempFilePath": "wxfile://tmp/image-1.jpg", "size": 102400, "fileType": "image"}]),
                );
            }
            "chooseInvoiceTitle" => {
                // `type` 0 (a company) or 1 (a person): a number, as the typings give it
                m.insert("type".into(), json!(0));
                for (k, v) in [
                    ("title", "示例科技有限公司"),
                    ("taxNumber", "91440101MA5ABCDE1X"),
                    ("companyAddress", "广州市海珠区"),
                    ("telephone", "020-81234567"),
                    ("bankName", "示例银行"),
                    ("bankAccount", "6222000000000000"),
                ] {
                    m.insert(k.into(), json!(v));
                }
            }
            "chooseInvoice" => {
                m.insert("invoiceInfo".into(), json!("{}"));
            }
            _ => {}
        }
        self.deliver(id, true, Json::Object(m), gesture);
    }
}
