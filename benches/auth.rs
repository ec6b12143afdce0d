//! Micro-benchmarks of the request paths, through the real `SessionLayer` and router (tower
//! `oneshot`, no socket) on a SQLite file:
//!
//! - signing a session token (the HMAC of every cookie);
//! - a request without credentials, and one with a tampered cookie (no database work);
//! - an authenticated request (one query) and `GET /get-session`;
//! - the same authenticated request answered by the in-process session cache and by the
//!   cookie cache (no query either way);
//! - a sign-in (one scrypt hash, the dominant cost).
//!
//! `cargo bench --bench auth`. The figures are reported, never asserted.

use std::time::Duration;

use authgate::{Auth, CurrentUser, RateLimit, SessionLayer};
use axum::Router;
use axum::body::Body;
use axum::routing::get;
use criterion::{Criterion, criterion_group, criterion_main};
use http::Request;
use tower::ServiceExt;

const SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

struct Fixture {
    auth: Auth,
    app: Router,
    cookie: String,
    dir: std::path::PathBuf,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// How the fixture's `Auth` caches sessions.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Caching {
    None,
    Memory,
    Cookie,
}

fn fixture(runtime: &tokio::runtime::Runtime) -> Fixture {
    fixture_with(runtime, Caching::None)
}

fn fixture_with(runtime: &tokio::runtime::Runtime, caching: Caching) -> Fixture {
    runtime.block_on(async {
        let tag = match caching {
            Caching::None => "",
            Caching::Memory => "-memory",
            Caching::Cookie => "-cookie",
        };
        let dir = std::env::temp_dir().join(format!("authgate-bench-{}{tag}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let url = format!("sqlite://{}/bench.db?mode=rwc", dir.display());
        let mut builder = Auth::builder()
            .environment(|_| None)
            .secret(SECRET)
            .base_url("http://localhost:3000")
            .rate_limit(RateLimit::disabled());
        builder = match caching {
            Caching::None => builder,
            Caching::Memory => builder.session_cache(authgate::SessionCache::memory()),
            Caching::Cookie => builder.cookie_cache(authgate::CookieCache::compact()),
        };
        let auth = builder.connect(&url).await.unwrap();
        auth.migrate().await.unwrap();
        let app = Router::new()
            .route(
                "/me",
                get(|user: CurrentUser| async move { user.id.clone() }),
            )
            .route(
                "/maybe-me",
                get(|user: Option<CurrentUser>| async move { user.is_some().to_string() }),
            )
            .nest("/api/auth", auth.router())
            .layer(SessionLayer::new(auth.clone()));
        let response = app
            .clone()
            .oneshot(
                Request::post("/api/auth/sign-up/email")
                    .header("content-type", "application/json")
                    .body(Body::from(
                        r#"{"name":"Bench","email":"bench@example.com","password":"password123"}"#,
                    ))
                    .unwrap(),
            )
            .await
            .unwrap();
        let mut cookie = response.headers()["set-cookie"]
            .to_str()
            .unwrap()
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        // The first read from the database hands out the cookie cache.
        let me = app
            .clone()
            .oneshot(
                Request::get("/me")
                    .header("cookie", &cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await
            .unwrap();
        if caching == Caching::Cookie {
            let data = me
                .headers()
                .get_all("set-cookie")
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find(|v| v.starts_with("better-auth.session_data="))
                .expect("the cookie cache")
                .split(';')
                .next()
                .unwrap()
                .to_owned();
            cookie = format!("{cookie}; {data}");
        }
        Fixture {
            auth,
            app,
            cookie,
            dir,
        }
    })
}

fn request(
    app: &Router,
    path: &str,
    cookie: Option<&str>,
) -> impl std::future::Future<Output = u16> {
    let mut request = Request::get(path);
    if let Some(cookie) = cookie {
        request = request.header("cookie", cookie);
    }
    let request = request.body(Body::empty()).unwrap();
    let app = app.clone();
    async move { app.oneshot(request).await.unwrap().status().as_u16() }
}

fn benches(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let fixture = fixture(&runtime);
    let tampered = fixture
        .cookie
        .replacen("session_token=", "session_token=X", 1);

    c.bench_function("sign a session token (HMAC-SHA256)", |b| {
        b.iter(|| {
            fixture
                .auth
                .sign_session_token(std::hint::black_box("VocO25tpasHgAYbnltL5dHFfNiSzsK81"))
        })
    });
    c.bench_function("request without credentials", |b| {
        b.iter(|| {
            assert_eq!(
                runtime.block_on(request(&fixture.app, "/maybe-me", None)),
                200
            )
        })
    });
    c.bench_function("request with a tampered cookie (no query)", |b| {
        b.iter(|| {
            assert_eq!(
                runtime.block_on(request(&fixture.app, "/maybe-me", Some(&tampered))),
                200
            )
        })
    });
    c.bench_function("authenticated request (one query)", |b| {
        b.iter(|| {
            assert_eq!(
                runtime.block_on(request(&fixture.app, "/me", Some(&fixture.cookie))),
                200
            )
        })
    });
    c.bench_function("GET /get-session", |b| {
        b.iter(|| {
            assert_eq!(
                runtime.block_on(request(
                    &fixture.app,
                    "/api/auth/get-session",
                    Some(&fixture.cookie)
                )),
                200
            )
        })
    });

    let memory = fixture_with(&runtime, Caching::Memory);
    c.bench_function(
        "authenticated request, in-process cache hit (no query)",
        |b| {
            b.iter(|| {
                assert_eq!(
                    runtime.block_on(request(&memory.app, "/me", Some(&memory.cookie))),
                    200
                )
            })
        },
    );
    let stats = memory.auth.session_cache_stats().unwrap();
    assert!(stats.hits >= 1 && stats.misses == 1, "{stats:?}");
    let cookie = fixture_with(&runtime, Caching::Cookie);
    c.bench_function("authenticated request, cookie-cache hit (no query)", |b| {
        b.iter(|| {
            assert_eq!(
                runtime.block_on(request(&cookie.app, "/me", Some(&cookie.cookie))),
                200
            )
        })
    });

    let mut slow = c.benchmark_group("password hashing");
    slow.sample_size(10)
        .measurement_time(Duration::from_secs(8));
    slow.bench_function("sign-in with a wrong password (one scrypt)", |b| {
        b.iter(|| {
            let request = Request::post("/api/auth/sign-in/email")
                .header("content-type", "application/json")
                .body(Body::from(
                    r#"{"email":"bench@example.com","password":"wrong-password"}"#,
                ))
                .unwrap();
            let status = runtime
                .block_on(fixture.app.clone().oneshot(request))
                .unwrap()
                .status();
            assert_eq!(status, 401);
        })
    });
    slow.finish();
}

criterion_group!(auth, benches);
criterion_main!(auth);
