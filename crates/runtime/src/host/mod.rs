//! One run: a fresh QuickJS runtime, the prelude, the app and its first page, then each tap run
//! to idle. Rust owns the order of everything asynchronous (API results, timers, native UIs);
//! the JS side only registers callbacks and reports events.

mod actions;
mod bridge;
mod dispatch;
mod driver;
mod guard;
mod payload;
mod render;
mod screen;
mod uiqueue;

use bridge::*;
use dispatch::*;
use driver::*;
use miniperm_consent::{ConsentStore, StoreError};
use render::*;
use uiqueue::*;

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use miniperm_core::{
    Change, Channel, ConsentEvent, EventMeta, Profile, Subject, SystemSwitches, Value, Via,
};
use rquickjs::{Context, Ctx, Runtime};

use crate::event::{EndReason, Event};
use crate::project::Project;
use crate::user::User;

/// The first project frame of a JS stack, as `file:line:col` (prelude frames are skipped).
pub(crate) fn first_site(stack: &str) -> Option<String> {
    bridge::call_site(stack)
}

/// Virtual time between the end of one dispatch and the next tap.
const TAP_GAP_MS: i64 = 1000;

/// The virtual clock's default start: 2026-01-01T00:00:00Z.
pub const DEFAULT_NOW_MS: i64 = 1_767_225_600_000;
/// `Math.random`'s default seed.
pub const DEFAULT_SEED: u32 = 1;

/// Per-run limits (issue 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time one dispatch (launch, a tap) may take, run to idle included.
    pub dispatch_ms: u64,
    /// The JS heap cap of one run.
    pub memory_bytes: usize,
    /// Timer firings at one instant of virtual time before the run ends with `limit` (a timer
    /// that re-arms itself with no delay). Timers that keep ticking as time moves (an
    /// animation, a countdown) are normal: the page goes idle with them set.
    pub max_timer_fires: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            dispatch_ms: 2000,
            memory_bytes: 64 * 1024 * 1024,
            max_timer_fires: 10_000,
        }
    }
}

/// Everything one run takes besides the project, the store and the user.
#[derive(Debug, Clone)]
pub struct RunConfig {
    /// The page to open (default: the first page of app.json).
    pub page: Option<String>,
    /// Its query, `a=1&b=2`.
    pub query: Option<String>,
    /// Handlers to tap in order; `open-type=openSetting` taps the page's openSetting button.
    pub taps: Vec<String>,
    pub profile: Profile,
    pub user: String,
    pub channel: Channel,
    /// Starting states (`--state`, `--system`), appended as `host` events before launch.
    pub initial: Vec<(Subject, Value)>,
    pub system: SystemSwitches,
    /// What getLocation returns: (latitude, longitude).
    pub location: (f64, f64),
    pub limits: Limits,
    /// The virtual clock's start, in ms since the Unix epoch (`Date`, `performance.now`, timers).
    pub now_ms: i64,
    /// The seed of `Math.random` (the same seed gives the same numbers).
    pub seed: u32,
    /// Add a `render` event (the page's render tree) after each settle (`--render`).
    pub render: bool,
    /// The clock that stamps consent events (`at`): the host's wall clock by default. The
    /// program's virtual clock never reaches the log.
    pub stamp: fn() -> i64,
    /// Keep at most this many characters of a logged value or a `setData` patch in the
    /// transcript (`None`: all of it). The explorer clips: a path's findings need to know that
    /// the program logged or changed something, not every byte of it.
    pub clip: Option<usize>,
    /// The base library of the run (`--base-lib`, else project.config.json's `libVersion`);
    /// `None`: the profile's. APIs newer than it
    /// are absent from `wx` and `wx.canIUse` answers for it.
    pub base_lib: Option<(u16, u16, u16)>,
    /// The phone `getSystemInfo` reports and selector queries measure against.
    pub device: crate::Device,
    /// Keep the final page for drawing ([`RunOutcome::screen`]).
    pub screen: bool,
}

impl RunConfig {
    /// Defaults for a project: its profile, user `default`, channel develop, no taps.
    pub fn new(project: &Project) -> RunConfig {
        RunConfig {
            page: None,
            query: None,
            taps: Vec::new(),
            profile: project.profile(),
            user: "default".into(),
            channel: Channel::Develop,
            initial: Vec::new(),
            system: SystemSwitches::default(),
            location: (23.129_163, 113.264_435),
            limits: Limits::default(),
            now_ms: DEFAULT_NOW_MS,
            seed: DEFAULT_SEED,
            render: false,
            stamp: miniperm_consent::now_ms,
            clip: None,
            base_lib: project.lib_version(),
            device: crate::Device::default(),
            screen: false,
        }
    }

    /// The run's base library: [`RunConfig::base_lib`], else the profile's.
    pub fn effective_base_lib(&self) -> (u16, u16, u16) {
        self.base_lib.unwrap_or({
            let b = self.profile.base_lib;
            (b.0, b.1, b.2)
        })
    }
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub events: Vec<Event>,
    pub end: EndReason,
    /// The consent facts the run observed, in order (what the explorer branches on).
    pub observations: Vec<crate::event::Observation>,
    /// With `render`: a selector for each element a user could tap on the final page.
    pub tappable: Vec<String>,
    /// With `screen`: the final page as the simulator and the HTML report draw it
    /// (`host/screen.rs` documents the shape).
    pub screen: Option<serde_json::Value>,
}

/// Why a run could not be carried out (bad input or a store failure); never a JS error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("page `{0}` is not in app.json")]
    NoSuchPage(String),
    #[error("page `{route}` has no method `{handler}` to tap{hint}")]
    NoHandler {
        route: String,
        handler: String,
        /// What is tappable instead, when the page renders (`; tappable: …`).
        hint: String,
    },
    #[error("page `{route}` has no `<button open-type=\"{open_type}\">`")]
    NoButton { route: String, open_type: String },
    #[error("nothing visible on page `{route}` matches `{selector}`; tappable: {tappable}")]
    NotVisible {
        selector: String,
        route: String,
        tappable: String,
    },
    #[error("bad selector `{selector}`: {reason}")]
    BadSelector { selector: String, reason: String },
    #[error("answer `{answer}` does not fit {ui}")]
    AnswerMismatch { answer: String, ui: String },
    #[error("answer `{answer}`: {reason}")]
    BadSetting { answer: String, reason: String },
    #[error("scope `{0}` cannot be set as a starting state")]
    BadInitial(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the javascript engine failed: {0}")]
    Engine(String),
}

impl RunError {
    /// True when the caller's input is at fault (CLI exit code 2).
    pub fn is_bad_input(&self) -> bool {
        match self {
            RunError::Store(e) => e.is_bad_input(),
            RunError::Engine(_) => false,
            _ => true,
        }
    }
}

enum Halt {
    End(EndReason, Option<String>),
    Fail(RunError),
    /// The user suspended the run at a UI (the explorer branches there): the driver's stack
    /// unwinds to `drive`, which keeps what resuming needs.
    Suspend(Box<uiqueue::Asking>),
}

impl From<StoreError> for Halt {
    fn from(e: StoreError) -> Halt {
        Halt::Fail(RunError::Store(e))
    }
}

impl From<rquickjs::Error> for Halt {
    fn from(e: rquickjs::Error) -> Halt {
        Halt::Fail(RunError::Engine(e.to_string()))
    }
}

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
    engine
        .drive(project, cfg, start, store, user, None, false)
        .and_then(Drove::done)
}

/// How a driver's run stopped.
enum Halted {
    /// It ended: with a reason, or `None` (idle, or `error` after an uncaught error).
    End(Option<(EndReason, Option<String>)>),
    /// A user asked to stop at a UI (a pausable run).
    Paused(Box<DriverState>),
}

/// How a drive ended: the run's outcome, or suspended at a UI to be resumed.
pub(crate) enum Drove {
    Done(RunOutcome),
    Paused(Box<Paused>),
}

impl Drove {
    /// The outcome of a drive that cannot pause (a pause there is a bug: it is reported as
    /// the engine's failure, never as a panic).
    fn done(self) -> Result<RunOutcome, RunError> {
        match self {
            Drove::Done(o) => Ok(o),
            Drove::Paused(_) => Err(RunError::Engine("a run paused that may not pause".into())),
        }
    }
}

/// A run suspended at a UI, shown and not answered: the host's Rust state at that point (the
/// JS heap is the zygote checkpoint the caller keeps beside it).
#[derive(Clone)]
pub(crate) struct Paused {
    driver: DriverState,
    shared: Shared,
    wrote_initial: bool,
    appid: String,
}

impl Paused {
    /// The UI the run waits at.
    pub(crate) fn ui(&self) -> &crate::user::UiRequest {
        &self.driver.asking.ui
    }

    pub(crate) fn observations(&self) -> &[crate::event::Observation] {
        &self.shared.observations
    }

    pub(crate) fn transcript_len(&self) -> usize {
        self.shared.events.len()
    }
}

/// What a run starts from, besides the engine: the first page, the app, the consent state after
/// the starting states were written.
pub(crate) struct Start {
    route: String,
    appid: String,
    state: miniperm_core::AppState,
    wrote_initial: bool,
}

impl Start {
    /// The page the run opens.
    pub(crate) fn route(&self) -> &str {
        &self.route
    }
}

/// What a run on a restored engine does first inside its `ctx.with`, on the running thread
/// (the zygote's `update_stack_top`); a fresh runtime needs nothing.
pub(crate) type Enter = fn(&Ctx<'_>);

/// The most source a zygote evaluates ahead of its runs (see [`Engine::preload`]).
const PRELOAD_BYTES: usize = 2 * 1024 * 1024;

/// One QuickJS runtime and context with the prelude, the deadline guards and the host's
/// functions installed, ready for [`Engine::drive`]: built per run (the fresh path) or once per
/// zygote, whose snapshot is taken right after [`Engine::build`] and [`Engine::preload`].
///
/// Field order is drop order: the saved values (`pins`, `h`) before the context, the context
/// before the runtime.
pub(crate) struct Engine {
    /// Every host function object (the `N.*` functions and the guards' check), held so that no
    /// path can free one (see `zygote`: the Rust closure behind it must outlive every restore).
    _pins: Vec<rquickjs::Persistent<rquickjs::Function<'static>>>,
    /// The prelude's host entry points (`launch`, `open`, `tap`, …).
    h: rquickjs::Persistent<rquickjs::Object<'static>>,
    ctx: Context,
    pub(crate) rt: Runtime,
    shared: Rc<RefCell<Shared>>,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
    stop: Rc<Cell<bool>>,
    /// Set by the allocator when it refused a request (the memory cap, see `heap`).
    refused: crate::heap::Refused,
    /// The run's memory cap (the host's share of it is counted in `Shared`).
    host_cap: usize,
    now_ms: i64,
}

impl Engine {
    /// Sets `rt`'s limits and handlers, creates the context and installs the guards, the host
    /// functions and the prelude (which reads the clock's start from `cfg.now_ms`). `rt`'s
    /// allocator enforces the memory cap and sets `refused` when it refuses (QuickJS's own
    /// limit stays off: its refusals reach only the program).
    pub(crate) fn build(
        rt: Runtime,
        project: &Project,
        cfg: &RunConfig,
        route: &str,
        refused: crate::heap::Refused,
    ) -> Result<Engine, RunError> {
        rt.set_max_stack_size(512 * 1024);
        // Collect only when a run has really grown: a short run then never pays for a GC pass.
        rt.set_gc_threshold(cfg.limits.memory_bytes.min(16 * 1024 * 1024) / 2);
        let deadline: Rc<Cell<Option<Instant>>> = Rc::new(Cell::new(None));
        let interrupted = Rc::new(Cell::new(false));
        let stop = Rc::new(Cell::new(false));
        {
            let deadline = deadline.clone();
            let interrupted = interrupted.clone();
            let stop = stop.clone();
            let refused = refused.clone();
            rt.set_interrupt_handler(Some(Box::new(move || {
                if interrupted.get() || stop.get() || refused.get() {
                    return true;
                }
                match deadline.get() {
                    Some(d) if Instant::now() >= d => {
                        interrupted.set(true);
                        true
                    }
                    _ => false,
                }
            })));
        }
        let shared = Rc::new(RefCell::new(Shared {
            now: cfg.now_ms,
            stop: stop.clone(),
            refused: refused.clone(),
            host_cap: cfg.limits.memory_bytes,
            ..Shared::default()
        }));
        {
            let sh = shared.clone();
            let p = project.clone();
            rt.set_host_promise_rejection_tracker(Some(Box::new(
                move |ctx: Ctx<'_>, _promise, reason, handled| {
                    if handled {
                        sh.borrow_mut().rejections.pop();
                    } else {
                        let r = Rejection::of(&ctx, &reason, &p);
                        sh.borrow_mut().rejected(r);
                    }
                },
            )));
        }
        let ctx = Context::full(&rt).map_err(|e| RunError::Engine(e.to_string()))?;
        let engine_err = |e: rquickjs::Error| RunError::Engine(e.to_string());
        let (h, pins) = ctx.with(|ctx| -> Result<_, RunError> {
            let expired =
                guard::install(&ctx, deadline.clone(), interrupted.clone()).map_err(engine_err)?;
            let flags = Flags {
                interrupted: interrupted.clone(),
                refused: refused.clone(),
            };
            let (h, n) =
                install(&ctx, project, cfg, &shared, route, flags).map_err(RunError::Engine)?;
            let mut pins = vec![rquickjs::Persistent::save(&ctx, expired)];
            for v in n.values::<rquickjs::Value>() {
                if let Some(f) = v.map_err(engine_err)?.into_function() {
                    pins.push(rquickjs::Persistent::save(&ctx, f));
                }
            }
            Ok((rquickjs::Persistent::save(&ctx, h), pins))
        })?;
        Ok(Engine {
            _pins: pins,
            h,
            ctx,
            rt,
            shared,
            deadline,
            interrupted,
            stop,
            refused,
            host_cap: cfg.limits.memory_bytes,
            now_ms: cfg.now_ms,
        })
    }

    /// Evaluates JS files' wrapper expressions `(function (require, module, …) {…})` once,
    /// keeping the functions for the loader (`h.preload`): app.js, then the pages, then the
    /// other files, while their sources total at most [`PRELOAD_BYTES`] (a larger snapshot
    /// costs every run its copy; files past it are evaluated when first required, as on the
    /// fresh path). Evaluating a wrapper runs none of the file's code: every file parsed as a
    /// whole program before it was wrapped (jsfront), so its text cannot close the wrapper early.
    pub(crate) fn preload(&self, project: &Project) -> Result<(), RunError> {
        let rank = |name: &str| {
            let stem = name.trim_end_matches(".js").trim_end_matches(".ts");
            if stem == "app" {
                0
            } else if project.pages().iter().any(|p| p == stem) {
                1
            } else {
                2
            }
        };
        let mut files: Vec<(&String, usize)> = project
            .inner
            .files
            .iter()
            .filter_map(|(k, s)| match s {
                crate::source::Source::Js(src) => Some((k, src.len())),
                crate::source::Source::Json(_) | crate::source::Source::Broken(_) => None,
            })
            .collect();
        files.sort_by(|a, b| (rank(a.0), a.0).cmp(&(rank(b.0), b.0)));
        let mut total = 0usize;
        let names: Vec<&String> = files
            .into_iter()
            .take_while(|(_, len)| {
                total += len;
                total <= PRELOAD_BYTES
            })
            .map(|(k, _)| k)
            .collect();
        self.ctx.with(|ctx| {
            let h = self
                .h
                .clone()
                .restore(&ctx)
                .map_err(|e| RunError::Engine(e.to_string()))?;
            let f: rquickjs::Function = h
                .get("preload")
                .map_err(|e| RunError::Engine(e.to_string()))?;
            for n in names {
                f.call::<_, ()>((n.as_str(),))
                    .map_err(|e| RunError::Engine(format!("preloading `{n}`: {e}")))?;
            }
            Ok(())
        })
    }

    /// True while nothing has touched the host's state since [`Engine::build`]: what a snapshot
    /// needs, so that [`Engine::reset`] gives every path the state a fresh run starts with.
    pub(crate) fn pristine(&self) -> bool {
        let s = self.shared.borrow();
        s.events.is_empty()
            && s.now == self.now_ms
            && !s.gesture
            && s.jobs.is_empty()
            && s.incoming.is_empty()
            && !s.privacy_listener
            && s.errors == 0
            && s.limit.is_none()
            && s.warned.is_empty()
            && s.rejections.is_empty()
            && !s.dirty
            && s.tree.is_none()
            && s.cameras.is_empty()
            && s.host_bytes == 0
            && !s.wrote
            && !self.stop.get()
            && !self.interrupted.get()
            && !self.refused.get()
            && self.deadline.get().is_none()
    }

    /// Runs `f` in the engine's context from the calling thread (a zygote about to be dropped
    /// on a thread other than its last run's sets the stack top).
    pub(crate) fn enter(&self, f: Enter) {
        self.ctx.with(|ctx| f(&ctx));
    }

    /// The host's state as [`Engine::build`] left it (after a zygote restore).
    pub(crate) fn reset(&self) {
        self.stop.set(false);
        self.interrupted.set(false);
        self.refused.clear();
        self.deadline.set(None);
        *self.shared.borrow_mut() = Shared {
            now: self.now_ms,
            stop: self.stop.clone(),
            refused: self.refused.clone(),
            host_cap: self.host_cap,
            ..Shared::default()
        };
    }

    /// Launches the app on `start`, opens the page, dispatches each tap and runs to idle.
    /// `restored`: the engine's memory was just restored from a snapshot; what to do first
    /// inside the run's context (set the stack top again, from here). `pausable`: a user that
    /// asks to stop at a UI gets the run suspended there ([`Drove::Paused`]); otherwise it ends
    /// there, awaiting an answer.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn drive(
        &self,
        project: &Project,
        cfg: &RunConfig,
        start: Start,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
        restored: Option<Enter>,
        pausable: bool,
    ) -> Result<Drove, RunError> {
        let Start {
            route,
            appid,
            state,
            wrote_initial,
        } = start;
        {
            let mut s = self.shared.borrow_mut();
            s.state = state;
            s.events.insert(
                0,
                Event::Launch {
                    appid: appid.to_string(),
                    profile: cfg.profile.name.clone(),
                    user: cfg.user.clone(),
                },
            );
        }
        self.drive_with(
            project,
            cfg,
            &appid,
            wrote_initial,
            store,
            user,
            restored,
            pausable,
            move |d| d.go(&route),
        )
    }

    /// Goes on with a run suspended at a UI ([`Drove::Paused`]), on the memory it had then (a
    /// zygote's checkpoint, restored by the caller, which `restored` runs first as in
    /// [`Engine::drive`]), with `answer` to that UI.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn resume(
        &self,
        project: &Project,
        cfg: &RunConfig,
        paused: std::borrow::Cow<'_, Paused>,
        answer: crate::user::UiAnswer,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
        restored: Enter,
        pausable: bool,
    ) -> Result<Drove, RunError> {
        self.reset();
        let Paused {
            driver: st,
            shared,
            wrote_initial,
            appid,
        } = paused.into_owned();
        *self.shared.borrow_mut() = shared;
        self.drive_with(
            project,
            cfg,
            &appid,
            wrote_initial,
            store,
            user,
            Some(restored),
            pausable,
            move |d| d.resume(st, answer),
        )
    }

    /// Runs `go` on a driver over this engine, then ends the run (or keeps it suspended).
    #[allow(clippy::too_many_arguments)]
    fn drive_with(
        &self,
        project: &Project,
        cfg: &RunConfig,
        appid: &str,
        wrote_initial: bool,
        store: &mut dyn ConsentStore,
        user: &mut dyn User,
        restored: Option<Enter>,
        pausable: bool,
        go: impl FnOnce(&mut Driver<'_, '_>) -> Result<(), Halt>,
    ) -> Result<Drove, RunError> {
        let shared = &self.shared;
        let mut screen = None;
        let result: Result<Halted, RunError> = self.ctx.with(|ctx| {
            if let Some(enter) = restored {
                enter(&ctx);
            }
            let h = self
                .h
                .clone()
                .restore(&ctx)
                .map_err(|e| RunError::Engine(e.to_string()))?;
            let mut d = Driver {
                ctx: ctx.clone(),
                h,
                sh: shared.clone(),
                project,
                cfg,
                store,
                user,
                uiq: VecDeque::new(),
                deadline: self.deadline.clone(),
                interrupted: self.interrupted.clone(),
                refused: self.refused.clone(),
                instant: (i64::MIN, 0),
                appid: appid.to_string(),
                settling: (0, 0),
                tap_at: None,
            };
            let went = go(&mut d);
            if let Err(Halt::Suspend(asking)) = went {
                return Ok(if pausable {
                    Halted::Paused(Box::new(d.state_at(*asking)))
                } else {
                    let ui = asking.ui.kind().to_string();
                    Halted::End(Some((EndReason::AwaitingAnswer, Some(ui))))
                });
            }
            if cfg.screen {
                screen = d.screen();
            }
            match went {
                Ok(()) => Ok(Halted::End(None)),
                Err(Halt::End(r, ui)) => Ok(Halted::End(Some((r, ui)))),
                // Consent is already stored: bad input now cannot be "nothing was written" (exit
                // 2). The transcript says what happened, and the run ends `bad-input` (exit 1).
                Err(Halt::Fail(e))
                    if e.is_bad_input() && (wrote_initial || shared.borrow().wrote) =>
                {
                    shared.borrow_mut().push(Event::Warning {
                        code: "bad-input".into(),
                        message: e.to_string(),
                        at: None,
                        failure: None,
                    });
                    Ok(Halted::End(Some((EndReason::BadInput, None))))
                }
                // The host's own call into the engine failed for want of memory: the cap.
                Err(Halt::Fail(RunError::Engine(_))) if self.refused.get() => {
                    shared
                        .borrow_mut()
                        .warn("limit", "the run went over its memory limit".into());
                    Ok(Halted::End(Some((EndReason::Limit, None))))
                }
                Err(Halt::Fail(e)) => Err(e),
                Err(Halt::Suspend(_)) => Ok(Halted::End(None)),
            }
        });
        let halted = match result? {
            Halted::Paused(driver) => {
                self.deadline.set(None);
                return Ok(Drove::Paused(Box::new(Paused {
                    driver: *driver,
                    shared: shared.borrow().clone(),
                    wrote_initial,
                    appid: appid.to_string(),
                })));
            }
            Halted::End(h) => h,
        };
        let mut sh = shared.borrow_mut();
        let (end, ui) = match halted {
            Some(x) => x,
            None if sh.errors > 0 => (EndReason::Error, None),
            None => (EndReason::Idle, None),
        };
        sh.events.push(Event::End { reason: end, ui });
        let events = std::mem::take(&mut sh.events);
        let observations = std::mem::take(&mut sh.observations);
        let tappable = match (&sh.tree, cfg.render) {
            (Some(t), true) => miniperm_wxml::tappable(t),
            _ => Vec::new(),
        };
        Ok(Drove::Done(RunOutcome {
            events,
            end,
            observations,
            tappable,
            screen,
        }))
    }
}
