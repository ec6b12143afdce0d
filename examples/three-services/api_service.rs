//! The three-service set-up's Rust API: validates each request's session itself, with
//! `SessionLayer` on the auth server's database and secret (no HTTP hop to the auth server).
//!
//! ```sh
//! BETTER_AUTH_SECRET=... cargo run --example three-services-api
//! ```
//!
//! - `PORT` (4002), `DATABASE_URL` and `BETTER_AUTH_SECRET`: the auth server's;
//!   `BETTER_AUTH_URL`: the auth server's URL (`http://localhost:4000`), which decides the
//!   cookie names (`__Secure-` on https).
//! - `PAGE_ORIGINS`: the origins allowed by CORS with credentials (`http://localhost:4001`).
//! - `GET /me`: `{"service": "rust", "user": User}`, or 401 `UNAUTHORIZED` without a session
//!   (cookie or `Authorization: Bearer`).

use std::net::SocketAddr;
use std::process::ExitCode;

use authgate::{Auth, CurrentUser, SessionLayer};
use axum::http::{HeaderValue, Method, header};
use axum::routing::get;
use axum::{Json, Router};
use tower_http::cors::CorsLayer;

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .init();
    match run().await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = env_or("PORT", "4002").parse()?;
    let database_url = env_or("DATABASE_URL", "sqlite://three-services.db?mode=rwc");
    let page_origins = env_or("PAGE_ORIGINS", "http://localhost:4001");

    let mut builder = Auth::builder();
    if std::env::var_os("BETTER_AUTH_URL").is_none() {
        builder = builder.base_url("http://localhost:4000");
    }
    // The auth server owns the schema: no migration here.
    let auth = builder.validate()?.connect(&database_url).await?;

    let cors = CorsLayer::new()
        .allow_origin(
            page_origins
                .split(',')
                .map(|o| HeaderValue::from_str(o.trim()))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .allow_credentials(true)
        .allow_methods([Method::GET])
        .allow_headers([header::AUTHORIZATION]);

    let app = Router::new()
        .route("/me", get(me))
        .route("/health", get(|| async { "ok" }))
        .layer(SessionLayer::new(auth))
        .layer(cors);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("Rust API on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}

/// The extractor answers 401 `UNAUTHORIZED` itself when there is no valid session.
async fn me(user: CurrentUser) -> Json<serde_json::Value> {
    Json(serde_json::json!({ "service": "rust", "user": user }))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}
