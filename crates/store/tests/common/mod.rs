//! The conformance suite's two stores: every test that takes its stores from here runs on
//! SQLite and on PostgreSQL (a fresh schema of the test server, see `miniperm_store::testpg`;
//! skipped with a printed message only when no server can be started).
#![allow(dead_code)]

use std::path::Path;

use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via};
use miniperm_store::{Backend, PgStore, SqliteStore, Target, open_backend, testpg};

/// A prompt answered with a gesture: `user` set `scope` of `app` to `to` at `at` (no api, no
/// notice; tests that need them set the fields).
pub fn event(user: &str, app: &str, scope: Scope, to: Value, at: i64) -> ConsentEvent {
    let meta = EventMeta {
        at,
        user: user.into(),
        app: app.into(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject: Subject::Scope(scope),
            from: Value::Unset,
            to,
            via: Via::Prompt,
            gesture: true,
            api: None,
            notice: None,
        },
    )
}

/// Every durable backend, empty: SQLite in memory, and PostgreSQL on a schema of its own.
pub fn backends(test: &str) -> Vec<(&'static str, Box<dyn Backend>)> {
    let mut v: Vec<(&'static str, Box<dyn Backend>)> = vec![(
        "sqlite",
        Box::new(SqliteStore::open_in_memory().expect("in-memory sqlite")),
    )];
    if let Some(url) = testpg::fresh_url(test) {
        v.push((
            "postgres",
            Box::new(PgStore::open(&url).expect("postgres store")),
        ));
    }
    v
}

/// Where a test can open the same store several times (connections, processes): an SQLite
/// file in `dir`, and a fresh PostgreSQL schema.
pub fn targets(test: &str, dir: &Path) -> Vec<(&'static str, Target)> {
    let mut v = vec![("sqlite", Target::Sqlite(dir.join("consent.sqlite")))];
    if let Some(url) = testpg::fresh_url(test) {
        v.push(("postgres", Target::Postgres(url)));
    }
    v
}

/// Opens `target` (panics on failure: tests only).
pub fn open(target: &Target) -> Box<dyn Backend> {
    open_backend(target).unwrap_or_else(|e| panic!("open {target}: {e}"))
}

/// A target named by one string (as handed to a child process): a postgres URL or a file.
pub fn parse_target(s: &str) -> Target {
    if s.starts_with("postgres://") || s.starts_with("postgresql://") {
        Target::Postgres(s.to_string())
    } else {
        Target::Sqlite(s.into())
    }
}

/// The string [`parse_target`] reads back.
pub fn target_string(t: &Target) -> String {
    match t {
        Target::Sqlite(p) => p.display().to_string(),
        Target::Postgres(u) => u.clone(),
    }
}
