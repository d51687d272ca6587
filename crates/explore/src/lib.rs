//! `miniperm explore`: every combination of user answers and starting states for one entry
//! point, as a tree of outcomes with findings that name the defects.
//!
//! The search replays answer prefixes on fresh runs: a run answers its prefix, then takes the
//! first answer at every further UI and reports the alternatives it passed by; each alternative
//! becomes a new prefix. So each run ends one leaf and no run is wasted. Starting states are
//! discovered from the runs (the scopes the flow touched and the OS permissions beneath them).
//! Runs go in parallel on all cores through a [`Runner`]; the runtime-backed runner lives in
//! [`runner`].
#![forbid(unsafe_code)]

pub mod findings;
pub mod format;
pub mod html;
pub mod runner;
pub mod session;
pub mod tree;

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::{Condvar, Mutex};

use miniperm_core::catalogue::PromptKind;
use miniperm_core::{Subject, Value};
use serde::Serialize;
use serde_json::Value as Json;

pub use findings::{CODES, Hit, Location, analyse};
pub use miniperm_runtime::Event;
pub use tree::{Branch, Leaf, Node};

/// Why an exploration could not be carried out (never a defect of the mini-program: those are
/// findings).
#[derive(Debug, thiserror::Error)]
pub enum ExploreError {
    /// The caller's input: a tap target that no path has, a bad starting state, a bad flag.
    #[error("{0}")]
    BadInput(String),
    /// The consent store failed.
    #[error("the consent store failed: {0}")]
    Store(String),
    /// The JavaScript engine failed (not an error in mini-program code).
    #[error("the javascript engine failed: {0}")]
    Engine(String),
    /// A replayed answer did not parse: a bug in the explorer.
    #[error("internal: {0}")]
    Internal(String),
}

/// One path to run: a starting state and the answers to give first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PathSpec {
    pub start: Vec<(Subject, Value)>,
    pub prefix: Vec<String>,
}

/// What one run gave.
#[derive(Debug, Clone, Default)]
pub struct PathRun {
    /// The transcript.
    pub events: Vec<Event>,
    /// Every answer given, in order (the prefix, then the first choices).
    pub answers: Vec<String>,
    /// For each answer given past the prefix: its index and the answers not taken there.
    pub alternatives: Vec<(usize, Vec<String>)>,
    /// The run was cut because the same UI came back again and again.
    pub cut: bool,
    /// A later `--tap` target was not there on this path (the run stopped at it).
    pub missing_target: Option<String>,
    /// The (ui, answer) steps, when the transcript was lost (a missing tap target).
    pub steps: Option<Vec<(String, String)>>,
    /// Scopes the flow read through `getSetting` (named in the calling source file).
    pub read_scopes: Vec<miniperm_core::Scope>,
}

/// Runs one path. Implementations must be deterministic: the same spec gives the same run.
pub trait Runner: Sync {
    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError>;
}

/// Search bounds and the replay command's prefix.
#[derive(Debug, Clone)]
pub struct Config {
    /// Starting states the user fixed with `--state` / `--system`: never varied.
    pub fixed: Vec<(Subject, Value)>,
    pub max_paths: usize,
    pub max_depth: usize,
    pub threads: usize,
    /// `miniperm run PROJECT --tap ...`: the replay line starts with this.
    pub replay: String,
}

/// A defect with the path that shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: String,
    pub message: String,
    pub rule: String,
    /// The answers of the witness path, as `--answers` takes them.
    pub answers: Vec<String>,
    /// The witness's starting state: `scope.userLocation=denied`, `os.location=not-determined`.
    pub state: Vec<String>,
    /// A `miniperm run` command line that reproduces it.
    pub replay: String,
    /// The call the finding is about, when the stack showed one.
    pub location: Option<Location>,
    /// The witness path's transcript, as `miniperm run` prints it (for the HTML report).
    #[serde(skip)]
    pub transcript: Vec<String>,
}

/// The result of an exploration.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Number of paths run.
    pub paths: usize,
    pub findings: Vec<Finding>,
    #[serde(rename = "tree")]
    pub branches: Vec<Branch>,
    /// `--max-paths` stopped the search before every path ran.
    pub truncated: bool,
    /// Starting states explored, as labels.
    pub starts: Vec<String>,
    /// Paths whose run ended with `limit` (a deadline, the memory cap, a runaway timer).
    #[serde(skip)]
    pub limit_paths: usize,
    /// Paths cut because the same UI kept coming back.
    #[serde(skip)]
    pub cut_paths: usize,
    /// How many paths ended in each outcome (a leaf's line), most first.
    pub outcomes: Vec<Outcome>,
}

/// A number of paths that ended the same way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub outcome: String,
    pub paths: usize,
}

impl Report {
    pub fn text_tree(&self) -> String {
        tree::render_text(&self.branches)
    }
}

/// `scope.userLocation=denied` / `os.location=not-determined`.
pub fn state_label(subject: Subject, v: Value) -> String {
    match subject {
        Subject::Os(_) => format!("{}={}", subject.key(), v.os_str().replace(' ', "-")),
        _ => format!("{}={}", subject.key(), v.as_str()),
    }
}

fn start_label(start: &[(Subject, Value)]) -> String {
    if start.is_empty() {
        return "fresh (every scope unset, os authorized)".into();
    }
    start
        .iter()
        .map(|(s, v)| state_label(*s, *v))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Quotes one word for a POSIX shell (`shlex`), so a printed command runs as printed: an
/// answer with `;`, spaces or quotes stays one argument. A NUL byte (which no argument can hold)
/// is dropped.
pub fn shell_quote(word: &str) -> String {
    match shlex::try_quote(word) {
        Ok(q) => q.into_owned(),
        Err(_) => shlex::try_quote(&word.replace('\0', ""))
            .map(|q| q.into_owned())
            .unwrap_or_default(),
    }
}

/// The replay flags for a starting state.
fn replay_flags(start: &[(Subject, Value)]) -> String {
    let mut out = String::new();
    for (s, v) in start {
        let (flag, value) = match s {
            Subject::Os(p) => (
                "--system",
                format!("{}={}", p.as_str(), v.os_str().replace(' ', "-")),
            ),
            other => ("--state", format!("{}={}", other.key(), v.as_str())),
        };
        out.push_str(&format!(" {flag} {}", shell_quote(&value)));
    }
    out
}

/// An API whose outcome is a consent finding: a picker, or an engine-decided API that a scope
/// or a privacy info type guards (the `wx` API table's handling column, then the catalogue).
fn guarded(api: &str) -> bool {
    use miniperm_core::wxapi::{Handling, lookup};
    match lookup(api).map(|r| r.handling) {
        Some(Handling::Picker) => true,
        Some(Handling::Engine) => {
            api == "authorize"
                || miniperm_core::catalogue::Api::lookup(api)
                    .is_some_and(|a| a.scope.is_some() || a.info.is_some())
        }
        // Engine-decided methods of returned objects (`RecorderManager.start`) are not rows of
        // the `wx` table; the catalogue knows them.
        None => miniperm_core::catalogue::Api::lookup(api)
            .is_some_and(|a| a.scope.is_some() || a.info.is_some()),
        _ => false,
    }
}

/// The (ui label, answer) steps of a transcript.
pub fn steps(events: &[Event]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut pending: Option<String> = None;
    for e in events {
        match e {
            Event::Ui { ui, detail } => {
                let d = ["scope", "permission", "title", "api", "referrer"]
                    .iter()
                    .filter_map(|k| detail.get(*k).and_then(Json::as_str))
                    .find(|s| !s.is_empty())
                    .unwrap_or("");
                pending = Some(if d.is_empty() {
                    ui.clone()
                } else {
                    format!("{ui} {d}")
                });
            }
            Event::Answer { ui, answer } => {
                let label = pending.take().unwrap_or_else(|| ui.clone());
                out.push((label, answer.clone()));
            }
            _ => {}
        }
    }
    out
}

/// What the report needs of one finished run. Built in the worker as soon as the run ends, so
/// the transcript is dropped right away: explore's memory then grows with the (small) digests
/// and the tree, not with every transcript (issue 9; a chatty page's logs and `setData`
/// payloads are never kept).
struct Digest {
    answers: Vec<String>,
    hits: Vec<findings::Hit>,
    leaf: Leaf,
    steps: Vec<(String, String)>,
    touched: BTreeSet<Subject>,
    limit: bool,
    cut: bool,
    /// A later `--tap` target that was not there on this path.
    missing: Option<String>,
    /// The readable transcript, kept only for a path with findings (the report embeds it).
    transcript: Vec<String>,
}

impl Digest {
    fn of(run: PathRun) -> Digest {
        let mut touched_now = BTreeSet::new();
        touched(&run, &mut touched_now);
        let mut leaf = Leaf::from_events(&run.events, guarded);
        if run.cut {
            leaf.end = "cut: the same UI kept coming back".into();
        }
        if let Some(m) = &run.missing_target {
            leaf.end = format!("tap target not there: {m}");
        }
        let hits = analyse(&run.events);
        let steps = match run.steps {
            Some(s) => s,
            None => steps(&run.events),
        };
        let transcript = if hits.is_empty() {
            Vec::new()
        } else {
            run.events
                .iter()
                .map(|e| miniperm_runtime::render_human(e, false))
                .collect()
        };
        Digest {
            transcript,
            missing: run.missing_target.clone(),
            // The answers are only needed to report a finding's witness.
            answers: if hits.is_empty() {
                Vec::new()
            } else {
                run.answers
            },
            hits,
            steps,
            limit: run.events.iter().any(|e| {
                matches!(
                    e,
                    Event::End {
                        reason: miniperm_runtime::EndReason::Limit,
                        ..
                    }
                )
            }),
            leaf,
            touched: touched_now,
            cut: run.cut,
        }
    }
}

/// Finished runs with their specs.
type Runs = Vec<(PathSpec, Result<Digest, ExploreError>)>;

struct Shared {
    queue: VecDeque<PathSpec>,
    in_flight: usize,
    started: usize,
    done: Runs,
    truncated: bool,
}

/// Runs every spec reachable from `seeds` (each run's alternatives become new specs), in
/// parallel, until done or `budget` runs have started.
fn search(
    runner: &dyn Runner,
    seeds: Vec<PathSpec>,
    cfg: &Config,
    budget: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> (Runs, bool) {
    let shared = Mutex::new(Shared {
        queue: seeds.into(),
        in_flight: 0,
        started: 0,
        done: Vec::new(),
        truncated: false,
    });
    let cv = Condvar::new();
    let threads = cfg.threads.max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let spec = {
                        let Ok(mut g) = shared.lock() else { return };
                        loop {
                            if g.started >= budget && !g.queue.is_empty() {
                                g.truncated = true;
                                g.queue.clear();
                            }
                            if let Some(s) = g.queue.pop_front() {
                                g.in_flight += 1;
                                g.started += 1;
                                break s;
                            }
                            if g.in_flight == 0 {
                                cv.notify_all();
                                return;
                            }
                            g = match cv.wait(g) {
                                Ok(g) => g,
                                Err(_) => return,
                            };
                        }
                    };
                    let result = runner.run(&spec, cfg.max_depth);
                    let Ok(mut g) = shared.lock() else { return };
                    if let Ok(run) = &result {
                        for (idx, alts) in &run.alternatives {
                            for a in alts {
                                let mut prefix: Vec<String> = run.answers[..*idx].to_vec();
                                prefix.push(a.clone());
                                g.queue.push_back(PathSpec {
                                    start: spec.start.clone(),
                                    prefix,
                                });
                            }
                        }
                    }
                    drop(g);
                    // Digest outside the lock: the transcript is dropped here.
                    let digest = result.map(Digest::of);
                    let Ok(mut g) = shared.lock() else { return };
                    g.done.push((spec, digest));
                    g.in_flight -= 1;
                    progress(g.done.len(), g.queue.len() + g.in_flight);
                    cv.notify_all();
                }
            });
        }
    });
    match shared.into_inner() {
        Ok(s) => (s.done, s.truncated),
        Err(p) => {
            let s = p.into_inner();
            (s.done, s.truncated)
        }
    }
}

/// Starting states to try for the scopes and OS permissions a flow touched, at most `cap` of
/// them (each costs at least one path, so more could never run within the budget; building all
/// of them first took ~400 MB for 7 scopes and their OS permissions). The flag says some were
/// left out.
fn combinations(
    touched: &BTreeSet<Subject>,
    fixed: &[(Subject, Value)],
    cap: usize,
) -> (Vec<Vec<(Subject, Value)>>, bool) {
    let mut capped = false;
    let mut combos: Vec<Vec<(Subject, Value)>> = vec![fixed.to_vec()];
    for subject in touched {
        if fixed.iter().any(|(s, _)| s == subject) {
            continue;
        }
        let values: &[Value] = match subject {
            Subject::Scope(s) if s.info().prompt == PromptKind::Retired => {
                &[Value::Unset, Value::Granted]
            }
            Subject::Scope(_) => &[Value::Unset, Value::Granted, Value::Denied],
            // OS default is authorized (D12): list it first so the fresh start stays first.
            Subject::Os(_) => &[Value::Granted, Value::Denied, Value::Unset],
            _ => continue,
        };
        let mut next = Vec::with_capacity(combos.len() * values.len());
        for c in &combos {
            for v in values {
                let mut c2 = c.clone();
                let default = matches!(
                    (subject, v),
                    (Subject::Scope(_), Value::Unset) | (Subject::Os(_), Value::Granted)
                );
                if !default {
                    c2.push((*subject, *v));
                }
                next.push(c2);
            }
            if next.len() > cap.max(1) {
                capped = true;
                break;
            }
        }
        next.truncate(cap.max(1));
        combos = next;
    }
    (combos, capped)
}

/// Subjects a run touched: scopes called, prompted or read through getSetting, and the OS
/// permission beneath.
fn touched(run: &PathRun, into: &mut BTreeSet<Subject>) {
    let called = run.events.iter().filter_map(|e| match e {
        Event::Call { api, args, .. } => findings::call_scope(api, args),
        Event::Ui { ui, detail } if ui == "authorize" => detail
            .get("scope")
            .and_then(Json::as_str)
            .and_then(miniperm_core::Scope::parse),
        _ => None,
    });
    for s in called.chain(run.read_scopes.iter().copied()) {
        if matches!(
            s.info().prompt,
            PromptKind::NoPrompt | PromptKind::MiniGameOnly
        ) {
            continue;
        }
        into.insert(Subject::Scope(s));
        if let Some(p) = s.info().os {
            into.insert(Subject::Os(p));
        }
    }
}

/// Explores every path from every discovered starting state.
pub fn explore(runner: &dyn Runner, cfg: &Config) -> Result<Report, ExploreError> {
    explore_with_progress(runner, cfg, &|_, _| {})
}

/// [`explore`], calling `progress(paths done, paths known to be waiting)` after each run.
pub fn explore_with_progress(
    runner: &dyn Runner,
    cfg: &Config,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<Report, ExploreError> {
    let tick = progress;
    let mut all: Runs = Vec::new();
    let mut done_starts: BTreeSet<Vec<(Subject, Value)>> = BTreeSet::new();
    let mut seen: BTreeSet<Subject> = BTreeSet::new();
    let mut starts = vec![cfg.fixed.clone()];
    let mut truncated = false;
    // Discovery rounds: a starting state can reveal new scopes (a granted scope leads further).
    for _round in 0..4 {
        let seeds: Vec<PathSpec> = starts
            .iter()
            .filter(|s| !done_starts.contains(*s))
            .map(|s| PathSpec {
                start: s.clone(),
                prefix: Vec::new(),
            })
            .collect();
        if seeds.is_empty() {
            break;
        }
        for s in &seeds {
            done_starts.insert(s.start.clone());
        }
        let budget = cfg.max_paths.saturating_sub(all.len());
        let offset = all.len();
        let (runs, cut) = search(runner, seeds, cfg, budget, &|n, q| tick(offset + n, q));
        truncated |= cut;
        let mut runs = runs;
        for (_, r) in runs.iter_mut() {
            if let Ok(d) = r {
                // Taken, not copied: the digest keeps only what the report needs.
                seen.extend(std::mem::take(&mut d.touched));
            }
        }
        all.extend(runs);
        if truncated || all.len() >= cfg.max_paths {
            truncated |= all.len() >= cfg.max_paths;
            break;
        }
        let (next, capped) =
            combinations(&seen, &cfg.fixed, cfg.max_paths.saturating_sub(all.len()));
        truncated |= capped;
        starts = next;
    }
    if let Some(i) = all.iter().position(|(_, r)| r.is_err())
        && let (_, Err(e)) = all.swap_remove(i)
    {
        return Err(e);
    }
    // A tap target no path has is the caller's mistake, not an outcome.
    let missing = |r: &Result<Digest, ExploreError>| match r {
        Ok(p) => p.missing.clone(),
        Err(_) => None,
    };
    if !all.is_empty() && all.iter().all(|(_, r)| missing(r).is_some()) {
        let m = all.iter().find_map(|(_, r)| missing(r)).unwrap_or_default();
        return Err(ExploreError::BadInput(m));
    }
    Ok(assemble(all, cfg, truncated))
}

fn assemble(all: Runs, cfg: &Config, truncated: bool) -> Report {
    let paths = all.len();
    let mut builders: BTreeMap<Vec<(Subject, Value)>, tree::Builder> = BTreeMap::new();
    let mut order: Vec<Vec<(Subject, Value)>> = Vec::new();
    let mut best: BTreeMap<(String, String), Finding> = BTreeMap::new();
    let mut sorted = all;
    sorted.sort_by(|a, b| {
        (a.0.start.len(), &a.0.start, a.0.prefix.len(), &a.0.prefix).cmp(&(
            b.0.start.len(),
            &b.0.start,
            b.0.prefix.len(),
            &b.0.prefix,
        ))
    });
    let mut outcomes: BTreeMap<String, usize> = BTreeMap::new();
    let (mut limit_paths, mut cut_paths) = (0, 0);
    for (spec, run) in sorted {
        let Ok(run) = run else { continue };
        cut_paths += usize::from(run.cut);
        limit_paths += usize::from(run.limit);
        let hits = run.hits;
        let mut leaf = run.leaf;
        for h in &hits {
            leaf.findings.insert(h.code.to_string());
            // A call site is its location; without one, the message tells sites apart.
            let key = (
                h.code.to_string(),
                h.location
                    .as_ref()
                    .map_or_else(|| h.message.clone(), ToString::to_string),
            );
            let candidate = Finding {
                code: h.code.to_string(),
                message: h.message.clone(),
                rule: findings::rule_of(h.code).to_string(),
                answers: run.answers.clone(),
                state: spec
                    .start
                    .iter()
                    .map(|(s, v)| state_label(*s, *v))
                    .collect(),
                replay: format!(
                    "{}{}{} --ephemeral",
                    cfg.replay,
                    replay_flags(&spec.start),
                    if run.answers.is_empty() {
                        String::new()
                    } else {
                        format!(" --answers {}", shell_quote(&run.answers.join(",")))
                    }
                ),
                location: h.location.clone(),
                transcript: Vec::new(),
            };
            let better = best.get(&key).is_none_or(|f| {
                (f.state.len() + f.answers.len())
                    > (candidate.state.len() + candidate.answers.len())
            });
            if better {
                let mut candidate = candidate;
                candidate.transcript = run.transcript.clone();
                best.insert(key, candidate);
            }
        }
        *outcomes.entry(leaf.line()).or_default() += 1;
        if !builders.contains_key(&spec.start) {
            order.push(spec.start.clone());
        }
        builders
            .entry(spec.start.clone())
            .or_default()
            .insert(&run.steps, leaf);
    }
    let branches: Vec<Branch> = order
        .iter()
        .filter_map(|s| {
            builders.remove(s).map(|b| Branch {
                starts: vec![start_label(s)],
                node: b.build(),
            })
        })
        .collect();
    let mut findings: Vec<Finding> = best.into_values().collect();
    let rank = |c: &str| {
        CODES
            .iter()
            .position(|(x, _)| *x == c)
            .unwrap_or(usize::MAX)
    };
    findings.sort_by(|a, b| {
        (rank(&a.code), &a.location, &a.message).cmp(&(rank(&b.code), &b.location, &b.message))
    });
    let mut outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|(outcome, paths)| Outcome { outcome, paths })
        .collect();
    outcomes.sort_by(|a, b| {
        b.paths
            .cmp(&a.paths)
            .then_with(|| a.outcome.cmp(&b.outcome))
    });
    Report {
        paths,
        findings,
        outcomes,
        limit_paths,
        cut_paths,
        starts: order.iter().map(|s| start_label(s)).collect(),
        branches: tree::merge_branches(branches),
        truncated,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use miniperm_core::Scope;
    use serde_json::json;

    fn ev(v: Json) -> Event {
        serde_json::from_value(v).unwrap()
    }

    /// A fake flow: tap → authorize prompt (allow/deny) → on deny a modal (confirm/cancel).
    struct Fake;

    impl Runner for Fake {
        fn run(&self, spec: &PathSpec, _max_depth: usize) -> Result<PathRun, ExploreError> {
            let mut run = PathRun::default();
            let denied = spec
                .start
                .contains(&(Subject::Scope(Scope::Camera), Value::Denied));
            let granted = spec
                .start
                .contains(&(Subject::Scope(Scope::Camera), Value::Granted));
            let mut answers = spec.prefix.clone().into_iter();
            let mut take = |run: &mut PathRun, opts: &[&str]| {
                let a = answers.next().unwrap_or_else(|| {
                    run.alternatives.push((
                        run.answers.len(),
                        opts[1..].iter().map(|s| s.to_string()).collect(),
                    ));
                    opts[0].to_string()
                });
                run.answers.push(a.clone());
                a
            };
            run.events
                .push(ev(json!({"type":"tap","route":"p","handler":"h"})));
            run.events.push(ev(
                json!({"type":"call","api":"authorize","args":{"scope":"scope.camera"}}),
            ));
            let ok = if granted {
                true
            } else if denied {
                false
            } else {
                run.events.push(ev(
                    json!({"type":"ui","ui":"authorize","scope":"scope.camera"}),
                ));
                let a = take(&mut run, &["allow", "deny"]);
                run.events
                    .push(ev(json!({"type":"answer","ui":"authorize","answer":a})));
                a == "allow"
            };
            if ok {
                run.events.push(ev(json!({"type":"callback","api":"authorize","kind":"success","res":{"errMsg":"authorize:ok"}})));
            } else {
                run.events.push(ev(json!({"type":"callback","api":"authorize","kind":"fail","res":{"errMsg":"authorize:fail auth deny","errno":103}})));
                run.events
                    .push(ev(json!({"type":"ui","ui":"modal","title":"需要相机"})));
                let a = take(&mut run, &["confirm", "cancel"]);
                run.events
                    .push(ev(json!({"type":"answer","ui":"modal","answer":a})));
            }
            run.events.push(ev(json!({"type":"end","reason":"idle"})));
            Ok(run)
        }
    }

    #[test]
    fn explores_every_answer_and_starting_state() {
        let cfg = Config {
            fixed: vec![],
            max_paths: 1000,
            max_depth: 10,
            threads: 2,
            replay: "miniperm run x --tap h".into(),
        };
        let r = explore(&Fake, &cfg).unwrap();
        // Per camera state: fresh 3 paths (allow, deny+confirm, deny+cancel), granted 1,
        // denied 2; times the 3 states of os.camera beneath it, which this fake ignores.
        assert_eq!(r.paths, 18);
        assert_eq!(r.starts.len(), 9);
        assert_eq!(r.branches.len(), 3, "equal trees of the os states merge");
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let text = r.text_tree();
        assert!(text.contains("authorize scope.camera"), "{text}");
    }

    #[test]
    fn max_paths_bounds_the_search() {
        let cfg = Config {
            fixed: vec![],
            max_paths: 2,
            max_depth: 10,
            threads: 1,
            replay: "miniperm run x".into(),
        };
        let r = explore(&Fake, &cfg).unwrap();
        assert!(r.paths <= 2);
        assert!(r.truncated);
    }
}

#[cfg(test)]
mod guarded_tests {
    #[test]
    fn guarded_reads_the_api_table() {
        for api in [
            "authorize",
            "getLocation",
            "chooseImage",
            "chooseAddress",
            "getUserInfo",
        ] {
            assert!(super::guarded(api), "{api}");
        }
        for api in [
            "getSetting",
            "showModal",
            "scanCode",
            "chooseVideo",
            "request",
            "nope",
        ] {
            assert!(!super::guarded(api), "{api}");
        }
    }
}
