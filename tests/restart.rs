//! The quickstart as a real process: a session survives the process being killed and started
//! again on the same database, a weak secret stops it before it serves, and `SESSION_CACHE`
//! picks its session cache.

mod common;

use std::time::{Duration, Instant};

use common::http_client::percent_decode;
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

    // The quickstart turns `set-auth-token` on: the session token signed with its secret, the
    // value of the session cookie, exposed to scripts across origins.
    let token = signed_up.json()["token"].as_str().unwrap().to_owned();
    let signer = authgate::Auth::builder()
        .environment(|_| None)
        .secret(secret_file.trim())
        .base_url(format!("http://localhost:{}", first.port))
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    let signed = signer.sign_session_token(&token);
    signer.database().close().await;
    assert_eq!(signed_up.header("set-auth-token"), Some(signed.as_str()));
    assert_eq!(percent_decode(jar.session_cookie()), signed);
    assert_eq!(
        signed_up.header("access-control-expose-headers"),
        Some("set-auth-token")
    );
    first.kill();

    // Same database, same working directory (so the same secret file), a new process.
    let second = Quickstart::start(&dir, &env).await;
    let me = second.client().get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "phoenix@example.com");
    let by_bearer = second
        .client()
        .get("/me")
        .header("authorization", &format!("Bearer {signed}"))
        .send()
        .await;
    assert_eq!(by_bearer.status, 200, "{}", by_bearer.text());
    assert_eq!(by_bearer.json()["email"], "phoenix@example.com");
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

/// How long a refused configuration may take to stop the process (it checks the secret before
/// any I/O; the bound only keeps a process that does not stop from hanging the test).
const EXIT_BOUND: Duration = Duration::from_secs(30);

#[tokio::test]
async fn a_short_secret_stops_the_quickstart_before_it_serves() {
    let dir = std::env::temp_dir().join(format!("authgate-short-secret-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let port = free_port();
    // At info level the quickstart logs "listening on ..." once it has bound its port.
    let mut child = Quickstart::spawn(
        &dir,
        port,
        &[("BETTER_AUTH_SECRET", "short"), ("RUST_LOG", "info")],
    );

    // While the process lives, nothing may accept connections on its port.
    let deadline = Instant::now() + EXIT_BOUND;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        let served = tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok();
        if served || Instant::now() > deadline {
            let _ = child.kill();
            let output = child.wait_with_output().unwrap();
            panic!(
                "{}: {}{}",
                if served {
                    "a connection to its port was accepted".to_owned()
                } else {
                    format!("the quickstart was still running after {EXIT_BOUND:?}")
                },
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    };
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        !status.success() && status.code().is_some_and(|code| code != 0),
        "exited with {status}: {stdout}{stderr}"
    );
    assert!(
        stderr.contains("BETTER_AUTH_SECRET") && stderr.contains("at least 32 bytes"),
        "{stderr}"
    );
    assert!(
        !stdout.to_lowercase().contains("listening")
            && !stderr.to_lowercase().contains("listening"),
        "it got as far as listening: {stdout}{stderr}"
    );
    assert!(
        !dir.join("authgate-quickstart.db").exists(),
        "no database was touched"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// `SESSION_CACHE=memory` and `SESSION_CACHE=cookie` serve signed-in requests (the cookie mode
/// hands out `session_data`); any other value stops the quickstart with a message.
#[tokio::test]
async fn the_quickstart_reads_session_cache() {
    let dir = std::env::temp_dir().join(format!("authgate-session-cache-{}", std::process::id()));
    for mode in ["memory", "cookie"] {
        let dir = dir.join(mode);
        std::fs::create_dir_all(&dir).unwrap();
        let quickstart = Quickstart::start(&dir, &[("SESSION_CACHE", mode)]).await;
        let client = quickstart.client();
        let mut jar = Jar::default();
        let signed_up = client
            .post("/api/auth/sign-up/email")
            .json(&serde_json::json!({ "name": "C", "email": format!("{mode}@example.com"), "password": "password123" }))
            .send_with(&mut jar)
            .await;
        assert_eq!(signed_up.status, 200, "{mode}: {}", signed_up.text());
        for _ in 0..3 {
            let me = client.get("/me").send_with(&mut jar).await;
            assert_eq!(me.status, 200, "{mode}: {}", me.text());
        }
        assert_eq!(
            jar.get("better-auth.session_data").is_some(),
            mode == "cookie",
            "{mode}"
        );
        quickstart.kill();
    }

    let port = free_port();
    let child = Quickstart::spawn(&dir, port, &[("SESSION_CACHE", "redis")]);
    let output = child.wait_with_output().unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("SESSION_CACHE must be `memory`, `cookie` or unset"),
        "{stderr}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
