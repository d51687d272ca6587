//! Every route of the service, in one table: the keyed `/v1` API ([`crate::api`]), the
//! simulator's keyed JSON endpoints ([`crate::sim::router`]) and the open routes (the simulator
//! page, the OpenAPI document, health, metrics), each behind its [`Gate`].

use std::sync::Arc;

use axum::Router;
use axum::routing::{delete, get, patch, post, put};

use crate::api::authorize::{answer_prompt, authorize};
use crate::api::health::{healthz, metrics};
use crate::api::openapi::openapi;
use crate::api::settings::{
    clear_setting, close_session, get_explain, get_log, get_setting, open_session, patch_session,
    put_manifest, remove_scope,
};
use crate::config::BODY_LIMIT;
use crate::error::ApiError;
use crate::gate::Gate;
use crate::service::Service;
use crate::sim::{self, Simulator};

/// Every route of the service.
pub fn router(svc: Arc<Service>, simulator: Arc<Simulator>) -> Router {
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
    let simulator = sim::router(simulator).route_layer(Gate::new(&svc, true));
    let open = Router::new()
        .route("/", get(sim::index))
        .route("/v1/openapi.json", get(openapi))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route_layer(Gate::new(&svc, false));
    // One middleware per route (each layer costs a boxed future and a service clone per
    // request): the observation always, the key check on the keyed routes.
    Router::new()
        .merge(v1)
        .merge(open)
        .with_state(svc)
        .merge(simulator)
        .fallback(|| async { ApiError::NotFound("no such route".into()) })
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
}
