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

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::response::{Html, IntoResponse, Response};
use axum::{Extension, Json};
use miniperm_core::{Change, Channel, ConsentEvent, EventMeta, Subject, Value, Via, auth_setting};
use miniperm_runtime::{
    EndReason, Event, Project, RunConfig, RunError, ScriptedUser, UiAnswer, parse_answers,
    render_human, run,
};
use miniperm_store::{ConsentStore, MemoryStore};
use serde::{Deserialize, Serialize};
use serde_json::Value as JsonValue;

use crate::api::Tenant;
use crate::error::ApiError;
use crate::{Service, new_id, now_ms};

mod explore;
pub(crate) use explore::explore;

/// Most simulator sessions at once (all tenants); the oldest is dropped past it.
pub const MAX_SIM_SESSIONS: usize = 1_000;
/// A simulator session untouched this long is forgotten.
pub const SIM_TTL: Duration = Duration::from_secs(30 * 60);
/// Most runs a session keeps across "restart" (their consent is replayed on every step).
pub const MAX_KEPT_RUNS: usize = 20;
/// Most taps plus answers in one run.
pub const MAX_STEPS: usize = 200;

const INDEX_HTML: &str = include_str!("index.html");

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
pub(crate) struct SimSession {
    tenant: String,
    project: usize,
    /// Events of the session's consent log already mirrored into the durable store.
    mirrored: usize,
    /// Earlier runs (kept by restart): replayed first so their consent is in the store.
    kept: Vec<Steps>,
    current: Steps,
    state: SimState,
    touched: Instant,
}

/// What the page draws after a step.
#[derive(Debug, Clone, Serialize)]
pub struct SimState {
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
    /// The log's events (mirrored into the durable store).
    #[serde(skip)]
    events: Vec<ConsentEvent>,
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

type Svc = State<Arc<Service>>;

/// `GET /`: the simulator page.
pub(crate) async fn index() -> Html<&'static str> {
    Html(INDEX_HTML)
}

/// `GET /sim/projects`.
pub(crate) async fn list_projects(State(svc): Svc) -> Json<JsonValue> {
    let list: Vec<JsonValue> = svc
        .sim_projects
        .iter()
        .map(|p| {
            serde_json::json!({
                "name": p.name,
                "title": p.title,
                "appid": p.project.appid(),
                "pages": p.project.pages(),
            })
        })
        .collect();
    Json(serde_json::json!({ "projects": list }))
}

/// `POST /sim/sessions {project}`.
pub(crate) async fn create_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    body: Result<Json<NewSession>, JsonRejection>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let Some(index) = svc.sim_projects.iter().position(|p| p.name == body.project) else {
        return Err(ApiError::BadRequest(format!(
            "unknown project `{}`",
            body.project
        )));
    };
    let state = step(&svc, index, Vec::new(), Steps::default()).await?;
    let id = new_id("sim_");
    let appid = svc.sim_projects[index].project.appid().to_string();
    mirror(&svc, &tenant, index, &id, false, state.events.clone()).await?;
    let mut sessions = svc.sim_sessions.lock().map_err(|_| ApiError::Unavailable)?;
    sessions.retain(|_, s| s.touched.elapsed() < SIM_TTL);
    while sessions.len() >= MAX_SIM_SESSIONS {
        let oldest = sessions
            .iter()
            .min_by_key(|(_, s)| s.touched)
            .map(|(k, _)| k.clone());
        match oldest {
            Some(k) => sessions.remove(&k),
            None => break,
        };
    }
    sessions.insert(
        id.clone(),
        SimSession {
            tenant,
            project: index,
            mirrored: state.events.len(),
            kept: Vec::new(),
            current: Steps::default(),
            state: state.clone(),
            touched: Instant::now(),
        },
    );
    Ok((
        axum::http::StatusCode::CREATED,
        Json(SessionBody {
            user: id.clone(),
            id,
            appid,
            state,
        }),
    )
        .into_response())
}

/// `GET /sim/sessions/{id}`.
pub(crate) async fn get_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<Json<SessionBody>, ApiError> {
    let (project, _, _, state) = snapshot(&svc, &tenant, &id)?;
    Ok(Json(body(&svc, project, id, state)))
}

/// `POST /sim/sessions/{id}/tap {target}`.
pub(crate) async fn tap(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Result<Json<TapBody>, JsonRejection>,
) -> Result<Json<SessionBody>, ApiError> {
    let Json(body) = body?;
    let target = body.target.trim().to_string();
    if target.is_empty() {
        return Err(ApiError::BadRequest("empty tap target".into()));
    }
    let (project, kept, mut current, state) = snapshot(&svc, &tenant, &id)?;
    if state.waiting.is_some() {
        return Err(ApiError::Conflict(
            "a ui is waiting for an answer: answer it before tapping".into(),
        ));
    }
    current.taps.push(target);
    advance(&svc, &tenant, id, project, kept, current, false).await
}

/// `POST /sim/sessions/{id}/answer {answer}`.
pub(crate) async fn answer(
    State(svc): Svc,
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
    let (project, kept, mut current, state) = snapshot(&svc, &tenant, &id)?;
    if state.waiting.is_none() {
        return Err(ApiError::Conflict("no ui is waiting for an answer".into()));
    }
    current.answers.extend(parsed);
    advance(&svc, &tenant, id, project, kept, current, false).await
}

/// `POST /sim/sessions/{id}/restart {clear?}`: a new run from launch; earlier runs' consent is
/// kept unless `clear`.
pub(crate) async fn restart(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Option<Json<RestartBody>>,
) -> Result<Json<SessionBody>, ApiError> {
    let clear = body.is_some_and(|Json(b)| b.clear);
    let (project, mut kept, current, _) = snapshot(&svc, &tenant, &id)?;
    if clear {
        kept.clear();
    } else if !current.taps.is_empty() || !current.answers.is_empty() {
        kept.push(current);
        if kept.len() > MAX_KEPT_RUNS {
            kept.remove(0);
        }
    }
    advance(&svc, &tenant, id, project, kept, Steps::default(), clear).await
}

/// The session's inputs and state (404 for another tenant's or an expired session).
fn snapshot(
    svc: &Service,
    tenant: &str,
    id: &str,
) -> Result<(usize, Vec<Steps>, Steps, SimState), ApiError> {
    let sessions = svc.sim_sessions.lock().map_err(|_| ApiError::Unavailable)?;
    match sessions.get(id) {
        Some(s) if s.tenant == tenant && s.touched.elapsed() < SIM_TTL => Ok((
            s.project,
            s.kept.clone(),
            s.current.clone(),
            s.state.clone(),
        )),
        _ => Err(ApiError::not_found("simulator session", id)),
    }
}

fn body(svc: &Service, project: usize, id: String, state: SimState) -> SessionBody {
    let appid = svc
        .sim_projects
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

/// Runs the new inputs; on success stores them with the new state, on failure leaves the
/// session as it was. `reset`: the consent of earlier runs was dropped (clear authorization data).
async fn advance(
    svc: &Arc<Service>,
    tenant: &str,
    id: String,
    project: usize,
    kept: Vec<Steps>,
    current: Steps,
    reset: bool,
) -> Result<Json<SessionBody>, ApiError> {
    if current.taps.len() + current.answers.len() > MAX_STEPS {
        return Err(ApiError::Conflict(format!(
            "at most {MAX_STEPS} taps and answers in one run: restart"
        )));
    }
    let state = step(svc, project, kept.clone(), current.clone()).await?;
    let (tail, before) = {
        let mut sessions = svc.sim_sessions.lock().map_err(|_| ApiError::Unavailable)?;
        let Some(s) = sessions.get_mut(&id).filter(|s| s.tenant == tenant) else {
            return Err(ApiError::not_found("simulator session", &id));
        };
        // The log only grows between resets (replays are deterministic); should it ever not,
        // the durable copy is reset and written again.
        let from = if reset || state.events.len() < s.mirrored {
            None
        } else {
            Some(s.mirrored)
        };
        let before = (
            std::mem::replace(&mut s.kept, kept),
            std::mem::replace(&mut s.current, current),
            std::mem::replace(&mut s.state, state.clone()),
            std::mem::replace(&mut s.mirrored, state.events.len()),
        );
        s.touched = Instant::now();
        (from, before)
    };
    let events = state.events[tail.unwrap_or(0)..].to_vec();
    if let Err(e) = mirror(svc, tenant, project, &id, tail.is_none(), events).await {
        // Not durable: the step did not happen (unless another step came since).
        if let Ok(mut sessions) = svc.sim_sessions.lock()
            && let Some(s) = sessions.get_mut(&id)
            && s.mirrored == state.events.len()
        {
            (s.kept, s.current, s.state, s.mirrored) = before;
        }
        return Err(e);
    }
    Ok(Json(body(svc, project, id, state)))
}

/// Appends a session's new consent events (after a `reset` when `reset`) to the durable store,
/// as user `id`, stamped with the store's clock.
async fn mirror(
    svc: &Service,
    tenant: &str,
    project: usize,
    id: &str,
    reset: bool,
    events: Vec<ConsentEvent>,
) -> Result<(), ApiError> {
    let Some(p) = svc.sim_projects.get(project) else {
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
        out.push(ConsentEvent::new(
            &meta,
            Change {
                subject: Subject::All,
                from: Value::Unset,
                to: Value::Unset,
                via: Via::Reset,
                gesture: false,
                api: None,
                notice: None,
            },
        ));
    }
    for mut e in events {
        e.seq = 0;
        e.at = at;
        e.user = id.to_string();
        out.push(e);
    }
    svc.writer.append(tenant, out).await.map(|_| ())
}

/// Replays the kept runs and runs the current one on a blocking thread.
async fn step(
    svc: &Arc<Service>,
    index: usize,
    kept: Vec<Steps>,
    current: Steps,
) -> Result<SimState, ApiError> {
    let Some(p) = svc.sim_projects.get(index) else {
        return Err(ApiError::NotFound("no such project".into()));
    };
    let project = p.project.clone();
    let name = p.name.clone();
    let title = p.title.clone();
    tokio::task::spawn_blocking(move || run_steps(&project, &name, &title, &kept, &current))
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
) -> Result<SimState, ApiError> {
    let mut store = MemoryStore::new();
    let mut cfg = RunConfig::new(project);
    cfg.render = true;
    for steps in kept {
        cfg.taps = steps.taps.clone();
        let mut user = ScriptedUser::new(steps.answers.clone());
        // A kept run only matters for the consent it wrote; it ran fine when it was current.
        run(project, &cfg, &mut store, &mut user).map_err(run_error)?;
    }
    cfg.taps = current.taps.clone();
    let mut user = ScriptedUser::new(current.answers.clone());
    let outcome = run(project, &cfg, &mut store, &mut user).map_err(run_error)?;
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
    for ev in &outcome.events {
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
        events,
    })
}

/// `scope.userLocation unset → denied (prompt, tap, authorize)`.
fn log_line(e: &ConsentEvent) -> String {
    let change = match e.scope {
        Subject::All => format!("all → {}", e.to.as_str()),
        _ => format!("{} → {}", e.from.as_str(), e.to.as_str()),
    };
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
        match run_steps(&project, "classic", "t", &[], &bad) {
            Err(ApiError::BadRequest(m)) => assert!(m.contains("#nothing"), "{m}"),
            other => panic!("{:?}", other.map(|s| s.end)),
        }
        let steps = Steps {
            taps: vec!["onLocate".into()],
            answers: parse_answers("deny").unwrap(),
        };
        let s = run_steps(&project, "classic", "t", &[], &steps).unwrap();
        assert_eq!(s.end, "awaiting-answer");
        assert_eq!(s.waiting.unwrap()["ui"], "modal");
        assert!(s.transcript.iter().any(|l| l == "  ← deny"));
    }
}
