//! Account mails through a real SMTP server (aiosmtpd on 127.0.0.1, one per test): the whole
//! verification and reset flows, STARTTLS with a self-signed certificate and AUTH, and a server
//! that is down, slow or refusing.

use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::common::mail::{SmtpMode, SmtpServer, link_in, path_of, wait_for_statistics};
use crate::common::{BASE_URL, Backend, Jar, TestApp};
use authgate::mail::{SmtpMailer, SmtpSecurity};
use serde_json::json;

backend_tests!(
    ignore = "needs Python with aiosmtpd (.ci/run installs it; run with --include-ignored)";
    smtp_sign_up_verify_then_reset_end_to_end,
);

fn plain_mailer(server: &SmtpServer) -> SmtpMailer {
    SmtpMailer::builder("127.0.0.1")
        .port(server.port)
        .security(SmtpSecurity::Plaintext)
        .from("Acme <no-reply@acme.example>")
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

async fn smtp_sign_up_verify_then_reset_end_to_end(backend: Backend) {
    let server = SmtpServer::start(SmtpMode::Accept, false, None);
    let mailer = plain_mailer(&server);
    let app = TestApp::with(backend, move |b| {
        b.mailer(mailer)
            .app_name("Acme")
            .send_verification_on_sign_up(true)
    })
    .await;
    let auth_url = format!("{BASE_URL}/api/auth/");

    // Sign up, receive the verification mail over SMTP, follow its link: verified.
    let mut first = app.sign_up("smtp@example.com", "password123").await;
    let mail = server.wait_for(1).await.remove(0);
    assert!(
        mail.contains("Subject: Verify your email address for Acme"),
        "{mail}"
    );
    assert!(mail.contains("To: smtp@example.com"), "{mail}");
    assert!(mail.contains("multipart/alternative") && mail.contains("text/html"));
    let link = link_in(&mail, &auth_url);
    let verified = app.client.get(&path_of(&link)).send().await;
    assert_eq!(verified.status, 302, "{}", verified.text());
    let me = app.client.get("/me").send_with(&mut first).await;
    assert_eq!(me.json()["emailVerified"], true);
    let mut second = app.sign_in("smtp@example.com", "password123").await;

    // Request a reset, receive it, reset, sign in with the new password.
    let answer = app
        .client
        .post("/api/auth/request-password-reset")
        .json(&json!({ "email": "smtp@example.com", "redirectTo": "/reset" }))
        .send()
        .await;
    assert_eq!(answer.status, 200);
    let mail = server.wait_for(2).await.remove(1);
    let link = link_in(&mail, &format!("{auth_url}reset-password/"));
    let redirect = app.client.get(&path_of(&link)).send().await;
    let location = redirect.header("location").unwrap().to_owned();
    let token = location.rsplit("token=").next().unwrap().to_owned();
    let reset = app
        .client
        .post("/api/auth/reset-password")
        .json(&json!({ "token": token, "newPassword": "smtp-new-password" }))
        .send()
        .await;
    assert_eq!(reset.status, 200, "{}", reset.text());
    app.sign_in("smtp@example.com", "smtp-new-password").await;

    // The old sessions are gone, and the token works once.
    for jar in [&mut first, &mut second] {
        assert_eq!(app.get("/api/auth/get-session", jar).await.text(), "null");
    }
    let again = app
        .client
        .post("/api/auth/reset-password")
        .json(&json!({ "token": token, "newPassword": "smtp-third-password" }))
        .send()
        .await;
    assert_eq!(again.error_code(), "INVALID_TOKEN");
    let stats = app.auth.mail_statistics();
    assert_eq!((stats.sent, stats.failed), (2, 0), "{stats:?}");
}

#[tokio::test]
#[ignore = "needs Python with aiosmtpd (.ci/run installs it; run with --include-ignored)"]
async fn smtp_over_starttls_with_a_self_signed_certificate_and_auth() {
    let server = SmtpServer::start(SmtpMode::Accept, true, Some("app:s3cret-pass"));
    let mailer = SmtpMailer::from_url(&format!("smtp://app:s3cret-pass@localhost:{}", server.port))
        .unwrap()
        .add_root_certificate_pem(server.certificate())
        .build()
        .unwrap();
    assert_eq!(mailer.security(), SmtpSecurity::StartTls);
    let app = TestApp::with(Backend::Sqlite, move |b| b.mailer(mailer)).await;
    app.sign_up("tls@example.com", "password123").await;
    app.client
        .post("/api/auth/request-password-reset")
        .json(&json!({ "email": "tls@example.com" }))
        .send()
        .await;
    let mail = server.wait_for(1).await.remove(0);
    assert!(mail.contains("reset-password/"), "{mail}");

    // The same server without trusting its certificate: the mail fails (counted), nothing
    // is sent in clear.
    let untrusted =
        SmtpMailer::from_url(&format!("smtp://app:s3cret-pass@localhost:{}", server.port))
            .unwrap()
            .build()
            .unwrap();
    let app = TestApp::with(Backend::Sqlite, move |b| b.mailer(untrusted)).await;
    app.sign_up("tls@example.com", "password123").await;
    app.client
        .post("/api/auth/request-password-reset")
        .json(&json!({ "email": "tls@example.com" }))
        .send()
        .await;
    wait_for_statistics(&app.auth, "the untrusted certificate's failure", |s| {
        s.failed == 1
    })
    .await;
    assert_eq!(server.messages().len(), 1);

    // Wrong credentials: refused, counted.
    let wrong = SmtpMailer::from_url(&format!("smtp://app:wrong@localhost:{}", server.port))
        .unwrap()
        .add_root_certificate_pem(server.certificate())
        .build()
        .unwrap();
    let app = TestApp::with(Backend::Sqlite, move |b| b.mailer(wrong)).await;
    app.sign_up("tls@example.com", "password123").await;
    app.client
        .post("/api/auth/request-password-reset")
        .json(&json!({ "email": "tls@example.com" }))
        .send()
        .await;
    wait_for_statistics(&app.auth, "the refused login", |s| s.failed == 1).await;
    assert_eq!(server.messages().len(), 1);
}

/// Down (a closed port), slow (longer than the mail timeout) or refusing (550): the request
/// gets its documented answer without waiting on the server, the token row is written, and
/// the failure is counted.
#[tokio::test]
#[ignore = "needs Python with aiosmtpd (.ci/run installs it; run with --include-ignored)"]
async fn smtp_down_slow_or_refusing_leaves_a_consistent_state() {
    let slow = SmtpServer::start(SmtpMode::Slow, false, None);
    let refusing = SmtpServer::start(SmtpMode::Refuse, false, None);
    let closed = crate::common::processes::free_port();
    for (what, port) in [
        ("down", closed),
        ("slow", slow.port),
        ("refusing", refusing.port),
    ] {
        let mailer = SmtpMailer::builder("127.0.0.1")
            .port(port)
            .security(SmtpSecurity::Plaintext)
            .build()
            .unwrap();
        let app = TestApp::with(Backend::Sqlite, move |b| {
            b.mailer(mailer).mail_timeout(Duration::from_secs(2))
        })
        .await;
        let mut jar = Jar::default();
        app.sign_up("fail@example.com", "password123").await;
        let started = Instant::now();
        let answer = app
            .client
            .post("/api/auth/request-password-reset")
            .json(&json!({ "email": "fail@example.com" }))
            .send_with(&mut jar)
            .await;
        // The slow server holds DATA for 30 s: the answer must not wait for it.
        assert!(
            started.elapsed() < Duration::from_secs(25),
            "{what}: {:?}",
            started.elapsed()
        );
        assert_eq!(answer.status, 200, "{what}: {}", answer.text());
        assert_eq!(answer.json()["status"], true);
        let rows = app
            .sql_scalar(r#"select count(*) from "verification""#)
            .await;
        assert_eq!(
            rows.as_deref(),
            Some("1"),
            "{what}: the token row is written"
        );
        let stats = wait_for_statistics(&app.auth, what, |s| s.failed == 1).await;
        assert_eq!(stats.sent, 0, "{what}: {stats:?}");
    }
    assert!(refusing.messages().is_empty() && slow.messages().is_empty());
}
