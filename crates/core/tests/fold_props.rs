//! Property tests of the state fold and the decision pipeline.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

use miniperm_core::catalogue::{InfoType, OsPermission, Scope};
use miniperm_core::{
    Answer, Api, AppState, Change, Channel, ConsentEvent, Env, EventMeta, Manifest, Privacy,
    Profile, Request, Subject, SystemSwitches, Value, Via, auth_setting, decide, drive,
};
use proptest::prelude::*;

fn subject() -> impl Strategy<Value = Subject> {
    prop_oneof![
        6 => proptest::sample::select(Scope::ALL.to_vec()).prop_map(Subject::Scope),
        2 => proptest::sample::select(InfoType::ALL.to_vec()).prop_map(Subject::Privacy),
        2 => proptest::sample::select(OsPermission::ALL.to_vec()).prop_map(Subject::Os),
        1 => Just(Subject::All),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Unset),
        Just(Value::Granted),
        Just(Value::Denied)
    ]
}

fn via() -> impl Strategy<Value = Via> {
    prop_oneof![
        Just(Via::Prompt),
        Just(Via::Settings),
        Just(Via::Host),
        Just(Via::Reset),
        Just(Via::Remove),
        Just(Via::Os)
    ]
}

fn event() -> impl Strategy<Value = ConsentEvent> {
    (subject(), value(), via(), 0i64..100_000).prop_map(|(subject, to, via, at)| {
        let meta = EventMeta {
            at,
            user: "u".into(),
            app: "wxdemo".into(),
            channel: Channel::Develop,
            profile: "wechat".into(),
        };
        ConsentEvent::new(
            &meta,
            Change {
                subject,
                from: Value::Unset,
                to,
                via,
                gesture: false,
                api: None,
                notice: None,
            },
        )
    })
}

proptest! {
    #[test]
    fn fold_is_deterministic(events in proptest::collection::vec(event(), 0..60)) {
        prop_assert_eq!(AppState::fold(&events), AppState::fold(&events));
    }

    #[test]
    fn fold_is_incremental(events in proptest::collection::vec(event(), 0..60), cut in 0usize..60) {
        let cut = cut.min(events.len());
        let mut s = AppState::fold(&events[..cut]);
        for e in &events[cut..] {
            s.apply(e);
        }
        prop_assert_eq!(s, AppState::fold(&events));
    }

    #[test]
    fn get_setting_never_lists_an_unset_scope(events in proptest::collection::vec(event(), 0..60)) {
        let s = AppState::fold(&events);
        let auth = auth_setting(&s);
        for scope in Scope::ALL {
            let listed = auth.contains_key(scope.as_str());
            prop_assert_eq!(listed, s.scope(*scope) != Value::Unset);
            if listed {
                prop_assert_eq!(auth[scope.as_str()].as_bool(), Some(s.scope(*scope) == Value::Granted));
            }
        }
    }

    #[test]
    fn reset_returns_every_scope_to_unset(events in proptest::collection::vec(event(), 0..60), remove in any::<bool>()) {
        let mut log = events.clone();
        let before = log.len();
        let mut reset = events.first().cloned().unwrap_or_else(|| ConsentEvent::new(
            &EventMeta { at: 0, user: "u".into(), app: "a".into(), channel: Channel::Develop, profile: "wechat".into() },
            Change { subject: Subject::All, from: Value::Unset, to: Value::Unset, via: Via::Reset, gesture: false, api: None, notice: None }));
        reset.scope = Subject::All;
        reset.via = if remove { Via::Remove } else { Via::Reset };
        log.push(reset);
        prop_assert!(log.len() > before, "the log only grows");
        let s = AppState::fold(&log);
        for scope in Scope::ALL {
            prop_assert_eq!(s.scope(*scope), Value::Unset);
        }
        for t in InfoType::ALL {
            prop_assert!(!s.privacy_granted(t));
        }
        prop_assert!(auth_setting(&s).is_empty());
        // OS permissions are the phone's: the reset keeps them (D15).
        let before_state = AppState::fold(&events);
        for p in OsPermission::ALL {
            prop_assert_eq!(s.os(p), before_state.os(p));
        }
    }

    #[test]
    fn entries_rebuild_the_state(events in proptest::collection::vec(event(), 0..60)) {
        let s = AppState::fold(&events);
        prop_assert_eq!(AppState::from_entries(s.entries(), s.privacy_refused_at), s);
    }

    /// Any call with any answers settles, never panics, and every change it makes is already
    /// in the state it leaves behind.
    #[test]
    fn drive_settles(
        events in proptest::collection::vec(event(), 0..30),
        api in proptest::sample::select(Api::ALL.to_vec()),
        scope in proptest::sample::select(Scope::ALL.to_vec()),
        answers in proptest::collection::vec(prop_oneof![Just(Answer::Allow), Just(Answer::Deny), Just(Answer::Agree), Just(Answer::Disagree)], 0..4),
        gesture in any::<bool>(),
        privacy in any::<bool>(),
        listener in any::<bool>(),
    ) {
        let profile = Profile::wechat();
        let manifest = Manifest {
            privacy: if privacy { Privacy::Guide { types: vec![InfoType::Location, InfoType::Album], contract_name: "c".into() } } else { Privacy::Off },
            ..Manifest::default()
        };
        let env = Env { profile: &profile, manifest: &manifest, privacy_listener: listener, system: SystemSwitches::default() };
        let mut state = AppState::fold(&events);
        let req = if api == Api::Authorize { Request::authorize(Some(scope.as_str()), gesture, 50_000) } else { Request::api(api, gesture, 50_000) };
        let first = decide(&req, &state, &env);
        prop_assert_eq!(first, decide(&req, &state, &env), "decide is pure");
        let mut it = answers.into_iter();
        if let Ok(d) = drive(&req, &mut state, &env, |_| it.next()) {
            let mut replay = AppState::fold(&events);
            for c in &d.changes {
                replay.apply_change(c.subject, c.to, c.via, req.now);
            }
            prop_assert_eq!(replay, state);
        }
    }
}

proptest! {
    /// A decision depends on nothing of the state but what it says it consulted: setting any
    /// other subject to any value gives the same decision (the explorer varies starting states
    /// only over what some run consulted or read).
    #[test]
    fn a_decision_reads_only_what_it_consulted(
        events in proptest::collection::vec(event(), 0..30),
        api in proptest::sample::select(Api::ALL.to_vec()),
        scope in proptest::sample::select(Scope::ALL.to_vec()),
        other in subject(),
        near in 0usize..4,
        granted in any::<bool>(),
        to in value(),
        gesture in any::<bool>(),
        privacy in any::<bool>(),
        listener in any::<bool>(),
    ) {
        let profile = Profile::wechat();
        let manifest = Manifest {
            privacy: if privacy { Privacy::Guide { types: vec![InfoType::Location, InfoType::Album], contract_name: "c".into() } } else { Privacy::Off },
            ..Manifest::default()
        };
        let env = Env { profile: &profile, manifest: &manifest, privacy_listener: listener, system: SystemSwitches::default() };
        let mut state = AppState::fold(&events);
        let req = if api == Api::Authorize {
            Request::authorize(Some(scope.as_str()), gesture, 10)
        } else {
            Request::api(api, gesture, 10)
        };
        // Often the subjects next to the request (its scope granted, so the OS step runs; its
        // OS permission; its privacy info type): where a missed fact would hide.
        let rs = req.scope();
        if granted && let Some(s) = rs {
            state.apply_change(Subject::Scope(s), Value::Granted, Via::Host, 10);
        }
        let os = rs.and_then(|s| s.info().os).or(req.api.info().os);
        let other = match near {
            0 => rs.map(Subject::Scope).unwrap_or(other),
            1 => os.map(Subject::Os).unwrap_or(other),
            2 => req.info_type().map(Subject::Privacy).unwrap_or(other),
            _ => other,
        };
        let d = decide(&req, &state, &env);
        let consulted: Vec<Subject> = d.consulted(&req).collect();
        prop_assume!(!matches!(other, Subject::All) && !consulted.contains(&other));
        let mut changed = state;
        changed.apply_change(other, to, Via::Host, 10);
        // R28's gap is its own fact (when the agreement was last refused), not a subject's
        // value: varying a subject leaves it as it was.
        changed.privacy_refused_at = state.privacy_refused_at;
        let d2 = decide(&req, &changed, &env);
        prop_assert_eq!(d.outcome, d2.outcome, "{:?} changed the decision, consulted {:?}", other, consulted);
    }
}
