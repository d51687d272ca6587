//! The OpenAPI 3.1 document ([`ApiDoc`]), generated from the handlers' `#[utoipa::path]`
//! annotations and the DTOs' schemas, and the route that serves it.

use axum::Json;
use utoipa::OpenApi;

// The handlers by bare name (utoipa resolves each to its `__path_` struct): a module path in
// `paths(...)` would become the operation's tag and change the document.
use super::authorize::{__path_answer_prompt, __path_authorize};
use super::dto::{AnswerBody, AuthorizeBody, ManifestBody, PermissionEntry};
use super::health::{__path_healthz, __path_metrics};
use super::settings::{
    __path_clear_setting, __path_close_session, __path_get_explain, __path_get_log,
    __path_get_setting, __path_open_session, __path_patch_session, __path_put_manifest,
    __path_remove_scope,
};
use crate::error::ErrorBody;

/// The OpenAPI 3.1 document of this API.
#[utoipa::path(get, path = "/v1/openapi.json",
    responses((status = 200, description = "this document")))]
pub(crate) async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The OpenAPI document, generated from the handlers' annotations.
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
