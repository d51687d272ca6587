//! Durable decisions per second on PostgreSQL, in one run (BENCHMARKS.md, SCALING.md):
//! 1. PostgreSQL's own ceiling for this client: one-row `INSERT` + commit in a loop, one
//!    connection (autocommit: one round trip and one WAL flush per row);
//! 2. the store alone: `PgStore::append` of one event per transaction, one thread;
//! 3. `miniperm serve --database-url` through HTTP with group commit: C clients each loop
//!    authorize (202 prompt) → answer (200, durable) for fresh users;
//! 4. the same with the single-commit writer.
//!
//! The server is a cluster this run starts in a temp folder with `fsync=on` (the PostgreSQL
//! binaries must be installed), or the one at `DATABASE_URL`.
//!
//! `cargo run --release -p miniperm-server --example pg_decisions -- [CLIENTS] [SECONDS]`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::time::{Duration, Instant};

use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
use miniperm_server::Config;

mod load;
use miniperm_store::{ConsentStore, PgStore, testpg};

fn main() {
    let mut args = std::env::args().skip(1);
    let clients: usize = args.next().map_or(64, |s| s.parse().unwrap());
    let secs: u64 = args.next().map_or(5, |s| s.parse().unwrap());
    let (base, _cluster) = match std::env::var("DATABASE_URL") {
        Ok(u) if !u.is_empty() => (u, None),
        _ => {
            let c = testpg::Cluster::init(true).unwrap();
            c.stop_when_this_process_ends().unwrap();
            c.start().unwrap();
            (c.url(), Some(c))
        }
    };
    let schema = |name: &str| {
        let s = format!("bench_{name}_{}", std::process::id());
        miniperm_store::create_schema(&base, &s).unwrap();
        testpg::with_search_path(&base, &s)
    };

    let raw = PgStore::open(&schema("raw")).unwrap();
    raw.execute_raw(
        "CREATE TABLE one (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, who TEXT NOT NULL)",
    )
    .unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs.min(3)) {
        raw.execute_raw("INSERT INTO one (at, who) VALUES (1, 'u')")
            .unwrap();
        n += 1;
    }
    let insert_rate = n as f64 / start.elapsed().as_secs_f64();
    println!("postgres single-row insert+commit, 1 connection: {insert_rate:.0}/s");

    let mut store = PgStore::open(&schema("store")).unwrap();
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed() < Duration::from_secs(secs.min(3)) {
        store.append(vec![event(n)]).unwrap();
        n += 1;
    }
    println!(
        "PgStore::append, one event per transaction, 1 thread: {:.0}/s",
        n as f64 / start.elapsed().as_secs_f64()
    );

    for single in [false, true] {
        let (rate, batch) = run(
            schema(if single { "single" } else { "group" }),
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
            "HTTP decisions on postgres, {name}, {clients} clients: {rate:.0} decisions/s (mean batch {batch:.1}; {:.1}× the single-row insert rate)",
            rate / insert_rate
        );
    }
}

fn event(i: u64) -> ConsentEvent {
    let meta = EventMeta {
        at: i as i64,
        user: format!("u{i}"),
        app: "wxbench".into(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject: Subject::Scope(Scope::UserLocation),
            from: Value::Unset,
            to: Value::Granted,
            via: Via::Prompt,
            gesture: true,
            api: None,
            notice: None,
        },
    )
}

fn run(url: String, single: bool, clients: usize, secs: u64) -> (f64, f64) {
    load::run(
        move |addr| {
            let mut cfg = Config::new(addr, std::path::PathBuf::new());
            cfg.database_url = Some(url);
            cfg.single_commit = single;
            cfg
        },
        clients,
        secs,
    )
}
