//! The devtools simulator at `/`: one self-contained HTML page and its JSON endpoints under
//! `/sim/…` (behind the same key check as `/v1`). A session is (project, taps so far, answers so
//! far, earlier runs kept by "restart"); every step re-runs it from scratch in a fresh QuickJS
//! runtime over a fresh [`MemoryStore`], so sessions are deterministic and ephemeral.
//!
//! The consent a session writes is also mirrored into the service's durable store, as user
//! `<session id>` of the project's appid and the session's tenant, so the `/v1` API (setting,
//! log, explain) sees what the page shows: replays are deterministic, so each step's log extends
//! the previous one and only the new tail is appended; "clear authorization data" appends a
//! `reset`. "Explore this flow" runs [`explore`](mod@explore) on the session's entry point.
//!
//! `GET /sim/sessions/{id}/events` streams the session as server-sent events ([`feed`]): each
//! step's new transcript events and its state, with ids a reconnect resumes from
//! (`Last-Event-ID`). The stream ends with an `end` event when the session is deleted
//! (`DELETE /sim/sessions/{id}`), expires ([`SIM_TTL`] untouched, by the service's [`Clock`]),
//! is evicted ([`MAX_SIM_SESSIONS`]) or the service shuts down.

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Via, auth_setting};
use miniperm_runtime::{
    DEVICES, Device, EndReason, Event, Project, RunConfig, RunError, SIMULATOR_DEVICE,
    ScriptedUser, UiAnswer, parse_answers, render_human, run,
};
use miniperm_store::{ConsentStore, MemoryStore, now_ms};
use miniperm_view::{Painter, Theme};
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;

use crate::error::ApiError;
use crate::keys::{Tenant, new_id};
use crate::writer::Writer;

mod clock;
mod explore;
pub mod feed;
pub use clock::Clock;
use feed::{Feed, Line};

/// Most simulator sessions at once (all tenants); the oldest is dropped past it.
pub const MAX_SIM_SESSIONS: usize = 1_000;
/// A simulator session untouched this long is forgotten.
pub const SIM_TTL: Duration = Duration::from_secs(30 * 60);
/// Most runs a session keeps across "restart" (their consent is replayed on every step).
pub const MAX_KEPT_RUNS: usize = 20;
/// Most taps plus answers in one run.
pub const MAX_STEPS: usize = 200;
/// How often an idle event stream sends a comment (keeps proxies from closing it).
pub const STREAM_KEEP_ALIVE: Duration = Duration::from_secs(15);

const INDEX_HTML: &str = include_str!("index.html");

/// The simulator: its projects and sessions, the clock sessions expire by, and the writer it
/// mirrors each session's consent through. It knows nothing of the `/v1` service; the server
/// merges its [`router`] beside the API's.
pub struct Simulator {
    projects: Vec<SimProject>,
    sessions: Mutex<HashMap<String, SimSession>>,
    clock: Clock,
    /// Set when the service stops: the event streams end (so the graceful shutdown does not
    /// wait for open pages).
    closing: Arc<tokio::sync::watch::Sender<bool>>,
    writer: Writer,
}

impl Simulator {
    /// The simulator of the projects in `dirs` ([`load_projects`]), its sessions expiring by
    /// `clock`, their consent mirrored into the store through `writer`.
    pub fn new(dirs: &[PathBuf], clock: Clock, writer: Writer) -> Arc<Simulator> {
        Arc::new(Simulator {
            projects: load_projects(dirs),
            sessions: Mutex::new(HashMap::new()),
            clock,
            closing: Arc::new(tokio::sync::watch::Sender::new(false)),
            writer,
        })
    }

    /// What ends every event stream when set to true (the service is stopping).
    pub fn closing(&self) -> Arc<tokio::sync::watch::Sender<bool>> {
        self.closing.clone()
    }
}

/// The simulator's JSON endpoints under `/sim/…`, with their state (the server puts its key
/// check in front, and serves [`index`] at `/`).
pub fn router(sim: Arc<Simulator>) -> Router {
    Router::new()
        .route("/sim/projects", get(list_projects))
        .route("/sim/sessions", post(create_session))
        .route(
            "/sim/sessions/{id}",
            get(get_session).delete(delete_session),
        )
        .route("/sim/sessions/{id}/events", get(events))
        .route("/sim/sessions/{id}/tap", post(tap))
        .route("/sim/sessions/{id}/answer", post(answer))
        .route("/sim/sessions/{id}/restart", post(restart))
        .route("/sim/sessions/{id}/device", post(device))
        .route("/sim/sessions/{id}/explore", post(explore_flow))
        .with_state(sim)
}

/// A project the simulator offers.
pub struct SimProject {
    pub name: String,
    pub title: String,
    pub project: Arc<Project>,
}

/// Loads each folder that holds a project (app.json); folders that fail to load are skipped
/// with a log line. Names are the folder names, made unique with `-2`, `-3`, ….
pub fn load_projects(dirs: &[PathBuf]) -> Vec<SimProject> {
    let mut out: Vec<SimProject> = Vec::new();
    for dir in dirs {
        let project = match Project::load(dir) {
            Ok(p) => p,
            Err(e) => {
                tracing::warn!(dir = %dir.display(), error = %e, "simulator: project skipped");
                continue;
            }
        };
        let base = dir.file_name().map_or_else(
            || "project".to_string(),
            |n| n.to_string_lossy().into_owned(),
        );
        let mut name = base.clone();
        let mut n = 1;
        while out.iter().any(|p| p.name == name) {
            n += 1;
            name = format!("{base}-{n}");
        }
        let title = std::fs::read_to_string(dir.join("app.json"))
            .ok()
            .and_then(|s| serde_json::from_str::<JsonValue>(&s).ok())
            .and_then(|v| {
                v.pointer("/window/navigationBarTitleText")
                    .and_then(JsonValue::as_str)
                    .map(str::to_string)
            })
            .unwrap_or_else(|| name.clone());
        out.push(SimProject {
            name,
            title,
            project: Arc::new(project),
        });
    }
    out
}

/// The inputs of one run.
#[derive(Debug, Clone, Default)]
struct Steps {
    taps: Vec<String>,
    answers: Vec<UiAnswer>,
}

/// One simulator session.
struct SimSession {
    tenant: String,
    project: usize,
    /// Events of the session's consent log already mirrored into the durable store.
    mirrored: usize,
    /// Earlier runs (kept by restart): replayed first so their consent is in the store.
    kept: Vec<Steps>,
    current: Steps,
    state: SimState,
    touched: Instant,
    /// The version of the latest state (each stored step takes the next one).
    version: u64,
    feed: Arc<Feed>,
}

/// The phone a session draws on: its device (what getSystemInfo reports too) and theme.
#[derive(Debug, Clone, Copy)]
struct Look {
    device: Device,
    theme: Theme,
}

impl Look {
    /// From a request's `device` and `theme` (unknown names are bad input).
    fn parse(device: Option<&str>, theme: Option<&str>) -> Result<Look, ApiError> {
        let device = match device {
            None => SIMULATOR_DEVICE,
            Some(name) => Device::by_name(name).ok_or_else(|| {
                ApiError::BadRequest(format!(
                    "unknown device `{name}` (one of: {})",
                    DEVICES
                        .iter()
                        .map(|d| d.name)
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })?,
        };
        let theme = match theme {
            None | Some("light") => Theme::Light,
            Some("dark") => Theme::Dark,
            Some(other) => {
                return Err(ApiError::BadRequest(format!(
                    "unknown theme `{other}` (light or dark)"
                )));
            }
        };
        Ok(Look { device, theme })
    }

    /// The look a state was drawn with.
    fn of(s: &SimState) -> Look {
        Look {
            device: Device::by_name(&s.device).unwrap_or(SIMULATOR_DEVICE),
            theme: if s.theme == "dark" {
                Theme::Dark
            } else {
                Theme::Light
            },
        }
    }
}

/// What the page draws after a step.
#[derive(Debug, Clone, Serialize)]
pub struct SimState {
    /// Grows with every step of the session: a page draws a state only if it is newer than
    /// the one it shows (the stream and the step's response carry the same state).
    pub version: u64,
    pub project: String,
    pub title: String,
    pub route: Option<String>,
    pub tree: JsonValue,
    pub tappable: Vec<String>,
    /// The `ui` event of the UI waiting for an answer, or null.
    pub waiting: Option<JsonValue>,
    pub transcript: Vec<String>,
    pub end: String,
    /// `authSetting` after the run (requested scopes only).
    pub consent: JsonValue,
    /// The consent log of the session, one line per event.
    pub log: Vec<String>,
    /// The phone drawn on: a name of `/sim/projects`' `devices`, its size in px (what the run's
    /// getSystemInfo reported), and the theme (`light`, `dark`).
    pub device: String,
    pub width: i64,
    pub height: i64,
    pub theme: String,
    /// The page as the phone draws it: one HTML document (miniperm-view) for an iframe's
    /// `srcdoc`; null when the page has no WXML.
    pub screen: Option<String>,
    /// What the drawing could not honour (WXSS WeChat refuses, images not found).
    pub screen_warnings: Vec<String>,
    /// The log's events (mirrored into the durable store).
    #[serde(skip)]
    events: Vec<ConsentEvent>,
    /// Every transcript event of the run, `render` too (what the stream sends).
    #[serde(skip)]
    timeline: Vec<Line>,
}

impl SimState {
    /// The `state` event of the stream: the state without its human transcript (the stream
    /// sends that event by event) but with its length in events.
    fn stream_json(&self) -> String {
        let mut v = serde_json::to_value(self).unwrap_or(JsonValue::Null);
        if let Some(o) = v.as_object_mut() {
            o.remove("transcript");
            o.insert("transcript_len".into(), self.timeline.len().into());
        }
        v.to_string()
    }
}

#[derive(Debug, Serialize)]
pub struct SessionBody {
    pub id: String,
    /// The appid and user under which the durable store (and so `/v1`) holds this session's
    /// consent: `GET /v1/apps/{appid}/users/{user}/setting`.
    pub appid: String,
    pub user: String,
    pub state: SimState,
}

#[derive(Debug, Deserialize)]
pub struct NewSession {
    pub project: String,
    /// A device name of `/sim/projects`' `devices` (default: iPhone 6/7/8, 375×667).
    #[serde(default)]
    pub device: Option<String>,
    /// `light` (default) or `dark`.
    #[serde(default)]
    pub theme: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct LookBody {
    #[serde(default)]
    pub device: Option<String>,
    #[serde(default)]
    pub theme: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct TapBody {
    pub target: String,
}

#[derive(Debug, Deserialize)]
pub struct AnswerBody {
    pub answer: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct RestartBody {
    /// Drop the consent of earlier runs too ("clear authorization data").
    #[serde(default)]
    pub clear: bool,
}

type Sim = State<Arc<Simulator>>;

/// `GET /`: the simulator page.
pub async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// `GET /sim/projects`.
async fn list_projects(State(sim): Sim) -> Json<JsonValue> {
    let list: Vec<JsonValue> = sim
        .projects
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "title": p.title,
                "appid": p.project.appid(),
                "pages": p.project.pages(),
                "darkmode": Painter::new(&p.project, SIMULATOR_DEVICE, Theme::Light).supports_dark(),
            })
        })
        .collect();
    let devices: Vec<JsonValue> = DEVICES
        .iter()
        .map(|d| serde_json::json!({"name": d.name, "width": d.width, "height": d.height}))
        .collect();
    Json(serde_json::json!({
        "projects": list,
        "devices": devices,
        "device": SIMULATOR_DEVICE.name,
    }))
}

/// `POST /sim/sessions {project}`.
async fn create_session(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    body: Result<Json<NewSession>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let Some(index) = sim.projects.iter().position(|p| p.name == body.project) else {
        return Err(ApiError::BadRequest(format!(
            "unknown project `{}`",
            body.project
        )));
    };
    let look = Look::parse(body.device.as_deref(), body.theme.as_deref())?;
    let mut state = step(&sim, index, Vec::new(), Steps::default(), look).await?;
    state.version = 1;
    let id = new_id("sim_");
    let appid = sim.projects[index].project.appid().to_string();
    mirror(&sim, &tenant, index, &id, false, state.events.clone()).await?;
    let now = sim.clock.now();
    let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    let expired: Vec<String> = sessions
        .iter()
        .filter(|(_, s)| now.saturating_duration_since(s.touched) >= SIM_TTL)
        .map(|(k, _)| k.clone())
        .collect();
    for k in expired {
        remove(&mut sessions, &k, "expired");
    }
    while sessions.len() >= MAX_SIM_SESSIONS {
        let oldest = sessions
            .iter()
            .min_by_key(|(_, s)| s.touched)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => remove(&mut sessions, &k, "evicted"),
            None => break,
        };
    }
    let feed = Arc::new(Feed::new());
    feed.publish(&state.timeline, state.stream_json(), true);
    sessions.insert(
        id.clone(),
        SimSession {
            tenant,
            project: index,
            mirrored: state.events.len(),
            kept: Vec::new(),
            current: Steps::default(),
            state: state.clone(),
            touched: now,
            version: state.version,
            feed,
        },
    );
    Ok((
        StatusCode::CREATED,
        Json(SessionBody {
            user: id.clone(),
            id,
            appid,
            state,
        }),
    )
        .into_response())
}

/// Removes a session and ends its event streams with `reason`.
fn remove(
    sessions: &mut HashMap<String, SimSession>,
    id: &str,
    reason: &'static str,
) -> Option<SimSession> {
    let s = sessions.remove(id)?;
    s.feed.close(reason);
    Some(s)
}

/// The tenant's live session `id`: 404 for another tenant's, an unknown or an expired one (an
/// expired one is removed here).
fn live<'a>(
    sessions: &'a mut HashMap<String, SimSession>,
    clock: &Clock,
    tenant: &str,
    id: &str,
) -> Result<&'a mut SimSession, ApiError> {
    let expired = match sessions.get(id) {
        Some(s) if s.tenant == tenant => {
            clock.now().saturating_duration_since(s.touched) >= SIM_TTL
        }
        _ => return Err(ApiError::not_found("simulator session", id)),
    };
    if expired {
        remove(sessions, id, "expired");
    }
    sessions
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found("simulator session", id))
}

/// `GET /sim/sessions/{id}`.
async fn get_session(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    let (project, _, _, state) = snapshot(&sim, &tenant, &id)?;
    Ok(Json(body(&sim, project, id, state)))
}

/// `DELETE /sim/sessions/{id}`: forgets the session (its consent stays in the durable store)
/// and ends its event streams.
async fn delete_session(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    live(&mut sessions, &sim.clock, &tenant, &id)?;
    remove(&mut sessions, &id, "deleted");
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /sim/sessions/{id}/events`: the session as server-sent events ([`feed`]), from
/// `Last-Event-ID` when given (else a snapshot), until the session ends.
async fn events(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let cursor = match headers.get("last-event-id") {
        None => None,
        Some(v) => Some(
            v.to_str()
                .ok()
                .and_then(|s| s.trim().parse::<u64>().ok())
                .ok_or_else(|| {
                    ApiError::BadRequest(format!(
                        "bad `Last-Event-ID` `{}`: an event id is a number",
                        String::from_utf8_lossy(v.as_bytes())
                    ))
                })?,
        ),
    };
    let feed = {
        let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
        live(&mut sessions, &sim.clock, &tenant, &id)?.feed.clone()
    };
    let stream = Stream {
        changed: feed.subscribe(),
        feed,
        cursor,
        pending: VecDeque::new(),
        done: false,
        sim: Arc::downgrade(&sim),
        closing: sim.closing.subscribe(),
        clock: sim.clock.clone(),
        id,
    };
    let events = futures_util::stream::unfold(stream, |mut s| async move {
        s.next().await.map(|e| (Ok::<_, Infallible>(e), s))
    });
    Ok(Sse::new(events)
        .keep_alive(KeepAlive::new().interval(STREAM_KEEP_ALIVE))
        .into_response())
}

/// One client's place in a session's feed.
struct Stream {
    feed: Arc<Feed>,
    changed: tokio::sync::watch::Receiver<u64>,
    cursor: Option<u64>,
    pending: VecDeque<SseEvent>,
    done: bool,
    /// To expire the session when its deadline passes (weak: a stream never keeps the
    /// simulator alive).
    sim: Weak<Simulator>,
    closing: tokio::sync::watch::Receiver<bool>,
    clock: Clock,
    id: String,
}

impl Stream {
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            if let Some(e) = self.pending.pop_front() {
                return Some(e);
            }
            if self.done {
                return None;
            }
            self.changed.borrow_and_update();
            let batch = self.feed.since(self.cursor);
            self.cursor = Some(batch.cursor);
            if !batch.items.is_empty() {
                for item in batch.items {
                    let mut e = SseEvent::default().event(item.kind).data(item.data);
                    if let Some(id) = item.id {
                        e = e.id(id.to_string());
                    }
                    self.pending.push_back(e);
                }
                continue;
            }
            if let Some(reason) = batch.closed {
                self.end(reason);
                continue;
            }
            if *self.closing.borrow_and_update() {
                self.end("shutdown");
                continue;
            }
            let Some(deadline) = self.deadline() else {
                // The session is gone without closing its feed (cannot happen): end anyway.
                self.end("deleted");
                continue;
            };
            tokio::select! {
                r = self.changed.changed() => {
                    if r.is_err() {
                        self.end("deleted");
                    }
                }
                r = self.closing.changed() => {
                    if r.is_err() {
                        self.end("shutdown");
                    }
                }
                () = self.clock.sleep_until(deadline) => {}
            }
        }
    }

    fn end(&mut self, reason: &str) {
        let data = serde_json::json!({ "reason": reason }).to_string();
        self.pending
            .push_back(SseEvent::default().event("end").data(data));
        self.done = true;
    }

    /// When the session expires if left alone; expires it (closing the feed) when that is now.
    /// None when the session or the service is gone.
    fn deadline(&self) -> Option<Instant> {
        let sim = self.sim.upgrade()?;
        let mut sessions = sim.sessions.lock().ok()?;
        let touched = sessions.get(&self.id)?.touched;
        let deadline = touched + SIM_TTL;
        if self.clock.now() >= deadline {
            remove(&mut sessions, &self.id, "expired");
        }
        Some(deadline)
    }
}

/// `POST /sim/sessions/{id}/tap {target}`.
async fn tap(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Result<Json<TapBody>, JsonRejection>,
) -> Result<Json<SessionBody>, ApiError> {
    let Json(body) = body?;
    let target = body.target.trim().to_string();
    if target.is_empty() {
        return Err(ApiError::BadRequest("empty tap target".into()));
    }
    let (project, kept, mut current, state) = snapshot(&sim, &tenant, &id)?;
    if state.waiting.is_some() {
        return Err(ApiError::Conflict(
            "a ui is waiting for an answer: answer it before tapping".into(),
        ));
    }
    current.taps.push(target);
    let look = Look::of(&state);
    advance(&sim, &tenant, id, project, kept, current, Run::Same, look).await
}

/// `POST /sim/sessions/{id}/answer {answer}`.
async fn answer(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Result<Json<AnswerBody>, JsonRejection>,
) -> Result<Json<SessionBody>, ApiError> {
    let Json(body) = body?;
    let parsed = parse_answers(&body.answer).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    if parsed.len() != 1 {
        return Err(ApiError::BadRequest(format!(
            "one answer expected, got `{}`",
            body.answer
        )));
    }
    let (project, kept, mut current, state) = snapshot(&sim, &tenant, &id)?;
    if state.waiting.is_none() {
        return Err(ApiError::Conflict("no ui is waiting for an answer".into()));
    }
    current.answers.extend(parsed);
    let look = Look::of(&state);
    advance(&sim, &tenant, id, project, kept, current, Run::Same, look).await
}

/// `POST /sim/sessions/{id}/restart {clear?}`: a new run from launch; earlier runs' consent is
/// kept unless `clear`.
async fn restart(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Option<Json<RestartBody>>,
) -> Result<Json<SessionBody>, ApiError> {
    let clear = body.is_some_and(|Json(b)| b.clear);
    let (project, mut kept, current, state) = snapshot(&sim, &tenant, &id)?;
    let look = Look::of(&state);
    let run = if clear {
        kept.clear();
        Run::Cleared
    } else {
        if !current.taps.is_empty() || !current.answers.is_empty() {
            kept.push(current);
            if kept.len() > MAX_KEPT_RUNS {
                kept.remove(0);
            }
        }
        Run::New
    };
    advance(
        &sim,
        &tenant,
        id,
        project,
        kept,
        Steps::default(),
        run,
        look,
    )
    .await
}

/// `POST /sim/sessions/{id}/device {device?, theme?}`: draws the session on another phone (or
/// theme): the current run again with the run's getSystemInfo reporting the new size.
async fn device(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Result<Json<LookBody>, JsonRejection>,
) -> Result<Json<SessionBody>, ApiError> {
    let Json(body) = body?;
    let (project, kept, current, state) = snapshot(&sim, &tenant, &id)?;
    let was = Look::of(&state);
    let look = Look::parse(
        Some(body.device.as_deref().unwrap_or(was.device.name)),
        Some(body.theme.as_deref().unwrap_or(&state.theme)),
    )?;
    advance(&sim, &tenant, id, project, kept, current, Run::Same, look).await
}

/// `POST /sim/sessions/{id}/explore`: "explore this flow" on the session's project, entry
/// point, phone and theme ([`explore`](mod@explore)).
async fn explore_flow(
    State(sim): Sim,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<Json<JsonValue>, ApiError> {
    let (index, _, current, state) = snapshot(&sim, &tenant, &id)?;
    let Some(p) = sim.projects.get(index) else {
        return Err(ApiError::NotFound("no such project".into()));
    };
    // On the session's phone and theme, as its own runs are.
    let look = Look::of(&state);
    explore::explore(
        p.project.clone(),
        p.name.clone(),
        current.taps,
        look.device,
        look.theme,
    )
    .await
    .map(Json)
}

/// The session's inputs and state (404 for another tenant's or an expired session).
fn snapshot(
    sim: &Simulator,
    tenant: &str,
    id: &str,
) -> Result<(usize, Vec<Steps>, Steps, SimState), ApiError> {
    let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    let s = live(&mut sessions, &sim.clock, tenant, id)?;
    Ok((
        s.project,
        s.kept.clone(),
        s.current.clone(),
        s.state.clone(),
    ))
}

fn body(sim: &Simulator, project: usize, id: String, state: SimState) -> SessionBody {
    let appid = sim
        .projects
        .get(project)
        .map(|p| p.project.appid().to_string())
        .unwrap_or_default();
    SessionBody {
        user: id.clone(),
        id,
        appid,
        state,
    }
}

/// Which run a step belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// The current run, one input further.
    Same,
    /// A new run from launch (restart).
    New,
    /// A new run with the consent of earlier runs dropped (clear authorization data).
    Cleared,
}

/// Runs the new inputs; on success stores them with the new state and publishes it to the
/// session's stream, on failure leaves the session as it was.
#[allow(clippy::too_many_arguments)]
async fn advance(
    sim: &Arc<Simulator>,
    tenant: &str,
    id: String,
    project: usize,
    kept: Vec<Steps>,
    current: Steps,
    run: Run,
    look: Look,
) -> Result<Json<SessionBody>, ApiError> {
    if current.taps.len() + current.answers.len() > MAX_STEPS {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_STEPS} taps and answers in one run: restart"
        )));
    }
    let reset = run == Run::Cleared;
    let mut state = step(sim, project, kept.clone(), current.clone(), look).await?;
    let (tail, before) = {
        let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
        let s = live(&mut sessions, &sim.clock, tenant, &id)?;
        // The log only grows between resets (replays are deterministic); should it ever not,
        // the durable copy is reset and written again.
        let from = if reset || state.events.len() < s.mirrored {
            None
        } else {
            Some(s.mirrored)
        };
        s.version += 1;
        state.version = s.version;
        let before = (
            std::mem::replace(&mut s.kept, kept),
            std::mem::replace(&mut s.current, current),
            std::mem::replace(&mut s.state, state.clone()),
            std::mem::replace(&mut s.mirrored, state.events.len()),
        );
        s.touched = sim.clock.now();
        (from, before)
    };
    let events = state.events[tail.unwrap_or(0)..].to_vec();
    let durable = mirror(sim, tenant, project, &id, tail.is_none(), events).await;
    let mut sessions = sim.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    let Some(s) = sessions.get_mut(&id) else {
        return durable.map(|()| Json(body(sim, project, id.clone(), state)));
    };
    match durable {
        // The stream shows the step once it is durable (unless another step came since:
        // that one publishes its own state).
        Ok(()) if s.state.version == state.version => {
            s.feed
                .publish(&state.timeline, state.stream_json(), run != Run::Same);
        }
        Ok(()) => {}
        Err(e) => {
            // Not durable: the step did not happen (unless another step came since).
            if s.mirrored == state.events.len() {
                (s.kept, s.current, s.state, s.mirrored) = before;
                s.version += 1;
                s.state.version = s.version;
                s.feed
                    .publish(&s.state.timeline, s.state.stream_json(), false);
            }
            return Err(e);
        }
    }
    drop(sessions);
    Ok(Json(body(sim, project, id, state)))
}

/// Appends a session's new consent events (after a `reset` when `reset`) to the durable store,
/// as user `id`, stamped with the store's clock.
async fn mirror(
    sim: &Simulator,
    tenant: &str,
    project: usize,
    id: &str,
    reset: bool,
    events: Vec<ConsentEvent>,
) -> Result<(), ApiError> {
    let Some(p) = sim.projects.get(project) else {
        return Err(ApiError::NotFound("no such project".into()));
    };
    let at = now_ms();
    let mut out = Vec::with_capacity(events.len() + 1);
    if reset {
        let meta = EventMeta {
            at,
            user: id.to_string(),
            app: p.project.appid().to_string(),
            channel: Channel::Develop,
            profile: p.project.profile().name.clone(),
        };
        out.push(ConsentEvent::new(&meta, Change::reset(Via::Reset)));
    }
    for mut e in events {
        e.seq = 0;
        e.at = at;
        e.user = id.to_string();
        out.push(e);
    }
    sim.writer.append(tenant, out).await.map(|_| ())
}

/// Replays the kept runs and runs the current one on a blocking thread.
async fn step(
    sim: &Arc<Simulator>,
    index: usize,
    kept: Vec<Steps>,
    current: Steps,
    look: Look,
) -> Result<SimState, ApiError> {
    let Some(p) = sim.projects.get(index) else {
        return Err(ApiError::NotFound("no such project".into()));
    };
    let project = p.project.clone();
    let name = p.name.clone();
    let title = p.title.clone();
    tokio::task::spawn_blocking(move || run_steps(&project, &name, &title, &kept, &current, look))
        .await
        .map_err(|e| ApiError::Internal(format!("the simulator step failed: {e}")))?
}

fn run_error(e: RunError) -> ApiError {
    if e.is_bad_input() {
        ApiError::BadRequest(e.to_string())
    } else {
        match e {
            RunError::Store(s) => ApiError::Store(s),
            e => ApiError::Internal(e.to_string()),
        }
    }
}

fn run_steps(
    project: &Project,
    name: &str,
    title: &str,
    kept: &[Steps],
    current: &Steps,
    look: Look,
) -> Result<SimState, ApiError> {
    let mut store = MemoryStore::new();
    let mut cfg = RunConfig::new(project);
    cfg.render = true;
    cfg.device = look.device;
    for steps in kept {
        cfg.taps = steps.taps.clone();
        let mut user = ScriptedUser::new(steps.answers.clone());
        // A kept run only matters for the consent it wrote; it ran fine when it was current.
        run(project, &cfg, &mut store, &mut user).map_err(run_error)?;
    }
    cfg.taps = current.taps.clone();
    cfg.screen = true;
    let mut user = ScriptedUser::new(current.answers.clone());
    let outcome = run(project, &cfg, &mut store, &mut user).map_err(run_error)?;
    let painted = outcome
        .screen
        .as_ref()
        .map(|s| Painter::new(project, look.device, look.theme).paint(s));
    if outcome.end == EndReason::BadInput {
        let msg = outcome
            .events
            .iter()
            .rev()
            .find_map(|e| match e {
                Event::Warning { code, message, .. } if code == "bad-input" => {
                    Some(message.clone())
                }
                _ => None,
            })
            .unwrap_or_else(|| "bad input".into());
        return Err(ApiError::BadRequest(msg));
    }
    let mut route = None;
    let mut tree = JsonValue::Array(Vec::new());
    let mut last_ui = None;
    let mut transcript = Vec::new();
    let mut timeline = Vec::with_capacity(outcome.events.len());
    for ev in &outcome.events {
        timeline.push(Line {
            json: serde_json::to_string(ev)
                .map_err(|e| ApiError::Internal(format!("a transcript event: {e}")))?,
            text: render_human(ev, false),
        });
        match ev {
            Event::Render { route: r, tree: t } => {
                route = Some(r.clone());
                tree = t.clone();
                continue;
            }
            Event::Page { route: r, .. } if route.is_none() => route = Some(r.clone()),
            Event::Ui { .. } => last_ui = Some(ev),
            _ => {}
        }
        transcript.push(render_human(ev, false));
    }
    let waiting = if outcome.end == EndReason::AwaitingAnswer {
        last_ui.and_then(|e| serde_json::to_value(e).ok())
    } else {
        None
    };
    let consent = store
        .state(&cfg.user, project.appid())
        .map_err(ApiError::Store)?;
    let events = store
        .log(&cfg.user, project.appid())
        .map_err(ApiError::Store)?;
    Ok(SimState {
        version: 0,
        project: name.to_string(),
        title: title.to_string(),
        route,
        tree,
        tappable: outcome.tappable,
        waiting,
        transcript,
        end: outcome.end.as_str().to_string(),
        consent: JsonValue::Object(auth_setting(&consent)),
        log: events.iter().map(log_line).collect(),
        device: look.device.name.to_string(),
        width: look.device.width,
        height: look.device.height,
        theme: match look.theme {
            Theme::Light => "light".into(),
            Theme::Dark => "dark".into(),
        },
        screen_warnings: painted
            .as_ref()
            .map(|p| p.warnings.clone())
            .unwrap_or_default(),
        screen: painted.map(|p| p.html),
        events,
        timeline,
    })
}

/// `scope.userLocation unset → denied (prompt, tap, authorize)`.
fn log_line(e: &ConsentEvent) -> String {
    let change = e.change_label();
    let mut how = vec![e.via.as_str().to_string()];
    if e.gesture {
        how.push("tap".into());
    }
    if let Some(api) = &e.api {
        how.push(api.clone());
    }
    format!("{} {change} ({})", e.scope.key(), how.join(", "))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]
    use super::*;

    fn example(name: &str) -> PathBuf {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../../examples")
            .join(name)
    }

    #[test]
    fn folders_that_do_not_load_are_skipped_and_names_are_unique() {
        let empty = tempfile::tempdir().unwrap();
        let loaded = load_projects(&[
            example("classic"),
            empty.path().to_path_buf(),
            example("classic"),
            example("record"),
        ]);
        let names: Vec<&str> = loaded.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["classic", "classic-2", "record"]);
        assert_eq!(loaded[0].title, "附近门店");
        assert_eq!(loaded[2].title, "语音留言");
    }

    #[test]
    fn a_bad_tap_is_bad_input_and_a_waiting_ui_is_described() {
        let project = Project::load(&example("classic")).unwrap();
        let bad = Steps {
            taps: vec!["#nothing".into()],
            answers: Vec::new(),
        };
        let look = Look::parse(None, None).unwrap();
        match run_steps(&project, "classic", "t", &[], &bad, look) {
            Err(ApiError::BadRequest(m)) => assert!(m.contains("#nothing"), "{m}"),
            other => panic!("{:?}", other.map(|s| s.end)),
        }
        let steps = Steps {
            taps: vec!["onLocate".into()],
            answers: parse_answers("deny").unwrap(),
        };
        let s = run_steps(&project, "classic", "t", &[], &steps, look).unwrap();
        assert_eq!(s.end, "awaiting-answer");
        assert_eq!(s.waiting.unwrap()["ui"], "modal");
        assert!(s.transcript.iter().any(|l| l == "  ← deny"));
    }
}
