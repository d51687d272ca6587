//! The runtime-backed [`Runner`]: each path is a fresh `miniperm_runtime::run` on an in-memory
//! store, answered by a [`ReplayUser`].

use std::collections::HashMap;

use miniperm_core::SettingChange;
use miniperm_runtime::{Project, RunConfig, UiAnswer, UiRequest, User};
use miniperm_store::MemoryStore;

use crate::{PathRun, PathSpec, Runner};

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
        Some(first.clone())
    }
}

/// Runs paths on the real runtime, each on a fresh in-memory store.
pub struct RuntimeRunner {
    pub project: Project,
    pub base: RunConfig,
    pub max_settings_combos: usize,
}

impl Runner for RuntimeRunner {
    fn run(&self, spec: &PathSpec, max_depth: usize) -> Result<PathRun, String> {
        let mut cfg = self.base.clone();
        cfg.initial.extend(spec.start.iter().copied());
        let mut store = MemoryStore::new();
        let mut user = ReplayUser::new(&spec.prefix, max_depth, self.max_settings_combos);
        let out = miniperm_runtime::run(&self.project, &cfg, &mut store, &mut user)
            .map_err(|e| e.to_string())?;
        if let Some(bad) = user.bad_answer {
            return Err(format!("internal: replayed answer `{bad}` does not parse"));
        }
        let events = out
            .events
            .iter()
            .map(serde_json::to_value)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| e.to_string())?;
        Ok(PathRun {
            events,
            answers: user.answers,
            alternatives: user.alternatives,
            cut: user.cut,
        })
    }
}
