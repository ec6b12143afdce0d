//! The in-process session cache: writes on the same instance take effect at once, another
//! instance's staleness is bounded by the TTL, and on PostgreSQL an invalidation reaches
//! another instance over `LISTEN/NOTIFY`. (That a hit makes no query is in query_count.rs.)

use std::time::{Duration, Instant};

use authgate::{Auth, SessionCache};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Client, Jar, TestApp, app_router, builder, serve};

backend_tests!(
    writes_on_the_same_instance_take_effect_at_once,
    another_instance_is_stale_at_most_for_the_ttl,
);

#[cfg(feature = "postgres")]
mod postgres_only {
    #[tokio::test]
    #[ignore = "needs PostgreSQL: set AUTHGATE_TEST_POSTGRES_URL and pass --include-ignored (bash .ci/run does)"]
    async fn an_invalidation_reaches_another_instance() {
        super::an_invalidation_reaches_another_instance(crate::common::Backend::Postgres).await
    }

    #[tokio::test]
    #[ignore = "needs PostgreSQL: set AUTHGATE_TEST_POSTGRES_URL and pass --include-ignored (bash .ci/run does)"]
    async fn an_invalidation_refuses_another_instances_cookie_cache() {
        super::an_invalidation_refuses_another_instances_cookie_cache(
            crate::common::Backend::Postgres,
        )
        .await
    }
}

/// A long TTL, so that only an invalidation can explain a changed answer.
fn long_cache() -> SessionCache {
    SessionCache::memory().ttl(Duration::from_secs(600))
}

fn hits(auth: &Auth) -> u64 {
    auth.session_cache_stats().expect("cache on").hits
}

/// Requests `/me` until it is served from the in-process cache (bounded generously); a
/// cookie cache is left out, since it would answer first.
async fn until_cached(auth: &Auth, client: &Client, jar: &mut Jar) {
    let deadline = Instant::now() + Duration::from_secs(60);
    let before = hits(auth);
    loop {
        jar.cookies.remove("better-auth.session_data");
        assert_eq!(client.get("/me").send_with(jar).await.status, 200);
        if hits(auth) > before {
            return;
        }
        assert!(Instant::now() < deadline, "never served from the cache");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Polls `/me` until `done` says so, within `bound`; whether it got there.
async fn poll_me(
    client: &Client,
    jar: &mut Jar,
    bound: Duration,
    done: impl Fn(u16, &serde_json::Value) -> bool,
) -> bool {
    let deadline = Instant::now() + bound;
    loop {
        let response = client.get("/me").send_with(&mut jar.clone()).await;
        let body = serde_json::from_str(&response.text()).unwrap_or(serde_json::Value::Null);
        if done(response.status.as_u16(), &body) {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn writes_on_the_same_instance_take_effect_at_once(backend: Backend) {
    let app = TestApp::with(backend, |b| b.session_cache(long_cache()).delete_user(true)).await;
    let c = &app.client;

    // Sign-out.
    let mut jar = app.sign_up("cache@example.com", "password123").await;
    until_cached(&app.auth, c, &mut jar).await;
    let mut kept = jar.clone();
    assert_eq!(
        app.post("/api/auth/sign-out", &mut jar, json!({}))
            .await
            .status,
        200
    );
    assert_eq!(app.get("/me", &mut kept).await.status, 401, "sign-out");

    // Revoking one session, the others, all.
    let mut a = app.sign_in("cache@example.com", "password123").await;
    let mut b = app.sign_in("cache@example.com", "password123").await;
    let mut c2 = app.sign_in("cache@example.com", "password123").await;
    for jar in [&mut a, &mut b, &mut c2] {
        until_cached(&app.auth, c, jar).await;
    }
    let body = json!({ "token": b.session_token() });
    app.post("/api/auth/revoke-session", &mut a, body).await;
    assert_eq!(app.get("/me", &mut b).await.status, 401, "revoke-session");
    app.post("/api/auth/revoke-other-sessions", &mut a, json!({}))
        .await;
    assert_eq!(
        app.get("/me", &mut c2).await.status,
        401,
        "revoke-other-sessions"
    );
    assert_eq!(
        app.get("/me", &mut a).await.status,
        200,
        "the caller's stays"
    );
    until_cached(&app.auth, c, &mut a).await;
    app.post("/api/auth/revoke-sessions", &mut a, json!({}))
        .await;
    assert_eq!(app.get("/me", &mut a).await.status, 401, "revoke-sessions");

    // Update-user: the new name is served at once.
    let mut jar = app.sign_in("cache@example.com", "password123").await;
    until_cached(&app.auth, c, &mut jar).await;
    let updated = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "name": "Renamed" }),
        )
        .await;
    assert_eq!(updated.status, 200, "{}", updated.text());
    let me = app.get("/me", &mut jar).await;
    assert_eq!(me.json()["name"], "Renamed", "update-user");

    // Change-password revoking the other sessions.
    let mut other = app.sign_in("cache@example.com", "password123").await;
    until_cached(&app.auth, c, &mut other).await;
    let changed = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "newpassword456", "revokeOtherSessions": true }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(
        app.get("/me", &mut other).await.status,
        401,
        "change-password"
    );

    // Server code: revoking through the API.
    let mut jar = app.sign_in("cache@example.com", "newpassword456").await;
    until_cached(&app.auth, c, &mut jar).await;
    let user_id = app.get("/me", &mut jar).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.auth.api().revoke_sessions(&user_id).await.unwrap();
    assert_eq!(
        app.get("/me", &mut jar).await.status,
        401,
        "api revoke_sessions"
    );

    // Delete-user.
    let mut jar = app.sign_in("cache@example.com", "newpassword456").await;
    let mut other = app.sign_in("cache@example.com", "newpassword456").await;
    until_cached(&app.auth, c, &mut other).await;
    let deleted = app
        .post(
            "/api/auth/delete-user",
            &mut jar,
            json!({ "password": "newpassword456" }),
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.text());
    assert_eq!(app.get("/me", &mut other).await.status, 401, "delete-user");

    let stats = app.auth.session_cache_stats().unwrap();
    assert!(stats.hits >= 8, "{stats:?}");
}

/// Without invalidation, another instance serves a session revoked elsewhere until its entry's
/// TTL ends, and then asks the database.
async fn another_instance_is_stale_at_most_for_the_ttl(backend: Backend) {
    let app = TestApp::new(backend).await;
    let other = builder()
        .session_cache(SessionCache::memory().ttl(Duration::from_secs(1)))
        .build(app.db.connect().await)
        .unwrap();
    let (addr, _server) = serve(app_router(&other)).await;
    let other_client = Client::new(addr);

    let mut jar = app.sign_up("ttl@example.com", "password123").await;
    until_cached(&other, &other_client, &mut jar).await;
    assert_eq!(
        app.post("/api/auth/sign-out", &mut jar.clone(), json!({}))
            .await
            .status,
        200
    );
    let gone = poll_me(
        &other_client,
        &mut jar,
        Duration::from_secs(60),
        |status, _| status == 401,
    )
    .await;
    assert!(gone, "the revocation is seen once the TTL has run out");
}

/// Two `Auth` values on one PostgreSQL schema, both listening: a sign-out (token) and a
/// rename (user) on one reach the other's cache, whose TTL is far longer than the bound.
async fn an_invalidation_reaches_another_instance(backend: Backend) {
    let shared = || long_cache().invalidate_over_postgres();
    let app = TestApp::with(backend, |b| b.session_cache(shared())).await;
    let other = builder()
        .session_cache(shared())
        .build(app.db.connect().await)
        .unwrap();
    let (addr, _server) = serve(app_router(&other)).await;
    let other_client = Client::new(addr);

    let mut jar = app.sign_up("notify@example.com", "password123").await;
    // Served from the cache only once the instance listens.
    until_cached(&other, &other_client, &mut jar).await;
    until_cached(&app.auth, &app.client, &mut jar).await;

    // A change of the user, published by user id.
    let renamed = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "name": "Elsewhere" }),
        )
        .await;
    assert_eq!(renamed.status, 200);
    let seen = poll_me(
        &other_client,
        &mut jar,
        Duration::from_secs(10),
        |status, body| status == 200 && body["name"] == "Elsewhere",
    )
    .await;
    assert!(seen, "the rename reached the other instance");

    // A sign-out, published by the token's hash.
    until_cached(&other, &other_client, &mut jar).await;
    assert_eq!(
        app.post("/api/auth/sign-out", &mut jar.clone(), json!({}))
            .await
            .status,
        200
    );
    let gone = poll_me(
        &other_client,
        &mut jar,
        Duration::from_secs(10),
        |status, _| status == 401,
    )
    .await;
    assert!(gone, "the sign-out reached the other instance");
}

/// With both caches and invalidation over PostgreSQL, a sign-out on one instance also makes the
/// other refuse the (still signed, unexpired) `session_data` cookie it handed out.
async fn an_invalidation_refuses_another_instances_cookie_cache(backend: Backend) {
    let both = |b: authgate::AuthBuilder| {
        b.session_cache(long_cache().invalidate_over_postgres())
            .cookie_cache(authgate::CookieCache::compact())
    };
    let app = TestApp::with(backend, both).await;
    let other = both(builder()).build(app.db.connect().await).unwrap();
    let (addr, _server) = serve(app_router(&other)).await;
    let other_client = Client::new(addr);

    let mut jar = app.sign_up("both@example.com", "password123").await;
    // The other instance hands out its cookie cache on its first read...
    assert_eq!(
        other_client.get("/me").send_with(&mut jar).await.status,
        200
    );
    assert!(jar.get("better-auth.session_data").is_some());
    // ...and listens once its in-process cache serves (asked without the cookie cache, which
    // would answer first).
    until_cached(&other, &other_client, &mut jar.clone()).await;
    assert_eq!(
        app.post("/api/auth/sign-out", &mut jar.clone(), json!({}))
            .await
            .status,
        200
    );
    let gone = poll_me(
        &other_client,
        &mut jar,
        Duration::from_secs(10),
        |status, _| status == 401,
    )
    .await;
    assert!(gone, "the other instance refused its cookie cache");
}

#[tokio::test]
async fn invalidation_over_postgres_needs_postgres() {
    let db = crate::common::TestDatabase::new(Backend::Sqlite).await;
    let err = builder()
        .session_cache(SessionCache::memory().invalidate_over_postgres())
        .build(db.connect().await)
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("invalidate_over_postgres needs a PostgreSQL database, got sqlite"),
        "{err}"
    );
    let err = builder()
        .session_cache(SessionCache::memory().max_entries(0))
        .validate()
        .unwrap_err();
    assert!(
        err.to_string()
            .starts_with("session_cache max_entries must be"),
        "{err}"
    );
}
