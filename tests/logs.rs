//! No secret, password or session token appears in any log line at any level (checks 2 and 8):
//! every `tracing` event of the process, sqlx's and hyper's included, is captured at TRACE
//! while a full flow runs (over HTTP and through `auth.api()`, with hooks), then searched. The
//! same capture holds the audit trail: one `info` event per sign-up, sign-in, sign-out, password
//! change and revocation, with the user id and the outcome.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use common::{Backend, Jar, TEST_SECRET, TestApp, encode_signed};
use serde_json::json;

static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn captured() -> String {
    let log = LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    });
    String::from_utf8_lossy(&log.lock().unwrap()).into_owned()
}

async fn no_secrets_in_logs(backend: Backend) {
    captured();
    let password = "Pa55word-for-the-log-test";
    let new_password = "N3w-pa55word-for-the-log-test";
    let hooks = authgate::hooks::DatabaseHooks::new().user_create_after(|user, _| async move {
        tracing::debug!(user.id = %user.id, "an application's after hook");
        Ok(())
    });
    let app = TestApp::with(backend, |b| {
        b.user_field("role", authgate::fields::Field::string().default("user"))
            .database_hooks(hooks)
    })
    .await;
    let mut jar = Jar::default();
    let email = format!("logs-{backend:?}@example.com").to_lowercase();
    app.client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Logs", "email": email, "password": password }))
        .send_with(&mut jar)
        .await;
    let mut tokens = vec![jar.session_token()];
    let signed_in = app.sign_in(&email, password).await;
    tokens.push(signed_in.session_token());
    app.get("/me", &mut jar).await;
    app.get("/api/auth/get-session", &mut jar).await;
    app.client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": email, "password": "wrong-password-logged?" }))
        .send()
        .await;
    let changed = app
        .post("/api/auth/change-password", &mut jar, json!({ "currentPassword": password, "newPassword": new_password, "revokeOtherSessions": true }))
        .await;
    tokens.push(changed.json()["token"].as_str().unwrap().to_owned());
    app.client
        .get("/me")
        .header(
            "authorization",
            &format!("Bearer {}", app.auth.sign_session_token(&tokens[2])),
        )
        .send()
        .await;
    // Failures that log: a corrupt stored hash, a weak secret at start-up.
    let b = backend;
    app.sql(&format!(
        "update {} set {} = 'corrupt'",
        common::q(b, "account"),
        common::q(b, "password")
    ))
    .await;
    app.client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": email, "password": new_password }))
        .send()
        .await;
    let _ = authgate::Auth::builder()
        .environment(|_| None)
        .secret("weak-secret-value")
        .base_url("http://localhost:3000")
        .validate();
    app.post("/api/auth/sign-out", &mut jar, json!({})).await;

    // The same through the server-side API.
    let api = app.auth.api();
    let api_password = "Api-pa55word-for-the-log-test";
    let api_email = format!("api-logs-{backend:?}@example.com").to_lowercase();
    let created = api
        .create_user(
            authgate::api::SignUp::new("Api", &api_email, api_password).field("role", "admin"),
        )
        .await
        .unwrap();
    let api_session = api
        .sign_in_email(authgate::api::SignIn::new(&api_email, api_password))
        .await
        .unwrap();
    tokens.push(api_session.session.token.clone());
    let _ = api
        .sign_in_email(authgate::api::SignIn::new(&api_email, "wrong-api-password"))
        .await;
    api.change_password(
        &created.id,
        authgate::api::ChangePassword::new(api_password, new_password),
    )
    .await
    .unwrap();
    api.set_password(&created.id, api_password).await.unwrap();
    api.revoke_sessions(&created.id).await.unwrap();
    api.delete_user(&created.id).await.unwrap();

    let log = captured();
    // The audit trail: who, what, how it went; for HTTP and the API alike.
    let audit: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("authgate::audit"))
        .collect();
    let user_id = app
        .sql_scalar(&format!(
            "select {} from {} where {} = '{email}'",
            common::q(b, "id"),
            common::q(b, "user"),
            common::q(b, "email")
        ))
        .await
        .unwrap();
    for (event, id, outcome, via) in [
        ("sign_up", Some(user_id.as_str()), "success", "http"),
        ("sign_in", Some(user_id.as_str()), "success", "http"),
        ("sign_in", None, "INVALID_EMAIL_OR_PASSWORD", "http"),
        (
            "password_changed",
            Some(user_id.as_str()),
            "success",
            "http",
        ),
        ("sign_out", Some(user_id.as_str()), "success", "http"),
        ("sign_up", Some(created.id.as_str()), "success", "api"),
        ("sign_in", Some(created.id.as_str()), "success", "api"),
        (
            "password_changed",
            Some(created.id.as_str()),
            "success",
            "api",
        ),
        ("password_set", Some(created.id.as_str()), "success", "api"),
        (
            "sessions_revoked",
            Some(created.id.as_str()),
            "success",
            "api",
        ),
        ("user_deleted", Some(created.id.as_str()), "success", "api"),
    ] {
        let found = audit.iter().any(|line| {
            line.contains(" INFO ")
                && line.contains(&format!("event=\"{event}\""))
                && line.contains(&format!("outcome=\"{outcome}\""))
                && line.contains(&format!("via=\"{via}\""))
                && id.is_none_or(|id| line.contains(&format!("user.id=\"{id}\"")))
        });
        assert!(
            found,
            "no audit event {event} {id:?} {outcome} {via} in:\n{}",
            audit.join("\n")
        );
    }
    assert!(
        log.contains("sqlx::query"),
        "the capture sees sqlx's statements (a control)"
    );
    let mut forbidden = vec![
        TEST_SECRET.to_owned(),
        password.to_owned(),
        new_password.to_owned(),
        "wrong-password-logged?".to_owned(),
        "weak-secret-value".to_owned(),
        api_password.to_owned(),
        "wrong-api-password".to_owned(),
        api_session.signed_token.clone(),
    ];
    for token in &tokens {
        let signed = app.auth.sign_session_token(token);
        forbidden.push(encode_signed(&signed));
        forbidden.push(signed.split_once('.').unwrap().1.to_owned());
        forbidden.push(token.clone());
    }
    for secret in forbidden {
        assert!(!log.contains(&secret), "{secret:?} appears in the logs");
    }
}

backend_tests!(no_secrets_in_logs);

/// An app served without `ConnectInfo` cannot tell clients apart, so every client shares one
/// rate-limit bucket: the first limited request says so in the log, with the fix.
#[tokio::test]
async fn an_unknown_client_address_is_warned_about() {
    captured();
    let db = common::TestDatabase::new(Backend::Sqlite).await;
    let auth = common::builder()
        .rate_limit(authgate::RateLimit::default())
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = common::app_router(&auth);
    let server = tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let response = common::Client::new(addr).get("/api/auth/ok").send().await;
    assert_eq!(response.status, 200);
    server.abort();
    let log = captured();
    assert!(
        log.contains("every client shares one rate-limit bucket")
            && log.contains("into_make_service_with_connect_info"),
        "no warning in the log"
    );
}

/// The outage log (issue 9), on the database servers (behind a TCP proxy the test closes).
mod outage {
    use super::*;

    /// An outage is logged as one WARN line when it begins, a summary with counts now and then,
    /// and one line when it ends, not one line per failed request; every line names the
    /// database's address, none its password.
    async fn an_outage_is_logged_once_then_summarised(backend: Backend) {
        use std::time::{Duration, Instant};
        const REQUESTS: usize = 300;
        captured();
        let db = common::TestDatabase::new(backend).await;
        let proxy = common::outage::TcpProxy::start(common::outage::server_addr(&db.url)).await;
        let mut url = url::Url::parse(&proxy.url_for(&db.url)).unwrap();
        if backend == Backend::Postgres {
            // The test server trusts local connections whatever the password.
            url.set_password(Some("Outage-pa55word")).unwrap();
        }
        // A short probe interval: a summary line every second instead of every ten.
        let auth = common::builder()
            .database_probe_interval(Duration::from_millis(100))
            .validate()
            .unwrap()
            .connect(url.as_str())
            .await
            .unwrap();
        auth.migrate().await.unwrap();
        let (addr, _server) = common::serve(common::app_router(&auth)).await;
        let client = common::Client::new(addr);
        let mut jar = Jar::default();
        let signed_up = client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": "Out", "email": "outage-log@example.com", "password": "password123" }))
            .send_with(&mut jar)
            .await;
        assert_eq!(signed_up.status, 200);

        proxy.refuse();
        let started = Instant::now();
        let mut answered = 0;
        while answered < REQUESTS || started.elapsed() < Duration::from_millis(2500) {
            let batch: Vec<_> = (0..10)
                .map(|_| {
                    let (client, mut jar) = (client.clone(), jar.clone());
                    tokio::spawn(async move { client.get("/me").send_with(&mut jar).await.status })
                })
                .collect();
            for request in batch {
                assert_eq!(request.await.unwrap(), 503);
                answered += 1;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let outage_for = started.elapsed();
        proxy.reopen();
        let back = Instant::now();
        while client.get("/me").send_with(&mut jar).await.status != 200 {
            assert!(back.elapsed() < Duration::from_secs(30), "no recovery");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }

        let at = format!("at 127.0.0.1:{}", proxy.addr.port());
        let log = captured();
        let warnings: Vec<&str> = log
            .lines()
            .filter(|l| l.contains(" WARN ") && l.contains(&at))
            .collect();
        let count = |what: &str| warnings.iter().filter(|l| l.contains(what)).count();
        assert_eq!(count("database unreachable"), 1, "{warnings:#?}");
        assert!(count("database still unavailable") >= 1, "{warnings:#?}");
        assert!(
            warnings
                .iter()
                .any(|l| l.contains("database still unavailable")
                    && l.contains("requests answered 503")),
            "{warnings:#?}"
        );
        assert_eq!(count("database reachable again"), 1, "{warnings:#?}");
        // A summary a second (ten probe intervals) while the outage lasts, however long a
        // loaded machine makes it, and the two ends: far from one line a request.
        let allowed = 2 + outage_for.as_secs() as usize + 2;
        assert!(
            warnings.len() <= allowed && warnings.len() * 10 < answered,
            "{} warnings for {answered} failed requests in {outage_for:?}: {warnings:#?}",
            warnings.len()
        );
        assert!(
            warnings
                .iter()
                .all(|l| l.contains("connection refused") || l.contains("reachable again")),
            "{warnings:#?}"
        );
        assert!(
            !log.contains("Outage-pa55word"),
            "the password is in the log"
        );
    }

    server_backend_tests!(an_outage_is_logged_once_then_summarised);
}
