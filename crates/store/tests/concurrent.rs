//! The log tells the truth under concurrent writers (issue 9): several threads, each with its own
//! connection to ONE store (an SQLite file; a PostgreSQL schema), change the same (user, app) at once, some through
//! [`ConsentStore::update`] (read and write in one transaction), some through a plain `append`
//! whose `from` and `at` were computed from a stale read. Afterwards, for every (user, app,
//! subject), the `from` of each event equals the `to` of the previous one, and `at` never
//! decreases as `seq` grows.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::{
    AppState, Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via,
};
use miniperm_store::{ConsentStore, Target};
use proptest::prelude::*;

mod common;

const SCOPES: [Scope; 3] = [Scope::UserLocation, Scope::Camera, Scope::Record];
const APPS: [&str; 2] = ["wxa", "wxb"];

#[derive(Debug, Clone)]
struct Op {
    app: usize,
    scope: Option<usize>,
    to: Value,
    /// Use `update` (else a stale `append`).
    fresh: bool,
    /// Added to the writer's clock: negative values make a writer's clock run behind.
    skew: i64,
}

fn op() -> impl Strategy<Value = Op> {
    (
        0..APPS.len(),
        prop::option::weighted(0.9, 0..SCOPES.len()),
        prop::sample::select(vec![Value::Unset, Value::Granted, Value::Denied]),
        any::<bool>(),
        -5_000i64..5_000,
    )
        .prop_map(|(app, scope, to, fresh, skew)| Op {
            app,
            scope,
            to,
            fresh,
            skew,
        })
}

fn event(op: &Op, from: Value, at: i64) -> ConsentEvent {
    let meta = EventMeta {
        at,
        user: "u".into(),
        app: APPS[op.app].into(),
        channel: Channel::Develop,
        profile: "wechat".into(),
    };
    let (subject, via) = match op.scope {
        Some(i) => (Subject::Scope(SCOPES[i]), Via::Host),
        None => (Subject::All, Via::Reset),
    };
    ConsentEvent::new(
        &meta,
        Change {
            subject,
            from,
            to: if op.scope.is_some() {
                op.to
            } else {
                Value::Unset
            },
            via,
            gesture: false,
            api: None,
            notice: None,
        },
    )
}

fn writer(target: Target, ops: Vec<Op>) {
    let mut store = common::open(&target);
    for (n, op) in ops.iter().enumerate() {
        let at = 1_000_000 + n as i64 * 10 + op.skew;
        let app = APPS[op.app];
        if op.fresh {
            store
                .update("u", app, &mut |state: &AppState| {
                    let from = op.scope.map_or(Value::Unset, |i| state.scope(SCOPES[i]));
                    vec![event(op, from, at)]
                })
                .unwrap();
        } else {
            // Read outside any transaction, then write: the state may change in between.
            let stale = store.state("u", app).unwrap();
            let from = op.scope.map_or(Value::Unset, |i| stale.scope(SCOPES[i]));
            store.append(vec![event(op, from, at)]).unwrap();
        }
    }
}

fn check(target: &Target) -> usize {
    let mut store = common::open(target);
    let mut all = Vec::new();
    for app in APPS {
        let log = store.log("u", app).unwrap();
        let mut state = AppState::new();
        for e in &log {
            if let Subject::Scope(s) = e.scope {
                assert_eq!(
                    e.from,
                    state.scope(s),
                    "event {} of {app}: `from` contradicts the previous `to`",
                    e.seq
                );
            }
            state.apply(e);
        }
        assert_eq!(store.state("u", app).unwrap(), state);
        all.extend(log);
    }
    all.sort_by_key(|e| e.seq);
    for w in all.windows(2) {
        assert!(
            w[0].at <= w[1].at,
            "`at` ran backwards: seq {} at {}, seq {} at {}",
            w[0].seq,
            w[0].at,
            w[1].seq,
            w[1].at
        );
    }
    all.len()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 6, ..ProptestConfig::default() })]

    #[test]
    fn concurrent_writers_keep_the_log_truthful(
        plans in prop::collection::vec(prop::collection::vec(op(), 10..40), 3..6)
    ) {
        let dir = tempfile::tempdir().unwrap();
        for (name, target) in common::targets("concurrent_writers_keep_the_log_truthful", dir.path()) {
            drop(common::open(&target));
            let total: usize = plans.iter().map(Vec::len).sum();
            std::thread::scope(|s| {
                for ops in plans.clone() {
                    let target = target.clone();
                    s.spawn(move || writer(target, ops));
                }
            });
            prop_assert_eq!(check(&target), total, "{}", name);
        }
    }
}

/// The same contract for the in-memory store: a stale `from` and a clock running behind are
/// corrected on append.
#[test]
fn memory_store_rederives_from_and_clamps_at() {
    let mut store = miniperm_store::MemoryStore::new();
    let op = |to| Op {
        app: 0,
        scope: Some(0),
        to,
        fresh: false,
        skew: 0,
    };
    store
        .append(vec![event(&op(Value::Granted), Value::Unset, 50)])
        .unwrap();
    let out = store
        .append(vec![event(&op(Value::Denied), Value::Unset, 10)])
        .unwrap();
    assert_eq!(out[0].from, Value::Granted);
    assert_eq!(out[0].at, 50);
}
