//! Every page of a project opened once, each from a fresh start: what a new user runs first to
//! see whether miniperm runs their app (`miniperm pages`), and how whole real apps are measured.
//!
//! A page is opened as `run --page ROUTE` opens it (launch, the page's lifecycle, run to idle),
//! on its own fresh runtime and an in-memory store, with no answers: a native UI that waits is
//! fine (the run ends `awaiting-answer`). It **loads clean** when the run ends idle or awaiting
//! an answer without an uncaught error; otherwise its first error (or the limit it hit) is
//! reported with the place it points at.

use std::sync::Mutex;

use miniperm_consent::MemoryStore;

use crate::event::{EndReason, Event};
use crate::host::{RunConfig, run};
use crate::project::Project;
use crate::user::ScriptedUser;

/// One page's result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageReport {
    pub route: String,
    /// How its run ended.
    pub end: EndReason,
    /// What stopped it from loading clean: the first uncaught error, the limit it hit, or a
    /// failure of the host itself. `None` when it loads clean.
    pub problem: Option<PageProblem>,
    /// Warnings the run gave (`unmocked`, `not-supported`, …): not failures.
    pub warnings: usize,
}

impl PageReport {
    /// Loaded clean: ended idle or awaiting an answer, with no uncaught error.
    pub fn clean(&self) -> bool {
        self.problem.is_none()
    }
}

/// Why a page did not load clean.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageProblem {
    /// `error` (an uncaught error in the page's code or a file it needs), `limit` (a runaway:
    /// time, memory, a flood) or `host` (miniperm itself failed: a bug to report).
    pub kind: &'static str,
    /// The message, as the program or the limit put it (untrusted text: escape it for a
    /// terminal).
    pub message: String,
    /// `file:line:col` in the project, when the error points at one.
    pub at: Option<String>,
}

/// Opens every page of `project` once (app.json's pages, then its subpackages'), `threads` at a
/// time, each run configured as `base` but for its page; `done` hears of each page as it
/// finishes (in any order). Returns the reports in the project's page order.
pub fn check_pages(
    project: &Project,
    base: &RunConfig,
    threads: usize,
    done: &(dyn Fn(&PageReport) + Sync),
) -> Vec<PageReport> {
    let pages = project.pages();
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<Option<PageReport>>> = Mutex::new(vec![None; pages.len()]);
    let take = || -> Option<usize> {
        let mut n = next.lock().ok()?;
        let i = *n;
        *n += 1;
        (i < pages.len()).then_some(i)
    };
    std::thread::scope(|s| {
        for _ in 0..threads.clamp(1, pages.len().max(1)) {
            s.spawn(|| {
                while let Some(i) = take() {
                    let report = check_page(project, base, &pages[i]);
                    done(&report);
                    if let Ok(mut r) = results.lock() {
                        r[i] = Some(report);
                    }
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_default()
        .into_iter()
        .flatten()
        .collect()
}

/// One page from a fresh start.
pub fn check_page(project: &Project, base: &RunConfig, route: &str) -> PageReport {
    let mut cfg = base.clone();
    cfg.page = Some(route.to_string());
    cfg.taps.clear();
    cfg.render = false;
    let mut store = MemoryStore::new();
    let mut user = ScriptedUser::new(Vec::new());
    match run(project, &cfg, &mut store, &mut user) {
        Ok(o) => {
            let warnings = o
                .events
                .iter()
                .filter(|e| matches!(e, Event::Warning { code, .. } if code != "limit"))
                .count();
            let first_error = o.events.iter().find_map(|e| match e {
                Event::Error { message, stack } => Some(PageProblem {
                    kind: "error",
                    message: message.clone(),
                    at: crate::stack::call_site(stack).or_else(|| site_in(message)),
                }),
                _ => None,
            });
            let limit = || {
                o.events.iter().rev().find_map(|e| match e {
                    Event::Warning {
                        code, message, at, ..
                    } if code == "limit" => Some(PageProblem {
                        kind: "limit",
                        message: message.clone(),
                        at: at.clone(),
                    }),
                    _ => None,
                })
            };
            let problem = match o.end {
                EndReason::Idle | EndReason::AwaitingAnswer => first_error,
                EndReason::Limit => limit().or(first_error),
                _ => first_error.or_else(limit).or_else(|| {
                    Some(PageProblem {
                        kind: "error",
                        message: format!("the run ended `{}`", o.end.as_str()),
                        at: None,
                    })
                }),
            };
            PageReport {
                route: route.to_string(),
                end: o.end,
                problem,
                warnings,
            }
        }
        Err(e) => PageReport {
            route: route.to_string(),
            end: EndReason::Error,
            problem: Some(PageProblem {
                kind: "host",
                message: e.to_string(),
                at: None,
            }),
            warnings: 0,
        },
    }
}

/// A syntax error's place in its message (`` `file` line L, column C ``), as `file:L:C`.
fn site_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let len = message[start..].find('`')?;
    let file = &message[start..start + len];
    let rest = message[start + len + 1..].strip_prefix(" line ")?;
    let (line, rest) = rest.split_once(", column ")?;
    let col: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (line.parse::<u32>().is_ok() && !col.is_empty()).then(|| format!("{file}:{line}:{col}"))
}

#[cfg(test)]
mod tests {
    use super::site_in;

    #[test]
    fn the_place_of_a_syntax_error() {
        assert_eq!(
            site_in(
                "SyntaxError: syntax error in `pages/a/a.wxml` line 3, column 14: unclosed tag"
            )
            .as_deref(),
            Some("pages/a/a.wxml:3:14")
        );
        assert_eq!(site_in("TypeError: x is undefined"), None);
        assert_eq!(site_in("`a` line x, column 2"), None);
    }
}
