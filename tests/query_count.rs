//! How many statements each kind of request costs, counted from sqlx's own query events (one
//! per statement the driver sends), with a control query proving the counter counts:
//!
//! - a tampered, foreign or absent credential: no query at all (the HMAC is checked first);
//! - an authenticated request: one query (session joined with its user);
//! - a request that slides the session's expiry: one more, an update, once per `updateAge`;
//! - an expired session: the lookup (which says it is expired) and the delete of its row;
//! - a password-reset request: the same statements for a known address, an unknown one, a
//!   user without a credential account and a failing mailer (checklist 25, step 2).
//!
//! This binary's tests run one at a time: the counter is process-wide.

mod common;

use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use common::{
    Backend, Client, Jar, TestDatabase, app_router, builder, encode_signed, execute,
    make_social_only, q, scalar, serve,
};
use tracing::Subscriber;
use tracing_subscriber::layer::{Context, SubscriberExt};

static QUERIES: AtomicUsize = AtomicUsize::new(0);
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Counts sqlx's `sqlx::query` events, which the driver emits once per executed statement.
struct QueryCounter;

impl<S: Subscriber> tracing_subscriber::Layer<S> for QueryCounter {
    fn on_event(&self, event: &tracing::Event<'_>, _: Context<'_, S>) {
        if event.metadata().target() == "sqlx::query" {
            QUERIES.fetch_add(1, Ordering::SeqCst);
        }
    }
}

fn install_counter() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        tracing::subscriber::set_global_default(tracing_subscriber::registry().with(QueryCounter))
            .expect("the only subscriber");
    });
}

/// Statements the database received while `f` ran.
async fn count<F: std::future::Future<Output = T>, T>(f: F) -> (usize, T) {
    let before = QUERIES.load(Ordering::SeqCst);
    let out = f.await;
    // Query events are emitted when the driver finishes a statement; let them land.
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    (QUERIES.load(Ordering::SeqCst) - before, out)
}

async fn queries_per_request(backend: Backend) {
    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    // One connection, opened up front, so that the counts hold statements the requests
    // caused and never the set-up statements of a connection the pool decides to open.
    let db = single_connection_pool(&test_db.url).await;
    let auth = builder().build(db.clone()).unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "Count", "email": "count@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    let token = jar.session_token();
    let app = App { client, auth };

    // Control: one statement sent through the app's pool is one counted query.
    let (control, _) = count(scalar(&db, "select 1")).await;
    assert_eq!(control, 1, "the counter sees statements");

    // Credentials that fail the signature check cost nothing.
    let tampered = format!(
        "better-auth.session_token={}.{}",
        "A".repeat(32),
        encode_signed(&app.auth.sign_session_token(&token))
            .split_once('.')
            .unwrap()
            .1
    );
    for (what, header, value) in [
        ("no credentials", "x-none", "1".to_owned()),
        ("tampered cookie", "cookie", tampered),
        (
            "unsigned cookie",
            "cookie",
            format!("better-auth.session_token={token}"),
        ),
        (
            "garbage bearer",
            "authorization",
            "Bearer abc.def".to_owned(),
        ),
        (
            "unsigned bearer",
            "authorization",
            format!("Bearer {token}"),
        ),
    ] {
        let (queries, response) = count(app.client.get("/me").header(header, &value).send()).await;
        assert_eq!(response.status, 401, "{what}");
        assert_eq!(queries, 0, "{what} must not reach the database");
    }

    // An authenticated request: exactly one query.
    let (queries, response) = count(app.client.get("/me").send_with(&mut jar)).await;
    assert_eq!(response.status, 200);
    assert_eq!(queries, 1, "session and user in one query");
    let (queries, response) =
        count(app.client.get("/api/auth/get-session").send_with(&mut jar)).await;
    assert_eq!(response.json()["session"]["token"], token.as_str());
    assert_eq!(queries, 1);

    // Due for a refresh: one query plus one write, then back to one.
    let b = backend;
    let far = match backend {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '+5 days')".to_owned(),
        Backend::Postgres => "now() + interval '5 days'".to_owned(),
        Backend::MySql => "utc_timestamp(3) + interval 5 day".to_owned(),
    };
    execute(
        &db,
        &format!(
            "update {} set {} = {far} where {} = '{token}'",
            q(b, "session"),
            q(b, "expiresAt"),
            q(b, "token")
        ),
    )
    .await;
    let (queries, response) = count(app.client.get("/me").send_with(&mut jar)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.set_cookies().len(), 1, "the refreshed cookie");
    assert_eq!(queries, 2, "one read and one write for the refresh");
    let (queries, _) = count(app.client.get("/me").send_with(&mut jar)).await;
    assert_eq!(queries, 1, "no second write within updateAge");

    // Expired: the one lookup says so, and the dead row is deleted (Better-Auth's behaviour).
    let past = match backend {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-1 seconds')".to_owned(),
        Backend::Postgres => "now() - interval '1 second'".to_owned(),
        Backend::MySql => "utc_timestamp(3) - interval 1 second".to_owned(),
    };
    execute(
        &db,
        &format!(
            "update {} set {} = {past} where {} = '{token}'",
            q(b, "session"),
            q(b, "expiresAt"),
            q(b, "token")
        ),
    )
    .await;
    let (queries, response) = count(app.client.get("/me").send_with(&mut jar.clone())).await;
    assert_eq!(response.status, 401);
    assert_eq!(queries, 2, "the lookup, and the delete of the expired row");
    let (queries, response) = count(app.client.get("/me").send_with(&mut jar.clone())).await;
    assert_eq!(response.status, 401);
    assert_eq!(queries, 1, "then it is an unknown token: one lookup");
}

struct App {
    client: Client,
    auth: authgate::Auth,
}

async fn single_connection_pool(url: &str) -> authgate::Database {
    macro_rules! pool {
        ($options:ty) => {
            <$options>::new()
                .min_connections(1)
                .max_connections(1)
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

/// Check 10: the tamper matrix. Every variant below is anonymous; those that fail the
/// signature or shape check cost no query, a validly signed unknown token exactly one; the raw
/// and percent-encoded forms of the real cookie, and the quoted form, are accepted.
async fn c10_tamper_matrix(backend: Backend) {
    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    let db = single_connection_pool(&test_db.url).await;
    let auth = builder().build(db.clone()).unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    client
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "T", "email": "tamper@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    let token = jar.session_token();
    let signed = auth.sign_session_token(&token);
    let (_, signature) = signed.split_once('.').unwrap();
    let flip = |s: &str, at: usize| {
        let mut bytes = s.as_bytes().to_vec();
        bytes[at] = if bytes[at] == b'A' { b'B' } else { b'A' };
        String::from_utf8(bytes).unwrap()
    };
    let base64url = signature.replace('+', "-").replace('/', "_");
    let jwt_like = auth.sign_session_token("eyJhbGciOiJIUzI1NiJ9.eyJlbWFpbCI6ImFAYi5jbyJ9");
    let mut cases: Vec<(&str, String, usize, u16)> = vec![
        (
            "(a) token flipped",
            encode_signed(&format!("{}.{signature}", flip(&token, 3))),
            0,
            401,
        ),
        (
            "(b) signature flipped",
            encode_signed(&format!("{token}.{}", flip(signature, 3))),
            0,
            401,
        ),
        (
            "(c) unpadded signature",
            encode_signed(&format!("{token}.{}", signature.trim_end_matches('='))),
            0,
            401,
        ),
        ("(d) no dot", token.clone(), 0, 401),
        ("(e) empty", String::new(), 0, 401),
        ("(f) T.S.x", format!("{}.x", encode_signed(&signed)), 0, 401),
        (
            "(11) a JWT's header.payload, validly signed",
            encode_signed(&jwt_like),
            0,
            401,
        ),
        (
            "(g) signed unknown token",
            encode_signed(&auth.sign_session_token("UnknownTokenUnknownTokenUnknown1")),
            1,
            401,
        ),
        ("(h) raw", signed.clone(), 1, 200),
        ("(h) percent-encoded", encode_signed(&signed), 1, 200),
        (
            "(i) quoted",
            format!("\"{}\"", encode_signed(&signed)),
            1,
            200,
        ),
    ];
    // Only a signature with `+` or `/` has a different base64url spelling.
    if base64url != signature {
        cases.push((
            "(c) base64url signature",
            encode_signed(&format!("{token}.{base64url}")),
            0,
            401,
        ));
    }
    for (what, value, expected_queries, status) in cases {
        let request = client
            .get("/me")
            .header("cookie", &format!("better-auth.session_token={value}"));
        let (queries, response) = count(request.send()).await;
        assert_eq!(response.status, status, "{what}");
        // An unknown token is looked up once; its cookie is then cleared (no further query).
        assert_eq!(queries, expected_queries, "{what}");
    }
}

/// Check 3 (step 3) and R4: after a rotation that dropped the old secret, a cookie it signed is
/// anonymous and costs no query; its session row is left alone.
async fn c03_a_cookie_of_a_dropped_secret_costs_no_query(backend: Backend) {
    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    let db = single_connection_pool(&test_db.url).await;
    let old = builder().build(db.clone()).unwrap();
    old.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&old)).await;
    let mut jar = Jar::default();
    let signed_up = Client::new(addr)
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "Rot", "email": "rot@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);

    let rotated = builder()
        .secret("Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw")
        .build(db.clone())
        .unwrap();
    let (addr, _server) = serve(app_router(&rotated)).await;
    let (queries, response) = count(Client::new(addr).get("/me").send_with(&mut jar.clone())).await;
    assert_eq!(response.status, 401);
    assert_eq!(queries, 0, "refused before the database");
    let b = backend;
    let (_, rows) = count(scalar(
        &db,
        &format!("select count(*) from {}", q(b, "session")),
    ))
    .await;
    assert_eq!(rows.as_deref(), Some("1"), "the row expires on its own");
}

/// A role check on a route costs no query of its own: the `role` field comes with the session
/// in the one lookup. The admin's session was made by server code (`auth.api()`), which alone
/// may set the role.
async fn a_role_check_costs_no_extra_query(backend: Backend) {
    use authgate::api::{SignIn, SignUp};
    use authgate::fields::Field;
    use authgate::{CurrentUser, SessionLayer};
    use axum::http::StatusCode;
    use axum::routing::get;

    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    let db = single_connection_pool(&test_db.url).await;
    let auth = builder()
        .user_field("role", Field::string().default("user"))
        .build(db.clone())
        .unwrap();
    auth.migrate().await.unwrap();
    async fn admin(user: CurrentUser) -> Result<&'static str, StatusCode> {
        match user.field::<String>("role").as_deref() {
            Some("admin") => Ok("admin area"),
            _ => Err(StatusCode::FORBIDDEN),
        }
    }
    let router = axum::Router::new()
        .route("/admin", get(admin))
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()));
    let (addr, _server) = serve(router).await;
    let client = Client::new(addr);
    let api = auth.api();
    api.create_user(SignUp::new("Root", "root@example.com", "password123").field("role", "admin"))
        .await
        .unwrap();
    let admin_session = api
        .sign_in_email(SignIn::new("root@example.com", "password123"))
        .await
        .unwrap();
    let mut member = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "M", "email": "member@example.com", "password": "password123", "role": "admin" }))
        .send_with(&mut member)
        .await;
    assert_eq!(
        signed_up.json()["user"]["role"],
        "user",
        "clients cannot choose it"
    );

    let (control, _) = count(scalar(&db, "select 1")).await;
    assert_eq!(control, 1, "the counter sees statements");
    let bearer = format!("Bearer {}", admin_session.signed_token);
    let (queries, response) =
        count(client.get("/admin").header("authorization", &bearer).send()).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.text(), "admin area");
    assert_eq!(queries, 1, "session, user and role in one query");
    let (queries, response) = count(client.get("/admin").send_with(&mut member)).await;
    assert_eq!(response.status, 403);
    assert_eq!(queries, 1);
}

/// With the in-process session cache, an authenticated request after the first does no query
/// at all; a refresh that falls due on a cached session still writes, once per `updateAge`.
async fn a_cached_hit_makes_no_query(backend: Backend) {
    use std::time::{Duration, Instant};
    const UPDATE_AGE: Duration = Duration::from_secs(8);

    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    let db = single_connection_pool(&test_db.url).await;
    let auth = builder()
        .session_cache(authgate::SessionCache::memory().ttl(Duration::from_secs(600)))
        .session_update_age(UPDATE_AGE)
        .build(db.clone())
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "Hit", "email": "hit@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    // Taken after the answer, so that the session was created before it: at this instant plus
    // updateAge the refresh is surely due.
    let signed_up_at = Instant::now();
    let (control, _) = count(scalar(&db, "select 1")).await;
    assert_eq!(control, 1, "the counter sees statements");

    let (queries, response) = count(client.get("/me").send_with(&mut jar)).await;
    assert_eq!(response.status, 200);
    assert_eq!(queries, 1, "a miss: the one lookup");
    for path in ["/me", "/api/auth/get-session", "/session"] {
        let (queries, response) = count(client.get(path).send_with(&mut jar)).await;
        assert_eq!(response.status, 200, "{path}");
        assert_eq!(queries, 0, "{path}: a hit does no database work");
    }
    let stats = auth.session_cache_stats().unwrap();
    assert_eq!((stats.hits, stats.misses, stats.entries), (3, 1, 1));

    // Once updateAge has passed, the cached session slides: one write, then hits again.
    let due = signed_up_at + UPDATE_AGE + Duration::from_millis(500);
    tokio::time::sleep_until(due.into()).await;
    let (queries, response) = count(client.get("/me").send_with(&mut jar)).await;
    assert_eq!(response.status, 200);
    assert_eq!(response.set_cookies().len(), 1, "the refreshed cookie");
    assert_eq!(queries, 1, "the refresh's write, and no read");
    let (queries, response) = count(client.get("/me").send_with(&mut jar)).await;
    assert_eq!(response.status, 200);
    assert_eq!(queries, 0, "no second write within updateAge");
}

/// Records every recipient it is given; fails the sends to [`FAILING`].
#[derive(Debug, Clone, Default)]
struct RecordingMailer {
    recipients: std::sync::Arc<std::sync::Mutex<Vec<String>>>,
}

const FAILING: &str = "fail@example.com";

impl authgate::mail::Mailer for RecordingMailer {
    fn send<'a>(&'a self, message: &'a authgate::mail::Message) -> authgate::mail::MailFuture<'a> {
        Box::pin(async move {
            self.recipients.lock().unwrap().push(message.to.clone());
            if message.to == FAILING {
                return Err(authgate::mail::MailError::other("the relay is down"));
            }
            Ok(())
        })
    }
}

/// Check 25, step 2: `request-password-reset` costs the same statements for an existing user,
/// an unknown address, a user without a credential account (as a social sign-in leaves it)
/// and an existing user whose mail fails (Better-Auth looks a dummy token up on a miss;
/// authgate looks up a token row of the same table where a known address inserts one). The
/// mailer is called for the users that exist (a user without a credential account gets the
/// link too, as in Better-Auth: the reset gives them one), never for the unknown address.
async fn c25_2_a_reset_request_costs_the_same_queries_for_every_address(backend: Backend) {
    use common::mail::wait_for_statistics;

    let _serial = SERIAL.lock().await;
    install_counter();
    let test_db = TestDatabase::new(backend).await;
    let db = single_connection_pool(&test_db.url).await;
    let mailer = RecordingMailer::default();
    let auth = builder()
        .mailer(mailer.clone())
        .mails_per_address(100)
        .build(db.clone())
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(app_router(&auth)).await;
    let client = Client::new(addr);
    for email in ["known@example.com", "oauth@example.com", FAILING] {
        let signed_up = client
            .post("/api/auth/sign-up/email")
            .json(&serde_json::json!({ "name": "R", "email": email, "password": "password123" }))
            .send()
            .await;
        assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    }
    // oauth@: its only account is a social one (no credential account, no password).
    make_social_only(&db, backend, "oauth@example.com").await;
    let b = backend;
    let credential = scalar(
        &db,
        &format!(
            "select count(*) from {} where {} = 'credential' and {} = (select {} from {} where {} = 'oauth@example.com')",
            q(b, "account"),
            q(b, "providerId"),
            q(b, "userId"),
            q(b, "id"),
            q(b, "user"),
            q(b, "email")
        ),
    )
    .await;
    assert_eq!(
        credential.as_deref(),
        Some("0"),
        "oauth@ has no credential account"
    );
    let request = |email: &str| {
        client
            .post("/api/auth/request-password-reset")
            .json(&serde_json::json!({ "email": email, "redirectTo": "/reset" }))
            .send()
    };
    // The first request of an app also deletes expired token rows (at most once every five
    // minutes, whatever the address): that statement is not part of the comparison.
    let warm_up = request("warm-up@example.com").await;
    assert_eq!(warm_up.status, 200, "{}", warm_up.text());
    let (control, _) = count(scalar(&db, "select 1")).await;
    assert_eq!(control, 1, "the counter sees statements");

    let mut answers = Vec::new();
    for email in [
        "known@example.com",
        "nobody@example.com",
        "oauth@example.com",
        FAILING,
    ] {
        let (queries, response) = count(request(email)).await;
        assert_eq!(response.status, 200, "{email}: {}", response.text());
        answers.push((email, queries, response.text()));
    }
    for (email, queries, body) in &answers {
        assert_eq!(
            (*queries, body.as_str()),
            (answers[0].1, answers[0].2.as_str()),
            "{email}: the same statements and answer as for a known address ({answers:?})"
        );
    }
    assert_eq!(
        answers[0].1, 2,
        "the user lookup, and the insert of a token row (or the lookup of one)"
    );

    let stats = wait_for_statistics(&auth, "the three mails", |s| s.sent + s.failed >= 3).await;
    assert_eq!((stats.sent, stats.failed), (2, 1), "{stats:?}");
    let mut recipients = mailer.recipients.lock().unwrap().clone();
    recipients.sort();
    recipients.dedup();
    assert_eq!(
        recipients,
        ["fail@example.com", "known@example.com", "oauth@example.com"],
        "the mailer is called for the users that exist, never for an unknown address"
    );
}

backend_tests!(
    c25_2_a_reset_request_costs_the_same_queries_for_every_address,
    a_cached_hit_makes_no_query,
    a_role_check_costs_no_extra_query,
    queries_per_request,
    c10_tamper_matrix,
    c03_a_cookie_of_a_dropped_secret_costs_no_query
);
