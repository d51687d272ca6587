//! The baseline of BENCHMARKS.md: an axum hello-world answering a small JSON object, on the same
//! runtime settings as `miniperm serve`. `cargo run --release -p miniperm-server --example hello -- ADDR`
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::{Json, Router, routing::get};

#[tokio::main]
async fn main() {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:7979".into());
    let app = Router::new().route(
        "/",
        get(|| async { Json(serde_json::json!({"authSetting": {}, "errMsg": "getSetting:ok"})) }),
    );
    let l = tokio::net::TcpListener::bind(addr).await.unwrap();
    axum::serve(l, app).await.unwrap();
}
