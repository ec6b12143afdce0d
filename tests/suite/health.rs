//! The health check proves persistence: 200 with the report normally; 503 with `Retry-After`
//! and the failing part named when a table is missing, the database is read-only, or it is
//! unreachable. Read-only and unreachable use the test's own users and proxies, never a change
//! to the shared servers.

use std::time::Duration;

use crate::common::outage::proxied;
use crate::common::{
    Backend, Client, Jar, TestApp, TestDatabase, TestResponse, admin_execute, app_router, builder,
    q, serve,
};
use crate::{backend_tests, server_backend_tests};

backend_tests!(
    health_is_200_and_leaves_no_row,
    health_names_a_missing_session_table,
    health_names_a_missing_verification_table,
    health_is_503_read_only,
    health_is_503_unreachable,
);

/// A hang would be a failure; this bound only catches one.
const HANG: Duration = Duration::from_secs(60);

async fn get_health(client: &Client) -> TestResponse {
    tokio::time::timeout(HANG, client.get("/health").send_with(&mut Jar::default()))
        .await
        .expect("the health check answers")
}

fn assert_failed(response: &TestResponse, part: &str) -> serde_json::Value {
    assert_eq!(response.status, 503, "{}", response.text());
    assert!(
        response
            .header("retry-after")
            .is_some_and(|v| v.parse::<u32>().is_ok()),
        "a 503 says when to retry: {:?}",
        response.headers
    );
    let body = response.json();
    assert_eq!(body["status"], "unavailable", "{body}");
    assert_eq!(body["database"]["status"], part, "{body}");
    assert!(body.get("sessions").is_none(), "{body}");
    body
}

async fn health_app(app: &TestApp) -> Client {
    let router = app_router(&app.auth).route("/health", app.auth.health_route());
    let (addr, server) = serve(router).await;
    // Detached: the server lives as long as the test's runtime.
    drop(server);
    Client::new(addr)
}

async fn health_is_200_and_leaves_no_row(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("healthy@example.com", "password123").await;
    let client = health_app(&app).await;
    let response = get_health(&client).await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert!(response.header("retry-after").is_none());
    let body = response.json();
    assert_eq!(body["status"], "ok", "{body}");
    assert_eq!(body["database"]["status"], "ok", "{body}");
    assert!(body["database"]["latencyMs"].is_u64(), "{body}");
    assert_eq!(body["sessions"]["active"], 1, "{body}");
    let report = app.auth.health().await;
    assert!(report.is_ok());
    assert_eq!(report.active_sessions(), Some(1));
    // The probe row was written, read and deleted.
    let left = app
        .sql_scalar(&app.quote(r#"select count(*) from "verification""#))
        .await;
    assert_eq!(left.as_deref(), Some("0"));
}

async fn health_names_a_missing_session_table(backend: Backend) {
    let app = TestApp::new(backend).await;
    let client = health_app(&app).await;
    app.sql(&format!("drop table {}", q(backend, "session")))
        .await;
    let body = assert_failed(&get_health(&client).await, "schema");
    let message = body["database"]["message"].as_str().unwrap();
    assert!(message.contains("`session`"), "{message}");
    assert_eq!(
        app.auth.health().await.problem(),
        Some(authgate::HealthProblem::Schema)
    );
}

async fn health_names_a_missing_verification_table(backend: Backend) {
    let app = TestApp::new(backend).await;
    let client = health_app(&app).await;
    app.sql(&format!("drop table {}", q(backend, "verification")))
        .await;
    let body = assert_failed(&get_health(&client).await, "schema");
    let message = body["database"]["message"].as_str().unwrap();
    assert!(message.contains("`verification`"), "{message}");
    assert!(!message.contains("`session`"), "{message}");
}

/// A user (or file mode) of the test's own that may read but not write.
struct ReadOnlyAccess {
    url: String,
    admin_url: String,
    cleanup: Vec<String>,
}

impl ReadOnlyAccess {
    async fn new(db: &TestDatabase) -> Self {
        let mut suffix = [0u8; 4];
        getrandom::fill(&mut suffix).unwrap();
        let suffix: String = suffix.iter().map(|b| format!("{b:02x}")).collect();
        let user = format!("authgate_ro_{suffix}");
        let password = format!("pw{suffix}{suffix}");
        match db.backend {
            Backend::Sqlite => Self {
                url: db.url.replace("mode=rwc", "mode=ro"),
                admin_url: String::new(),
                cleanup: Vec::new(),
            },
            Backend::Postgres => {
                let schema = db.url.rsplit("search_path%3D").next().unwrap().to_owned();
                let admin_url = db.url.clone();
                for statement in [
                    format!("create role {user} login password '{password}'"),
                    format!("grant usage on schema {schema} to {user}"),
                    format!(
                        "grant select, insert, update, delete on all tables in schema {schema} to {user}"
                    ),
                    format!("alter role {user} set default_transaction_read_only = on"),
                ] {
                    admin_execute(&admin_url, &statement).await;
                }
                let mut url = url::Url::parse(&db.url).unwrap();
                url.set_username(&user).unwrap();
                url.set_password(Some(&password)).unwrap();
                Self {
                    url: url.to_string(),
                    admin_url,
                    cleanup: vec![format!("drop owned by {user}"), format!("drop role {user}")],
                }
            }
            Backend::MySql => {
                let database = db.url.rsplit('/').next().unwrap().to_owned();
                let admin_url = db.url.clone();
                let mut cleanup = Vec::new();
                for host in ["localhost", "127.0.0.1", "%"] {
                    admin_execute(
                        &admin_url,
                        &format!("create user '{user}'@'{host}' identified by '{password}'"),
                    )
                    .await;
                    admin_execute(
                        &admin_url,
                        &format!("grant select on `{database}`.* to '{user}'@'{host}'"),
                    )
                    .await;
                    cleanup.push(format!("drop user '{user}'@'{host}'"));
                }
                let mut url = url::Url::parse(&db.url).unwrap();
                url.set_username(&user).unwrap();
                url.set_password(Some(&password)).unwrap();
                Self {
                    url: url.to_string(),
                    admin_url,
                    cleanup,
                }
            }
        }
    }

    async fn remove(self) {
        for statement in &self.cleanup {
            admin_execute(&self.admin_url, statement).await;
        }
    }
}

async fn health_is_503_read_only(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let writer = builder()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    writer.migrate().await.unwrap();
    let access = ReadOnlyAccess::new(&db).await;
    let reader = builder()
        .validate()
        .unwrap()
        .connect(&access.url)
        .await
        .expect("the read-only user connects");
    let router = app_router(&reader).route("/health", reader.health_route());
    let (addr, _server) = serve(router).await;
    let body = assert_failed(&get_health(&Client::new(addr)).await, "read_only");
    let text = body.to_string();
    assert!(!text.contains("authgate_ro_"), "no user name: {text}");
    assert!(!text.contains("pw"), "no password: {text}");
    reader.database().close().await;
    access.remove().await;
    // The writer still sees a healthy database.
    assert!(writer.health().await.is_ok());
}

async fn health_is_503_unreachable(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let (proxy, url) = proxied(&db).await;
    let auth = builder().validate().unwrap().connect(&url).await.unwrap();
    auth.migrate().await.unwrap();
    let router = app_router(&auth).route("/health", auth.health_route());
    let (addr, _server) = serve(router).await;
    let client = Client::new(addr);
    assert_eq!(get_health(&client).await.status, 200);
    match &proxy {
        Some(proxy) => proxy.down(),
        None => auth.database().close().await,
    }
    assert_failed(&get_health(&client).await, "unreachable");
}

mod credentials {
    use super::*;
    use crate::common::Backend;

    server_backend_tests!(health_is_503_credentials);

    /// The test's own user, connected, then refused further logins: the pool's next connection
    /// meets the refusal.
    async fn health_is_503_credentials(backend: Backend) {
        let db = TestDatabase::new(backend).await;
        let writer = builder()
            .validate()
            .unwrap()
            .connect(&db.url)
            .await
            .unwrap();
        writer.migrate().await.unwrap();
        let access = ReadOnlyAccess::new(&db).await;
        let user = url::Url::parse(&access.url).unwrap().username().to_owned();
        if backend == Backend::Postgres {
            admin_execute(
                &access.admin_url,
                &format!("alter role {user} set default_transaction_read_only = off"),
            )
            .await;
        }
        let auth = builder()
            .validate()
            .unwrap()
            .connect(&access.url)
            .await
            .expect("the test user connects");
        // Its pooled connections end, and it may not log in again.
        match backend {
            Backend::Postgres => {
                admin_execute(&access.admin_url, &format!("alter role {user} nologin")).await;
                admin_execute(
                &access.admin_url,
                &format!("select pg_terminate_backend(pid) from pg_stat_activity where usename = '{user}'"),
            )
            .await;
            }
            _ => {
                for host in ["localhost", "127.0.0.1", "%"] {
                    admin_execute(
                        &access.admin_url,
                        &format!("alter user '{user}'@'{host}' account lock"),
                    )
                    .await;
                }
                let admin = authgate::Database::connect(&access.admin_url)
                    .await
                    .unwrap();
                let find = format!(
                    "select id from information_schema.processlist where user = '{user}' limit 1"
                );
                while let Some(id) = crate::common::scalar(&admin, &find).await {
                    crate::common::execute(&admin, &format!("kill {id}")).await;
                }
                admin.close().await;
            }
        }
        let report = tokio::time::timeout(HANG, auth.health()).await.unwrap();
        assert_eq!(
            report.problem(),
            Some(authgate::HealthProblem::Credentials),
            "{report:?}"
        );
        let text = serde_json::to_string(&report).unwrap();
        assert!(!text.contains(&user), "no user name: {text}");
        access.remove().await;
    }
}
