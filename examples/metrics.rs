//! authgate's metrics in Prometheus: the `metrics-exporter-prometheus` recorder serves every
//! `authgate_*` counter and gauge on its own port, beside the app.
//!
//! ```sh
//! cargo run --example metrics
//! curl -s localhost:9000/metrics | grep authgate_
//! ```
//!
//! - `AUTHGATE_EXAMPLE_ADDR` (default `127.0.0.1:3000`): the app, with the auth routes under
//!   `/api/auth` and `GET /health`, which also refreshes `authgate_active_sessions`.
//! - `METRICS_ADDR` (default `127.0.0.1:9000`): the Prometheus scrape endpoint.
//! - `DATABASE_URL` (default an in-memory SQLite database); `BETTER_AUTH_SECRET` (default a
//!   secret generated at start-up, so sessions end with the process).

use std::net::SocketAddr;

use authgate::{Auth, SessionLayer};
use axum::Router;

/// Installs the Prometheus recorder for the whole process, serving `/metrics` on `addr`.
/// authgate records through the `metrics` facade; any other recorder works the same way.
pub fn install_prometheus(addr: SocketAddr) -> Result<(), Box<dyn std::error::Error>> {
    metrics_exporter_prometheus::PrometheusBuilder::new()
        .with_http_listener(addr)
        .install()?;
    Ok(())
}

/// The app: auth routes, the health check and the session layer.
pub fn app(auth: &Auth) -> Router {
    Router::new()
        .route("/health", auth.health_route())
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()))
}

fn env_or(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().init();
    let app_addr: SocketAddr = env_or("AUTHGATE_EXAMPLE_ADDR", "127.0.0.1:3000").parse()?;
    let metrics_addr: SocketAddr = env_or("METRICS_ADDR", "127.0.0.1:9000").parse()?;
    install_prometheus(metrics_addr)?;

    let mut builder = Auth::builder().base_url(format!("http://{app_addr}"));
    if std::env::var_os("BETTER_AUTH_SECRET").is_none() {
        builder = builder.secret(authgate::generate_secret());
    }
    let auth = builder
        .connect(&env_or("DATABASE_URL", "sqlite::memory:"))
        .await?;
    auth.migrate().await?;

    let listener = tokio::net::TcpListener::bind(app_addr).await?;
    tracing::info!("app on http://{app_addr}, metrics on http://{metrics_addr}/metrics");
    axum::serve(
        listener,
        app(&auth).into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await?;
    Ok(())
}
