//! The done-when walk of issue 11 through real HTTP on an ephemeral loopback port (a tiny
//! HTTP/1.1 client over TcpStream), keys and tenants, limits, and the OpenAPI document checked
//! against every (route, status) the walk produced.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::io::{Read, Write};
use std::net::TcpStream;

use miniperm_server::keys::create_key;
use miniperm_store::{Backend, ConsentKey, SqliteStore};
use serde_json::json;

mod common;
use common::{Server, call};

fn start(rate_limit: u32, prepare: impl FnOnce(&mut dyn Backend)) -> Server {
    common::start(|c| c.rate_limit = rate_limit, prepare)
}

/// The same server on every store (SQLite; PostgreSQL unless no server can be started).
fn each_store(test: &str, rate_limit: u32, run: impl Fn(Server)) {
    for url in common::stores(test) {
        let name = common::store_name(&url);
        eprintln!("{test} on {name}");
        run(common::start_on(url, |c| c.rate_limit = rate_limit, |_| {}));
    }
}

const BASE: &str = "/v1/apps/wxdemo/users/alice";

#[test]
fn the_done_when_walk() {
    each_store("the_done_when_walk", 10_000, done_when_walk);
}

fn done_when_walk(srv: Server) {
    let a = srv.addr;
    let (st, _) = call(
        a,
        "PUT",
        "/v1/apps/wxdemo/manifest",
        None,
        Some(r#"{"permission": {"scope.userLocation": {"desc": "to show shops near you"}}}"#),
    );
    assert_eq!(st, 200);
    let auth = |body: &str| call(a, "POST", &format!("{BASE}/authorize"), None, Some(body));
    let loc = r#"{"scope": "scope.userLocation"}"#;

    // authorize -> 202 prompt with the desc
    let (st, v) = auth(loc);
    assert_eq!(st, 202, "{v}");
    assert_eq!(v["prompt"]["scope"], "scope.userLocation");
    assert_eq!(v["prompt"]["desc"], "to show shops near you");
    let id = v["prompt"]["id"].as_str().unwrap().to_string();

    // deny -> the authorize result, durable
    let (st, v) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        None,
        Some(r#"{"answer": "deny"}"#),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v,
        json!({"errMsg": "authorize:fail auth deny", "errno": 103})
    );
    // the same answer again (a retry): the committed result, nothing decided twice
    let (st, v) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        None,
        Some(r#"{"answer": "deny"}"#),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(
        v,
        json!({"errMsg": "authorize:fail auth deny", "errno": 103})
    );
    // a different answer to the answered prompt is a conflict
    let (st, v) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        None,
        Some(r#"{"answer": "allow"}"#),
    );
    assert_eq!(st, 409, "{v}");
    assert_eq!(
        v["error"]["message"],
        format!("prompt `{id}` was already answered `deny`: a different answer cannot replace it")
    );
    // a prompt that never was
    let (st, v) = call(
        a,
        "POST",
        "/v1/prompts/p_nothing",
        None,
        Some(r#"{"answer": "allow"}"#),
    );
    assert_eq!(st, 404);
    assert_eq!(v["error"]["code"], "unknown_prompt");

    // authorize again: remembered denial, no prompt
    let (st, v) = auth(loc);
    assert_eq!(st, 200);
    assert_eq!(
        v,
        json!({"errMsg": "authorize:fail auth deny", "errno": 103})
    );

    // getSetting lists it as false
    let (st, v) = call(
        a,
        "GET",
        &format!("{BASE}/setting?withSubscriptions=true"),
        None,
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(v["authSetting"], json!({"scope.userLocation": false}));
    assert_eq!(v["subscriptionsSetting"]["mainSwitch"], true);
    assert_eq!(v["errMsg"], "getSetting:ok");

    // a settings session switches it on
    let (st, v) = call(a, "POST", &format!("{BASE}/settings-sessions"), None, None);
    assert_eq!(st, 200);
    assert_eq!(v["rows"].as_array().unwrap().len(), 1);
    let sid = v["id"].as_str().unwrap().to_string();
    let (st, v) = call(
        a,
        "PATCH",
        &format!("/v1/settings-sessions/{sid}"),
        None,
        Some(r#"{"scope.camera": true}"#),
    );
    assert_eq!(st, 409, "a scope not on the page: {v}");
    let (st, v) = call(
        a,
        "PATCH",
        &format!("/v1/settings-sessions/{sid}"),
        None,
        Some(r#"{"scope.userLocation": true}"#),
    );
    assert_eq!(st, 200, "{v}");
    assert_eq!(v["rows"][0]["control"]["on"], true);
    let (st, v) = call(
        a,
        "POST",
        &format!("/v1/settings-sessions/{sid}/close"),
        None,
        None,
    );
    assert_eq!(st, 200);
    assert_eq!(
        v,
        json!({"authSetting": {"scope.userLocation": true}, "errMsg": "openSetting:ok"})
    );

    // authorize ok
    let (st, v) = auth(loc);
    assert_eq!((st, v), (200, json!({"errMsg": "authorize:ok"})));

    // clear authorization data -> prompts again
    let (st, v) = call(a, "DELETE", &format!("{BASE}/setting"), None, None);
    assert_eq!(st, 200);
    assert_eq!(v["authSetting"], json!({}));
    let (st, v) = auth(loc);
    assert_eq!(st, 202, "{v}");
    let id2 = v["prompt"]["id"].as_str().unwrap().to_string();
    let (st, _) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id2}"),
        None,
        Some(r#"{"answer": "allow"}"#),
    );
    assert_eq!(st, 200);
    let (st, _) = call(
        a,
        "DELETE",
        &format!("{BASE}/setting/scope.userLocation"),
        None,
        None,
    );
    assert_eq!(st, 200);

    // the log shows every step
    let (st, v) = call(a, "GET", &format!("{BASE}/log"), None, None);
    assert_eq!(st, 200);
    let steps: Vec<(String, String)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["via"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("prompt", "denied"),
        ("settings", "granted"),
        ("reset", "unset"),
        ("prompt", "granted"),
        ("host", "unset"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(steps, want, "{v}");

    // explain, errors
    let (st, v) = call(
        a,
        "GET",
        &format!("{BASE}/explain/scope.userLocation"),
        None,
        None,
    );
    assert_eq!(st, 200, "{v}");
    let (st, v) = call(a, "GET", &format!("{BASE}/explain/scope.nope"), None, None);
    assert_eq!(st, 400);
    assert_eq!(v["error"]["message"], "unknown scope `scope.nope`");
    let (st, v) = auth("{not json");
    assert_eq!(st, 400, "{v}");
    let big = format!(r#"{{"scope": "{}"}}"#, "x".repeat(100_000));
    let (st, v) = auth(&big);
    assert_eq!(st, 413, "{v}");
    assert_eq!(v["error"]["code"], "payload_too_large");
    let (st, _) = call(a, "GET", "/healthz", None, None);
    assert_eq!(st, 200);

    // every (route, status) the walk produced is in the OpenAPI document
    let (st, doc) = call(a, "GET", "/v1/openapi.json", None, None);
    assert_eq!(st, 200);
    assert!(doc["openapi"].as_str().unwrap().starts_with("3.1"));
    let mut paths: Vec<&str> = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    paths.sort_unstable();
    assert_eq!(
        paths,
        [
            "/healthz",
            "/metrics",
            "/v1/apps/{appid}/manifest",
            "/v1/apps/{appid}/users/{user}/authorize",
            "/v1/apps/{appid}/users/{user}/explain/{scope}",
            "/v1/apps/{appid}/users/{user}/log",
            "/v1/apps/{appid}/users/{user}/setting",
            "/v1/apps/{appid}/users/{user}/setting/{scope}",
            "/v1/apps/{appid}/users/{user}/settings-sessions",
            "/v1/openapi.json",
            "/v1/prompts/{id}",
            "/v1/settings-sessions/{id}",
            "/v1/settings-sessions/{id}/close",
        ]
    );
    let (_, metrics) = call(a, "GET", "/metrics", None, None);
    let metrics = metrics.as_str().unwrap().to_string();
    assert!(
        metrics.contains("miniperm_decisions_total{outcome=\"auth-deny\"} 2"),
        "{metrics}"
    );
    assert!(metrics.contains("miniperm_commit_batch_jobs_count"));
    let mut seen = 0;
    for line in metrics
        .lines()
        .filter(|l| l.starts_with("miniperm_http_requests_total{"))
    {
        let field = |k: &str| {
            let start = line.find(&format!("{k}=\"")).unwrap() + k.len() + 2;
            line[start..].split('"').next().unwrap().to_string()
        };
        let (m, route, status) = (
            field("method").to_lowercase(),
            field("route"),
            field("status"),
        );
        let op = &doc["paths"][&route][&m];
        assert!(op.is_object(), "{m} {route} missing from openapi.json");
        assert!(
            op["responses"][&status].is_object(),
            "{m} {route} {status} missing from openapi.json"
        );
        seen += 1;
    }
    assert!(seen >= 12, "{metrics}");
}

#[test]
fn keys_and_tenants() {
    for url in common::stores("keys_and_tenants") {
        keys_and_tenants_on(url);
    }
}

fn keys_and_tenants_on(url: Option<String>) {
    let mut secrets = Vec::new();
    let srv = common::start_on(
        url,
        |c| c.rate_limit = 10_000,
        |s| {
            secrets.push(create_key(s, "acme", 1).unwrap().1);
            secrets.push(create_key(s, "other", 2).unwrap().1);
        },
    );
    let (a, k1, k2) = (srv.addr, secrets[0].as_str(), secrets[1].as_str());
    let loc = r#"{"scope": "scope.camera"}"#;
    let (st, v) = call(a, "POST", &format!("{BASE}/authorize"), None, Some(loc));
    assert_eq!(st, 401);
    assert_eq!(v["error"]["code"], "unauthorized");
    let (st, _) = call(
        a,
        "POST",
        &format!("{BASE}/authorize"),
        Some("mpk_wrong"),
        Some(loc),
    );
    assert_eq!(st, 401);
    let (st, v) = call(a, "POST", &format!("{BASE}/authorize"), Some(k1), Some(loc));
    assert_eq!(st, 202);
    let id = v["prompt"]["id"].as_str().unwrap().to_string();
    // another tenant cannot answer it
    let (st, _) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        Some(k2),
        Some(r#"{"answer": "allow"}"#),
    );
    assert_eq!(st, 404);
    let (st, v) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        Some(k1),
        Some(r#"{"answer": "allow"}"#),
    );
    assert_eq!((st, v), (200, json!({"errMsg": "authorize:ok"})));
    // and sees nothing of it
    let (_, v) = call(a, "GET", &format!("{BASE}/setting"), Some(k2), None);
    assert_eq!(v["authSetting"], json!({}));
    let (_, v) = call(a, "GET", &format!("{BASE}/log"), Some(k2), None);
    assert_eq!(v["events"], json!([]));
    let (_, v) = call(a, "GET", &format!("{BASE}/setting"), Some(k1), None);
    assert_eq!(v["authSetting"], json!({"scope.camera": true}));
    let (_, v) = call(
        a,
        "POST",
        &format!("{BASE}/settings-sessions"),
        Some(k1),
        None,
    );
    let sid = v["id"].as_str().unwrap().to_string();
    let (st, _) = call(
        a,
        "POST",
        &format!("/v1/settings-sessions/{sid}/close"),
        Some(k2),
        None,
    );
    assert_eq!(st, 404);
}

#[test]
fn rate_limit_answers_429() {
    let srv = start(3, |_| {});
    let statuses: Vec<u16> = (0..8)
        .map(|_| call(srv.addr, "GET", &format!("{BASE}/setting"), None, None).0)
        .collect();
    assert!(statuses.contains(&429), "{statuses:?}");
    assert!(
        statuses.iter().filter(|s| **s == 200).count() <= 6,
        "{statuses:?}"
    );
}

/// Graceful shutdown mid-burst: the service stops accepting, answers what it accepted, commits
/// it, and returns; every 200 is in the store afterwards.
#[test]
fn graceful_shutdown_drains_in_flight_decisions() {
    for url in common::stores("graceful_shutdown_drains_in_flight_decisions") {
        graceful_shutdown_on(url);
    }
}

fn graceful_shutdown_on(url: Option<String>) {
    let mut srv = common::start_on(url, |c| c.rate_limit = u32::MAX, |_| {});
    let a = srv.addr;
    let mut prompts = Vec::new();
    for u in 0..200 {
        let (st, v) = call(
            a,
            "POST",
            &format!("/v1/apps/wxstop/users/u{u}/authorize"),
            None,
            Some(r#"{"scope": "scope.camera"}"#),
        );
        assert_eq!(st, 202);
        prompts.push((u, v["prompt"]["id"].as_str().unwrap().to_string()));
    }
    let (tx, rx) = std::sync::mpsc::channel::<usize>();
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let mine: Vec<(usize, String)> = prompts.iter().skip(t).step_by(8).cloned().collect();
            let tx = tx.clone();
            std::thread::spawn(move || {
                for (u, id) in mine {
                    let Ok(mut s) = TcpStream::connect(a) else { return };
                    let body = r#"{"answer": "allow"}"#;
                    if write!(s, "POST /v1/prompts/{id} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}", body.len()).is_err() {
                        return;
                    }
                    let mut raw = String::new();
                    if s.read_to_string(&mut raw).is_err() {
                        return;
                    }
                    if raw.starts_with("HTTP/1.1 200") {
                        let _ = tx.send(u);
                    } else {
                        return;
                    }
                }
            })
        })
        .collect();
    drop(tx);
    let mut acked = vec![rx.recv().unwrap()];
    while acked.len() < 50 {
        acked.push(rx.recv().unwrap());
    }
    // Stop now, mid-burst, and wait for serve() to return (writer drained).
    if let Some(s) = srv.stop.take() {
        s.send(()).unwrap();
    }
    if let Some(t) = srv.thread.take() {
        t.join().unwrap();
    }
    acked.extend(rx.iter());
    for t in threads {
        t.join().unwrap();
    }
    let mut store = miniperm_store::open_backend(&srv.target).unwrap();
    for u in &acked {
        let log = store
            .log_in(ConsentKey {
                tenant: "dev",
                app: "wxstop",
                user: &format!("u{u}"),
            })
            .unwrap();
        assert_eq!(log.len(), 1, "acknowledged answer of u{u} missing");
    }
    store.verify().unwrap();
}

/// Calls until `done` holds for the answer, or fails after 10 s: other processes' commits reach
/// the service's caches through the writer's `PRAGMA data_version` watch (within milliseconds).
fn until(
    what: &str,
    mut ask: impl FnMut() -> (u16, serde_json::Value),
    done: impl Fn(u16, &serde_json::Value) -> bool,
) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let (st, v) = ask();
        if done(st, &v) {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "{what}: still {st} {v}"
        );
        std::thread::yield_now();
    }
}

/// The service caches states and verified keys; a write or a revocation by another connection
/// (another process: `miniperm settings`, `miniperm keys revoke`) still reaches its answers.
#[test]
fn other_connections_writes_and_revocations_are_seen() {
    use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
    use miniperm_store::ConsentStore;
    let mut key = None;
    let srv = start(u32::MAX, |s| key = Some(create_key(s, "acme", 1).unwrap()));
    let (row, secret) = key.unwrap();
    let a = srv.addr;
    let get = || call(a, "GET", &format!("{BASE}/setting"), Some(&secret), None);
    // Cached: the key and an empty state.
    for _ in 0..3 {
        let (st, v) = get();
        assert_eq!((st, &v["authSetting"]), (200, &json!({})));
    }
    let mut other = SqliteStore::open(&srv.db).unwrap();
    other.set_tenant("acme");
    let meta = EventMeta {
        at: 5,
        user: "alice".into(),
        app: "wxdemo".into(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    let change = Change {
        subject: Subject::Scope(Scope::Camera),
        from: Value::Unset,
        to: Value::Granted,
        via: Via::Host,
        gesture: false,
        api: None,
        notice: None,
    };
    other
        .append(vec![ConsentEvent::new(&meta, change.clone())])
        .unwrap();
    until("another connection's grant", get, |st, v| {
        st == 200 && v["authSetting"] == json!({"scope.camera": true})
    });
    // An authorize now decides from the granted state (no prompt).
    let (st, v) = call(
        a,
        "POST",
        &format!("{BASE}/authorize"),
        Some(&secret),
        Some(r#"{"scope": "scope.camera"}"#),
    );
    assert_eq!((st, v), (200, json!({"errMsg": "authorize:ok"})));
    // A user the service never saw, first written by another connection once the known-keys
    // filter is back on (it goes off at every foreign commit): the filter must not answer
    // "never seen" for them.
    let filter_on = || {
        let (st, v) = call(a, "GET", "/metrics", None, None);
        let on = v
            .as_str()
            .unwrap_or("")
            .lines()
            .any(|l| l == "miniperm_known_keys_filter_on 1");
        (st, json!(on))
    };
    until("the known-keys filter", filter_on, |_, on| {
        *on == json!(true)
    });
    let carol = BASE.replace("alice", "carol");
    let get_carol = || call(a, "GET", &format!("{carol}/setting"), Some(&secret), None);
    assert_eq!(get_carol().1["authSetting"], json!({}));
    let meta = EventMeta {
        user: "carol".into(),
        ..meta
    };
    other
        .append(vec![ConsentEvent::new(&meta, change)])
        .unwrap();
    until(
        "another connection's first write for a new user",
        get_carol,
        |st, v| st == 200 && v["authSetting"] == json!({"scope.camera": true}),
    );
    assert!(other.revoke_key(&row.id, 9).unwrap());
    until("the revocation", get, |st, _| st == 401);
}

/// Tenant B's key on tenant A's (app, user): every read answers what a user B never saw would
/// get (empty, nothing revealed), ids of A's prompts and sessions are 404 like unknown ids, and
/// B's writes land in B's data only.
#[test]
fn another_tenant_sees_nothing_and_changes_nothing() {
    let mut secrets = Vec::new();
    let srv = start(10_000, |s| {
        secrets.push(create_key(s, "acme", 1).unwrap().1);
        secrets.push(create_key(s, "other", 2).unwrap().1);
    });
    let (a, ka, kb) = (srv.addr, secrets[0].as_str(), secrets[1].as_str());
    let manifest = r#"{"permission": {"scope.userLocation": {"desc": "acme's secret reason"}}}"#;
    let (st, _) = call(
        a,
        "PUT",
        "/v1/apps/wxdemo/manifest",
        Some(ka),
        Some(manifest),
    );
    assert_eq!(st, 200);
    let loc = r#"{"scope": "scope.userLocation"}"#;
    let (st, v) = call(a, "POST", &format!("{BASE}/authorize"), Some(ka), Some(loc));
    assert_eq!(st, 202);
    assert_eq!(v["prompt"]["desc"], "acme's secret reason");
    let id = v["prompt"]["id"].as_str().unwrap().to_string();
    let allow = r#"{"answer": "allow"}"#;
    let (st, _) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        Some(ka),
        Some(allow),
    );
    assert_eq!(st, 200);
    let (_, sa) = call(
        a,
        "POST",
        &format!("{BASE}/settings-sessions"),
        Some(ka),
        None,
    );
    let sid = sa["id"].as_str().unwrap().to_string();

    // What B gets is exactly what a user nobody ever saw gets.
    let fresh = "/v1/apps/wxdemo/users/nobody";
    for path in ["setting", "log", "explain/scope.userLocation"] {
        let (st_b, vb) = call(a, "GET", &format!("{BASE}/{path}"), Some(kb), None);
        let (st_n, vn) = call(a, "GET", &format!("{fresh}/{path}"), Some(kb), None);
        assert_eq!(st_b, 200, "{path}");
        assert_eq!((st_b, &vb), (st_n, &vn), "{path}");
    }
    // A's manifest is not B's: B's authorize of the same app fails like an app without one
    // (no desc for the location scope) and shows nothing of A's.
    let (_, vb) = call(a, "POST", &format!("{BASE}/authorize"), Some(kb), Some(loc));
    assert!(!vb.to_string().contains("acme"), "{vb}");
    // A's prompt and settings session ids are unknown to B.
    let (st, _) = call(
        a,
        "POST",
        &format!("/v1/prompts/{id}"),
        Some(kb),
        Some(allow),
    );
    assert_eq!(st, 404);
    let on = r#"{"scope.userLocation": false}"#;
    let (st, vb) = call(
        a,
        "PATCH",
        &format!("/v1/settings-sessions/{sid}"),
        Some(kb),
        Some(on),
    );
    assert_eq!(st, 404);
    assert_eq!(
        vb["error"]["message"],
        call(
            a,
            "PATCH",
            "/v1/settings-sessions/s_unknown",
            Some(kb),
            Some(on)
        )
        .1["error"]["message"]
            .as_str()
            .unwrap()
            .replace("s_unknown", &sid)
    );
    // B clearing "A's" user clears B's namespace only.
    let (st, _) = call(a, "DELETE", &format!("{BASE}/setting"), Some(kb), None);
    assert_eq!(st, 200);
    let (_, v) = call(a, "GET", &format!("{BASE}/setting"), Some(ka), None);
    assert_eq!(v["authSetting"], json!({"scope.userLocation": true}));
    let (_, v) = call(a, "GET", &format!("{BASE}/log"), Some(ka), None);
    assert_eq!(v["events"].as_array().unwrap().len(), 1, "{v}");
}

/// A manifest registered through the API changes decisions (the permission desc, the private-info
/// and background checks), so it is kept in the store and outlives a restart.
#[test]
fn a_registered_manifest_survives_a_restart() {
    let srv = start(10_000, |_| {});
    let manifest = r#"{"permission": {"scope.userLocation": {"desc": "to find stores near you"}},
        "requiredPrivateInfos": ["getLocation"]}"#;
    let (st, put) = call(
        srv.addr,
        "PUT",
        "/v1/apps/wxdemo/manifest",
        None,
        Some(manifest),
    );
    assert_eq!(st, 200, "{put}");
    // `wx.authorize` of the location scope for alice: the prompt names the stored desc.
    let ask = |addr| {
        let loc = r#"{"scope": "scope.userLocation"}"#;
        call(addr, "POST", &format!("{BASE}/authorize"), None, Some(loc))
    };
    let (st, v) = ask(srv.addr);
    assert_eq!(
        (st, &v["prompt"]["desc"]),
        (202, &json!("to find stores near you"))
    );
    let srv = srv.restart(|c| c.rate_limit = 10_000);
    let (st, v) = ask(srv.addr);
    assert_eq!(
        (st, &v["prompt"]["desc"]),
        (202, &json!("to find stores near you")),
        "{v}"
    );
    // Replaced, not merged; and the same as what PUT answered.
    let (st, put2) = call(
        srv.addr,
        "PUT",
        "/v1/apps/wxdemo/manifest",
        None,
        Some("{}"),
    );
    assert_eq!(st, 200);
    assert_ne!(put, put2);
    let srv = srv.restart(|c| c.rate_limit = 10_000);
    let (_, v) = ask(srv.addr);
    assert!(
        v["prompt"]["desc"] != json!("to find stores near you"),
        "{v}"
    );
    let stored = SqliteStore::open(&srv.db)
        .unwrap()
        .manifest_in("dev", "wxdemo")
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::from_str::<serde_json::Value>(&stored).unwrap(),
        put2
    );
}
