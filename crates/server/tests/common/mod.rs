//! The test server on an ephemeral loopback port and a tiny HTTP/1.1 client over TcpStream,
//! shared by the API and simulator tests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use miniperm_server::{Config, serve};
use miniperm_store::SqliteStore;
use serde_json::Value;

pub struct Server {
    pub addr: SocketAddr,
    pub db: std::path::PathBuf,
    pub stop: Option<tokio::sync::oneshot::Sender<()>>,
    pub thread: Option<std::thread::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Starts a server on 127.0.0.1:0 over a fresh database: `configure` adjusts its config,
/// `prepare` runs on the store first.
pub fn start(
    configure: impl FnOnce(&mut Config),
    prepare: impl FnOnce(&mut SqliteStore),
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("consent.sqlite");
    prepare(&mut SqliteStore::open(&db).unwrap());
    start_at(dir, db, configure)
}

impl Server {
    /// Stops this server (gracefully) and starts another on the same database.
    pub fn restart(mut self, configure: impl FnOnce(&mut Config)) -> Server {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            t.join().unwrap();
        }
        let dir = tempfile::tempdir().unwrap();
        let dir = std::mem::replace(&mut self._dir, dir);
        start_at(dir, self.db.clone(), configure)
    }
}

fn start_at(
    dir: tempfile::TempDir,
    db: std::path::PathBuf,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut cfg = Config::new(addr, db.clone());
    configure(&mut cfg);
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let thread = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(std_listener).unwrap();
            serve(listener, &cfg, async {
                let _ = rx.await;
            })
            .await
            .unwrap();
        });
    });
    Server {
        addr,
        db,
        stop: Some(tx),
        thread: Some(thread),
        _dir: dir,
    }
}

/// One request; returns (status, body as JSON or as a string value).
pub fn call(
    addr: SocketAddr,
    method: &str,
    path: &str,
    key: Option<&str>,
    body: Option<&str>,
) -> (u16, Value) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    let auth = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).unwrap();
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").unwrap();
    let head = String::from_utf8_lossy(&raw[..split]).to_string();
    let mut rest = raw[split + 4..].to_vec();
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        let mut out = Vec::new();
        let mut at = 0;
        loop {
            let eol = at + rest[at..].windows(2).position(|w| w == b"\r\n").unwrap();
            let n = usize::from_str_radix(std::str::from_utf8(&rest[at..eol]).unwrap().trim(), 16)
                .unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[eol + 2..eol + 2 + n]);
            at = eol + 2 + n + 2;
        }
        rest = out;
    }
    let text = String::from_utf8(rest).unwrap();
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}
