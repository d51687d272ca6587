//! `kill -9` during a burst of prompt answers loses no acknowledged decision: the built
//! `miniperm serve` is started on an ephemeral port, threads answer prompts over HTTP, the
//! process is SIGKILLed mid-burst, and the reopened store holds every answer that got a 200.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;

use miniperm_core::{Scope, Subject, Value};
use miniperm_store::SqliteStore;

fn call(addr: SocketAddr, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut raw = String::new();
    s.read_to_string(&mut raw).ok()?;
    let (head, rest) = raw.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    Some((status, rest.to_string()))
}

#[test]
fn acknowledged_answers_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("consent.sqlite");
    let mut child = Command::new(env!("CARGO_BIN_EXE_miniperm"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    // "miniperm serve: http://127.0.0.1:PORT/v1 · store …"
    let addr: SocketAddr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .unwrap()
        .parse()
        .unwrap();

    const USERS: usize = 300;
    let mut prompts = Vec::new();
    for u in 0..USERS {
        let (st, body) = call(
            addr,
            "POST",
            &format!("/v1/apps/wxkill/users/u{u}/authorize"),
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

    let mut store = SqliteStore::open(&db).unwrap();
    store.verify().unwrap();
    for (u, allow) in &acked {
        let log = store.log_in("dev", &format!("u{u}"), "wxkill").unwrap();
        let want = if *allow {
            Value::Granted
        } else {
            Value::Denied
        };
        assert!(
            log.iter()
                .any(|e| e.scope == Subject::Scope(Scope::Camera) && e.to == want),
            "acknowledged answer of u{u} lost: {log:?}"
        );
    }
}
