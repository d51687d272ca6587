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
use serde::Deserialize;
use serde_json::{Value as JsonValue, json};
use utoipa::{OpenApi, ToSchema};

use crate::error::ApiError;
use crate::keys::hash_secret;
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
                    Err(_) => ApiError::Unavailable.into_response(),
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

impl Service {
    pub(crate) fn read<T>(
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
    pub(crate) fn state(&self, tenant: &str, app: &str, user: &str) -> Result<AppState, ApiError> {
        let key = crate::cache::state_key(tenant, app, user);
        match self.caches.states.get(&key) {
            crate::cache::Lookup::Hit(s) => Ok(s),
            crate::cache::Lookup::Miss(token) => {
                // A key the store surely has no row for: the empty state, without a read.
                let s = if self.caches.known.surely_absent(&key) {
                    AppState::new()
                } else {
                    self.read(|st| st.state_in(tenant, user, app))?
                };
                self.caches.states.fill(&key, token, s);
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

    fn meta(&self, app: &str, user: &str) -> EventMeta {
        EventMeta {
            at: now_ms(),
            user: user.to_string(),
            app: app.to_string(),
            channel: Channel::Release,
            profile: self.profile.name.clone(),
        }
    }

    async fn write(
        &self,
        tenant: &str,
        app: &str,
        user: &str,
        changes: Vec<Change>,
    ) -> Result<Vec<ConsentEvent>, ApiError> {
        let meta = self.meta(app, user);
        let events = changes
            .into_iter()
            .map(|c| ConsentEvent::new(&meta, c))
            .collect();
        self.writer.append(tenant, events).await
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

/// Writes a driven call's changes, then answers 200 (result) or 202 (a new pending prompt).
async fn finish(
    svc: &Service,
    tenant: &str,
    app: &str,
    user: &str,
    req: Request,
    manifest: &Manifest,
    driven: Driven,
) -> Result<Response, ApiError> {
    svc.write(tenant, app, user, driven.changes).await?;
    if let Some(ask) = driven.waiting {
        let id = new_id("p_");
        let body = prompt_json(svc, manifest, &id, &ask);
        {
            let mut p = svc.prompts.lock().map_err(|_| ApiError::Unavailable)?;
            let now = Instant::now();
            // Expired prompts are swept every 1024 new ones (not on every insert: O(n)).
            if p.len() % 1024 == 1023 {
                p.retain(|_, v| v.expires > now);
            }
            if p.len() >= crate::MAX_PENDING {
                p.retain(|_, v| v.expires > now);
                if p.len() >= crate::MAX_PENDING {
                    return Err(ApiError::Conflict(format!(
                        "too many prompts waiting for an answer (at most {})",
                        crate::MAX_PENDING
                    )));
                }
            }
            p.insert(
                id,
                Pending {
                    tenant: tenant.to_string(),
                    app: app.to_string(),
                    user: user.to_string(),
                    req,
                    ask,
                    expires: now + PROMPT_TTL,
                },
            );
        }
        svc.metrics.decision("prompt");
        return Ok((StatusCode::ACCEPTED, Json(body)).into_response());
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
    Ok(Json(body).into_response())
}

/// `wx.authorize` for one user of one app.
#[utoipa::path(post, path = "/v1/apps/{appid}/users/{user}/authorize",
    params(("appid" = String, Path), ("user" = String, Path)),
    request_body = AuthorizeBody,
    responses(
        (status = 200, description = "the result: `errMsg` and, on failure, `errno`"),
        (status = 202, description = "`{\"prompt\": {\"id\", \"kind\", \"scope\", \"desc\", \"answers\"}}`: the host must show it"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn authorize(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user)): Path<(String, String)>,
    body: Body<AuthorizeBody>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let manifest = svc.manifest(&tenant, &app)?;
    let mut state = svc.state(&tenant, &app, &user)?;
    let req = Request::authorize(Some(&body.scope), body.gesture, now_ms());
    let driven = drive(&req, &mut state, &svc.env(&manifest), |_| None).map_err(core_err)?;
    finish(&svc, &tenant, &app, &user, req, &manifest, driven).await
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

/// Answers a pending prompt; the decision is durable before the answer is sent.
#[utoipa::path(post, path = "/v1/prompts/{id}",
    params(("id" = String, Path)),
    request_body = AnswerBody,
    responses(
        (status = 200, description = "the authorize result, durable"),
        (status = 202, description = "the answer led to a further prompt (privacy, then scope, then OS)"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn answer_prompt(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Body<AnswerBody>,
) -> Result<Response, ApiError> {
    let Json(body) = body?;
    let pending = {
        let mut p = svc.prompts.lock().map_err(|_| ApiError::Unavailable)?;
        match p.get(&id) {
            Some(v) if v.tenant == tenant && v.expires > Instant::now() => {}
            _ => return Err(ApiError::not_found("prompt", &id)),
        }
        let Some(v) = p.get(&id) else {
            return Err(ApiError::not_found("prompt", &id));
        };
        let answer = parse_answer(&v.ask, &body.answer)
            .filter(|a| answers_for(&v.ask, &svc.profile).contains(a))
            .ok_or_else(|| {
                ApiError::Conflict(format!("answer `{}` does not fit this prompt", body.answer))
            })?;
        let v = p
            .remove(&id)
            .ok_or_else(|| ApiError::not_found("prompt", &id))?;
        (v, answer)
    };
    let (p, answer) = pending;
    let manifest = svc.manifest(&tenant, &p.app)?;
    let mut state = svc.state(&tenant, &p.app, &p.user)?;
    let mut once = Some(answer);
    let driven = drive(&p.req, &mut state, &svc.env(&manifest), |ask| {
        if *ask == p.ask { once.take() } else { None }
    })
    .map_err(core_err)?;
    finish(&svc, &tenant, &p.app, &p.user, p.req, &manifest, driven).await
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
    let state = svc.state(&tenant, &app, &user)?;
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
    let state = svc.state(&tenant, &app, &user)?;
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
        Some(s) if s.tenant == tenant && s.expires > Instant::now() => Ok(s.clone()),
        _ => Err(ApiError::not_found("settings session", id)),
    }
}

/// Switches scopes on the open settings page; each change is durable before the answer.
#[utoipa::path(patch, path = "/v1/settings-sessions/{id}",
    params(("id" = String, Path)),
    request_body(content = Object, description = "`{\"scope.userLocation\": true}`"),
    responses(
        (status = 200, description = "the rows after the change"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 413, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn patch_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
    body: Body<BTreeMap<String, bool>>,
) -> Result<Json<JsonValue>, ApiError> {
    let Json(body) = body?;
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
    let state = svc.state(&tenant, &s.app, &s.user)?;
    let out = apply_settings(&state, &manifest, &changes, true).map_err(core_err)?;
    svc.write(&tenant, &s.app, &s.user, out).await?;
    let state = svc.state(&tenant, &s.app, &s.user)?;
    Ok(Json(
        json!({"id": id, "rows": rows_json(&state, &manifest)}),
    ))
}

/// Leaves the settings page: openSetting's result.
#[utoipa::path(post, path = "/v1/settings-sessions/{id}/close",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "`{\"authSetting\", \"errMsg\": \"openSetting:ok\"}`"),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn close_session(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path(id): Path<String>,
) -> Result<Json<JsonValue>, ApiError> {
    let s = session(&svc, &tenant, &id)?;
    if let Ok(mut m) = svc.sessions.lock() {
        m.remove(&id);
    }
    let state = svc.state(&tenant, &s.app, &s.user)?;
    Ok(Json(setting_result(&state, "openSetting", false)))
}

/// Clear authorization data: every scope and the privacy consent back to unset (a `reset` event).
#[utoipa::path(delete, path = "/v1/apps/{appid}/users/{user}/setting",
    params(("appid" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "`{\"authSetting\": {}, \"events\"}`"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
async fn clear_setting(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user)): Path<(String, String)>,
) -> Result<Json<JsonValue>, ApiError> {
    to_unset(&svc, &tenant, &app, &user, Subject::All, Via::Reset).await
}

/// Writes one change back to unset (a reset, a removal) and answers the settings after it.
async fn to_unset(
    svc: &Service,
    tenant: &str,
    app: &str,
    user: &str,
    subject: Subject,
    via: Via,
) -> Result<Json<JsonValue>, ApiError> {
    let c = Change {
        subject,
        from: Value::Unset,
        to: Value::Unset,
        via,
        gesture: false,
        api: None,
        notice: None,
    };
    let events = svc.write(tenant, app, user, vec![c]).await?;
    let state = svc.state(tenant, app, user)?;
    Ok(Json(
        json!({"authSetting": auth_setting(&state), "events": events}),
    ))
}

/// Removes one scope's record (back to unset, a `host` event).
#[utoipa::path(delete, path = "/v1/apps/{appid}/users/{user}/setting/{scope}",
    params(("appid" = String, Path), ("user" = String, Path), ("scope" = String, Path)),
    responses(
        (status = 200, description = "`{\"authSetting\", \"events\"}`"),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 429, body = ErrorBody)))]
async fn remove_scope(
    State(svc): Svc,
    Extension(Tenant(tenant)): Extension<Tenant>,
    Path((app, user, scope)): Path<(String, String, String)>,
) -> Result<Json<JsonValue>, ApiError> {
    let s = Scope::parse(&scope).ok_or_else(|| bad_scope(&scope))?;
    to_unset(&svc, &tenant, &app, &user, Subject::Scope(s), Via::Host).await
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
    let log = svc.read(|st| st.log_in(&tenant, &user, &app))?;
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
    let log = svc.read(|st| st.log_in(&tenant, &user, &app))?;
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
        description = "The consent service: WeChat mini-program authorization for hosts"
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
