//! One QuickJS runtime and context ready to run the project ([`Engine`]), how a drive ends
//! ([`Drove`]) and a run suspended at a UI ([`Paused`]).

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::Instant;

use miniperm_consent::ConsentStore;
use rquickjs::{Context, Ctx, Runtime};

use crate::event::{EndReason, Event};
use crate::project::Project;
use crate::user::User;

use super::bridge::{Flags, install};
use super::config::RunConfig;
use super::driver::{Driver, DriverState};
use super::guard;
use super::outcome::{Halt, RunError, RunOutcome};
use super::shared::{Rejection, Shared};

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
    pub(super) fn done(self) -> Result<RunOutcome, RunError> {
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
        &self.shared.record.observations
    }

    pub(crate) fn transcript_len(&self) -> usize {
        self.shared.record.events.len()
    }
}

/// What a run starts from, besides the engine: the first page, the app, the consent state after
/// the starting states were written.
pub(crate) struct Start {
    pub(super) route: String,
    pub(super) appid: String,
    pub(super) state: miniperm_core::AppState,
    pub(super) wrote_initial: bool,
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
        let shared = Rc::new(RefCell::new(Shared::new(
            cfg.now_ms,
            stop.clone(),
            refused.clone(),
            cfg.limits.memory_bytes,
        )));
        {
            let sh = shared.clone();
            let p = project.clone();
            rt.set_host_promise_rejection_tracker(Some(Box::new(
                move |ctx: Ctx<'_>, _promise, reason, handled| {
                    if handled {
                        sh.borrow_mut().record.rejections.pop();
                    } else {
                        let r = Rejection::of(&ctx, &reason, &p);
                        sh.borrow_mut().record.rejected(r);
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
        s.record.events.is_empty()
            && s.clock.now == self.now_ms
            && !s.clock.gesture
            && s.queues.jobs.is_empty()
            && s.queues.incoming.is_empty()
            && !s.consent.privacy_listener
            && s.record.errors == 0
            && s.record.limit.is_none()
            && s.record.warned.is_empty()
            && s.record.rejections.is_empty()
            && !s.page.dirty
            && !s.page.stale
            && s.page.tree.is_none()
            && s.page.cameras.is_empty()
            && s.record.host_bytes == 0
            && !s.consent.wrote
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
        *self.shared.borrow_mut() = Shared::new(
            self.now_ms,
            self.stop.clone(),
            self.refused.clone(),
            self.host_cap,
        );
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
            s.consent.state = state;
            s.record.events.push_front(Event::Launch {
                appid: appid.to_string(),
                profile: cfg.profile.name.clone(),
                user: cfg.user.clone(),
            });
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
                    if e.is_bad_input() && (wrote_initial || shared.borrow().consent.wrote) =>
                {
                    shared.borrow_mut().record.push(Event::Warning {
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
                        .record
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
                // The engine's state moves into the pause (every resume and run starts with
                // `reset`), its transcript frozen: each answer's run shares it.
                let mut state = std::mem::take(&mut *shared.borrow_mut());
                state.record.events.freeze();
                return Ok(Drove::Paused(Box::new(Paused {
                    driver: *driver,
                    shared: state,
                    wrote_initial,
                    appid: appid.to_string(),
                })));
            }
            Halted::End(h) => h,
        };
        let mut sh = shared.borrow_mut();
        let (end, ui) = match halted {
            Some(x) => x,
            None if sh.record.errors > 0 => (EndReason::Error, None),
            None => (EndReason::Idle, None),
        };
        sh.record.events.push(Event::End { reason: end, ui });
        let events = std::mem::take(&mut sh.record.events);
        let observations = std::mem::take(&mut sh.record.observations);
        let tappable = match (&sh.page.tree, cfg.render) {
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
