//! A database outage: 503 with a JSON error, nothing deleted, no cookie cleared, and the same
//! session valid again once the database is back. PostgreSQL and MariaDB go through a TCP proxy
//! the test cuts; SQLite's pool is closed under the app.

use std::time::Duration;

use serde_json::json;

use crate::backend_tests;
use crate::common::mail::{CaptureMailer, path_of};
use crate::common::outage::proxied;
use crate::common::{
    Backend, Client, Jar, TestApp, TestDatabase, TestResponse, app_router, builder, q, scalar,
    serve,
};

backend_tests!(
    database_outage_is_503_and_loses_nothing,
    account_mail_endpoints_fail_fast_during_an_outage,
);

/// A hang would be a failure; this bound only catches one.
const HANG: Duration = Duration::from_secs(60);

fn assert_unavailable(response: &TestResponse, what: &str) {
    assert_eq!(response.status, 503, "{what}: {}", response.text());
    assert_eq!(response.error_code(), "DATABASE_UNAVAILABLE", "{what}");
    assert!(
        response.set_cookies().is_empty(),
        "{what}: an outage never clears cookies: {:?}",
        response.set_cookies()
    );
}

async fn database_outage_is_503_and_loses_nothing(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let (proxy, url) = proxied(&db).await;
    let auth = builder().validate().unwrap().connect(&url).await.unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);

    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Out", "email": "out@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    let token = jar.session_token();

    match &proxy {
        Some(proxy) => proxy.down(),
        None => auth.database().close().await,
    }

    let me = tokio::time::timeout(HANG, client.get("/me").send_with(&mut jar))
        .await
        .expect("no hang");
    assert_unavailable(&me, "/me");
    let session = tokio::time::timeout(
        HANG,
        client.get("/api/auth/get-session").send_with(&mut jar),
    )
    .await
    .unwrap();
    assert_unavailable(&session, "get-session");
    let out = tokio::time::timeout(
        HANG,
        client
            .post("/api/auth/sign-out")
            .with_frontend_origin()
            .send_with(&mut jar),
    )
    .await
    .unwrap();
    assert_unavailable(&out, "sign-out");
    let sign_in = client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "out@example.com", "password": "password123" }))
        .send()
        .await;
    assert_unavailable(&sign_in, "sign-in");
    assert!(jar.get("better-auth.session_token").is_some());

    // The database comes back: the very same cookie is still signed in.
    let client = match &proxy {
        Some(proxy) => {
            proxy.up();
            client
        }
        None => {
            let auth = builder()
                .validate()
                .unwrap()
                .connect(&db.url)
                .await
                .unwrap();
            let (addr, server) = serve(app_router(&auth)).await;
            std::mem::forget(server);
            Client::new(addr)
        }
    };
    // The circuit closes when its probe (once a second) reaches the database again.
    let back = std::time::Instant::now();
    let me = loop {
        let me = client.get("/me").send_with(&mut jar).await;
        if me.status != 503 || back.elapsed() > Duration::from_secs(30) {
            break me;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert_eq!(me.status, 200, "{}", me.text());
    let check = db.connect().await;
    let rows = scalar(
        &check,
        &format!(
            "select count(*) from {} where {} = '{token}'",
            q(backend, "session"),
            q(backend, "token")
        ),
    )
    .await;
    assert_eq!(rows.as_deref(), Some("1"));
    let _: Option<&TestApp> = None;
}

/// The account-mail endpoints' token rows go through the store's circuit like every other
/// statement: once the outage is known, a reset request, a reset link, a reset and a
/// verification link are each answered 503 `DATABASE_UNAVAILABLE` at once. The pool's acquire
/// timeout is long here, so that a statement that went around the circuit would show: it would
/// wait out that timeout for a connection the refusing proxy never gives (the first statements
/// of `GET`/`POST /reset-password` and the expired-row clean-up of `request-password-reset`
/// are `verification` statements). On SQLite the pool is closed, which fails at once anyway.
async fn account_mail_endpoints_fail_fast_during_an_outage(backend: Backend) {
    const SLOW_ACQUIRE: Duration = Duration::from_secs(5);
    let db = TestDatabase::new(backend).await;
    let (proxy, url) = proxied(&db).await;
    let mailer = CaptureMailer::default();
    let auth = builder()
        .mailer(mailer.clone())
        .send_verification_on_sign_up(true)
        .database_acquire_timeout(SLOW_ACQUIRE)
        .validate()
        .unwrap()
        .connect(&url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Mail", "email": "mail@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let verify = path_of(&mailer.wait_for(1).await[0].link);
    assert!(verify.contains("/verify-email?token="), "{verify}");

    match &proxy {
        Some(proxy) => proxy.refuse(),
        None => auth.database().close().await,
    }
    // The outage is noticed (the circuit opens, or SQLite's pool is closed).
    let me = tokio::time::timeout(HANG, client.get("/me").send_with(&mut jar))
        .await
        .expect("no hang");
    assert_unavailable(&me, "/me");

    let token = "A".repeat(24);
    let requests = [
        (
            "request-password-reset",
            client
                .post("/api/auth/request-password-reset")
                .json(&json!({ "email": "mail@example.com" })),
        ),
        (
            "GET reset-password",
            client.get(&format!(
                "/api/auth/reset-password/{token}?callbackURL=/reset"
            )),
        ),
        (
            "POST reset-password",
            client
                .post("/api/auth/reset-password")
                .json(&json!({ "token": token, "newPassword": "new-password-1" })),
        ),
        ("verify-email", client.get(&verify)),
    ];
    for (what, request) in requests {
        let started = std::time::Instant::now();
        let response = tokio::time::timeout(HANG, request.send())
            .await
            .expect("no hang");
        let took = started.elapsed();
        assert_unavailable(&response, what);
        // Not a speed bound: a statement that waited for a pooled connection would take at
        // least the acquire timeout.
        assert!(
            took < SLOW_ACQUIRE,
            "{what} waited {took:?} for the pool: a statement went around the circuit"
        );
    }
    assert_eq!(mailer.messages().len(), 1, "no mail during the outage");
}
