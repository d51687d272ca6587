//! The zygote against the fresh path, and isolation between runs.

use super::*;
use crate::{ScriptedUser, UiAnswer};
use miniperm_consent::MemoryStore;

fn fixture(name: &str) -> Project {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(name);
    Project::load(&dir).unwrap()
}

fn runtime_fixture(name: &str) -> Project {
    fixture(&format!("crates/runtime/tests/fixtures/{name}"))
}

fn config(project: &Project, taps: &[&str], tweak: impl FnOnce(&mut RunConfig)) -> RunConfig {
    let mut cfg = RunConfig::new(project);
    cfg.taps = taps.iter().map(|s| s.to_string()).collect();
    // The consent log's wall-clock stamps would differ between any two runs.
    cfg.stamp = || 0;
    tweak(&mut cfg);
    cfg
}

fn answers(s: &str) -> Vec<UiAnswer> {
    crate::parse_answers(s).unwrap()
}

/// The transcript of one run, as JSON (what the explorer's reports are built from).
fn transcript(r: Result<RunOutcome, RunError>) -> String {
    match r {
        Ok(o) => serde_json::to_string(&o.events).unwrap(),
        Err(e) => format!("error: {e}"),
    }
}

fn fresh(project: &Project, cfg: &RunConfig, a: &str) -> String {
    let mut user = ScriptedUser::new(answers(a));
    transcript(crate::run(project, cfg, &mut MemoryStore::new(), &mut user))
}

fn on(pool: &mut Zygotes, project: &Project, cfg: &RunConfig, a: &str) -> String {
    let mut user = ScriptedUser::new(answers(a));
    transcript(pool.run(project, cfg, &mut MemoryStore::new(), &mut user))
}

#[test]
fn the_zygote_gives_the_fresh_transcript() {
    let limits = runtime_fixture("limits");
    let flood = runtime_fixture("hostile/flood");
    let classic = fixture("examples/classic");
    let record = fixture("examples/record");
    let privacy = fixture("examples/privacy");
    type Case<'a> = (&'a Project, Vec<&'a str>, &'a str, fn(&mut RunConfig));
    let cases: Vec<Case> = vec![
        (&classic, vec!["onLocate"], "allow", |_| {}),
        (
            &classic,
            vec!["onLocate"],
            "deny,confirm,settings:scope.userLocation=on",
            |_| {},
        ),
        (&classic, vec!["onLocate"], "deny,cancel", |c| {
            c.initial = vec![(
                miniperm_core::Subject::Scope(miniperm_core::Scope::UserLocation),
                miniperm_core::Value::Denied,
            )]
        }),
        (&record, vec!["onRecord", "onStop"], "allow", |_| {}),
        (&privacy, vec!["onLocate", "onAgree"], "agree,allow", |_| {}),
        (
            &limits,
            vec!["boom", "rejected", "recurse", "alive"],
            "",
            |_| {},
        ),
        (
            &limits,
            vec!["paths", "spread", "deep", "tabs", "timers", "hijack"],
            "",
            |_| {},
        ),
        (&limits, vec!["hog"], "", |c| {
            c.limits.memory_bytes = 16 << 20
        }),
        (&limits, vec!["tick"], "", |_| {}),
        (&flood, vec!["promiseHog", "alive"], "", |c| {
            c.limits.memory_bytes = 16 << 20
        }),
        (&flood, vec!["promiseHogChained"], "", |c| {
            c.limits.memory_bytes = 16 << 20
        }),
        (&flood, vec!["hogCaught", "alive"], "", |c| {
            c.limits.memory_bytes = 16 << 20
        }),
        (&flood, vec!["hogCaughtInTimer"], "", |c| {
            c.limits.memory_bytes = 16 << 20
        }),
        (&flood, vec!["setDataFlood"], "", |c| {
            c.limits.memory_bytes = 16 << 20;
            c.limits.dispatch_ms = 20_000;
        }),
        (&flood, vec!["consoleFlood"], "", |c| {
            c.limits.memory_bytes = 16 << 20;
            c.limits.dispatch_ms = 20_000;
        }),
        (&limits, vec!["nosuchhandler"], "", |_| {}),
    ];
    let mut pool = Zygotes::new();
    // Twice round, so every case also runs on a zygote another case's run has used.
    for round in 0..2 {
        for (i, (p, taps, a, tweak)) in cases.iter().enumerate() {
            let cfg = config(p, taps, tweak);
            let want = fresh(p, &cfg, a);
            assert_eq!(on(&mut pool, p, &cfg, a), want, "case {i} round {round}");
        }
    }
    assert!(!pool.ready.is_empty() && pool.failed.is_empty(), "{pool:?}");
    assert_eq!(pool.refused(), 0);
}

#[test]
fn nothing_leaks_from_one_run_to_the_next() {
    let p = runtime_fixture("pollute");
    let clean = config(&p, &[], |_| {});
    let dirty = config(&p, &["pollute", "deep"], |_| {});
    let mut pool = Zygotes::new();
    let first = on(&mut pool, &p, &clean, "");
    let u = r#"{"$undefined":true}"#;
    let clean_line = format!(r#"["globals","undefined","undefined",{u},{u},1]"#);
    assert!(first.contains(&clean_line), "{first}");
    let polluted = on(&mut pool, &p, &dirty, "");
    assert!(
        polluted.contains(r#"["polluted","hijacked",2]"#),
        "{polluted}"
    );
    assert!(
        polluted.contains(r#"["deep","RangeError",true]"#),
        "{polluted}"
    );
    assert_eq!(polluted, fresh(&p, &dirty, ""));
    // The same zygote, after a run that changed globals, prototypes, module state, timers and
    // Math.random: the next run sees none of it.
    assert_eq!(on(&mut pool, &p, &clean, ""), first);
    assert_eq!(first, fresh(&p, &clean, ""));
}

#[test]
fn a_pool_moves_between_threads() {
    let p = runtime_fixture("pollute");
    let cfg = config(&p, &["deep"], |_| {});
    let want = fresh(&p, &cfg, "");
    let mut pool = Zygotes::new();
    assert_eq!(on(&mut pool, &p, &cfg, ""), want);
    // Built on this thread, used on another (a smaller stack, another stack top).
    let (p2, cfg2) = (p.clone(), cfg.clone());
    let got = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(move || on(&mut pool, &p2, &cfg2, ""))
        .unwrap()
        .join()
        .unwrap();
    assert_eq!(got, want);
}

#[test]
fn each_key_gets_its_own_zygote() {
    let p = fixture("examples/classic");
    let mut pool = Zygotes::new();
    let a = config(&p, &["onLocate"], |_| {});
    let b = config(&p, &["onLocate"], |c| c.now_ms += 1000);
    let c = config(&p, &["onLocate"], |c| c.seed = 7);
    for cfg in [&a, &b, &c, &a] {
        assert_eq!(on(&mut pool, &p, cfg, "allow"), fresh(&p, cfg, "allow"));
    }
    assert_eq!(pool.ready.len(), 3);
}

#[test]
fn a_run_without_a_memory_cap_runs_fresh() {
    let p = fixture("examples/classic");
    let cfg = config(&p, &["onLocate"], |c| c.limits.memory_bytes = 0);
    let mut pool = Zygotes::new();
    assert_eq!(on(&mut pool, &p, &cfg, "allow"), fresh(&p, &cfg, "allow"));
    assert!(pool.ready.is_empty() && pool.failed.len() == 1, "{pool:?}");
}
