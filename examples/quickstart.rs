//! The quickstart: authgate on embedded SQLite, served on http://127.0.0.1:3000.
//!
//! ```sh
//! cargo run --example quickstart
//! ```
//!
//! - `PORT` changes the port; `DATABASE_URL` picks another database (`sqlite:`, `postgres:`,
//!   and `mysql:` when built with `--features mysql`).
//! - The secret comes from `BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET` or `AUTH_SECRET`, checked
//!   by the library (a weak one stops the example). Without any of them, *this example*
//!   (never the library) generates a random secret into `authgate-quickstart.secret` on first
//!   run and reuses it, so sessions survive restarts.
//! - Routes: the auth endpoints under `/api/auth`, `GET /me` (the signed-in user, or 401) and
//!   `GET /health` (200 when the database is reachable and writable, 503 otherwise).
//! - `GET /`: the demo page (`examples/demo/`), which signs up, signs in and manages sessions
//!   through `/api/auth` from the browser.

use std::io::IsTerminal;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;

mod demo;

use authgate::{Auth, CurrentUser, SessionLayer};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};

const SECRET_FILE: &str = "authgate-quickstart.secret";
const DEFAULT_DATABASE: &str = "sqlite://authgate-quickstart.db?mode=rwc";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_ansi(std::io::stdout().is_terminal())
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
    let port: u16 = std::env::var("PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(3000);
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.into());

    let mut builder = Auth::builder()
        .trusted_origin(format!("http://127.0.0.1:{port}"))
        .set_auth_token_header(true);
    if !is_set("BETTER_AUTH_URL") && !is_set("AUTH_URL") {
        builder = builder.base_url(format!("http://localhost:{port}"));
    }
    // The library reads these itself (and refuses weak values); only without any of them does
    // the example fall back to its own secret file.
    if !is_set("BETTER_AUTH_SECRETS") && !is_set("BETTER_AUTH_SECRET") && !is_set("AUTH_SECRET") {
        builder = builder.secret(example_secret()?);
    }
    // Validates the whole configuration (secret first) before touching the database.
    let auth = builder.validate()?.connect(&database_url).await?;
    let report = auth.migrate().await?;
    if !report.is_empty() {
        tracing::info!(tables = ?report.created_tables, indexes = ?report.created_indexes, "created the auth tables");
    }

    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .route("/health", get(health))
        .merge(demo::Page::new("/api/auth").router())
        .with_state(auth.clone())
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .with_graceful_shutdown(async {
        let _ = tokio::signal::ctrl_c().await;
    })
    .await?;
    Ok(())
}

async fn health(
    axum::extract::State(auth): axum::extract::State<Auth>,
) -> (StatusCode, Json<serde_json::Value>) {
    match auth.health().await {
        Ok(()) => (
            StatusCode::OK,
            Json(serde_json::json!({ "status": "ok", "database": "reachable" })),
        ),
        Err(err) => {
            // The details are for the operator's log, not for whoever asks.
            tracing::warn!(error = %err, "health check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(serde_json::json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}

/// Whether an environment variable is set to something (an empty one counts as unset, as in
/// the library).
fn is_set(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|v| !v.is_empty())
}

/// The example's own secret: read from `authgate-quickstart.secret`, or created there (32
/// random bytes, hex) on first run. Production apps set `BETTER_AUTH_SECRET` instead.
fn example_secret() -> std::io::Result<String> {
    let path = Path::new(SECRET_FILE);
    if let Ok(secret) = std::fs::read_to_string(path) {
        tracing::warn!(
            "BETTER_AUTH_SECRET is not set; using the example's secret from {SECRET_FILE}"
        );
        return Ok(secret.trim().to_owned());
    }
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(std::io::Error::other)?;
    let secret: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    write_private(path, &secret)?;
    tracing::warn!(
        "BETTER_AUTH_SECRET is not set; generated a secret into {SECRET_FILE} (kept for the next runs; set BETTER_AUTH_SECRET in production)"
    );
    Ok(secret)
}

#[cfg(unix)]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(contents.as_bytes())
}

#[cfg(not(unix))]
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    std::fs::write(path, contents)
}
