//! In-process cost of one run of the classic flow once the project is loaded.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::PathBuf;

use criterion::{Criterion, criterion_group, criterion_main};
use miniperm_consent::MemoryStore;
use miniperm_runtime::{Project, RunConfig, ScriptedUser, parse_answers, run};

fn classic(c: &mut Criterion) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/classic");
    let project = Project::load(&dir).expect("examples/classic loads");
    let mut cfg = RunConfig::new(&project);
    cfg.taps = vec!["onLocate".into()];
    let answers = parse_answers("deny,confirm,settings:scope.userLocation=on").expect("answers");
    c.bench_function("baseline: empty QuickJS runtime + context", |b| {
        b.iter(|| {
            let rt = rquickjs::Runtime::new().expect("runtime");
            rquickjs::Context::full(&rt).expect("context")
        })
    });
    c.bench_function("load classic project", |b| {
        b.iter(|| Project::load(&dir).expect("loads"))
    });
    c.bench_function("run classic deny,confirm,settings", |b| {
        b.iter(|| {
            let mut store = MemoryStore::new();
            let mut user = ScriptedUser::new(answers.clone());
            run(&project, &cfg, &mut store, &mut user).expect("runs")
        })
    });
    // The memory cap's allocator (heap.rs) against QuickJS's own libc malloc: a run with
    // no cap uses the latter (issue 9, measured in BENCHMARKS.md's containment section).
    let mut uncapped = cfg.clone();
    uncapped.limits.memory_bytes = 0;
    c.bench_function("run classic deny,confirm,settings, no memory cap", |b| {
        b.iter(|| {
            let mut store = MemoryStore::new();
            let mut user = ScriptedUser::new(answers.clone());
            run(&project, &uncapped, &mut store, &mut user).expect("runs")
        })
    });
    let mut launch_only = cfg.clone();
    launch_only.taps.clear();
    c.bench_function("run classic launch only", |b| {
        b.iter(|| {
            let mut store = MemoryStore::new();
            let mut user = ScriptedUser::new(Vec::new());
            run(&project, &launch_only, &mut store, &mut user).expect("runs")
        })
    });
}

criterion_group!(benches, classic);
criterion_main!(benches);
