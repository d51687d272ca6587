//! Durable decisions per second, in one run (BENCHMARKS.md):
//! 1. the disk's ceiling: a `write + fsync` loop on a file beside the database;
//! 2. `miniperm serve`'s API with group commit: C clients each loop authorize (202 prompt) →
//!    answer (200, durable) for fresh users; one decision = one acknowledged answer;
//! 3. the same with a single-commit writer (one transaction per decision).
//!
//! `cargo run --release -p miniperm-server --example decisions -- [CLIENTS] [SECONDS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::io::Write;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use miniperm_server::{Config, serve};

mod load;

fn main() {
    // `decisions serve ADDR`: only the service, on a temporary store (the target of wrk runs).
    if std::env::args().nth(1).as_deref() == Some("serve") {
        let addr: SocketAddr = std::env::args().nth(2).unwrap().parse().unwrap();
        let dir = tempfile::tempdir_in(".").unwrap();
        let mut cfg = Config::new(addr, dir.path().join("c.sqlite"));
        cfg.rate_limit = u32::MAX;
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(async move {
                let l = tokio::net::TcpListener::bind(addr).await.unwrap();
                serve(l, &cfg, miniperm_server::shutdown_signal())
                    .await
                    .unwrap();
            });
        return;
    }
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().map_or(64, |s| s.parse().unwrap());
    let secs: u64 = args.next().map_or(5, |s| s.parse().unwrap());
    let dir = tempfile::tempdir_in(".").unwrap();

    let f = dir.path().join("fsync.bin");
    let mut file = std::fs::File::create(&f).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs.min(3)) {
        file.write_all(b"0123456789abcdef").unwrap();
        file.sync_data().unwrap();
        n += 1;
    }
    println!(
        "fsync loop: {:.0} durable writes/s",
        n as f64 / start.elapsed().as_secs_f64()
    );

    for single in [false, true] {
        let (rate, batch) = run(
            &dir.path().join(format!("db-{single}.sqlite")),
            single,
            clients,
            secs,
        );
        let name = if single {
            "single-commit writer"
        } else {
            "group commit"
        };
        println!(
            "HTTP decisions, {name}, {clients} clients: {rate:.0} decisions/s (mean batch {batch:.1})"
        );
    }
}

fn run(db: &std::path::Path, single: bool, clients: usize, secs: u64) -> (f64, f64) {
    let db = db.to_path_buf();
    load::run(
        move |addr| {
            let mut cfg = Config::new(addr, db);
            cfg.single_commit = single;
            cfg
        },
        clients,
        secs,
    )
}
