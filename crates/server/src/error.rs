//! The one error type of the service and its JSON shape: `{"error": {"code", "message"}}`.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;

/// Everything a request can fail with. Messages are lowercase and name bad input in backticks.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    TooLarge(String),
    #[error("too many requests for this key: at most {0} per second")]
    RateLimited(u32),
    #[error("the service is shutting down")]
    Unavailable,
    /// The request ran past [`crate::REQUEST_TIMEOUT`]: its outcome is unknown to the caller.
    #[error(
        "no answer within {0} s: the outcome is unknown; repeat the request as it was (prompt answers and requests with an Idempotency-Key get the committed result)"
    )]
    Timeout(u64),
    /// A prompt that is not waiting here and whose answer the store never recorded.
    #[error(
        "no prompt `{0}` is waiting and no answer to it was recorded (it expired or the service restarted): call authorize again and show the prompt it returns"
    )]
    UnknownPrompt(String),
    /// A settings session that is not open here.
    #[error(
        "no open settings session `{0}` (it expired, was closed, or the service restarted): open a new one; changes already answered 200 are kept"
    )]
    UnknownSession(String),
    #[error("store error: {0}")]
    Store(#[from] miniperm_store::StoreError),
    /// A failure of the service itself (the simulator's engine).
    #[error("{0}")]
    Internal(String),
}

/// The body of every error answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// A stable machine-readable code: `bad_request`, `unauthorized`, `not_found`,
    /// `unknown_prompt` (404: not waiting, no answer recorded: ask again), `unknown_session`
    /// (404: open a new settings session), `conflict`, `payload_too_large`, `rate_limited`,
    /// `unavailable` (503: the outcome is unknown, repeat the request), `internal`.
    pub code: String,
    pub message: String,
}

impl ApiError {
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::NotFound(_) | ApiError::UnknownPrompt(_) | ApiError::UnknownSession(_) => {
                StatusCode::NOT_FOUND
            }
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable | ApiError::Timeout(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(e) if e.is_unreachable() => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Store(_) | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            ApiError::BadRequest(_) => "bad_request",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::NotFound(_) => "not_found",
            ApiError::Conflict(_) => "conflict",
            ApiError::TooLarge(_) => "payload_too_large",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable | ApiError::Timeout(_) => "unavailable",
            ApiError::UnknownPrompt(_) => "unknown_prompt",
            ApiError::UnknownSession(_) => "unknown_session",
            ApiError::Store(e) if e.is_unreachable() => "unavailable",
            ApiError::Store(_) | ApiError::Internal(_) => "internal",
        }
    }

    pub fn not_found(what: &str, id: &str) -> ApiError {
        ApiError::NotFound(format!("no {what} `{id}`"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let ApiError::Store(e) = &self {
            tracing::error!(error = %e, "store failure");
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: self.code().to_string(),
                message: self.to_string(),
            },
        };
        (self.status(), Json(body)).into_response()
    }
}

impl From<axum::extract::rejection::JsonRejection> for ApiError {
    fn from(r: axum::extract::rejection::JsonRejection) -> ApiError {
        let msg = r.body_text().to_lowercase();
        if r.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::TooLarge(msg)
        } else {
            ApiError::BadRequest(msg)
        }
    }
}
