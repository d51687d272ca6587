//! Durable decisions per second into SQLite, against the disk's own limit measured in the same
//! run.
//!
//! * `fsync_baseline`: append one 160-byte record to a plain file and `fsync` it, in a loop:
//!   the physical limit of durable writes on this disk.
//! * `sqlite/1_per_tx`: one consent event per transaction (WAL, `synchronous=FULL`).
//! * `sqlite/100_per_tx`: group commit, 100 one-event batches per transaction
//!   (`append_batches`), as one writer serving many callers would.
//! * `memory/1`: the in-memory store, for scale (nothing durable).
//! * `sqlite_memory/100_per_tx`: the grouped case on an SQLite `:memory:` database: the CPU
//!   cost of the SQL alone, without the disk.
//!
//! Files go to `MINIPERM_BENCH_DIR` if set, else Cargo's target tmp dir (the project's disk; not
//! a tmpfs). Run: `cargo bench -p miniperm-store --bench store`.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs::OpenOptions;
use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
use miniperm_store::{ConsentStore, MemoryStore, SqliteStore};

fn bench_dir() -> PathBuf {
    std::env::var_os("MINIPERM_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")))
}

fn event(i: u64) -> ConsentEvent {
    let meta = EventMeta {
        at: i as i64,
        user: format!("user{}", i % 1000),
        app: "wxdemo".into(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject: Subject::Scope(Scope::ALL[(i % 10) as usize]),
            from: Value::Unset,
            to: if i.is_multiple_of(3) {
                Value::Denied
            } else {
                Value::Granted
            },
            via: Via::Prompt,
            gesture: true,
            api: Some("authorize".into()),
            notice: None,
        },
    )
}

fn durable(c: &mut Criterion) {
    let dir = tempfile::tempdir_in(bench_dir()).expect("bench dir");
    let mut g = c.benchmark_group("durable");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(3));

    g.throughput(Throughput::Elements(1));
    {
        let mut f = OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.path().join("baseline.log"))
            .expect("baseline file");
        let record = [b'x'; 160];
        g.bench_function("fsync_baseline", |b| {
            b.iter(|| {
                f.write_all(&record).expect("write");
                f.sync_all().expect("fsync");
            })
        });
    }

    let mut store = SqliteStore::open(dir.path().join("one.sqlite")).expect("store");
    let mut i = 0u64;
    g.bench_function("sqlite/1_per_tx", |b| {
        b.iter(|| {
            i += 1;
            store.append(vec![event(i)]).expect("append")
        })
    });

    g.throughput(Throughput::Elements(100));
    let mut store = SqliteStore::open(dir.path().join("grouped.sqlite")).expect("store");
    g.bench_function("sqlite/100_per_tx", |b| {
        b.iter(|| {
            let batches = (0..100)
                .map(|_| {
                    i += 1;
                    vec![event(i)]
                })
                .collect();
            store.append_batches(batches).expect("append")
        })
    });
    g.finish();

    let mut g = c.benchmark_group("volatile");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2))
        .throughput(Throughput::Elements(1));
    let mut mem = MemoryStore::new();
    g.bench_function("memory/1", |b| {
        b.iter(|| {
            i += 1;
            mem.append(vec![event(i)]).expect("append")
        })
    });
    g.throughput(Throughput::Elements(100));
    let mut store = SqliteStore::open_in_memory().expect("store");
    g.bench_function("sqlite_memory/100_per_tx", |b| {
        b.iter(|| {
            let batches = (0..100)
                .map(|_| {
                    i += 1;
                    vec![event(i)]
                })
                .collect();
            store.append_batches(batches).expect("append")
        })
    });
    g.finish();
}

criterion_group!(benches, durable);
criterion_main!(benches);
