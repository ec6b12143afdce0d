//! Issue 9's findings from an outside review: bounded stored values, per-account limits on
//! every password check, dot segments in callback URLs, per-session limits for verified
//! credentials, and the small differences from Better-Auth's answers.

use serde_json::json;

use crate::backend_tests;
use crate::common::Backend;
use crate::common::{Jar, TestApp, q};

backend_tests!(
    sign_in_with_an_empty_callback_url_answers_an_empty_url,
    the_415_message_quotes_the_whole_content_type,
    callback_urls_are_judged_after_dot_segment_removal,
    a_huge_user_agent_is_stored_cut_to_512_characters,
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
