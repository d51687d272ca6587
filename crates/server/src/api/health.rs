//! Liveness and metrics: open routes for the operator.

use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;

use super::dto::Svc;

/// Liveness.
#[utoipa::path(get, path = "/healthz", responses((status = 200, description = "`ok`")))]
pub(crate) async fn healthz() -> &'static str {
    "ok"
}

/// Prometheus text format.
#[utoipa::path(get, path = "/metrics", responses((status = 200, description = "metrics")))]
pub(crate) async fn metrics(State(svc): Svc) -> impl IntoResponse {
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
