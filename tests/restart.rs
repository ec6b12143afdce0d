//! The quickstart as a real process: a session survives the process being killed and started
//! again on the same database, and a weak secret stops it before it serves.

mod common;

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{Backend, Client, Jar, TestDatabase};

/// `target/<profile>/examples/quickstart`, built by `cargo test` along with the tests.
fn quickstart_binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().unwrap().parent().unwrap();
    let binary = profile_dir
        .join("examples")
        .join(format!("quickstart{}", std::env::consts::EXE_SUFFIX));
    assert!(
        binary.exists(),
        "{} is missing: `cargo test` builds it unless a --test filter is given; run `cargo build --example quickstart`",
        binary.display()
    );
    binary
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

struct Quickstart {
    child: Child,
    port: u16,
}

impl Quickstart {
    /// Starts the example in `dir` with `env`, without any secret from this process's
    /// environment.
    fn spawn(dir: &std::path::Path, port: u16, env: &[(&str, &str)]) -> Child {
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

    async fn start(dir: &std::path::Path, env: &[(&str, &str)]) -> Self {
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

    fn client(&self) -> Client {
        Client::new(([127, 0, 0, 1], self.port).into())
    }

    fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

async fn session_survives_a_killed_and_restarted_process(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let dir = std::env::temp_dir()
        .join(format!("authgate-restart-{}", std::process::id()))
        .join(format!("{backend:?}"));
    std::fs::create_dir_all(&dir).unwrap();
    let _ = std::fs::remove_file(dir.join("authgate-quickstart.secret"));
    let env = [("DATABASE_URL", db.url.as_str())];

    let first = Quickstart::start(&dir, &env).await;
    let mut jar = Jar::default();
    let signed_up = first
        .client()
        .post("/api/auth/sign-up/email")
        .json(&serde_json::json!({ "name": "Phoenix", "email": "phoenix@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    assert_eq!(
        first.client().get("/me").send_with(&mut jar).await.status,
        200
    );
    let secret_file = std::fs::read_to_string(dir.join("authgate-quickstart.secret"))
        .expect("the example kept its secret");
    first.kill();

    // Same database, same working directory (so the same secret file), a new process.
    let second = Quickstart::start(&dir, &env).await;
    let me = second.client().get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "phoenix@example.com");
    assert_eq!(
        std::fs::read_to_string(dir.join("authgate-quickstart.secret")).unwrap(),
        secret_file
    );
    second.kill();
    let _ = std::fs::remove_dir_all(&dir);
}

backend_tests!(session_survives_a_killed_and_restarted_process);

#[tokio::test]
async fn a_short_secret_stops_the_quickstart_before_it_serves() {
    let dir = std::env::temp_dir().join(format!("authgate-short-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    let child = Quickstart::spawn(&dir, port, &[("BETTER_AUTH_SECRET", "short")]);
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("BETTER_AUTH_SECRET") && stderr.contains("at least 32 bytes"),
        "{stderr}"
    );
    assert!(
        tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_err(),
        "nothing was served"
    );
    assert!(
        !dir.join("authgate-quickstart.db").exists(),
        "no database was touched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
