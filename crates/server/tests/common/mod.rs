//! The test server on an ephemeral loopback port and a tiny HTTP/1.1 client over TcpStream,
//! shared by the API and simulator tests.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(dead_code)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};

use miniperm_server::{Config, serve};
use miniperm_store::{Backend, Target, open_backend, testpg};
use serde_json::Value;

pub struct Server {
    pub addr: SocketAddr,
    pub db: std::path::PathBuf,
    /// Where the store is (`db`, or a PostgreSQL schema).
    pub target: Target,
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

/// The stores the API tests run on: SQLite (`None`), and PostgreSQL (a fresh schema's URL)
/// unless no server can be started (then skipped, with a printed message).
pub fn stores(test: &str) -> Vec<Option<String>> {
    let mut v = vec![None];
    if let Some(url) = testpg::fresh_url(test) {
        v.push(Some(url));
    }
    v
}

/// The store's name in assertion messages.
pub fn store_name(url: &Option<String>) -> &'static str {
    if url.is_some() { "postgres" } else { "sqlite" }
}

/// Starts a server on 127.0.0.1:0 over a fresh SQLite database: `configure` adjusts its
/// config, `prepare` runs on the store first.
pub fn start(
    configure: impl FnOnce(&mut Config),
    prepare: impl FnOnce(&mut dyn Backend),
) -> Server {
    start_on(None, configure, prepare)
}

/// [`start`] on PostgreSQL at `url` (a fresh schema from [`stores`]), or on SQLite for `None`.
pub fn start_on(
    url: Option<String>,
    configure: impl FnOnce(&mut Config),
    prepare: impl FnOnce(&mut dyn Backend),
) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("consent.sqlite");
    let target = match &url {
        Some(u) => Target::Postgres(u.clone()),
        None => Target::Sqlite(db.clone()),
    };
    prepare(&mut *open_backend(&target).unwrap());
    start_at(dir, db, url, target, configure)
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
        let url = match &self.target {
            Target::Postgres(u) => Some(u.clone()),
            Target::Sqlite(_) => None,
        };
        start_at(dir, self.db.clone(), url, self.target.clone(), configure)
    }
}

fn start_at(
    dir: tempfile::TempDir,
    db: std::path::PathBuf,
    url: Option<String>,
    target: Target,
    configure: impl FnOnce(&mut Config),
) -> Server {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_listener.set_nonblocking(true).unwrap();
    let addr = std_listener.local_addr().unwrap();
    let mut cfg = Config::new(addr, db.clone());
    cfg.database_url = url;
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
        target,
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
    let auth = key.map(|k| format!("Bearer {k}"));
    let headers: Vec<(&str, &str)> = auth
        .as_deref()
        .map(|a| ("Authorization", a))
        .into_iter()
        .collect();
    let (status, text) = call_raw(addr, method, path, &headers, body);
    let v = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, v)
}

/// One request with extra headers; returns (status, the body's exact text).
pub fn call_raw(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    let body = body.unwrap_or("");
    let extra: String = headers
        .iter()
        .map(|(k, v)| format!("{k}: {v}\r\n"))
        .collect();
    write!(
        s,
        "{method} {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n{extra}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
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
    (status, String::from_utf8(rest).unwrap())
}

/// One server-sent event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseEvent {
    pub id: Option<String>,
    pub event: String,
    pub data: String,
}

impl SseEvent {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.data).unwrap()
    }

    pub fn id(&self) -> u64 {
        self.id.as_deref().unwrap().parse().unwrap()
    }
}

/// An open `text/event-stream` response, read event by event as the server sends them.
pub struct SseStream {
    pub status: u16,
    pub head: String,
    reader: std::io::BufReader<TcpStream>,
    /// Decoded body bytes not yet parsed into events.
    body: Vec<u8>,
    ended: bool,
}

/// `GET path` with `Accept: text/event-stream` (and `Last-Event-ID` when given); reads the
/// head. A test that waits in vain fails after 30 s instead of hanging.
pub fn sse(addr: SocketAddr, path: &str, key: Option<&str>, last_id: Option<&str>) -> SseStream {
    use std::io::BufRead;
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let auth = key.map_or(String::new(), |k| format!("Authorization: Bearer {k}\r\n"));
    let last = last_id.map_or(String::new(), |l| format!("Last-Event-ID: {l}\r\n"));
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: t\r\nConnection: close\r\nAccept: text/event-stream\r\n{auth}{last}\r\n"
    )
    .unwrap();
    let mut reader = std::io::BufReader::new(s);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line == "\r\n" || line.is_empty() {
            break;
        }
        head.push_str(&line);
    }
    let status: u16 = head.split(' ').nth(1).unwrap().parse().unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
            || status != 200,
        "{head}"
    );
    SseStream {
        status,
        head,
        reader,
        body: Vec::new(),
        ended: false,
    }
}

impl SseStream {
    /// Reads one more chunk of the body; false at its end.
    fn fill(&mut self) -> bool {
        use std::io::BufRead;
        if self.ended {
            return false;
        }
        let mut size = String::new();
        if self.reader.read_line(&mut size).unwrap() == 0 {
            self.ended = true;
            return false;
        }
        let n = usize::from_str_radix(size.trim(), 16).unwrap();
        if n == 0 {
            self.ended = true;
            return false;
        }
        let mut chunk = vec![0; n + 2];
        self.reader.read_exact(&mut chunk).unwrap();
        self.body.extend_from_slice(&chunk[..n]);
        true
    }

    /// The next event (comments skipped); None once the stream ended.
    pub fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(end) = self.body.windows(2).position(|w| w == b"\n\n") {
                let block: Vec<u8> = self.body.drain(..end + 2).collect();
                let text = String::from_utf8(block).unwrap();
                let mut e = SseEvent {
                    id: None,
                    event: "message".into(),
                    data: String::new(),
                };
                let mut data = Vec::new();
                for line in text.lines() {
                    let (field, value) = line.split_once(':').unwrap_or((line, ""));
                    let value = value.strip_prefix(' ').unwrap_or(value);
                    match field {
                        "" => {}
                        "id" => e.id = Some(value.to_string()),
                        "event" => e.event = value.to_string(),
                        "data" => data.push(value.to_string()),
                        _ => {}
                    }
                }
                if data.is_empty() && e.id.is_none() {
                    continue; // a keep-alive comment
                }
                e.data = data.join("\n");
                return Some(e);
            }
            if !self.fill() {
                return None;
            }
        }
    }

    /// Events up to and including the next `state` (or `end`) event.
    pub fn step(&mut self) -> Vec<SseEvent> {
        let mut out = Vec::new();
        while let Some(e) = self.next() {
            let last = e.event == "state" || e.event == "end";
            out.push(e);
            if last {
                break;
            }
        }
        out
    }
}
