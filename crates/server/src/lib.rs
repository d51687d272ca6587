//! `miniperm serve`: the consent service. The `/v1` API of DESIGN ("`miniperm serve`") on axum,
//! answered by the same core decisions as `miniperm run` ([`miniperm_core::drive`],
//! [`miniperm_core::apply_settings`], [`miniperm_core::setting_result`],
//! [`miniperm_core::explain`]), over the consent store keyed by (tenant, appid, user): SQLite by
//! default, PostgreSQL with [`Config::database_url`] (both behind [`miniperm_store::Backend`]).
//!
//! * Every decision that changes state is durable before its answer is sent: the events go
//!   through one writer thread that commits concurrent decisions together ([`writer`]).
//! * Pending prompts and settings sessions live in memory, keyed by tenant, and expire
//!   ([`PROMPT_TTL`]); a restart forgets them (the host asks again). They outlive a failover of
//!   the database (the process keeps them), and a prompt stays pending until its answer
//!   committed.
//! * Retries tell the truth ([`retry`]): a prompt's answer and every request sent with an
//!   `Idempotency-Key` store a receipt with their decision, in the same transaction; a repeat
//!   gets the first answer again (or 409 when it asks for something else), never a second
//!   decision.
//! * Apps have no project here: the permission desc of the authorize sheet comes from the app's
//!   manifest, set with `PUT /v1/apps/{appid}/manifest` (app.json's `permission`,
//!   `requiredPrivateInfos`, `requiredBackgroundModes`); kept in the store per tenant (it
//!   changes decisions, so it survives restarts) and cached. Without one the desc is empty and
//!   the manifest is empty (no private-info or background checks).
//! * Caches ([`cache`]): states, verified keys and manifests are read from memory, kept exact by
//!   the writer for this process's commits and cleared when another process commits.
//! * Keys: on a loopback address with no key created the API is open (tenant `dev`); otherwise
//!   `Authorization: Bearer KEY` (see [`keys`]), and a tenant sees only its own data.
#![forbid(unsafe_code)]

mod api;
pub mod cache;
mod config;
mod error;
#[doc(hidden)]
pub mod faults;
mod gate;
pub mod keys;
mod metrics;
pub mod retry;
mod router;
mod service;
pub mod sim;
pub mod writer;

pub use api::ApiDoc;
pub use config::{BODY_LIMIT, Config, MAX_PENDING, PROMPT_TTL, READERS, REQUEST_TIMEOUT};
pub use error::{ApiError, ErrorBody};
pub use metrics::Metrics;
pub use router::router;
pub use service::{Service, is_open};
pub use sim::Simulator;

/// Runs the service on `listener` until `shutdown` resolves; in-flight requests (and their
/// commits) finish first, then the writer drains and stops.
pub async fn serve(
    listener: tokio::net::TcpListener,
    cfg: &Config,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), ApiError> {
    let (svc, writer) = Service::start(cfg)?;
    let simulator = Simulator::new(&cfg.projects, cfg.sim_clock.clone(), svc.writer.clone());
    let closing = simulator.closing();
    let app = router(svc.clone(), simulator.clone());
    let shutdown = async move {
        shutdown.await;
        closing.send_replace(true);
    };
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    drop((svc, simulator));
    // The router (and with it every Writer clone: the service's, the simulator's) is gone: the
    // writer sees its channel close after the last queued batch and returns.
    let _ = tokio::task::spawn_blocking(move || writer.join()).await;
    served.map_err(|e| ApiError::BadRequest(format!("cannot serve: {e}")))
}

/// Resolves on ctrl-c or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
}
