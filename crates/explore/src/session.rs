//! A whole `miniperm explore` invocation: the entry points (one, or every tap handler with
//! `--all`), the path budget split between them, the replay command of each, and the merged
//! result. The CLI parses flags and prints; everything else is here.

use std::time::{Duration, Instant};

use miniperm_core::{Subject, Value};
use miniperm_runtime::{Project, RunConfig};

use crate::runner::RuntimeRunner;
use crate::{Config, ExploreError, Finding, Report, explore_with_progress};

/// One entry point: a page and the taps on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub page: Option<String>,
    pub taps: Vec<String>,
}

impl Entry {
    /// `page pages/a/a tap onTap`, or `launch` with neither.
    pub fn label(&self) -> String {
        let mut parts = Vec::new();
        if let Some(p) = &self.page {
            parts.push(format!("page {p}"));
        }
        for t in &self.taps {
            parts.push(format!("tap {t}"));
        }
        if parts.is_empty() {
            "launch".into()
        } else {
            parts.join(" ")
        }
    }
}

/// `--all`: every page with every tap handler its WXML binds, plus its open-type=openSetting
/// button; the launch alone when there is none.
pub fn all_entries(project: &Project, base: &RunConfig) -> Vec<Entry> {
    let mut v = Vec::new();
    for route in project.pages() {
        // What a user can tap once the page has opened: the rendered page's elements, or the
        // page's tap handlers when it has no WXML.
        let mut cfg = base.clone();
        cfg.page = Some(route.clone());
        cfg.taps.clear();
        cfg.render = true;
        let mut store = miniperm_consent::MemoryStore::new();
        let mut user = miniperm_runtime::ScriptedUser::new(Vec::new());
        let tappable = miniperm_runtime::run(project, &cfg, &mut store, &mut user)
            .map(|o| o.tappable)
            .unwrap_or_default();
        let taps = if tappable.is_empty() {
            project.tap_handlers(route)
        } else {
            tappable
        };
        for t in taps {
            v.push(Entry {
                page: Some(route.clone()),
                taps: vec![t],
            });
        }
    }
    if v.is_empty() {
        v.push(Entry {
            page: None,
            taps: Vec::new(),
        });
    }
    v
}

/// Quotes a word for a POSIX shell when it needs it.
pub fn sh(word: &str) -> String {
    crate::shell_quote(word)
}

/// What a replay line repeats of the command line.
#[derive(Debug, Clone, Default)]
pub struct ReplayArgs {
    pub project: String,
    pub query: Option<String>,
    pub profile: Option<String>,
    pub state: Vec<String>,
    pub system: Vec<String>,
    /// Flags that change what a run does and must be replayed as given (`--base-lib X`,
    /// `--seed N`, `--now T`), as (flag, value).
    pub extra: Vec<(String, String)>,
}

impl ReplayArgs {
    /// `miniperm run PROJECT --page … --tap …` for one entry (the explorer appends the
    /// starting state and the answers of each path).
    pub fn line(&self, entry: &Entry) -> String {
        let mut s = format!("miniperm run {}", sh(&self.project));
        if let Some(p) = &entry.page {
            s.push_str(&format!(" --page {}", sh(p)));
        }
        if let Some(q) = &self.query {
            s.push_str(&format!(" --query {}", sh(q)));
        }
        for t in &entry.taps {
            s.push_str(&format!(" --tap {}", sh(t)));
        }
        if let Some(p) = &self.profile {
            s.push_str(&format!(" --profile {}", sh(p)));
        }
        for x in &self.state {
            s.push_str(&format!(" --state {}", sh(x)));
        }
        for x in &self.system {
            s.push_str(&format!(" --system {}", sh(x)));
        }
        for (flag, value) in &self.extra {
            s.push_str(&format!(" {flag} {}", sh(value)));
        }
        s
    }
}

/// Everything one invocation explores.
pub struct Plan {
    pub project: Project,
    /// The run configuration, without the fixed starting states (those are in `fixed`).
    pub base: RunConfig,
    pub entries: Vec<Entry>,
    /// Starting states the user fixed with `--state` / `--system`: never varied.
    pub fixed: Vec<(Subject, Value)>,
    pub max_paths: usize,
    pub max_depth: usize,
    pub max_settings_combos: usize,
    pub threads: usize,
    pub replay: ReplayArgs,
}

/// Where the search is, for a progress display.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// Paths run so far, over every entry.
    pub done: usize,
    /// Paths known to be waiting in the current entry's search.
    pub waiting: usize,
    /// `--max-paths`: the search never runs more.
    pub budget: usize,
    /// Entry points finished, of `entries`.
    pub entry: usize,
    pub entries: usize,
}

/// One entry point's result.
#[derive(Debug, Clone)]
pub struct EntryReport {
    pub label: String,
    pub report: Report,
}

/// The result of a whole invocation.
#[derive(Debug, Clone)]
pub struct Explored {
    pub entries: Vec<EntryReport>,
    /// Entry points never started because the budget ran out.
    pub not_started: usize,
    pub duration: Duration,
}

impl Explored {
    pub fn paths(&self) -> usize {
        self.entries.iter().map(|e| e.report.paths).sum()
    }

    /// A limit stopped the search before every path ran.
    pub fn truncated(&self) -> bool {
        self.not_started > 0 || self.entries.iter().any(|e| e.report.truncated)
    }

    /// More than one entry point (labels are shown).
    pub fn multi(&self) -> bool {
        self.entries.len() + self.not_started > 1
    }

    /// Every finding with the label of its entry point.
    pub fn findings(&self) -> Vec<(&str, &Finding)> {
        self.entries
            .iter()
            .flat_map(|e| e.report.findings.iter().map(move |f| (e.label.as_str(), f)))
            .collect()
    }
}

/// Explores every entry of the plan in turn. Each entry gets an equal share of what is left of
/// `max_paths`; what an entry does not use goes to the ones after it.
pub fn run(plan: &Plan, progress: &(dyn Fn(Progress) + Sync)) -> Result<Explored, ExploreError> {
    let started = Instant::now();
    let mut entries = Vec::new();
    let mut left = plan.max_paths;
    let mut done = 0usize;
    let n = plan.entries.len();
    for (i, entry) in plan.entries.iter().enumerate() {
        if left == 0 {
            break;
        }
        let share = left.div_ceil(n - i).max(1);
        let mut cfg = plan.base.clone();
        cfg.page = entry.page.clone();
        cfg.taps = entry.taps.clone();
        let runner = RuntimeRunner::new(plan.project.clone(), cfg, plan.max_settings_combos);
        let config = Config {
            product: None,
            fixed: plan.fixed.clone(),
            max_paths: share,
            max_depth: plan.max_depth,
            threads: plan.threads.max(1),
            replay: plan.replay.line(entry),
        };
        let report = explore_with_progress(&runner, &config, &|d, w| {
            progress(Progress {
                done: done + d,
                waiting: w,
                budget: plan.max_paths,
                entry: i,
                entries: n,
            })
        })?;
        left = left.saturating_sub(report.paths);
        done += report.paths;
        entries.push(EntryReport {
            label: entry.label(),
            report,
        });
    }
    Ok(Explored {
        not_started: n - entries.len(),
        entries,
        duration: started.elapsed(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_and_labels() {
        assert_eq!(sh("onTap"), "onTap");
        assert_eq!(sh("a b"), "'a b'");
        assert_eq!(sh("it's"), "\"it's\"");
        assert_eq!(sh(""), "''");
        let e = Entry {
            page: Some("pages/a/a".into()),
            taps: vec!["onTap".into()],
        };
        assert_eq!(e.label(), "page pages/a/a tap onTap");
        let r = ReplayArgs {
            project: "my app".into(),
            ..ReplayArgs::default()
        };
        assert_eq!(
            r.line(&e),
            "miniperm run 'my app' --page pages/a/a --tap onTap"
        );
    }
}
