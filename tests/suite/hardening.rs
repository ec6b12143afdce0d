//! Issue 9's findings from an outside review: bounded stored values, per-account limits on
//! every password check, dot segments in callback URLs, per-session limits for verified
//! credentials, and the small differences from Better-Auth's answers.

use std::time::Duration;

use authgate::{RateLimit, RateLimitStorage, Rule};
use serde_json::json;

use crate::backend_tests;
use crate::common::Backend;
use crate::common::{Jar, TestApp, q};

backend_tests!(
    sign_in_with_an_empty_callback_url_answers_an_empty_url,
    the_415_message_quotes_the_whole_content_type,
    callback_urls_are_judged_after_dot_segment_removal,
    a_huge_user_agent_is_stored_cut_to_512_characters,
    password_checks_with_a_session_share_the_per_account_limit,
    verified_credentials_are_limited_per_session_not_per_address,
);

async fn sign_in_with_an_empty_callback_url_answers_an_empty_url(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("empty-url@example.com", "password123").await;
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "empty-url@example.com", "password": "password123", "callbackURL": "" }))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let body = response.json();
    assert_eq!(body["url"], json!(""), "Better-Auth answers \"url\": \"\"");
    assert_eq!(body["redirect"], json!(false));
    assert!(response.header("location").is_none());
    // Without a callbackURL, no url at all.
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "empty-url@example.com", "password": "password123" }))
        .send()
        .await;
    assert!(response.json().get("url").is_none(), "{}", response.text());
}

async fn the_415_message_quotes_the_whole_content_type(backend: Backend) {
    let app = TestApp::new(backend).await;
    for (path, content_type, allowed) in [
        (
            "/api/auth/sign-up/email",
            "Text/Plain; charset=UTF-8",
            "application/x-www-form-urlencoded, application/json",
        ),
        (
            "/api/auth/sign-out",
            "application/xml;charset=utf-8",
            "application/json",
        ),
    ] {
        let response = app
            .client
            .post(path)
            .header("content-type", content_type)
            .body(r#"{"email":"x@example.com"}"#)
            .send()
            .await;
        assert_eq!(response.status, 415, "{path}");
        assert_eq!(
            response.json(),
            json!({
                "message": format!("Content-Type \"{content_type}\" is not allowed. Allowed types: {allowed}"),
                "code": "UNSUPPORTED_MEDIA_TYPE"
            }),
            "{path}"
        );
    }
}

async fn callback_urls_are_judged_after_dot_segment_removal(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("dots@example.com", "password123").await;
    for target in [
        "/.//evil.com",
        "/x/../..//evil.com",
        "/%2e//evil.com",
        "/./\\evil.com",
        "/%2E%2E//evil.com",
    ] {
        for (path, body) in [
            (
                "/api/auth/sign-in/email",
                json!({ "email": "dots@example.com", "password": "password123", "callbackURL": target }),
            ),
            ("/api/auth/sign-out", json!({ "callbackURL": target })),
        ] {
            let response = app.client.post(path).json(&body).send().await;
            assert_eq!(
                (response.status.as_u16(), response.error_code()),
                (403, "INVALID_CALLBACK_URL".to_owned()),
                "{path} {target}"
            );
            assert!(response.header("location").is_none());
        }
        // In the query too.
        let response = app
            .client
            .post(&format!(
                "/api/auth/sign-in/email?callbackURL={}",
                target.replace('%', "%25").replace('\\', "%5C")
            ))
            .json(&json!({ "email": "dots@example.com", "password": "password123" }))
            .send()
            .await;
        assert_eq!(response.status, 403, "query {target}");
    }
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "dots@example.com", "password": "password123", "callbackURL": "/dashboard/../settings" }))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    assert_eq!(response.header("location"), Some("/dashboard/../settings"));
}

async fn a_huge_user_agent_is_stored_cut_to_512_characters(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("ua@example.com", "password123").await;
    // 350 KB, as in the review (hyper's default header buffer takes it).
    let huge: String = (0..350 * 1024)
        .map(|i| char::from(b'a' + (i % 26) as u8))
        .collect();
    let mut jar = Jar::default();
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .header("user-agent", &huge)
        .json(&json!({ "email": "ua@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let token = response.json()["token"].as_str().unwrap().to_owned();

    let listed = app.get("/api/auth/list-sessions", &mut jar).await;
    assert_eq!(listed.status, 200);
    assert!(
        listed.body.len() < 4096,
        "list-sessions stays small: {} bytes",
        listed.body.len()
    );
    let sessions = listed.json();
    let ours = sessions
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["token"] == token.as_str())
        .expect("the new session is listed");
    assert_eq!(ours["userAgent"].as_str().unwrap(), &huge[..512]);

    let b = backend;
    let stored = app
        .sql_scalar(&format!(
            "select {} from {} where {} = '{token}'",
            q(b, "userAgent"),
            q(b, "session"),
            q(b, "token")
        ))
        .await
        .unwrap();
    assert_eq!(stored, &huge[..512]);

    let session = app.get("/api/auth/get-session", &mut jar).await;
    assert_eq!(
        session.json()["session"]["userAgent"]
            .as_str()
            .unwrap()
            .len(),
        512
    );
}

/// With a stolen cookie, guesses at the current password through change-password, delete-user
/// and verify-password count against the account's per-account limit, the counter sign-in
/// uses, from however many addresses: after the limit even the right password is refused.
async fn password_checks_with_a_session_share_the_per_account_limit(backend: Backend) {
    for storage in [RateLimitStorage::Memory, RateLimitStorage::Database] {
        let app = TestApp::with(backend, |b| {
            b.rate_limit(
                RateLimit::default()
                    // A window no slow machine crosses between two attempts.
                    .per_account(Rule::new(5, Duration::from_secs(3600)))
                    // Requests with the cookie count per session (3 per 10 s by default for
                    // change-password): room for every attempt here.
                    .rule(
                        "/change-password",
                        Rule::new(100, Duration::from_secs(3600)),
                    )
                    .storage(storage),
            )
            .trusted_proxies(["127.0.0.1"])
            .delete_user(true)
        })
        .await;
        let mut jar = app.sign_up("victim@example.com", "password123").await;
        let mut from = 0u32;
        let mut next_address = || {
            from += 1;
            format!("198.51.100.{from}")
        };
        let mut post = async |path: &str, body: serde_json::Value, jar: &mut Jar| {
            app.client
                .post(path)
                .with_frontend_origin()
                .header("x-forwarded-for", &next_address())
                .json(&body)
                .send_with(jar)
                .await
        };
        let change = |current: &str| json!({ "currentPassword": current, "newPassword": "another-password-1" });

        // A success resets the count (only consecutive failures add up).
        for _ in 0..4 {
            let response = post("/api/auth/change-password", change("wrong-guess"), &mut jar).await;
            assert_eq!(
                (response.status.as_u16(), response.error_code()),
                (400, "INVALID_PASSWORD".to_owned()),
                "{storage:?}"
            );
        }
        let response = post(
            "/api/auth/change-password",
            json!({ "currentPassword": "password123", "newPassword": "password123" }),
            &mut jar,
        )
        .await;
        assert_eq!(response.status, 200, "{storage:?}: {}", response.text());

        // Sign-in failures and password checks with the session share one counter.
        let mut statuses = Vec::new();
        for _ in 0..2 {
            let response = app
                .client
                .post("/api/auth/sign-in/email")
                .header("x-forwarded-for", &format!("203.0.113.{}", statuses.len()))
                .json(&json!({ "email": "victim@example.com", "password": "wrong-guess" }))
                .send()
                .await;
            statuses.push(response.status.as_u16());
        }
        for _ in 0..2 {
            let response = post("/api/auth/change-password", change("wrong-guess"), &mut jar).await;
            statuses.push(response.status.as_u16());
        }
        let response = post(
            "/api/auth/delete-user",
            json!({ "password": "wrong-guess" }),
            &mut jar,
        )
        .await;
        statuses.push(response.status.as_u16());
        let response = post(
            "/api/auth/verify-password",
            json!({ "password": "wrong-guess" }),
            &mut jar,
        )
        .await;
        statuses.push(response.status.as_u16());
        for _ in 0..2 {
            let response = post("/api/auth/change-password", change("wrong-guess"), &mut jar).await;
            statuses.push(response.status.as_u16());
        }
        assert_eq!(
            statuses,
            [401, 401, 400, 400, 400, 429, 429, 429],
            "{storage:?}: five failures, then the account is locked"
        );

        // Locked: the right password is refused too, before any hashing, everywhere.
        let hashes = app.auth.password_hashes_computed();
        let response = post("/api/auth/change-password", change("password123"), &mut jar).await;
        assert_eq!(response.status, 429, "{storage:?}: {}", response.text());
        let response = post(
            "/api/auth/delete-user",
            json!({ "password": "password123" }),
            &mut jar,
        )
        .await;
        assert_eq!(response.status, 429, "{storage:?}: {}", response.text());
        let response = post(
            "/api/auth/verify-password",
            json!({ "password": "password123" }),
            &mut jar,
        )
        .await;
        assert_eq!(response.status, 429, "{storage:?}: {}", response.text());
        let response = app
            .client
            .post("/api/auth/sign-in/email")
            .header("x-forwarded-for", "192.0.2.77")
            .json(&json!({ "email": "victim@example.com", "password": "password123" }))
            .send()
            .await;
        assert_eq!(response.status, 429, "{storage:?}");
        assert_eq!(
            app.auth.password_hashes_computed(),
            hashes,
            "refused before hashing"
        );
        // The user still exists, with the old password.
        let me = app.get("/me", &mut jar).await;
        assert_eq!(me.status, 200, "{storage:?}");
    }
}

/// A second backend validating each of its users' requests through `get-session` from one
/// address is never limited while the credential verifies; anonymous requests and forged
/// signatures from that address keep the per-address limit; other endpoints count per session.
async fn verified_credentials_are_limited_per_session_not_per_address(backend: Backend) {
    for storage in [RateLimitStorage::Memory, RateLimitStorage::Database] {
        // Windows no slow machine crosses during the test.
        let hour = Duration::from_secs(3600);
        let app = TestApp::with(backend, |b| {
            b.rate_limit(
                RateLimit::default()
                    .rule("/get-session", Rule::new(20, hour))
                    .rule("/list-sessions", Rule::new(5, hour))
                    .storage(storage),
            )
        })
        .await;
        // Sign-up is limited per address (3 per 10 s): one user, two sessions through the API.
        let mut alice = app.sign_up("alice@example.com", "password123").await;
        let mut second = app.sign_in("alice@example.com", "password123").await;
        let signed = alice.session_cookie().to_owned();

        // 300 cookie requests from one address, then 300 bearer ones: all answered.
        for i in 0..300 {
            let response = app.get("/api/auth/get-session", &mut alice).await;
            assert_eq!(response.status, 200, "{storage:?} cookie request {i}");
            assert_eq!(response.json()["user"]["email"], "alice@example.com");
        }
        let bearer = format!(
            "Bearer {}",
            crate::common::http_client::percent_decode(&signed)
        );
        for i in 0..300 {
            let response = app
                .client
                .get("/api/auth/get-session")
                .header("authorization", &bearer)
                .send()
                .await;
            assert_eq!(response.status, 200, "{storage:?} bearer request {i}");
        }

        // Anonymous requests from the same address: the rule's max, then 429.
        let mut statuses = Vec::new();
        for _ in 0..21 {
            statuses.push(
                app.client
                    .get("/api/auth/get-session")
                    .send()
                    .await
                    .status
                    .as_u16(),
            );
        }
        assert_eq!(statuses[..20], [200; 20], "{storage:?}");
        assert_eq!(statuses[20], 429, "{storage:?}");
        // A forged signature is anonymous traffic: still limited by the address.
        let (token, _) = signed.split_once('.').unwrap();
        let forged = format!("better-auth.session_token={token}.AAAA");
        let response = app
            .client
            .get("/api/auth/get-session")
            .header("cookie", &forged)
            .send()
            .await;
        assert_eq!(response.status, 429, "{storage:?}: forged signature");
        // The verified session is still answered.
        assert_eq!(
            app.get("/api/auth/get-session", &mut alice).await.status,
            200
        );

        // Other endpoints count per session: five for one session, then 429 for it alone.
        for _ in 0..5 {
            assert_eq!(
                app.get("/api/auth/list-sessions", &mut alice).await.status,
                200
            );
        }
        assert_eq!(
            app.get("/api/auth/list-sessions", &mut alice).await.status,
            429
        );
        assert_eq!(
            app.get("/api/auth/list-sessions", &mut second).await.status,
            200,
            "{storage:?}: another session from the same address has its own budget"
        );
    }
}
