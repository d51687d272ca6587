//! The simulator at `/` through real HTTP on an ephemeral loopback port: the page, the project
//! list, and the classic flow (tap, deny, go to settings, switch location on) step by step.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::net::SocketAddr;
use std::path::PathBuf;

use miniperm_server::keys::create_key;
use miniperm_store::Backend;
use serde_json::{Value, json};

mod common;
use common::Server;

fn examples() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

/// A server offering examples/classic and examples/privacy; `prepare` runs on the store first.
fn start(prepare: impl FnOnce(&mut dyn Backend)) -> Server {
    common::start(
        |c| c.projects = vec![examples().join("classic"), examples().join("privacy")],
        prepare,
    )
}

/// One request with an optional JSON body.
fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let body = body.map(|b| b.to_string());
    common::call(addr, method, path, key, body.as_deref())
}

fn post(a: SocketAddr, path: &str, body: Value) -> (u16, Value) {
    call(a, "POST", path, None, Some(body))
}

#[test]
fn the_page_is_self_contained() {
    let srv = start(|_| {});
    let (st, page) = call(srv.addr, "GET", "/", None, None);
    assert_eq!(st, 200);
    let html = page.as_str().unwrap();
    assert!(html.contains("<title>miniperm simulator</title>"), "{html}");
    assert!(!html.contains("http://") && !html.contains("https://"));
    assert!(html.contains("/sim/sessions"));
}

#[test]
fn projects_are_listed_with_their_titles() {
    let srv = start(|_| {});
    let (st, v) = call(srv.addr, "GET", "/sim/projects", None, None);
    assert_eq!(st, 200, "{v}");
    let names: Vec<&str> = v["projects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["classic", "privacy"]);
    assert_eq!(v["projects"][0]["title"], "附近门店");
    assert_eq!(v["projects"][0]["appid"], "wxdemo0001");
}

#[test]
fn the_classic_flow_step_by_step() {
    let srv = start(|_| {});
    let a = srv.addr;
    let (st, v) = post(a, "/sim/sessions", json!({"project": "classic"}));
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    let s = &v["state"];
    assert_eq!(s["end"], "idle");
    assert_eq!(s["route"], "pages/index/index");
    assert!(s["waiting"].is_null());
    assert_eq!(s["tappable"], json!(["text=获取当前位置"]));
    assert!(s["tree"].to_string().contains("附近门店"), "{}", s["tree"]);
    let path = |what: &str| format!("/sim/sessions/{id}/{what}");

    // A tap that matches nothing visible: 400 in the service's shape, the session unchanged.
    let (st, bad) = post(a, &path("tap"), json!({"target": "text=没有这个按钮"}));
    assert_eq!(st, 400, "{bad}");
    assert_eq!(bad["error"]["code"], "bad_request");
    assert!(
        bad["error"]["message"]
            .as_str()
            .unwrap()
            .contains("没有这个按钮")
    );
    // Answering when nothing waits: 409.
    let (st, _) = post(a, &path("answer"), json!({"answer": "allow"}));
    assert_eq!(st, 409);

    let (st, v) = post(a, &path("tap"), json!({"target": "text=获取当前位置"}));
    assert_eq!(st, 200, "{v}");
    let s = &v["state"];
    assert_eq!(s["end"], "awaiting-answer");
    assert_eq!(s["waiting"]["ui"], "authorize");
    assert_eq!(s["waiting"]["scope"], "scope.userLocation");
    assert_eq!(s["waiting"]["desc"], "你的位置信息将用于为你推荐附近的门店");
    // Tapping while a UI waits: 409.
    let (st, _) = post(a, &path("tap"), json!({"target": "onLocate"}));
    assert_eq!(st, 409);
    // An answer that does not fit the UI: 400, still waiting for the authorize sheet.
    let (st, bad) = post(a, &path("answer"), json!({"answer": "sheet:0"}));
    assert_eq!(st, 400, "{bad}");
    let (st, v) = call(a, "GET", &format!("/sim/sessions/{id}"), None, None);
    assert_eq!(st, 200);
    assert_eq!(v["state"]["waiting"]["ui"], "authorize");

    let (st, v) = post(a, &path("answer"), json!({"answer": "deny"}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"]["waiting"]["ui"], "modal");
    assert_eq!(v["state"]["waiting"]["confirmText"], "去设置");

    let (st, v) = post(a, &path("answer"), json!({"answer": "confirm"}));
    assert_eq!(st, 200, "{v}");
    let w = &v["state"]["waiting"];
    assert_eq!(w["ui"], "settings");
    assert_eq!(
        w["rows"],
        json!([{"scope": "scope.userLocation", "label": w["rows"][0]["label"], "state": "off"}])
    );

    let (st, v) = post(
        a,
        &path("answer"),
        json!({"answer": "settings:scope.userLocation=on"}),
    );
    assert_eq!(st, 200, "{v}");
    let s = &v["state"];
    assert_eq!(s["end"], "idle");
    assert!(s["waiting"].is_null());
    let lines: Vec<&str> = s["transcript"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(lines.contains(&"  ← deny"), "{lines:#?}");
    assert!(
        lines
            .iter()
            .any(|l| l.contains("callback openSetting success")
                && l.contains(r#""scope.userLocation":true"#)),
        "{lines:#?}"
    );

    // Restart keeps the consent of the earlier run: tapping again asks nothing.
    let (st, v) = post(a, &path("restart"), json!({}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"]["end"], "idle");
    let (st, v) = post(a, &path("tap"), json!({"target": "text=获取当前位置"}));
    assert_eq!(st, 200, "{v}");
    assert!(v["state"]["waiting"].is_null(), "{v}");
    assert!(v["state"]["transcript"].to_string().contains("getLocation"));
    // Clearing the authorization data asks again.
    let (st, v) = post(a, &path("restart"), json!({"clear": true}));
    assert_eq!(st, 200, "{v}");
    let (st, v) = post(a, &path("tap"), json!({"target": "text=获取当前位置"}));
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"]["waiting"]["ui"], "authorize");
}

#[test]
fn bad_input_and_unknown_sessions() {
    let srv = start(|_| {});
    let a = srv.addr;
    let (st, v) = post(a, "/sim/sessions", json!({"project": "nope"}));
    assert_eq!(st, 400);
    assert_eq!(v["error"]["message"], "unknown project `nope`");
    let (st, _) = post(
        a,
        "/sim/sessions/sim_nope/tap",
        json!({"target": "onLocate"}),
    );
    assert_eq!(st, 404);
    let (st, _) = post(a, "/sim/sessions", json!({"nope": 1}));
    assert_eq!(st, 400);
}

#[test]
fn sim_routes_need_a_key_once_keys_exist() {
    let (mut secret, mut other) = (String::new(), String::new());
    let srv = start(|s| {
        secret = create_key(s, "acme", 0).unwrap().1;
        other = create_key(s, "globex", 0).unwrap().1;
    });
    let a = srv.addr;
    let (st, _) = call(a, "GET", "/sim/projects", None, None);
    assert_eq!(st, 401);
    let (st, _) = post(a, "/sim/sessions", json!({"project": "classic"}));
    assert_eq!(st, 401);
    // The page itself is static and served to anyone; its calls need the key.
    let (st, _) = call(a, "GET", "/", None, None);
    assert_eq!(st, 200);
    let (st, v) = call(
        a,
        "POST",
        "/sim/sessions",
        Some(&secret),
        Some(json!({"project": "classic"})),
    );
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap();
    let (st, _) = call(a, "GET", &format!("/sim/sessions/{id}"), None, None);
    assert_eq!(st, 401);
    let (st, _) = call(
        a,
        "GET",
        &format!("/sim/sessions/{id}"),
        Some(&secret),
        None,
    );
    assert_eq!(st, 200);
    // Another tenant's key does not see the session.
    let (st, _) = call(a, "GET", &format!("/sim/sessions/{id}"), Some(&other), None);
    assert_eq!(st, 404);
}
