//! Opening files: persistence, foreign and newer databases refused untouched.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::path::Path;

use miniperm_core::{ConsentEvent, Scope, Value};
use miniperm_store::{APPLICATION_ID, ConsentStore, SCHEMA_VERSION, SqliteStore, StoreError};

mod common;

fn ev(to: Value) -> ConsentEvent {
    let mut e = common::event("u", "wxdemo", Scope::Camera, to, 1);
    e.api = Some("createCameraContext".into());
    e
}

/// Bytes of the file and of its -wal/-shm companions (None when missing).
fn snapshot(p: &Path) -> Vec<Option<Vec<u8>>> {
    ["", "-wal", "-shm"]
        .iter()
        .map(|s| std::fs::read(format!("{}{s}", p.display())).ok())
        .collect()
}

#[test]
fn a_store_persists_across_opens() {
    let dir = tempfile::tempdir().unwrap();
    for (name, target) in common::targets("a_store_persists_across_opens", dir.path()) {
        {
            let mut s = common::open(&target);
            s.append(vec![ev(Value::Denied)]).unwrap();
            s.append(vec![ev(Value::Granted)]).unwrap();
        }
        let mut s = common::open(&target);
        let want = match name {
            "sqlite" => SCHEMA_VERSION,
            _ => miniperm_store::PG_SCHEMA_VERSION,
        };
        assert_eq!(s.schema_version().unwrap(), want);
        persisted(name, s);
    }
}

fn persisted(name: &str, mut s: Box<dyn miniperm_store::Backend>) {
    assert_eq!(s.log("u", "wxdemo").unwrap().len(), 2, "{name}");
    assert_eq!(
        s.state("u", "wxdemo").unwrap().scope(Scope::Camera),
        Value::Granted
    );
    let out = s.append(vec![ev(Value::Denied)]).unwrap();
    assert_eq!(out[0].seq, 3);
    assert_eq!(s.verify().unwrap(), 1);
    assert_eq!(
        s.pairs().unwrap(),
        [("u".to_string(), "wxdemo".to_string())]
    );
}

#[test]
fn not_sqlite_is_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    for (name, bytes) in [
        ("text", b"hello, world\n".to_vec()),
        ("short", b"SQLite".to_vec()),
        ("zeros", vec![0u8; 4096]),
    ] {
        let path = dir.path().join(name);
        std::fs::write(&path, &bytes).unwrap();
        let before = snapshot(&path);
        let e = SqliteStore::open(&path).unwrap_err();
        assert!(matches!(e, StoreError::NotSqlite { .. }), "{name}: {e}");
        assert!(e.is_bad_input());
        assert_eq!(snapshot(&path), before, "{name} untouched");
    }
}

#[test]
fn a_directory_is_unreadable() {
    let dir = tempfile::tempdir().unwrap();
    let e = SqliteStore::open(dir.path()).unwrap_err();
    assert!(matches!(e, StoreError::Unreadable { .. }), "{e}");
    assert!(e.to_string().contains("is a directory"), "{e}");
}

/// Makes an SQLite file with rusqlite directly, as another program would.
fn make_db(path: &Path, sql: &str) {
    let c = rusqlite::Connection::open(path).unwrap();
    c.execute_batch(sql).unwrap();
}

#[test]
fn foreign_and_newer_databases_are_refused_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("foreign.db");
    make_db(
        &foreign,
        "CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hi');",
    );
    let other_app = dir.path().join("other.db");
    make_db(&other_app, "PRAGMA application_id = 1234;");
    let newer = dir.path().join("newer.db");
    make_db(
        &newer,
        &format!(
            "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};
             CREATE TABLE events (seq INTEGER PRIMARY KEY);",
            SCHEMA_VERSION + 1
        ),
    );
    for (path, want) in [
        (&foreign, "another program's tables"),
        (&other_app, "application id 0x4d2"),
        (&newer, "newer than this miniperm supports"),
    ] {
        let before = snapshot(path);
        let e = SqliteStore::open(path).unwrap_err();
        assert!(e.to_string().contains(want), "{e}");
        assert!(e.is_bad_input());
        assert_eq!(snapshot(path), before, "{} untouched", path.display());
    }
}

#[test]
fn an_empty_file_becomes_a_store() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.sqlite");
    std::fs::write(&path, b"").unwrap();
    let mut s = SqliteStore::open(&path).unwrap();
    s.append(vec![ev(Value::Granted)]).unwrap();
    assert_eq!(s.schema_version().unwrap(), SCHEMA_VERSION);
}

#[test]
fn group_commit_returns_each_batch() {
    for (name, mut s) in common::backends("group_commit_returns_each_batch") {
        let out = s
            .append_batches(vec![
                vec![ev(Value::Denied)],
                vec![],
                vec![ev(Value::Granted), ev(Value::Denied)],
            ])
            .unwrap();
        let seqs: Vec<Vec<u64>> = out
            .iter()
            .map(|b| b.iter().map(|e| e.seq).collect())
            .collect();
        assert_eq!(seqs, vec![vec![1], vec![], vec![2, 3]], "{name}");
        assert_eq!(s.last_seq().unwrap(), 3, "{name}");
    }
}
