//! Real processes the tests start: the quickstart example, and a Better-Auth (Node) server.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::Client;

/// `target/<profile>/examples/quickstart`, built by `cargo test` along with the tests.
pub fn quickstart_binary() -> PathBuf {
    example_binary("quickstart")
}

/// `target/<profile>/examples/<name>`, built by `cargo test` along with the tests.
pub fn example_binary(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let binary = profile_dir
        .join("examples")
        .join(format!("{name}{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds it unless a --test filter is given; run `cargo build --all-features --example {name}`",
        binary.display()
    );
    binary
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

pub struct Quickstart {
    child: Child,
    pub port: u16,
}

impl Quickstart {
    /// Starts the example in `dir` with `env`, without any secret from this process's
    /// environment.
    pub fn spawn(dir: &Path, port: u16, env: &[(&str, &str)]) -> Child {
        let mut command = Command::new(quickstart_binary());
        command
            .current_dir(dir)
            .env_remove("BETTER_AUTH_SECRET")
            .env_remove("AUTH_SECRET")
            .env_remove("BETTER_AUTH_SECRETS")
            .env_remove("BETTER_AUTH_URL")
            .env_remove("AUTH_URL")
            .env_remove("DATABASE_URL")
            .env("PORT", port.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        for (k, v) in env {
            command.env(k, v);
        }
        command.spawn().unwrap()
    }

    pub async fn start(dir: &Path, env: &[(&str, &str)]) -> Self {
        let port = free_port();
        let mut child = Self::spawn(dir, port, env);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let output = child.wait_with_output().unwrap();
                panic!(
                    "the quickstart exited with {status}: {}",
                    String::from_utf8_lossy(&output.stderr)
                );
            }
            if let Ok(stream) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                drop(stream);
                let health = Client::new(([127, 0, 0, 1], port).into())
                    .get("/health")
                    .send()
                    .await;
                assert_eq!(health.status, 200, "{}", health.text());
                return Self { child, port };
            }
            assert!(
                Instant::now() < deadline,
                "the quickstart did not start listening"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn client(&self) -> Client {
        Client::new(([127, 0, 0, 1], self.port).into())
    }

    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// `interop/`, where the Better-Auth programs live, with their npm install checked.
pub fn interop_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("interop");
    assert!(
        dir.join("node_modules/better-auth/package.json").exists(),
        "the Better-Auth install is missing: run `bash .ci/run` or `npm ci --prefix interop`"
    );
    dir
}

/// Whether better-sqlite3's native module was built (it may not build on every machine).
pub fn better_sqlite3_available() -> Result<(), String> {
    let module =
        interop_dir().join("node_modules/better-sqlite3/build/Release/better_sqlite3.node");
    if module.exists() {
        Ok(())
    } else {
        Err(format!("{} was not built", module.display()))
    }
}

/// A running Better-Auth server (`interop/better-auth-server.mjs`), stopped on drop. Its log is
/// kept and shown only when the test fails.
pub struct BetterAuthServer {
    child: Child,
    log: std::sync::Arc<std::sync::Mutex<String>>,
    pub port: u16,
}

/// How a Better-Auth server reaches its database.
pub enum BetterAuthDatabase<'a> {
    Postgres(&'a str),
    Sqlite(&'a Path),
}

fn better_auth_command(database: &BetterAuthDatabase<'_>, secret: &str, base_url: &str) -> Command {
    let mut command = Command::new("node");
    command
        .arg("better-auth-server.mjs")
        .current_dir(interop_dir())
        .env_remove("NODE_ENV")
        .env("BETTER_AUTH_SECRET", secret)
        .env("BASE_URL", base_url)
        .env("TRUSTED_ORIGINS", super::FRONTEND);
    match database {
        BetterAuthDatabase::Postgres(url) => {
            command.env("BA_DB", "postgres").env("DATABASE_URL", url)
        }
        BetterAuthDatabase::Sqlite(path) => command.env("BA_DB", "sqlite").env("SQLITE_PATH", path),
    };
    command
}

/// Runs Better-Auth's own migration on `database`.
pub fn better_auth_migrate(database: &BetterAuthDatabase<'_>, secret: &str) {
    better_auth_migrate_with(database, secret, &[]);
}

/// Runs Better-Auth's own migration on `database`, configured with `env` too (e.g.
/// `BA_FIELDS=af` for the additional fields).
pub fn better_auth_migrate_with(
    database: &BetterAuthDatabase<'_>,
    secret: &str,
    env: &[(&str, &str)],
) {
    let output = better_auth_command(database, secret, super::BASE_URL)
        .envs(env.iter().copied())
        .env("MIGRATE", "1")
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "Better-Auth's migration failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&output.stdout).trim(), "migrated");
}

/// What Better-Auth's migration would change on `database`:
/// `{"create":[tables],"add":[{"table","fields"}]}`.
pub fn better_auth_check(database: &BetterAuthDatabase<'_>, secret: &str) -> serde_json::Value {
    better_auth_check_with(database, secret, &[])
}

/// [`better_auth_check`] with `env` too.
pub fn better_auth_check_with(
    database: &BetterAuthDatabase<'_>,
    secret: &str,
    env: &[(&str, &str)],
) -> serde_json::Value {
    let output = better_auth_command(database, secret, super::BASE_URL)
        .envs(env.iter().copied())
        .env("MIGRATE", "check")
        .output()
        .expect("node runs");
    assert!(
        output.status.success(),
        "Better-Auth's migration check failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("the check prints JSON")
}

impl BetterAuthServer {
    /// Starts Better-Auth on `database` and waits until it listens.
    pub async fn start(database: &BetterAuthDatabase<'_>, secret: &str) -> Self {
        Self::start_with(database, secret, &[]).await
    }

    /// [`BetterAuthServer::start`] with `env` too (e.g. `BA_FIELDS=af`).
    pub async fn start_with(
        database: &BetterAuthDatabase<'_>,
        secret: &str,
        env: &[(&str, &str)],
    ) -> Self {
        let port = free_port();
        let mut child = better_auth_command(database, secret, super::BASE_URL)
            .envs(env.iter().copied())
            .env("PORT", port.to_string())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("node runs");
        let log = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let stderr = child.stderr.take().unwrap();
        let sink = log.clone();
        std::thread::spawn(move || {
            use std::io::BufRead;
            for line in std::io::BufReader::new(stderr)
                .lines()
                .map_while(Result::ok)
            {
                let mut log = sink.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().unwrap();
        let ready = tokio::task::spawn_blocking(move || {
            use std::io::BufRead;
            let mut lines = std::io::BufReader::new(stdout).lines();
            let listening = lines.next().and_then(Result::ok);
            // Keep draining so the pipe never fills.
            std::thread::spawn(move || for _ in lines {});
            listening
        });
        let line = tokio::time::timeout(Duration::from_secs(60), ready)
            .await
            .expect("Better-Auth starts")
            .unwrap();
        let server = Self { child, log, port };
        assert_eq!(
            line.as_deref(),
            Some(format!("listening {port}").as_str()),
            "Better-Auth did not start"
        );
        server
    }

    pub fn client(&self) -> Client {
        Client::new(([127, 0, 0, 1], self.port).into())
    }
}

impl Drop for BetterAuthServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!("Better-Auth's log:\n{}", self.log.lock().unwrap());
        }
    }
}
