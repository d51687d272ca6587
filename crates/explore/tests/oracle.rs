//! The zygote and the resume at the branch against their oracles: every explore fixture and
//! every example explored by resuming runs at their branches on zygotes (`RuntimeRunner::new`),
//! by replaying every path from the launch on zygotes (`RuntimeRunner::replaying`) and on a fresh
//! runtime per path (`RuntimeRunner::fresh`) gives the same report, byte for byte (its JSON, and
//! the witness transcripts the JSON leaves out); and the lazy starting states against the full
//! product of the facts they observed.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::path::{Path, PathBuf};

use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::{Config, Report, explore};
use miniperm_runtime::{Project, RunConfig};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every project to explore, with its taps.
fn projects() -> Vec<(PathBuf, Vec<&'static str>)> {
    let mut out = Vec::new();
    let fixtures = root().join("crates/explore/tests/fixtures");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&fixtures)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    for d in dirs {
        let name = d.file_name().unwrap().to_string_lossy().to_string();
        let taps = match name.as_str() {
            "prompt-on-launch-yes" => vec![],
            "seven-scopes" => vec!["onStart"],
            "seven-prompts" => vec!["onSetup"],
            n if n.starts_with("tap-some-paths") => vec!["onTap", "onNext"],
            _ => vec!["onTap"],
        };
        out.push((d, taps));
    }
    for (name, taps) in [
        ("classic", vec!["onLocate"]),
        ("corrected", vec!["onLocate"]),
        ("album", vec!["onSave", "open-type=openSetting"]),
        ("record", vec!["onRecord", "onStop"]),
        ("privacy", vec!["onLocate"]),
        ("settings-button", vec!["onShoot", "open-type=openSetting"]),
    ] {
        out.push((root().join("examples").join(name), taps));
    }
    out
}

fn explore_with(runner: &RuntimeRunner, max_paths: usize) -> Result<Report, String> {
    let cfg = Config {
        product: None,
        fixed: vec![],
        max_paths,
        max_depth: 16,
        // One thread: which paths a truncated search runs depends on the order runs finish.
        threads: 1,
        replay: "miniperm run".into(),
    };
    explore(runner, &cfg).map_err(|e| e.to_string())
}

/// The report as bytes: its JSON, then its Debug form (which has the witness transcripts).
fn bytes(r: &Result<Report, String>) -> String {
    match r {
        Ok(r) => format!("{}\n{r:?}", serde_json::to_string_pretty(r).unwrap()),
        Err(e) => format!("error: {e}"),
    }
}

#[test]
fn resumed_replayed_and_fresh_reports_are_byte_identical() {
    let mut differ = Vec::new();
    let mut explored = 0;
    for (dir, taps) in projects() {
        let project = Project::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut base = RunConfig::new(&project);
        base.taps = taps.iter().map(|s| s.to_string()).collect();
        // Consent stamps are the host's wall clock; the transcripts must not depend on it.
        base.stamp = || 0;
        // Each explore under a second in a debug build: the fresh and replaying twins run
        // every path from the launch, the modal loop's paths log 1 MB a level.
        let budget = if dir.ends_with("modal-loop") { 40 } else { 150 };
        let fresh = explore_with(
            &RuntimeRunner::fresh(project.clone(), base.clone(), 8),
            budget,
        );
        let replayed = explore_with(
            &RuntimeRunner::replaying(project.clone(), base.clone(), 8),
            budget,
        );
        if bytes(&replayed) != bytes(&fresh) {
            differ.push(format!(
                "{} (replaying on a zygote):\n--- fresh\n{}\n--- replayed\n{}",
                dir.display(),
                bytes(&fresh),
                bytes(&replayed)
            ));
        }
        let zygote = RuntimeRunner::new(project, base, 8);
        // Twice on the same runner: the second exploration reuses the first one's zygotes.
        for round in 0..2 {
            let z = explore_with(&zygote, budget);
            if bytes(&z) != bytes(&fresh) {
                differ.push(format!(
                    "{} (round {round}):\n--- fresh\n{}\n--- zygote\n{}",
                    dir.display(),
                    bytes(&fresh),
                    bytes(&z)
                ));
            }
        }
        explored += fresh.map_or(0, |r| r.paths);
    }
    assert!(explored > 500, "only {explored} paths explored");
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}

/// What the oracles compare: the findings (code, where, what) and the distinct outcomes. The
/// lazy search runs fewer starting states than the full product (a fact no path observed is not
/// varied), so counts and witnesses may differ; what can happen may not.
fn essence(r: &Report) -> (Vec<(String, String, String)>, Vec<String>) {
    let mut f: Vec<(String, String, String)> = r
        .findings
        .iter()
        .map(|f| {
            (
                f.code.clone(),
                f.location
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                f.message.clone(),
            )
        })
        .collect();
    f.sort();
    let mut o: Vec<String> = r.outcomes.iter().map(|o| o.outcome.clone()).collect();
    o.sort();
    (f, o)
}

/// The lazy search against the full product: every fixture and example explored lazily
/// (starting states found from what paths observed), then from every combination of the
/// subjects the lazy search observed, up front. Both find the same findings and outcomes.
#[test]
fn lazy_starting_states_find_what_the_full_product_finds() {
    let mut differ = Vec::new();
    for (dir, taps) in projects() {
        // seven prompts in a row: 3^7 starting states times their answers is a benchmark, not
        // a test (the property is the same on the smaller fixtures); the modal loop reads no
        // consent (one start both ways) and its 4,096 paths are the resume benchmark
        if ["seven-scopes", "seven-prompts", "modal-loop"]
            .iter()
            .any(|n| dir.ends_with(n))
        {
            continue;
        }
        let project = Project::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut base = RunConfig::new(&project);
        base.taps = taps.iter().map(|s| s.to_string()).collect();
        base.stamp = || 0;
        let runner = RuntimeRunner::new(project, base, 8);
        let cfg = Config {
            max_paths: 5_000,
            max_depth: 16,
            threads: 2,
            replay: "miniperm run".into(),
            ..Config::default()
        };
        let lazy = match explore(&runner, &cfg) {
            Ok(r) => r,
            Err(e) => {
                // a fixture whose taps do not exist everywhere fails both ways alike
                let full = explore(
                    &runner,
                    &Config {
                        product: Some(Vec::new()),
                        ..cfg.clone()
                    },
                );
                assert!(
                    full.is_err(),
                    "{}: lazy failed ({e}), full did not",
                    dir.display()
                );
                continue;
            }
        };
        assert!(!lazy.truncated, "{}: raise max_paths", dir.display());
        let full = explore(
            &runner,
            &Config {
                product: Some(lazy.observed.clone()),
                ..cfg.clone()
            },
        )
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        assert!(!full.truncated, "{}: raise max_paths", dir.display());
        assert!(lazy.paths <= full.paths, "{}", dir.display());
        if essence(&lazy) != essence(&full) {
            differ.push(format!(
                "{}:\n--- lazy ({} paths)\n{:#?}\n--- full ({} paths)\n{:#?}",
                dir.display(),
                lazy.paths,
                essence(&lazy),
                full.paths,
                essence(&full)
            ));
        }
    }
    assert!(differ.is_empty(), "{}", differ.join("\n\n"));
}
