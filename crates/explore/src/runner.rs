//! The runtime-backed [`Runner`]: each path is a fresh `miniperm_runtime::run` on an in-memory
//! store, answered by a [`ReplayUser`].

use std::collections::HashMap;
use std::sync::Mutex;

use miniperm_consent::ConsentStore;
use miniperm_consent::MemoryStore;
use miniperm_core::{AppState, SettingsPage, Subject, Value};
use miniperm_runtime::{
    Branch, Project, Repeats, RunConfig, RunError, RunOutcome, Step, Transcript, UiAnswer,
    UiRequest, User, Zygotes,
};

use crate::{ExploreError, PathRun, PathSpec, Paths, Runner};

/// How often the same modal or settings page may show in one run before the path is cut as a
/// nag loop (the finding rule names it; the cut keeps the search finite).
pub const NAG_LIMIT: usize = 3;

/// Characters of a logged value or a `setData` patch an explored path keeps (a path's findings
/// need to know that the program logged or changed something; the printed `miniperm run` line
/// shows all of it).
pub const CLIP: usize = 4096;

/// Answers a prefix, then the first choice at every further UI, noting the alternatives; or,
/// resuming, stops at every further UI that has more than one answer (the runner answers it by
/// resuming the run, once per answer).
#[derive(Clone)]
pub struct ReplayUser<'a> {
    prefix: &'a [String],
    max_depth: usize,
    pub answers: Vec<String>,
    /// Every settings page answered: the answer's index, and the page ([`PathRun::settings`]).
    pub settings: Vec<(usize, SettingsPage)>,
    pub alternatives: Vec<(usize, Vec<String>)>,
    pub cut: bool,
    pub bad_answer: Option<String>,
    /// (ui, answer) for every answer given, labelled as [`crate::steps`] labels them.
    pub steps: Vec<(String, String)>,
    seen: HashMap<String, usize>,
    repeats: Repeats,
    /// Stop at branching UIs instead of taking their first answer.
    resuming: bool,
    /// What [`User::suspend_at`] decided for the UI it was asked about, for `answer` to use.
    held: Option<Next>,
    /// The answers up to the last one that was not a first choice (the path's prefix).
    pub prefix_len: usize,
}

/// What the user does at one UI.
#[derive(Clone)]
enum Next {
    /// End the run here (awaiting an answer): a nag loop cut, the depth bound, a bad prefix.
    End,
    /// An answer of the prefix.
    Given(UiAnswer, String),
    /// The answers to branch on (the first taken when not resuming).
    Choose(Vec<UiAnswer>),
}

impl<'a> ReplayUser<'a> {
    pub fn new(prefix: &'a [String], max_depth: usize) -> Self {
        ReplayUser {
            prefix,
            max_depth,
            answers: Vec::new(),
            settings: Vec::new(),
            alternatives: Vec::new(),
            cut: false,
            bad_answer: None,
            steps: Vec::new(),
            seen: HashMap::new(),
            repeats: Repeats::default(),
            resuming: false,
            held: None,
            prefix_len: prefix.len(),
        }
    }

    /// A user that stops at branching UIs past its prefix ([`Runner::run_tree`] resumes them).
    pub fn resuming(mut self) -> Self {
        self.resuming = true;
        self
    }

    /// What to do at `ui` (each UI is counted once, against the nag-loop cut).
    fn next(&mut self, ui: &UiRequest) -> Next {
        let key = self
            .repeats
            .key(&ui.event())
            .unwrap_or_else(|| ui.describe());
        let n = self.seen.entry(key).or_insert(0);
        *n += 1;
        if *n > NAG_LIMIT {
            self.cut = true;
            return Next::End;
        }
        if self.answers.len() >= self.max_depth {
            return Next::End;
        }
        if let Some(tok) = self.prefix.get(self.answers.len()) {
            return match tok.parse::<UiAnswer>() {
                Ok(a) => Next::Given(a, tok.clone()),
                Err(_) => {
                    self.bad_answer = Some(tok.clone());
                    Next::End
                }
            };
        }
        let options = choices(ui);
        if options.is_empty() {
            return Next::End;
        }
        Next::Choose(options)
    }

    /// The answers of a UI the run stopped at.
    pub fn options(&self) -> Vec<UiAnswer> {
        match &self.held {
            Some(Next::Choose(o)) => o.clone(),
            _ => Vec::new(),
        }
    }

    /// Records `a`, the `nth` of the options of the UI the run stopped at (resuming it).
    pub fn resumed(&mut self, ui: &UiRequest, a: &UiAnswer, nth: usize) {
        self.held = None;
        self.note_settings(ui);
        self.answers.push(a.to_string());
        self.steps.push((label(ui), a.to_string()));
        if nth > 0 {
            self.prefix_len = self.answers.len();
        }
    }
}

impl ReplayUser<'_> {
    /// Notes a settings page about to be answered (its other answers are the search's).
    fn note_settings(&mut self, ui: &UiRequest) {
        if let UiRequest::Settings { page } = ui {
            self.settings.push((self.answers.len(), page.clone()));
        }
    }
}

/// The answers to branch on for one UI. The settings page: unchanged; which switches to flip
/// there is the search's to find from what paths observe ([`crate::settings`]).
pub fn choices(ui: &UiRequest) -> Vec<UiAnswer> {
    if let UiRequest::Settings { .. } = ui {
        return vec![UiAnswer::Settings(Vec::new())];
    }
    ui.choices()
}

/// A UI as [`crate::steps`] labels its transcript event.
fn label(ui: &UiRequest) -> String {
    match ui {
        UiRequest::Authorize { scope, .. } => format!("authorize {scope}"),
        UiRequest::System { permission } => format!("system {}", permission.as_str()),
        UiRequest::Privacy { .. } => "privacy".into(),
        UiRequest::Modal { title, .. } if title.is_empty() => "modal".into(),
        UiRequest::Modal { title, .. } => format!("modal {title}"),
        UiRequest::ActionSheet { .. } => "actionSheet".into(),
        UiRequest::Settings { .. } => "settings".into(),
        UiRequest::Picker { api } => format!("picker {api}"),
    }
}

impl User for ReplayUser<'_> {
    fn suspend_at(&mut self, ui: &UiRequest) -> bool {
        if !self.resuming {
            return false;
        }
        let next = self.next(ui);
        // A settings page always: answers for it may be found later (by paths below it).
        let stop = matches!(&next, Next::Choose(o)
            if o.len() > 1 || matches!(ui, UiRequest::Settings { .. }));
        self.held = Some(next);
        stop
    }

    fn answer(&mut self, ui: &UiRequest) -> Option<UiAnswer> {
        let next = match self.held.take() {
            Some(n) => n,
            None => self.next(ui),
        };
        match next {
            Next::End => None,
            Next::Given(a, tok) => {
                self.note_settings(ui);
                self.answers.push(tok.clone());
                self.steps.push((label(ui), tok));
                Some(a)
            }
            Next::Choose(options) => {
                let (first, rest) = options.split_first()?;
                if !rest.is_empty() {
                    self.alternatives.push((
                        self.answers.len(),
                        rest.iter().map(ToString::to_string).collect(),
                    ));
                }
                self.note_settings(ui);
                self.answers.push(first.to_string());
                self.steps.push((label(ui), first.to_string()));
                Some(first.clone())
            }
        }
    }
}

/// Runs paths on the real runtime, each on a fresh in-memory store: on a worker's zygote
/// ([`RuntimeRunner::new`]) or on a fresh runtime per path ([`RuntimeRunner::fresh`], the oracle
/// the zygote is tested against; both give the same report).
pub struct RuntimeRunner {
    pub project: Project,
    pub base: RunConfig,
    pub max_settings_combos: usize,
    /// Idle zygote pools, one per worker at most (a worker takes one for a path and gives it
    /// back), kept for the runner's life. None: fresh runtimes.
    pool: Option<Mutex<Vec<Zygotes>>>,
    /// Resume runs at their branches (on zygotes); false: replay every path from the launch.
    resume: bool,
}

impl RuntimeRunner {
    /// A runner whose paths run on zygotes (one per worker thread, built on its first path).
    /// Unless `base` says otherwise, its transcripts keep [`CLIP`] characters of a logged
    /// value or a `setData` patch. A page that draws nothing but its tree renders when
    /// something reads it ([`RunConfig::lazy_render`]).
    pub fn new(project: Project, base: RunConfig, max_settings_combos: usize) -> RuntimeRunner {
        let mut base = base;
        base.clip = base.clip.or(Some(CLIP));
        base.lazy_render = true;
        RuntimeRunner {
            project,
            base,
            max_settings_combos,
            pool: Some(Mutex::new(Vec::new())),
            resume: true,
        }
    }

    /// A runner on zygotes that replays every path from the launch instead of resuming runs at
    /// their branches (the resuming runner's oracle, and its fallback).
    pub fn replaying(
        project: Project,
        base: RunConfig,
        max_settings_combos: usize,
    ) -> RuntimeRunner {
        RuntimeRunner {
            resume: false,
            ..RuntimeRunner::new(project, base, max_settings_combos)
        }
    }

    /// A runner that builds a fresh runtime for every path (slower; the reference behaviour).
    pub fn fresh(project: Project, base: RunConfig, max_settings_combos: usize) -> RuntimeRunner {
        RuntimeRunner {
            pool: None,
            ..RuntimeRunner::new(project, base, max_settings_combos)
        }
    }

    /// One run, on an idle zygote pool when the runner has them.
    fn run_once(
        &self,
        cfg: &RunConfig,
        store: &mut MemoryStore,
        user: &mut ReplayUser<'_>,
    ) -> Result<RunOutcome, RunError> {
        let Some(pool) = &self.pool else {
            return miniperm_runtime::run(&self.project, cfg, store, user);
        };
        let mut zygotes = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let out = zygotes.run(&self.project, cfg, store, user);
        if let Ok(mut p) = pool.lock() {
            p.push(zygotes);
        }
        out
    }
}

impl RuntimeRunner {
    /// The run's config for a path: the base, with the path's starting states.
    fn cfg_for(&self, spec: &PathSpec) -> RunConfig {
        let mut cfg = self.base.clone();
        cfg.initial.extend(spec.start.iter().copied());
        cfg
    }

    /// A finished run (or the run's failure) as the path it is.
    fn path_of(
        &self,
        out: Result<RunOutcome, RunError>,
        user: ReplayUser<'_>,
        store: &mut MemoryStore,
        spec: &PathSpec,
        cfg: &RunConfig,
    ) -> Result<PathRun, ExploreError> {
        let mut user = user;
        let out = match out {
            Ok(out) => out,
            Err(e) if missing_target(&e) => {
                // A later tap target this path does not have: the path ends there.
                return Ok(PathRun {
                    events: Transcript::new(),
                    steps: Some(std::mem::take(&mut user.steps)),
                    answers: user.answers,
                    alternatives: user.alternatives,
                    cut: user.cut,
                    missing_target: Some(e.to_string()),
                    observations: Vec::new(),
                    consent: Vec::new(),
                    settings: Vec::new(),
                });
            }
            Err(RunError::Store(e)) if !e.is_bad_input() => {
                return Err(ExploreError::Store(e.to_string()));
            }
            Err(RunError::Engine(e)) => return Err(ExploreError::Engine(e)),
            Err(e) => return Err(ExploreError::BadInput(e.to_string())),
        };
        if let Some(bad) = user.bad_answer {
            return Err(ExploreError::Internal(format!(
                "replayed answer `{bad}` does not parse"
            )));
        }
        // What the path changed of the consent it started from.
        let start_of = |s: Subject| {
            spec.start
                .iter()
                .find(|(x, _)| *x == s)
                .map_or_else(|| AppState::default().value(s), |(_, v)| *v)
        };
        let consent = store
            .state(&cfg.user, self.project.appid())
            .map(|st| {
                let mut c: Vec<(Subject, Value)> = st
                    .entries()
                    .into_iter()
                    .filter(|(s, v)| start_of(*s) != *v)
                    .collect();
                c.sort();
                c
            })
            .unwrap_or_default();
        Ok(PathRun {
            events: out.events,
            answers: user.answers,
            alternatives: user.alternatives,
            cut: user.cut,
            missing_target: None,
            steps: None,
            observations: out.observations,
            consent,
            settings: user.settings,
        })
    }

    /// [`Runner::run_tree`] on one worker's zygotes: the path of `spec`, and below it every
    /// path its branches lead to, each branch resumed from where the run stopped (the JS heap
    /// and the host's state as they were) instead of replayed from the launch.
    fn tree_on(
        &self,
        z: &mut Zygotes,
        spec: &PathSpec,
        max_depth: usize,
        paths: &mut dyn Paths,
    ) -> Result<bool, ExploreError> {
        /// A run stopped at a UI, with what it had: its consent store, its user, the answers
        /// to try and how many were tried.
        struct Frame<'a> {
            branch: Branch,
            store: MemoryStore,
            user: ReplayUser<'a>,
            options: Vec<UiAnswer>,
            next: usize,
            /// A settings page: its answers come from the search, which may find more.
            settings: bool,
        }
        let cfg = self.cfg_for(spec);
        let mut stack: Vec<Frame<'_>> = Vec::new();
        let mut store = MemoryStore::new();
        let mut user = ReplayUser::new(&spec.prefix, max_depth).resuming();
        let mut step = z.start(&self.project, &cfg, &mut store, &mut user);
        loop {
            match step {
                // No zygote fits the run: replay it (its alternatives go to the search).
                Ok(None) => {
                    let prefix = if user.answers.len() < spec.prefix.len() {
                        spec.prefix.clone()
                    } else {
                        user.answers.clone()
                    };
                    let run = self.run(
                        &PathSpec {
                            start: spec.start.clone(),
                            prefix,
                        },
                        max_depth,
                    )?;
                    let prefix = user.answers[..user.prefix_len.min(user.answers.len())].to_vec();
                    if !paths.done(run, prefix) {
                        return Ok(true);
                    }
                }
                Ok(Some(Step::Paused(branch))) => {
                    let (options, settings) = match branch.ui() {
                        UiRequest::Settings { page } => (
                            paths.settings_page(
                                &user.answers,
                                page,
                                branch.observations(),
                                branch.transcript_len(),
                            ),
                            true,
                        ),
                        _ => (user.options(), false),
                    };
                    stack.push(Frame {
                        branch,
                        store,
                        user,
                        options,
                        next: 0,
                        settings,
                    });
                }
                done => {
                    let out = match done {
                        Ok(Some(Step::Done(o))) => Ok(o),
                        Err(e) => Err(e),
                        _ => Err(RunError::Engine("unreachable".into())),
                    };
                    let prefix = user.answers[..user.prefix_len.min(user.answers.len())].to_vec();
                    let run = self.path_of(out, user, &mut store, spec, &cfg)?;
                    if !paths.done(run, prefix) {
                        return Ok(stack.iter().any(|f| f.next < f.options.len()));
                    }
                }
            }
            // The deepest branch with an answer left to try (a settings page may have gained
            // some from the paths below it).
            loop {
                let Some(f) = stack.last_mut() else {
                    return Ok(false);
                };
                if f.next < f.options.len() {
                    break;
                }
                if f.settings {
                    let more = paths.settings_more(&f.user.answers);
                    if !more.is_empty() {
                        f.options.extend(more);
                        break;
                    }
                }
                stack.pop();
            }
            let Some(f) = stack.last_mut() else {
                return Ok(false);
            };
            let nth = f.next;
            f.next += 1;
            let a = f.options[nth].clone();
            // Another worker waits: it replays the rest of this branch's answers (handed to the
            // search once, not carried by the runs below, which would hand them again).
            if f.next < f.options.len() && paths.hungry() {
                let rest: Vec<String> = f.options[f.next..]
                    .iter()
                    .map(ToString::to_string)
                    .collect();
                f.next = f.options.len();
                paths.hand_over(&f.user.answers, &rest);
            }
            if f.next == f.options.len() && !f.settings {
                // The frame's last answer: its run state moves into the resumed run.
                let Some(f) = stack.pop() else {
                    return Ok(false);
                };
                let mut u = f.user;
                u.resumed(f.branch.ui(), &a, nth);
                let mut s = f.store;
                step = z.resume_last(&self.project, &cfg, f.branch, a, &mut s, &mut u);
                store = s;
                user = u;
            } else {
                let mut u = f.user.clone();
                u.resumed(f.branch.ui(), &a, nth);
                let mut s = f.store.clone();
                step = z.resume(&self.project, &cfg, &f.branch, a, &mut s, &mut u);
                store = s;
                user = u;
            }
        }
    }
}

impl Runner for RuntimeRunner {
    fn settings_combos(&self) -> usize {
        self.max_settings_combos
    }

    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError> {
        let cfg = self.cfg_for(spec);
        let mut store = MemoryStore::new();
        let mut user = ReplayUser::new(&spec.prefix, max_depth);
        let out = self.run_once(&cfg, &mut store, &mut user);
        self.path_of(out, user, &mut store, spec, &cfg)
    }

    fn run_tree(
        &self,
        spec: &PathSpec,
        max_depth: usize,
        paths: &mut dyn Paths,
    ) -> Result<bool, ExploreError> {
        let (Some(pool), true) = (&self.pool, self.resume) else {
            let run = self.run(spec, max_depth)?;
            paths.done(run, spec.prefix.clone());
            return Ok(false);
        };
        let mut zygotes = pool
            .lock()
            .ok()
            .and_then(|mut p| p.pop())
            .unwrap_or_default();
        let out = self.tree_on(&mut zygotes, spec, max_depth, paths);
        if let Ok(mut p) = pool.lock() {
            p.push(zygotes);
        }
        out
    }
}

/// A tap target (handler, open-type button, element) the page does not have at that moment.
/// Every other input error (a page not in app.json, a bad starting state) fails the whole
/// exploration.
fn missing_target(e: &RunError) -> bool {
    e.is_bad_input()
        && !matches!(
            e,
            RunError::NoSuchPage(_)
                | RunError::AnswerMismatch { .. }
                | RunError::BadSetting { .. }
                | RunError::BadInitial(_)
                | RunError::Store(_)
        )
}
