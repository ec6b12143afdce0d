//! An app with roles: a `role` field on every user (set by the server, never by clients), an
//! admin-only route that checks it without a query of its own, database hooks (refuse
//! sign-ups from one domain; greet every new user), and a command line that creates users and
//! bans them through the server-side API.
//!
//! ```sh
//! export BETTER_AUTH_SECRET="$(openssl rand -base64 32)"
//! cargo run --example roles -- create-admin ada@example.com 'correct horse battery'
//! cargo run --example roles -- ban mallory@example.com
//! cargo run --example roles                      # serves http://127.0.0.1:3000
//! ```
//!
//! - `DATABASE_URL` picks the database (default `sqlite://authgate-roles.db?mode=rwc`), `PORT`
//!   the port.
//! - Routes: the auth endpoints under `/api/auth`, `GET /me`, and `GET /admin` (403 unless the
//!   user's role is `admin`).
//! - The commands print one JSON line and exit; they leave no session behind and do not count
//!   against any rate limit.

use std::net::SocketAddr;
use std::process::ExitCode;

use authgate::api::SignUp;
use authgate::fields::Field;
use authgate::hooks::DatabaseHooks;
use authgate::{Auth, AuthError, CurrentUser, RateLimit, RateLimitStorage, SessionLayer};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

const DEFAULT_DATABASE: &str = "sqlite://authgate-roles.db?mode=rwc";
const BLOCKED_DOMAIN: &str = "@blocked.example";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("RUST_LOG").unwrap_or_else(|_| "info,sqlx=warn".into()))
        .with_writer(std::io::stderr)
        .init();
    match run(std::env::args().skip(1).collect()).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err}");
            ExitCode::FAILURE
        }
    }
}

/// The configuration the server and the commands share.
async fn auth(port: u16) -> Result<Auth, authgate::Error> {
    let database_url = std::env::var("DATABASE_URL").unwrap_or_else(|_| DEFAULT_DATABASE.into());
    let hooks = DatabaseHooks::new()
        .user_create_before(|user, _ctx| async move {
            if user.email.ends_with(BLOCKED_DOMAIN) {
                return Err(AuthError::new(
                    StatusCode::FORBIDDEN,
                    "SIGNUP_BLOCKED",
                    "Sign-ups from this domain are closed",
                ));
            }
            Ok(user)
        })
        .user_create_after(|user, ctx| async move {
            // An on-sign-up action: once per created user, for HTTP sign-ups and the CLI alike.
            tracing::info!(user.id = %user.id, via_http = ctx.is_http(), "welcome aboard");
            Ok(())
        });
    let auth = Auth::builder()
        .base_url(format!("http://localhost:{port}"))
        .user_field("role", Field::string().default("user"))
        .database_hooks(hooks)
        // Counters in the database, shared by every instance (and untouched by the CLI).
        .rate_limit(RateLimit::default().storage(RateLimitStorage::Database))
        .connect(&database_url)
        .await?;
    auth.migrate().await?;
    Ok(auth)
}

async fn run(args: Vec<String>) -> Result<(), Box<dyn std::error::Error>> {
    let port: u16 = std::env::var("PORT")
        .ok()
        .map(|p| p.parse())
        .transpose()?
        .unwrap_or(3000);
    let auth = auth(port).await?;
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["create-admin", email, password] => {
            let admin = auth
                .api()
                .create_user(SignUp::new("Admin", *email, *password).field("role", "admin"))
                .await?;
            println!(
                "{}",
                json!({ "created": admin.id, "role": admin.field::<String>("role") })
            );
        }
        ["ban", email] => {
            let api = auth.api();
            let Some(user) = api.find_user_by_email(email).await? else {
                return Err(format!("no user {email}").into());
            };
            api.revoke_sessions(&user.id).await?;
            println!("{}", json!({ "banned": user.id }));
        }
        [] => serve(auth, port).await?,
        _ => return Err("usage: roles [create-admin <email> <password> | ban <email>]".into()),
    }
    Ok(())
}

/// `/admin`: the role came with the session in its one query; checking it costs nothing.
async fn admin(user: CurrentUser) -> Result<Json<serde_json::Value>, StatusCode> {
    match user.field::<String>("role").as_deref() {
        Some("admin") => Ok(Json(json!({ "admin": user.email }))),
        _ => Err(StatusCode::FORBIDDEN),
    }
}

async fn serve(auth: Auth, port: u16) -> Result<(), Box<dyn std::error::Error>> {
    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .route("/admin", get(admin))
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
