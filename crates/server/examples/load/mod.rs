//! The HTTP load of the decision benches (`decisions`, `pg_decisions`): a service on a loopback
//! port and C keep-alive clients making durable decisions.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use miniperm_server::{Config, serve};

/// Serves on a fresh loopback port with the config `configure` makes for that address, then
/// C clients each loop authorize (202 prompt) → answer (200, durable) for fresh users for
/// `secs` seconds. Returns (acknowledged decisions/s, mean commit batch from /metrics).
pub fn run(configure: impl FnOnce(SocketAddr) -> Config, clients: usize, secs: u64) -> (f64, f64) {
    let std_l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    std_l.set_nonblocking(true).unwrap();
    let addr = std_l.local_addr().unwrap();
    let mut cfg = configure(addr);
    cfg.rate_limit = u32::MAX;
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    let server = std::thread::spawn(move || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let l = tokio::net::TcpListener::from_std(std_l).unwrap();
                serve(l, &cfg, async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
            });
    });
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (stop, done) = (stop.clone(), done.clone());
            std::thread::spawn(move || {
                let mut conn = Conn::new(addr);
                let mut i = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    let (st, body) = conn.call(
                        "POST",
                        &format!("/v1/apps/wxbench/users/c{c}-{i}/authorize"),
                        r#"{"scope":"scope.userLocation"}"#,
                    );
                    assert_eq!(st, 202, "{body}");
                    let id = body
                        .split("\"id\":\"")
                        .nth(1)
                        .unwrap()
                        .split('"')
                        .next()
                        .unwrap();
                    let (st, body) = conn.call(
                        "POST",
                        &format!("/v1/prompts/{id}"),
                        r#"{"answer":"allow"}"#,
                    );
                    assert_eq!(st, 200, "{body}");
                    done.fetch_add(1, Ordering::Relaxed);
                    i += 1;
                }
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    let n = done.load(Ordering::Relaxed);
    let rate = n as f64 / start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().unwrap();
    }
    let (_, m) = Conn::new(addr).call("GET", "/metrics", "");
    let metric = |name: &str| -> f64 {
        m.lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|r| r.split_whitespace().last())
            .map_or(0.0, |v| v.parse().unwrap())
    };
    let batch =
        metric("miniperm_commit_batch_jobs_sum") / metric("miniperm_commit_batch_jobs_count");
    let _ = tx.send(());
    server.join().unwrap();
    (rate, batch)
}

/// A keep-alive HTTP/1.1 client for Content-Length answers.
pub struct Conn {
    r: BufReader<TcpStream>,
    w: TcpStream,
}

impl Conn {
    pub fn new(addr: SocketAddr) -> Conn {
        let s = TcpStream::connect(addr).unwrap();
        s.set_nodelay(true).unwrap();
        Conn {
            r: BufReader::new(s.try_clone().unwrap()),
            w: s,
        }
    }

    pub fn call(&mut self, method: &str, path: &str, body: &str) -> (u16, String) {
        write!(
            self.w,
            "{method} {path} HTTP/1.1\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut line = String::new();
        self.r.read_line(&mut line).unwrap();
        let status = line.split(' ').nth(1).unwrap().parse().unwrap();
        let mut len = 0;
        loop {
            line.clear();
            self.r.read_line(&mut line).unwrap();
            if line == "\r\n" {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap();
            }
        }
        let mut buf = vec![0; len];
        self.r.read_exact(&mut buf).unwrap();
        (status, String::from_utf8(buf).unwrap())
    }
}
