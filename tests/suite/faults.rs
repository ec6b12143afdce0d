//! Fault behaviour on every backend (`SECURITY.md`, R2, R5, R7-R9, R11, R12): exhausted pools,
//! a failing write inside a password change or a sign-in, a broken rate-limit store, a graceful
//! shutdown and a hashing storm. Bounds only catch hangs; they say nothing about speed.

use std::time::Duration;

use authgate::{RateLimit, RateLimitStorage};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Client, Jar, TestApp, TestDatabase, app_router, builder, q, serve};

backend_tests!(
    r02_an_exhausted_pool_answers_503_without_hashing,
    r05_sign_out_on_one_instance_is_seen_by_the_other,
    r07_a_failed_password_change_changes_nothing,
    r07_every_session_is_revoked_however_many,
    r08_a_failed_sign_in_keeps_the_previous_session,
    r09_a_broken_rate_limit_store_fails_closed,
    r11_graceful_shutdown_finishes_sign_ins_in_flight,
    r12_a_hashing_storm_stays_bounded_and_answered,
    r12_sign_ins_past_the_hash_queue_timeout_get_503,
);

const HANG: Duration = Duration::from_secs(60);

/// A pool of exactly `connections` connections, waiting at most `acquire` for one.
async fn small_pool(url: &str, connections: u32, acquire: Duration) -> authgate::Database {
    macro_rules! pool {
        ($options:ty) => {
            <$options>::new()
                .max_connections(connections)
                .acquire_timeout(acquire)
                .connect(url)
                .await
                .unwrap()
                .into()
        };
    }
    match url.split(':').next().unwrap() {
        "sqlite" => pool!(sqlx::sqlite::SqlitePoolOptions),
        #[cfg(feature = "postgres")]
        "postgres" => pool!(sqlx::postgres::PgPoolOptions),
        #[cfg(feature = "mysql")]
        "mysql" => pool!(sqlx::mysql::MySqlPoolOptions),
        other => panic!("no pool for {other}"),
    }
}

/// Makes every insert into `session` fail inside the database (a trigger), until dropped.
async fn fail_session_inserts(app: &TestApp) {
    let statements: &[&str] = match app.backend() {
        Backend::Sqlite => &[
            r#"create trigger fail_session_insert before insert on "session" begin select raise(abort, 'injected failure'); end"#,
        ],
        Backend::Postgres => &[
            "create function fail_session_insert() returns trigger as $$ begin raise exception 'injected failure'; end $$ language plpgsql",
            r#"create trigger fail_session_insert before insert on "session" for each row execute function fail_session_insert()"#,
        ],
        Backend::MySql => &[
            "create trigger fail_session_insert before insert on `session` for each row signal sqlstate '45000' set message_text = 'injected failure'",
        ],
    };
    for statement in statements {
        app.sql(statement).await;
    }
}

async fn r02_an_exhausted_pool_answers_503_without_hashing(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    {
        let setup = builder()
            .validate()
            .unwrap()
            .connect(&db.url)
            .await
            .unwrap();
        setup.migrate().await.unwrap();
    }
    // Long enough that connecting to a loaded database server never times out (the 503 below
    // then takes that long; no verdict depends on it).
    let pool = small_pool(&db.url, 2, Duration::from_secs(10)).await;
    let auth = builder().build(pool.clone()).unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "P", "email": "pool@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;

    // Hold both connections.
    let held: Box<dyn std::any::Any + Send> = match &pool {
        authgate::Database::Sqlite(p) => {
            Box::new([p.acquire().await.unwrap(), p.acquire().await.unwrap()])
        }
        #[cfg(feature = "postgres")]
        authgate::Database::Postgres(p) => {
            Box::new([p.acquire().await.unwrap(), p.acquire().await.unwrap()])
        }
        #[cfg(feature = "mysql")]
        authgate::Database::MySql(p) => {
            Box::new([p.acquire().await.unwrap(), p.acquire().await.unwrap()])
        }
        _ => unreachable!(),
    };
    let me = tokio::time::timeout(HANG, client.get("/me").send_with(&mut jar))
        .await
        .unwrap();
    assert_eq!(
        (me.status.as_u16(), me.error_code()),
        (503, "DATABASE_UNAVAILABLE".into())
    );
    assert_eq!(me.header("retry-after"), Some("1"));
    assert!(me.set_cookies().is_empty());
    let hashes = auth.password_hashes_computed();
    let sign_in = client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "pool@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(sign_in.status, 503);
    assert_eq!(
        auth.password_hashes_computed(),
        hashes,
        "no hashing without a connection"
    );
    drop(held);
    // Released: service resumes, the same cookie works.
    assert_eq!(client.get("/me").send_with(&mut jar).await.status, 200);
}

async fn r05_sign_out_on_one_instance_is_seen_by_the_other(backend: Backend) {
    let a = TestApp::new(backend).await;
    let b_auth = builder()
        .validate()
        .unwrap()
        .connect(&a.db.url)
        .await
        .unwrap();
    let (addr, _server) = serve(app_router(&b_auth)).await;
    let b = Client::new(addr);
    let mut jar = a.sign_up("two@example.com", "password123").await;
    assert_eq!(
        b.get("/me").send_with(&mut jar.clone()).await.status,
        200,
        "signed in on A, valid on B"
    );
    let out = b
        .post("/api/auth/sign-out")
        .with_frontend_origin()
        .send_with(&mut jar.clone())
        .await;
    assert_eq!(out.status, 200);
    assert_eq!(
        a.get("/me", &mut jar).await.status,
        401,
        "the very next request on A sees it"
    );
    // And a revocation on A is seen by B.
    let mut first = a.sign_in("two@example.com", "password123").await;
    let mut second = a.sign_in("two@example.com", "password123").await;
    a.post("/api/auth/revoke-other-sessions", &mut first, json!({}))
        .await;
    assert_eq!(b.get("/me").send_with(&mut second).await.status, 401);
    assert_eq!(b.get("/me").send_with(&mut first).await.status, 200);
}

async fn r07_a_failed_password_change_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("atomic@example.com", "password123").await;
    let other = app.sign_in("atomic@example.com", "password123").await;
    fail_session_inserts(&app).await;
    let response = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "newpassword456", "revokeOtherSessions": true }),
        )
        .await;
    assert_eq!(response.status, 500, "{}", response.text());
    assert_eq!(response.error_code(), "INTERNAL_SERVER_ERROR");
    assert!(response.set_cookies().is_empty());
    // Rolled back: the old password, the old sessions.
    assert_eq!(app.get("/me", &mut jar).await.status, 200);
    assert_eq!(
        app.client
            .get("/me")
            .header(
                "cookie",
                &format!("better-auth.session_token={}", other.session_cookie())
            )
            .send()
            .await
            .status,
        200
    );
    let old_password = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "atomic@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(
        old_password.status, 500,
        "sign-in reaches its (failing) session insert only with the right password"
    );
}

async fn r07_every_session_is_revoked_however_many(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app
        .sign_up("many-sessions@example.com", "password123")
        .await;
    let user_id = app.get("/me", &mut jar).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let b = backend;
    let (expires, created) = match backend {
        Backend::Sqlite => ("'2099-01-01T00:00:00.000Z'", "'2026-01-01T00:00:00.000Z'"),
        // MySQL's timestamp ends in 2038.
        _ => ("'2037-01-01 00:00:00'", "'2026-01-01 00:00:00'"),
    };
    let rows: Vec<String> = (0..600)
        .map(|i| format!("('extra-session-{i:04}', {expires}, 'ExtraSessionToken{i:015}', {created}, {created}, '', '', '{user_id}')"))
        .collect();
    app.sql(&format!(
        "insert into {} ({}, {}, {}, {}, {}, {}, {}, {}) values {}",
        q(b, "session"),
        q(b, "id"),
        q(b, "expiresAt"),
        q(b, "token"),
        q(b, "createdAt"),
        q(b, "updatedAt"),
        q(b, "ipAddress"),
        q(b, "userAgent"),
        q(b, "userId"),
        rows.join(", ")
    ))
    .await;
    let response = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "newpassword456", "revokeOtherSessions": true }),
        )
        .await;
    assert_eq!(response.status, 200);
    let left = app
        .sql_scalar(&format!("select count(*) from {}", q(b, "session")))
        .await;
    assert_eq!(
        left.as_deref(),
        Some("1"),
        "all 601 old sessions gone, only the new one left"
    );
}

async fn r08_a_failed_sign_in_keeps_the_previous_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("keep@example.com", "password123").await;
    fail_session_inserts(&app).await;
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .with_frontend_origin()
        .json(&json!({ "email": "keep@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    // The database refused the statement (a trigger), which is an error, not an outage: 500.
    // An unreachable database gives 503 (tests/suite/server_faults.rs).
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (500, "INTERNAL_SERVER_ERROR".into())
    );
    assert!(response.set_cookies().is_empty());
    assert_eq!(
        app.get("/me", &mut jar).await.status,
        200,
        "the old session is deleted only after a new one exists"
    );
}

async fn r09_a_broken_rate_limit_store_fails_closed(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.rate_limit(RateLimit::default().storage(RateLimitStorage::Database))
    })
    .await;
    let b = backend;
    app.sql(&format!("drop table {}", q(b, "rateLimit"))).await;
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "x@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (503, "DATABASE_UNAVAILABLE".into())
    );
    assert_eq!(
        app.auth.password_hashes_computed(),
        0,
        "refused before any work"
    );
}

/// An app on its own pool whose connections are waited for as long as it takes (`HANG`): on a
/// loaded database server a query can wait longer than the default acquire timeout, and a 503
/// from the pool is not what the hashing tests are about.
async fn patient_app(
    backend: Backend,
    configure: impl FnOnce(authgate::AuthBuilder) -> authgate::AuthBuilder,
) -> (
    TestDatabase,
    authgate::Auth,
    Client,
    tokio::task::JoinHandle<()>,
) {
    let db = TestDatabase::new(backend).await;
    let pool = small_pool(&db.url, 10, HANG).await;
    let auth = configure(builder()).build(pool).unwrap();
    auth.migrate().await.unwrap();
    let (addr, server) = serve(app_router(&auth)).await;
    (db, auth, Client::new(addr), server)
}

/// Polls `done` until it holds, for at most `HANG` (which only catches a hang).
async fn eventually(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + HANG;
    while !done() {
        assert!(tokio::time::Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// R11: a graceful shutdown stops accepting connections and still answers every sign-in it
/// had accepted, some queued for the one hashing slot and the rest held by a hook at the
/// session insert. Nothing here races the clock: the test waits for counts (requests
/// received, connections refused) and holds the sign-ins with a gate it opens itself, and the
/// hash queue timeout is longer than any wait (no 503 on a slow machine).
async fn r11_graceful_shutdown_finishes_sign_ins_in_flight(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    const IN_FLIGHT: usize = 16;
    let app = TestApp::with(backend, |b| b.max_concurrent_hashes(1)).await;
    app.sign_up("drain@example.com", "password123").await;
    let gate = Arc::new(tokio::sync::Semaphore::new(0));
    let hooks = {
        let gate = gate.clone();
        authgate::hooks::DatabaseHooks::new().session_create_before(move |session, _ctx| {
            let gate = gate.clone();
            async move {
                gate.acquire().await.unwrap().forget();
                Ok(session)
            }
        })
    };
    // A pool that waits for a connection as long as it takes: sixteen sign-ins released at
    // once must not get a 503 from a loaded database server.
    let auth = builder()
        .max_concurrent_hashes(1)
        .hash_queue_timeout(Duration::from_secs(3600))
        .database_hooks(hooks)
        .build(small_pool(&app.db.url, 4, HANG).await)
        .unwrap();
    let received = Arc::new(AtomicUsize::new(0));
    let counting = {
        let received = received.clone();
        axum::middleware::from_fn(
            move |request: axum::extract::Request, next: axum::middleware::Next| {
                received.fetch_add(1, Ordering::SeqCst);
                next.run(request)
            },
        )
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            app_router(&auth)
                .layer(counting)
                .into_make_service_with_connect_info::<std::net::SocketAddr>(),
        )
        .with_graceful_shutdown(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    let client = Client::new(addr);
    let before = app
        .sql_scalar(&format!("select count(*) from {}", q(backend, "session")))
        .await
        .unwrap()
        .parse::<i64>()
        .unwrap();
    let mut in_flight = tokio::task::JoinSet::new();
    for _ in 0..IN_FLIGHT {
        let client = client.clone();
        in_flight.spawn(async move {
            client
                .post("/api/auth/sign-in/email")
                .json(&json!({ "email": "drain@example.com", "password": "password123" }))
                .send()
                .await
        });
    }
    // Every sign-in has reached the server (queued for hashing or held at the gate).
    eventually("every sign-in reached the server", || {
        received.load(Ordering::SeqCst) == IN_FLIGHT
    })
    .await;
    stop.send(()).unwrap();
    let deadline = tokio::time::Instant::now() + HANG;
    while tokio::net::TcpStream::connect(addr).await.is_ok() {
        assert!(
            tokio::time::Instant::now() < deadline,
            "new connections are still accepted after the shutdown began"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        in_flight.try_join_next().is_none(),
        "no sign-in was answered while the gate was closed"
    );
    // Let them finish: every accepted sign-in is answered, with its session.
    gate.add_permits(IN_FLIGHT);
    let responses = tokio::time::timeout(HANG, in_flight.join_all())
        .await
        .expect("drained");
    assert_eq!(responses.len(), IN_FLIGHT);
    assert!(
        responses
            .iter()
            .all(|r| r.status == 200 && r.set_cookies().len() == 1),
        "{:?}",
        responses.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    tokio::time::timeout(HANG, server).await.unwrap().unwrap();
    let after = app
        .sql_scalar(&format!("select count(*) from {}", q(backend, "session")))
        .await
        .unwrap()
        .parse::<i64>()
        .unwrap();
    assert_eq!(
        after - before,
        IN_FLIGHT as i64,
        "every answered sign-in has its row"
    );
}

/// R12: a storm of sign-ins never runs more hashes at once than the limit, and requests that
/// need no hashing are served while the hashes run. This runtime has one thread, so a response
/// that arrives while a hash is running proves the hash is not on it. The storm is kept going
/// (40 sign-ins outstanding) until both were seen, however fast or slow the machine hashes;
/// the hash queue timeout is longer than any wait, so no sign-in gets a 503.
async fn r12_a_hashing_storm_stays_bounded_and_answered(backend: Backend) {
    // Four sign-ins per hashing slot outstanding: the queue never empties, and the drain at
    // the end stays short on a loaded machine.
    const STORM: usize = 8;
    let (_db, auth, client, _server) = patient_app(backend, |b| {
        b.max_concurrent_hashes(2)
            .hash_queue_timeout(Duration::from_secs(3600))
    })
    .await;
    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "S", "email": "storm@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let mut storm = tokio::task::JoinSet::new();
    let mut answered = Vec::new();
    let mut served_while_hashing = 0;
    let deadline = tokio::time::Instant::now() + HANG;
    while served_while_hashing < 3 || auth.password_hashes_peak() < 2 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "not seen within {HANG:?}: {served_while_hashing} answers during hashing, peak {}",
            auth.password_hashes_peak()
        );
        while let Some(done) = storm.try_join_next() {
            answered.push(done.unwrap());
        }
        while storm.len() < STORM {
            let client = client.clone();
            storm.spawn(async move {
                client
                    .post("/api/auth/sign-in/email")
                    .json(&json!({ "email": "storm@example.com", "password": "wrong-password" }))
                    .send()
                    .await
            });
        }
        let me = tokio::time::timeout(
            HANG,
            client.get("/api/auth/get-session").send_with(&mut jar),
        )
        .await
        .expect("served during the storm");
        assert_eq!(me.status, 200);
        if auth.password_hashes_running() > 0 {
            served_while_hashing += 1;
        }
    }
    answered.extend(
        tokio::time::timeout(5 * HANG, storm.join_all())
            .await
            .expect("every sign-in answered"),
    );
    assert!(
        answered.iter().all(|r| r.status == 401),
        "{:?}",
        answered.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert_eq!(
        auth.password_hashes_peak(),
        2,
        "the limit was reached and never passed"
    );
}

/// R12: past the queue timeout, a sign-in waiting for a hashing slot gets 503 with
/// `Retry-After` (never a 500, never an unbounded wait). Waves of twelve concurrent sign-ins
/// are sent until one has waited out the 30 ms (the first wave does on any ordinary machine;
/// a machine that hashes faster just takes more waves).
async fn r12_sign_ins_past_the_hash_queue_timeout_get_503(backend: Backend) {
    let (_db, auth, client, _server) = patient_app(backend, |b| {
        b.max_concurrent_hashes(1)
            .hash_queue_timeout(Duration::from_millis(30))
    })
    .await;
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Q", "email": "queue@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let deadline = tokio::time::Instant::now() + HANG;
    let responses = loop {
        let mut storm = tokio::task::JoinSet::new();
        for _ in 0..12 {
            let client = client.clone();
            storm.spawn(async move {
                client
                    .post("/api/auth/sign-in/email")
                    .json(&json!({ "email": "queue@example.com", "password": "wrong-password" }))
                    .send()
                    .await
            });
        }
        let responses = tokio::time::timeout(HANG, storm.join_all())
            .await
            .expect("every sign-in answered");
        assert!(
            responses
                .iter()
                .all(|r| matches!(r.status.as_u16(), 401 | 503)),
            "{:?}",
            responses.iter().map(|r| r.status).collect::<Vec<_>>()
        );
        if responses.iter().any(|r| r.status == 503) {
            break responses;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "no sign-in waited out the 30 ms queue timeout"
        );
    };
    let busy: Vec<_> = responses.iter().filter(|r| r.status == 503).collect();
    for response in busy {
        assert_eq!(response.error_code(), "SERVER_BUSY");
        assert_eq!(response.header("retry-after"), Some("1"));
    }
    assert_eq!(auth.password_hashes_peak(), 1);
}
