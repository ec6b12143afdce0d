//! Metrics and alerts, in their own test binary because both the Prometheus recorder and the
//! log capture are process-wide: the metrics example's recorder is scraped over HTTP while
//! sign-ups, sign-ins and session lookups move its counters; a second app with another secret
//! receiving the first app's cookies fires the bad-signature alert (a warning and a metric);
//! sign-ins whose sessions do not persist fire the sessions-not-growing alert.

mod common;

#[path = "../examples/metrics.rs"]
#[allow(dead_code)]
mod example;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use common::{Backend, Client, Jar, TestDatabase, builder, serve};
use serde_json::json;

/// The process's Prometheus endpoint, installed once.
fn metrics_addr() -> SocketAddr {
    static ADDR: OnceLock<SocketAddr> = OnceLock::new();
    *ADDR.get_or_init(|| {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        // Outside the tests' runtimes: the exporter gets a runtime thread of its own.
        std::thread::spawn(move || example::install_prometheus(addr).unwrap())
            .join()
            .unwrap();
        addr
    })
}

async fn scrape() -> String {
    let addr = metrics_addr();
    // The listener starts on its own thread; a refused first attempt is retried (bounded).
    for _ in 0..120 {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            let response = Client::new(addr)
                .get("/metrics")
                .send_with(&mut Jar::default())
                .await;
            assert_eq!(response.status, 200);
            return response.text();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    panic!("the metrics endpoint never came up");
}

/// The value of the sample `name{labels}` (labels as Prometheus prints them), 0 when absent.
fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            let (key, value) = line.rsplit_once(' ')?;
            (key == series).then(|| value.parse().unwrap())
        })
        .unwrap_or(0.0)
}

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

fn log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::INFO)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .init();
        buffer
    })
    .clone()
}

fn captured() -> String {
    String::from_utf8_lossy(&log().lock().unwrap()).into_owned()
}

async fn app_with(
    db: &TestDatabase,
    configure: impl FnOnce(authgate::AuthBuilder) -> authgate::AuthBuilder,
) -> (authgate::Auth, Client) {
    let auth = configure(builder())
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    auth.migrate().await.unwrap();
    let (addr, _server) = serve(example::app(&auth)).await;
    (auth, Client::new(addr))
}

#[tokio::test]
async fn the_example_exports_counters_that_move() {
    let before = scrape().await;
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (_auth, client) = app_with(&db, |b| b).await;

    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "M", "email": "metrics@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    let wrong = client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "metrics@example.com", "password": "wrong-password" }))
        .send_with(&mut Jar::default())
        .await;
    assert_eq!(wrong.status, 401);
    let session = client
        .get("/api/auth/get-session")
        .send_with(&mut jar)
        .await;
    assert_eq!(session.status, 200);
    let health = client.get("/health").send_with(&mut Jar::default()).await;
    assert_eq!(health.status, 200);

    let after = scrape().await;
    for series in [
        r#"authgate_sign_ups_total{outcome="success"}"#,
        r#"authgate_sign_ins_total{outcome="INVALID_EMAIL_OR_PASSWORD"}"#,
        r#"authgate_session_lookups_total{outcome="active"}"#,
    ] {
        assert!(
            sample(&after, series) > sample(&before, series),
            "{series} did not move:\n{after}"
        );
    }
    assert!(after.contains("authgate_active_sessions"), "{after}");
    assert!(after.contains("authgate_hash_wait_seconds"), "{after}");
    // No token, secret or password in the exported text.
    assert!(!after.contains(&jar.session_token()));
    assert!(!after.contains("password123"));
}

#[tokio::test]
async fn cookies_signed_with_another_secret_fire_the_alert() {
    let _log = log();
    let before = scrape().await;
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (_first, first) = app_with(&db, |b| b).await;
    // The same database, another secret: an instance deployed without the shared secret.
    let (_second, second) = app_with(&db, |b| {
        b.secret("Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVb2Nm5Qw8Er1Ty4")
    })
    .await;

    let mut jar = Jar::default();
    let signed_up = first
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "A", "email": "alert@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    for _ in 0..25 {
        let response = second
            .get("/api/auth/get-session")
            .send_with(&mut jar.clone())
            .await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.text(),
            "null",
            "the other secret does not verify the cookie"
        );
    }

    let log = captured();
    assert!(
        log.contains(
            "session cookies are signed with another secret: 20 of 20 cookie-bearing requests"
        ) && log.contains("Is the same BETTER_AUTH_SECRET set on every instance?"),
        "{log}"
    );
    assert_eq!(
        log.matches("session cookies are signed with another secret")
            .count(),
        1,
        "once per window: {log}"
    );
    assert!(
        !log.contains(&jar.session_token()),
        "never the token: {log}"
    );
    let after = scrape().await;
    let series = r#"authgate_alerts_total{alert="bad_signature"}"#;
    assert!(
        sample(&after, series) >= sample(&before, series) + 1.0,
        "{after}"
    );
    let series = r#"authgate_session_lookups_total{outcome="bad_signature"}"#;
    assert!(
        sample(&after, series) >= sample(&before, series) + 25.0,
        "{after}"
    );
}

#[tokio::test]
async fn sign_ins_without_growing_sessions_fire_the_alert() {
    let _log = log();
    let db = TestDatabase::new(Backend::Sqlite).await;
    let (auth, client) = app_with(&db, |b| b.alert_window(Duration::from_secs(1))).await;
    let mut jar = Jar::default();
    let signed_up = client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "G", "email": "growth@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200);
    // Sessions vanish as soon as they are written: what the incident looked like from the
    // database's side.
    common::execute(
        auth.database(),
        r#"create trigger "vanish" after insert on "session" begin delete from "session" where "id" = new."id"; end"#,
    )
    .await;
    let sign_in = || async {
        let response = client
            .post("/api/auth/sign-in/email")
            .json(&json!({ "email": "growth@example.com", "password": "password123" }))
            .send_with(&mut Jar::default())
            .await;
        assert_eq!(response.status, 200, "{}", response.text());
    };
    for _ in 0..authgate_min_sign_ins() {
        sign_in().await;
    }
    // The window (one second) has surely passed; the next sign-in closes it.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    sign_in().await;
    let log = captured();
    assert!(
        log.contains("sign-ins succeeded but the number of active sessions did not grow"),
        "{log}"
    );
}

/// The alert's minimum number of sign-ins per window (`alerts::MIN_SIGN_INS`).
fn authgate_min_sign_ins() -> usize {
    20
}
