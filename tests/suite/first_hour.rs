//! What a new user runs into in the first hour: a raw token sent as a bearer is told what to
//! send, cookies can be shared by subdomains, a `CurrentSession` serialises without its token,
//! the `testing` client does what a browser does, and configuration errors print their message
//! from `main`.

use crate::backend_tests;
use std::net::SocketAddr;

use authgate::{Auth, CurrentSession, CurrentUser, RateLimit, SessionLayer};
use axum::routing::get;
use axum::{Json, Router};
use serde_json::json;

use crate::common::{BASE_URL, Backend, FRONTEND, Jar, TestApp, TestDatabase, app_router, builder};

async fn an_unsigned_bearer_is_told_what_to_send(backend: Backend) {
    let app = TestApp::with(backend, |b| b.set_auth_token_header(true)).await;
    let mut jar = Jar::default();
    let signed_up = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "B", "email": "bearer@example.com", "password": "password123" }),
        )
        .await;
    let raw = signed_up.json()["token"].as_str().unwrap().to_owned();
    let signed = signed_up.header("set-auth-token").unwrap().to_owned();
    for path in ["/me", "/api/auth/list-sessions"] {
        let refused = app
            .client
            .get(path)
            .header("authorization", &format!("Bearer {raw}"))
            .send()
            .await;
        assert_eq!(refused.status, 401, "{path}");
        assert_eq!(refused.error_code(), "UNAUTHORIZED");
        let message = refused.json()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("set-auth-token"), "{path}: {message}");
    }
    // Anything else unsigned is the plain 401; get-session answers null as before.
    let plain = app
        .client
        .get("/me")
        .header("authorization", "Bearer abc.def")
        .send()
        .await;
    assert_eq!(plain.json()["message"], "Unauthorized");
    let session = app
        .client
        .get("/api/auth/get-session")
        .header("authorization", &format!("Bearer {raw}"))
        .send()
        .await;
    assert_eq!(session.json(), serde_json::Value::Null);
    let me = app
        .client
        .get("/me")
        .header("authorization", &format!("Bearer {signed}"))
        .send()
        .await;
    assert_eq!(me.status, 200);
}

async fn the_cookie_domain_is_sent_and_cleared(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.base_url("http://auth.example.com")
            .cookie_domain(".Example.com")
    })
    .await;
    let mut jar = Jar::default();
    let signed_up = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "D", "email": "domain@example.com", "password": "password123" }),
        )
        .await;
    let cookies = signed_up.set_cookies();
    assert_eq!(cookies.len(), 1);
    assert!(cookies[0].contains("; Domain=example.com"), "{cookies:?}");
    let signed_out = app.post("/api/auth/sign-out", &mut jar, json!({})).await;
    let cleared = signed_out.set_cookies();
    assert_eq!(cleared.len(), 3);
    assert!(
        cleared
            .iter()
            .all(|c| c.contains("Domain=example.com") && c.contains("Max-Age=0"))
    );

    // Off by default; refused where browsers would refuse it.
    let plain = TestApp::new(backend).await;
    let cookies = plain
        .post(
            "/api/auth/sign-up/email",
            &mut Jar::default(),
            json!({ "name": "D", "email": "d@example.com", "password": "password123" }),
        )
        .await
        .set_cookies();
    assert!(!cookies[0].contains("Domain"), "{cookies:?}");
    for (configure, reason) in [
        (
            builder()
                .base_url("https://auth.example.com")
                .host_prefix_cookies(true)
                .cookie_domain("example.com"),
            "host_prefix_cookies",
        ),
        (builder().cookie_domain("com"), "does not cover"),
        (
            builder()
                .base_url("http://a.example.com")
                .cookie_domain("com"),
            "top-level domain",
        ),
        (builder().cookie_domain("exa mple.com"), "host name"),
    ] {
        let err = configure.validate().unwrap_err().to_string();
        assert!(
            err.starts_with("cookie_domain ") && err.contains(reason),
            "{err}"
        );
    }
}

/// `Json(current)` answers Better-Auth's get-session body without the session token.
async fn a_current_session_serialises_without_its_token(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = builder()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let app = Router::new()
        .route(
            "/view",
            get(|current: CurrentSession| async move { Json(current) }),
        )
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));
    let mut client = auth.test_client(app);
    client
        .post_json(
            "/api/auth/sign-up/email",
            &json!({ "name": "V", "email": "view@example.com", "password": "password123" }),
        )
        .await;
    let view = client.get("/view").await;
    let session = client.get("/api/auth/get-session").await;
    let token = session.json()["session"]["token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(!view.text().contains(&token), "{}", view.text());
    // Everything else, in the same order.
    let without_token = session
        .text()
        .replace(&format!(r#""token":"{token}","#), "");
    assert_eq!(view.text(), without_token);
}

/// The testing client: cookies kept, the trusted origin sent, a peer address given (so the
/// per-address limits apply per client, as served with connect info).
async fn the_testing_client_behaves_like_a_browser(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let auth = builder()
        .rate_limit(RateLimit::default())
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let app = Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));
    let mut client = auth.test_client(app.clone());
    let signed_up = client
        .post_json(
            "/api/auth/sign-up/email",
            &json!({ "name": "T", "email": "testing@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    assert!(client.cookie("better-auth.session_token").is_some());
    assert_eq!(
        client.get("/me").await.json()["email"],
        "testing@example.com"
    );
    let signed_out = client.post_json("/api/auth/sign-out", &json!({})).await;
    assert_eq!(
        signed_out.status,
        200,
        "the origin was sent: {}",
        signed_out.text()
    );
    assert!(client.cookie("better-auth.session_token").is_none());
    assert_eq!(client.get("/me").await.status, 401);

    let credentials = json!({ "email": "testing@example.com", "password": "wrong password" });
    let mut statuses = Vec::new();
    for _ in 0..4 {
        statuses.push(
            client
                .post_json("/api/auth/sign-in/email", &credentials)
                .await
                .status,
        );
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
    let mut elsewhere = auth
        .test_client(app)
        .peer(SocketAddr::from(([10, 0, 0, 2], 5000)));
    let other = elsewhere
        .post_json("/api/auth/sign-in/email", &credentials)
        .await;
    assert_eq!(other.status, 401, "another address has its own budget");
}

/// `sqlite::memory:`, as the doc examples and many users' own tests use it, under concurrent
/// requests: one in-memory database for the whole pool (a second connection must not see an
/// empty database, nor lock the first out with SQLITE_LOCKED), every answer a success.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_in_memory_database_serves_concurrent_requests() {
    let auth = builder()
        .validate()
        .unwrap()
        .connect("sqlite::memory:")
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let app = app_router(&auth);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..24 {
        let mut client = auth.test_client(app.clone());
        tasks.spawn(async move {
            let mut statuses = Vec::new();
            let email = format!("memory{n}@example.com");
            let body = json!({ "name": "M", "email": email, "password": "password123" });
            let signed_up = client.post_json("/api/auth/sign-up/email", &body).await;
            statuses.push(signed_up.status);
            for _ in 0..5 {
                statuses.push(client.get("/me").await.status);
                statuses.push(client.get("/api/auth/list-sessions").await.status);
            }
            statuses.push(
                client
                    .post_json("/api/auth/sign-out", &json!({}))
                    .await
                    .status,
            );
            let sign_in = json!({ "email": email, "password": "password123" });
            statuses.push(
                client
                    .post_json("/api/auth/sign-in/email", &sign_in)
                    .await
                    .status,
            );
            (n, statuses)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (n, statuses) = done.unwrap();
        assert!(
            statuses.iter().all(|s| *s == 200),
            "client {n}: {statuses:?}"
        );
    }
}

/// The README's `main() -> Result<(), Box<dyn Error>>` prints `Debug`: it must be the message.
#[tokio::test]
async fn configuration_errors_print_their_message_from_main() {
    let missing_secret = Auth::builder()
        .environment(|_| None)
        .base_url(BASE_URL)
        .trusted_origin(FRONTEND)
        .connect("sqlite::memory:")
        .await
        .unwrap_err();
    let boxed: Box<dyn std::error::Error> = Box::new(missing_secret);
    let printed = format!("Error: {boxed:?}");
    assert_eq!(printed, format!("Error: {boxed}"));
    assert!(printed.contains("BETTER_AUTH_SECRET"), "{printed}");
    assert!(!printed.contains("Config("), "{printed}");
}

backend_tests!(
    an_unsigned_bearer_is_told_what_to_send,
    the_cookie_domain_is_sent_and_cleared,
    a_current_session_serialises_without_its_token,
    the_testing_client_behaves_like_a_browser
);
