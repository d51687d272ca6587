//! One run: a fresh QuickJS runtime, the prelude, the app and its first page, then each tap run
//! to idle. Rust owns the order of everything asynchronous (API results, timers, native UIs);
//! the JS side only registers callbacks and reports events.

use std::cell::{Cell, RefCell};
use std::collections::{HashSet, VecDeque};
use std::rc::Rc;
use std::time::{Duration, Instant};

use miniperm_core::{
    Answer, Api, AppState, Ask, Change, Channel, ConsentEvent, Env, EventMeta, Fail, Outcome,
    Profile, Request, SettingsPage, Subject, SystemSwitches, Then, Value, Via, apply_settings,
    decide, resolve, setting_result,
};
use miniperm_store::{ConsentStore, StoreError};
use rquickjs::function::IntoArgs;
use rquickjs::{CatchResultExt, CaughtError, Context, Ctx, Function, Object, Runtime};
use serde_json::{Map, Value as Json, json};

use crate::event::{EndReason, Event};
use crate::project::{Project, Source, parse_query};
use crate::user::{PrivacySource, UiAnswer, UiRequest, User};

/// Virtual time between the end of one dispatch and the next tap.
const TAP_GAP_MS: i64 = 1000;

/// Per-run limits (issue 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Wall time one dispatch (launch, a tap) may take, run to idle included.
    pub dispatch_ms: u64,
    /// The JS heap cap of one run.
    pub memory_bytes: usize,
    /// Timer firings per dispatch before the run ends with `limit` (a runaway `setInterval`).
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
    /// The virtual clock's start, in ms.
    pub now_ms: i64,
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
            now_ms: 1_767_225_600_000,
        }
    }
}

/// A finished run.
#[derive(Debug, Clone)]
pub struct RunOutcome {
    pub events: Vec<Event>,
    pub end: EndReason,
    /// 0 idle or awaiting an answer, 1 an uncaught error in mini-program code or a limit.
    pub exit_code: i32,
}

/// Why a run could not be carried out (bad input or a store failure); never a JS error.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("page `{0}` is not in app.json")]
    NoSuchPage(String),
    #[error("page `{route}` has no method `{handler}` to tap")]
    NoHandler { route: String, handler: String },
    #[error("page `{route}` has no `<button open-type=\"{open_type}\">`")]
    NoButton { route: String, open_type: String },
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

enum Job {
    Deliver {
        id: u32,
        ok: bool,
        res: Json,
        gesture: bool,
    },
    Task(u32),
    Handler {
        name: String,
        event: Json,
    },
    Location(Json),
}

struct Incoming {
    id: u32,
    api: String,
    args: Json,
    gesture: bool,
}

#[derive(Default)]
struct Shared {
    events: Vec<Event>,
    now: i64,
    gesture: bool,
    jobs: VecDeque<Job>,
    incoming: VecDeque<Incoming>,
    privacy_listener: bool,
    state: AppState,
    errors: u32,
    limit: Option<String>,
    warned: HashSet<String>,
    rejections: Vec<String>,
    /// Set with `limit`: the interrupt handler then stops the JS that is running.
    stop: Rc<Cell<bool>>,
}

/// Caps on what a run may pile up on the Rust side (the JS heap has its own cap).
const MAX_EVENTS: usize = 200_000;
const MAX_QUEUED: usize = 100_000;

impl Shared {
    /// Records an event; past the cap the run is ended with `limit`.
    fn push(&mut self, ev: Event) {
        if self.events.len() >= MAX_EVENTS {
            if self.limit.is_none() {
                self.limit = Some(format!("the run produced more than {MAX_EVENTS} events"));
                self.stop.set(true);
            }
            return;
        }
        self.events.push(ev);
    }

    fn queue_full(&mut self) -> bool {
        let full = self.incoming.len() + self.jobs.len() >= MAX_QUEUED;
        if full && self.limit.is_none() {
            self.limit = Some(format!(
                "more than {MAX_QUEUED} api calls and results waiting at once"
            ));
            self.stop.set(true);
        }
        full
    }

    fn warn(&mut self, code: &str, message: String) {
        if self.warned.insert(format!("{code}\u{0}{message}")) {
            self.push(Event::Warning {
                code: code.to_string(),
                message,
            });
        }
    }

    fn error(&mut self, message: String, stack: String) {
        if message.contains("out of memory") {
            self.limit = Some("the run went over its memory limit".into());
            self.stop.set(true);
            return;
        }
        self.errors += 1;
        self.push(Event::Error { message, stack });
    }
}

enum Pending {
    Engine {
        id: u32,
        api: String,
        req: Request,
        picker: bool,
        args: Json,
    },
    Settings {
        id: Option<u32>,
        button: Option<String>,
        with_subscriptions: bool,
    },
    Modal {
        id: u32,
        ui: UiRequest,
    },
    Sheet {
        id: u32,
        ui: UiRequest,
    },
}

fn is_picker(api: &str) -> bool {
    matches!(
        api,
        "chooseLocation"
            | "choosePoi"
            | "chooseAddress"
            | "chooseImage"
            | "chooseMedia"
            | "chooseInvoiceTitle"
            | "chooseInvoice"
    )
}

/// Runs a project once: launch, open the page, dispatch each tap, run to idle after each.
pub fn run(
    project: &Project,
    cfg: &RunConfig,
    store: &mut dyn ConsentStore,
    user: &mut dyn User,
) -> Result<RunOutcome, RunError> {
    let route = match &cfg.page {
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
    };
    let appid = project.appid().to_string();
    let mut state = store.state(&cfg.user, &appid)?;
    if !cfg.initial.is_empty() {
        let meta = EventMeta {
            at: cfg.now_ms,
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
            evs.push(ConsentEvent::new(
                &meta,
                Change {
                    subject: *subject,
                    from,
                    to: *to,
                    via: Via::Host,
                    gesture: false,
                    api: None,
                    notice: None,
                },
            ));
        }
        for e in store.append(evs)? {
            state.apply(&e);
        }
    }

    let rt = Runtime::new().map_err(|e| RunError::Engine(e.to_string()))?;
    rt.set_memory_limit(cfg.limits.memory_bytes);
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
        rt.set_interrupt_handler(Some(Box::new(move || {
            if interrupted.get() || stop.get() {
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
        state,
        stop,
        ..Shared::default()
    }));
    {
        let sh = shared.clone();
        rt.set_host_promise_rejection_tracker(Some(Box::new(
            move |ctx: Ctx<'_>, _promise, reason, handled| {
                let mut s = sh.borrow_mut();
                if handled {
                    s.rejections.pop();
                } else {
                    let (m, _) = describe_value(&ctx, &reason);
                    s.rejections.push(m);
                }
            },
        )));
    }
    let ctx = Context::full(&rt).map_err(|e| RunError::Engine(e.to_string()))?;
    shared.borrow_mut().events.push(Event::Launch {
        appid: appid.clone(),
        profile: cfg.profile.name.clone(),
        user: cfg.user.clone(),
    });

    let result: Result<Option<(EndReason, Option<String>)>, RunError> = ctx.with(|ctx| {
        let h = match install(&ctx, project, cfg, &shared, &route) {
            Ok(h) => h,
            Err(e) => return Err(RunError::Engine(e)),
        };
        let mut d = Driver {
            ctx: ctx.clone(),
            h,
            sh: shared.clone(),
            project,
            cfg,
            store,
            user,
            uiq: VecDeque::new(),
            deadline: deadline.clone(),
            interrupted: interrupted.clone(),
            timer_fires: 0,
            appid: appid.clone(),
        };
        match d.go(&route) {
            Ok(()) => Ok(None),
            Err(Halt::End(r, ui)) => Ok(Some((r, ui))),
            Err(Halt::Fail(e)) => Err(e),
        }
    });
    let halted = result?;
    let mut sh = shared.borrow_mut();
    let (end, ui) = match halted {
        Some(x) => x,
        None if sh.errors > 0 => (EndReason::Error, None),
        None => (EndReason::Idle, None),
    };
    let exit_code = match end {
        EndReason::Idle | EndReason::AwaitingAnswer if sh.errors == 0 => 0,
        _ => 1,
    };
    sh.events.push(Event::End { reason: end, ui });
    let events = std::mem::take(&mut sh.events);
    Ok(RunOutcome {
        events,
        end,
        exit_code,
    })
}

fn describe_value<'js>(ctx: &Ctx<'js>, v: &rquickjs::Value<'js>) -> (String, String) {
    if let Some(o) = v.as_object() {
        let msg: Option<String> = o.get("message").ok();
        let name: Option<String> = o.get("name").ok();
        let stack: Option<String> = o.get("stack").ok();
        if let Some(m) = msg {
            let m = match name {
                Some(n) if !n.is_empty() => format!("{n}: {m}"),
                _ => m,
            };
            return (m, stack.unwrap_or_default());
        }
    }
    let s = ctx
        .json_stringify(v.clone())
        .ok()
        .flatten()
        .and_then(|s| s.to_string().ok())
        .unwrap_or_else(|| "undefined".into());
    (s, String::new())
}

fn install<'js>(
    ctx: &Ctx<'js>,
    project: &Project,
    cfg: &RunConfig,
    shared: &Rc<RefCell<Shared>>,
    first: &str,
) -> Result<Object<'js>, String> {
    let e = |e: rquickjs::Error| e.to_string();
    let n = Object::new(ctx.clone()).map_err(e)?;
    {
        let sh = shared.clone();
        n.set(
            "emit",
            Function::new(ctx.clone(), move |ty: String, json: String| {
                let mut fields: Json = serde_json::from_str(&json).unwrap_or(Json::Null);
                if let Json::Object(m) = &mut fields {
                    m.insert("type".into(), Json::String(ty));
                    if let Ok(ev) = serde_json::from_value::<Event>(fields) {
                        sh.borrow_mut().push(ev);
                    }
                }
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "call",
            Function::new(ctx.clone(), move |id: f64, api: String, json: String| {
                let args: Json = serde_json::from_str(&json).unwrap_or(Json::Null);
                let mut s = sh.borrow_mut();
                if s.queue_full() {
                    return;
                }
                let gesture = s.gesture;
                s.incoming.push_back(Incoming {
                    id: id as u32,
                    api,
                    args,
                    gesture,
                });
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "task",
            Function::new(ctx.clone(), move |id: f64| {
                let mut s = sh.borrow_mut();
                if !s.queue_full() {
                    s.jobs.push_back(Job::Task(id as u32));
                }
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "now",
            Function::new(ctx.clone(), move || sh.borrow().now as f64).map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let p = project.clone();
        n.set(
            "uncaught",
            Function::new(ctx.clone(), move |msg: String, stack: String| {
                sh.borrow_mut().error(msg, p.map_stack(&stack));
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "unsupported",
            Function::new(ctx.clone(), move |api: String| {
                let mut s = sh.borrow_mut();
                s.push(Event::Call {
                    api: api.clone(),
                    args: Json::Object(Map::new()),
                });
                s.warn(
                    "not-supported",
                    format!("wx.{api} is not supported by miniperm: it fails with `{api}:fail not supported`"),
                );
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "warn",
            Function::new(ctx.clone(), move |code: String, message: String| {
                sh.borrow_mut().warn(&code, message);
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        n.set(
            "privacyListener",
            Function::new(ctx.clone(), move |on: bool| {
                sh.borrow_mut().privacy_listener = on;
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let p = project.clone();
        n.set(
            "resolve",
            Function::new(ctx.clone(), move |from: String, spec: String| {
                p.resolve(&from, &spec).unwrap_or_default()
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let p = project.clone();
        n.set(
            "load",
            Function::new(
                ctx.clone(),
                move |ctx: Ctx<'js>, path: String| -> rquickjs::Result<rquickjs::Value<'js>> {
                    match p.inner.files.get(&path) {
                        Some(Source::Js(src)) => {
                            let mut opts = rquickjs::context::EvalOptions::default();
                            opts.global = true;
                            opts.strict = false;
                            opts.filename = Some(path.clone());
                            ctx.eval_with_options(src.as_str(), opts)
                        }
                        Some(Source::Json(t)) => {
                            rquickjs::String::from_str(ctx.clone(), t).map(|s| s.into_value())
                        }
                        None => Err(rquickjs::Exception::throw_reference(
                            &ctx,
                            &format!("module `{path}` is not defined"),
                        )),
                    }
                },
            )
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    {
        let sh = shared.clone();
        let manifest = project.manifest().clone();
        let profile = cfg.profile.clone();
        let system = cfg.system;
        n.set(
            "query",
            Function::new(ctx.clone(), move |name: String| {
                let s = sh.borrow();
                let v = match name.as_str() {
                    "privacySetting" => {
                        let (need, contract) = manifest.privacy_setting(&s.state);
                        json!({"needAuthorization": need, "privacyContractName": contract})
                    }
                    "appAuthorizeSetting" => {
                        let mut m = Map::new();
                        for p in miniperm_core::OsPermission::ALL {
                            m.insert(
                                p.authorize_setting_field().to_string(),
                                Json::String(s.state.os(p).os_str().to_string()),
                            );
                        }
                        m.insert("locationReducedAccuracy".into(), Json::Bool(false));
                        Json::Object(m)
                    }
                    "systemSetting" => json!({
                        "bluetoothEnabled": system.bluetooth_enabled,
                        "locationEnabled": system.location_enabled,
                        "wifiEnabled": system.wifi_enabled,
                        "deviceOrientation": "portrait",
                    }),
                    _ => {
                        let android = profile.name.contains("android");
                        let b = profile.base_lib;
                        json!({
                            "brand": if android { "Android" } else { "devtools" },
                            "model": if android { "Android Phone" } else { "iPhone 12/13 (Pro)" },
                            "platform": if android { "android" } else { "ios" },
                            "system": if android { "Android 14" } else { "iOS 17.0" },
                            "version": "8.0.50",
                            "SDKVersion": format!("{}.{}.{}", b.0, b.1, b.2),
                            "language": "zh_CN",
                            "pixelRatio": 3,
                            "screenWidth": 390, "screenHeight": 844,
                            "windowWidth": 390, "windowHeight": 844,
                            "statusBarHeight": 47,
                            "locationEnabled": system.location_enabled,
                            "bluetoothEnabled": system.bluetooth_enabled,
                            "wifiEnabled": system.wifi_enabled,
                        })
                    }
                };
                v.to_string()
            })
            .map_err(e)?,
        )
        .map_err(e)?;
    }
    let cfg_json = json!({
        "pages": project.pages(),
        "tabs": project.tab_pages(),
        "appid": project.appid(),
        "envVersion": cfg.channel.as_str(),
        "firstPage": first,
    });
    let cfg_obj: rquickjs::Value = ctx.json_parse(cfg_json.to_string()).map_err(e)?;
    let f: Function = match &project.inner.prelude {
        Some(bc) => crate::bytecode::load(ctx, bc),
        None => crate::bytecode::parse(ctx),
    }
    .map_err(e)?;
    let h: Object = f.call((n, cfg_obj)).map_err(e)?;
    Ok(h)
}

struct Driver<'a, 'js> {
    ctx: Ctx<'js>,
    h: Object<'js>,
    sh: Rc<RefCell<Shared>>,
    project: &'a Project,
    cfg: &'a RunConfig,
    store: &'a mut dyn ConsentStore,
    user: &'a mut dyn User,
    uiq: VecDeque<Pending>,
    deadline: Rc<Cell<Option<Instant>>>,
    interrupted: Rc<Cell<bool>>,
    timer_fires: u32,
    appid: String,
}

fn fail_res(f: Fail, profile: &Profile, api: &str) -> Json {
    let mut m = Map::new();
    m.insert("errMsg".into(), Json::String(f.err_msg(profile, api)));
    if let Some(n) = f.errno(profile) {
        m.insert("errno".into(), json!(n));
    }
    Json::Object(m)
}

fn ok_res(api: &str) -> Map<String, Json> {
    let mut m = Map::new();
    m.insert("errMsg".into(), Json::String(format!("{api}:ok")));
    m
}

fn tap_event(ty: &str, id: &str, dataset: Json, detail: Json) -> Json {
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

impl<'js> Driver<'_, 'js> {
    fn now(&self) -> i64 {
        self.sh.borrow().now
    }

    fn push(&self, ev: Event) {
        self.sh.borrow_mut().push(ev);
    }

    fn state(&self) -> AppState {
        self.sh.borrow().state
    }

    fn env(&self) -> Env<'_> {
        Env {
            profile: &self.cfg.profile,
            manifest: self.project.manifest(),
            privacy_listener: self.sh.borrow().privacy_listener,
            system: self.cfg.system,
        }
    }

    fn arm(&mut self) {
        self.timer_fires = 0;
        self.deadline.set(Some(
            Instant::now() + Duration::from_millis(self.cfg.limits.dispatch_ms),
        ));
    }

    fn check(&self) -> Result<(), Halt> {
        if self.interrupted.get() {
            let ms = self.cfg.limits.dispatch_ms;
            self.sh.borrow_mut().warn(
                "limit",
                format!("a dispatch ran longer than {ms} ms and was interrupted"),
            );
            return Err(Halt::End(EndReason::Limit, None));
        }
        let limit = self.sh.borrow_mut().limit.take();
        if let Some(m) = limit {
            self.sh.borrow_mut().warn("limit", m);
            return Err(Halt::End(EndReason::Limit, None));
        }
        Ok(())
    }

    /// Calls a host function of the prelude; a JS exception becomes an `error` event.
    fn js<A: IntoArgs<'js>>(&mut self, name: &str, args: A) -> Result<rquickjs::Value<'js>, Halt> {
        let f: Function = self.h.get(name)?;
        let r = f.call::<A, rquickjs::Value>(args).catch(&self.ctx);
        self.check()?;
        match r {
            Ok(v) => Ok(v),
            Err(CaughtError::Exception(ex)) => {
                let msg = ex.message().unwrap_or_default();
                let name: String = ex.get("name").unwrap_or_default();
                let m = if name.is_empty() {
                    msg
                } else {
                    format!("{name}: {msg}")
                };
                self.sh
                    .borrow_mut()
                    .error(m, self.project.map_stack(&ex.stack().unwrap_or_default()));
                self.check()?;
                Ok(rquickjs::Value::new_undefined(self.ctx.clone()))
            }
            Err(CaughtError::Value(v)) => {
                let (m, s) = describe_value(&self.ctx, &v);
                let s = self.project.map_stack(&s);
                self.sh.borrow_mut().error(format!("Uncaught {m}"), s);
                self.check()?;
                Ok(rquickjs::Value::new_undefined(self.ctx.clone()))
            }
            Err(CaughtError::Error(e)) => Err(Halt::Fail(RunError::Engine(e.to_string()))),
        }
    }

    fn with_gesture<A: IntoArgs<'js>>(
        &mut self,
        name: &str,
        args: A,
    ) -> Result<rquickjs::Value<'js>, Halt> {
        self.sh.borrow_mut().gesture = true;
        let r = self.js(name, args);
        self.sh.borrow_mut().gesture = false;
        r
    }

    fn microtasks(&mut self) -> Result<(), Halt> {
        while self.ctx.execute_pending_job() {
            self.check()?;
        }
        self.check()?;
        let rej = std::mem::take(&mut self.sh.borrow_mut().rejections);
        for m in rej {
            // WeChat reports these to onUnhandledRejection; the run goes on.
            self.sh.borrow_mut().warn(
                "unhandled-rejection",
                format!("a promise was rejected and nothing handles it: {m}"),
            );
        }
        self.check()
    }

    fn go(&mut self, route: &str) -> Result<(), Halt> {
        self.arm();
        let query = self.cfg.query.clone().unwrap_or_default();
        let q = Json::Object(parse_query(&query)).to_string();
        let qv: rquickjs::Value = self.ctx.json_parse(q.clone())?;
        self.js("launch", (route.to_string(), qv))?;
        self.js("open", (route.to_string(), q))?;
        self.settle()?;
        for tap in self.cfg.taps.clone() {
            // A user takes a moment between taps.
            self.sh.borrow_mut().now += TAP_GAP_MS;
            self.arm();
            self.tap(&tap)?;
            self.settle()?;
        }
        self.deadline.set(None);
        Ok(())
    }

    fn current_route(&mut self) -> Result<String, Halt> {
        let v = self.js("route", ())?;
        Ok(v.as_string()
            .and_then(|s| s.to_string().ok())
            .unwrap_or_default())
    }

    fn tap(&mut self, tap: &str) -> Result<(), Halt> {
        let route = self.current_route()?;
        let info = self.project.page_info(&route).cloned().unwrap_or_default();
        if let Some(ot) = tap.strip_prefix("open-type=") {
            let button = match ot {
                "openSetting" => info.open_setting.clone(),
                "agreePrivacyAuthorization" => info.agree_privacy.clone(),
                _ => None,
            };
            let Some(button) = button else {
                return Err(Halt::Fail(RunError::NoButton {
                    route,
                    open_type: ot.to_string(),
                }));
            };
            self.push(Event::Tap {
                route: route.clone(),
                handler: tap.to_string(),
            });
            if ot == "openSetting" {
                self.uiq.push_back(Pending::Settings {
                    id: None,
                    button: button.handler.clone(),
                    with_subscriptions: false,
                });
            } else {
                // R29: tapping the agree button records consent for every declared type.
                let st = self.state();
                let changes: Vec<Change> = self
                    .project
                    .manifest()
                    .declared_types()
                    .iter()
                    .filter(|t| !st.privacy_granted(**t))
                    .map(|t| Change {
                        subject: Subject::Privacy(*t),
                        from: Value::Unset,
                        to: Value::Granted,
                        via: Via::Prompt,
                        gesture: true,
                        api: Some("agreePrivacyAuthorization".into()),
                        notice: None,
                    })
                    .collect();
                self.commit(changes)?;
                if let Some(hname) = button.handler {
                    let ev = tap_event(
                        "agreeprivacyauthorization",
                        &button.id,
                        json!({}),
                        json!({"errMsg": "agreePrivacyAuthorization:ok"}),
                    );
                    self.with_gesture("handler", (hname, ev.to_string()))?;
                }
            }
            return Ok(());
        }
        let has: bool = {
            let v = self.js("hasHandler", (tap.to_string(),))?;
            v.as_bool().unwrap_or(false)
        };
        if !has && self.sh.borrow().errors > 0 {
            // The page threw while loading: that error is the story, not the missing method.
            self.sh.borrow_mut().warn(
                "tap-skipped",
                format!("`{tap}` was not tapped: page `{route}` has no such method after an uncaught error"),
            );
            return Ok(());
        }
        if !has {
            return Err(Halt::Fail(RunError::NoHandler {
                route,
                handler: tap.to_string(),
            }));
        }
        let target = info.taps.iter().find(|t| t.handler == tap);
        let dataset = target
            .map(|t| json!(t.dataset))
            .unwrap_or_else(|| json!({}));
        let id = target.map(|t| t.id.clone()).unwrap_or_default();
        let ev = tap_event("tap", &id, dataset, json!({"x": 0, "y": 0}));
        self.with_gesture("tap", (tap.to_string(), ev.to_string()))?;
        Ok(())
    }

    /// Runs to idle: microtasks, API calls, results, due timers, the next native UI, later
    /// timers on the virtual clock.
    fn settle(&mut self) -> Result<(), Halt> {
        loop {
            self.check()?;
            self.microtasks()?;
            let inc = self.sh.borrow_mut().incoming.pop_front();
            if let Some(inc) = inc {
                self.incoming(inc)?;
                continue;
            }
            let job = self.sh.borrow_mut().jobs.pop_front();
            if let Some(job) = job {
                self.job(job)?;
                continue;
            }
            let next = self.js("nextTimer", ())?.as_number().unwrap_or(-1.0);
            let now = self.now();
            if next >= 0.0 && (next as i64) <= now {
                self.fire_timer()?;
                continue;
            }
            if let Some(p) = self.uiq.pop_front() {
                self.head(p)?;
                continue;
            }
            if next >= 0.0 {
                self.sh.borrow_mut().now = next as i64;
                self.fire_timer()?;
                continue;
            }
            return Ok(());
        }
    }

    fn fire_timer(&mut self) -> Result<(), Halt> {
        self.timer_fires += 1;
        if self.timer_fires > self.cfg.limits.max_timer_fires {
            let n = self.cfg.limits.max_timer_fires;
            self.sh.borrow_mut().warn(
                "limit",
                format!("more than {n} timer firings in one dispatch (a timer that never stops)"),
            );
            return Err(Halt::End(EndReason::Limit, None));
        }
        self.js("fireTimer", ())?;
        Ok(())
    }

    fn job(&mut self, job: Job) -> Result<(), Halt> {
        match job {
            Job::Deliver {
                id,
                ok,
                res,
                gesture,
            } => {
                if gesture {
                    self.with_gesture("deliver", (id, ok, res.to_string()))?;
                } else {
                    self.js("deliver", (id, ok, res.to_string()))?;
                }
            }
            Job::Task(id) => {
                self.js("task", (id,))?;
            }
            Job::Handler { name, event } => {
                self.with_gesture("handler", (name, event.to_string()))?;
            }
            Job::Location(res) => {
                self.js("location", (res.to_string(),))?;
            }
        }
        Ok(())
    }

    fn deliver(&self, id: u32, ok: bool, res: Json, gesture: bool) {
        self.sh.borrow_mut().jobs.push_back(Job::Deliver {
            id,
            ok,
            res,
            gesture,
        });
    }

    fn meta(&self) -> EventMeta {
        EventMeta {
            at: self.now(),
            user: self.cfg.user.clone(),
            app: self.appid.clone(),
            channel: self.cfg.channel,
            profile: self.cfg.profile.name.clone(),
        }
    }

    /// Appends changes to the store before anything in JS sees their effect.
    fn commit(&mut self, changes: Vec<Change>) -> Result<(), Halt> {
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
        for e in &stored {
            sh.state.apply(e);
        }
        Ok(())
    }

    fn incoming(&mut self, inc: Incoming) -> Result<(), Halt> {
        let Incoming {
            id,
            api,
            args,
            gesture,
        } = inc;
        self.push(Event::Call {
            api: api.clone(),
            args: args.clone(),
        });
        let now = self.now();
        match api.as_str() {
            "getSetting" => {
                let ws = args.get("withSubscriptions") == Some(&Json::Bool(true));
                let res = setting_result(&self.state(), "getSetting", ws);
                self.deliver(id, true, res, false);
            }
            "openSetting" => {
                let req = Request::api(Api::OpenSetting, gesture, now);
                let d = decide(&req, &self.state(), &self.env());
                match d.outcome {
                    Outcome::Allow => self.uiq.push_back(Pending::Settings {
                        id: Some(id),
                        button: None,
                        with_subscriptions: args.get("withSubscriptions")
                            == Some(&Json::Bool(true)),
                    }),
                    Outcome::Fail(f) => {
                        self.deliver(id, false, fail_res(f, &self.cfg.profile, &api), false)
                    }
                    Outcome::Ask(_) => self.deliver(
                        id,
                        false,
                        fail_res(Fail::NotSupported, &self.cfg.profile, &api),
                        false,
                    ),
                }
            }
            "showModal" => {
                let s =
                    |k: &str, d: &str| args.get(k).and_then(Json::as_str).unwrap_or(d).to_string();
                let ui = UiRequest::Modal {
                    title: s("title", ""),
                    content: s("content", ""),
                    show_cancel: args
                        .get("showCancel")
                        .and_then(Json::as_bool)
                        .unwrap_or(true),
                    cancel_text: s("cancelText", "取消"),
                    confirm_text: s("confirmText", "确定"),
                    editable: args
                        .get("editable")
                        .and_then(Json::as_bool)
                        .unwrap_or(false),
                    placeholder_text: s("placeholderText", ""),
                };
                self.uiq.push_back(Pending::Modal { id, ui });
            }
            "showActionSheet" => {
                let items: Vec<String> = args
                    .get("itemList")
                    .and_then(Json::as_array)
                    .map(|a| {
                        a.iter()
                            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if items.is_empty() || items.len() > 6 {
                    let msg = if items.is_empty() {
                        "showActionSheet:fail parameter error: itemList should not be empty"
                    } else {
                        "showActionSheet:fail parameter error: itemList should not be large than 6"
                    };
                    self.deliver(id, false, json!({ "errMsg": msg }), false);
                } else {
                    self.uiq.push_back(Pending::Sheet {
                        id,
                        ui: UiRequest::ActionSheet { items },
                    });
                }
            }
            _ => {
                let req = if api == "authorize" {
                    Request::authorize(args.get("scope").and_then(Json::as_str), gesture, now)
                } else if let Some(a) = Api::parse(&api) {
                    Request::api(a, gesture, now)
                } else {
                    self.sh.borrow_mut().warn(
                        "not-supported",
                        format!("wx.{api} is not supported by miniperm"),
                    );
                    self.deliver(
                        id,
                        false,
                        json!({ "errMsg": format!("{api}:fail not supported") }),
                        false,
                    );
                    return Ok(());
                };
                let picker = is_picker(&api);
                let d = decide(&req, &self.state(), &self.env());
                self.note(&d, &req)?;
                match d.outcome {
                    Outcome::Allow if !picker => self.succeed(id, &api, &args, false),
                    Outcome::Fail(f) => {
                        let name = err_name(&api);
                        self.deliver(id, false, fail_res(f, &self.cfg.profile, name), false)
                    }
                    _ => self.uiq.push_back(Pending::Engine {
                        id,
                        api,
                        req,
                        picker,
                        args,
                    }),
                }
            }
        }
        Ok(())
    }

    /// Warnings and recorded changes of a decision.
    fn note(&mut self, d: &miniperm_core::Decision, req: &Request) -> Result<(), Halt> {
        if let Some(w) = &d.warning {
            self.sh.borrow_mut().warn(w.code(), w.message());
        }
        if let Some(c) = d.record_change(req.api, req.gesture, &self.state()) {
            self.commit(vec![c])?;
        }
        Ok(())
    }

    fn succeed(&mut self, id: u32, api: &str, args: &Json, gesture: bool) {
        let (lat, lng) = self.cfg.location;
        let mut m = ok_res(api);
        match api {
            "getLocation" => {
                for (k, v) in [
                    ("latitude", json!(lat)),
                    ("longitude", json!(lng)),
                    ("speed", json!(0)),
                    ("accuracy", json!(65)),
                    ("altitude", json!(0)),
                    ("verticalAccuracy", json!(65)),
                    ("horizontalAccuracy", json!(65)),
                ] {
                    m.insert(k.into(), v);
                }
            }
            "getFuzzyLocation" => {
                m.insert("latitude".into(), json!((lat * 100.0).round() / 100.0));
                m.insert("longitude".into(), json!((lng * 100.0).round() / 100.0));
            }
            "startLocationUpdate" | "startLocationUpdateBackground" => {
                self.deliver(id, true, Json::Object(m), gesture);
                // then the first position reaches onLocationChange
                self.sh.borrow_mut().jobs.push_back(Job::Location(json!({
                    "latitude": lat, "longitude": lng, "speed": 0, "accuracy": 65,
                    "altitude": 0, "verticalAccuracy": 65, "horizontalAccuracy": 65
                })));
                return;
            }
            "startRecord" => {
                m.insert("tempFilePath".into(), json!("wxfile://tmp/record.silk"));
            }
            "getWeRunData" => {
                m.insert("encryptedData".into(), json!("bWluaXBlcm0gd2VydW4="));
                m.insert("iv".into(), json!("bWluaXBlcm0="));
                m.insert("cloudID".into(), json!("miniperm-werun"));
            }
            "getUserProfile" | "getUserInfo" => {
                m.insert(
                    "userInfo".into(),
                    json!({"nickName": "微信用户", "avatarUrl": "", "gender": 0, "country": "", "province": "", "city": "", "language": "zh_CN"}),
                );
            }
            "getClipboardData" => {
                m.insert("data".into(), json!(""));
            }
            "requestSubscribeMessage" => {
                if let Some(ids) = args.get("tmplIds").and_then(Json::as_array) {
                    for t in ids.iter().filter_map(Json::as_str) {
                        m.insert(t.to_string(), json!("accept"));
                    }
                }
            }
            "chooseLocation" | "choosePoi" => {
                m.insert("name".into(), json!("广州塔"));
                m.insert("address".into(), json!("广东省广州市海珠区阅江西路222号"));
                m.insert("latitude".into(), json!(lat));
                m.insert("longitude".into(), json!(lng));
            }
            "chooseAddress" => {
                for (k, v) in [
                    ("userName", "张三"),
                    ("postalCode", "510000"),
                    ("provinceName", "广东省"),
                    ("cityName", "广州市"),
                    ("countyName", "海珠区"),
                    ("detailInfo", "阅江西路222号"),
                    ("nationalCode", "440105"),
                    ("telNumber", "020-81234567"),
                ] {
                    m.insert(k.into(), json!(v));
                }
            }
            "chooseImage" => {
                m.insert("tempFilePaths".into(), json!(["wxfile://tmp/image-1.jpg"]));
                m.insert(
                    "tempFiles".into(),
                    json!([{"path": "wxfile://tmp/image-1.jpg", "size": 102400}]),
                );
            }
            "chooseMedia" => {
                m.insert("type".into(), json!("image"));
                m.insert(
                    "tempFiles".into(),
                    json!([{"tempFilePath": "wxfile://tmp/image-1.jpg", "size": 102400, "fileType": "image"}]),
                );
            }
            "chooseInvoiceTitle" => {
                for (k, v) in [
                    ("type", "0"),
                    ("title", "示例科技有限公司"),
                    ("taxNumber", "91440101MA5ABCDE1X"),
                    ("companyAddress", "广州市海珠区"),
                    ("telephone", "020-81234567"),
                    ("bankName", "示例银行"),
                    ("bankAccount", "6222000000000000"),
                ] {
                    m.insert(k.into(), json!(v));
                }
            }
            "chooseInvoice" => {
                m.insert("invoiceInfo".into(), json!("{}"));
            }
            _ => {}
        }
        self.deliver(id, true, Json::Object(m), gesture);
    }

    /// Shows a UI and takes the user's answer (events `ui` and `answer`).
    fn ask(&mut self, ui: &UiRequest) -> Result<UiAnswer, Halt> {
        self.push(ui_event(ui));
        let Some(a) = self.user.answer(ui) else {
            return Err(Halt::End(
                EndReason::AwaitingAnswer,
                Some(ui.kind().to_string()),
            ));
        };
        if !ui.fits(&a) {
            return Err(Halt::Fail(RunError::AnswerMismatch {
                answer: a.to_string(),
                ui: ui.describe(),
            }));
        }
        self.push(Event::Answer {
            ui: ui.kind().to_string(),
            answer: a.to_string(),
        });
        Ok(a)
    }

    fn head(&mut self, p: Pending) -> Result<(), Halt> {
        match p {
            Pending::Modal { id, ui } => {
                let a = self.ask(&ui)?;
                let confirm = matches!(a, UiAnswer::Confirm | UiAnswer::ConfirmWith(_));
                let mut m = ok_res("showModal");
                m.insert("confirm".into(), json!(confirm));
                m.insert("cancel".into(), json!(!confirm));
                if let UiRequest::Modal { editable: true, .. } = ui {
                    let text = match &a {
                        UiAnswer::ConfirmWith(t) => t.clone(),
                        _ => String::new(),
                    };
                    m.insert("content".into(), json!(text));
                }
                self.deliver(id, true, Json::Object(m), true);
            }
            Pending::Sheet { id, ui } => match self.ask(&ui)? {
                UiAnswer::Sheet(n) => {
                    let mut m = ok_res("showActionSheet");
                    m.insert("tapIndex".into(), json!(n));
                    self.deliver(id, true, Json::Object(m), true);
                }
                _ => self.deliver(
                    id,
                    false,
                    json!({"errMsg": "showActionSheet:fail cancel"}),
                    true,
                ),
            },
            Pending::Settings {
                id,
                button,
                with_subscriptions,
            } => {
                let page = SettingsPage::new(&self.state(), self.project.manifest());
                let ui = UiRequest::Settings { page };
                // The settings page is a native page pushed over the mini-program's page.
                self.js("cover", ())?;
                let a = self.ask(&ui)?;
                if let UiAnswer::Settings(changes) = &a {
                    let c = apply_settings(&self.state(), self.project.manifest(), changes, true)
                        .map_err(|e| {
                        Halt::Fail(RunError::BadSetting {
                            answer: a.to_string(),
                            reason: e.to_string(),
                        })
                    })?;
                    self.commit(c)?;
                }
                let res = setting_result(&self.state(), "openSetting", with_subscriptions);
                // Back on the page: onShow runs (no gesture), then the result arrives.
                self.js("uncover", ())?;
                if let Some(id) = id {
                    self.deliver(id, true, res.clone(), true);
                }
                if let Some(name) = button {
                    let ev = tap_event("opensetting", "", json!({}), res);
                    self.sh
                        .borrow_mut()
                        .jobs
                        .push_back(Job::Handler { name, event: ev });
                }
            }
            Pending::Engine {
                id,
                api,
                req,
                picker,
                args,
            } => self.engine(id, &api, req, picker, &args)?,
        }
        Ok(())
    }

    /// An engine call at the head of the UI queue: decide again (D9: a scope decided while it
    /// waited is answered without a second prompt), ask, resolve, append, until settled.
    fn engine(
        &mut self,
        id: u32,
        api: &str,
        req: Request,
        picker: bool,
        args: &Json,
    ) -> Result<(), Halt> {
        let name = err_name(api);
        for _ in 0..8 {
            let req = Request {
                now: self.now(),
                ..req
            };
            let d = decide(&req, &self.state(), &self.env());
            self.note(&d, &req)?;
            let ask = match d.outcome {
                Outcome::Allow => {
                    if picker {
                        let ui = UiRequest::Picker {
                            api: api.to_string(),
                        };
                        if self.ask(&ui)? == UiAnswer::Pick {
                            self.succeed(id, api, args, false);
                        } else {
                            self.deliver(
                                id,
                                false,
                                json!({"errMsg": format!("{api}:fail cancel")}),
                                false,
                            );
                        }
                    } else {
                        self.succeed(id, api, args, false);
                    }
                    return Ok(());
                }
                Outcome::Fail(f) => {
                    self.deliver(id, false, fail_res(f, &self.cfg.profile, name), false);
                    return Ok(());
                }
                Outcome::Ask(a) => a,
            };
            let ui = match ask {
                Ask::ScopePrompt {
                    scope,
                    with_privacy,
                } => UiRequest::Authorize {
                    scope,
                    desc: self.project.manifest().desc(scope).map(str::to_string),
                    with_privacy,
                },
                Ask::OsPrompt { permission } => UiRequest::System { permission },
                Ask::PrivacyListener { referrer } => {
                    self.js("privacy", (referrer.as_str().to_string(),))?;
                    self.microtasks()?;
                    UiRequest::Privacy {
                        referrer: referrer.as_str().to_string(),
                        source: PrivacySource::Listener,
                    }
                }
                Ask::PrivacyPopup { referrer } => UiRequest::Privacy {
                    referrer: referrer.as_str().to_string(),
                    source: PrivacySource::Popup,
                },
            };
            let a = self.ask(&ui)?;
            let answer = match a {
                UiAnswer::Allow => Answer::Allow,
                UiAnswer::Deny => Answer::Deny,
                UiAnswer::Agree => Answer::Agree,
                _ => Answer::Disagree,
            };
            if let (Ask::PrivacyListener { .. }, Answer::Agree) = (ask, answer) {
                let route = self.current_route()?;
                let button = self
                    .project
                    .page_info(&route)
                    .and_then(|i| i.agree_privacy.clone());
                if let Some(b) = button
                    && let Some(h) = b.handler
                {
                    let ev = tap_event(
                        "agreeprivacyauthorization",
                        &b.id,
                        json!({}),
                        json!({"errMsg": "agreePrivacyAuthorization:ok"}),
                    );
                    self.with_gesture("handler", (h, ev.to_string()))?;
                    self.microtasks()?;
                }
            }
            let r = resolve(&ask, answer, &req, &self.state(), &self.env()).map_err(|e| {
                Halt::Fail(RunError::AnswerMismatch {
                    answer: a.to_string(),
                    ui: e.to_string(),
                })
            })?;
            self.commit(r.changes)?;
            if let Then::Fail(f) = r.then {
                self.deliver(id, false, fail_res(f, &self.cfg.profile, name), false);
                return Ok(());
            }
        }
        self.deliver(
            id,
            false,
            fail_res(Fail::NotSupported, &self.cfg.profile, name),
            false,
        );
        Ok(())
    }
}

/// The API name in errMsg: RecorderManager failures read `operateRecorder:fail ...`.
fn err_name(api: &str) -> &str {
    if api == "RecorderManager.start" {
        "operateRecorder"
    } else {
        api
    }
}

fn ui_event(ui: &UiRequest) -> Event {
    let mut d = Map::new();
    match ui {
        UiRequest::Authorize {
            scope,
            desc,
            with_privacy,
        } => {
            d.insert("scope".into(), json!(scope.as_str()));
            if let Some(s) = desc {
                d.insert("desc".into(), json!(s));
            }
            if *with_privacy {
                d.insert("withPrivacy".into(), json!(true));
            }
        }
        UiRequest::System { permission } => {
            d.insert("permission".into(), json!(permission.as_str()));
        }
        UiRequest::Privacy { referrer, source } => {
            d.insert("referrer".into(), json!(referrer));
            d.insert("source".into(), json!(source));
        }
        UiRequest::Modal {
            title,
            content,
            show_cancel,
            cancel_text,
            confirm_text,
            editable,
            ..
        } => {
            d.insert("title".into(), json!(title));
            d.insert("content".into(), json!(content));
            d.insert("showCancel".into(), json!(show_cancel));
            d.insert("confirmText".into(), json!(confirm_text));
            d.insert("cancelText".into(), json!(cancel_text));
            if *editable {
                d.insert("editable".into(), json!(true));
            }
        }
        UiRequest::ActionSheet { items } => {
            d.insert("items".into(), json!(items));
        }
        UiRequest::Settings { page } => {
            let rows: Vec<Json> = page
                .rows
                .iter()
                .map(|r| {
                    let state = match r.control {
                        miniperm_core::settings::Control::Switch { on, locked } => {
                            if locked {
                                "on (locked)".to_string()
                            } else if on {
                                "on".to_string()
                            } else {
                                "off".to_string()
                            }
                        }
                        miniperm_core::settings::Control::Location { selected } => {
                            serde_json::to_value(selected)
                                .ok()
                                .and_then(|v| v.as_str().map(str::to_string))
                                .unwrap_or_default()
                        }
                    };
                    json!({"scope": r.scope.as_str(), "label": r.label.zh, "state": state})
                })
                .collect();
            d.insert("rows".into(), Json::Array(rows));
        }
        UiRequest::Picker { api } => {
            d.insert("api".into(), json!(api));
        }
    }
    Event::Ui {
        ui: ui.kind().to_string(),
        detail: d,
    }
}
