//! Shared test harness: a fresh database per test on each backend, the app served on a real
//! socket, and a small HTTP client with a cookie jar.
//!
//! SQLite always runs. PostgreSQL and MariaDB/MySQL run when `AUTHGATE_TEST_POSTGRES_URL` /
//! `AUTHGATE_TEST_MYSQL_URL` point at a server (`.ci/run` sets both); their tests are marked
//! `#[ignore]` so that a plain `cargo test` reports them as ignored rather than pretending
//! they passed. Run them with `cargo test --all-features -- --include-ignored`.

#![allow(dead_code, unreachable_pub)]

pub mod http_client;
pub mod mail;
pub mod outage;
pub mod processes;
pub mod replay;

use std::net::SocketAddr;
use std::path::PathBuf;

use authgate::{Auth, AuthBuilder, CurrentSession, CurrentUser, SessionLayer};
use axum::routing::get;
use axum::{Json, Router};

#[allow(unused_imports)]
pub use http_client::{
    Client, Jar, TestResponse, assert_same_cookie, assert_same_cookies, clears, cookie_parts,
};

/// The secret Better-Auth's recordings were made with. authgate refuses it (sequences): the
/// replays sign with `TEST_SECRET` and recompute the recorded signatures with this one.
pub const ORACLE_SECRET: &str = "oracle-test-secret-0123456789abcdef0123456789abcdef";
/// A secret for tests that do not replay recordings.
pub const TEST_SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";
/// The origin the tests' apps are configured for, and a trusted front-end origin.
pub const BASE_URL: &str = "http://localhost:4100";
pub const FRONTEND: &str = "http://localhost:3000";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
    MySql,
}

/// A name for a test's own schema or database: `authgate_t_<pid>_<random>`. The process id lets
/// `.ci/run` drop what an interrupted run left behind without touching a run still going.
pub fn test_database_name() -> String {
    format!("authgate_t_{}_{}", std::process::id(), random_suffix())
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn env_url(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| {
        panic!("{name} is not set: point it at a test server (bash .ci/run does) or run without --include-ignored")
    })
}

/// A database that exists only for one test.
pub struct TestDatabase {
    pub backend: Backend,
    pub url: String,
    cleanup: Option<Cleanup>,
}

enum Cleanup {
    File(PathBuf),
    Server {
        admin_url: String,
        statement: String,
    },
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> Self {
        let name = test_database_name();
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join("authgate-tests");
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join(format!("{name}.db"));
                Self {
                    backend,
                    url: format!("sqlite://{}?mode=rwc", path.display()),
                    cleanup: Some(Cleanup::File(path)),
                }
            }
            Backend::Postgres => {
                // A schema per test: cheap, and the whole suite shares one database.
                let admin_url = env_url("AUTHGATE_TEST_POSTGRES_URL");
                admin_execute(&admin_url, &format!("create schema {name}")).await;
                let separator = if admin_url.contains('?') { '&' } else { '?' };
                Self {
                    backend,
                    url: format!("{admin_url}{separator}options=-c%20search_path%3D{name}"),
                    cleanup: Some(Cleanup::Server {
                        admin_url,
                        statement: format!("drop schema {name} cascade"),
                    }),
                }
            }
            Backend::MySql => {
                let admin_url = env_url("AUTHGATE_TEST_MYSQL_URL");
                admin_execute(&admin_url, &format!("create database {name}")).await;
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(base, _)| base)
                    .unwrap_or(&admin_url);
                Self {
                    backend,
                    url: format!("{base}/{name}"),
                    cleanup: Some(Cleanup::Server {
                        admin_url,
                        statement: format!("drop database {name}"),
                    }),
                }
            }
        }
    }

    /// A whole PostgreSQL *database* (not a schema) for one test, for programs that cannot be
    /// pointed at a schema, such as a Better-Auth server.
    pub async fn new_postgres_database() -> Self {
        let name = test_database_name();
        let admin_url = env_url("AUTHGATE_TEST_POSTGRES_URL");
        admin_execute(&admin_url, &format!("create database {name}")).await;
        let (base, query) = admin_url.split_once('?').unwrap_or((&admin_url, ""));
        let base = base.rsplit_once('/').map(|(base, _)| base).unwrap_or(base);
        let query = if query.is_empty() {
            String::new()
        } else {
            format!("?{query}")
        };
        Self {
            backend: Backend::Postgres,
            url: format!("{base}/{name}{query}"),
            cleanup: Some(Cleanup::Server {
                admin_url,
                statement: format!("drop database {name} with (force)"),
            }),
        }
    }

    /// The file behind a SQLite test database.
    pub fn sqlite_path(&self) -> &std::path::Path {
        match &self.cleanup {
            Some(Cleanup::File(path)) => path,
            _ => panic!("not a SQLite test database"),
        }
    }

    pub async fn connect(&self) -> authgate::Database {
        authgate::Database::connect(&self.url)
            .await
            .expect("test database reachable")
    }
}

/// Runs one administrative statement on a short-lived connection.
pub async fn admin_execute(url: &str, statement: &str) {
    let db = authgate::Database::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot reach {url}: {e}"));
    execute(&db, statement).await;
    db.close().await;
}

/// Turns `email`'s credential account into a social one without a password, as a user who
/// only ever signed in with GitHub has it.
pub async fn make_social_only(db: &authgate::Database, backend: Backend, email: &str) {
    let b = backend;
    execute(
        db,
        &format!(
            "update {} set {} = 'github', {} = null where {} = (select {} from {} where {} = '{email}')",
            q(b, "account"),
            q(b, "providerId"),
            q(b, "password"),
            q(b, "userId"),
            q(b, "id"),
            q(b, "user"),
            q(b, "email")
        ),
    )
    .await;
}

/// Runs a statement on a pool (tests use it to age sessions, count rows, ...).
pub async fn execute(db: &authgate::Database, statement: &str) -> u64 {
    let statement = sqlx::AssertSqlSafe(statement.to_owned());
    match db {
        authgate::Database::Sqlite(pool) => sqlx::query(statement)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        #[cfg(feature = "postgres")]
        authgate::Database::Postgres(pool) => sqlx::query(statement)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        #[cfg(feature = "mysql")]
        authgate::Database::MySql(pool) => sqlx::query(statement)
            .execute(pool)
            .await
            .unwrap()
            .rows_affected(),
        _ => unreachable!(),
    }
}

/// The first column of the first row of `statement`, as a string (dates as the database
/// renders them, integers in decimal).
pub async fn scalar(db: &authgate::Database, statement: &str) -> Option<String> {
    use sqlx::Row;
    let statement = sqlx::AssertSqlSafe(statement.to_owned());
    macro_rules! first {
        ($pool:expr) => {{
            let row = sqlx::query(statement)
                .fetch_optional($pool)
                .await
                .unwrap()?;
            let value: Option<String> = row
                .try_get::<Option<String>, _>(0)
                .or_else(|_| {
                    row.try_get::<Option<i64>, _>(0)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    row.try_get::<Option<i32>, _>(0)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .or_else(|_| {
                    row.try_get::<Option<bool>, _>(0)
                        .map(|v| v.map(|v| v.to_string()))
                })
                .unwrap();
            value
        }};
    }
    match db {
        authgate::Database::Sqlite(pool) => first!(pool),
        #[cfg(feature = "postgres")]
        authgate::Database::Postgres(pool) => first!(pool),
        #[cfg(feature = "mysql")]
        authgate::Database::MySql(pool) => first!(pool),
        _ => unreachable!(),
    }
}

/// Percent-encodes a signed value (`token.base64sig`) as a cookie carries it.
pub fn encode_signed(signed: &str) -> String {
    signed
        .replace('+', "%2B")
        .replace('/', "%2F")
        .replace('=', "%3D")
}

/// Identifier quoting for the backend, for statements tests write by hand.
pub fn q(backend: Backend, ident: &str) -> String {
    match backend {
        Backend::MySql => format!("`{ident}`"),
        _ => format!("\"{ident}\""),
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        match self.cleanup.take() {
            Some(Cleanup::File(path)) => {
                for suffix in ["", "-wal", "-shm"] {
                    let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
                }
            }
            Some(Cleanup::Server {
                admin_url,
                statement,
            }) => {
                // Drop runs inside the test's runtime; clean up from a thread with its own.
                let _ = std::thread::spawn(move || {
                    tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap()
                        .block_on(async {
                            if let Ok(db) = authgate::Database::connect(&admin_url).await {
                                let statement = sqlx::AssertSqlSafe(statement);
                                let _ = match &db {
                                    #[cfg(feature = "postgres")]
                                    authgate::Database::Postgres(pool) => {
                                        sqlx::query(statement).execute(pool).await.map(|_| ())
                                    }
                                    #[cfg(feature = "mysql")]
                                    authgate::Database::MySql(pool) => {
                                        sqlx::query(statement).execute(pool).await.map(|_| ())
                                    }
                                    _ => Ok(()),
                                };
                                db.close().await;
                            }
                        })
                })
                .join();
            }
            None => {}
        }
    }
}

/// The builder every test starts from: test secret, the recordings' base URL and front-end
/// origin, no environment reads, and no rate limits (the tests that need them set them).
pub fn builder() -> AuthBuilder {
    Auth::builder()
        .environment(|_| None)
        // No verdict may depend on machine speed: on a loaded machine a queued sign-in must not
        // wait out the hash queue (tests of that timeout set a short one themselves).
        .hash_queue_timeout(std::time::Duration::from_secs(600))
        .rate_limit(authgate::RateLimit::disabled())
        .secret(TEST_SECRET)
        .base_url(BASE_URL)
        .trusted_origin(FRONTEND)
}

/// An app like the quickstart's: the auth router at `/api/auth`, `/me`, `/session`,
/// `/maybe-me`, behind a `SessionLayer`, served on 127.0.0.1.
pub struct TestApp {
    pub auth: Auth,
    pub db: TestDatabase,
    pub addr: SocketAddr,
    pub client: Client,
    server: tokio::task::JoinHandle<()>,
}

pub fn app_router(auth: &Auth) -> Router {
    Router::new()
        .route("/me", get(|user: CurrentUser| async move { Json(user) }))
        .route(
            "/maybe-me",
            get(|user: Option<CurrentUser>| async move { Json(user.map(|u| u.into_inner())) }),
        )
        .route(
            "/session",
            get(|current: CurrentSession| async move {
                Json(serde_json::json!({ "session": current.session, "user": current.user }))
            }),
        )
        .nest("/api/auth", auth.router())
        .layer(SessionLayer::new(auth.clone()))
}

/// Serves `router` on a fresh port.
pub async fn serve(router: Router) -> (SocketAddr, tokio::task::JoinHandle<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .unwrap();
    });
    (addr, server)
}

impl TestApp {
    pub async fn new(backend: Backend) -> Self {
        Self::with(backend, |b| b).await
    }

    pub async fn with(
        backend: Backend,
        configure: impl FnOnce(AuthBuilder) -> AuthBuilder,
    ) -> Self {
        let db = TestDatabase::new(backend).await;
        Self::on(db, configure).await
    }

    /// An app on an existing test database.
    pub async fn on(db: TestDatabase, configure: impl FnOnce(AuthBuilder) -> AuthBuilder) -> Self {
        let auth = configure(builder())
            .validate()
            .expect("valid test configuration")
            .connect(&db.url)
            .await
            .expect("test database reachable");
        auth.migrate().await.expect("migration");
        let (addr, server) = serve(app_router(&auth)).await;
        Self {
            auth,
            db,
            addr,
            client: Client::new(addr),
            server,
        }
    }

    pub fn backend(&self) -> Backend {
        self.db.backend
    }

    /// Signs a user up through the API and returns the jar holding its cookie.
    pub async fn sign_up(&self, email: &str, password: &str) -> Jar {
        let mut jar = Jar::default();
        let response = self
            .client
            .post("/api/auth/sign-up/email")
            .json(&serde_json::json!({ "name": "Test", "email": email, "password": password }))
            .send_with(&mut jar)
            .await;
        assert_eq!(response.status, 200, "sign-up failed: {}", response.text());
        jar
    }
}

impl TestApp {
    /// Signs an existing user in and returns the new session's jar.
    pub async fn sign_in(&self, email: &str, password: &str) -> Jar {
        let mut jar = Jar::default();
        let response = self
            .client
            .post("/api/auth/sign-in/email")
            .json(&serde_json::json!({ "email": email, "password": password }))
            .send_with(&mut jar)
            .await;
        assert_eq!(response.status, 200, "sign-in failed: {}", response.text());
        jar
    }

    /// A JSON POST from the trusted front-end with the jar's cookies.
    pub async fn post(&self, path: &str, jar: &mut Jar, body: serde_json::Value) -> TestResponse {
        self.client
            .post(path)
            .with_frontend_origin()
            .json(&body)
            .send_with(jar)
            .await
    }

    /// A GET with the jar's cookies.
    pub async fn get(&self, path: &str, jar: &mut Jar) -> TestResponse {
        self.client.get(path).send_with(jar).await
    }

    /// A statement on the app's database, with the backend's identifier quoting applied to
    /// `{table}`-style placeholders left to the caller.
    pub async fn sql(&self, statement: &str) -> u64 {
        execute(self.auth.database(), statement).await
    }

    pub async fn sql_scalar(&self, statement: &str) -> Option<String> {
        scalar(self.auth.database(), statement).await
    }

    /// `statement` with `"ident"` quoting turned into the backend's.
    pub fn quote(&self, statement: &str) -> String {
        match self.backend() {
            Backend::MySql => statement.replace('"', "`"),
            _ => statement.to_owned(),
        }
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.server.abort();
    }
}

/// Generates one `#[tokio::test]` per backend for each listed `async fn(Backend)`.
#[macro_export]
macro_rules! backend_tests {
    // Tests that need something beyond the databases: ignored on every backend, with `$why`.
    (ignore = $why:literal; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                #[ignore = $why]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = $why]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test]
                #[ignore = $why]
                async fn $name() {
                    super::$name($crate::common::Backend::MySql).await
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $name() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
            )*
        }
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL: set AUTHGATE_TEST_POSTGRES_URL and pass --include-ignored (bash .ci/run does)"]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test]
                #[ignore = "needs MariaDB/MySQL: set AUTHGATE_TEST_MYSQL_URL and pass --include-ignored (bash .ci/run does)"]
                async fn $name() {
                    super::$name($crate::common::Backend::MySql).await
                }
            )*
        }
    };
}

/// Like `backend_tests!`, for tests that need a database *server* (a TCP proxy in front of it):
/// PostgreSQL and MariaDB/MySQL.
#[macro_export]
macro_rules! server_backend_tests {
    ($($name:ident),* $(,)?) => {
        #[cfg(feature = "postgres")]
        mod postgres {
            $(
                #[tokio::test]
                #[ignore = "needs PostgreSQL: set AUTHGATE_TEST_POSTGRES_URL and pass --include-ignored (bash .ci/run does)"]
                async fn $name() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            )*
        }
        #[cfg(feature = "mysql")]
        mod mysql {
            $(
                #[tokio::test]
                #[ignore = "needs MariaDB/MySQL: set AUTHGATE_TEST_MYSQL_URL and pass --include-ignored (bash .ci/run does)"]
                async fn $name() {
                    super::$name($crate::common::Backend::MySql).await
                }
            )*
        }
    };
}
