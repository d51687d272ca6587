//! The caches the writer keeps, against the store, under random interleavings of this service's
//! commits and another connection's: a cached state always equals the stored one, and the
//! known-keys filter never calls a user with rows "never seen" — once the writer has had the
//! chance to see the other connection's commit (its next batch looks inside its transaction).
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use std::sync::Arc;

use miniperm_core::{
    AppState, Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via,
};
use miniperm_server::Metrics;
use miniperm_server::cache::{Caches, Lookup, state_key};
use miniperm_server::writer::Writer;
use miniperm_store::{Backend, ConsentKey, ConsentStore, SqliteStore};
use proptest::prelude::*;

const USERS: usize = 6;

fn event(user: usize, scope: Scope, to: Value) -> ConsentEvent {
    let meta = EventMeta {
        at: 1,
        user: format!("u{user}"),
        app: "wxk".into(),
        channel: Channel::Release,
        profile: "wechat".into(),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject: Subject::Scope(scope),
            from: Value::Unset,
            to,
            via: Via::Host,
            gesture: false,
            api: None,
            notice: None,
        },
    )
}

#[derive(Debug, Clone)]
enum Op {
    /// A decision of this service, through the writer.
    Ours(usize, Scope, Value),
    /// Another connection (another process) writes.
    Theirs(usize, Scope, Value),
    /// A read as `Service::state` does it: cache, then the filter, then the store.
    Read(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let scope = prop::sample::select(vec![Scope::Camera, Scope::UserLocation, Scope::Record]);
    let value = prop::sample::select(vec![Value::Granted, Value::Denied, Value::Unset]);
    prop_oneof![
        (0..USERS, scope.clone(), value.clone()).prop_map(|(u, s, v)| Op::Ours(u, s, v)),
        (0..USERS, scope, value).prop_map(|(u, s, v)| Op::Theirs(u, s, v)),
        (0..USERS).prop_map(Op::Read),
        (0..USERS).prop_map(Op::Read),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn cached_states_and_the_known_keys_filter_match_the_store(
        ops in prop::collection::vec(op(), 1..40),
    ) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("k.sqlite");
        let store = SqliteStore::open(&path).unwrap();
        let mut theirs = SqliteStore::open(&path).unwrap();
        let mut truth = SqliteStore::open(&path).unwrap();
        let caches = Arc::new(Caches::new(true, true));
        let (writer, handle) = Writer::start(
            Box::new(store),
            Arc::new(Metrics::default()),
            caches.clone(),
            false,
        );
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        // Another connection wrote and no batch of ours has looked since: reads may be stale
        // for up to one poll interval, by design, so they are not checked until the next one.
        let mut unseen_foreign = false;
        for op in ops {
            match op {
                Op::Ours(u, scope, to) => {
                    rt.block_on(writer.append("dev", vec![event(u, scope, to)])).unwrap();
                    unseen_foreign = false;
                }
                Op::Theirs(u, scope, to) => {
                    theirs.append(vec![event(u, scope, to)]).unwrap();
                    unseen_foreign = true;
                }
                Op::Read(u) => {
                    let user = format!("u{u}");
                    let key = state_key(ConsentKey { tenant: "dev", app: "wxk", user: &user });
                    let stored = Backend::state_in(&mut truth, ConsentKey { tenant: "dev", app: "wxk", user: &user }).unwrap();
                    if unseen_foreign {
                        continue;
                    }
                    match caches.states.get(&key) {
                        Lookup::Hit(s) => prop_assert_eq!(s, stored, "cached state of {}", user),
                        Lookup::Miss(token) => {
                            if caches.known.surely_absent(&key) {
                                prop_assert_eq!(
                                    stored,
                                    AppState::new(),
                                    "the filter called {} never seen",
                                    user
                                );
                            }
                            caches.states.fill(&key, token, stored);
                        }
                    }
                }
            }
        }
        drop(writer);
        handle.join().unwrap();
    }
}
