//! One run: a fresh QuickJS runtime, the prelude, the app and its first page, then each tap run
//! to idle. Rust owns the order of everything asynchronous (API results, timers, native UIs);
//! the JS side only registers callbacks and reports events.
//!
//! The modules, in layers: each imports (explicitly, no globs) only modules listed before it,
//! and none imports this one. Data: `config` (what a run takes), `pending` (UIs waiting,
//! handler targets), `outcome` (how a run ends; the driver's `Halt`), `shared` (what Rust and
//! the prelude share), `payload` (result objects), `guard` (the deadline's guards). Then `js`
//! (JS values and caught failures as host facts); `driver` (the `Driver` and its loop); the
//! files that add `impl Driver` methods, none importing another: `dispatch`, `uiqueue`,
//! `render`, `actions`, `screen`; `bridge` (the `N.*` functions); `engine` (runtime, context,
//! drive). This module: the run entry.
mod actions;
mod bridge;
mod config;
mod dispatch;
mod driver;
mod engine;
mod guard;
mod js;
mod outcome;
mod payload;
mod pending;
mod render;
mod screen;
mod shared;
mod uiqueue;

pub use config::{DEFAULT_NOW_MS, DEFAULT_SEED, Limits, RunConfig};
use engine::Start;
pub(crate) use engine::{Drove, Engine, Enter, Paused};
pub use outcome::{RunError, RunOutcome};

use miniperm_consent::ConsentStore;
use miniperm_core::{Change, ConsentEvent, EventMeta, Subject, Value, Via};
use rquickjs::Runtime;

use crate::project::Project;
use crate::user::User;

/// Runs a project once: launch, open the page, dispatch each tap, run to idle after each, on a
/// fresh runtime. (`Zygotes::run` gives the same outcome on a restored zygote: the explorer's
/// oracle test.)
pub fn run(
    project: &Project,
    cfg: &RunConfig,
    store: &mut dyn ConsentStore,
    user: &mut dyn User,
) -> Result<RunOutcome, RunError> {
    let cfg = effective(cfg);
    let start = begin(project, &cfg, store)?;
    run_fresh(project, &cfg, start, store, user)
}

/// A run's config as the engine reads it: a run's own base library replaces the profile's,
/// for the engine's decisions too.
pub(crate) fn effective(cfg: &RunConfig) -> std::borrow::Cow<'_, RunConfig> {
    match cfg.base_lib {
        Some((a, b, c)) if cfg.profile.base_lib != miniperm_core::BaseLib(a, b, c) => {
            let mut o = cfg.clone();
            o.profile.base_lib = miniperm_core::BaseLib(a, b, c);
            std::borrow::Cow::Owned(o)
        }
        _ => std::borrow::Cow::Borrowed(cfg),
    }
}

/// The page a run opens: `cfg.page`, else the first of app.json.
pub(crate) fn first_route(project: &Project, cfg: &RunConfig) -> Result<String, RunError> {
    Ok(match &cfg.page {
        Some(p) => {
            let p = p
                .trim_start_matches('/')
                .trim_end_matches(".js")
                .to_string();
            if !project.pages().contains(&p) {
                return Err(RunError::NoSuchPage(p));
            }
            p
        }
        None => project.pages().first().cloned().unwrap_or_default(),
    })
}

/// What every run does before its engine runs: the first page, the app, the consent state read
/// from `store` and the starting states written to it. `cfg` is the [`effective`] config.
pub(crate) fn begin(
    project: &Project,
    cfg: &RunConfig,
    store: &mut dyn ConsentStore,
) -> Result<Start, RunError> {
    let route = first_route(project, cfg)?;
    let appid = project.appid().to_string();
    let mut state = store.state(&cfg.user, &appid)?;
    let mut wrote_initial = false;
    // A privacy refusal stored by an earlier run is older than R28's gap: the gap counts on this
    // run's virtual clock, which does not continue the earlier run's.
    state.privacy_refused_at = None;
    if !cfg.initial.is_empty() {
        let meta = EventMeta {
            at: (cfg.stamp)(),
            user: cfg.user.clone(),
            app: appid.clone(),
            channel: cfg.channel,
            profile: cfg.profile.name.clone(),
        };
        let mut evs = Vec::new();
        let mut next = state;
        for (subject, to) in &cfg.initial {
            if matches!(subject, Subject::All) {
                return Err(RunError::BadInitial("*".into()));
            }
            let from = match subject {
                Subject::Scope(s) => next.scope(*s),
                Subject::Os(p) => next.os(*p),
                Subject::Privacy(t) => {
                    if next.privacy_granted(*t) {
                        Value::Granted
                    } else {
                        Value::Unset
                    }
                }
                Subject::All => Value::Unset,
            };
            next.apply_change(*subject, *to, Via::Host, cfg.now_ms);
            evs.push(ConsentEvent::new(&meta, Change::host(*subject, from, *to)));
        }
        for e in store.append(evs)? {
            state.apply_change(e.scope, e.to, e.via, cfg.now_ms);
        }
        wrote_initial = true;
    }
    Ok(Start {
        route,
        appid,
        state,
        wrote_initial,
    })
}

/// A run from `start` ([`begin`]) on a fresh runtime, its heap capped by `heap::CappedAlloc`.
pub(crate) fn run_fresh(
    project: &Project,
    cfg: &RunConfig,
    start: Start,
    store: &mut dyn ConsentStore,
    user: &mut dyn User,
) -> Result<RunOutcome, RunError> {
    let refused = crate::heap::Refused::default();
    let rt = match cfg.limits.memory_bytes {
        0 => Runtime::new(),
        cap => Runtime::new_with_alloc(crate::heap::CappedAlloc::new(cap, refused.clone())),
    }
    .map_err(|e| RunError::Engine(e.to_string()))?;
    let engine = Engine::build(rt, project, cfg, &start.route, refused)?;
    let outcome = engine
        .drive(project, cfg, start, store, user, None, false)
        .and_then(Drove::done);
    if cfg.exit_after {
        // The process is about to exit: its end frees the heap at once (`RunConfig::exit_after`).
        std::mem::forget(engine);
    }
    outcome
}
