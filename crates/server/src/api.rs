//! The `/v1` routes, their middleware (keys, rate limit, timeout, tracing, metrics) and the
//! OpenAPI document generated from the handlers' annotations.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::rejection::JsonRejection;
use axum::extract::{MatchedPath, Path, Query, Request as HttpRequest, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, patch, post, put};
use axum::{Extension, Json, Router};
use miniperm_core::decide::answers_for;
use miniperm_core::{
    Answer, AppState, Ask, Change, Channel, ConsentEvent, Driven, Env, EventMeta, Manifest,
    Request, Scope, SettingChange, SettingsPage, Subject, SystemSwitches, Value, Via,
    apply_settings, auth_setting, drive, explain, setting_result,
};
use miniperm_store::{Committed, ConsentKey, Receipt, StoredReceipt};
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};
use utoipa::{OpenApi, ToSchema};

use crate::error::ApiError;
use crate::keys::hash_secret;
use crate::retry::{IdemKey, answer_family, idem_key, prompt_key};
use crate::{
    BODY_LIMIT, PROMPT_TTL, Pending, REQUEST_TIMEOUT, Service, SettingsSession, new_id, now_ms,
};

/// The tenant a request acts as, set by the key check.
#[derive(Debug, Clone)]
pub struct Tenant(pub String);

type Svc = State<Arc<Service>>;
type Body<T> = Result<Json<T>, JsonRejection>;

/// Every route of the service.
pub fn router(svc: Arc<Service>) -> Router {
    let v1 = Router::new()
        .route("/v1/apps/{appid}/users/{user}/authorize", post(authorize))
        .route("/v1/prompts/{id}", post(answer_prompt))
        .route(
            "/v1/apps/{appid}/users/{user}/setting",
            get(get_setting).delete(clear_setting),
        )
        .route(
            "/v1/apps/{appid}/users/{user}/setting/{scope}",
            delete(remove_scope),
        )
        .route(
            "/v1/apps/{appid}/users/{user}/settings-sessions",
            post(open_session),
        )
        .route("/v1/settings-sessions/{id}", patch(patch_session))
        .route("/v1/settings-sessions/{id}/close", post(close_session))
        .route("/v1/apps/{appid}/users/{user}/log", get(get_log))
        .route(
            "/v1/apps/{appid}/users/{user}/explain/{scope}",
            get(get_explain),
        )
        .route("/v1/apps/{appid}/manifest", put(put_manifest))
        .route_layer(Gate::new(&svc, true));
    // The simulator's JSON endpoints: the same key check as /v1 (open on loopback without keys).
    let sim = Router::new()
        .route("/sim/projects", get(crate::sim::list_projects))
        .route("/sim/sessions", post(crate::sim::create_session))
        .route(
            "/sim/sessions/{id}",
            get(crate::sim::get_session).delete(crate::sim::delete_session),
        )
        .route("/sim/sessions/{id}/events", get(crate::sim::events))
        .route("/sim/sessions/{id}/tap", post(crate::sim::tap))
        .route("/sim/sessions/{id}/answer", post(crate::sim::answer))
        .route("/sim/sessions/{id}/restart", post(crate::sim::restart))
        .route("/sim/sessions/{id}/device", post(crate::sim::device))
        .route("/sim/sessions/{id}/explore", post(crate::sim::explore))
        .route_layer(Gate::new(&svc, true));
    let open = Router::new()
        .route("/", get(crate::sim::index))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route_layer(Gate::new(&svc, false));
    // One middleware per route (each layer costs a boxed future and a service clone per
    // request): the observation always, the key check on the keyed routes.
    Router::new()
        .merge(v1)
        .merge(sim)
        .merge(open)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .with_state(svc)
}

/// The one middleware of every route: a tracing span, the timeout and the metrics around the
/// route, and on the keyed routes the key check first (its 401 and 429 are observed like any
/// answer). Written as a plain tower layer rather than `middleware::from_fn`, which boxes the
/// inner service and clones it on every request.
#[derive(Clone)]
struct Gate {
    svc: Arc<Service>,
    keyed: bool,
}

impl Gate {
    fn new(svc: &Arc<Service>, keyed: bool) -> Gate {
        Gate {
            svc: svc.clone(),
            keyed,
        }
    }
}

impl<S> tower::Layer<S> for Gate {
    type Service = Gated<S>;

    fn layer(&self, inner: S) -> Gated<S> {
        Gated {
            inner,
            gate: self.clone(),
        }
    }
}

/// A route behind its [`Gate`].
#[derive(Clone)]
struct Gated<S> {
    inner: S,
    gate: Gate,
}

impl<S> tower::Service<HttpRequest> for Gated<S>
where
    S: tower::Service<HttpRequest, Response = Response, Error = std::convert::Infallible>,
    S::Future: Send + 'static,
{
    type Response = Response;
    type Error = std::convert::Infallible;
    type Future = futures_util::future::BoxFuture<'static, Result<Response, Self::Error>>;

    fn poll_ready(
        &mut self,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: HttpRequest) -> Self::Future {
        let start = Instant::now();
        let method = req.method().clone();
        let route = req.extensions().get::<MatchedPath>().cloned();
        let span = tracing::info_span!(
            "request",
            %method,
            route = route.as_ref().map_or("?", MatchedPath::as_str)
        );
        span.in_scope(|| tracing::debug!("start"));
        let svc = self.gate.svc.clone();
        let checked = match self.gate.keyed {
            true => authenticate(&svc, &mut req),
            false => Ok(()),
        };
        // The inner route is called here (it is always ready: axum's routes are) so the future
        // below owns only what it needs.
        let answer = checked.map(|()| self.inner.call(req));
        Box::pin(async move {
            let res = match answer {
                Err(e) => e.into_response(),
                Ok(fut) => match tokio::time::timeout(REQUEST_TIMEOUT, fut).await {
                    Ok(Ok(r)) => r,
                    Ok(Err(never)) => match never {},
                    Err(_) => ApiError::Timeout(REQUEST_TIMEOUT.as_secs()).into_response(),
                },
            };
            let status = res.status().as_u16();
            let secs = start.elapsed().as_secs_f64();
            span.in_scope(|| tracing::info!(status, ms = secs * 1000.0, "done"));
            let route = route.as_ref().map_or("?", MatchedPath::as_str);
            svc.metrics.request(method.as_str(), route, status, secs);
            Ok(res)
        })
    }
}

/// The key check and the per-key rate limit: on success the request carries its [`Tenant`].
/// Open mode (loopback, no key created) acts as tenant `dev` without a key; a key, when sent,
/// is always checked.
fn authenticate(svc: &Service, req: &mut HttpRequest) -> Result<(), ApiError> {
    let bearer = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim);
    let (who, tenant): (std::borrow::Cow<'static, str>, String) = match bearer {
        None if svc.is_open() => ("open".into(), miniperm_store::DEFAULT_TENANT.to_string()),
        None => {
            return Err(ApiError::Unauthorized(
                "an api key is required: `Authorization: Bearer KEY`".into(),
            ));
        }
        Some(secret) => {
            let hash = hash_secret(secret);
            let cached = svc.caches.keys.get(&hash);
            let found = match cached {
                Some(k) => Some(k),
                None => {
                    let generation = svc.caches.keys.generation();
                    let keys = svc.read(|s| s.keys())?;
                    let found = keys
                        .into_iter()
                        .find(|k| k.hash == hash && k.revoked.is_none())
                        .map(|k| crate::cache::Verified {
                            id: k.id,
                            tenant: k.tenant,
                        });
                    if let Some(k) = &found {
                        svc.caches.keys.fill(&hash, k.clone(), generation);
                    }
                    found
                }
            };
            match found {
                Some(k) => (k.id.into(), k.tenant),
                None => return Err(ApiError::Unauthorized("unknown or revoked api key".into())),
            }
        }
    };
    svc.check_rate(&who)?;
    req.extensions_mut().insert(Tenant(tenant));
    Ok(())
}

/// Runs `f`, which may block for long (a remote store that is reconnecting), without holding
/// up the other tasks of this worker: on a multi-threaded runtime the worker hands its tasks to
/// another thread first (`block_in_place`); elsewhere `f` just runs.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    use tokio::runtime::{Handle, RuntimeFlavor};
    match Handle::try_current() {
        Ok(h) if h.runtime_flavor() == RuntimeFlavor::MultiThread => tokio::task::block_in_place(f),
        _ => f(),
    }
}

impl Service {
    /// Runs `f` on a reader connection. On a remote store (PostgreSQL) a read can wait seconds
    /// while the pool reconnects (a failover): it runs as blocking work, so `/healthz`,
    /// `/metrics` and cached answers stay served meanwhile. SQLite reads take microseconds and
    /// run in place.
    pub(crate) fn read<T>(
        &self,
        f: impl FnOnce(&mut dyn miniperm_store::Backend) -> Result<T, miniperm_store::StoreError>,
    ) -> Result<T, ApiError> {
        if self.remote {
            return blocking(|| self.read_now(f));
        }
        self.read_now(f)
    }

    fn read_now<T>(
        &self,
        f: impl FnOnce(&mut dyn miniperm_store::Backend) -> Result<T, miniperm_store::StoreError>,
    ) -> Result<T, ApiError> {
        let n = self.readers.len();
        let start = self
            .next_reader
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        for i in 0..n {
            if let Ok(mut s) = self.readers[(start + i) % n].try_lock() {
                return Ok(f(&mut **s)?);
            }
        }
        let mut s = self.readers[start % n]
            .lock()
            .map_err(|_| ApiError::Unavailable)?;
        Ok(f(&mut **s)?)
    }

    fn check_rate(&self, who: &str) -> Result<(), ApiError> {
        let second = (now_ms() / 1000) as u64;
        let mut rate = self.rate.lock().map_err(|_| ApiError::Unavailable)?;
        if !rate.contains_key(who) {
            rate.insert(who.to_string(), (second, 0));
        }
        let Some(e) = rate.get_mut(who) else {
            return Err(ApiError::Unavailable);
        };
        if e.0 != second {
            *e = (second, 0);
        }
        e.1 += 1;
        if e.1 > self.rate_limit {
            return Err(ApiError::RateLimited(self.rate_limit));
        }
        Ok(())
    }

    /// The app's declarations (the empty manifest when none was stored).
    fn manifest(&self, tenant: &str, app: &str) -> Result<Arc<Manifest>, ApiError> {
        if let Some(m) = self.caches.manifests.get(tenant, app) {
            return Ok(m);
        }
        let generation = self.caches.manifests.generation();
        let m = match self.read(|s| s.manifest_in(tenant, app))? {
            // Written by this service from a `Manifest`: unreadable means a damaged row.
            Some(body) => serde_json::from_str(&body).map_err(|e| {
                ApiError::Conflict(format!("the stored manifest of `{app}` is unreadable: {e}"))
            })?,
            None => Manifest::default(),
        };
        let m = Arc::new(m);
        self.caches
            .manifests
            .fill(tenant, app, m.clone(), generation);
        Ok(m)
    }

    /// The state of one (tenant, app, user): from the cache, else read and cached.
    pub(crate) fn state(&self, key: ConsentKey<'_>) -> Result<AppState, ApiError> {
        let slot = crate::cache::state_key(key);
        match self.caches.states.get(&slot) {
            crate::cache::Lookup::Hit(s) => Ok(s),
            crate::cache::Lookup::Miss(token) => {
                // A key the store surely has no row for: the empty state, without a read.
                let s = if self.caches.known.surely_absent(&slot) {
                    AppState::new()
                } else {
                    self.read(|st| st.state_in(key))?
                };
                self.caches.states.fill(&slot, token, s);
                Ok(s)
            }
        }
    }

    fn env<'a>(&'a self, manifest: &'a Manifest) -> Env<'a> {
        Env {
            profile: &self.profile,
            manifest,
            privacy_listener: false,
            system: SystemSwitches::default(),
        }
    }

    fn meta(&self, key: ConsentKey<'_>) -> EventMeta {
        EventMeta {
            at: now_ms(),
            user: key.user.to_string(),
            app: key.app.to_string(),
            channel: Channel::Release,
            profile: self.profile.name.clone(),
        }
    }

    /// The events of `changes` for the key's app and user, stamped now.
    fn events(&self, key: ConsentKey<'_>, changes: Vec<Change>) -> Vec<ConsentEvent> {
        let meta = self.meta(key);
        changes
            .into_iter()
            .map(|c| ConsentEvent::new(&meta, c))
            .collect()
    }

    async fn write(
        &self,
        key: ConsentKey<'_>,
        changes: Vec<Change>,
    ) -> Result<Vec<ConsentEvent>, ApiError> {
        let events = self.events(key, changes);
        self.writer.append(key.tenant, events).await
    }

    /// The receipt stored under (`tenant`, `key`): read through a reader connection (on
    /// PostgreSQL a pooled connection to the current primary).
    fn receipt(&self, tenant: &str, key: &str) -> Result<Option<StoredReceipt>, ApiError> {
        self.read(|s| s.receipt_in(tenant, key))
    }

    fn forget_prompt(&self, id: &str) {
        if let Ok(mut p) = self.prompts.lock() {
            p.remove(id);
        }
    }
}

/// A JSON answer with exactly these bytes (a repeat of a keyed request gets the same bytes).
fn json_answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `base` (a JSON object) with the stored `events` added: the answer of a DELETE.
fn with_events(base: &str, events: &[ConsentEvent]) -> String {
    let mut v: serde_json::Map<String, JsonValue> = serde_json::from_str(base).unwrap_or_default();
    v.insert(
        "events".into(),
        serde_json::to_value(events).unwrap_or(JsonValue::Null),
    );
    JsonValue::Object(v).to_string()
}

/// How a keyed request is recognised when it comes again.
struct Keyed {
    /// The receipt key (`prompt:ID`, `key:K`).
    key: String,
    /// What it asked: a repeat must ask the same.
    fingerprint: String,
    /// `prompt` or `key`, for metrics.
    kind: &'static str,
    /// The prompt id or the `Idempotency-Key`, for messages.
    shown: String,
    /// The answer carries the decision's stored events (DELETE).
    with_events: bool,
}

impl Keyed {
    fn idem(key: String, fingerprint: JsonValue, with_events: bool) -> Keyed {
        Keyed {
            key: idem_key(&key),
            fingerprint: fingerprint.to_string(),
            kind: "key",
            shown: key,
            with_events,
        }
    }
}

/// A decision's answer, built before its commit (a keyed request stores it as its receipt).
struct Answered {
    status: u16,
    body: String,
    /// The prompt this answer registered (202).
    prompt: Option<String>,
}

/// The answer of a repeated keyed request: the first answer again (its events read back from
/// the log when the answer carries them), or 409 when it asks for something else.
fn replay(
    svc: &Service,
    tenant: &str,
    first: &StoredReceipt,
    k: &Keyed,
) -> Result<Response, ApiError> {
    let r = &first.receipt;
    if r.fingerprint != k.fingerprint {
        return Err(ApiError::Conflict(match k.kind {
            "prompt" => format!(
                "prompt `{}` was already answered `{}`: a different answer cannot replace it",
                k.shown, r.fingerprint
            ),
            _ => format!(
                "`Idempotency-Key` `{}` was already used for another request: {}",
                k.shown, r.fingerprint
            ),
        }));
    }
    svc.metrics.replay(k.kind);
    if !k.with_events {
        return Ok(json_answer(r.status, r.body.clone()));
    }
    let events = match first.seqs {
        None => Vec::new(),
        Some((from, to)) => svc
            .read(|s| {
                s.log_in(ConsentKey {
                    tenant,
                    app: &r.app,
                    user: &r.user,
                })
            })?
            .into_iter()
            .filter(|e| e.seq >= from && e.seq <= to)
            .collect(),
    };
    Ok(json_answer(r.status, with_events(&r.body, &events)))
}

/// Commits a keyed request's events with its receipt. The outer error is a failed commit (its
/// outcome may be unknown: the caller keeps what a retry needs); the inner result is the
/// answer, which is the first answer again when an earlier attempt had committed the key.
async fn commit_keyed(
    svc: &Service,
    who: ConsentKey<'_>,
    k: &Keyed,
    events: Vec<ConsentEvent>,
    a: Answered,
) -> Result<Result<Response, ApiError>, ApiError> {
    let tenant = who.tenant;
    let receipt = Receipt {
        key: k.key.clone(),
        fingerprint: k.fingerprint.clone(),
        user: who.user.to_string(),
        app: who.app.to_string(),
        status: a.status,
        body: a.body.clone(),
        at: now_ms(),
    };
    match svc.writer.commit(tenant, events, Some(receipt)).await? {
        Committed::Appended(stored) => Ok(Ok(if k.with_events {
            json_answer(a.status, with_events(&a.body, &stored))
        } else {
            json_answer(a.status, a.body)
        })),
        Committed::Duplicate(first) => {
            // The prompt this attempt registered is not the one the first answer named.
            if let Some(id) = &a.prompt {
                svc.forget_prompt(id);
            }
            Ok(replay(svc, tenant, &first, k))
        }
    }
}

fn bad_scope(s: &str) -> ApiError {
    ApiError::BadRequest(format!("unknown scope `{s}`"))
}

fn core_err(e: miniperm_core::CoreError) -> ApiError {
    ApiError::Conflict(e.to_string())
}

/// `authorize`'s body.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AuthorizeBody {
    /// e.g. `scope.userLocation`
    pub scope: String,
    /// The call happens in a user-tap context (default false).
    #[serde(default)]
    pub gesture: bool,
}

/// A prompt's answer.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AnswerBody {
    /// `allow` or `deny` (`dismiss` where the profile allows it; `agree`/`disagree` for the
    /// privacy popup, which also takes allow/deny).
    pub answer: String,
}

/// app.json's fields the engine reads.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ManifestBody {
    /// `{"scope.userLocation": {"desc": "…"}}`
    #[serde(default)]
    pub permission: BTreeMap<String, PermissionEntry>,
    pub required_private_infos: Option<Vec<String>>,
    #[serde(default)]
    pub required_background_modes: Vec<String>,
}

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct PermissionEntry {
    #[serde(default)]
    pub desc: String,
}

#[derive(Debug, Deserialize)]
pub struct SettingQuery {
    #[serde(rename = "withSubscriptions", default)]
    with_subscriptions: bool,
}

fn prompt_json(svc: &Service, manifest: &Manifest, id: &str, ask: &Ask) -> JsonValue {
    let (kind, scope) = match ask {
        Ask::ScopePrompt { scope, .. } => ("scope", Some(*scope)),
        Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. } => ("privacy", None),
        Ask::OsPrompt { .. } => ("os", None),
    };
    let answers: Vec<&str> = answers_for(ask, &svc.profile)
        .iter()
        .map(|a| a.as_str())
        .collect();
    json!({"prompt": {
        "id": id,
        "kind": kind,
        "scope": scope.map(|s| s.as_str()),
        "desc": scope.and_then(|s| manifest.desc(s)).unwrap_or(""),
        "answers": answers,
    }})
}

/// A driven call's answer: 200 with the result, or 202 with a new pending prompt. The prompt
/// is registered here, before the commit, so that a retry after a commit whose answer was lost
/// finds the prompt its receipt names.
fn answer_of(
    svc: &Service,
    who: ConsentKey<'_>,
    req: Request,
    manifest: &Manifest,
    driven: &Driven,
) -> Result<Answered, ApiError> {
    if let Some(ask) = driven.waiting {
        let id = new_id("p_");
        let body = prompt_json(svc, manifest, &id, &ask);
        {
            let mut p = svc.prompts.lock().map_err(|_| ApiError::Unavailable)?;
            let now = Instant::now();
            // Expired prompts are swept every 1024 new ones (not on every insert: O(n)).
            if p.len() % 1024 == 1023 {
                p.retain(|_, v| v.alive(now));
            }
            if p.len() >= crate::MAX_PENDING {
                p.retain(|_, v| v.alive(now));
                if p.len() >= crate::MAX_PENDING {
                    return Err(ApiError::Conflict(format!(
                        "too many prompts waiting for an answer (at most {})",
                        crate::MAX_PENDING
                    )));
                }
            }
            p.insert(
                id.clone(),
                Pending {
                    tenant: who.tenant.to_string(),
                    app: who.app.to_string(),
                    user: who.user.to_string(),
                    req,
                    ask,
                    expires: now + PROMPT_TTL,
                    tried: false,
                },
            );
        }
        svc.metrics.decision("prompt");
        return Ok(Answered {
            status: 202,
            body: body.to_string(),
            prompt: Some(id),
        });
    }
    let body = match driven.result {
        Ok(()) => {
            svc.metrics.decision("ok");
            json!({"errMsg": "authorize:ok"})
        }
        Err(f) => {
            let name = serde_json::to_value(f)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_else(|| "fail".into());
            svc.metrics.decision(&name);
            let mut m = serde_json::Map::new();
            m.insert("errMsg".into(), f.err_msg(&svc.profile, "authorize").into());
            if let Some(n) = f.errno(&svc.profile) {
                m.insert("errno".into(), n.into());
            }
            JsonValue::Object(m)
        }
    };
    Ok(Answered {
        status: 200,
        body: body.to_string(),
        prompt: None,
    })
}

/// Writes a driven call's changes, then answers 200 (result) or 202 (a new pending prompt).
async fn finish(
    svc: &Service,
    who: ConsentKey<'_>,
    req: Request,
    manifest: &Manifest,
    driven: Driven,
) -> Result<Response, ApiError> {
    let a = answer_of(svc, who, req, manifest, &driven)?;
    if let Err(e) = svc.write(who, driven.changes).await {
        if let Some(id) = &a.prompt {
            svc.forget_prompt(id);
        }
        return Err(e);
    }
    Ok(json_answer(a.status, a.body))
}

/// `wx.authorize` for one user of one app.
#[utoipa::path(post, path = "/v1/apps/{appid}/users/{user}/authorize",
    params(("appid" = String, Path), ("user" = String, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "Makes a repeat of this request safe: the first answer comes back (200/202, same body) and nothing is decided twice; the same key on a different request is 409. 1 to 255 visible ASCII characters, per tenant.")),
    request_body = AuthorizeBody,
    responses(
        (status = 200, description = "the result: `errMsg` and, on failure, `errno`"),
        (status = 202, description = "`{\"prompt\": {\"id\", \"kind\", \"scope\", \"desc\", \"answers\"}}`: the host must show it"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody, description = "the Idempotency-Key was used for another request"),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the outcome is unknown: repeat the request as it was")))]
async fn authorize(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    IdemKey(idem): IdemKey,
    Path((app, user)): Path<(String, String)>,
    body: Body<AuthorizeBody>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let who = ConsentKey {
        tenant: &tenant,
        app: &app,
        user: &user,
    };
    let Some(idem) = idem else {
        let manifest = svc.manifest(&tenant, &app)?;
        let mut state = svc.state(who)?;
        let req = Request::authorize(Some(&body.scope), body.gesture, now_ms());
        let driven = drive(&req, &mut state, &svc.env(&manifest), |_| None).map_err(core_err)?;
        return finish(&svc, who, req, &manifest, driven).await;
    };
    let k = Keyed::idem(
        idem,
        json!(["authorize", app, user, body.scope, body.gesture]),
        false,
    );
    let _one = svc.locks.lock(&tenant, &k.key).await?;
    if let Some(first) = svc.receipt(&tenant, &k.key)? {
        return replay(&svc, &tenant, &first, &k);
    }
    let manifest = svc.manifest(&tenant, &app)?;
    let mut state = svc.state(who)?;
    let req = Request::authorize(Some(&body.scope), body.gesture, now_ms());
    let driven = drive(&req, &mut state, &svc.env(&manifest), |_| None).map_err(core_err)?;
    let a = answer_of(&svc, who, req, &manifest, &driven)?;
    let events = svc.events(who, driven.changes);
    commit_keyed(&svc, who, &k, events, a).await?
}

fn parse_answer(ask: &Ask, s: &str) -> Option<Answer> {
    let privacy = matches!(ask, Ask::PrivacyListener { .. } | Ask::PrivacyPopup { .. });
    Some(match (s, privacy) {
        ("allow" | "agree", true) => Answer::Agree,
        ("deny" | "disagree", true) => Answer::Disagree,
        ("allow", false) => Answer::Allow,
        ("deny", false) => Answer::Deny,
        ("dismiss", false) => Answer::Dismiss,
        _ => return None,
    })
}

/// Answers a pending prompt; the decision is durable before the answer is sent. Idempotent:
/// the same answer again gets the committed result (200, the same body), a different answer
/// to an answered prompt is 409, and a prompt neither waiting nor answered is 404
/// `unknown_prompt` (ask again).
#[utoipa::path(post, path = "/v1/prompts/{id}",
    params(("id" = String, Path)),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "the authorize result, durable; a repeat of the same answer gets the same body"),
        (status = 202, description = "the answer led to a further prompt (privacy, then scope, then OS)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "`unknown_prompt`: not waiting (expired, or the service restarted) and no answer recorded: call authorize again"),
        (status = 409, body = ErrorBody, description = "the prompt was already answered differently, or the answer does not fit it"),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the outcome is unknown: repeat the same answer")))]
async fn answer_prompt(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Body<AnswerBody>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let k = Keyed {
        key: prompt_key(&id),
        fingerprint: answer_family(&body.answer)
            .unwrap_or(body.answer.as_str())
            .to_string(),
        kind: "prompt",
        shown: id.clone(),
        with_events: false,
    };
    let _one = svc.locks.lock(&tenant, &k.key).await?;
    let waiting = {
        let p = svc.prompts.lock().map_err(|_| ApiError::Unavailable)?;
        let now = Instant::now();
        p.get(&id)
            .filter(|v| v.tenant == tenant && v.alive(now))
            .cloned()
    };
    let Some(p) = waiting else {
        // Answered, expired or forgotten by a restart: the store knows whether an answer was
        // recorded.
        return match svc.receipt(&tenant, &k.key)? {
            Some(first) => replay(&svc, &tenant, &first, &k),
            None => Err(ApiError::UnknownPrompt(id)),
        };
    };
    let answer = parse_answer(&p.ask, &body.answer)
        .filter(|a| answers_for(&p.ask, &svc.profile).contains(a))
        .ok_or_else(|| {
            ApiError::Conflict(format!("answer `{}` does not fit this prompt", body.answer))
        })?;
    // An earlier attempt failed: did it commit? (On PostgreSQL: asked of the current primary.)
    if p.tried
        && let Some(first) = svc.receipt(&tenant, &k.key)?
    {
        svc.forget_prompt(&id);
        return replay(&svc, &tenant, &first, &k);
    }
    if let Ok(mut m) = svc.prompts.lock()
        && let Some(v) = m.get_mut(&id)
    {
        v.tried = true;
    }
    let manifest = svc.manifest(&tenant, &p.app)?;
    let who = p.key();
    let mut state = svc.state(who)?;
    let mut once = Some(answer);
    let driven = drive(&p.req, &mut state, &svc.env(&manifest), |ask| {
        if *ask == p.ask { once.take() } else { None }
    })
    .map_err(core_err)?;
    let a = answer_of(&svc, who, p.req, &manifest, &driven)?;
    let events = svc.events(who, driven.changes);
    // A failed commit keeps the prompt (tried): the retry asks the store what happened.
    let out = commit_keyed(&svc, who, &k, events, a).await?;
    svc.forget_prompt(&id);
    out
}

/// `wx.getSetting`.
#[utoipa::path(get, path = "/v1/apps/{appid}/users/{user}/setting",
    params(("appid" = String, Path), ("user" = String, Path),
        ("withSubscriptions" = Option<bool>, Query)),
    responses(
        (status = 200, description = "`{\"authSetting\", \"errMsg\": \"getSetting:ok\"}`"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_setting(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user)): Path<(String, String)>,
    Query(q): Query<SettingQuery>,
) -> Result<Json<SettingBody>, ApiError> {
    let state = svc.state(ConsentKey {
        tenant: &tenant,
        app: &app,
        user: &user,
    })?;
    Ok(Json(SettingBody {
        state,
        with_subscriptions: q.with_subscriptions,
    }))
}

/// `getSetting`'s answer written straight from the state: the document of
/// [`setting_result`] (a test holds them equal) without a `serde_json::Value` per request.
pub struct SettingBody {
    state: AppState,
    with_subscriptions: bool,
}

impl serde::Serialize for SettingBody {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Auth<'a>(&'a AppState);
        impl serde::Serialize for Auth<'_> {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.collect_map(
                    self.0
                        .requested()
                        .map(|(scope, v)| (scope.as_str(), v == Value::Granted)),
                )
            }
        }
        #[derive(serde::Serialize)]
        struct Subscriptions {
            #[serde(rename = "mainSwitch")]
            main_switch: bool,
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("authSetting", &Auth(&self.state))?;
        if self.with_subscriptions {
            m.serialize_entry("subscriptionsSetting", &Subscriptions { main_switch: true })?;
        }
        m.serialize_entry("errMsg", "getSetting:ok")?;
        m.end()
    }
}

fn rows_json(state: &AppState, manifest: &Manifest) -> JsonValue {
    serde_json::to_value(SettingsPage::new(state, manifest).rows).unwrap_or(JsonValue::Null)
}

/// `wx.openSetting`: opens a settings page of the requested scopes.
#[utoipa::path(post, path = "/v1/apps/{appid}/users/{user}/settings-sessions",
    params(("appid" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "`{\"id\", \"rows\"}`: only scopes the app requested"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn open_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user)): Path<(String, String)>,
) -> Result<Json<JsonValue>, ApiError> {
    let manifest = svc.manifest(&tenant, &app)?;
    let state = svc.state(ConsentKey {
        tenant: &tenant,
        app: &app,
        user: &user,
    })?;
    let id = new_id("s_");
    {
        let mut m = svc.sessions.lock().map_err(|_| ApiError::Unavailable)?;
        let now = Instant::now();
        if m.len() % 1024 == 1023 {
            m.retain(|_, v| v.expires > now);
        }
        m.insert(
            id.clone(),
            SettingsSession {
                tenant,
                app,
                user,
                expires: now + PROMPT_TTL,
                closed: None,
            },
        );
    }
    Ok(Json(
        json!({"id": id, "rows": rows_json(&state, &manifest)}),
    ))
}

fn session(svc: &Service, tenant: &str, id: &str) -> Result<SettingsSession, ApiError> {
    let m = svc.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    match m.get(id) {
        Some(s) if s.tenant == tenant && s.expires > Instant::now() && s.closed.is_none() => {
            Ok(s.clone())
        }
        _ => Err(ApiError::UnknownSession(id.to_string())),
    }
}

/// Switches scopes on the open settings page; each change is durable before the answer. A
/// repeat sets the same switches again, which records nothing new; with an `Idempotency-Key`
/// it gets the first answer again.
#[utoipa::path(patch, path = "/v1/settings-sessions/{id}",
    params(("id" = String, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "A repeat with the same key gets the first answer (same body) and records nothing; the same key on a different request is 409.")),
    request_body(content = Object, description = "`{\"scope.userLocation\": true}`"),
    responses(
        (status = 200, description = "the rows after the change"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "`unknown_session`: open a new settings session"),
        (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the outcome is unknown: repeat the request as it was")))]
async fn patch_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    IdemKey(idem): IdemKey,
    Path(id): Path<String>,
    body: Body<BTreeMap<String, bool>>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let k = idem.map(|key| Keyed::idem(key, json!(["settings-session", id, body]), false));
    let _one = match &k {
        Some(k) => Some(svc.locks.lock(&tenant, &k.key).await?),
        None => None,
    };
    if let Some(k) = &k
        && let Some(first) = svc.receipt(&tenant, &k.key)?
    {
        return replay(&svc, &tenant, &first, k);
    }
    let s = session(&svc, &tenant, &id)?;
    let changes = body
        .iter()
        .map(|(k, on)| {
            Scope::parse(k)
                .map(|scope| SettingChange { scope, on: *on })
                .ok_or_else(|| bad_scope(k))
        })
        .collect::<Result<Vec<_>, _>>()?;
    let manifest = svc.manifest(&tenant, &s.app)?;
    let who = s.key();
    let state = svc.state(who)?;
    let out = apply_settings(&state, &manifest, &changes, true).map_err(core_err)?;
    let mut after = state;
    for c in &out {
        after.apply_change(c.subject, c.to, c.via, now_ms());
    }
    let answer = json!({"id": id, "rows": rows_json(&after, &manifest)}).to_string();
    let events = svc.events(who, out);
    match k {
        None => {
            svc.writer.append(&tenant, events).await?;
            Ok(json_answer(200, answer))
        }
        Some(k) => {
            let a = Answered {
                status: 200,
                body: answer,
                prompt: None,
            };
            commit_keyed(&svc, who, &k, events, a).await?
        }
    }
}

/// Leaves the settings page: openSetting's result. A repeated close gets the same answer.
#[utoipa::path(post, path = "/v1/settings-sessions/{id}/close",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{\"authSetting\", \"errMsg\": \"openSetting:ok\"}`; the same again for a repeated close"),
        (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody, description = "`unknown_session`: its changes are kept; read them with getSetting"),
        (status = 429, body = ErrorBody)))]
async fn close_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let s = {
        let m = svc.sessions.lock().map_err(|_| ApiError::Unavailable)?;
        match m.get(&id) {
            Some(s) if s.tenant == tenant && s.expires > Instant::now() => s.clone(),
            _ => return Err(ApiError::UnknownSession(id)),
        }
    };
    if let Some(answer) = s.closed {
        return Ok(json_answer(200, answer));
    }
    let state = svc.state(s.key())?;
    let answer = setting_result(&state, "openSetting", false).to_string();
    let mut m = svc.sessions.lock().map_err(|_| ApiError::Unavailable)?;
    let Some(open) = m.get_mut(&id) else {
        return Err(ApiError::UnknownSession(id));
    };
    // A close that ran meanwhile answered first.
    let answer = open.closed.get_or_insert(answer).clone();
    // Kept a while to answer a repeated close.
    open.expires = Instant::now() + PROMPT_TTL;
    Ok(json_answer(200, answer))
}

/// Clear authorization data: every scope and the privacy consent back to unset (a `reset` event).
#[utoipa::path(delete, path = "/v1/apps/{appid}/users/{user}/setting",
    params(("appid" = String, Path), ("user" = String, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "A repeat with the same key gets the first answer (same body, the same events) and appends nothing; without one, a repeat appends another reset event.")),
    responses(
        (status = 200, description = "`{\"authSetting\": {}, \"events\"}`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the outcome is unknown: repeat the request as it was")))]
async fn clear_setting(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    IdemKey(idem): IdemKey,
    Path((app, user)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let who = ConsentKey {
        tenant: &tenant,
        app: &app,
        user: &user,
    };
    to_unset(&svc, who, Subject::All, Via::Reset, idem).await
}

/// Writes one change back to unset (a reset, a removal) and answers the settings after it.
async fn to_unset(
    svc: &Service,
    who: ConsentKey<'_>,
    subject: Subject,
    via: Via,
    idem: Option<String>,
) -> Result<Response, ApiError> {
    let k = idem.map(|key| {
        Keyed::idem(
            key,
            json!(["delete-setting", who.app, who.user, subject.key()]),
            true,
        )
    });
    let tenant = who.tenant;
    let _one = match &k {
        Some(k) => Some(svc.locks.lock(tenant, &k.key).await?),
        None => None,
    };
    if let Some(k) = &k
        && let Some(first) = svc.receipt(tenant, &k.key)?
    {
        return replay(svc, tenant, &first, k);
    }
    let c = Change {
        subject,
        from: Value::Unset,
        to: Value::Unset,
        via,
        gesture: false,
        api: None,
        notice: None,
    };
    let mut after = svc.state(who)?;
    after.apply_change(subject, Value::Unset, via, now_ms());
    let base = json!({"authSetting": auth_setting(&after)}).to_string();
    let events = svc.events(who, vec![c]);
    match k {
        None => {
            let events = svc.writer.append(tenant, events).await?;
            Ok(json_answer(200, with_events(&base, &events)))
        }
        Some(k) => {
            let a = Answered {
                status: 200,
                body: base,
                prompt: None,
            };
            commit_keyed(svc, who, &k, events, a).await?
        }
    }
}

/// Removes one scope's record (back to unset, a `host` event).
#[utoipa::path(delete, path = "/v1/apps/{appid}/users/{user}/setting/{scope}",
    params(("appid" = String, Path), ("user" = String, Path), ("scope" = String, Path),
        ("Idempotency-Key" = Option<String>, Header,
            description = "A repeat with the same key gets the first answer (same body, the same events) and appends nothing; without one, a repeat appends another event.")),
    responses(
        (status = 200, description = "`{\"authSetting\", \"events\"}`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 429, body = ErrorBody),
        (status = 503, body = ErrorBody, description = "the outcome is unknown: repeat the request as it was")))]
async fn remove_scope(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    IdemKey(idem): IdemKey,
    Path((app, user, scope)): Path<(String, String, String)>,
) -> Result<Response, ApiError> {
    let s = Scope::parse(&scope).ok_or_else(|| bad_scope(&scope))?;
    let who = ConsentKey {
        tenant: &tenant,
        app: &app,
        user: &user,
    };
    to_unset(&svc, who, Subject::Scope(s), Via::Host, idem).await
}

/// The consent log, oldest first.
#[utoipa::path(get, path = "/v1/apps/{appid}/users/{user}/log",
    params(("appid" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "`{\"events\": [...]}`"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn get_log(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user)): Path<(String, String)>,
) -> Result<Json<JsonValue>, ApiError> {
    let log = svc.read(|st| {
        st.log_in(ConsentKey {
            tenant: &tenant,
            app: &app,
            user: &user,
        })
    })?;
    Ok(Json(json!({"events": log})))
}

/// Why a scope is where it is, and what authorize would do now.
#[utoipa::path(get, path = "/v1/apps/{appid}/users/{user}/explain/{scope}",
    params(("appid" = String, Path), ("user" = String, Path), ("scope" = String, Path)),
    responses(
        (status = 200, description = "the explanation"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn get_explain(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user, scope)): Path<(String, String, String)>,
) -> Result<Json<JsonValue>, ApiError> {
    let s = Scope::parse(&scope).ok_or_else(|| bad_scope(&scope))?;
    let manifest = svc.manifest(&tenant, &app)?;
    let log = svc.read(|st| {
        st.log_in(ConsentKey {
            tenant: &tenant,
            app: &app,
            user: &user,
        })
    })?;
    let e = explain(&log, s, &svc.env(&manifest), now_ms());
    Ok(Json(serde_json::to_value(e).unwrap_or(JsonValue::Null)))
}

/// Sets the app's declarations (app.json's `permission`, `requiredPrivateInfos`,
/// `requiredBackgroundModes`), per tenant; durable (in the store) before the answer.
#[utoipa::path(put, path = "/v1/apps/{appid}/manifest",
    params(("appid" = String, Path)),
    request_body = ManifestBody,
    responses(
        (status = 200, description = "the manifest the engine will use"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn put_manifest(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(app): Path<String>,
    body: Body<ManifestBody>,
) -> Result<Json<JsonValue>, ApiError> {
    let Json(body) = body?;
    let mut m = Manifest::default();
    for (k, v) in body.permission {
        let s = Scope::parse(&k).ok_or_else(|| bad_scope(&k))?;
        m.permission_desc.insert(s, v.desc);
    }
    m.required_private_infos = body.required_private_infos;
    m.background_location = body
        .required_background_modes
        .iter()
        .any(|x| x == "location");
    let out = serde_json::to_value(&m).unwrap_or(JsonValue::Null);
    let body = out.to_string();
    let m = Arc::new(m);
    // Durable before the answer, like every decision; off the async workers (it waits for a
    // commit). A reader connection writes it: the writer sees a foreign commit and clears its
    // caches, and this one is installed right after.
    let stored = {
        let (svc, tenant, app) = (svc.clone(), tenant.clone(), app.clone());
        tokio::task::spawn_blocking(move || {
            svc.read(|s| s.put_manifest_in(&tenant, &app, &body, now_ms()))
        })
        .await
        .map_err(|_| ApiError::Unavailable)?
    };
    stored?;
    svc.caches.manifests.stored(&tenant, &app, m);
    Ok(Json(out))
}

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/v1/openapi.json",
    responses((status = 200, description = "this document")))]
async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "`ok`")))]
async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "metrics")))]
async fn metrics(State(svc): Svc) -> impl IntoResponse {
    let mut text = svc.metrics.render();
    text.push_str(
        "# HELP miniperm_known_keys_filter_on Whether a never-seen user's state is answered without a read (the known-keys filter is built and no other process wrote since).\n\
         # TYPE miniperm_known_keys_filter_on gauge\n",
    );
    text.push_str(&format!(
        "miniperm_known_keys_filter_on {}\n",
        u8::from(svc.caches.known.is_on())
    ));
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

use crate::error::ErrorBody;

/// The OpenAPI document, generated from the handlers above.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "miniperm",
        description = "The consent service: WeChat mini-program authorization for hosts.\n\nRetries: a request whose answer never arrived (503 `unavailable`, a timeout, a dropped connection, a failover of the database) is safe to repeat exactly as it was. A prompt's answer is keyed by the prompt id; `authorize`, a settings-session PATCH and the DELETEs of settings take an `Idempotency-Key` header (1 to 255 visible ASCII characters, per tenant). The answer is stored with its decision in one transaction, so a repeat gets the committed result (the same status and body) and nothing is decided twice; a different answer to an answered prompt, or the same key on another request, is 409. A prompt neither waiting nor answered (expired, or the service restarted) is 404 `unknown_prompt`: call authorize again; a settings session that is gone is 404 `unknown_session`: open a new one."
    ),
    paths(
        authorize,
        answer_prompt,
        get_setting,
        open_session,
        patch_session,
        close_session,
        clear_setting,
        remove_scope,
        get_log,
        get_explain,
        put_manifest,
        openapi,
        healthz,
        metrics
    ),
    components(schemas(AuthorizeBody, AnswerBody, ManifestBody, PermissionEntry, ErrorBody))
)]
pub struct ApiDoc;

#[cfg(test)]
mod tests {
    use super::*;
    use miniperm_core::Value;

    /// The hand-written `getSetting` body is byte for byte the core's [`setting_result`].
    #[test]
    fn setting_body_is_setting_result() {
        let mut states = vec![AppState::default()];
        let mut s = AppState::default();
        for (i, scope) in Scope::ALL.iter().enumerate() {
            let v = [Value::Granted, Value::Denied, Value::Unset][i % 3];
            s.apply_change(Subject::Scope(*scope), v, Via::Prompt, 0);
            states.push(s);
        }
        for state in states {
            for with_subscriptions in [false, true] {
                let ours = serde_json::to_string(&SettingBody {
                    state,
                    with_subscriptions,
                })
                .unwrap();
                let core = setting_result(&state, "getSetting", with_subscriptions).to_string();
                assert_eq!(ours, core);
            }
        }
    }
}
