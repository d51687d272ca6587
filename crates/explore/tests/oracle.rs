//! The zygote against its oracle: every explore fixture and every example explored on zygotes
//! (`RuntimeRunner::new`) and on a fresh runtime per path (`RuntimeRunner::fresh`) gives the same
//! report, byte for byte (its JSON, and the witness transcripts the JSON leaves out).
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

fn explore_with(runner: &RuntimeRunner) -> Result<Report, String> {
    let cfg = Config {
        fixed: vec![],
        max_paths: 400,
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
fn zygote_and_fresh_reports_are_byte_identical() {
    let mut differ = Vec::new();
    let mut explored = 0;
    for (dir, taps) in projects() {
        let project = Project::load(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        let mut base = RunConfig::new(&project);
        base.taps = taps.iter().map(|s| s.to_string()).collect();
        // Consent stamps are the host's wall clock; the transcripts must not depend on it.
        base.stamp = || 0;
        let fresh = explore_with(&RuntimeRunner::fresh(project.clone(), base.clone(), 8));
        let zygote = RuntimeRunner::new(project, base, 8);
        // Twice on the same runner: the second exploration reuses the first one's zygotes.
        for round in 0..2 {
            let z = explore_with(&zygote);
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
