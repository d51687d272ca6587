//! Explore's cost per path, fresh runtimes against zygotes, against an empty QuickJS runtime +
//! `Context::full` (the scale), all in the same run (issue 10: ≥ 4,000 paths/s/core, a path ≤ 2.5×
//! the empty runtime + context).
//!
//! `cargo bench -p miniperm-explore --bench speed [--features bench-mimalloc]`
//!
//! Criterion first (mean under whatever load the machine has), then the best of 80 interleaved
//! short batches, which is less sensitive to neighbours on a shared machine. Each explore explores
//! every path of `examples/classic --tap onLocate` on one thread with the project loaded once,
//! as `miniperm explore --threads 1` does; its time divided by its paths is one path's cost.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::Instant;

use criterion::{Criterion, Throughput};
use miniperm_consent::MemoryStore;
use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{Config, explore};
use miniperm_runtime::{Project, RunConfig, ScriptedUser, Zygotes, parse_answers};

struct Setup {
    project: Project,
    base: RunConfig,
    fresh: RuntimeRunner,
    zygote: RuntimeRunner,
    cfg: Config,
    paths: usize,
}

fn setup() -> Setup {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples/classic");
    let project = Project::load(&dir).expect("examples/classic loads");
    let mut base = RunConfig::new(&project);
    base.taps = vec!["onLocate".into()];
    let cfg = Config {
        product: None,
        fixed: vec![],
        max_paths: 100_000,
        max_depth: 16,
        threads: 1,
        replay: "miniperm run examples/classic --tap onLocate".into(),
    };
    let fresh = RuntimeRunner::fresh(project.clone(), base.clone(), 8);
    let zygote = RuntimeRunner::new(project.clone(), base.clone(), 8);
    let paths = explore(&fresh, &cfg).expect("explore").paths;
    // The zygote's first explore builds it; later ones reuse it (as later discovery rounds do).
    assert_eq!(explore(&zygote, &cfg).expect("explore").paths, paths);
    Setup {
        project,
        base,
        fresh,
        zygote,
        cfg,
        paths,
    }
}

fn empty_runtime() {
    let rt = rquickjs::Runtime::new().expect("runtime");
    drop(rquickjs::Context::full(&rt).expect("context"));
}

fn criterion_part(c: &mut Criterion, s: &Setup) {
    let mut g = c.benchmark_group("speed");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(5));
    g.throughput(Throughput::Elements(1));
    g.bench_function("empty_runtime_context", |b| b.iter(empty_runtime));
    g.throughput(Throughput::Elements(s.paths as u64));
    g.bench_function("explore_classic_fresh", |b| {
        b.iter(|| explore(&s.fresh, &s.cfg).expect("explore"))
    });
    g.bench_function("explore_classic_zygote", |b| {
        b.iter(|| explore(&s.zygote, &s.cfg).expect("explore"))
    });
    g.finish();
}

/// One run of classic (no explorer), on `pool`'s zygote or on a fresh runtime: the launch and
/// first page only, or the tap with `answers`.
fn one_run(pool: Option<&mut Zygotes>, s: &Setup, tap: bool, answers: &str) {
    let mut cfg = s.base.clone();
    if !tap {
        cfg.taps.clear();
    }
    let mut user = ScriptedUser::new(parse_answers(answers).expect("answers"));
    let mut store = MemoryStore::new();
    match pool {
        Some(p) => p.run(&s.project, &cfg, &mut store, &mut user),
        None => miniperm_runtime::run(&s.project, &cfg, &mut store, &mut user),
    }
    .expect("runs");
}

/// Single runs, fresh and on a zygote, against the empty runtime + context, best of 80
/// interleaved batches of about 2 ms each (short batches: fair to every mode on a loaded
/// machine). The segments are the prefix-sharing estimate: the launch alone is what a
/// checkpoint after it would save, and a checkpoint at a UI would replace everything before it
/// by a restore.
fn runs(s: &Setup) {
    if std::env::var_os("SPEED_ONLY_ZYGOTE").is_some() {
        return;
    }
    let mut pool = Zygotes::new();
    let cases = [
        ("launch + first page", false, ""),
        ("tap onLocate, allow", true, "allow"),
        (
            "tap, deny, modal, settings on",
            true,
            "deny,confirm,settings:scope.userLocation=on",
        ),
    ];
    let mut empty = f64::MAX;
    let mut best = [[f64::MAX; 3]; 2];
    for _ in 0..80 {
        let t = Instant::now();
        for _ in 0..20 {
            empty_runtime();
        }
        empty = empty.min(t.elapsed().as_secs_f64() * 1e6 / 20.0);
        for (i, (_, tap, answers)) in cases.iter().enumerate() {
            let t = Instant::now();
            for _ in 0..2 {
                one_run(None, s, *tap, answers);
            }
            best[0][i] = best[0][i].min(t.elapsed().as_secs_f64() * 1e6 / 2.0);
            let t = Instant::now();
            for _ in 0..10 {
                one_run(Some(&mut pool), s, *tap, answers);
            }
            best[1][i] = best[1][i].min(t.elapsed().as_secs_f64() * 1e6 / 10.0);
        }
    }
    println!(
        "\nsingle runs of classic, best of 80 interleaved batches of ~2 ms (snapshot {} KiB):",
        pool.snapshot_bytes() / 1024
    );
    println!(
        "{:<42} {empty:>7.1} µs",
        "empty Runtime + Context::full (scale)"
    );
    for (i, (name, _, _)) in cases.iter().enumerate() {
        let (f, z) = (best[0][i], best[1][i]);
        println!(
            "{name:<32} fresh {f:>7.1} µs ({:>5.2}× scale)  zygote {z:>6.1} µs ({:>4.2}× scale)  {:>5.2}× faster",
            f / empty,
            z / empty,
            f / z
        );
    }
}

fn best_of(s: &Setup) {
    // Short batches (one explore, ~10–60 ms) and many of them: on a loaded machine the best
    // short window is nearer the unloaded cost than a long one.
    const BATCHES: usize = 80;
    let names = [
        "empty Runtime + Context::full (scale)",
        "explore classic, fresh runtime per path",
        "explore classic, zygote",
    ];
    let only_zygote = std::env::var_os("SPEED_ONLY_ZYGOTE").is_some();
    let mut best = [f64::MAX; 3];
    for _ in 0..BATCHES {
        for (mode, best) in best.iter_mut().enumerate() {
            if only_zygote && mode != 2 {
                continue;
            }
            let t = Instant::now();
            let per = match mode {
                0 => {
                    for _ in 0..20 {
                        empty_runtime();
                    }
                    20
                }
                1 => {
                    explore(&s.fresh, &s.cfg).expect("explore");
                    s.paths
                }
                _ => {
                    explore(&s.zygote, &s.cfg).expect("explore");
                    s.paths
                }
            };
            let us = t.elapsed().as_secs_f64() * 1e6 / per as f64;
            *best = best.min(us);
        }
    }
    let alloc = if cfg!(feature = "bench-mimalloc") {
        "mimalloc"
    } else {
        "system allocator"
    };
    println!(
        "\nbest of {BATCHES} interleaved batches, one thread, {} paths, {alloc}:",
        s.paths
    );
    for (name, us) in names.iter().zip(best) {
        println!(
            "{name:<42} {us:>7.1} µs  {:>7.0} /s  {:>5.2}× scale",
            1e6 / us,
            us / best[0]
        );
    }
    println!("zygote against fresh: {:.2}× faster", best[1] / best[2]);
}

fn main() {
    let s = setup();
    let mut c = Criterion::default().configure_from_args();
    criterion_part(&mut c, &s);
    best_of(&s);
    runs(&s);
    c.final_summary();
}
