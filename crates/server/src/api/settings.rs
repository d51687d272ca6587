//! The settings side of `/v1`: getSetting, the settings page (openSetting as a session of
//! switches), clearing and removing records, the log, explain, and the app's declarations.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::{Extension, Json};
use miniperm_core::{
    AppState, Change, Manifest, Scope, SettingChange, SettingsPage, Subject, Value, Via,
    apply_settings, auth_setting, explain, setting_result,
};
use miniperm_store::{ConsentKey, now_ms};
use serde_json::{Value as JsonValue, json};

use super::answer::{
    Answered, Keyed, bad_scope, commit_keyed, core_err, json_answer, replay, with_events,
};
use super::dto::{Body, ManifestBody, SettingBody, SettingQuery, Svc};
use crate::config::PROMPT_TTL;
use crate::error::{ApiError, ErrorBody};
use crate::keys::{Tenant, new_id};
use crate::retry::IdemKey;
use crate::service::{Service, SettingsSession};

/// `wx.getSetting`.
#[utoipa::path(get, path = "/v1/apps/{appid}/users/{user}/setting",
    params(("appid" = String, Path), ("user" = String, Path),
        ("withSubscriptions" = Option<bool>, Query)),
    responses(
        (status = 200, description = "`{\"authSetting\", \"errMsg\": \"getSetting:ok\"}`"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn get_setting(
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

fn rows_json(state: &AppState, manifest: &Manifest) -> JsonValue {
    serde_json::to_value(SettingsPage::new(state, manifest).rows).unwrap_or(JsonValue::Null)
}

/// `wx.openSetting`: opens a settings page of the requested scopes.
#[utoipa::path(post, path = "/v1/apps/{appid}/users/{user}/settings-sessions",
    params(("appid" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "`{\"id\", \"rows\"}`: only scopes the app requested"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn open_session(
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
pub(crate) async fn patch_session(
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
pub(crate) async fn close_session(
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
pub(crate) async fn clear_setting(
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
    to_unset(&svc, who, Change::reset(Via::Reset), idem).await
}

/// Writes `c`, a change back to unset (a reset, a removal), and answers the settings after it.
async fn to_unset(
    svc: &Service,
    who: ConsentKey<'_>,
    c: Change,
    idem: Option<String>,
) -> Result<Response, ApiError> {
    let k = idem.map(|key| {
        Keyed::idem(
            key,
            json!(["delete-setting", who.app, who.user, c.subject.key()]),
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
    let mut after = svc.state(who)?;
    after.apply_change(c.subject, c.to, c.via, now_ms());
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
pub(crate) async fn remove_scope(
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
    let removal = Change::host(Subject::Scope(s), Value::Unset, Value::Unset);
    to_unset(&svc, who, removal, idem).await
}

/// The consent log, oldest first.
#[utoipa::path(get, path = "/v1/apps/{appid}/users/{user}/log",
    params(("appid" = String, Path), ("user" = String, Path)),
    responses(
        (status = 200, description = "`{\"events\": [...]}`"),
        (status = 401, body = ErrorBody), (status = 429, body = ErrorBody)))]
pub(crate) async fn get_log(
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
pub(crate) async fn get_explain(
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
pub(crate) async fn put_manifest(
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
