//! `miniperm explore`: every combination of user answers and starting states for one entry
//! point, as a tree of outcomes with findings that name the defects.
//!
//! The search replays answer prefixes on fresh runs: a run answers its prefix, then takes the
//! first answer at every further UI and reports the alternatives it passed by; each alternative
//! becomes a new prefix. So each run ends one leaf and no run is wasted. Starting states are
//! discovered lazily from what the runs observed (`miniperm_runtime::Observation`: the consent
//! facts a decision consulted, a settings page showed or the program read): a path from start
//! `S` that observed a fact `X` that `S` leaves at its default makes `S` with each other value of
//! `X` a new start. A fact no path observed cannot change any path, so it is never varied;
//! nothing is taken from source text.
//! Runs go in parallel on all cores through a [`Runner`]; the runtime-backed runner lives in
//! [`runner`].
#![forbid(unsafe_code)]

pub mod findings;
mod fold;
pub mod format;
pub mod html;
mod report;
pub mod runner;
pub mod session;
mod settings;
pub mod tree;

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Condvar, Mutex};

use miniperm_core::catalogue::PromptKind;
use miniperm_core::{SettingsPage, Subject, Value};
use miniperm_runtime::{Observation, Transcript, UiAnswer};
use serde_json::Value as Json;

pub use findings::{Hit, Location, analyse, codes};
pub use miniperm_runtime::Event;
pub use report::{Finding, Outcome, Report, shell_quote, state_label};
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
    /// The transcript (a resumed path's shares its prefix with its siblings').
    pub events: Transcript,
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
    /// The consent facts the run observed (what starting states vary over).
    pub observations: Vec<miniperm_runtime::Observation>,
    /// The consent the path left behind: every subject not at its default, in subject order.
    pub consent: Vec<(Subject, Value)>,
    /// Every settings page the path answered: the answer's index in `answers`, and the page.
    /// Its other answers are the search's to find ([`Paths::settings_page`]), not alternatives.
    pub settings: Vec<(usize, SettingsPage)>,
}

/// Runs one path. Implementations must be deterministic: the same spec gives the same run.
pub trait Runner: Sync {
    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError>;

    /// Runs `spec` and, where the runner can resume a run at a branch, the paths below it as
    /// well, depth first (the first answers first, the deepest branch's other answers next):
    /// each finished path goes to `paths` with its prefix (the answers up to its last one that
    /// was not a first choice). Alternatives a path carries are left to the search (answers
    /// handed over to idle workers, or a runner that cannot resume). Returns whether it stopped
    /// with paths left to run (`paths.done` said the budget was spent). The default: one run.
    fn run_tree(
        &self,
        spec: &PathSpec,
        max_depth: usize,
        paths: &mut dyn Paths,
    ) -> Result<bool, ExploreError> {
        let run = self.run(spec, max_depth)?;
        paths.done(run, spec.prefix.clone());
        Ok(false)
    }

    /// The most answers a settings page gets (unchanged included).
    fn settings_combos(&self) -> usize {
        8
    }
}

/// Where a runner's finished paths go ([`Runner::run_tree`]).
pub trait Paths {
    /// A finished path and its prefix; false when no further path may run (the budget).
    fn done(&mut self, run: PathRun, prefix: Vec<String>) -> bool;
    /// Some worker has nothing to run: answers not explored yet are better handed over (as
    /// alternatives of the next path) than kept.
    fn hungry(&self) -> bool;
    /// A run stopped at a settings page after `answers` (its transcript `at` events long, having
    /// observed `observations`): the answers to resume it with now. The caller holds the page
    /// until [`Paths::settings_more`] has nothing more for it.
    fn settings_page(
        &mut self,
        answers: &[String],
        page: &SettingsPage,
        observations: &[Observation],
        at: usize,
    ) -> Vec<UiAnswer>;
    /// Answers found for a held settings page since (paths below it observed rows worth
    /// flipping); empty releases the page.
    fn settings_more(&mut self, answers: &[String]) -> Vec<UiAnswer>;
    /// Answers a runner will not try at the UI after `answers`: each becomes a path for the
    /// search to run (an idle worker's).
    fn hand_over(&mut self, answers: &[String], others: &[String]);
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
    /// `None` (the explorer): starting states found lazily from what paths observed. `Some`:
    /// every combination of these subjects' values up front and nothing found lazily (the
    /// oracle the lazy search is tested against).
    pub product: Option<Vec<Subject>>,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            fixed: Vec::new(),
            max_paths: 20_000,
            max_depth: 16,
            threads: 1,
            replay: String::new(),
            product: None,
        }
    }
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
pub fn steps(events: &[&Event]) -> Vec<(String, String)> {
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
/// the transcript is dropped right away, and folded into the report at once ([`fold`]): the
/// explorer never holds more than one transcript per worker, plus one per finding (its witness).
struct Digest {
    /// The answers the spec prescribed (the rest were first choices).
    prefix: Vec<String>,
    answers: Vec<String>,
    hits: Vec<findings::Hit>,
    leaf: Leaf,
    steps: Vec<(String, String)>,
    /// The subjects the path observed that a starting state can vary.
    observed: BTreeSet<Subject>,
    limit: bool,
    cut: bool,
    /// A later `--tap` target that was not there on this path.
    missing: Option<String>,
    /// The readable transcript, kept only for a path with findings (the report embeds it).
    transcript: Vec<String>,
}

impl Digest {
    fn of(run: PathRun, prefix: Vec<String>) -> Digest {
        let observed: BTreeSet<Subject> = run
            .observations
            .iter()
            .map(|o| o.subject)
            .filter(|s| !values_of(*s).is_empty())
            .collect();
        let events = run.events.refs();
        let mut leaf = Leaf::from_events(&events, guarded);
        leaf.consent = run
            .consent
            .iter()
            .map(|(s, v)| state_label(*s, *v))
            .collect();
        if run.cut {
            leaf.end = "cut: the same UI kept coming back".into();
        }
        if let Some(m) = &run.missing_target {
            leaf.end = format!("tap target not there: {m}");
        }
        let hits = analyse(&events, &run.observations);
        let steps = match run.steps {
            Some(s) => s,
            None => steps(&events),
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
            prefix,
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
            observed,
            cut: run.cut,
        }
    }
}

/// A settings page's place: the starting state and the answers given before it (interned).
type PointKey = (Vec<(Subject, Value)>, Box<[u32]>);

/// A path waiting to run, compactly: its starting state shared with its siblings, its answers
/// interned.
struct Queued {
    start: Arc<Vec<(Subject, Value)>>,
    prefix: Box<[u32]>,
    /// Not a path: the settings page after `prefix` is asked for answers found since its
    /// answers on the stack ran (queued beneath them, it pops when their subtrees are done,
    /// as a resuming runner asks when it is back at the page).
    revisit: bool,
}

impl Queued {
    fn path(start: Arc<Vec<(Subject, Value)>>, prefix: Box<[u32]>) -> Queued {
        Queued {
            start,
            prefix,
            revisit: false,
        }
    }
}

/// The search's state, shared by the workers.
///
/// The paths to run are a stack (depth first: a path's alternatives are pushed deepest last, so
/// the deepest branch's other answers run next), and new starting states wait in a queue until
/// the stack is empty: with one worker, a replaying runner and a resuming one run the paths in
/// the same order, so even a search cut by its budget gives the same report.
#[derive(Default)]
struct Shared {
    queue: Vec<Queued>,
    new_starts: VecDeque<Queued>,
    /// Workers waiting for a path.
    idle: usize,
    in_flight: usize,
    /// Runs started in this round.
    started: usize,
    truncated: bool,
    /// Everything the report needs of the paths finished so far.
    fold: fold::Fold,
    /// Subjects observed by the paths finished so far.
    observed: BTreeSet<Subject>,
    /// Every starting state queued so far (each is explored once).
    starts: BTreeSet<Vec<(Subject, Value)>>,
    /// Find new starting states from what paths observe (off for `Config::product`).
    lazy: bool,
    /// Every settings page met so far, by starting state and the answers before it.
    points: HashMap<PointKey, settings::Point>,
    /// The most answers a settings page gets ([`Runner::settings_combos`]).
    combos: usize,
    /// Revisits in `queue`.
    revisits: usize,
    /// Paths that stopped at a missing tap target, and the first such message.
    missing_paths: usize,
    missing: Option<String>,
    /// The first run that failed (not a finding: the exploration cannot go on).
    error: Option<ExploreError>,
}

/// A run in flight: if its worker unwinds (a runner that panicked), the run is taken off the
/// count and the search stopped, so the other workers do not wait for it for ever.
struct InFlight<'a> {
    shared: &'a Mutex<Shared>,
    cv: &'a Condvar,
    armed: bool,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if !self.armed {
            return;
        }
        let mut g = self
            .shared
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        g.in_flight = g.in_flight.saturating_sub(1);
        g.queue.clear();
        g.new_starts.clear();
        g.error
            .get_or_insert(ExploreError::Internal("a path's run panicked".into()));
        drop(g);
        self.cv.notify_all();
    }
}

impl Shared {
    /// Paths waiting (revisits are not paths).
    fn pending(&self) -> usize {
        self.queue.len() + self.new_starts.len() - self.revisits
    }

    /// Whether a path is left to run: one waiting, or a revisit that would find one.
    fn any_left(&self) -> bool {
        self.pending() > 0
            || self.queue.iter().any(|q| {
                q.revisit
                    && self
                        .points
                        .get(&(q.start.to_vec(), q.prefix.clone()))
                        .is_some_and(settings::Point::has_untried)
            })
    }

    fn pop(&mut self) -> Option<Queued> {
        let q = self.queue.pop().or_else(|| self.new_starts.pop_front())?;
        if q.revisit {
            self.revisits -= 1;
        }
        Some(q)
    }

    fn push(&mut self, q: Queued) {
        if q.revisit {
            self.revisits += 1;
        }
        self.queue.push(q);
    }

    fn clear(&mut self) {
        self.queue.clear();
        self.new_starts.clear();
        self.revisits = 0;
    }

    /// Folds one finished path in: its alternatives become paths to run, the facts it
    /// observed new starting states. False when the budget is spent (the search is cut).
    fn finish(
        &mut self,
        start: &Arc<Vec<(Subject, Value)>>,
        run: PathRun,
        prefix: Vec<String>,
        cfg: &Config,
        budget: usize,
    ) -> bool {
        if self.started >= budget {
            // another worker spent the budget while this path ran: it is not counted
            self.truncated = true;
            self.clear();
            return false;
        }
        // Each answer index's alternatives and, at a settings page met for the first time,
        // the answers found for it so far: the deepest end on top of the stack, at one depth
        // the first alternative last (it pops first).
        let mut alts: Vec<(usize, Vec<Queued>)> = self.settings_pages(start, &run);
        for (idx, others) in &run.alternatives {
            let Some(taken) = run.answers.get(..*idx) else {
                continue;
            };
            let taken: Vec<u32> = taken.iter().map(|a| self.fold.names.id(a)).collect();
            let qs = others
                .iter()
                .rev()
                .map(|a| {
                    let mut p = taken.clone();
                    p.push(self.fold.names.id(a));
                    Queued::path(start.clone(), p.into_boxed_slice())
                })
                .collect();
            alts.push((*idx, qs));
        }
        alts.sort_by_key(|(idx, _)| *idx);
        for q in alts.into_iter().flat_map(|(_, qs)| qs) {
            self.push(q);
        }
        // Digest: the transcript is dropped here.
        let d = Digest::of(run, prefix);
        if self.lazy {
            for st in starts_from(start, &d.observed, &cfg.fixed) {
                if self.starts.insert(st.clone()) {
                    self.new_starts
                        .push_back(Queued::path(Arc::new(st), Box::new([])));
                }
            }
        }
        self.observed.extend(d.observed.iter().copied());
        if let Some(m) = d.missing {
            self.missing_paths += 1;
            self.missing.get_or_insert(m);
        }
        self.fold.add(
            fold::Path {
                start,
                prefix: d.prefix,
                hits: d.hits,
                leaf: d.leaf,
                steps: d.steps,
                answers: d.answers,
                transcript: d.transcript,
                limit: d.limit,
                cut: d.cut,
            },
            &cfg.replay,
        );
        self.started += 1;
        if self.started >= budget {
            if self.any_left() {
                self.truncated = true;
            }
            self.clear();
            return false;
        }
        true
    }
}

impl Shared {
    fn point_key(&mut self, start: &[(Subject, Value)], answers: &[String]) -> PointKey {
        let ids: Box<[u32]> = answers.iter().map(|a| self.fold.names.id(a)).collect();
        (start.to_vec(), ids)
    }

    /// The settings pages a finished path answered: each learns what the path observed after
    /// it. A page met for the first time gets its answers worth giving queued, beneath them a
    /// revisit (returned by answer index, for the caller to stack with the alternatives); a page
    /// nobody holds any more (a resuming worker left it) gets what it gained queued at once.
    fn settings_pages(
        &mut self,
        start: &Arc<Vec<(Subject, Value)>>,
        run: &PathRun,
    ) -> Vec<(usize, Vec<Queued>)> {
        let mut out = Vec::new();
        if run.settings.is_empty() {
            return out;
        }
        // The transcript index of each answer.
        let answered: Vec<usize> = run
            .events
            .iter()
            .enumerate()
            .filter(|(_, e)| matches!(e, Event::Answer { .. }))
            .map(|(i, _)| i)
            .collect();
        for (idx, page) in &run.settings {
            let (Some(before), Some(given), Some(&at)) = (
                run.answers.get(..*idx),
                run.answers.get(*idx),
                answered.get(*idx),
            ) else {
                continue;
            };
            let key = self.point_key(start, before);
            let combos = self.combos;
            let new = !self.points.contains_key(&key);
            let point = self
                .points
                .entry(key.clone())
                .or_insert_with(|| settings::Point::new(page, &run.observations, at, combos));
            point.given(given);
            point.observe(&run.observations);
            if point.held && !new {
                continue;
            }
            let more = point.untried();
            let mut qs = Vec::new();
            if new {
                point.held = true;
                qs.push(Queued {
                    start: start.clone(),
                    prefix: key.1.clone(),
                    revisit: true,
                });
            }
            for a in more.iter().rev() {
                let mut p = key.1.to_vec();
                p.push(self.fold.names.id(&a.to_string()));
                qs.push(Queued::path(start.clone(), p.into_boxed_slice()));
            }
            if new {
                out.push((*idx, qs));
            } else {
                for q in qs {
                    self.push(q);
                }
            }
        }
        out
    }

    /// A revisit popped: the page's answers found since, queued above another revisit; or,
    /// none, the page is let go.
    fn revisit(&mut self, q: Queued) {
        let key: PointKey = (q.start.to_vec(), q.prefix.clone());
        let Some(point) = self.points.get_mut(&key) else {
            return;
        };
        let more = point.untried();
        if more.is_empty() {
            point.held = false;
            return;
        }
        let answers: Vec<u32> = more
            .iter()
            .rev()
            .map(|a| self.fold.names.id(&a.to_string()))
            .collect();
        let start = q.start.clone();
        self.push(q);
        for a in answers {
            let mut p = key.1.to_vec();
            p.push(a);
            self.push(Queued::path(start.clone(), p.into_boxed_slice()));
        }
    }
}

/// A worker's sink for the paths its runner finishes: each is folded into the shared state at
/// once (the lock is taken per path, never across a run).
struct Sink<'a> {
    shared: &'a Mutex<Shared>,
    start: Arc<Vec<(Subject, Value)>>,
    cfg: &'a Config,
    budget: usize,
    progress: &'a (dyn Fn(usize, usize) + Sync),
    cv: &'a Condvar,
}

impl Paths for Sink<'_> {
    fn done(&mut self, run: PathRun, prefix: Vec<String>) -> bool {
        let Ok(mut g) = self.shared.lock() else {
            return false;
        };
        let go_on = g.error.is_none() && g.finish(&self.start, run, prefix, self.cfg, self.budget);
        (self.progress)(g.fold.paths, g.pending() + g.in_flight);
        drop(g);
        self.cv.notify_all();
        go_on
    }

    fn hungry(&self) -> bool {
        self.shared
            .lock()
            .is_ok_and(|g| g.idle > 0 && g.pending() == 0)
    }

    fn settings_page(
        &mut self,
        answers: &[String],
        page: &SettingsPage,
        observations: &[Observation],
        at: usize,
    ) -> Vec<UiAnswer> {
        let Ok(mut g) = self.shared.lock() else {
            return Vec::new();
        };
        let key = g.point_key(&self.start, answers);
        let combos = g.combos;
        let point = g
            .points
            .entry(key)
            .or_insert_with(|| settings::Point::new(page, observations, at, combos));
        point.held = true;
        point.untried()
    }

    fn hand_over(&mut self, answers: &[String], others: &[String]) {
        let Ok(mut g) = self.shared.lock() else {
            return;
        };
        let taken: Vec<u32> = answers.iter().map(|a| g.fold.names.id(a)).collect();
        // the first one on top: it pops first
        for a in others.iter().rev() {
            let mut p = taken.clone();
            p.push(g.fold.names.id(a));
            let q = Queued::path(self.start.clone(), p.into_boxed_slice());
            g.push(q);
        }
        drop(g);
        self.cv.notify_all();
    }

    fn settings_more(&mut self, answers: &[String]) -> Vec<UiAnswer> {
        let Ok(mut g) = self.shared.lock() else {
            return Vec::new();
        };
        let key = g.point_key(&self.start, answers);
        let Some(point) = g.points.get_mut(&key) else {
            return Vec::new();
        };
        let more = point.untried();
        if more.is_empty() {
            point.held = false;
        }
        more
    }
}

/// Runs every path reachable from `seeds` (each run's alternatives become new paths, what it
/// observed new starting states), in parallel, until done or `budget` paths have run, folding
/// each finished path into the shared state.
fn search(
    runner: &dyn Runner,
    shared: &Mutex<Shared>,
    seeds: Vec<Queued>,
    cfg: &Config,
    budget: usize,
    progress: &(dyn Fn(usize, usize) + Sync),
) {
    if let Ok(mut g) = shared.lock() {
        for q in &seeds {
            g.starts.insert(q.start.to_vec());
        }
        g.new_starts = seeds.into();
        g.started = 0;
        g.in_flight = 0;
    }
    let cv = Condvar::new();
    let threads = cfg.threads.max(1);
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let (start, spec) = {
                        let Ok(mut g) = shared.lock() else { return };
                        loop {
                            if g.started >= budget && g.pending() > 0 {
                                g.truncated = true;
                                g.clear();
                            }
                            if let Some(q) = g.pop() {
                                if q.revisit {
                                    g.revisit(q);
                                    continue;
                                }
                                g.in_flight += 1;
                                let prefix =
                                    q.prefix.iter().map(|i| g.fold.names.name(*i).to_string());
                                let spec = PathSpec {
                                    start: q.start.to_vec(),
                                    prefix: prefix.collect(),
                                };
                                break (q.start, spec);
                            }
                            if g.in_flight == 0 {
                                cv.notify_all();
                                return;
                            }
                            g.idle += 1;
                            g = match cv.wait(g) {
                                Ok(g) => g,
                                Err(_) => return,
                            };
                            g.idle -= 1;
                        }
                    };
                    let guard = InFlight {
                        shared,
                        cv: &cv,
                        armed: true,
                    };
                    let mut sink = Sink {
                        shared,
                        start: start.clone(),
                        cfg,
                        budget,
                        progress,
                        cv: &cv,
                    };
                    let result = runner.run_tree(&spec, cfg.max_depth, &mut sink);
                    let Ok(mut g) = shared.lock() else { return };
                    match result {
                        Ok(left) => {
                            if left {
                                g.truncated = true;
                                g.clear();
                            }
                        }
                        Err(e) => {
                            // The exploration fails: run nothing more.
                            g.error.get_or_insert(e);
                            g.clear();
                        }
                    }
                    g.in_flight -= 1;
                    let mut guard = guard;
                    guard.armed = false;
                    progress(g.fold.paths, g.pending() + g.in_flight);
                    cv.notify_all();
                }
            });
        }
    });
}

/// The values a starting state can give `subject`, its default left out: a scope granted or
/// denied (a retired one only granted), an OS permission denied or not determined (granted is
/// the default, D12). Privacy consent and scopes that never prompt are not varied.
fn values_of(subject: Subject) -> &'static [Value] {
    match subject {
        Subject::Scope(s) => match s.info().prompt {
            PromptKind::Retired => &[Value::Granted],
            PromptKind::NoPrompt | PromptKind::MiniGameOnly => &[],
            _ => &[Value::Granted, Value::Denied],
        },
        Subject::Os(_) => &[Value::Denied, Value::Unset],
        _ => &[],
    }
}

/// The starting states a path from `start` makes worth exploring: `start` with one more
/// observed subject at each of its other values (subjects `start` or the user already fixes are
/// left alone). Sorted by subject, so equal starts are equal vectors.
fn starts_from(
    start: &[(Subject, Value)],
    observed: &BTreeSet<Subject>,
    fixed: &[(Subject, Value)],
) -> Vec<Vec<(Subject, Value)>> {
    let mut out = Vec::new();
    for subject in observed {
        if start.iter().chain(fixed).any(|(s, _)| s == subject) {
            continue;
        }
        for v in values_of(*subject) {
            let mut st = start.to_vec();
            st.push((*subject, *v));
            st.sort();
            out.push(st);
        }
    }
    out
}

/// Every combination of `subjects`' values (defaults included), on top of `fixed`, at most
/// `cap` of them; the flag says some were left out. The oracle's starting states.
fn combinations(
    subjects: &[Subject],
    fixed: &[(Subject, Value)],
    cap: usize,
) -> (Vec<Vec<(Subject, Value)>>, bool) {
    let mut capped = false;
    let mut combos: Vec<Vec<(Subject, Value)>> = vec![fixed.to_vec()];
    for subject in subjects {
        if fixed.iter().any(|(s, _)| s == subject) || values_of(*subject).is_empty() {
            continue;
        }
        let mut next = Vec::with_capacity(combos.len() * 3);
        for c in &combos {
            next.push(c.clone());
            for v in values_of(*subject) {
                let mut c2 = c.clone();
                c2.push((*subject, *v));
                c2.sort();
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
    explore_folded(runner, cfg, progress).map(|(report, _)| report)
}

/// [`explore_with_progress`], also giving the bytes the folded state held at the end (before
/// the report was built) as [`fold::Fold::retained_bytes`] estimates them.
fn explore_folded(
    runner: &dyn Runner,
    cfg: &Config,
    progress: &(dyn Fn(usize, usize) + Sync),
) -> Result<(Report, usize), ExploreError> {
    let mut fixed = cfg.fixed.clone();
    fixed.sort();
    let (seeds, capped) = match &cfg.product {
        None => (vec![fixed.clone()], false),
        Some(subjects) => combinations(subjects, &fixed, cfg.max_paths),
    };
    let shared = Mutex::new(Shared {
        lazy: cfg.product.is_none(),
        combos: runner.settings_combos(),
        ..Shared::default()
    });
    let seeds: Vec<Queued> = seeds
        .into_iter()
        .map(|s| Queued::path(Arc::new(s), Box::new([])))
        .collect();
    search(runner, &shared, seeds, cfg, cfg.max_paths, progress);
    let s = shared
        .into_inner()
        .map_err(|_| ExploreError::Internal("a worker panicked".into()))?;
    if let Some(e) = s.error {
        return Err(e);
    }
    let truncated = capped || s.truncated;
    // A tap target no path has is the caller's mistake, not an outcome.
    if s.fold.paths > 0 && s.missing_paths == s.fold.paths {
        return Err(ExploreError::BadInput(s.missing.unwrap_or_default()));
    }
    let retained = s.fold.retained_bytes();
    let mut report = s.fold.report(truncated);
    report.observed = s.observed.into_iter().collect();
    Ok((report, retained))
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
            // the decision consults the scope (the fake never looks at the OS permission)
            run.observations.push(miniperm_runtime::Observation {
                after: run.events.len(),
                subject: Subject::Scope(Scope::Camera),
                value: if granted {
                    Value::Granted
                } else if denied {
                    Value::Denied
                } else {
                    Value::Unset
                },
                how: miniperm_runtime::Observed::Consulted,
            });
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
            product: None,
            fixed: vec![],
            max_paths: 1000,
            max_depth: 10,
            threads: 2,
            replay: "miniperm run x --tap h".into(),
        };
        let r = explore(&Fake, &cfg).unwrap();
        // Per camera state: fresh 3 paths (allow, deny+confirm, deny+cancel), granted 1,
        // denied 2; os.camera, which this fake never consults, is never varied.
        assert_eq!(r.paths, 6);
        assert_eq!(r.starts.len(), 3);
        assert_eq!(r.branches.len(), 3);
        assert_eq!(r.observed, vec![Subject::Scope(Scope::Camera)]);
        assert!(r.findings.is_empty(), "{:?}", r.findings);
        let text = r.text_tree();
        assert!(text.contains("authorize scope.camera"), "{text}");
    }

    #[test]
    fn max_paths_bounds_the_search() {
        let cfg = Config {
            product: None,
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

/// Explore's memory does not grow with the transcripts (issue 9): a chatty 7-scope flow whose
/// every path logs 28 KiB and ends in a finding keeps a few hundred bytes per path (its tree
/// nodes), measured on the folded state between 2,000 and 8,000 paths.
#[cfg(test)]
mod bound_tests {
    use super::*;
    use miniperm_core::Scope;
    use serde_json::json;

    const SCOPES: [Scope; 7] = [
        Scope::Record,
        Scope::Camera,
        Scope::Bluetooth,
        Scope::WritePhotosAlbum,
        Scope::AddPhoneContact,
        Scope::AddPhoneCalendar,
        Scope::Werun,
    ];

    /// Bytes each step logs.
    const LOG: usize = 4 * 1024;

    /// Seven `authorize` calls in a row, each prompting while its scope is unset; every step
    /// logs [`LOG`] bytes; every path ends in an uncaught error (a finding on every path).
    struct Chatty;

    impl Runner for Chatty {
        fn run(&self, spec: &PathSpec, _max_depth: usize) -> Result<PathRun, ExploreError> {
            let ev = |v: Json| serde_json::from_value::<Event>(v).unwrap();
            let mut run = PathRun::default();
            let mut prefix = spec.prefix.iter();
            run.events
                .push(ev(json!({"type":"tap","route":"p","handler":"onStart"})));
            for scope in SCOPES {
                run.events.push(ev(
                    json!({"type":"call","api":"authorize","args":{"scope":scope.as_str()}}),
                ));
                let state = spec
                    .start
                    .iter()
                    .find(|(s, _)| *s == Subject::Scope(scope))
                    .map(|(_, v)| *v);
                run.observations.push(miniperm_runtime::Observation {
                    after: run.events.len(),
                    subject: Subject::Scope(scope),
                    value: state.unwrap_or(Value::Unset),
                    how: miniperm_runtime::Observed::Consulted,
                });
                let ok = match state {
                    Some(Value::Granted) => true,
                    Some(_) => false,
                    None => {
                        run.events.push(ev(
                            json!({"type":"ui","ui":"authorize","scope":scope.as_str()}),
                        ));
                        let a = match prefix.next() {
                            Some(a) => a.clone(),
                            None => {
                                run.alternatives
                                    .push((run.answers.len(), vec!["deny".to_string()]));
                                "allow".to_string()
                            }
                        };
                        run.events
                            .push(ev(json!({"type":"answer","ui":"authorize","answer":a})));
                        run.answers.push(a.clone());
                        a == "allow"
                    }
                };
                let kind = if ok { "success" } else { "fail" };
                run.events.push(ev(json!({"type":"callback","api":"authorize","kind":kind,
                    "res":{"errMsg": if ok { "authorize:ok" } else { "authorize:fail auth deny" }}})));
                run.events.push(ev(
                    json!({"type":"log","level":"log","args":["x".repeat(LOG)]}),
                ));
                run.events
                    .push(ev(json!({"type":"data","route":"p","patch":{"step":kind}})));
            }
            run.events.push(ev(
                json!({"type":"error","message":"boom","stack":"    at onStart (pages/index/index.js:3:5)"}),
            ));
            run.events.push(ev(json!({"type":"end","reason":"idle"})));
            Ok(run)
        }
    }

    fn retained(paths: usize) -> (Report, usize) {
        let cfg = Config {
            product: None,
            fixed: vec![],
            max_paths: paths,
            max_depth: 16,
            threads: 2,
            replay: "miniperm run x --tap onStart".into(),
        };
        explore_folded(&Chatty, &cfg, &|_, _| {}).unwrap()
    }

    /// A runner that panics on its second path: the search ends (the panic comes through)
    /// instead of the other worker waiting for that path for ever.
    struct Panicky(std::sync::atomic::AtomicUsize);

    impl Runner for Panicky {
        fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError> {
            if self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) == 1 {
                panic!("runner bug");
            }
            Chatty.run(spec, max_depth)
        }
    }

    #[test]
    #[should_panic(expected = "a scoped thread panicked")]
    fn a_panicking_runner_does_not_hang_the_search() {
        let cfg = Config {
            product: None,
            fixed: vec![],
            max_paths: 50,
            max_depth: 16,
            threads: 2,
            replay: "miniperm run x".into(),
        };
        let _ = explore(&Panicky(Default::default()), &cfg);
    }

    #[test]
    fn retained_state_per_path_is_small_and_transcripts_are_not_kept() {
        let (small, a) = retained(2_000);
        let (large, b) = retained(8_000);
        assert_eq!((small.paths, large.paths), (2_000, 8_000));
        assert!(
            large.truncated && large.starts.len() > 100,
            "{}",
            large.starts.len()
        );
        // One finding, one transcript kept: its witness's (~7 × LOG).
        assert_eq!(large.findings.len(), 1, "{:?}", large.findings);
        let kept: usize = large.findings[0].transcript.iter().map(String::len).sum();
        assert!(kept >= 7 * LOG, "{kept}");
        let per_path = (b - a) / 6_000;
        eprintln!("retained: {a} bytes at 2,000 paths, {b} at 8,000: {per_path} per path");
        assert!(
            per_path <= 400,
            "{per_path} bytes kept per path ({a} at 2,000 paths, {b} at 8,000)"
        );
        // Everything held at 8,000 paths is far below one transcript per path.
        assert!(b < 8_000 * 7 * LOG / 10, "{b}");
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
