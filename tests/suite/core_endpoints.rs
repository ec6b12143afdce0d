//! The core endpoints Better-Auth 1.7.25 serves that authgate added with issue 9:
//! `POST /verify-password`, `POST /update-session` and `GET /error`, with the shapes recorded
//! from a real better-auth@1.7.25 server.

use std::sync::{Arc, Mutex};

use authgate::fields::Field;
use authgate::hooks::{DatabaseHooks, Operation};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp, q};

backend_tests!(
    verify_password_answers_status_true_or_invalid_password,
    update_session_sets_additional_session_fields_with_hooks,
    the_error_page_shows_the_code_and_escapes_the_description,
);

async fn verify_password_answers_status_true_or_invalid_password(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("verify@example.com", "password123").await;
    let verify = async |body: serde_json::Value, jar: &mut Jar| {
        app.client
            .post("/api/auth/verify-password")
            .with_frontend_origin()
            .json(&body)
            .send_with(jar)
            .await
    };
    let ok = verify(json!({ "password": "password123" }), &mut jar).await;
    assert_eq!(
        (ok.status.as_u16(), ok.json()),
        (200, json!({ "status": true }))
    );
    let wrong = verify(json!({ "password": "wrong-password" }), &mut jar).await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.json()),
        (
            400,
            json!({ "message": "Invalid password", "code": "INVALID_PASSWORD" })
        )
    );
    // Better-Auth's validation messages, recorded.
    for (body, message) in [
        (
            json!({}),
            "[body.password] Invalid input: expected string, received undefined",
        ),
        (
            json!({ "password": 5 }),
            "[body.password] Invalid input: expected string, received number",
        ),
        (
            json!([]),
            "[body] Invalid input: expected object, received array",
        ),
    ] {
        let response = verify(body.clone(), &mut jar).await;
        assert_eq!(
            (response.status.as_u16(), response.json()),
            (
                400,
                json!({ "message": message, "code": "VALIDATION_ERROR" })
            ),
            "{body}"
        );
    }
    let too_long = verify(json!({ "password": "p".repeat(200) }), &mut jar).await;
    assert_eq!(too_long.error_code(), "PASSWORD_TOO_LONG");
    // No session: 401; a cookie from an untrusted origin: 403.
    let anonymous = app
        .client
        .post("/api/auth/verify-password")
        .json(&json!({ "password": "password123" }))
        .send()
        .await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.json()),
        (
            401,
            json!({ "message": "Unauthorized", "code": "UNAUTHORIZED" })
        )
    );
    let cross_site = app
        .client
        .post("/api/auth/verify-password")
        .header("origin", "http://evil.example")
        .json(&json!({ "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(cross_site.error_code(), "INVALID_ORIGIN");
}

/// What the session update hook saw: the operation and the `device` value.
type Seen = Arc<Mutex<Vec<(Operation, Option<String>)>>>;

async fn update_session_sets_additional_session_fields_with_hooks(backend: Backend) {
    let seen: Seen = Arc::default();
    let hooks = {
        let seen = seen.clone();
        DatabaseHooks::new().session_update_before(move |mut change, ctx| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((
                    ctx.operation(),
                    change.fields.get_str("device").map(str::to_owned),
                ));
                if change.fields.get_str("device") == Some("vetoed") {
                    change.fields.set("device", "changed-by-hook");
                }
                Ok(change)
            }
        })
    };
    let app = TestApp::with(backend, |b| {
        b.session_field("device", Field::string().optional().input(true))
            .session_field("trusted", Field::boolean().optional())
            .database_hooks(hooks)
    })
    .await;
    let mut jar = app.sign_up("device@example.com", "password123").await;
    let token = jar.session_token();
    let response = app
        .post(
            "/api/auth/update-session",
            &mut jar,
            json!({ "device": "laptop", "token": "ignored", "userId": "ignored" }),
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let session = &response.json()["session"];
    assert_eq!(session["device"], "laptop");
    assert_eq!(session["token"], token.as_str(), "unknown keys are ignored");
    let text = response.text();
    let mut keys: Vec<&str> = session
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_by_key(|key| text.find(&format!("\"{key}\":")).unwrap());
    assert!(text.starts_with(r#"{"session":{"#), "{text}");
    assert_eq!(
        keys,
        [
            "expiresAt",
            "token",
            "createdAt",
            "updatedAt",
            "ipAddress",
            "userAgent",
            "userId",
            "device",
            "trusted",
            "id"
        ],
        "Better-Auth's key order"
    );
    assert!(
        response
            .set_cookies()
            .iter()
            .any(|c| c.starts_with("better-auth.session_token=")),
        "the session cookie is sent again"
    );
    assert_eq!(
        seen.lock().unwrap().last().unwrap(),
        &(Operation::UpdateSession, Some("laptop".to_owned()))
    );
    let b = backend;
    let stored = app
        .sql_scalar(&format!(
            "select {} from {} where {} = '{token}'",
            q(b, "device"),
            q(b, "session"),
            q(b, "token")
        ))
        .await;
    assert_eq!(stored.as_deref(), Some("laptop"));
    let current = app.get("/api/auth/get-session", &mut jar).await;
    assert_eq!(current.json()["session"]["device"], "laptop");

    // The hooks may change what is written.
    let hooked = app
        .post(
            "/api/auth/update-session",
            &mut jar,
            json!({ "device": "vetoed" }),
        )
        .await;
    assert_eq!(hooked.json()["session"]["device"], "changed-by-hook");

    // Nothing settable: 400 (a field clients may not set is refused).
    for body in [json!({}), json!({ "nope": 1 }), json!({ "token": "x" })] {
        let response = app
            .post("/api/auth/update-session", &mut jar, body.clone())
            .await;
        assert_eq!(
            (response.status.as_u16(), response.json()["message"].clone()),
            (400, json!("No fields to update")),
            "{body}"
        );
    }
    let refused = app
        .post(
            "/api/auth/update-session",
            &mut jar,
            json!({ "trusted": true }),
        )
        .await;
    assert_eq!(refused.error_code(), "FIELD_NOT_ALLOWED");
    let array = app
        .post("/api/auth/update-session", &mut jar, json!([]))
        .await;
    assert_eq!(
        (array.status.as_u16(), array.json()["message"].clone()),
        (
            400,
            json!("[body] Invalid input: expected record, received array")
        )
    );
    let anonymous = app
        .client
        .post("/api/auth/update-session")
        .json(&json!({ "device": "x" }))
        .send()
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn the_error_page_shows_the_code_and_escapes_the_description(backend: Backend) {
    let app = TestApp::new(backend).await;
    let response = app
        .client
        .get("/api/auth/error?error=INVALID_TOKEN&error_description=%3Cscript%3Ealert(%22x%22)%3C%2Fscript%3E%20%26%20more")
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert!(
        response
            .header("content-type")
            .unwrap()
            .starts_with("text/html"),
        "{:?}",
        response.header("content-type")
    );
    let html = response.text();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("INVALID_TOKEN"));
    assert!(
        html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; more"),
        "{html}"
    );
    assert!(!html.contains("<script>"));

    // A code that is not `[A-Za-z0-9_'-]+` is shown as UNKNOWN, as Better-Auth does.
    for query in ["?error=%3Cimg%3E", "?error=A%20B", "", "?error="] {
        let html = app
            .client
            .get(&format!("/api/auth/error{query}"))
            .send()
            .await
            .text();
        assert!(html.contains("UNKNOWN"), "{query}");
        assert!(!html.contains("<img>"), "{query}");
    }
    let quoted = app
        .client
        .get("/api/auth/error?error=it's")
        .send()
        .await
        .text();
    assert!(quoted.contains("it&#39;s"));
}
