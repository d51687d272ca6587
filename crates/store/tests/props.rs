//! Property tests of the store contract, for every store (memory, SQLite, PostgreSQL):
//! * the stored state is the fold of the stored log, and of the events handed in;
//! * a reset (or remove) returns every scope to Unset while the log only grows;
//! * `getSetting`'s authSetting never lists an Unset scope.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::catalogue::{InfoType, OsPermission};
use miniperm_core::{
    AppState, Change, Channel, ConsentEvent, EventMeta, Scope, Subject, Value, Via, auth_setting,
};
use miniperm_store::{ConsentStore, MemoryStore};
use proptest::prelude::*;

mod common;

const USERS: [&str; 2] = ["alice", "bob"];
const APPS: [&str; 2] = ["wxdemo", "wx2"];

fn subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        6 => prop::sample::select(Scope::ALL.to_vec()).prop_map(Subject::Scope),
        2 => prop::sample::select(InfoType::ALL.to_vec()).prop_map(Subject::Privacy),
        2 => prop::sample::select(OsPermission::ALL.to_vec()).prop_map(Subject::Os),
        1 => Just(Subject::All),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop::sample::select(vec![Value::Unset, Value::Granted, Value::Denied])
}

fn via() -> impl Strategy<Value = Via> {
    prop::sample::select(vec![
        Via::Prompt,
        Via::Settings,
        Via::Host,
        Via::Reset,
        Via::Remove,
        Via::Os,
    ])
}

fn event() -> impl Strategy<Value = ConsentEvent> {
    (
        0..USERS.len(),
        0..APPS.len(),
        subject(),
        value(),
        value(),
        via(),
        any::<bool>(),
        0i64..1_000_000,
        prop::option::of("[a-zA-Z]{1,12}"),
        prop::option::of("\\PC{0,20}"),
        prop::sample::select(vec![Channel::Develop, Channel::Trial, Channel::Release]),
    )
        .prop_map(
            |(u, a, subject, from, to, via, gesture, at, api, notice, channel)| {
                let meta = EventMeta {
                    at,
                    user: USERS[u].to_string(),
                    app: APPS[a].to_string(),
                    channel,
                    profile: "wechat".into(),
                };
                ConsentEvent::new(
                    &meta,
                    Change {
                        subject,
                        from,
                        to,
                        via,
                        gesture,
                        api,
                        notice,
                    },
                )
            },
        )
}

fn batches() -> impl Strategy<Value = Vec<Vec<ConsentEvent>>> {
    prop::collection::vec(prop::collection::vec(event(), 0..6), 0..12).prop_map(truthful_batches)
}

/// The events as the store logs them: `from` re-derived from the state each is applied to,
/// `at` clamped to be non-decreasing (the store's contract; tested on its own in
/// `tests/concurrent.rs`). The properties below then compare events exactly.
fn truthful_batches(mut batches: Vec<Vec<ConsentEvent>>) -> Vec<Vec<ConsentEvent>> {
    let mut states: std::collections::HashMap<(String, String), AppState> = Default::default();
    let mut last_at = i64::MIN;
    for e in batches.iter_mut().flatten() {
        let st = states.entry((e.user.clone(), e.app.clone())).or_default();
        last_at = miniperm_store::make_truthful(st, e, last_at);
        st.apply(e);
    }
    batches
}

fn stores() -> Vec<(&'static str, Box<dyn ConsentStore>)> {
    let mut v: Vec<(&'static str, Box<dyn ConsentStore>)> =
        vec![("memory", Box::new(MemoryStore::new()))];
    for (name, b) in common::backends("props") {
        v.push((name, b));
    }
    v
}

fn strip(events: &[ConsentEvent]) -> Vec<ConsentEvent> {
    events
        .iter()
        .map(|e| ConsentEvent {
            seq: 0,
            ..e.clone()
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn state_is_the_fold_of_the_log(batches in batches(), grouped in any::<bool>()) {
        for (name, mut store) in stores() {
            let mut acked = Vec::new();
            if grouped {
                for b in store.append_batches(batches.clone()).unwrap() {
                    acked.extend(b);
                }
            } else {
                for b in &batches {
                    let out = store.append(b.clone()).unwrap();
                    prop_assert_eq!(strip(&out), strip(b), "{}: append returns its events", name);
                    acked.extend(out);
                }
            }
            let all: Vec<ConsentEvent> = batches.iter().flatten().cloned().collect();
            prop_assert_eq!(strip(&acked), strip(&all));
            prop_assert!(
                acked.windows(2).all(|w| w[0].seq < w[1].seq),
                "{}: seqs increase", name
            );
            for user in USERS {
                for app in APPS {
                    let log = store.log(user, app).unwrap();
                    let mine: Vec<ConsentEvent> = acked
                        .iter()
                        .filter(|e| e.user == user && e.app == app)
                        .cloned()
                        .collect();
                    prop_assert_eq!(&log, &mine, "{}: log of {}/{}", name, user, app);
                    let state = store.state(user, app).unwrap();
                    prop_assert_eq!(state, AppState::fold(&log), "{}: state of {}/{}", name, user, app);
                }
            }
        }
    }

    #[test]
    fn reset_unsets_every_scope_and_the_log_only_grows(
        before in prop::collection::vec(event(), 0..30),
        remove in any::<bool>(),
    ) {
        for (name, mut store) in stores() {
            store.append(before.clone()).unwrap();
            let old = store.log("alice", "wxdemo").unwrap();
            let meta = EventMeta {
                at: 5,
                user: "alice".into(),
                app: "wxdemo".into(),
                channel: Channel::Develop,
                profile: "wechat".into(),
            };
            let reset = ConsentEvent::new(&meta, Change {
                subject: Subject::All,
                from: Value::Unset,
                to: Value::Unset,
                via: if remove { Via::Remove } else { Via::Reset },
                gesture: false,
                api: None,
                notice: None,
            });
            store.append(vec![reset]).unwrap();
            let new = store.log("alice", "wxdemo").unwrap();
            prop_assert_eq!(new.len(), old.len() + 1, "{}", name);
            prop_assert_eq!(&new[..old.len()], &old[..], "{}: history kept", name);
            let state = store.state("alice", "wxdemo").unwrap();
            for s in Scope::ALL {
                prop_assert_eq!(state.scope(*s), Value::Unset, "{}: {}", name, s);
            }
            for t in InfoType::ALL {
                prop_assert!(!state.privacy_granted(t), "{}: privacy {:?}", name, t);
            }
            prop_assert!(auth_setting(&state).is_empty());
        }
    }

    #[test]
    fn get_setting_never_lists_an_unset_scope(events in prop::collection::vec(event(), 0..40)) {
        for (name, mut store) in stores() {
            store.append(events.clone()).unwrap();
            for user in USERS {
                for app in APPS {
                    let state = store.state(user, app).unwrap();
                    let setting = auth_setting(&state);
                    for s in Scope::ALL {
                        match state.scope(*s) {
                            Value::Unset => prop_assert!(!setting.contains_key(s.as_str()), "{}: {}", name, s),
                            Value::Granted => prop_assert_eq!(setting.get(s.as_str()), Some(&serde_json::Value::Bool(true))),
                            Value::Denied => prop_assert_eq!(setting.get(s.as_str()), Some(&serde_json::Value::Bool(false))),
                        }
                    }
                }
            }
        }
    }
}
