//! Shared by the CLI's tests: where the repository's examples and fixtures are, and for the
//! tests that start the built `miniperm serve` as a process, a one-shot HTTP/1.1 client and the
//! start-up that reads the address from the service's first line.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// The repository's root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// `examples/NAME`, as an argument.
pub fn example(name: &str) -> String {
    root().join("examples").join(name).display().to_string()
}

/// `crates/runtime/tests/fixtures/NAME`, as an argument.
pub fn fixture(name: &str) -> String {
    root()
        .join("crates/runtime/tests/fixtures")
        .join(name)
        .display()
        .to_string()
}

/// One request (`Connection: close`): the status and the raw body, or None when the connection
/// failed (a service that was killed).
pub fn call(addr: SocketAddr, method: &str, path: &str, body: &str) -> Option<(u16, String)> {
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

/// [`call`] that must get an answer; the body parsed as JSON (Null when it is not JSON).
pub fn call_json(
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, serde_json::Value) {
    let (st, raw) = call(addr, method, path, body).expect("the service answers");
    (
        st,
        serde_json::from_str(&raw).unwrap_or(serde_json::Value::Null),
    )
}

/// Spawns `cmd` (a `miniperm serve --listen 127.0.0.1:0 …` command) and reads its address from
/// the first line it prints ("miniperm serve: http://127.0.0.1:PORT/v1 · store …").
pub fn spawn_serve(cmd: &mut Command) -> (Child, SocketAddr) {
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    let addr = first
        .split("http://")
        .nth(1)
        .and_then(|r| r.split('/').next())
        .and_then(|a| a.parse().ok());
    let Some(addr) = addr else {
        let _ = child.kill();
        panic!("the service did not start: {first:?}");
    };
    (child, addr)
}
