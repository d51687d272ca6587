//! `wx.authorize` and the answers to its prompts: each decision is core's `drive` over the
//! tenant's stored state; a prompt waits in memory until answered (or expired), and its answer
//! is durable, with its receipt, before it is sent.

use std::time::Instant;

use axum::extract::{Path, State};
use axum::response::Response;
use axum::{Extension, Json};
use miniperm_core::decide::answers_for;
use miniperm_core::{Answer, Ask, Driven, Manifest, Request, drive};
use miniperm_store::{ConsentKey, now_ms};
use serde_json::{Value as JsonValue, json};

use super::answer::{Answered, Keyed, commit_keyed, core_err, json_answer, replay};
use super::dto::{AnswerBody, AuthorizeBody, Body, Svc};
use crate::config::{MAX_PENDING, PROMPT_TTL};
use crate::error::{ApiError, ErrorBody};
use crate::keys::{Tenant, new_id};
use crate::retry::{IdemKey, answer_family, prompt_key};
use crate::service::{Pending, Service};

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
            if p.len() >= MAX_PENDING {
                p.retain(|_, v| v.alive(now));
                if p.len() >= MAX_PENDING {
                    return Err(ApiError::Conflict(format!(
                        "too many prompts waiting for an answer (at most {})",
                        MAX_PENDING
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
pub(crate) async fn authorize(
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
pub(crate) async fn answer_prompt(
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
    let answer = Answer::to(&p.ask, &body.answer)
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
