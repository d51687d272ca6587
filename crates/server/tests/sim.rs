//! The simulator at `/` through real HTTP on an ephemeral loopback port: the page, the project
//! list, the classic flow (tap, deny, go to settings, switch location on) step by step, and the
//! session's event stream (server-sent events: order, reconnects, keys, expiry).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use miniperm_server::keys::create_key;
use miniperm_server::sim::{Clock, SIM_TTL};
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
    assert!(html.contains("new EventSource(") && html.contains("/events"));
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

#[test]
fn a_session_s_consent_is_in_the_store_for_its_tenant_and_its_flow_can_be_explored() {
    let (mut secret, mut other) = (String::new(), String::new());
    let srv = start(|s| {
        secret = create_key(s, "acme", 0).unwrap().1;
        other = create_key(s, "globex", 0).unwrap().1;
    });
    let a = srv.addr;
    let k = Some(secret.as_str());
    let send = |path: &str, body: Value| call(a, "POST", path, k, Some(body));
    let (st, v) = send("/sim/sessions", json!({"project": "classic"}));
    assert_eq!(st, 201, "{v}");
    let id = v["id"].as_str().unwrap().to_string();
    assert_eq!(v["appid"], "wxdemo0001");
    assert_eq!(v["user"], id.as_str());
    assert_eq!(v["state"]["consent"], json!({}));
    let path = |what: &str| format!("/sim/sessions/{id}/{what}");
    let setting = format!("/v1/apps/wxdemo0001/users/{id}/setting");
    let log = format!("/v1/apps/wxdemo0001/users/{id}/log");

    send(&path("tap"), json!({"target": "text=获取当前位置"}));
    let (_, v) = send(&path("answer"), json!({"answer": "deny"}));
    assert_eq!(v["state"]["consent"], json!({"scope.userLocation": false}));
    assert_eq!(
        v["state"]["log"],
        json!(["scope.userLocation unset → denied (prompt, authorize)"])
    );
    let (st, s) = call(a, "GET", &setting, k, None);
    assert_eq!(st, 200, "{s}");
    assert_eq!(s["authSetting"], json!({"scope.userLocation": false}));
    // Another tenant sees nothing of it.
    let (_, s) = call(a, "GET", &setting, Some(&other), None);
    assert_eq!(s["authSetting"], json!({}));

    send(&path("answer"), json!({"answer": "confirm"}));
    send(
        &path("answer"),
        json!({"answer": "settings:scope.userLocation=on"}),
    );
    // Restart replays the earlier runs: nothing is written twice.
    send(&path("restart"), json!({}));
    let (_, l) = call(a, "GET", &log, k, None);
    let steps: Vec<(String, String, String)> = l["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["from"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
                e["via"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let s = |a: &str, b: &str, c: &str| (a.to_string(), b.to_string(), c.to_string());
    assert_eq!(
        steps,
        [
            s("unset", "denied", "prompt"),
            s("denied", "granted", "settings")
        ]
    );
    // Clear authorization data is a reset in the store too.
    send(&path("restart"), json!({"clear": true}));
    let (_, s) = call(a, "GET", &setting, k, None);
    assert_eq!(s["authSetting"], json!({}));
    let (_, l) = call(a, "GET", &log, k, None);
    assert_eq!(l["events"][2]["via"], "reset", "{l}");

    // Explore this flow: the entry is the current run's taps.
    send(&path("tap"), json!({"target": "text=获取当前位置"}));
    let (st, x) = send(&path("explore"), json!({}));
    assert_eq!(st, 200, "{x}");
    assert!(x["paths"].as_u64().unwrap() > 1, "{x}");
    assert_eq!(x["entries"], json!(["tap text=获取当前位置"]));
    let codes = x["findings"].to_string();
    assert!(codes.contains("no-retry-after-settings"), "{codes}");
    assert!(
        x["text"]
            .as_str()
            .unwrap()
            .contains("no-retry-after-settings")
    );
    assert!(x["html"].as_str().unwrap().contains("<h1>"));
    let (st, _) = call(a, "POST", &path("explore"), Some(&other), None);
    assert_eq!(st, 404);
}

/// `(event name, transcript type or "")` of each event, to compare sequences.
fn shape(events: &[common::SseEvent]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            let t = if e.event == "transcript" {
                e.json()["event"]["type"].as_str().unwrap().to_string()
            } else {
                String::new()
            };
            (e.event.clone(), t)
        })
        .collect()
}

fn create(a: SocketAddr, key: Option<&str>) -> String {
    let (st, v) = call(
        a,
        "POST",
        "/sim/sessions",
        key,
        Some(json!({"project": "classic"})),
    );
    assert_eq!(st, 201, "{v}");
    v["id"].as_str().unwrap().to_string()
}

#[test]
fn the_stream_sends_a_snapshot_then_each_step_in_order_and_ends_on_delete() {
    let srv = start(|_| {});
    let a = srv.addr;
    let id = create(a, None);
    let events = format!("/sim/sessions/{id}/events");
    let mut sse = common::sse(a, &events, None, None);
    assert_eq!(sse.status, 200, "{}", sse.head);
    assert!(
        sse.head
            .to_ascii_lowercase()
            .contains("content-type: text/event-stream"),
        "{}",
        sse.head
    );

    // The snapshot: the launch run's transcript from n = 0, then the state; only the state
    // carries an id.
    let snap = sse.step();
    let last = snap.last().unwrap();
    assert_eq!(last.event, "state");
    let state = last.json();
    assert_eq!(state["version"], 1);
    assert_eq!(state["end"], "idle");
    assert!(state.get("transcript").is_none(), "{state}");
    let ts = &snap[..snap.len() - 1];
    assert_eq!(state["transcript_len"], ts.len());
    assert_eq!(shape(ts)[0], ("transcript".into(), "launch".into()));
    for (n, e) in ts.iter().enumerate() {
        assert_eq!(e.event, "transcript");
        assert_eq!(e.id, None);
        assert_eq!(e.json()["n"], n);
    }
    assert_eq!(
        ts.last().unwrap().json()["event"],
        json!({"type": "end", "reason": "idle"})
    );
    let snap_id = last.id();

    // A tap: the new transcript events in order, each with the next id, then the state.
    let (st, tapped) = post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "text=获取当前位置"}),
    );
    assert_eq!(st, 200);
    let step = sse.step();
    let ids: Vec<u64> = step.iter().map(common::SseEvent::id).collect();
    let want: Vec<u64> = (snap_id + 1..=snap_id + step.len() as u64).collect();
    assert_eq!(ids, want, "ids grow by one");
    let kinds = shape(&step);
    assert_eq!(kinds[0], ("transcript".into(), "tap".into()), "{kinds:?}");
    let ui = kinds.iter().position(|k| k.1 == "ui").unwrap();
    assert!(kinds[..ui].iter().any(|k| k.1 == "call"), "{kinds:?}");
    assert_eq!(
        &kinds[kinds.len() - 2..],
        [
            ("transcript".to_string(), "end".to_string()),
            ("state".to_string(), String::new())
        ]
    );
    // The idle `end` of the launch run is replaced: the tap goes where it stood.
    assert_eq!(step[0].json()["n"].as_u64().unwrap(), ts.len() as u64 - 1);
    assert_eq!(
        step[step.len() - 2].json()["event"],
        json!({"type": "end", "reason": "awaiting-answer", "ui": "authorize"})
    );
    assert!(
        step[ui].json()["text"]
            .as_str()
            .unwrap()
            .contains("authorize scope.userLocation")
    );
    let state = step.last().unwrap().json();
    assert_eq!(state["version"], 2);
    assert_eq!(state["waiting"]["ui"], "authorize");
    // The stream's state is the step's answer (less the human transcript).
    let mut answered = tapped["state"].clone();
    let human = answered
        .as_object_mut()
        .unwrap()
        .remove("transcript")
        .unwrap();
    let mut streamed = state.clone();
    streamed
        .as_object_mut()
        .unwrap()
        .remove("transcript_len")
        .unwrap();
    assert_eq!(streamed, answered);
    let texts: Vec<Value> = snap[..ts.len() - 1]
        .iter()
        .chain(&step[..step.len() - 1])
        .filter(|e| e.json()["event"]["type"] != "render")
        .map(|e| e.json()["text"].clone())
        .collect();
    assert_eq!(
        Value::Array(texts),
        human,
        "the events spell the transcript"
    );

    // Answers, a restart (a new run from n = 0) and clear authorization data stream too.
    post(
        a,
        &format!("/sim/sessions/{id}/answer"),
        json!({"answer": "deny"}),
    );
    let deny = sse.step();
    assert!(
        deny.iter()
            .any(|e| e.json()["event"]
                == json!({"type": "answer", "ui": "authorize", "answer": "deny"})),
        "{deny:?}"
    );
    assert_eq!(
        deny.last().unwrap().json()["consent"],
        json!({"scope.userLocation": false})
    );
    post(a, &format!("/sim/sessions/{id}/restart"), json!({}));
    let restart = sse.step();
    assert_eq!(restart[0].json()["n"], 0);
    assert_eq!(restart[0].json()["event"]["type"], "launch");
    post(
        a,
        &format!("/sim/sessions/{id}/restart"),
        json!({"clear": true}),
    );
    let clear = sse.step();
    assert_eq!(clear[0].json()["n"], 0);
    assert_eq!(clear.last().unwrap().json()["consent"], json!({}));
    let mut all: Vec<u64> = [&step, &deny, &restart, &clear]
        .iter()
        .flat_map(|s| s.iter().map(common::SseEvent::id))
        .collect();
    let n = all.len();
    all.dedup();
    assert_eq!(all.len(), n);
    assert!(all.windows(2).all(|w| w[1] == w[0] + 1));

    // A failed step sends nothing; deleting the session ends the stream.
    let (st, _) = post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "#nothing"}),
    );
    assert_eq!(st, 400);
    let (st, _) = call(a, "DELETE", &format!("/sim/sessions/{id}"), None, None);
    assert_eq!(st, 204);
    let end = sse.next().unwrap();
    assert_eq!(
        (end.event.as_str(), end.json()),
        ("end", json!({"reason": "deleted"}))
    );
    assert_eq!(sse.next(), None);
    let (st, _) = call(a, "GET", &format!("/sim/sessions/{id}"), None, None);
    assert_eq!(st, 404);
    let (st, _) = call(a, "DELETE", &format!("/sim/sessions/{id}"), None, None);
    assert_eq!(st, 404);
}

#[test]
fn a_reconnect_with_last_event_id_resumes_without_duplicates() {
    let srv = start(|_| {});
    let a = srv.addr;
    let id = create(a, None);
    let events = format!("/sim/sessions/{id}/events");
    let mut first = common::sse(a, &events, None, None);
    let snap_id = first.step().last().unwrap().id();
    post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "text=获取当前位置"}),
    );
    let tap = first.step();
    drop(first);

    // From the snapshot's id: exactly the tap's events again, with the same ids.
    let mut again = common::sse(a, &events, None, Some(&snap_id.to_string()));
    assert_eq!(again.status, 200);
    assert_eq!(again.step(), tap);
    // From the latest id: nothing old, the next step's events start at the next id.
    let latest = tap.last().unwrap().id();
    let mut resumed = common::sse(a, &events, None, Some(&latest.to_string()));
    post(
        a,
        &format!("/sim/sessions/{id}/answer"),
        json!({"answer": "deny"}),
    );
    let next = resumed.step();
    assert_eq!(next[0].id(), latest + 1);
    assert_eq!(again.step(), next, "both clients see the same events");
    // An id the session never gave: a snapshot of where it is now.
    let mut lost = common::sse(a, &events, None, Some("999999"));
    let snap = lost.step();
    assert_eq!(snap[0].json()["n"], 0);
    assert_eq!(snap[0].id, None);
    assert_eq!(snap.last().unwrap().id(), next.last().unwrap().id());
    assert_eq!(snap.last().unwrap().data, next.last().unwrap().data);
    // Not a number: 400.
    let bad = common::sse(a, &events, None, Some("abc"));
    assert_eq!(bad.status, 400);
    // The streams still open end when the server stops (a graceful shutdown does not wait).
    drop(srv);
    assert_eq!(
        resumed.next().map(|e| e.json()),
        Some(json!({"reason": "shutdown"}))
    );
    assert_eq!(resumed.next(), None);
}

#[test]
fn the_stream_needs_the_key_and_the_tenant_of_its_session() {
    let (mut secret, mut other) = (String::new(), String::new());
    let srv = start(|s| {
        secret = create_key(s, "acme", 0).unwrap().1;
        other = create_key(s, "globex", 0).unwrap().1;
    });
    let a = srv.addr;
    let id = create(a, Some(&secret));
    let events = format!("/sim/sessions/{id}/events");
    let (st, v) = call(a, "GET", &events, None, None);
    assert_eq!(st, 401, "{v}");
    assert_eq!(v["error"]["code"], "unauthorized");
    let (st, _) = call(a, "GET", &events, Some("not-a-key"), None);
    assert_eq!(st, 401);
    let (st, v) = call(a, "GET", &events, Some(&other), None);
    assert_eq!(st, 404, "{v}");
    let (st, _) = call(
        a,
        "GET",
        "/sim/sessions/sim_nope/events",
        Some(&secret),
        None,
    );
    assert_eq!(st, 404);
    let (st, _) = call(
        a,
        "DELETE",
        &format!("/sim/sessions/{id}"),
        Some(&other),
        None,
    );
    assert_eq!(st, 404);
    let mut sse = common::sse(a, &events, Some(&secret), None);
    assert_eq!(sse.status, 200);
    assert_eq!(sse.step().last().unwrap().event, "state");
}

#[test]
fn idle_sessions_expire_and_their_streams_end() {
    let clock = Clock::manual();
    let srv = common::start(
        |c| {
            c.projects = vec![examples().join("classic")];
            c.sim_clock = clock.clone();
        },
        |_| {},
    );
    let a = srv.addr;
    let id = create(a, None);
    let get = || call(a, "GET", &format!("/sim/sessions/{id}"), None, None).0;
    let mut sse = common::sse(a, &format!("/sim/sessions/{id}/events"), None, None);
    sse.step();

    // A step touches the session: its idle time starts again.
    clock.advance(SIM_TTL - Duration::from_secs(1));
    assert_eq!(get(), 200);
    post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "text=获取当前位置"}),
    );
    sse.step();
    clock.advance(SIM_TTL - Duration::from_secs(1));
    assert_eq!(get(), 200, "reading does not expire a touched session");

    clock.advance(Duration::from_secs(1));
    let end = sse.next().unwrap();
    assert_eq!(
        (end.event.as_str(), end.json()),
        ("end", json!({"reason": "expired"}))
    );
    assert_eq!(sse.next(), None);
    assert_eq!(get(), 404);
    let (st, _) = call(a, "GET", &format!("/sim/sessions/{id}/events"), None, None);
    assert_eq!(st, 404);

    // A session nobody streams expires as well (found out on its next request).
    let other = create(a, None);
    clock.advance(SIM_TTL);
    let (st, _) = post(
        a,
        &format!("/sim/sessions/{other}/tap"),
        json!({"target": "text=获取当前位置"}),
    );
    assert_eq!(st, 404);
}

#[test]
fn the_page_is_drawn_on_the_chosen_phone_and_a_click_taps() {
    let srv = start(|_| {});
    let a = srv.addr;
    let (st, v) = call(a, "GET", "/sim/projects", None, None);
    assert_eq!(st, 200);
    assert_eq!(v["device"], "iPhone 6/7/8");
    assert!(
        v["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["name"] == "iPhone X")
    );
    // The default phone: 375×667, the page drawn as HTML with its button and image.
    let (st, v) = post(a, "/sim/sessions", json!({"project": "classic"}));
    assert_eq!(st, 201, "{v}");
    let s = &v["state"];
    assert_eq!(
        (s["width"].as_i64(), s["height"].as_i64()),
        (Some(375), Some(667))
    );
    let screen = s["screen"].as_str().unwrap();
    assert!(screen.starts_with("<!doctype html>"), "{screen}");
    assert!(screen.contains("mp-sel=\"button\""), "{screen}");
    assert!(screen.contains("src=\"data:image/png;base64,"), "{screen}");
    // A click sends the element's selector: the same tap as --tap.
    let id = v["id"].as_str().unwrap().to_string();
    let (st, v) = post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "button"}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"]["waiting"]["ui"], "authorize");
    // Another phone: the run again, drawn and reported at the new size.
    let (st, v) = post(
        a,
        &format!("/sim/sessions/{id}/device"),
        json!({"device": "iPhone X"}),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["state"]["height"], 812);
    assert_eq!(v["state"]["waiting"]["ui"], "authorize");
    assert!(
        v["state"]["screen"]
            .as_str()
            .unwrap()
            .contains("content=\"width=375\"")
    );
    let (st, v) = post(
        a,
        &format!("/sim/sessions/{id}/device"),
        json!({"device": "Nokia 3310"}),
    );
    assert_eq!(st, 400, "{v}");
    assert!(
        v["error"]["message"]
            .as_str()
            .unwrap()
            .contains("unknown device `Nokia 3310`")
    );
    let (st, _) = post(
        a,
        "/sim/sessions",
        json!({"project": "classic", "theme": "sepia"}),
    );
    assert_eq!(st, 400);
}

/// "Explore this flow" of a new session (`session`: the body creating it) after a tap on
/// `onLocate`: the HTML report.
fn explore_located(a: SocketAddr, session: Value) -> String {
    let (_, v) = post(a, "/sim/sessions", session);
    let id = v["id"].as_str().unwrap().to_string();
    post(
        a,
        &format!("/sim/sessions/{id}/tap"),
        json!({"target": "onLocate"}),
    );
    let (st, v) = post(a, &format!("/sim/sessions/{id}/explore"), json!({}));
    assert_eq!(st, 200, "{v}");
    v["html"].as_str().unwrap().to_string()
}

#[test]
fn explore_this_flow_draws_each_outcomes_final_page_once() {
    let srv = start(|_| {});
    let a = srv.addr;
    let html = explore_located(a, json!({"project": "classic"}));
    let shots = html.matches("class=\"shot\"").count();
    assert!(shots >= 5, "a thumbnail per outcome leaf: {shots}");
    let start = html
        .find("<script type=\"application/json\" id=\"screens\">")
        .unwrap();
    let body = &html[start..];
    let json_text = &body[body.find('>').unwrap() + 1..body.find("</script>").unwrap()];
    let data: Value = serde_json::from_str(json_text).unwrap();
    let docs = data["docs"].as_array().unwrap();
    // Fewer distinct screens than leaves: identical ones are stored once.
    assert!(
        !docs.is_empty() && docs.len() < shots,
        "{} docs for {shots} leaves",
        docs.len()
    );
    let has = |t: &str| docs.iter().any(|d| d.as_str().unwrap().contains(t));
    // The page that stays, and the fallback page a cancelled modal leads to.
    assert!(has("附近门店") && has("选择城市"));
    assert!(
        !json_text.contains("</"),
        "the data cannot end its script element"
    );
    // On the session's phone: a session on another device explores on it and draws its
    // screens at its size
    let html = explore_located(a, json!({"project": "classic", "device": "iPhone X"}));
    // thumbnails at a fifth of iPhone X's 375x812 (the default phone's would be 75x134)
    assert!(html.contains("width:75px;height:163px"), "{html}");
}
