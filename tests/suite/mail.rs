//! Account mails with an in-memory mailer: verification, reset, their rules, the outbox.

use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::common::mail::{CaptureMailer, StuckMailer, path_of, query_param, wait_for_statistics};
use crate::common::{BASE_URL, Backend, Jar, TestApp, TestDatabase};
use authgate::AuthBuilder;
use authgate::mail::MailKind;
use serde_json::json;

backend_tests!(
    verification_link_verifies_and_signs_in,
    require_email_verification_refuses_unverified_sign_in_and_conceals_taken_addresses,
    reset_replaces_the_password_ends_sessions_and_is_single_use,
    two_concurrent_resets_with_one_token_succeed_once,
    reset_tokens_are_stored_hashed_by_default_or_plain_on_request,
    expired_verification_rows_are_deleted,
    known_and_unknown_addresses_get_the_same_answer_after_the_floor,
    mails_per_address_are_capped_without_changing_the_answer,
    a_full_queue_drops_and_counts_without_delaying_the_answer,
    send_verification_email_rules_with_a_session,
    verify_email_errors_answer_or_redirect,
    verification_tokens_of_a_rotated_secret_still_verify,
    links_are_built_from_the_base_url_and_base_path,
    deletion_links_delete_only_their_own_user,
);

async fn app(
    backend: Backend,
    configure: impl FnOnce(AuthBuilder) -> AuthBuilder,
) -> (TestApp, CaptureMailer) {
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let app = TestApp::with(backend, move |b| {
        configure(b.mailer(m).mails_per_address(100))
    })
    .await;
    (app, mailer)
}

async fn sign_up(
    app: &TestApp,
    email: &str,
    callback: Option<&str>,
) -> crate::common::TestResponse {
    let mut body = json!({ "name": "Ada", "email": email, "password": "password123" });
    if let Some(callback) = callback {
        body["callbackURL"] = json!(callback);
    }
    app.client
        .post("/api/auth/sign-up/email")
        .json(&body)
        .send()
        .await
}

async fn request_reset(
    app: &TestApp,
    email: &str,
    redirect: Option<&str>,
) -> crate::common::TestResponse {
    let mut body = json!({ "email": email });
    if let Some(redirect) = redirect {
        body["redirectTo"] = json!(redirect);
    }
    app.client
        .post("/api/auth/request-password-reset")
        .json(&body)
        .send()
        .await
}

async fn verification_link_verifies_and_signs_in(backend: Backend) {
    let (app, mailer) = app(backend, |b| {
        b.send_verification_on_sign_up(true)
            .auto_sign_in_after_verification(true)
    })
    .await;
    let signed_up = sign_up(&app, "Vera@Example.com", Some("/welcome")).await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let mails = mailer.wait_for(1).await;
    let mail = &mails[0];
    assert_eq!(mail.kind, MailKind::VerifyEmail);
    assert_eq!(mail.to, "vera@example.com");
    assert!(
        mail.link
            .starts_with(&format!("{BASE_URL}/api/auth/verify-email?token="))
    );
    assert_eq!(
        query_param(&mail.link, "callbackURL").as_deref(),
        Some("/welcome")
    );
    assert!(mail.text.contains(&mail.link) && mail.subject.contains("localhost"));

    // Without the callback: JSON, and a session for the user.
    let token = query_param(&mail.link, "token").unwrap();
    let mut jar = Jar::default();
    let verified = app
        .client
        .get(&format!("/api/auth/verify-email?token={token}"))
        .send_with(&mut jar)
        .await;
    assert_eq!(verified.status, 200, "{}", verified.text());
    assert_eq!(verified.json(), json!({ "status": true, "user": null }));
    let me = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["emailVerified"], true);

    // The link as mailed, again: a redirect to the callback, no new session.
    let again = app.client.get(&path_of(&mail.link)).send().await;
    assert_eq!(again.status, 302);
    assert_eq!(again.header("location"), Some("/welcome"));
    assert!(again.set_cookies().is_empty());
}

async fn require_email_verification_refuses_unverified_sign_in_and_conceals_taken_addresses(
    backend: Backend,
) {
    let (app, mailer) = app(backend, |b| {
        b.require_email_verification(true)
            .send_verification_on_sign_in(true)
    })
    .await;
    let first = sign_up(&app, "ron@example.com", None).await;
    assert_eq!(first.status, 200, "{}", first.text());
    assert_eq!(first.json()["token"], serde_json::Value::Null);
    assert!(
        first.set_cookies().is_empty(),
        "no session before verification"
    );
    mailer.wait_for(1).await;

    let taken = sign_up(&app, "ron@example.com", None).await;
    assert_eq!(
        taken.status, 200,
        "a taken address is answered like a new one"
    );
    assert_eq!(taken.json()["token"], serde_json::Value::Null);
    assert_eq!(taken.json()["user"]["email"], "ron@example.com");
    assert_ne!(taken.json()["user"]["id"], first.json()["user"]["id"]);
    let users = app
        .sql_scalar(&app.quote(r#"select count(*) from "user""#))
        .await
        .unwrap();
    assert_eq!(users, "1");

    let refused = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "ron@example.com", "password": "password123", "callbackURL": "/after" }))
        .send()
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code(), "EMAIL_NOT_VERIFIED");
    let wrong = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "ron@example.com", "password": "wrong-password" }))
        .send()
        .await;
    assert_eq!(wrong.status, 401, "a wrong password still says only that");

    let mails = mailer.wait_for(2).await;
    assert_eq!(
        mails.len(),
        2,
        "the taken address and the wrong password sent nothing"
    );
    assert_eq!(
        query_param(&mails[1].link, "callbackURL").as_deref(),
        Some("/after")
    );
    let verified = app.client.get(&path_of(&mails[1].link)).send().await;
    assert_eq!(verified.status, 302);
    app.sign_in("ron@example.com", "password123").await;
}

async fn reset_replaces_the_password_ends_sessions_and_is_single_use(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    let mut old = app.sign_up("pat@example.com", "password123").await;
    let answer = request_reset(&app, "PAT@example.com", Some("/reset")).await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    assert_eq!(
        answer.json(),
        json!({ "status": true, "message": "If this email exists in our system, check your email for the reset link" })
    );
    let mail = mailer.wait_for(1).await.remove(0);
    assert_eq!(mail.kind, MailKind::ResetPassword);
    let link = mail.link.clone();
    assert!(link.starts_with(&format!("{BASE_URL}/api/auth/reset-password/")));
    assert_eq!(query_param(&link, "callbackURL").as_deref(), Some("/reset"));

    // The link redirects to the page with the token (and does not consume it).
    for _ in 0..2 {
        let redirect = app.client.get(&path_of(&link)).send().await;
        assert_eq!(redirect.status, 302, "{}", redirect.text());
        let location = redirect.header("location").unwrap().to_owned();
        assert!(
            location.starts_with(&format!("{BASE_URL}/reset?token=")),
            "{location}"
        );
    }
    let token = url::Url::parse(&link)
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(token.len(), 24);
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()));

    let short = app
        .client
        .post("/api/auth/reset-password")
        .json(&json!({ "token": token, "newPassword": "short" }))
        .send()
        .await;
    assert_eq!(short.error_code(), "PASSWORD_TOO_SHORT");
    let done = app
        .client
        .post("/api/auth/reset-password")
        .json(&json!({ "token": token, "newPassword": "new-password-456" }))
        .send()
        .await;
    assert_eq!(done.status, 200, "{}", done.text());
    assert_eq!(done.json(), json!({ "status": true }));

    let again = app
        .client
        .post("/api/auth/reset-password")
        .json(&json!({ "token": token, "newPassword": "third-password-789" }))
        .send()
        .await;
    assert_eq!(again.status, 400);
    assert_eq!(again.error_code(), "INVALID_TOKEN");
    let used = app.client.get(&path_of(&link)).send().await;
    assert_eq!(
        used.header("location"),
        Some(format!("{BASE_URL}/reset?error=INVALID_TOKEN").as_str())
    );

    let session = app.get("/api/auth/get-session", &mut old).await;
    assert_eq!(
        session.text(),
        "null",
        "the sessions from before the reset ended"
    );
    let old_password = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "pat@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(old_password.status, 401);
    app.sign_in("pat@example.com", "new-password-456").await;
}

async fn two_concurrent_resets_with_one_token_succeed_once(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    app.sign_up("cy@example.com", "password123").await;
    // One token at a time: a successful reset voids the user's other reset links.
    for round in 0..3 {
        request_reset(&app, "cy@example.com", None).await;
        let mail = mailer.wait_for(round + 1).await.remove(round);
        let token = url::Url::parse(&mail.link)
            .unwrap()
            .path()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let reset = |password: &'static str| {
            let client = app.client.clone();
            let token = token.clone();
            async move {
                client
                    .post("/api/auth/reset-password")
                    .json(&json!({ "token": token, "newPassword": password }))
                    .send()
                    .await
            }
        };
        let (a, b) = tokio::join!(reset("first-password-1"), reset("second-password-2"));
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "{} / {}", a.text(), b.text());
        let loser = if a.status == 400 { &a } else { &b };
        assert_eq!(loser.error_code(), "INVALID_TOKEN");
    }
}

async fn reset_tokens_are_stored_hashed_by_default_or_plain_on_request(backend: Backend) {
    for storage in [
        authgate::TokenStorage::Hashed,
        authgate::TokenStorage::Plain,
    ] {
        let (app, mailer) = app(backend, |b| b.reset_token_storage(storage)).await;
        app.sign_up("hank@example.com", "password123").await;
        request_reset(&app, "hank@example.com", None).await;
        let link = mailer.wait_for(1).await.remove(0).link;
        let token = url::Url::parse(&link)
            .unwrap()
            .path()
            .rsplit('/')
            .next()
            .unwrap()
            .to_owned();
        let identifier = app
            .sql_scalar(&app.quote(r#"select "identifier" from "verification""#))
            .await
            .unwrap();
        let plain = format!("reset-password:{token}");
        match storage {
            authgate::TokenStorage::Plain => assert_eq!(identifier, plain),
            _ => {
                use base64::Engine as _;
                use sha2::Digest as _;
                let hashed = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(sha2::Sha256::digest(plain.as_bytes()));
                assert_eq!(identifier, hashed);
                assert!(!identifier.contains(&token));
            }
        }
        let done = app
            .client
            .post("/api/auth/reset-password")
            .json(&json!({ "token": token, "newPassword": "new-password-456" }))
            .send()
            .await;
        assert_eq!(done.status, 200, "{storage:?}: {}", done.text());
    }
}

async fn expired_verification_rows_are_deleted(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let first = TestApp::on(db, move |b| {
        b.mailer(m)
            .reset_password_token_expires_in(Duration::from_secs(1))
    })
    .await;
    first.sign_up("old@example.com", "password123").await;
    request_reset(&first, "old@example.com", None).await;
    mailer.wait_for(1).await;
    let count = r#"select count(*) from "verification""#;
    assert_eq!(
        first.sql_scalar(&first.quote(count)).await.as_deref(),
        Some("1")
    );
    tokio::time::sleep(Duration::from_millis(1500)).await;

    // A second instance on the same database cleans up on its first write path.
    let second = authgate::Auth::builder()
        .environment(|_| None)
        .secret(crate::common::TEST_SECRET)
        .base_url(BASE_URL)
        .mailer(CaptureMailer::default())
        .validate()
        .unwrap()
        .connect(&first.db.url)
        .await
        .unwrap();
    second
        .api()
        .request_password_reset("nobody@example.com", None)
        .await
        .unwrap();
    assert_eq!(
        first.sql_scalar(&first.quote(count)).await.as_deref(),
        Some("0"),
        "the expired row is gone"
    );
}

async fn known_and_unknown_addresses_get_the_same_answer_after_the_floor(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    app.sign_up("known@example.com", "password123").await;
    let mut answers = Vec::new();
    for (path, email) in [
        ("/api/auth/request-password-reset", "known@example.com"),
        ("/api/auth/request-password-reset", "unknown@example.com"),
        ("/api/auth/send-verification-email", "known@example.com"),
        ("/api/auth/send-verification-email", "unknown@example.com"),
    ] {
        let started = Instant::now();
        let response = app
            .client
            .post(path)
            .json(&json!({ "email": email }))
            .send()
            .await;
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_millis(500),
            "{path} {email}: {elapsed:?}"
        );
        answers.push((path, response.status, response.text()));
    }
    assert_eq!(answers[0].1, 200);
    assert_eq!(answers[0], answers[1]);
    assert_eq!(answers[2], answers[3]);
    assert_eq!(answers[2].2, r#"{"status":true}"#);
    let mails = mailer.wait_for(2).await;
    assert!(mails.iter().all(|m| m.to == "known@example.com"));
    assert_eq!(app.auth.mail_statistics().queued, 2);
}

async fn mails_per_address_are_capped_without_changing_the_answer(backend: Backend) {
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let app = TestApp::with(backend, move |b| b.mailer(m).mails_per_address(3)).await;
    app.sign_up("bomb@example.com", "password123").await;
    for _ in 0..5 {
        let answer = request_reset(&app, "bomb@example.com", None).await;
        assert_eq!(answer.status, 200);
    }
    wait_for_statistics(&app.auth, "three sent", |s| s.sent == 3).await;
    let stats = app.auth.mail_statistics();
    assert_eq!((stats.queued, stats.capped), (3, 2), "{stats:?}");
    assert_eq!(mailer.messages().len(), 3);
}

async fn a_full_queue_drops_and_counts_without_delaying_the_answer(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.mailer(StuckMailer)
            .mail_queue_limit(1)
            .mails_per_address(100)
    })
    .await;
    app.sign_up("q@example.com", "password123").await;
    for _ in 0..5 {
        let answer = request_reset(&app, "q@example.com", None).await;
        assert_eq!(answer.status, 200);
    }
    let stats = app.auth.mail_statistics();
    assert_eq!(stats.queued + stats.dropped, 5, "{stats:?}");
    assert!(
        stats.dropped >= 3,
        "one in the worker, one waiting: {stats:?}"
    );
    let rows = app
        .sql_scalar(&app.quote(r#"select count(*) from "verification""#))
        .await;
    assert_eq!(rows.as_deref(), Some("5"), "every token row was written");
}

async fn send_verification_email_rules_with_a_session(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    let mut zoe = app.sign_up("zoe@example.com", "password123").await;
    let mine = app
        .post(
            "/api/auth/send-verification-email",
            &mut zoe,
            json!({ "email": "zoe@example.com" }),
        )
        .await;
    assert_eq!(mine.status, 200, "{}", mine.text());
    let other = app
        .post(
            "/api/auth/send-verification-email",
            &mut zoe,
            json!({ "email": "vera@example.com" }),
        )
        .await;
    assert_eq!(other.error_code(), "EMAIL_MISMATCH");
    let no_origin = app
        .client
        .post("/api/auth/send-verification-email")
        .json(&json!({ "email": "zoe@example.com" }))
        .send_with(&mut zoe)
        .await;
    assert_eq!(no_origin.error_code(), "MISSING_OR_NULL_ORIGIN");
    let link = mailer.wait_for(1).await.remove(0).link;
    assert_eq!(app.client.get(&path_of(&link)).send().await.status, 302);
    let verified = app
        .post(
            "/api/auth/send-verification-email",
            &mut zoe,
            json!({ "email": "zoe@example.com" }),
        )
        .await;
    assert_eq!(verified.error_code(), "EMAIL_ALREADY_VERIFIED");
    let untrusted = app
        .client
        .post("/api/auth/send-verification-email")
        .json(&json!({ "email": "zoe@example.com", "callbackURL": "https://evil.example/x" }))
        .send()
        .await;
    assert_eq!(untrusted.error_code(), "INVALID_CALLBACK_URL");
}

async fn verify_email_errors_answer_or_redirect(backend: Backend) {
    let (app, mailer) = app(backend, |b| {
        b.email_verification_expires_in(Duration::from_secs(1))
    })
    .await;
    let garbage = app
        .client
        .get("/api/auth/verify-email?token=garbage")
        .send()
        .await;
    assert_eq!(garbage.status, 401);
    assert_eq!(garbage.error_code(), "INVALID_TOKEN");
    let redirected = app
        .client
        .get("/api/auth/verify-email?token=garbage&callbackURL=/dashboard%3Ftab%3D1")
        .send()
        .await;
    assert_eq!(redirected.status, 302);
    assert_eq!(
        redirected.header("location"),
        Some("/dashboard?tab=1&error=INVALID_TOKEN")
    );
    let missing = app.client.get("/api/auth/verify-email").send().await;
    assert_eq!(missing.status, 400);
    assert_eq!(missing.error_code(), "VALIDATION_ERROR");
    let untrusted = app
        .client
        .get("/api/auth/verify-email?token=x&callbackURL=https://evil.example/")
        .send()
        .await;
    assert_eq!(untrusted.error_code(), "INVALID_CALLBACK_URL");

    let user = app
        .auth
        .api()
        .create_user(authgate::api::SignUp::new(
            "Sam",
            "sam@example.com",
            "password123",
        ))
        .await
        .unwrap();
    app.auth
        .api()
        .send_verification_email(&user.id, Some("/dashboard"))
        .await
        .unwrap();
    let link = mailer.wait_for(1).await.remove(0).link;
    // jose's check is `exp <= now`: after two seconds a one-second token has expired.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let token = query_param(&link, "token").unwrap();
    let expired = app
        .client
        .get(&format!("/api/auth/verify-email?token={token}"))
        .send()
        .await;
    assert_eq!(expired.status, 401);
    assert_eq!(expired.error_code(), "TOKEN_EXPIRED");
    let expired = app.client.get(&path_of(&link)).send().await;
    assert_eq!(
        expired.header("location"),
        Some("/dashboard?error=TOKEN_EXPIRED")
    );

    // A user deleted after the mail: USER_NOT_FOUND.
    let (app, mailer) = self::app(backend, |b| b).await;
    let user = app
        .auth
        .api()
        .create_user(authgate::api::SignUp::new(
            "Del",
            "del@example.com",
            "password123",
        ))
        .await
        .unwrap();
    app.auth
        .api()
        .send_verification_email(&user.id, None)
        .await
        .unwrap();
    let link = mailer.wait_for(1).await.remove(0).link;
    app.auth.api().delete_user(&user.id).await.unwrap();
    let gone = app.client.get(&path_of(&link)).send().await;
    assert_eq!(gone.status, 302);
    assert_eq!(gone.header("location"), Some("/?error=USER_NOT_FOUND"));
}

async fn verification_tokens_of_a_rotated_secret_still_verify(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let old = TestApp::on(db, move |b| b.mailer(m)).await;
    let user = old
        .auth
        .api()
        .create_user(authgate::api::SignUp::new(
            "Rot",
            "rot@example.com",
            "password123",
        ))
        .await
        .unwrap();
    old.auth
        .api()
        .send_verification_email(&user.id, None)
        .await
        .unwrap();
    let token = query_param(&mailer.wait_for(1).await.remove(0).link, "token").unwrap();

    let rotated = authgate::Auth::builder()
        .environment(|_| None)
        .secrets([
            "a-newer-secret-Qw8rT5yU2iO9pA3sD6fG1hJ4kL7zX0cV",
            crate::common::TEST_SECRET,
        ])
        .base_url(BASE_URL)
        .validate()
        .unwrap()
        .connect(&old.db.url)
        .await
        .unwrap();
    let verified = rotated.api().verify_email(&token).await.unwrap();
    assert!(verified.email_verified);
}

async fn links_are_built_from_the_base_url_and_base_path(backend: Backend) {
    let (app, mailer) = app(backend, |b| b.base_path("/auth")).await;
    app.sign_up("lin@example.com", "password123").await;
    // Headers a client controls never change where links point.
    app.client
        .post("/api/auth/request-password-reset")
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .json(&json!({ "email": "lin@example.com" }))
        .send()
        .await;
    let link = mailer.wait_for(1).await.remove(0).link;
    assert!(
        link.starts_with(&format!("{BASE_URL}/auth/reset-password/")),
        "{link}"
    );
}

async fn deletion_links_delete_only_their_own_user(backend: Backend) {
    let (app, mailer) = app(backend, |b| {
        b.delete_user(true).send_delete_account_verification(true)
    })
    .await;
    let mut gus = app.sign_up("gus@example.com", "password123").await;
    let mut hal = app.sign_up("hal@example.com", "password123").await;
    let asked = app.post("/api/auth/delete-user", &mut gus, json!({})).await;
    assert_eq!(asked.status, 200, "{}", asked.text());
    assert_eq!(
        asked.json(),
        json!({ "success": true, "message": "Verification email sent" })
    );
    let mail = mailer.wait_for(1).await.remove(0);
    assert_eq!(
        (mail.kind, mail.to.as_str()),
        (MailKind::DeleteAccount, "gus@example.com")
    );
    assert!(
        mail.link
            .starts_with(&format!("{BASE_URL}/api/auth/delete-user/callback?token="))
    );
    let token = query_param(&mail.link, "token").unwrap();
    assert!(
        token.len() == 32
            && token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    );

    let anonymous = app.client.get(&path_of(&mail.link)).send().await;
    assert_eq!(anonymous.status, 404);
    assert_eq!(anonymous.error_code(), "FAILED_TO_GET_USER_INFO");
    let other = app.get(&path_of(&mail.link), &mut hal).await;
    assert_eq!(
        other.error_code(),
        "INVALID_TOKEN",
        "another user's session cannot use it"
    );
    let again = app.get(&path_of(&mail.link), &mut gus).await;
    assert_eq!(
        again.error_code(),
        "INVALID_TOKEN",
        "and the attempt used it up"
    );

    let asked = app
        .post(
            "/api/auth/delete-user",
            &mut gus,
            json!({ "callbackURL": "/bye" }),
        )
        .await;
    assert_eq!(asked.status, 200);
    let link = mailer.wait_for(2).await.remove(1).link;
    let deleted = app.get(&path_of(&link), &mut gus).await;
    assert_eq!(deleted.status, 302, "{}", deleted.text());
    assert_eq!(deleted.header("location"), Some("/bye"));
    assert!(!deleted.set_cookies().is_empty(), "the cookies are cleared");
    let gone = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "gus@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(gone.status, 401);
    app.sign_in("hal@example.com", "password123").await;
}
