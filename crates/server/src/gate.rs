//! The one middleware of every route ([`Gate`]): a tracing span, the timeout and the metrics
//! around each route, and on the keyed routes the key check and the per-key rate limit, which
//! hand the handler its [`Tenant`].

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{MatchedPath, Request as HttpRequest};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use miniperm_store::DEFAULT_TENANT;

use crate::cache::Verified;
use crate::config::REQUEST_TIMEOUT;
use crate::error::ApiError;
use crate::keys::{Tenant, hash_secret};
use crate::service::Service;

/// The one middleware of every route: a tracing span, the timeout and the metrics around the
/// route, and on the keyed routes the key check first (its 401 and 429 are observed like any
/// answer). Written as a plain tower layer rather than `middleware::from_fn`, which boxes the
/// inner service and clones it on every request.
#[derive(Clone)]
pub(crate) struct Gate {
    svc: Arc<Service>,
    keyed: bool,
}

impl Gate {
    pub(crate) fn new(svc: &Arc<Service>, keyed: bool) -> Gate {
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
pub(crate) struct Gated<S> {
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
        None if svc.is_open() => ("open".into(), DEFAULT_TENANT.to_string()),
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
                        .map(|k| Verified {
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
