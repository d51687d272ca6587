//! The runtime-backed [`Runner`]: each path is a fresh `miniperm_runtime::run` on an in-memory
//! store, answered by a [`ReplayUser`].

use std::collections::HashMap;
use std::sync::Mutex;

use miniperm_core::{AppState, SettingChange, Subject, Value};
use miniperm_runtime::{
    Project, RunConfig, RunError, RunOutcome, UiAnswer, UiRequest, User, Zygotes,
};
use miniperm_store::ConsentStore;
use miniperm_store::MemoryStore;

use crate::{ExploreError, PathRun, PathSpec, Runner};

/// How often the same modal or settings page may show in one run before the path is cut as a
/// nag loop (the finding rule names it; the cut keeps the search finite).
pub const NAG_LIMIT: usize = 3;

/// Answers a prefix, then the first choice at every further UI, noting the alternatives.
pub struct ReplayUser<'a> {
    prefix: &'a [String],
    max_depth: usize,
    max_settings_combos: usize,
    pub answers: Vec<String>,
    pub alternatives: Vec<(usize, Vec<String>)>,
    pub cut: bool,
    pub bad_answer: Option<String>,
    /// (ui, answer) for every answer given, labelled as [`crate::steps`] labels them.
    pub steps: Vec<(String, String)>,
    seen: HashMap<String, usize>,
}

impl<'a> ReplayUser<'a> {
    pub fn new(prefix: &'a [String], max_depth: usize, max_settings_combos: usize) -> Self {
        ReplayUser {
            prefix,
            max_depth,
            max_settings_combos,
            answers: Vec::new(),
            alternatives: Vec::new(),
            cut: false,
            bad_answer: None,
            steps: Vec::new(),
            seen: HashMap::new(),
        }
    }
}

/// The answers to branch on for one UI. The settings page: unchanged, then every combination
/// of its rows' switches (one position per row), up to `max_combos`.
pub fn choices(ui: &UiRequest, max_combos: usize) -> Vec<UiAnswer> {
    let UiRequest::Settings { page } = ui else {
        return ui.choices();
    };
    // Options per row: the row's own alternatives.
    let toggles = page.toggles();
    let mut rows: Vec<Vec<SettingChange>> = Vec::new();
    for t in toggles {
        let row_of = |s: miniperm_core::Scope| match s {
            miniperm_core::Scope::UserLocationBackground => miniperm_core::Scope::UserLocation,
            other => other,
        };
        match rows
            .iter_mut()
            .find(|r| row_of(r[0].scope) == row_of(t.scope))
        {
            Some(r) => r.push(t),
            None => rows.push(vec![t]),
        }
    }
    let mut combos: Vec<Vec<SettingChange>> = vec![Vec::new()];
    for row in &rows {
        let mut next = Vec::new();
        for c in &combos {
            next.push(c.clone());
            for t in row {
                let mut c2 = c.clone();
                c2.push(*t);
                next.push(c2);
            }
        }
        combos = next;
        if combos.len() > max_combos.max(1) * 4 {
            break;
        }
    }
    // Unchanged first, then singles, then larger combinations.
    combos.sort_by_key(Vec::len);
    combos.truncate(max_combos.max(1));
    combos.into_iter().map(UiAnswer::Settings).collect()
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
    fn answer(&mut self, ui: &UiRequest) -> Option<UiAnswer> {
        let key = match ui {
            UiRequest::Modal { title, content, .. } => format!("modal:{title}:{content}"),
            UiRequest::Settings { .. } => "settings".to_string(),
            other => other.describe(),
        };
        let n = self.seen.entry(key).or_insert(0);
        *n += 1;
        if *n > NAG_LIMIT {
            self.cut = true;
            return None;
        }
        if self.answers.len() >= self.max_depth {
            return None;
        }
        if let Some(tok) = self.prefix.get(self.answers.len()) {
            return match tok.parse::<UiAnswer>() {
                Ok(a) => {
                    self.answers.push(tok.clone());
                    self.steps.push((label(ui), tok.clone()));
                    Some(a)
                }
                Err(_) => {
                    self.bad_answer = Some(tok.clone());
                    None
                }
            };
        }
        let options = choices(ui, self.max_settings_combos);
        let (first, rest) = options.split_first()?;
        self.alternatives.push((
            self.answers.len(),
            rest.iter().map(ToString::to_string).collect(),
        ));
        self.answers.push(first.to_string());
        self.steps.push((label(ui), first.to_string()));
        Some(first.clone())
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
}

impl RuntimeRunner {
    /// A runner whose paths run on zygotes (one per worker thread, built on its first path).
    pub fn new(project: Project, base: RunConfig, max_settings_combos: usize) -> RuntimeRunner {
        RuntimeRunner {
            project,
            base,
            max_settings_combos,
            pool: Some(Mutex::new(Vec::new())),
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

impl Runner for RuntimeRunner {
    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, ExploreError> {
        let mut cfg = self.base.clone();
        cfg.initial.extend(spec.start.iter().copied());
        let mut store = MemoryStore::new();
        let mut user = ReplayUser::new(&spec.prefix, max_depth, self.max_settings_combos);
        let out = match self.run_once(&cfg, &mut store, &mut user) {
            Ok(out) => out,
            Err(e) if missing_target(&e) => {
                // A later tap target this path does not have: the path ends there.
                return Ok(PathRun {
                    events: Vec::new(),
                    steps: Some(std::mem::take(&mut user.steps)),
                    answers: user.answers,
                    alternatives: user.alternatives,
                    cut: user.cut,
                    missing_target: Some(e.to_string()),
                    observations: Vec::new(),
                    consent: Vec::new(),
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
        })
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
