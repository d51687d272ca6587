#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic))]
#![allow(dead_code)]

use std::path::PathBuf;

use miniperm_consent::{ConsentStore, MemoryStore};
use miniperm_runtime::{
    Project, RunConfig, RunError, RunOutcome, ScriptedUser, parse_answers, render_human, run,
};

pub fn fixture(name: &str) -> Project {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name);
    Project::load(&p).unwrap()
}

pub fn example(name: &str) -> Project {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    Project::load(&p).unwrap()
}

pub fn transcript(o: &RunOutcome) -> String {
    o.events
        .iter()
        .map(|e| render_human(e, false))
        .collect::<Vec<_>>()
        .join("\n")
}

pub fn try_run_with(
    project: &Project,
    store: &mut dyn ConsentStore,
    taps: &[&str],
    answers: &str,
    tweak: impl FnOnce(&mut RunConfig),
) -> Result<RunOutcome, RunError> {
    let mut cfg = RunConfig::new(project);
    cfg.taps = taps.iter().map(|s| s.to_string()).collect();
    cfg.now_ms = 1_767_225_600_000;
    tweak(&mut cfg);
    let mut user = ScriptedUser::new(parse_answers(answers).unwrap());
    run(project, &cfg, store, &mut user)
}

pub fn run_with(
    project: &Project,
    taps: &[&str],
    answers: &str,
    tweak: impl FnOnce(&mut RunConfig),
) -> RunOutcome {
    let mut store = MemoryStore::new();
    try_run_with(project, &mut store, taps, answers, tweak).unwrap()
}

pub fn go(project: &Project, taps: &[&str], answers: &str) -> RunOutcome {
    run_with(project, taps, answers, |_| {})
}

/// The `log` lines of a run, args joined by spaces.
pub fn logs(o: &RunOutcome) -> Vec<String> {
    o.events
        .iter()
        .filter_map(|e| match e {
            miniperm_runtime::Event::Log { args, .. } => Some(
                args.iter()
                    .map(|a| match a {
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" "),
            ),
            _ => None,
        })
        .collect()
}
