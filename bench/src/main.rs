//! The servers the load harness drives (`bench/run.sh`), one per process:
//!
//! - `bare PORT`: an axum handler returning a fixed user (the ceiling);
//! - `floor PORT URL`: one sqlx join of session and user per request, by the cookie's token,
//!   without any signature check (the floor of an uncached session check);
//! - `authgate PORT URL MODE`: authgate's `/me` and `/api/auth/*` (MODE `none`, `memory`,
//!   `memory-large` (room for a million sessions, a 10-minute TTL: for the memory figure) or
//!   `cookie`), with `/stats` giving the session cache's counters and the process's RSS;
//!   `AUTHGATE_BENCH_HASHES` sets `max_concurrent_hashes` (default: one per core);
//! - `axum-login PORT URL`: axum-login 0.18 over tower-sessions 0.14's sqlx PostgreSQL store,
//!   `POST /login` and a protected `/me` returning the user;
//! - `invalidation URL`: how long a revocation takes to reach another instance's cache over
//!   PostgreSQL `LISTEN/NOTIFY` (prints a JSON line; no server).

use std::net::SocketAddr;

use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{Value, json};

mod invalidation;
mod login;

/// The database pool of the floor and of authgate (sqlx's default is 10).
const POOL_SIZE: u32 = 16;

const SECRET: &str = "bench-secret-kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |i: usize| {
        args.get(i)
            .cloned()
            .unwrap_or_else(|| panic!("usage: authgate-bench bare|floor|authgate|axum-login PORT [URL] [MODE]"))
    };
    if arg(1) == "invalidation" {
        invalidation::measure(&arg(2)).await;
        return;
    }
    let port: u16 = arg(2).parse().expect("a port");
    let app = match arg(1).as_str() {
        "bare" => bare(),
        "floor" => floor(&arg(3)).await,
        "authgate" => authgate_app(&arg(3), &arg(4)).await,
        "axum-login" => login::app(&arg(3)).await,
        other => panic!("unknown server {other}"),
    };
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    println!("listening {port}");
    axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .await
        .unwrap();
}

fn user_json() -> Value {
    json!({
        "name": "Bench", "email": "bench@example.com", "emailVerified": false, "image": null,
        "createdAt": "2026-12-01T00:00:00.000Z", "updatedAt": "2026-12-01T00:00:00.000Z",
        "id": "benchbenchbenchbenchbenchbench12",
    })
}

fn bare() -> Router {
    Router::new().route("/me", get(|| async { Json(user_json()) }))
}

async fn floor(url: &str) -> Router {
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(url)
        .await
        .unwrap();
    Router::new().route(
        "/me",
        get(move |headers: axum::http::HeaderMap| {
            let pool = pool.clone();
            async move {
                let token = headers
                    .get("cookie")
                    .and_then(|v| v.to_str().ok())
                    .and_then(|c| c.split("better-auth.session_token=").nth(1))
                    .and_then(|v| v.split(['.', ';', '%']).next())
                    .unwrap_or("")
                    .to_owned();
                let row: Option<(String, String, String)> = sqlx::query_as(
                    r#"select u."id", u."name", u."email" from "session" s join "user" u on u."id" = s."userId" where s."token" = $1 and s."expiresAt" > now()"#,
                )
                .bind(token)
                .fetch_optional(&pool)
                .await
                .unwrap();
                match row {
                    Some((id, name, email)) => {
                        Ok(Json(json!({ "id": id, "name": name, "email": email })))
                    }
                    None => Err(axum::http::StatusCode::UNAUTHORIZED),
                }
            }
        }),
    )
}

async fn authgate_app(url: &str, mode: &str) -> Router {
    use authgate::{Auth, CookieCache, CurrentUser, RateLimit, SessionCache, SessionLayer};
    let mut builder = Auth::builder()
        .environment(|_| None)
        .secret(SECRET)
        .base_url("http://localhost:3000")
        .rate_limit(RateLimit::disabled());
    // The sign-in figures are also taken with fewer hashing threads than cores.
    if let Some(hashes) = std::env::var("AUTHGATE_BENCH_HASHES").ok().and_then(|n| n.parse().ok()) {
        builder = builder.max_concurrent_hashes(hashes);
    }
    builder = match mode {
        "none" => builder,
        "memory" => builder.session_cache(SessionCache::memory().max_entries(100_000)),
        "memory-large" => builder.session_cache(
            SessionCache::memory()
                .max_entries(1_000_000)
                .ttl(std::time::Duration::from_secs(600)),
        ),
        "cookie" => builder.cookie_cache(CookieCache::compact()),
        other => panic!("MODE must be none, memory, memory-large or cookie, got {other}"),
    };
    // The floor's pool size, so that both wait for connections alike.
    let pool = authgate::sqlx::postgres::PgPoolOptions::new()
        .max_connections(POOL_SIZE)
        .connect(url)
        .await
        .unwrap();
    let auth = builder.build(pool).unwrap();
    auth.migrate().await.unwrap();
    let stats = auth.clone();
    Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .route(
            "/stats",
            post(move || {
                let stats = stats.session_cache_stats().unwrap_or_default();
                async move {
                    Json(json!({
                        "hits": stats.hits, "misses": stats.misses, "entries": stats.entries,
                        "rss_kib": rss_kib(),
                    }))
                }
            }),
        )
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth))
}

/// This process's resident set size (`VmRSS` of `/proc/self/status`), in KiB.
fn rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
