//! A run stopped at a UI and resumed with an answer (the explorer's resume at the branch) gives
//! exactly what a run given that answer from the start gives, as often as it is resumed.
#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]

mod common;
use common::*;
use miniperm_consent::MemoryStore;
use miniperm_runtime::{
    Branch, RunConfig, RunOutcome, Step, UiAnswer, UiRequest, User, Zygotes, parse_answers,
};

/// Stops at every UI (the caller answers by resuming).
struct Stopper;

impl User for Stopper {
    fn answer(&mut self, _ui: &UiRequest) -> Option<UiAnswer> {
        None
    }
    fn suspend_at(&mut self, _ui: &UiRequest) -> bool {
        true
    }
}

fn cfg(p: &miniperm_runtime::Project, taps: &[&str]) -> RunConfig {
    let mut c = RunConfig::new(p);
    c.taps = taps.iter().map(|s| s.to_string()).collect();
    c.now_ms = 1_767_225_600_000;
    c.stamp = || 0;
    c
}

/// Answers `answers` by pausing at each UI and resuming the branch, keeping the store of each
/// branch as the explorer does.
fn by_resuming(
    pool: &mut Zygotes,
    p: &miniperm_runtime::Project,
    c: &RunConfig,
    answers: &[&str],
) -> (RunOutcome, Vec<(Branch, MemoryStore)>) {
    let mut store = MemoryStore::new();
    let mut step = pool.start(p, c, &mut store, &mut Stopper).unwrap().unwrap();
    let mut kept = Vec::new();
    let mut answers = answers.iter();
    loop {
        match step {
            Step::Done(o) => return (o, kept),
            Step::Paused(b) => {
                let a: UiAnswer = answers
                    .next()
                    .expect("a UI waits: an answer")
                    .parse()
                    .unwrap();
                let mut s = store.clone();
                step = pool
                    .resume(p, c, &b, a, &mut s, &mut Stopper)
                    .unwrap()
                    .unwrap();
                kept.push((b, store));
                store = s;
            }
        }
    }
}

fn scripted(p: &miniperm_runtime::Project, c: &RunConfig, answers: &str) -> RunOutcome {
    let mut store = MemoryStore::new();
    let mut user = miniperm_runtime::ScriptedUser::new(parse_answers(answers).unwrap());
    miniperm_runtime::run(p, c, &mut store, &mut user).unwrap()
}

#[test]
fn a_resumed_run_is_the_run_that_was_answered_from_the_start() {
    let p = example("classic");
    let c = cfg(&p, &["onLocate"]);
    let mut pool = Zygotes::new();
    for answers in [
        vec!["allow"],
        vec!["deny", "cancel"],
        vec!["deny", "confirm", "settings"],
        vec!["deny", "confirm", "settings:scope.userLocation=on"],
    ] {
        let (resumed, _) = by_resuming(&mut pool, &p, &c, &answers);
        let fresh = scripted(&p, &c, &answers.join(","));
        assert_eq!(transcript(&resumed), transcript(&fresh), "{answers:?}");
        assert_eq!(resumed.observations, fresh.observations, "{answers:?}");
    }
}

#[test]
fn one_branch_resumes_many_times_and_each_answer_starts_from_the_same_point() {
    let p = example("classic");
    let c = cfg(&p, &["onLocate"]);
    let mut pool = Zygotes::new();
    let (_, kept) = by_resuming(&mut pool, &p, &c, &["deny", "confirm", "settings"]);
    // the second branch: the modal after the denial
    let (modal, store) = &kept[1];
    assert!(
        matches!(modal.ui(), UiRequest::Modal { .. }),
        "{:?}",
        modal.ui()
    );
    for _ in 0..3 {
        for (a, want) in [("cancel", "deny,cancel"), ("confirm", "deny,confirm")] {
            let mut s = store.clone();
            let step = pool
                .resume(&p, &c, modal, a.parse().unwrap(), &mut s, &mut Stopper)
                .unwrap()
                .unwrap();
            let got = match step {
                Step::Done(o) => transcript(&o),
                // confirm opens the settings page: the transcript up to there
                Step::Paused(b) => {
                    assert!(matches!(b.ui(), UiRequest::Settings { .. }));
                    "paused at settings".to_string()
                }
            };
            if a == "cancel" {
                assert_eq!(got, transcript(&scripted(&p, &c, want)));
            } else {
                assert_eq!(got, "paused at settings");
            }
        }
    }
}

#[test]
fn a_branch_of_another_pool_is_not_resumed() {
    let p = example("classic");
    let c = cfg(&p, &["onLocate"]);
    let mut a = Zygotes::new();
    let mut b = Zygotes::new();
    let mut store = MemoryStore::new();
    let Step::Paused(branch) = a.start(&p, &c, &mut store, &mut Stopper).unwrap().unwrap() else {
        panic!("the prompt");
    };
    // b builds its own zygote for the key: its memory is not the branch's
    let _ = b
        .start(&p, &c, &mut MemoryStore::new(), &mut Stopper)
        .unwrap();
    let r = b
        .resume(&p, &c, &branch, UiAnswer::Allow, &mut store, &mut Stopper)
        .unwrap();
    assert!(r.is_none());
}
