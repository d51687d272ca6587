//! PostgreSQL restarts under load: clients see errors or waits while it is down, never a lost
//! acknowledged decision, and the service recovers by itself (its store reconnects). Runs on a
//! cluster of its own (the PostgreSQL binaries must be installed; skipped with a message if not).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use miniperm_core::{Scope, Subject, Value};
use miniperm_store::{ConsentKey, PgStore, testpg};

mod common;
use common::call;

/// Restarts per run, and acknowledged answers wanted between two restarts.
const RESTARTS: usize = 2;
const BETWEEN: usize = 60;

#[test]
fn acknowledged_decisions_survive_a_postgres_restart_under_load() {
    if testpg::fresh_url("acknowledged_decisions_survive_a_postgres_restart_under_load").is_none() {
        return;
    }
    let cluster = match testpg::Cluster::init(false) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("SKIPPED the restart test: {why}");
            return;
        }
    };
    cluster.stop_when_this_process_ends().unwrap();
    cluster.start().unwrap();
    let url = cluster.url();
    let srv = common::start_on(Some(url.clone()), |c| c.rate_limit = u32::MAX, |_| {});
    let addr = srv.addr;

    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(AtomicUsize::new(0));
    let (tx, rx) = mpsc::channel::<(String, bool)>();
    let mut threads = Vec::new();
    for t in 0..6 {
        let (stop, failures, tx) = (stop.clone(), failures.clone(), tx.clone());
        threads.push(std::thread::spawn(move || {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                i += 1;
                let user = format!("t{t}-{i}");
                let allow = i % 3 != 0;
                let (st, v) = call(
                    addr,
                    "POST",
                    &format!("/v1/apps/wxrestart/users/{user}/authorize"),
                    None,
                    Some(r#"{"scope": "scope.camera"}"#),
                );
                if st != 202 {
                    failures.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let id = v["prompt"]["id"].as_str().unwrap().to_string();
                let body = format!(
                    r#"{{"answer": "{}"}}"#,
                    if allow { "allow" } else { "deny" }
                );
                let (st, _) = call(
                    addr,
                    "POST",
                    &format!("/v1/prompts/{id}"),
                    None,
                    Some(&body),
                );
                if st == 200 {
                    let _ = tx.send((user, allow));
                } else {
                    failures.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }
    drop(tx);
    let mut acked = Vec::new();
    for _ in 0..RESTARTS {
        acked.extend(rx.iter().take(BETWEEN));
        cluster.stop("fast").unwrap();
        cluster.start().unwrap();
    }
    // The service recovers by itself: answers are acknowledged again after the last restart.
    acked.extend(rx.iter().take(BETWEEN));
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    acked.extend(rx.iter());
    drop(srv);

    let mut store = PgStore::open(&url).unwrap();
    store.verify().unwrap();
    for (user, allow) in &acked {
        let log = store
            .log_in(ConsentKey {
                tenant: "dev",
                app: "wxrestart",
                user,
            })
            .unwrap();
        let want = if *allow {
            Value::Granted
        } else {
            Value::Denied
        };
        assert!(
            log.iter()
                .any(|e| e.scope == Subject::Scope(Scope::Camera) && e.to == want),
            "acknowledged answer of {user} lost: {log:?}"
        );
    }
    assert!(acked.len() >= (RESTARTS + 1) * BETWEEN);
    eprintln!(
        "pg_restart: {RESTARTS} restarts, {} acknowledged answers, 0 lost, {} requests refused meanwhile",
        acked.len(),
        failures.load(Ordering::Relaxed)
    );
    cluster.stop("fast").unwrap();
}

/// While PostgreSQL is down, requests that need it wait for the pool's reconnect (seconds), and
/// meanwhile `/healthz` and `/metrics` still answer at once: a store read runs as blocking work,
/// not on the async worker every other request needs (a liveness probe must not kill a service
/// that is only waiting for its database's failover).
#[test]
fn liveness_answers_while_the_store_reconnects() {
    use std::time::{Duration, Instant};
    if testpg::fresh_url("liveness_answers_while_the_store_reconnects").is_none() {
        return;
    }
    let cluster = match testpg::Cluster::init(false) {
        Ok(c) => c,
        Err(why) => {
            eprintln!("SKIPPED the liveness test: {why}");
            return;
        }
    };
    cluster.stop_when_this_process_ends().unwrap();
    cluster.start().unwrap();
    let srv = common::start_on(Some(cluster.url()), |c| c.rate_limit = u32::MAX, |_| {});
    let addr = srv.addr;
    let (st, _) = call(
        addr,
        "POST",
        "/v1/apps/wxlive/users/u/authorize",
        None,
        Some(r#"{"scope": "scope.camera"}"#),
    );
    assert_eq!(st, 202);
    cluster.stop("immediate").unwrap();
    // More waiting requests than the service has async workers (2 in the test server).
    let waiting: Vec<_> = (0..6)
        .map(|i| {
            std::thread::spawn(move || {
                call(
                    addr,
                    "POST",
                    &format!("/v1/apps/wxlive/users/w{i}/authorize"),
                    None,
                    Some(r#"{"scope": "scope.camera"}"#),
                )
                .0
            })
        })
        .collect();
    for _ in 0..5 {
        let t = Instant::now();
        let (st, v) = call(addr, "GET", "/healthz", None, None);
        assert_eq!((st, v.as_str()), (200, Some("ok")));
        let (st, _) = call(addr, "GET", "/metrics", None, None);
        assert_eq!(st, 200);
        assert!(
            t.elapsed() < Duration::from_secs(1),
            "liveness took {:?} while the store was down",
            t.elapsed()
        );
    }
    cluster.start().unwrap();
    for w in waiting {
        let st = w.join().unwrap();
        assert!(matches!(st, 202 | 503), "{st}");
    }
    cluster.stop("fast").unwrap();
}
