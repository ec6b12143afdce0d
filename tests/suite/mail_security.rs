//! The security checklist's checks on account mails (15, 25, 28, 29, 30, 34.4, R10).

use std::time::{Duration, Instant};

use crate::backend_tests;
use crate::common::mail::{CaptureMailer, StuckMailer, path_of, wait_for_statistics};
use crate::common::{BASE_URL, Backend, Jar, TEST_SECRET, TestApp, make_social_only};
use authgate::mail::{MailError, MailFuture, Mailer, Message};
use serde_json::{Value, json};

backend_tests!(
    c15_a_reset_signs_nobody_in_ends_sessions_and_voids_other_reset_links,
    c25_reset_and_resend_answers_do_not_reveal_accounts_or_mail_failures,
    c28_reset_tokens_expire_are_single_use_and_bound_to_their_user,
    c29_reset_links_come_from_configuration_and_land_without_referrer,
    c30_forged_expired_and_replayed_verification_tokens_change_nothing,
    c34_4_reset_mails_per_address_are_capped_with_identical_answers,
    r10_a_hanging_or_failing_mailer_never_holds_up_the_answer,
);

async fn app(
    backend: Backend,
    configure: impl FnOnce(authgate::AuthBuilder) -> authgate::AuthBuilder,
) -> (TestApp, CaptureMailer) {
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let app = TestApp::with(backend, move |b| {
        configure(b.mailer(m).mails_per_address(100))
    })
    .await;
    (app, mailer)
}

async fn post(app: &TestApp, path: &str, body: Value) -> crate::common::TestResponse {
    app.client.post(path).json(&body).send().await
}

fn reset_token(link: &str) -> String {
    url::Url::parse(link)
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned()
}

async fn request_reset_token(app: &TestApp, mailer: &CaptureMailer, email: &str) -> String {
    let before = mailer.messages().len();
    let answer = post(
        app,
        "/api/auth/request-password-reset",
        json!({ "email": email }),
    )
    .await;
    assert_eq!(answer.status, 200, "{}", answer.text());
    reset_token(&mailer.wait_for(before + 1).await[before].link)
}

async fn c15_a_reset_signs_nobody_in_ends_sessions_and_voids_other_reset_links(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    let mut one = app.sign_up("r@example.com", "password123").await;
    let _two = app.sign_in("r@example.com", "password123").await;
    let r1 = request_reset_token(&app, &mailer, "r@example.com").await;
    let r2 = request_reset_token(&app, &mailer, "r@example.com").await;
    let reset = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": r1, "newPassword": "new-password-1" }),
    )
    .await;
    assert_eq!(reset.status, 200);
    assert!(reset.set_cookies().is_empty(), "a reset signs nobody in");
    let sessions = app
        .sql_scalar(&app.quote(r#"select count(*) from "session""#))
        .await;
    assert_eq!(sessions.as_deref(), Some("0"));
    assert_eq!(
        app.get("/api/auth/get-session", &mut one).await.text(),
        "null"
    );
    let other = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": r2, "newPassword": "new-password-2" }),
    )
    .await;
    assert_eq!(
        other.error_code(),
        "INVALID_TOKEN",
        "the sibling link died with the reset"
    );

    // A password change voids outstanding links too.
    let r3 = request_reset_token(&app, &mailer, "r@example.com").await;
    let mut jar = app.sign_in("r@example.com", "new-password-1").await;
    let changed = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "new-password-1", "newPassword": "new-password-3" }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    let late = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": r3, "newPassword": "new-password-4" }),
    )
    .await;
    assert_eq!(late.error_code(), "INVALID_TOKEN");

    // So does a first password for a user without a credential account (as a social sign-in
    // leaves it), set through the API.
    app.sign_up("s@example.com", "password123").await;
    make_social_only(app.auth.database(), backend, "s@example.com").await;
    let r4 = request_reset_token(&app, &mailer, "s@example.com").await;
    let user_id = app
        .sql_scalar(&app.quote(r#"select "id" from "user" where "email" = 's@example.com'"#))
        .await
        .unwrap();
    app.auth
        .api()
        .set_password(&user_id, "new-password-5")
        .await
        .unwrap();
    let voided = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": r4, "newPassword": "new-password-6" }),
    )
    .await;
    assert_eq!(voided.error_code(), "INVALID_TOKEN", "{}", voided.text());
}

/// Fails every send.
#[derive(Debug)]
struct FailingMailer;

impl Mailer for FailingMailer {
    fn send<'a>(&'a self, _message: &'a Message) -> MailFuture<'a> {
        Box::pin(async { Err(MailError::other("the relay is down")) })
    }
}

fn keys(value: &Value) -> Vec<String> {
    value.as_object().unwrap().keys().cloned().collect()
}

async fn c25_reset_and_resend_answers_do_not_reveal_accounts_or_mail_failures(backend: Backend) {
    let (app, mailer) = app(backend, |b| b.require_email_verification(true)).await;
    let failing = TestApp::with(backend, |b| b.mailer(FailingMailer)).await;
    for app in [&app, &failing] {
        let signed_up = app
            .client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": "K", "email": "known@example.com", "password": "password123" }))
            .send()
            .await;
        assert_eq!(signed_up.status, 200);
    }
    let mut answers = Vec::new();
    for (app, email) in [
        (&app, "known@example.com"),
        (&app, "nobody@example.com"),
        (&failing, "known@example.com"),
    ] {
        for path in [
            "/api/auth/request-password-reset",
            "/api/auth/send-verification-email",
        ] {
            let started = Instant::now();
            let answer = post(app, path, json!({ "email": email })).await;
            assert!(
                started.elapsed() >= Duration::from_millis(450),
                "{path} {email}"
            );
            answers.push((path, answer.status, answer.text()));
        }
    }
    for pair in answers.chunks(2).skip(1) {
        assert_eq!(
            pair,
            &answers[0..2],
            "the same answers for every address and mailer"
        );
    }
    wait_for_statistics(&failing.auth, "the failed mails", |s| s.failed == 2).await;
    assert!(
        mailer
            .wait_for(3)
            .await
            .iter()
            .all(|m| m.to == "known@example.com")
    );

    // With verification required a taken address gets a new-looking user, keys in order.
    let first = post(
        &app,
        "/api/auth/sign-up/email",
        json!({ "name": "N", "email": "new@example.com", "password": "password123" }),
    )
    .await;
    let taken = post(
        &app,
        "/api/auth/sign-up/email",
        json!({ "name": "N", "email": "known@example.com", "password": "password123" }),
    )
    .await;
    assert_eq!(first.status, 200);
    assert_eq!(taken.status, 200);
    assert_eq!(keys(&first.json()), keys(&taken.json()));
    assert_eq!(keys(&first.json()["user"]), keys(&taken.json()["user"]));
    assert_eq!(taken.json()["token"], Value::Null);
}

async fn c28_reset_tokens_expire_are_single_use_and_bound_to_their_user(backend: Backend) {
    let (app, mailer) = app(backend, |b| {
        b.reset_password_token_expires_in(Duration::from_secs(1))
    })
    .await;
    app.sign_up("a@example.com", "password123").await;
    app.sign_up("b@example.com", "password123").await;
    let expiring = request_reset_token(&app, &mailer, "a@example.com").await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let expired = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": expiring, "newPassword": "new-password-1" }),
    )
    .await;
    assert_eq!(expired.error_code(), "INVALID_TOKEN");

    let (app, mailer) = self::app(backend, |b| b).await;
    app.sign_up("a@example.com", "password123").await;
    app.sign_up("b@example.com", "password123").await;
    let random = "aB3dE5fG7hJ9kL1mN2pQ4rS6";
    let guessed = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": random, "newPassword": "new-password-1" }),
    )
    .await;
    assert_eq!(guessed.error_code(), "INVALID_TOKEN");

    let token = request_reset_token(&app, &mailer, "a@example.com").await;
    let race = |password: &'static str| {
        let client = app.client.clone();
        let token = token.clone();
        async move {
            (
                password,
                client
                    .post("/api/auth/reset-password")
                    .json(&json!({ "token": token, "newPassword": password }))
                    .send()
                    .await,
            )
        }
    };
    let (x, y) = tokio::join!(race("winner-one-pass"), race("winner-two-pass"));
    let winner = [&x, &y]
        .into_iter()
        .find(|(_, r)| r.status == 200)
        .expect("one reset succeeds")
        .0;
    let loser = [&x, &y]
        .into_iter()
        .find(|(_, r)| r.status != 200)
        .expect("one reset fails");
    assert_eq!(loser.1.error_code(), "INVALID_TOKEN");
    app.sign_in("a@example.com", winner).await;
    let other = post(
        &app,
        "/api/auth/sign-in/email",
        json!({ "email": "a@example.com", "password": loser.0 }),
    )
    .await;
    assert_eq!(other.status, 401, "only the winner's password signs in");
    // A's token changed A only.
    app.sign_in("b@example.com", "password123").await;
    let replay = post(
        &app,
        "/api/auth/reset-password",
        json!({ "token": token, "newPassword": "third-pass-1" }),
    )
    .await;
    assert_eq!(replay.error_code(), "INVALID_TOKEN");
}

async fn c29_reset_links_come_from_configuration_and_land_without_referrer(backend: Backend) {
    let (app, mailer) = app(backend, |b| b).await;
    app.sign_up("h@example.com", "password123").await;
    let answer = app
        .client
        .post("/api/auth/request-password-reset")
        .header("host", "evil.example")
        .header("x-forwarded-host", "evil.example")
        .header("x-forwarded-proto", "http")
        .json(&json!({ "email": "h@example.com", "redirectTo": "/reset" }))
        .send()
        .await;
    assert_eq!(answer.status, 200);
    let link = mailer.wait_for(1).await.remove(0).link;
    assert!(
        link.starts_with(&format!("{BASE_URL}/api/auth/reset-password/")),
        "{link}"
    );
    let landed = app.client.get(&path_of(&link)).send().await;
    assert_eq!(landed.status, 302);
    assert_eq!(landed.header("referrer-policy"), Some("no-referrer"));
    assert!(
        landed
            .header("location")
            .unwrap()
            .starts_with(&format!("{BASE_URL}/reset?token="))
    );
    let invalid = app
        .client
        .get("/api/auth/reset-password/nonsense?callbackURL=/reset")
        .send()
        .await;
    assert_eq!(
        invalid.header("location"),
        Some(format!("{BASE_URL}/reset?error=INVALID_TOKEN").as_str())
    );
    let untrusted = app
        .client
        .get(&format!(
            "/api/auth/reset-password/{}?callbackURL=https://evil.example/",
            reset_token(&link)
        ))
        .send()
        .await;
    assert_eq!(untrusted.error_code(), "INVALID_CALLBACK_URL");
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn hs(alg: &str, payload: &Value, secret: &str) -> String {
    use hmac::{KeyInit, Mac};
    let input = format!(
        "{}.{}",
        b64(json!({ "alg": alg }).to_string().as_bytes()),
        b64(payload.to_string().as_bytes())
    );
    let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(input.as_bytes());
    format!("{input}.{}", b64(&mac.finalize().into_bytes()))
}

async fn c30_forged_expired_and_replayed_verification_tokens_change_nothing(backend: Backend) {
    let (app, mailer) = app(backend, |b| b.auto_sign_in_after_verification(true)).await;
    let user = app
        .auth
        .api()
        .create_user(authgate::api::SignUp::new(
            "J",
            "j@example.com",
            "password123",
        ))
        .await
        .unwrap();
    let now = time::OffsetDateTime::now_utc().unix_timestamp();
    let payload =
        json!({ "email": "j@example.com", "userId": user.id, "iat": now, "exp": now + 3600 });
    let none = format!(
        "{}.{}.",
        b64(br#"{"alg":"none"}"#),
        b64(payload.to_string().as_bytes())
    );
    let hs512 = hs("HS512", &payload, TEST_SECRET);
    let good = hs("HS256", &payload, TEST_SECRET);
    let (head, rest) = good.split_once('.').unwrap();
    let signature = rest.rsplit('.').next().unwrap();
    let other_email = format!(
        "{head}.{}.{signature}",
        b64(
            json!({ "email": "k@example.com", "iat": now, "exp": now + 3600 })
                .to_string()
                .as_bytes()
        )
    );
    let expired = hs(
        "HS256",
        &json!({ "email": "j@example.com", "iat": now - 10, "exp": now - 5 }),
        TEST_SECRET,
    );
    let no_exp = hs(
        "HS256",
        &json!({ "email": "j@example.com", "iat": now }),
        TEST_SECRET,
    );
    let other_user = hs(
        "HS256",
        &json!({ "email": "j@example.com", "userId": "x".repeat(32), "iat": now, "exp": now + 3600 }),
        TEST_SECRET,
    );
    for (token, code) in [
        (&none, "INVALID_TOKEN"),
        (&hs512, "INVALID_TOKEN"),
        (&other_email, "INVALID_TOKEN"),
        (&expired, "TOKEN_EXPIRED"),
        (&no_exp, "INVALID_TOKEN"),
        (&other_user, "INVALID_TOKEN"),
    ] {
        let answer = app
            .client
            .get(&format!(
                "/api/auth/verify-email?token={token}&callbackURL=/done"
            ))
            .send()
            .await;
        assert_eq!(
            answer.header("location"),
            Some(format!("/done?error={code}").as_str()),
            "{token}"
        );
        assert!(answer.set_cookies().is_empty());
    }
    let unverified = app.auth.api().get_user(&user.id).await.unwrap().unwrap();
    assert!(!unverified.email_verified && unverified.email == "j@example.com");

    let sessions = r#"select count(*) from "session""#;
    let mut jar = Jar::default();
    let verified = app
        .client
        .get(&format!("/api/auth/verify-email?token={good}"))
        .send_with(&mut jar)
        .await;
    assert_eq!(verified.status, 200);
    assert_eq!(
        app.sql_scalar(&app.quote(sessions)).await.as_deref(),
        Some("1"),
        "exactly one new session"
    );
    let replay = app
        .client
        .get(&format!("/api/auth/verify-email?token={good}"))
        .send()
        .await;
    assert_eq!(replay.status, 200);
    assert!(replay.set_cookies().is_empty());
    assert_eq!(
        app.sql_scalar(&app.quote(sessions)).await.as_deref(),
        Some("1"),
        "no session on replay"
    );
    assert!(mailer.messages().is_empty());
}

async fn c34_4_reset_mails_per_address_are_capped_with_identical_answers(backend: Backend) {
    let mailer = CaptureMailer::default();
    let m = mailer.clone();
    let app = TestApp::with(backend, move |b| b.mailer(m)).await;
    app.sign_up("flood@example.com", "password123").await;
    let mut bodies = std::collections::BTreeSet::new();
    for _ in 0..10 {
        let answer = post(
            &app,
            "/api/auth/request-password-reset",
            json!({ "email": "flood@example.com" }),
        )
        .await;
        bodies.insert((answer.status, answer.text()));
    }
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    wait_for_statistics(&app.auth, "three mails", |s| s.sent == 3 && s.capped == 7).await;
    assert_eq!(mailer.messages().len(), 3, "the default cap is 3 per hour");
}

async fn r10_a_hanging_or_failing_mailer_never_holds_up_the_answer(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.mailer(StuckMailer)
            .mail_timeout(Duration::from_secs(1))
            .mail_queue_limit(4)
            .mails_per_address(1000)
    })
    .await;
    app.sign_up("slow@example.com", "password123").await;
    for path in [
        "/api/auth/request-password-reset",
        "/api/auth/send-verification-email",
    ] {
        let started = Instant::now();
        let answer = post(&app, path, json!({ "email": "slow@example.com" })).await;
        assert_eq!(answer.status, 200);
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "{path}: {:?}",
            started.elapsed()
        );
    }
    let rows = app
        .sql_scalar(&app.quote(r#"select count(*) from "verification""#))
        .await;
    assert_eq!(
        rows.as_deref(),
        Some("1"),
        "the reset row exists although the mail hangs"
    );
    wait_for_statistics(&app.auth, "the timed-out sends", |s| s.failed == 2).await;
    // A burst: the worker holds one mail that never finishes, the queue holds four, and every
    // other mail is dropped and counted, while every answer is the documented one.
    let burst = TestApp::with(backend, |b| {
        b.mailer(StuckMailer)
            .mail_timeout(Duration::from_secs(3600))
            .mail_queue_limit(4)
            .mails_per_address(1000)
    })
    .await;
    burst.sign_up("slow@example.com", "password123").await;
    let first = post(
        &burst,
        "/api/auth/request-password-reset",
        json!({ "email": "slow@example.com" }),
    )
    .await;
    assert_eq!(first.status, 200);
    let mut requests = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let client = burst.client.clone();
        requests.spawn(async move {
            client
                .post("/api/auth/request-password-reset")
                .json(&json!({ "email": "slow@example.com" }))
                .send()
                .await
                .status
        });
    }
    while let Some(status) = requests.join_next().await {
        assert_eq!(status.unwrap(), 200);
    }
    let stats = burst.auth.mail_statistics();
    assert_eq!(stats.queued + stats.dropped, 41, "{stats:?}");
    assert!(
        stats.queued <= 5,
        "one in the worker and four waiting at most: {stats:?}"
    );
    let rows = burst
        .sql_scalar(&burst.quote(r#"select count(*) from "verification""#))
        .await;
    assert_eq!(rows.as_deref(), Some("41"), "every token row is written");
}
