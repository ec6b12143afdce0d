//! How long an invalidation over PostgreSQL `LISTEN/NOTIFY` takes to reach another instance:
//! two authgate instances on one database, both with the in-process cache (a 10-minute TTL, so
//! that only the invalidation can explain a 401); a session is revoked on one, and the other is
//! polled over HTTP until it answers 401. Prints one JSON line.

use std::time::{Duration, Instant};

use authgate::api::{SignIn, SignUp};
use authgate::{Auth, CurrentUser, RateLimit, SessionCache, SessionLayer};
use axum::Router;
use axum::routing::get;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

async fn instance(url: &str) -> (Auth, u16) {
    let auth = Auth::builder()
        .environment(|_| None)
        .secret(super::SECRET)
        .base_url("http://localhost:3000")
        .rate_limit(RateLimit::disabled())
        .session_cache(
            SessionCache::memory()
                .ttl(Duration::from_secs(600))
                .invalidate_over_postgres(),
        )
        .connect(url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { user.id.clone() }))
        .layer(SessionLayer::new(auth.clone()));
    let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (auth, port)
}

/// The status of `GET /me` with `bearer`, on a fresh connection.
async fn status(port: u16, bearer: &str) -> u16 {
    let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let request = format!(
        "GET /me HTTP/1.1\r\nhost: localhost\r\nauthorization: Bearer {bearer}\r\nconnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let text = String::from_utf8_lossy(&answer);
    text.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
}

pub async fn measure(url: &str) {
    let (a, _) = instance(url).await;
    let (b, b_port) = instance(url).await;
    let api = a.api();
    api.create_user(SignUp::new("Bench", "invalidation@example.com", "password123"))
        .await
        .unwrap();
    let mut samples = Vec::new();
    for _ in 0..20 {
        let signed = api
            .sign_in_email(SignIn::new("invalidation@example.com", "password123"))
            .await
            .unwrap();
        let bearer = signed.signed_token.clone();
        // Served from B's cache (which means B listens) before the revocation.
        let before = b.session_cache_stats().unwrap().hits;
        let deadline = Instant::now() + Duration::from_secs(60);
        while b.session_cache_stats().unwrap().hits == before {
            assert_eq!(status(b_port, &bearer).await, 200);
            assert!(Instant::now() < deadline, "B never served from its cache");
        }
        let start = Instant::now();
        api.revoke_session(&signed.session.token).await.unwrap();
        while status(b_port, &bearer).await != 401 {
            assert!(start.elapsed() < Duration::from_secs(60), "never reached B");
        }
        samples.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    samples.sort_by(|x, y| x.partial_cmp(y).unwrap());
    println!(
        "RESULT {{\"samples\":{},\"median_ms\":{:.2},\"max_ms\":{:.2}}}",
        samples.len(),
        samples[samples.len() / 2],
        samples[samples.len() - 1]
    );
}
