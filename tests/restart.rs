//! The quickstart as a real process: a session survives the process being killed and started
//! again on the same database, and a weak secret stops it before it serves.

mod common;

use common::processes::{Quickstart, free_port};
use common::{Backend, Jar, TestDatabase};

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
    // The per-run parent goes with the last backend's test (it fails while others remain).
    let _ = std::fs::remove_dir(dir.parent().unwrap());
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
