//! Explore's cost per path against the cost of one `miniperm run` process on the same flow,
//! measured in the same run (issue 4: aim for ≥ 2,000 paths per second per core).
//!
//! `explore_classic_1_thread` explores every path of examples/classic (tap onLocate) on one
//! thread with the project loaded once, as `miniperm explore --threads 1` does; its throughput is
//! paths per second on one core. `run_process` starts `miniperm run` on the same example with one
//! tap and one answer: what a person replaying one path by hand pays.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};
use std::process::Command;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{Config, explore};
use miniperm_runtime::{Project, RunConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn bench(c: &mut Criterion) {
    let dir = root().join("examples/classic");
    let project = Project::load(&dir).expect("examples/classic loads");
    let mut base = RunConfig::new(&project);
    base.taps = vec!["onLocate".into()];
    let runner = RuntimeRunner::new(project, base, 8);
    let cfg = Config {
        product: None,
        fixed: vec![],
        max_paths: 100_000,
        max_depth: 16,
        threads: 1,
        replay: "miniperm run examples/classic --tap onLocate".into(),
    };
    let paths = explore(&runner, &cfg).expect("explore").paths as u64;

    let mut g = c.benchmark_group("explore");
    g.sample_size(20);
    g.measurement_time(std::time::Duration::from_secs(5));
    g.throughput(Throughput::Elements(paths));
    g.bench_function("explore_classic_1_thread", |b| {
        b.iter(|| explore(&runner, &cfg).expect("explore"))
    });
    g.throughput(Throughput::Elements(1));
    g.bench_function("run_process", |b| {
        b.iter(|| {
            let st = Command::new(env!("CARGO_BIN_EXE_miniperm"))
                .args([
                    "run",
                    "--ephemeral",
                    "--tap",
                    "onLocate",
                    "--answers",
                    "allow",
                ])
                .arg(&dir)
                .stdout(std::process::Stdio::null())
                .status()
                .expect("spawn miniperm");
            assert!(st.success());
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
