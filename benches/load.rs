//! Load harness: an app shaped like the quickstart on a real socket, driven by concurrent
//! keep-alive HTTP/1.1 clients for a fixed time per scenario. Reports requests per second and
//! latency percentiles; asserts nothing about speed.
//!
//! ```sh
//! cargo bench --bench load
//! AUTHGATE_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/test cargo bench --bench load
//! ```
//!
//! `AUTHGATE_BENCH_SECONDS` (default 5) and `AUTHGATE_BENCH_CONNECTIONS` (default 32) tune it.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use authgate::{Auth, CurrentUser, RateLimit, SessionLayer};
use axum::Router;
use axum::routing::get;
use bytes::Bytes;
use http::{Method, Request};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

const SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

struct Scenario {
    name: &'static str,
    method: Method,
    path: &'static str,
    cookie: Option<String>,
    body: Option<&'static str>,
    expect: u16,
}

struct Outcome {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
    unexpected: usize,
}

async fn worker(addr: SocketAddr, scenario: &Scenario, until: Instant) -> (Vec<Duration>, usize) {
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    while Instant::now() < until {
        let mut request = Request::builder()
            .method(scenario.method.clone())
            .uri(scenario.path)
            .header("host", addr.to_string());
        if let Some(cookie) = &scenario.cookie {
            request = request.header("cookie", cookie);
        }
        let body = match scenario.body {
            Some(body) => {
                request = request.header("content-type", "application/json");
                Full::new(Bytes::from_static(body.as_bytes()))
            }
            None => Full::new(Bytes::new()),
        };
        let started = Instant::now();
        sender.ready().await.unwrap();
        let response = sender
            .send_request(request.body(body).unwrap())
            .await
            .unwrap();
        let status = response.status().as_u16();
        response.into_body().collect().await.unwrap();
        latencies.push(started.elapsed());
        if status != scenario.expect {
            unexpected += 1;
        }
    }
    (latencies, unexpected)
}

async fn run(addr: SocketAddr, scenario: &Scenario, connections: u64, seconds: u64) -> Outcome {
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let mut workers = tokio::task::JoinSet::new();
    for _ in 0..connections {
        let scenario = Scenario {
            name: scenario.name,
            method: scenario.method.clone(),
            path: scenario.path,
            cookie: scenario.cookie.clone(),
            body: scenario.body,
            expect: scenario.expect,
        };
        workers.spawn(async move { worker(addr, &scenario, until).await });
    }
    let mut latencies = Vec::new();
    let mut unexpected = 0;
    for (l, u) in workers.join_all().await {
        latencies.extend(l);
        unexpected += u;
    }
    latencies.sort();
    Outcome {
        requests: latencies.len(),
        elapsed: started.elapsed(),
        latencies,
        unexpected,
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

#[tokio::main]
async fn main() {
    let seconds = env_number("AUTHGATE_BENCH_SECONDS", 5);
    let connections = env_number("AUTHGATE_BENCH_CONNECTIONS", 32);
    let dir = std::env::temp_dir().join(format!("authgate-load-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("AUTHGATE_BENCH_DATABASE_URL")
        .unwrap_or_else(|_| format!("sqlite://{}/load.db?mode=rwc", dir.display()));

    let auth = Auth::builder()
        .environment(|_| None)
        .secret(SECRET)
        .base_url("http://localhost:3000")
        .rate_limit(RateLimit::disabled())
        .connect(&url)
        .await
        .expect("the benchmark database");
    auth.migrate().await.unwrap();
    let app = Router::new()
        .route(
            "/me",
            get(|user: CurrentUser| async move { user.id.clone() }),
        )
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            app.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap()
    });

    // One user and one session to authenticate with.
    let email = format!("load-{}@example.com", std::process::id());
    let stream = tokio::net::TcpStream::connect(addr).await.unwrap();
    let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .unwrap();
    tokio::spawn(connection);
    let sign_up = format!(r#"{{"name":"Load","email":"{email}","password":"password123"}}"#);
    let response = sender
        .send_request(
            Request::post("/api/auth/sign-up/email")
                .header("host", addr.to_string())
                .header("content-type", "application/json")
                .body(Full::new(Bytes::from(sign_up)))
                .unwrap(),
        )
        .await
        .unwrap();
    let cookie = response.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let tampered = cookie.replacen("session_token=", "session_token=X", 1);
    let wrong_password: &'static str =
        Box::leak(format!(r#"{{"email":"{email}","password":"wrong-password"}}"#).into_boxed_str());

    let scenarios = [
        Scenario {
            name: "GET /api/auth/ok (no credentials)",
            method: Method::GET,
            path: "/api/auth/ok",
            cookie: None,
            body: None,
            expect: 200,
        },
        Scenario {
            name: "GET /me, tampered cookie (HMAC only)",
            method: Method::GET,
            path: "/me",
            cookie: Some(tampered),
            body: None,
            expect: 401,
        },
        Scenario {
            name: "GET /me, signed in (one query)",
            method: Method::GET,
            path: "/me",
            cookie: Some(cookie.clone()),
            body: None,
            expect: 200,
        },
        Scenario {
            name: "GET /api/auth/get-session",
            method: Method::GET,
            path: "/api/auth/get-session",
            cookie: Some(cookie),
            body: None,
            expect: 200,
        },
        Scenario {
            name: "POST sign-in, wrong password (scrypt)",
            method: Method::POST,
            path: "/api/auth/sign-in/email",
            cookie: None,
            body: Some(wrong_password),
            expect: 401,
        },
    ];
    println!(
        "authgate load harness: {connections} connections, {seconds} s per scenario, database {}",
        url.split(':').next().unwrap_or_default()
    );
    println!(
        "{:<42} {:>10} {:>10} {:>10} {:>10} {:>10}",
        "scenario", "req/s", "p50", "p99", "max", "unexpected"
    );
    for scenario in &scenarios {
        let outcome = run(addr, scenario, connections, seconds).await;
        println!(
            "{:<42} {:>10.0} {:>10.2?} {:>10.2?} {:>10.2?} {:>10}",
            scenario.name,
            outcome.requests as f64 / outcome.elapsed.as_secs_f64(),
            percentile(&outcome.latencies, 0.50),
            percentile(&outcome.latencies, 0.99),
            outcome.latencies.last().copied().unwrap_or_default(),
            outcome.unexpected,
        );
    }
    auth.database().close().await;
    let _ = std::fs::remove_dir_all(&dir);
}
