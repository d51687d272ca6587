//! "Explore this flow": `POST /sim/sessions/{id}/explore` runs the explorer on the session's
//! project and entry point (the taps of its current run, or every tap handler of every page when
//! it has none), server-side, under the hostile-code limits of every run, a path budget
//! ([`MAX_PATHS`]) and a wall-clock budget ([`DEADLINE`]), at most [`MAX_RUNNING`] at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use miniperm_explore::format::{self, Baseline, Meta, TreeMode};
use miniperm_explore::runner::RuntimeRunner;
use miniperm_explore::session::{Entry, EntryReport, Explored, ReplayArgs, all_entries};
use miniperm_explore::{
    Config, ExploreError, PathRun, PathSpec, Runner, explore_with_progress, html,
};
use miniperm_runtime::{Device, Project, RunConfig};
use miniperm_view::{Painter, Theme};
use serde_json::{Value as JsonValue, json};

use crate::error::ApiError;

/// Most paths one exploration runs (over every entry point).
pub const MAX_PATHS: usize = 300;
/// Most answers on one path.
pub const MAX_DEPTH: usize = 16;
/// Most answers tried on one settings page.
pub const MAX_SETTINGS_COMBOS: usize = 8;
/// An exploration still running after this long is stopped (below the request timeout).
pub const DEADLINE: Duration = Duration::from_secs(10);
/// Most explorations running at once (each takes a core).
pub const MAX_RUNNING: usize = 2;

static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// Frees a slot of [`RUNNING`] when dropped.
struct Slot;

impl Slot {
    fn take() -> Option<Slot> {
        RUNNING
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| {
                (n < MAX_RUNNING).then_some(n + 1)
            })
            .ok()
            .map(|_| Slot)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::SeqCst);
    }
}

/// A runner that refuses to start a path past its deadline.
struct Bounded {
    inner: RuntimeRunner,
    deadline: Instant,
}

impl Runner for Bounded {
    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError> {
        if Instant::now() >= self.deadline {
            return Err(ExploreError::BadInput(format!(
                "the exploration was stopped after {} s: explore it with `miniperm explore`",
                DEADLINE.as_secs()
            )));
        }
        self.inner.run(spec, max_depth)
    }
}

/// Explores `project` (named `name`) from `taps` (every tap handler of every page when empty)
/// on a blocking thread, its runs on `device` (what getSystemInfo reports) and its screens
/// drawn on that phone in `theme`: `{entries, paths, truncated, duration_ms, findings, text,
/// html}` — the findings as `explore --json` has them, the report as `explore` prints it, and
/// the self-contained HTML report.
pub(crate) async fn explore(
    project: Arc<Project>,
    name: String,
    taps: Vec<String>,
    device: Device,
    theme: Theme,
) -> Result<JsonValue, ApiError> {
    let slot = Slot::take().ok_or_else(|| {
        ApiError::Conflict(format!(
            "{MAX_RUNNING} explorations are running already: try again when one ends"
        ))
    })?;
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        run(&project, &name, taps, device, theme)
    })
    .await
    .map_err(|e| ApiError::Internal(format!("the exploration failed: {e}")))?
}

fn run(
    project: &Project,
    name: &str,
    taps: Vec<String>,
    device: Device,
    theme: Theme,
) -> Result<JsonValue, ApiError> {
    let started = Instant::now();
    let mut base = RunConfig::new(project);
    base.device = device;
    let entries = if taps.is_empty() {
        all_entries(project, &base)
    } else {
        vec![Entry { page: None, taps }]
    };
    let replay = ReplayArgs {
        project: name.to_string(),
        ..ReplayArgs::default()
    };
    let deadline = started + DEADLINE;
    let mut reports = Vec::new();
    let mut left = MAX_PATHS;
    let n = entries.len();
    for (i, entry) in entries.iter().enumerate() {
        if left == 0 {
            break;
        }
        let share = left.div_ceil(n - i).max(1);
        let mut cfg = base.clone();
        cfg.page = entry.page.clone();
        cfg.taps = entry.taps.clone();
        let runner = Bounded {
            inner: RuntimeRunner::new(project.clone(), cfg, MAX_SETTINGS_COMBOS),
            deadline,
        };
        let config = Config {
            product: None,
            fixed: Vec::new(),
            max_paths: share,
            max_depth: MAX_DEPTH,
            threads: 1,
            replay: replay.line(entry),
        };
        let report = explore_with_progress(&runner, &config, &|_, _| {}).map_err(|e| match e {
            ExploreError::BadInput(m) => ApiError::Conflict(m),
            ExploreError::Store(m) | ExploreError::Engine(m) | ExploreError::Internal(m) => {
                ApiError::Internal(m)
            }
        })?;
        left = left.saturating_sub(report.paths);
        reports.push(EntryReport {
            label: entry.label(),
            report,
        });
    }
    let ex = Explored {
        not_started: n - reports.len(),
        entries: reports,
        duration: started.elapsed(),
    };
    let baseline = Baseline::default();
    let labels: Vec<String> = entries.iter().map(Entry::label).collect();
    let how = match entries.as_slice() {
        [Entry { page: None, taps }] => taps
            .iter()
            .map(|t| format!(" --tap {}", miniperm_explore::shell_quote(t)))
            .collect::<String>(),
        _ => " --all".to_string(),
    };
    let command = format!("miniperm explore {name}{how} --max-paths {MAX_PATHS}");
    let meta = Meta {
        command,
        project: name.to_string(),
        version: env!("CARGO_PKG_VERSION").to_string(),
    };
    let doc = format::json_doc(&ex, &meta, &baseline);
    // Each outcome's final page, drawn as the simulator draws it (issue 20).
    let painter = Painter::new(project, base.device, theme);
    let paint = |s: &JsonValue| Some(painter.paint(s).html);
    let screens = html::Screens {
        project,
        base: &base,
        entries: &entries,
        paint: &paint,
        size: (base.device.width, base.device.height),
    };
    Ok(json!({
        "command": meta.command,
        "entries": labels,
        "paths": ex.paths(),
        "truncated": ex.truncated(),
        "duration_ms": u64::try_from(ex.duration.as_millis()).unwrap_or(u64::MAX),
        "findings": doc.get("findings").cloned().unwrap_or(JsonValue::Array(Vec::new())),
        "text": format::text(&ex, &baseline, TreeMode::Auto),
        "html": html::render_with_screens(&ex, &meta, &baseline, Some(&screens)),
    }))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn the_classic_flow_has_findings_and_a_bounded_report() {
        let dir =
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../examples/classic");
        let project = Project::load(&dir).unwrap();
        let out = run(
            &project,
            "classic",
            vec!["onLocate".into()],
            miniperm_runtime::SIMULATOR_DEVICE,
            Theme::Light,
        )
        .unwrap();
        let paths = out["paths"].as_u64().unwrap();
        assert!(paths > 1 && paths <= MAX_PATHS as u64, "{paths}");
        let codes: Vec<&str> = out["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|f| f["code"].as_str())
            .collect();
        assert!(codes.contains(&"no-retry-after-settings"), "{codes:?}");
        assert!(out["command"].as_str().unwrap().contains("--tap onLocate"));
        assert!(out["html"].as_str().unwrap().starts_with("<!doctype html"));
    }

    #[test]
    fn slots_are_bounded_and_freed() {
        // No other test of this binary takes a slot.
        let held: Vec<Slot> = (0..MAX_RUNNING).map_while(|_| Slot::take()).collect();
        assert_eq!(held.len(), MAX_RUNNING);
        assert!(Slot::take().is_none());
        drop(held);
        assert!(Slot::take().is_some());
    }
}
