//! `kill -9` during a burst of prompt answers loses no acknowledged decision, on SQLite and on
//! PostgreSQL: the built `miniperm serve` is started on an ephemeral port, threads answer prompts
//! over HTTP, the process is SIGKILLed mid-burst, and the reopened store holds every answer that
//! got a 200, with every state equal to the fold of its log. `MINIPERM_KILL_TRIALS` (default 2)
//! trials per store, each on the store the previous trials left behind; a summary line per store
//! goes to stderr (the figures of BENCHMARKS.md come from `MINIPERM_KILL_TRIALS=100`).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::io::Write;
use std::process::Command;
use std::sync::mpsc;

use miniperm_core::{Scope, Subject, Value};
use miniperm_store::{ConsentKey, Target, open_backend, testpg};

mod common;
use common::{call, spawn_serve};

#[test]
fn acknowledged_answers_survive_sigkill() {
    let trials: usize = std::env::var("MINIPERM_KILL_TRIALS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2);
    let dir = tempfile::tempdir().unwrap();
    let mut stores = vec![Target::Sqlite(dir.path().join("consent.sqlite"))];
    if let Some(url) = testpg::fresh_url("acknowledged_answers_survive_sigkill") {
        stores.push(Target::Postgres(url));
    }
    for target in stores {
        let started = std::time::Instant::now();
        let mut acked_total = 0;
        for trial in 0..trials {
            acked_total += trial_once(&target, trial);
        }
        let name = match target {
            Target::Sqlite(_) => "sqlite",
            Target::Postgres(_) => "postgres",
        };
        // Past the harness's capture: the figures are the point of a long run.
        let _ = writeln!(
            std::io::stderr(),
            "serve_kill {name}: {trials} trials, {acked_total} acknowledged answers, 0 lost, {:.1} s",
            started.elapsed().as_secs_f64()
        );
    }
}

/// One trial: serve, answer prompts from 8 threads, SIGKILL mid-burst, check the store. Returns
/// how many answers were acknowledged.
fn trial_once(target: &Target, trial: usize) -> usize {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_miniperm"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"]);
    match target {
        Target::Sqlite(p) => cmd.arg("--db").arg(p),
        Target::Postgres(u) => cmd.args(["--database-url", u]),
    };
    let (mut child, addr) = spawn_serve(&mut cmd);
    let app = format!("wxkill{trial}");

    const USERS: usize = 150;
    let mut prompts = Vec::new();
    for u in 0..USERS {
        let (st, body) = call(
            addr,
            "POST",
            &format!("/v1/apps/{app}/users/u{u}/authorize"),
            r#"{"scope": "scope.camera"}"#,
        )
        .unwrap();
        assert_eq!(st, 202, "{body}");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        prompts.push((u, v["prompt"]["id"].as_str().unwrap().to_string()));
    }

    let (tx, rx) = mpsc::channel::<(usize, bool)>();
    let mut threads = Vec::new();
    for t in 0..8 {
        let mine: Vec<(usize, String)> = prompts.iter().skip(t).step_by(8).cloned().collect();
        let tx = tx.clone();
        threads.push(std::thread::spawn(move || {
            for (u, id) in mine {
                let allow = u % 3 != 0;
                let body = format!(
                    r#"{{"answer": "{}"}}"#,
                    if allow { "allow" } else { "deny" }
                );
                match call(addr, "POST", &format!("/v1/prompts/{id}"), &body) {
                    Some((200, _)) => {
                        let _ = tx.send((u, allow));
                    }
                    _ => return,
                }
            }
        }));
    }
    drop(tx);
    let mut acked = Vec::new();
    while let Ok(a) = rx.recv() {
        acked.push(a);
        if acked.len() == USERS / 3 {
            child.kill().unwrap(); // SIGKILL
            break;
        }
    }
    let _ = child.wait();
    // Answers acknowledged before the threads noticed the kill.
    acked.extend(rx.iter());
    for t in threads {
        t.join().unwrap();
    }
    assert!(acked.len() >= USERS / 3);
    assert!(acked.len() < USERS, "the kill came mid-burst");

    let mut store = open_backend(target).unwrap();
    store.verify().unwrap();
    for (u, allow) in &acked {
        let log = store
            .log_in(ConsentKey {
                tenant: "dev",
                app: &app,
                user: &format!("u{u}"),
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
            "trial {trial}: acknowledged answer of u{u} lost: {log:?}"
        );
    }
    acked.len()
}
