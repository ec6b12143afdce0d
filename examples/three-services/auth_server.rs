//! The three-service set-up's auth server: authgate's endpoints on their own origin, called by
//! the demo page from another origin (`examples/three-services/README.md`).
//!
//! ```sh
//! BETTER_AUTH_SECRET=... cargo run --example three-services-auth
//! ```
//!
//! - `PORT` (4000), `DATABASE_URL` (`sqlite://three-services.db?mode=rwc`), `BETTER_AUTH_URL`
//!   (`http://localhost:<PORT>`), `BETTER_AUTH_SECRET` (required: shared with the Rust API).
//! - `PAGE_ORIGINS`: the page's origins, comma-separated (`http://localhost:4001`). Each is a
//!   trusted origin (the CSRF check on cookie-carrying POSTs) and allowed by CORS with
//!   credentials, exactly: never `*`, which browsers refuse with credentials anyway.

use std::process::ExitCode;

use authgate::{Auth, SessionLayer};
use axum::Router;
use axum::http::{HeaderValue, Method, header};
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
    let port: u16 = env_or("PORT", "4000").parse()?;
    let database_url = env_or("DATABASE_URL", "sqlite://three-services.db?mode=rwc");
    let page_origins = env_or("PAGE_ORIGINS", "http://localhost:4001");
    let page_origins: Vec<&str> = page_origins.split(',').map(str::trim).collect();

    let mut builder = Auth::builder().set_auth_token_header(true);
    for origin in &page_origins {
        builder = builder.trusted_origin(*origin);
    }
    if std::env::var_os("BETTER_AUTH_URL").is_none() {
        builder = builder.base_url(format!("http://localhost:{port}"));
    }
    // The secret comes from BETTER_AUTH_SECRET; without one, validate() says so.
    let auth = builder.validate()?.connect(&database_url).await?;
    auth.migrate().await?;

    let cors = CorsLayer::new()
        .allow_origin(
            page_origins
                .iter()
                .map(|o| HeaderValue::from_str(o))
                .collect::<Result<Vec<_>, _>>()?,
        )
        .allow_credentials(true)
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::CONTENT_TYPE, header::AUTHORIZATION]);

    let app = Router::new()
        .route("/health", auth.health_route())
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()))
        // Outermost, so that preflight requests are answered before anything else runs.
        .layer(cors);

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("auth server on http://{}", listener.local_addr()?);
    // Slow or silent clients cannot hold connections open; each request has its address.
    authgate::serve(listener, app).await?;
    Ok(())
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}
