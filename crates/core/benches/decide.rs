//! Decisions per second on one core for a warm state (issue 2: target at least 5 million/s).
//!
//! Baseline in the same run: one `AppState` copy plus a scope look-up, the least any decision
//! must do, so the ratio says how much the full R36 pipeline costs over touching the state.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use miniperm_core::{
    Api, AppState, Env, Manifest, Profile, Request, Scope, Subject, SystemSwitches, Value, Via,
    decide,
};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let profile = Profile::wechat();
    let manifest = Manifest::default();
    let env = Env {
        profile: &profile,
        manifest: &manifest,
        privacy_listener: false,
        system: SystemSwitches::default(),
    };
    let mut state = AppState::new();
    state.apply_change(
        Subject::Scope(Scope::UserLocation),
        Value::Granted,
        Via::Prompt,
        0,
    );
    state.apply_change(Subject::Scope(Scope::Camera), Value::Denied, Via::Prompt, 0);
    let reqs = [
        Request::api(Api::GetLocation, false, 1),
        Request::authorize(Some("scope.camera"), true, 1),
        Request::authorize(Some("scope.record"), true, 1),
        Request::api(Api::OpenSetting, false, 1),
    ];
    let mut g = c.benchmark_group("decide");
    g.throughput(Throughput::Elements(reqs.len() as u64));
    g.bench_function("baseline_state_lookup", |b| {
        b.iter(|| {
            for r in &reqs {
                let s = black_box(state);
                black_box(s.scope(r.scope().unwrap_or(Scope::UserLocation)));
            }
        })
    });
    g.bench_function("decide_warm", |b| {
        b.iter(|| {
            for r in &reqs {
                black_box(decide(black_box(r), black_box(&state), &env));
            }
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().sample_size(30).measurement_time(std::time::Duration::from_secs(3)).warm_up_time(std::time::Duration::from_secs(1));
    targets = bench
}
criterion_main!(benches);
