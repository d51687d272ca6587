//! Resuming at the branch against replaying from the launch (issue 19), in the same run: the
//! seven-prompt wizard (its first 2,000 paths) and the 12-level modal loop that logs 1 MB a step
//! (all 4,096 paths), each explored on one thread by a resuming runner (`RuntimeRunner::new`)
//! and by one that replays every path on a zygote (`RuntimeRunner::replaying`), interleaved,
//! best of a few batches.
//!
//! `cargo bench -p miniperm-explore --bench resume --features bench-mimalloc`
//!
//! The ratio of a path to a whole `miniperm run` process is `scripts/bench-explore.sh`'s.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

#[cfg(feature = "bench-mimalloc")]
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::path::Path;
use std::time::Instant;

use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{Config, explore};
use miniperm_runtime::{Project, RunConfig};

struct Flow {
    name: &'static str,
    resume: RuntimeRunner,
    replay: RuntimeRunner,
    cfg: Config,
}

fn flow(name: &'static str, dir: &str, tap: &str, max_paths: usize) -> Flow {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let project = Project::load(&dir).expect("the fixture loads");
    let mut base = RunConfig::new(&project);
    base.taps = vec![tap.into()];
    base.stamp = || 0;
    let cfg = Config {
        max_paths,
        threads: 1,
        replay: "miniperm run".into(),
        ..Config::default()
    };
    Flow {
        name,
        resume: RuntimeRunner::new(project.clone(), base.clone(), 8),
        replay: RuntimeRunner::replaying(project, base, 8),
        cfg,
    }
}

fn main() {
    let flows = [
        flow(
            "seven-prompt wizard",
            "tests/fixtures/seven-prompts",
            "onSetup",
            2_000,
        ),
        flow(
            "12-level modal loop, 1 MB a step",
            "tests/fixtures/modal-loop",
            "onTap",
            5_000,
        ),
    ];
    let alloc = if cfg!(feature = "bench-mimalloc") {
        "mimalloc"
    } else {
        "system allocator"
    };
    println!("best of 5 interleaved batches, one thread, {alloc}:");
    for f in &flows {
        // Warm both (zygotes built, files read), and check they agree.
        let a = explore(&f.resume, &f.cfg).expect("explore");
        let b = explore(&f.replay, &f.cfg).expect("explore");
        assert_eq!(a.paths, b.paths);
        assert_eq!(a.outcomes.len(), b.outcomes.len());
        let mut best = [f64::MAX; 2];
        for _ in 0..5 {
            for (i, runner) in [&f.resume, &f.replay].into_iter().enumerate() {
                let t = Instant::now();
                let r = explore(runner, &f.cfg).expect("explore");
                let us = t.elapsed().as_secs_f64() * 1e6 / r.paths as f64;
                best[i] = best[i].min(us);
            }
        }
        println!(
            "{:<34} {} paths: resumed {:>6.1} µs a path ({:>5.0} paths/s), replayed {:>6.1} µs ({:>5.0} paths/s): {:.2}× faster",
            f.name,
            a.paths,
            best[0],
            1e6 / best[0],
            best[1],
            1e6 / best[1],
            best[1] / best[0]
        );
    }
}
