//! What the handlers answer with: exact JSON bytes ([`json_answer`]), and for a keyed request
//! (a prompt's answer, an `Idempotency-Key`) the receipt committed with its decision and the
//! first answer again on a repeat ([`commit_keyed`], [`replay`]).

use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use miniperm_core::ConsentEvent;
use miniperm_store::{Committed, ConsentKey, Receipt, StoredReceipt, now_ms};
use serde_json::Value as JsonValue;

use crate::error::ApiError;
use crate::retry::idem_key;
use crate::service::Service;

/// A JSON answer with exactly these bytes (a repeat of a keyed request gets the same bytes).
pub(crate) fn json_answer(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// `base` (a JSON object) with the stored `events` added: the answer of a DELETE.
pub(crate) fn with_events(base: &str, events: &[ConsentEvent]) -> String {
    let mut v: serde_json::Map<String, JsonValue> = serde_json::from_str(base).unwrap_or_default();
    v.insert(
        "events".into(),
        serde_json::to_value(events).unwrap_or(JsonValue::Null),
    );
    JsonValue::Object(v).to_string()
}

/// How a keyed request is recognised when it comes again.
pub(crate) struct Keyed {
    /// The receipt key (`prompt:ID`, `key:K`).
    pub(crate) key: String,
    /// What it asked: a repeat must ask the same.
    pub(crate) fingerprint: String,
    /// `prompt` or `key`, for metrics.
    pub(crate) kind: &'static str,
    /// The prompt id or the `Idempotency-Key`, for messages.
    pub(crate) shown: String,
    /// The answer carries the decision's stored events (DELETE).
    pub(crate) with_events: bool,
}

impl Keyed {
    pub(crate) fn idem(key: String, fingerprint: JsonValue, with_events: bool) -> Keyed {
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
pub(crate) struct Answered {
    pub(crate) status: u16,
    pub(crate) body: String,
    /// The prompt this answer registered (202).
    pub(crate) prompt: Option<String>,
}

/// The answer of a repeated keyed request: the first answer again (its events read back from
/// the log when the answer carries them), or 409 when it asks for something else.
pub(crate) fn replay(
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
pub(crate) async fn commit_keyed(
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

pub(crate) fn bad_scope(s: &str) -> ApiError {
    ApiError::BadRequest(format!("unknown scope `{s}`"))
}

pub(crate) fn core_err(e: miniperm_core::CoreError) -> ApiError {
    ApiError::Conflict(e.to_string())
}
