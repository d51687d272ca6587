//! WAL checkpoints off the writer's commits (issue 21, latency): with
//! `checkpoint_in_background`, a thread of its own checkpoints the WAL once it passed its size,
//! and nothing is lost or inconsistent for it.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::{Scope, Value};
use miniperm_store::{ConsentStore, SqliteStore};

mod common;

#[test]
fn a_background_thread_checkpoints_the_writers_wal() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("c.sqlite");
    let mut w = SqliteStore::open(&path).unwrap();
    // The service's size is 8,000 pages; 200 here keeps the test short.
    w.checkpoint_in_background_past(200).unwrap();
    let mut reader = SqliteStore::open(&path).unwrap();
    // Enough scattered writes to pass the WAL's size several times.
    let mut n = 0;
    for round in 0..40 {
        let batch: Vec<_> = (0..500)
            .map(|i| {
                n += 1;
                common::event(
                    &format!("u{round}-{i}"),
                    "wxc",
                    Scope::Camera,
                    Value::Granted,
                    n,
                )
            })
            .collect();
        w.append(batch).unwrap();
        // A reader alongside, as the service's readers are.
        assert_eq!(
            reader
                .state(&format!("u{round}-7"), "wxc")
                .unwrap()
                .scope(Scope::Camera),
            Value::Granted
        );
    }
    // The thread runs on its own: wait (polling, at most 30 s) for its first pass, then write on
    // until the writer has copied a tail (the checkpoint completed and the WAL starts over).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    let mut round = 0;
    while w.checkpoint_counts().1 == 0 && std::time::Instant::now() < deadline {
        if w.checkpoint_counts().0 == 0 {
            std::thread::sleep(std::time::Duration::from_millis(10));
            continue;
        }
        round += 1;
        let batch: Vec<_> = (0..500)
            .map(|i| {
                n += 1;
                common::event(
                    &format!("v{round}-{i}"),
                    "wxc",
                    Scope::Camera,
                    Value::Denied,
                    n,
                )
            })
            .collect();
        w.append(batch).unwrap();
    }
    let (done, tails, fallbacks) = w.checkpoint_counts();
    assert!(done > 0, "the thread never checkpointed");
    assert!(
        tails > 0,
        "the writer never copied a tail: the WAL never starts over"
    );
    let wal = std::fs::metadata(format!("{}-wal", path.display()))
        .map(|m| m.len())
        .unwrap_or(0);
    drop(w);
    let mut s = SqliteStore::open(&path).unwrap();
    assert_eq!(s.verify().unwrap(), n as usize);
    assert_eq!(s.last_seq().unwrap(), n as u64);
    eprintln!(
        "{done} passes of the thread, {tails} tails, {fallbacks} fallbacks; WAL {wal} bytes after {n} events"
    );
}
