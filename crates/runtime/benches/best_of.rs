//! Best of 20 batches of 100 in-process runs of the classic flow, against the empty runtime +
//! context baseline, interleaved so all three see the same neighbours. The best batch is less
//! sensitive to other load on a shared machine than criterion's mean.
//!
//! `cargo bench -p miniperm-runtime --bench best_of`
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]
use std::path::PathBuf;
use std::time::Instant;

use miniperm_consent::MemoryStore;
use miniperm_runtime::{Project, RunConfig, ScriptedUser, parse_answers, run};

const BATCHES: usize = 20;
const RUNS: usize = 100;

fn main() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/classic");
    let project = Project::load(&dir).expect("examples/classic loads");
    let mut tap = RunConfig::new(&project);
    tap.taps = vec!["onLocate".into()];
    let mut launch = tap.clone();
    launch.taps.clear();
    let answers = parse_answers("deny,confirm,settings:scope.userLocation=on").expect("answers");
    let names = [
        "baseline: empty QuickJS runtime + context",
        "run classic deny,confirm,settings",
        "run classic launch only",
    ];
    let mut best = [f64::MAX; 3];
    for _ in 0..BATCHES {
        for (mode, best) in best.iter_mut().enumerate() {
            let t = Instant::now();
            for _ in 0..RUNS {
                match mode {
                    0 => {
                        let rt = rquickjs::Runtime::new().expect("runtime");
                        drop(rquickjs::Context::full(&rt).expect("context"));
                    }
                    1 => {
                        let mut store = MemoryStore::new();
                        let mut user = ScriptedUser::new(answers.clone());
                        run(&project, &tap, &mut store, &mut user).expect("runs");
                    }
                    _ => {
                        let mut store = MemoryStore::new();
                        let mut user = ScriptedUser::new(Vec::new());
                        run(&project, &launch, &mut store, &mut user).expect("runs");
                    }
                }
            }
            let us = t.elapsed().as_secs_f64() * 1e6 / RUNS as f64;
            *best = best.min(us);
        }
    }
    for (name, us) in names.iter().zip(best) {
        println!("{name:<45} {us:>8.0} µs  {:>5.1}× baseline", us / best[0]);
    }
}
