//! The driver loop: launch, taps, run to idle (microtasks, API calls, results, timers, the
//! native-UI queue), limits, commits to the store.

use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::rc::Rc;
use std::time::{Duration, Instant};

use miniperm_consent::ConsentStore;
use miniperm_core::{AppState, Change, ConsentEvent, Env, EventMeta};
use rquickjs::function::IntoArgs;
use rquickjs::{CatchResultExt, Ctx, Function, Object};
use serde_json::{Value as Json, json};

use crate::event::{EndReason, Event};
use crate::project::{Project, parse_query};
use crate::user::{UiAnswer, User};

use super::config::RunConfig;
use super::js::record_caught;
use super::outcome::{Halt, RunError};
use super::payload::fail_res;
use super::pending::{Asking, Pending, Target};
use super::shared::{Job, Shared};

/// Virtual time between the end of one dispatch and the next tap.
pub(super) const TAP_GAP_MS: i64 = 1000;

/// How long periodic timers keep ticking, in virtual time, once nothing else happens (see
/// [`Driver::settle`]).
pub(super) const TICK_WINDOW_MS: i64 = 5_000;
/// Timer firings one settle makes at most before the page is called idle anyway (ticking that
/// escaped the periodic mark, e.g. through a promise chain); not a limit: the clock moved.
pub(super) const MAX_SETTLE_FIRES: u32 = 20_000;

pub(super) struct Driver<'a, 'js> {
    pub(super) ctx: Ctx<'js>,
    pub(super) h: Object<'js>,
    pub(super) sh: Rc<RefCell<Shared>>,
    pub(super) project: &'a Project,
    pub(super) cfg: &'a RunConfig,
    pub(super) store: &'a mut dyn ConsentStore,
    pub(super) user: &'a mut dyn User,
    pub(super) uiq: VecDeque<Pending>,
    pub(super) deadline: Rc<Cell<Option<Instant>>>,
    pub(super) interrupted: Rc<Cell<bool>>,
    /// Set by the allocator when it refused a request: the memory cap was hit, even if the
    /// program caught the error.
    pub(super) refused: crate::heap::Refused,
    /// The virtual time of the last timer firing and how many fired at that instant.
    pub(super) instant: (i64, u32),
    pub(super) appid: String,
    /// Where the settle under way stands: the virtual time of the last one-shot activity (the
    /// periodic timers' window starts there) and the timer firings so far.
    pub(super) settling: (i64, u32),
    /// The `--tap` being dispatched (`None`: the launch and the first page).
    pub(super) tap_at: Option<usize>,
}

/// Where a driver stands when a run is suspended at a UI: with the host's shared state and the
/// JS heap (a zygote's checkpoint), what resuming it takes.
#[derive(Clone)]
pub(crate) struct DriverState {
    pub(super) asking: Asking,
    pub(super) uiq: VecDeque<Pending>,
    pub(super) instant: (i64, u32),
    pub(super) settling: (i64, u32),
    pub(super) tap_at: Option<usize>,
}

pub(super) fn tap_event(ty: &str, id: &str, dataset: Json, detail: Json) -> Json {
    let target = json!({"id": id, "dataset": dataset, "offsetLeft": 0, "offsetTop": 0});
    json!({
        "type": ty,
        "target": target,
        "currentTarget": target,
        "detail": detail,
        "touches": [],
        "changedTouches": [],
        "mark": {},
    })
}

/// The event a handler of an open-type button (or a component's event) gets: `tap_event`
/// with the target's id and dataset.
pub(super) fn open_event(ty: &str, t: &Target, detail: Json) -> Json {
    tap_event(ty, &t.id, t.dataset.clone(), detail)
}

impl<'js> Driver<'_, 'js> {
    pub(super) fn now(&self) -> i64 {
        self.sh.borrow().clock.now
    }

    pub(super) fn push(&self, ev: Event) {
        self.sh.borrow_mut().record.push(ev);
    }

    pub(super) fn state(&self) -> AppState {
        self.sh.borrow().consent.state
    }

    pub(super) fn env(&self) -> Env<'_> {
        Env {
            profile: &self.cfg.profile,
            manifest: self.project.manifest(),
            privacy_listener: self.sh.borrow().consent.privacy_listener,
            system: self.cfg.system,
        }
    }

    pub(super) fn arm(&mut self) {
        self.deadline.set(Some(
            Instant::now() + Duration::from_millis(self.cfg.limits.dispatch_ms),
        ));
    }

    pub(super) fn check(&self) -> Result<(), Halt> {
        if self.interrupted.get() {
            let ms = self.cfg.limits.dispatch_ms;
            self.sh.borrow_mut().record.warn(
                "limit",
                format!("a dispatch ran longer than {ms} ms and was interrupted"),
            );
            return Err(Halt::End(EndReason::Limit, None));
        }
        let limit = self.sh.borrow_mut().record.limit.take();
        if let Some(m) = limit {
            self.sh.borrow_mut().record.warn("limit", m);
            return Err(Halt::End(EndReason::Limit, None));
        }
        if self.refused.get() {
            self.sh
                .borrow_mut()
                .record
                .warn("limit", "the run went over its memory limit".into());
            return Err(Halt::End(EndReason::Limit, None));
        }
        Ok(())
    }

    /// Calls a host function of the prelude; a JS exception becomes an `error` event.
    pub(super) fn js<A: IntoArgs<'js>>(
        &mut self,
        name: &str,
        args: A,
    ) -> Result<rquickjs::Value<'js>, Halt> {
        let f: Function = self.h.get(name)?;
        let r = f.call::<A, rquickjs::Value>(args).catch(&self.ctx);
        self.check()?;
        match r {
            Ok(v) => Ok(v),
            Err(e) => {
                record_caught(&self.ctx, &self.sh, self.project, e)?;
                self.check()?;
                Ok(rquickjs::Value::new_undefined(self.ctx.clone()))
            }
        }
    }

    pub(super) fn with_gesture<A: IntoArgs<'js>>(
        &mut self,
        name: &str,
        args: A,
    ) -> Result<rquickjs::Value<'js>, Halt> {
        self.sh.borrow_mut().clock.gesture = true;
        let r = self.js(name, args);
        self.sh.borrow_mut().clock.gesture = false;
        r
    }

    pub(super) fn microtasks(&mut self) -> Result<(), Halt> {
        while self.ctx.execute_pending_job() {
            self.check()?;
        }
        self.check()?;
        let rej = std::mem::take(&mut self.sh.borrow_mut().record.rejections);
        for r in rej {
            // WeChat reports these to onUnhandledRejection; the run goes on.
            self.sh.borrow_mut().record.warn_failure(
                crate::event::warning::UNHANDLED_REJECTION,
                format!(
                    "a promise was rejected and nothing handles it: {}",
                    r.message
                ),
                r.at,
                r.failure,
            );
        }
        self.check()
    }

    pub(super) fn go(&mut self, route: &str) -> Result<(), Halt> {
        self.arm();
        self.tap_at = None;
        let query = self.cfg.query.clone().unwrap_or_default();
        let q = Json::Object(parse_query(&query)).to_string();
        let qv: rquickjs::Value = self.ctx.json_parse(q.clone())?;
        self.js("launch", (route.to_string(), qv))?;
        self.js("open", (route.to_string(), q))?;
        self.settle()?;
        self.taps_from(0)
    }

    /// Dispatches the `--tap`s from the `from`th on, each run to idle.
    fn taps_from(&mut self, from: usize) -> Result<(), Halt> {
        let taps = self.cfg.taps.clone();
        for (k, tap) in taps.iter().enumerate().skip(from) {
            self.tap_at = Some(k);
            // A user takes a moment between taps.
            self.sh.borrow_mut().clock.now += TAP_GAP_MS;
            self.arm();
            self.tap(tap)?;
            self.settle()?;
        }
        self.deadline.set(None);
        Ok(())
    }

    /// What suspending at `asking` leaves to resume from.
    pub(super) fn state_at(&mut self, asking: Asking) -> DriverState {
        DriverState {
            asking,
            uiq: std::mem::take(&mut self.uiq),
            instant: self.instant,
            settling: self.settling,
            tap_at: self.tap_at,
        }
    }

    /// Goes on from a suspended run with the user's answer to the UI it stopped at: the
    /// answer's effect, the rest of that settle, the remaining taps.
    pub(super) fn resume(&mut self, st: DriverState, answer: UiAnswer) -> Result<(), Halt> {
        self.uiq = st.uiq;
        self.instant = st.instant;
        self.settling = st.settling;
        self.tap_at = st.tap_at;
        self.arm();
        self.answered(st.asking, answer)?;
        self.settle_on()?;
        self.taps_from(self.tap_at.map_or(0, |k| k + 1))
    }

    pub(super) fn current_route(&mut self) -> Result<String, Halt> {
        let v = self.js("route", ())?;
        Ok(v.as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_default())
    }

    /// One `--tap`: a bare page-method name calls that method as a tap (as before); anything
    /// else is a selector on the rendered page (DESIGN: taps on what the user sees).
    pub(super) fn tap(&mut self, tap: &str) -> Result<(), Halt> {
        if let Some(done) = self.form_action(tap) {
            return done;
        }
        let route = self.current_route()?;
        let ident = !tap.is_empty()
            && tap
                .chars()
                .all(|c| c.is_alphanumeric() || c == '_' || c == '$')
            && !tap.starts_with(|c: char| c.is_ascii_digit());
        if ident {
            let has: bool = {
                let v = self.js("hasHandler", (tap.to_string(),))?;
                v.as_bool().unwrap_or(false)
            };
            if has {
                let info = self.project.page_info(&route).cloned().unwrap_or_default();
                let target = info.taps.iter().find(|t| t.handler == tap);
                let dataset = target
                    .map(|t| json!(t.dataset))
                    .unwrap_or_else(|| json!({}));
                let id = target.map(|t| t.id.clone()).unwrap_or_default();
                let ev = tap_event("tap", &id, dataset, json!({"x": 0, "y": 0}));
                self.with_gesture("tap", (tap.to_string(), ev.to_string()))?;
                return Ok(());
            }
            if self.sh.borrow().record.errors > 0 {
                // The page threw while loading: that error is the story, not the missing method.
                self.sh.borrow_mut().record.warn(
                    "tap-skipped",
                    format!("`{tap}` was not tapped: page `{route}` has no such method after an uncaught error"),
                );
                return Ok(());
            }
            if !self.page_renders(&route) {
                return Err(Halt::Fail(RunError::NoHandler {
                    route,
                    handler: tap.to_string(),
                    hint: String::new(),
                }));
            }
            // Not a method: maybe a tag on the page (`--tap button`).
            return match self.tap_selector(tap) {
                Err(Halt::Fail(RunError::NotVisible {
                    route, tappable, ..
                })) => Err(Halt::Fail(RunError::NoHandler {
                    route,
                    handler: tap.to_string(),
                    hint: format!(" and nothing visible matches it; tappable: {tappable}"),
                })),
                other => other,
            };
        }
        if !self.page_renders(&route)
            && let Some(ot) = tap.strip_prefix("open-type=")
        {
            return Err(Halt::Fail(RunError::NoButton {
                route,
                open_type: ot.to_string(),
            }));
        }
        self.tap_selector(tap)
    }

    fn page_renders(&self, route: &str) -> bool {
        self.project
            .templates()
            .is_some_and(|t| t.get(&format!("{route}.wxml")).is_some())
    }

    /// One step of what is ready now: microtasks, then a call the program made, a delivered
    /// result or task, a re-render after a change. False when nothing was ready.
    fn step_ready(&mut self) -> Result<bool, Halt> {
        self.check()?;
        self.microtasks()?;
        let inc = self.sh.borrow_mut().queues.incoming.pop_front();
        if let Some(inc) = inc {
            self.incoming(inc)?;
            return Ok(true);
        }
        let job = self.sh.borrow_mut().queues.jobs.pop_front();
        if let Some(job) = job {
            self.job(job)?;
            return Ok(true);
        }
        Ok(false)
    }

    /// Runs what is ready now (microtasks, calls, results, renders) without timers and without
    /// taking the next native UI.
    pub(super) fn drain(&mut self) -> Result<(), Halt> {
        loop {
            if self.step_ready()? {
                continue;
            }
            if self.sh.borrow().page.dirty {
                self.render_settled()?;
                continue;
            }
            return Ok(());
        }
    }

    /// Runs to idle: microtasks, API calls, results, due timers, the next native UI, later
    /// timers on the virtual clock. A one-shot timer fires however far ahead it is; periodic
    /// ones (intervals, timers set by timer callbacks: an animation, a countdown) tick for
    /// [`TICK_WINDOW_MS`] of virtual time after the settle began or the last one-shot timer
    /// fired, and then the page is idle with them still set, as a user looking at it sees it
    /// (WeChat keeps ticking; the next tap's settle carries on).
    pub(super) fn settle(&mut self) -> Result<(), Halt> {
        self.settling = (self.now(), 0);
        self.settle_on()
    }

    /// The settle loop from where it stands (`settling`): a suspended run resumes here.
    fn settle_on(&mut self) -> Result<(), Halt> {
        loop {
            if self.step_ready()? {
                continue;
            }
            let next = self.js("nextTimer", ())?.as_number().unwrap_or(-1.0);
            let now = self.now();
            if next >= 0.0 && (next as i64) <= now {
                self.fire_timer()?;
                continue;
            }
            if self.sh.borrow().page.dirty {
                self.render_settled()?;
                continue;
            }
            if let Some(p) = self.uiq.pop_front() {
                self.head(p)?;
                continue;
            }
            if next >= 0.0 && self.settling.1 < MAX_SETTLE_FIRES {
                let at = next as i64;
                let periodic = self.js("nextPeriodic", ())?.as_bool().unwrap_or(false);
                let active = self.settling.0;
                if !periodic || at <= active.saturating_add(TICK_WINDOW_MS) {
                    if !periodic {
                        self.settling.0 = active.max(at);
                    }
                    self.sh.borrow_mut().clock.now = at;
                    self.fire_timer()?;
                    continue;
                }
            }
            return self.emit_render();
        }
    }

    /// Fires the earliest timer. More than `max_timer_fires` firings without the virtual clock
    /// moving is a runaway (a timer that re-arms itself with no delay): the run ends `limit`.
    pub(super) fn fire_timer(&mut self) -> Result<(), Halt> {
        self.settling.1 += 1;
        let now = self.now();
        if self.instant.0 == now {
            self.instant.1 += 1;
        } else {
            self.instant = (now, 1);
        }
        if self.instant.1 > self.cfg.limits.max_timer_fires {
            let n = self.cfg.limits.max_timer_fires;
            self.sh.borrow_mut().record.warn(
                "limit",
                format!(
                    "more than {n} timer firings at one instant of virtual time (a timer that re-arms itself with no delay)"
                ),
            );
            return Err(Halt::End(EndReason::Limit, None));
        }
        self.js("fireTimer", ())?;
        Ok(())
    }

    pub(super) fn job(&mut self, job: Job) -> Result<(), Halt> {
        match job {
            Job::Deliver {
                id,
                ok,
                res,
                gesture,
                failure,
            } => {
                let failure = failure
                    .and_then(|f| serde_json::to_value(f).ok())
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default();
                if gesture {
                    self.with_gesture("deliver", (id, ok, res.to_string(), failure))?;
                } else {
                    self.js("deliver", (id, ok, res.to_string(), failure))?;
                }
            }
            Job::Task(id) => {
                self.js("task", (id,))?;
            }
            Job::Handler { owner, name, event } => {
                self.invoke(&owner, &name, event)?;
            }
            Job::Location(res) => {
                self.js("location", (res.to_string(),))?;
            }
        }
        Ok(())
    }

    pub(super) fn deliver(&self, id: u32, ok: bool, res: Json, gesture: bool) {
        self.sh.borrow_mut().queues.jobs.push_back(Job::Deliver {
            id,
            ok,
            res,
            gesture,
            failure: None,
        });
    }

    /// Fails call `id` as the engine decided (`f`, spelled by the profile for `api`); the
    /// typed failure travels with the result into the transcript's callback event.
    pub(super) fn deliver_fail(&self, id: u32, f: miniperm_core::Fail, api: &str, gesture: bool) {
        self.sh.borrow_mut().queues.jobs.push_back(Job::Deliver {
            id,
            ok: false,
            res: fail_res(f, &self.cfg.profile, api),
            gesture,
            failure: Some(f),
        });
    }

    /// Records the consent facts a decision consulted.
    pub(super) fn consulted(&self, d: &miniperm_core::Decision, req: &miniperm_core::Request) {
        let state = self.state();
        let mut sh = self.sh.borrow_mut();
        for s in d.consulted(req) {
            sh.record
                .observe(s, state.value(s), crate::event::Observed::Consulted);
        }
    }

    pub(super) fn meta(&self) -> EventMeta {
        EventMeta {
            // The log's time is the host's clock, never the program's virtual clock.
            at: (self.cfg.stamp)(),
            user: self.cfg.user.clone(),
            app: self.appid.clone(),
            channel: self.cfg.channel,
            profile: self.cfg.profile.name.clone(),
        }
    }

    /// Appends changes to the store before anything in JS sees their effect.
    pub(super) fn commit(&mut self, changes: Vec<Change>) -> Result<(), Halt> {
        if changes.is_empty() {
            return Ok(());
        }
        let meta = self.meta();
        let evs = changes
            .into_iter()
            .map(|c| ConsentEvent::new(&meta, c))
            .collect();
        let stored = self.store.append(evs)?;
        let mut sh = self.sh.borrow_mut();
        sh.consent.wrote = true;
        let now = sh.clock.now;
        for e in &stored {
            // Inside the run, time is virtual (R28's privacy gap counts on it).
            sh.consent.state.apply_change(e.scope, e.to, e.via, now);
        }
        Ok(())
    }
}
