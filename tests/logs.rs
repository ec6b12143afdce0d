//! No secret, password or session token appears in any log line at any level (checks 2 and 8):
//! every `tracing` event of the process, sqlx's and hyper's included, is captured at TRACE
//! while a full flow runs, then searched.

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
    let app = TestApp::new(backend).await;
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

    let log = captured();
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
