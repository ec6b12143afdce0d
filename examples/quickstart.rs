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
//! - Account mails (verification on sign-up, password reset): through SMTP when `SMTP_URL` is
//!   set (`smtps://user:password@host`, `smtp://user:password@host:587` with STARTTLS, or
//!   `smtp://localhost:1025?tls=none` for a local catcher; `MAIL_FROM` names the sender),
//!   otherwise as `.eml` files in `MAIL_DIR` (default `./mail`).
//! - `SESSION_CACHE` picks a session cache to try and measure: `memory` (the in-process cache,
//!   100,000 sessions for 30 s), `cookie` (Better-Auth's cookie cache, 5 minutes), unset or
//!   empty for none; any other value stops the example.
//! - Routes: the auth endpoints under `/api/auth`, `GET /me` (the signed-in user, or 401) and
//!   `GET /health` (200 when the database persists a row, 503 naming the failing part).
//! - `GET /`: the demo page (`examples/demo/`), which signs up, signs in and manages sessions
//!   through `/api/auth` from the browser.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

mod demo;

use authgate::{Auth, CurrentUser, SessionLayer};
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
        .set_auth_token_header(true)
        .app_name("authgate quickstart")
        .send_verification_on_sign_up(true);
    let mail_note;
    builder = match std::env::var("SMTP_URL").ok().filter(|u| !u.is_empty()) {
        Some(url) => {
            mail_note = "through the SMTP server in SMTP_URL".to_owned();
            let mut smtp = authgate::mail::SmtpMailer::from_url(&url)?;
            if let Ok(from) = std::env::var("MAIL_FROM") {
                smtp = smtp.from(from);
            }
            let smtp = smtp.build()?;
            tracing::info!(?smtp, "sending mail through SMTP");
            builder.mailer(smtp)
        }
        None => {
            let dir = std::env::var("MAIL_DIR").unwrap_or_else(|_| "mail".into());
            mail_note = format!("as .eml files in {dir}/ (set SMTP_URL to send them)");
            tracing::info!(
                dir,
                "writing mail as .eml files (set SMTP_URL to send them)"
            );
            builder.mailer(authgate::mail::FileMailer::new(dir))
        }
    };
    if !is_set("BETTER_AUTH_URL") && !is_set("AUTH_URL") {
        builder = builder.base_url(format!("http://localhost:{port}"));
    }
    // The library reads these itself (and refuses weak values); only without any of them does
    // the example fall back to its own secret file.
    if !is_set("BETTER_AUTH_SECRETS") && !is_set("BETTER_AUTH_SECRET") && !is_set("AUTH_SECRET") {
        builder = builder.secret(example_secret()?);
    }
    builder = with_session_cache(builder)?;
    // Validates the whole configuration (secret first) before touching the database.
    let auth = builder.validate()?.connect(&database_url).await?;
    let report = auth.migrate().await?;
    if !report.is_empty() {
        tracing::info!(tables = ?report.created_tables, indexes = ?report.created_indexes, "created the auth tables");
    }

    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .route("/health", auth.health_route())
        .merge(demo::Page::new("/api/auth").mail(mail_note).router())
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));

    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
    tracing::info!("listening on http://{}", listener.local_addr()?);
    // Like `axum::serve` (with the client address for the rate limits), but slow or silent
    // clients cannot hold connections open: headers within 10 s, bodies within 30 s.
    authgate::serve(listener, app)
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(())
}

/// The session cache `SESSION_CACHE` asks for.
fn with_session_cache(
    builder: authgate::AuthBuilder,
) -> Result<authgate::AuthBuilder, Box<dyn std::error::Error>> {
    let mode = std::env::var("SESSION_CACHE").unwrap_or_default();
    let builder = match mode.as_str() {
        "" => builder,
        "memory" => builder.session_cache(
            authgate::SessionCache::memory()
                .max_entries(100_000)
                .ttl(std::time::Duration::from_secs(30)),
        ),
        "cookie" => builder.cookie_cache(authgate::CookieCache::compact()),
        other => {
            return Err(format!(
                "SESSION_CACHE must be `memory`, `cookie` or unset, got {other:?}"
            )
            .into());
        }
    };
    if !mode.is_empty() {
        tracing::info!(session_cache = %mode, "session cache on");
    }
    Ok(builder)
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
