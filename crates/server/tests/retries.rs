//! Retries tell the truth (issue 21), forced deterministically: the writer's store is told to
//! commit and then lose the answer (the outcome-unknown case of a primary that dies between
//! its commit and its reply), or to fail before committing, and the retry must get the
//! committed result with nothing decided twice. On SQLite and on PostgreSQL.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;

use miniperm_server::faults::{Fault, Faults};
use miniperm_store::{Backend, ConsentKey, Target, open_backend};
use serde_json::{Value, json};

mod common;
use common::{Server, call, call_raw};

const APP: &str = "wxretry";
const DENY: &str = r#"{"errMsg":"authorize:fail auth deny","errno":103}"#;
const OK: &str = r#"{"errMsg":"authorize:ok"}"#;

fn start(url: Option<String>, faults: &Arc<Faults>) -> Server {
    let f = faults.clone();
    common::start_on(
        url,
        move |c| {
            c.rate_limit = u32::MAX;
            c.faults = Some(f);
        },
        |_| {},
    )
}

fn store(srv: &Server) -> Box<dyn Backend> {
    open_backend(&srv.target).unwrap()
}

/// The events of one user, as (via, to) pairs.
fn log(srv: &Server, user: &str) -> Vec<(String, String)> {
    store(srv)
        .log_in(ConsentKey {
            tenant: "dev",
            app: APP,
            user,
        })
        .unwrap()
        .into_iter()
        .map(|e| (e.via.as_str().to_string(), e.to.as_str().to_string()))
        .collect()
}

fn pair(via: &str, to: &str) -> (String, String) {
    (via.to_string(), to.to_string())
}

fn prompt(srv: &Server, user: &str, scope: &str) -> String {
    let (st, v) = call(
        srv.addr,
        "POST",
        &format!("/v1/apps/{APP}/users/{user}/authorize"),
        None,
        Some(&format!(r#"{{"scope": "{scope}"}}"#)),
    );
    assert_eq!(st, 202, "{v}");
    v["prompt"]["id"].as_str().unwrap().to_string()
}

fn answer(srv: &Server, id: &str, answer: &str) -> (u16, String) {
    call_raw(
        srv.addr,
        "POST",
        &format!("/v1/prompts/{id}"),
        &[],
        Some(&format!(r#"{{"answer": "{answer}"}}"#)),
    )
}

fn code(body: &str) -> String {
    let v: Value = serde_json::from_str(body).unwrap();
    v["error"]["code"].as_str().unwrap_or("").to_string()
}

fn metric(srv: &Server, line_start: &str) -> String {
    let (_, m) = call(srv.addr, "GET", "/metrics", None, None);
    m.as_str()
        .unwrap()
        .lines()
        .find(|l| l.starts_with(line_start))
        .unwrap_or("")
        .to_string()
}

#[test]
fn a_prompt_answer_whose_commit_answer_was_lost_is_resolved_by_its_retry() {
    for url in common::stores("retry_prompt_answer") {
        let name = common::store_name(&url);
        let faults = Arc::new(Faults::default());
        let srv = start(url, &faults);

        // Committed, answer lost: 503, and the retry gets the committed result.
        let id = prompt(&srv, "u1", "scope.camera");
        faults.arm(Fault::LoseAnswer);
        let (st, body) = answer(&srv, &id, "deny");
        assert_eq!(
            (st, code(&body).as_str()),
            (503, "unavailable"),
            "{name}: {body}"
        );
        assert_eq!(faults.fired(), 1);
        assert_eq!(log(&srv, "u1"), [pair("prompt", "denied")], "{name}");
        let (st, body) = answer(&srv, &id, "deny");
        assert_eq!((st, body.as_str()), (200, DENY), "{name}");
        // Again, and once more after a different answer was refused: still one decision.
        let (st, body) = answer(&srv, &id, "allow");
        assert_eq!(st, 409, "{name}: {body}");
        assert!(body.contains("was already answered `deny`"), "{body}");
        let (st, body) = answer(&srv, &id, "deny");
        assert_eq!((st, body.as_str()), (200, DENY), "{name}");
        assert_eq!(log(&srv, "u1"), [pair("prompt", "denied")], "{name}");
        assert_eq!(
            metric(&srv, "miniperm_replays_total{kind=\"prompt\"}"),
            "miniperm_replays_total{kind=\"prompt\"} 2",
            "{name}"
        );

        // Not committed: 503, the prompt is still waiting, and the retry decides it once.
        let id = prompt(&srv, "u2", "scope.camera");
        faults.arm(Fault::FailBeforeCommit);
        let (st, body) = answer(&srv, &id, "allow");
        assert_eq!(st, 503, "{name}: {body}");
        assert_eq!(log(&srv, "u2"), [], "{name}");
        let (st, body) = answer(&srv, &id, "allow");
        assert_eq!((st, body.as_str()), (200, OK), "{name}");
        let (st, body) = answer(&srv, &id, "agree");
        assert_eq!(
            (st, body.as_str()),
            (200, OK),
            "{name}: agree is allow's family"
        );
        assert_eq!(log(&srv, "u2"), [pair("prompt", "granted")], "{name}");
        assert!(
            metric(&srv, "miniperm_commit_failures_total").ends_with(" 2"),
            "{name}"
        );

        // The retry reads the receipt and commits nothing: a fault armed for the next commit
        // is still armed after it.
        let id = prompt(&srv, "u3", "scope.camera");
        faults.arm(Fault::LoseAnswer);
        faults.arm(Fault::FailBeforeCommit);
        assert_eq!(answer(&srv, &id, "deny").0, 503);
        assert_eq!(answer(&srv, &id, "deny"), (200, DENY.to_string()));
        assert_eq!(faults.fired(), 3, "{name}: the retry committed");
        assert_eq!(log(&srv, "u3"), [pair("prompt", "denied")], "{name}");
        let id = prompt(&srv, "u4", "scope.camera");
        assert_eq!(
            answer(&srv, &id, "deny").0,
            503,
            "{name}: the armed fault fires here"
        );
        assert_eq!(faults.fired(), 4);
        assert_eq!(answer(&srv, &id, "deny"), (200, DENY.to_string()));
        assert_eq!(log(&srv, "u4"), [pair("prompt", "denied")], "{name}");
        store(&srv).verify().unwrap();
    }
}

#[test]
fn keyed_requests_are_decided_once_however_often_they_come() {
    for url in common::stores("retry_keyed_requests") {
        let name = common::store_name(&url);
        let faults = Arc::new(Faults::default());
        let srv = start(url, &faults);
        let a = srv.addr;
        let base = format!("/v1/apps/{APP}/users/k1");
        let keyed = |method: &str, path: &str, key: &str, body: Option<&str>| {
            call_raw(a, method, path, &[("Idempotency-Key", key)], body)
        };

        // authorize of a retired scope: first use records granted (D4).
        let address = r#"{"scope": "scope.address"}"#;
        faults.arm(Fault::LoseAnswer);
        let auth = format!("{base}/authorize");
        assert_eq!(keyed("POST", &auth, "a-1", Some(address)).0, 503, "{name}");
        assert_eq!(keyed("POST", &auth, "a-1", Some(address)), (200, OK.into()));
        assert_eq!(keyed("POST", &auth, "a-1", Some(address)), (200, OK.into()));
        let (st, body) = keyed("POST", &auth, "a-1", Some(r#"{"scope": "scope.camera"}"#));
        assert_eq!(st, 409, "{name}: {body}");
        assert!(
            body.contains("was already used for another request"),
            "{body}"
        );
        // A keyed authorize that prompts: the retry gets the same prompt, still answerable.
        let (st, first) = keyed("POST", &auth, "a-2", Some(r#"{"scope": "scope.camera"}"#));
        assert_eq!(st, 202, "{first}");
        let (st, again) = keyed("POST", &auth, "a-2", Some(r#"{"scope": "scope.camera"}"#));
        assert_eq!((st, &again), (202, &first), "{name}");
        let id = serde_json::from_str::<Value>(&first).unwrap()["prompt"]["id"]
            .as_str()
            .unwrap()
            .to_string();
        assert_eq!(answer(&srv, &id, "allow"), (200, OK.into()));

        // PATCH of a settings session, then its close, twice each.
        let (st, v) = call(a, "POST", &format!("{base}/settings-sessions"), None, None);
        assert_eq!(st, 200, "{v}");
        let sid = v["id"].as_str().unwrap().to_string();
        let patch = format!("/v1/settings-sessions/{sid}");
        faults.arm(Fault::LoseAnswer);
        let off = r#"{"scope.camera": false}"#;
        assert_eq!(keyed("PATCH", &patch, "p-1", Some(off)).0, 503, "{name}");
        let (st, first) = keyed("PATCH", &patch, "p-1", Some(off));
        assert_eq!(st, 200, "{name}: {first}");
        assert!(first.contains(r#""on":false"#), "{first}");
        assert_eq!(keyed("PATCH", &patch, "p-1", Some(off)), (200, first));
        let close = format!("/v1/settings-sessions/{sid}/close");
        let closed = call_raw(a, "POST", &close, &[], None);
        assert_eq!(closed.0, 200);
        assert_eq!(call_raw(a, "POST", &close, &[], None), closed);
        let (st, body) = call_raw(a, "PATCH", &patch, &[], Some(off));
        assert_eq!((st, code(&body).as_str()), (404, "unknown_session"));

        // DELETE of one scope: the same body, with the same events, on every repeat.
        let del = format!("{base}/setting/scope.camera");
        faults.arm(Fault::LoseAnswer);
        assert_eq!(keyed("DELETE", &del, "d-1", None).0, 503, "{name}");
        let (st, first) = keyed("DELETE", &del, "d-1", None);
        assert_eq!(st, 200, "{name}: {first}");
        let v: Value = serde_json::from_str(&first).unwrap();
        assert_eq!(v["events"].as_array().unwrap().len(), 1, "{first}");
        assert_eq!(v["authSetting"], json!({"scope.address": true}));
        assert_eq!(keyed("DELETE", &del, "d-1", None), (200, first));
        // The whole reset, keyed.
        let reset = format!("{base}/setting");
        let (st, first) = keyed("DELETE", &reset, "d-2", None);
        assert_eq!(st, 200, "{first}");
        assert_eq!(keyed("DELETE", &reset, "d-2", None), (200, first));
        let (st, body) = keyed("DELETE", &del, "d-2", None);
        assert_eq!(
            st, 409,
            "{name}: the key names the reset, not a removal: {body}"
        );

        assert_eq!(
            log(&srv, "k1"),
            [
                pair("prompt", "granted"),  // scope.address, first use
                pair("prompt", "granted"),  // scope.camera, the keyed authorize's prompt
                pair("settings", "denied"), // the keyed PATCH
                pair("host", "unset"),      // the keyed DELETE of scope.camera
                pair("reset", "unset"),     // the keyed reset
            ],
            "{name}"
        );
        store(&srv).verify().unwrap();

        // The OpenAPI document states the rules: the header on each keyed route.
        let (_, doc) = call(a, "GET", "/v1/openapi.json", None, None);
        assert!(
            doc["info"]["description"]
                .as_str()
                .unwrap()
                .contains("Idempotency-Key")
        );
        for (path, method) in [
            ("/v1/apps/{appid}/users/{user}/authorize", "post"),
            ("/v1/settings-sessions/{id}", "patch"),
            ("/v1/apps/{appid}/users/{user}/setting", "delete"),
            ("/v1/apps/{appid}/users/{user}/setting/{scope}", "delete"),
        ] {
            let op = &doc["paths"][path][method];
            let header = op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header");
            assert!(
                header,
                "{method} {path}: no Idempotency-Key in openapi.json"
            );
            assert!(op["responses"]["409"].is_object(), "{method} {path}");
        }
        let prompt = &doc["paths"]["/v1/prompts/{id}"]["post"]["responses"];
        assert!(prompt["503"].is_object() && prompt["404"].is_object());

        // Keys are checked.
        let (st, body) = keyed("DELETE", &reset, "", None);
        assert_eq!((st, code(&body).as_str()), (400, "bad_request"), "{body}");
        let long = "k".repeat(256);
        assert_eq!(keyed("DELETE", &reset, &long, None).0, 400);
    }
}

#[test]
fn after_a_restart_a_lost_prompt_is_a_clear_404_and_an_answered_one_still_replays() {
    for url in common::stores("retry_after_restart") {
        let name = common::store_name(&url);
        let faults = Arc::new(Faults::default());
        let srv = start(url, &faults);
        let answered = prompt(&srv, "r1", "scope.camera");
        assert_eq!(answer(&srv, &answered, "deny"), (200, DENY.into()));
        let waiting = prompt(&srv, "r2", "scope.camera");
        faults.arm(Fault::LoseAnswer);
        let lost = prompt(&srv, "r3", "scope.camera");
        assert_eq!(answer(&srv, &lost, "allow").0, 503);

        let srv = srv.restart(|c| c.rate_limit = u32::MAX);
        // The store has the answers that committed, also the one whose answer was lost.
        assert_eq!(
            answer(&srv, &answered, "deny"),
            (200, DENY.into()),
            "{name}"
        );
        assert_eq!(answer(&srv, &lost, "allow"), (200, OK.into()), "{name}");
        // The prompt that was only in memory: not waiting, no answer recorded, ask again.
        let (st, body) = answer(&srv, &waiting, "allow");
        assert_eq!(
            (st, code(&body).as_str()),
            (404, "unknown_prompt"),
            "{body}"
        );
        assert!(body.contains("call authorize again"), "{body}");
        assert_eq!(log(&srv, "r2"), [], "{name}");
        let again = prompt(&srv, "r2", "scope.camera");
        assert_eq!(answer(&srv, &again, "allow"), (200, OK.into()));
    }
}

#[test]
fn the_writer_never_commits_one_key_twice() {
    use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
    use miniperm_server::cache::Caches;
    use miniperm_server::writer::Writer;
    use miniperm_store::{Committed, Receipt};

    for url in common::stores("retry_writer_once") {
        let dir = tempfile::tempdir().unwrap();
        let target = match &url {
            Some(u) => Target::Postgres(u.clone()),
            None => Target::Sqlite(dir.path().join("w.sqlite")),
        };
        let store = open_backend(&target).unwrap();
        let metrics = Arc::new(miniperm_server::Metrics::default());
        let caches = Arc::new(Caches::new(true, false));
        let (writer, handle) = Writer::start(store, metrics, caches, false);
        let meta = EventMeta {
            at: 1,
            user: "w".into(),
            app: APP.into(),
            channel: Channel::Release,
            profile: "wechat".into(),
        };
        let ev = |to| {
            vec![ConsentEvent::new(
                &meta,
                Change {
                    subject: Subject::Scope(Scope::Camera),
                    from: Value::Unset,
                    to,
                    via: Via::Prompt,
                    gesture: false,
                    api: None,
                    notice: None,
                },
            )]
        };
        let receipt = Receipt {
            key: "prompt:p_w".into(),
            fingerprint: "deny".into(),
            user: "w".into(),
            app: APP.into(),
            status: 200,
            body: DENY.into(),
            at: 1,
        };
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        // Two attempts queued at once (a retry racing an attempt still in flight).
        let (a, b) = rt.block_on(async {
            tokio::join!(
                writer.commit("dev", ev(Value::Denied), Some(receipt.clone())),
                writer.commit("dev", ev(Value::Granted), Some(receipt.clone())),
            )
        });
        assert!(matches!(a.unwrap(), Committed::Appended(e) if e.len() == 1));
        let Committed::Duplicate(first) = b.unwrap() else {
            panic!("the second attempt committed too")
        };
        assert_eq!(first.receipt, receipt);
        drop(writer);
        handle.join().unwrap();
        let log = open_backend(&target)
            .unwrap()
            .log_in(ConsentKey {
                tenant: "dev",
                app: APP,
                user: "w",
            })
            .unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!(log[0].to, Value::Denied);
    }
}
