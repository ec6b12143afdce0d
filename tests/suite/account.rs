//! The session-management and account endpoints: list and revoke sessions, update-user,
//! change-password, change-email, delete-user.

use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp};

backend_tests!(
    list_sessions_shows_live_sessions_of_the_user_only,
    list_sessions_needs_a_fresh_session,
    revoke_session_deletes_only_the_callers_own,
    revoke_sessions_and_revoke_other_sessions,
    update_user_changes_name_and_image_only,
    change_password_checks_the_current_one,
    change_password_can_sign_every_other_device_out,
    change_email_is_off_by_default_and_immediate_for_unverified_users,
    delete_user_is_off_by_default,
    delete_user_with_password_or_fresh_session,
    set_auth_token_header_for_bearer_clients,
    unsigned_bearer_tokens_only_when_allowed,
    password_policy_refuses_new_passwords_only,
);

async fn list_sessions_shows_live_sessions_of_the_user_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut first = app.sign_up("ls@example.com", "password123").await;
    let second = app.sign_in("ls@example.com", "password123").await;
    let expired = app.sign_in("ls@example.com", "password123").await;
    app.sign_up("other@example.com", "password123").await;
    app.sql(&app.quote(&format!(
        r#"update "session" set "expiresAt" = "createdAt" where "token" = '{}'"#,
        expired.session_token()
    )))
    .await;

    let response = app.get("/api/auth/list-sessions", &mut first).await;
    assert_eq!(response.status, 200);
    let sessions = response.json();
    let tokens: Vec<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["token"].as_str().unwrap())
        .collect();
    assert_eq!(tokens, [first.session_token(), second.session_token()]);
    let keys: Vec<&String> = sessions[0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 8, "{keys:?}");

    let anonymous = app.client.get("/api/auth/list-sessions").send().await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.error_code()),
        (401, "UNAUTHORIZED".into())
    );
}

async fn list_sessions_needs_a_fresh_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("fresh@example.com", "password123").await;
    // Signed in two days ago: older than the one-day freshAge.
    let token = jar.session_token();
    let backdated = match backend {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days')",
        Backend::Postgres => "now() - interval '2 days'",
        Backend::MySql => "utc_timestamp(3) - interval 2 day",
    };
    app.sql(&app.quote(&format!(
        r#"update "session" set "createdAt" = {backdated} where "token" = '{token}'"#
    )))
    .await;
    let response = app.get("/api/auth/list-sessions", &mut jar).await;
    assert_eq!(response.status, 403);
    assert_eq!(
        response.json(),
        json!({ "message": "Session is not fresh", "code": "SESSION_NOT_FRESH" })
    );
    // Still signed in for everything else.
    assert_eq!(app.get("/me", &mut jar).await.status, 200);
}

async fn revoke_session_deletes_only_the_callers_own(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut mine = app.sign_up("rv@example.com", "password123").await;
    let mut my_other = app.sign_in("rv@example.com", "password123").await;
    let mut theirs = app.sign_up("rv2@example.com", "password123").await;

    let body = |jar: &Jar| json!({ "token": jar.session_token() });
    let response = app
        .post("/api/auth/revoke-session", &mut mine, body(&theirs))
        .await;
    assert_eq!(
        response.json(),
        json!({ "status": true }),
        "always the same answer"
    );
    assert_eq!(
        app.get("/me", &mut theirs).await.status,
        200,
        "another user's session survives"
    );

    let response = app
        .post("/api/auth/revoke-session", &mut mine, body(&my_other))
        .await;
    assert_eq!(response.json(), json!({ "status": true }));
    assert_eq!(app.get("/me", &mut my_other).await.status, 401);
    assert_eq!(app.get("/me", &mut mine).await.status, 200);

    let missing = app
        .post("/api/auth/revoke-session", &mut mine, json!({}))
        .await;
    assert_eq!(missing.status, 400);
    assert_eq!(
        missing.json()["message"],
        "[body.token] Invalid input: expected string, received undefined"
    );
    let no_origin = app
        .client
        .post("/api/auth/revoke-session")
        .json(&body(&mine))
        .send_with(&mut mine)
        .await;
    assert_eq!(
        (no_origin.status.as_u16(), no_origin.error_code()),
        (403, "MISSING_OR_NULL_ORIGIN".into())
    );
}

async fn revoke_sessions_and_revoke_other_sessions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut a = app.sign_up("many@example.com", "password123").await;
    let mut b = app.sign_in("many@example.com", "password123").await;
    let mut c = app.sign_in("many@example.com", "password123").await;
    let mut bystander = app.sign_up("by@example.com", "password123").await;

    let response = app
        .post("/api/auth/revoke-other-sessions", &mut a, json!({}))
        .await;
    assert_eq!(response.json(), json!({ "status": true }));
    assert_eq!(app.get("/me", &mut a).await.status, 200);
    assert_eq!(app.get("/me", &mut b).await.status, 401);
    assert_eq!(app.get("/me", &mut c).await.status, 401);

    let mut d = app.sign_in("many@example.com", "password123").await;
    // No body at all is fine too.
    let response = app
        .client
        .post("/api/auth/revoke-sessions")
        .with_frontend_origin()
        .send_with(&mut d)
        .await;
    assert_eq!(response.json(), json!({ "status": true }));
    assert_eq!(app.get("/me", &mut a).await.status, 401);
    assert_eq!(
        app.get("/me", &mut d).await.status,
        401,
        "the current session goes too"
    );
    assert_eq!(app.get("/me", &mut bystander).await.status, 200);
}

async fn update_user_changes_name_and_image_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("up@example.com", "password123").await;
    let before = app.get("/me", &mut jar).await.json();

    let ok = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "name": "New Name", "image": "https://example.com/a.png" }),
        )
        .await;
    assert_eq!(ok.json(), json!({ "status": true }));
    assert_eq!(
        ok.set_cookies().len(),
        1,
        "the session cookie is re-sent, as in Better-Auth"
    );
    let me = app.get("/me", &mut jar).await.json();
    assert_eq!(
        (me["name"].as_str(), me["image"].as_str()),
        (Some("New Name"), Some("https://example.com/a.png"))
    );
    assert_ne!(me["updatedAt"], before["updatedAt"]);

    let ok = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "image": null, "emailVerified": true, "id": "x", "unknown": 1 }),
        )
        .await;
    assert_eq!(ok.status, 200);
    let me = app.get("/me", &mut jar).await.json();
    assert_eq!(me["image"], serde_json::Value::Null);
    assert_eq!(
        (me["emailVerified"].as_bool(), me["id"].clone()),
        (Some(false), before["id"].clone()),
        "ignored fields stay"
    );

    for (body, status, code) in [
        (json!({}), 400, "NO_FIELDS_TO_UPDATE"),
        (json!({ "emailVerified": true }), 400, "NO_FIELDS_TO_UPDATE"),
        (
            json!({ "email": "x@example.com" }),
            400,
            "EMAIL_CAN_NOT_BE_UPDATED",
        ),
        (
            json!({ "name": "A", "email": "x@example.com" }),
            400,
            "EMAIL_CAN_NOT_BE_UPDATED",
        ),
        (json!({ "name": null }), 400, "VALIDATION_ERROR"),
        (json!({ "name": 42 }), 400, "VALIDATION_ERROR"),
        (json!([1]), 400, "VALIDATION_ERROR"),
    ] {
        let response = app
            .post("/api/auth/update-user", &mut jar, body.clone())
            .await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (status, code.to_owned()),
            "{body}"
        );
    }
    let anonymous = app
        .client
        .post("/api/auth/update-user")
        .json(&json!({ "name": "X" }))
        .send()
        .await;
    assert_eq!(anonymous.status, 401);
}

async fn change_password_checks_the_current_one(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("cp@example.com", "password123").await;
    let mut other_device = app.sign_in("cp@example.com", "password123").await;
    for (body, code) in [
        (
            json!({ "currentPassword": "wrong-password", "newPassword": "newpassword456" }),
            "INVALID_PASSWORD",
        ),
        (
            json!({ "currentPassword": "password123", "newPassword": "short" }),
            "PASSWORD_TOO_SHORT",
        ),
        (
            json!({ "currentPassword": "password123" }),
            "VALIDATION_ERROR",
        ),
        // No account can have a current password over the maximum; it is never hashed.
        (
            json!({ "currentPassword": "p".repeat(129), "newPassword": "newpassword456" }),
            "PASSWORD_TOO_LONG",
        ),
        (
            json!({ "currentPassword": "password123", "newPassword": "n".repeat(129) }),
            "PASSWORD_TOO_LONG",
        ),
    ] {
        let response = app.post("/api/auth/change-password", &mut jar, body).await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (400, code.to_owned())
        );
    }
    let response = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "newpassword456" }),
        )
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["token"], serde_json::Value::Null);
    assert_eq!(response.json()["user"]["email"], "cp@example.com");
    assert!(response.set_cookies().is_empty());
    assert_eq!(
        app.get("/me", &mut other_device).await.status,
        200,
        "other sessions survive by default"
    );
    let old = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "cp@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(old.status, 401);
    app.sign_in("cp@example.com", "newpassword456").await;
}

async fn change_password_can_sign_every_other_device_out(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("cpr@example.com", "password123").await;
    let mut other_device = app.sign_in("cpr@example.com", "password123").await;
    let old_token = jar.session_token();
    let response = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "newpassword456", "revokeOtherSessions": true }),
        )
        .await;
    assert_eq!(response.status, 200);
    let new_token = response.json()["token"].as_str().unwrap().to_owned();
    assert_ne!(new_token, old_token);
    assert_eq!(
        jar.session_token(),
        new_token,
        "the response sets the new session's cookie"
    );
    assert_eq!(app.get("/me", &mut jar).await.status, 200);
    assert_eq!(app.get("/me", &mut other_device).await.status, 401);
    let listed = app.get("/api/auth/list-sessions", &mut jar).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
}

async fn change_email_is_off_by_default_and_immediate_for_unverified_users(backend: Backend) {
    let off = TestApp::new(backend).await;
    let mut jar = off.sign_up("ce@example.com", "password123").await;
    let response = off
        .post(
            "/api/auth/change-email",
            &mut jar,
            json!({ "newEmail": "new@example.com" }),
        )
        .await;
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (400, "CHANGE_EMAIL_DISABLED".into())
    );

    let app = TestApp::with(backend, |b| b.change_email(true)).await;
    let mut jar = app.sign_up("ce@example.com", "password123").await;
    app.sign_up("taken@example.com", "password123").await;
    for (body, status, code) in [
        (
            json!({ "newEmail": "CE@example.com" }),
            400,
            "EMAIL_IS_THE_SAME",
        ),
        (
            json!({ "newEmail": "not-an-email" }),
            400,
            "VALIDATION_ERROR",
        ),
        (
            json!({ "newEmail": "x@example.com", "callbackURL": "https://evil.example/" }),
            403,
            "INVALID_CALLBACK_URL",
        ),
    ] {
        let response = app
            .post("/api/auth/change-email", &mut jar, body.clone())
            .await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (status, code.to_owned()),
            "{body}"
        );
    }
    // A taken address answers as a success and changes nothing (no enumeration).
    let taken = app
        .post(
            "/api/auth/change-email",
            &mut jar,
            json!({ "newEmail": "taken@example.com" }),
        )
        .await;
    assert_eq!(taken.json(), json!({ "status": true }));
    assert_eq!(
        app.get("/me", &mut jar).await.json()["email"],
        "ce@example.com"
    );

    let changed = app
        .post(
            "/api/auth/change-email",
            &mut jar,
            json!({ "newEmail": "Moved@Example.com" }),
        )
        .await;
    assert_eq!(changed.json(), json!({ "status": true }));
    assert_eq!(
        app.get("/me", &mut jar).await.json()["email"],
        "moved@example.com"
    );
    app.sign_in("moved@example.com", "password123").await;

    // A verified address needs the verification flow, which needs email.
    app.sql(
        &app.quote(
            r#"update "user" set "emailVerified" = true where "email" = 'moved@example.com'"#,
        ),
    )
    .await;
    let verified = app
        .post(
            "/api/auth/change-email",
            &mut jar,
            json!({ "newEmail": "again@example.com" }),
        )
        .await;
    assert_eq!(
        (verified.status.as_u16(), verified.error_code()),
        (400, "VERIFICATION_EMAIL_NOT_ENABLED".into())
    );
    // The same answer for a taken address: a verified user cannot probe who is registered.
    let verified_taken = app
        .post(
            "/api/auth/change-email",
            &mut jar,
            json!({ "newEmail": "taken@example.com" }),
        )
        .await;
    assert_eq!(
        (verified_taken.status, verified_taken.body.clone()),
        (verified.status, verified.body.clone())
    );
}

async fn delete_user_is_off_by_default(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("nodel@example.com", "password123").await;
    let response = app
        .post(
            "/api/auth/delete-user",
            &mut jar,
            json!({ "password": "password123" }),
        )
        .await;
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (404, "NOT_FOUND".into())
    );
    assert_eq!(app.get("/me", &mut jar).await.status, 200);
}

async fn delete_user_with_password_or_fresh_session(backend: Backend) {
    let app = TestApp::with(backend, |b| b.delete_user(true)).await;
    let mut jar = app.sign_up("del@example.com", "password123").await;
    let mut other = app.sign_in("del@example.com", "password123").await;
    let wrong = app
        .post(
            "/api/auth/delete-user",
            &mut jar,
            json!({ "password": "wrong-password" }),
        )
        .await;
    assert_eq!(
        (wrong.status.as_u16(), wrong.error_code()),
        (400, "INVALID_PASSWORD".into())
    );
    let token = app
        .post("/api/auth/delete-user", &mut jar, json!({ "token": "abc" }))
        .await;
    assert_eq!(
        (token.status.as_u16(), token.error_code()),
        (404, "INVALID_TOKEN".into())
    );
    // Better-Auth's order: the password is checked before the token.
    for (body, status, code) in [
        (
            json!({ "password": "wrong-password", "token": "abc" }),
            400,
            "INVALID_PASSWORD",
        ),
        (
            json!({ "password": "p".repeat(129) }),
            400,
            "PASSWORD_TOO_LONG",
        ),
        (
            json!({ "password": "password123", "token": "abc" }),
            404,
            "INVALID_TOKEN",
        ),
    ] {
        let response = app
            .post("/api/auth/delete-user", &mut jar, body.clone())
            .await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (status, code.to_owned()),
            "{body:.60}"
        );
    }
    let no_body = app
        .client
        .post("/api/auth/delete-user")
        .with_frontend_origin()
        .send_with(&mut jar.clone())
        .await;
    assert_eq!(
        no_body.json()["message"],
        "[body] Invalid input: expected object, received undefined"
    );

    let deleted = app
        .post(
            "/api/auth/delete-user",
            &mut jar,
            json!({ "password": "password123", "callbackURL": "/bye" }),
        )
        .await;
    assert_eq!(
        deleted.json(),
        json!({ "success": true, "message": "User deleted" })
    );
    assert!(
        jar.get("better-auth.session_token").is_none(),
        "cookies cleared"
    );
    assert_eq!(
        app.get("/me", &mut other).await.status,
        401,
        "every session is gone"
    );
    for table in ["user", "account", "session"] {
        let rows = app
            .sql_scalar(&app.quote(&format!(r#"select count(*) from "{table}""#)))
            .await;
        assert_eq!(rows.as_deref(), Some("0"), "{table}");
    }

    // Without a password: only from a fresh session.
    let mut fresh = app.sign_up("fresh-del@example.com", "password123").await;
    let mut stale = app.sign_in("fresh-del@example.com", "password123").await;
    let backdated = match backend {
        Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-2 days')",
        Backend::Postgres => "now() - interval '2 days'",
        Backend::MySql => "utc_timestamp(3) - interval 2 day",
    };
    app.sql(&app.quote(&format!(
        r#"update "session" set "createdAt" = {backdated} where "token" = '{}'"#,
        stale.session_token()
    )))
    .await;
    for body in [json!({}), json!({ "password": "" })] {
        // An empty password is no password (JavaScript truthiness, as in Better-Auth).
        let refused = app
            .post("/api/auth/delete-user", &mut stale, body.clone())
            .await;
        assert_eq!(
            (refused.status.as_u16(), refused.error_code()),
            (400, "SESSION_EXPIRED".into()),
            "{body}"
        );
    }
    let deleted = app
        .post("/api/auth/delete-user", &mut fresh, json!({}))
        .await;
    assert_eq!(deleted.status, 200);
}

async fn set_auth_token_header_for_bearer_clients(backend: Backend) {
    let off = TestApp::new(backend).await;
    let signed_up = off
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "B", "email": "b@example.com", "password": "password123" }))
        .send()
        .await;
    assert!(
        signed_up.header("set-auth-token").is_none(),
        "off by default"
    );

    let app = TestApp::with(backend, |b| b.set_auth_token_header(true)).await;
    let mut jar = Jar::default();
    let signed_up = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "B", "email": "b@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    let token = signed_up.json()["token"].as_str().unwrap().to_owned();
    let header = signed_up.header("set-auth-token").unwrap().to_owned();
    assert_eq!(header, app.auth.sign_session_token(&token));
    assert_eq!(
        signed_up.header("access-control-expose-headers"),
        Some("set-auth-token")
    );
    // The header's value is the bearer credential.
    let me = app
        .client
        .get("/me")
        .header("authorization", &format!("Bearer {header}"))
        .send()
        .await;
    assert_eq!(me.status, 200);
    // Errors and sign-out carry no token.
    let failed = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "b@example.com", "password": "nope-nope" }))
        .send()
        .await;
    assert!(failed.header("set-auth-token").is_none());
    let out = app
        .client
        .post("/api/auth/sign-out")
        .header("authorization", &format!("Bearer {header}"))
        .send()
        .await;
    assert_eq!(
        out.status, 200,
        "a bearer request carries no cookie, so no origin is needed"
    );
    assert!(out.header("set-auth-token").is_none());
    assert_eq!(
        app.client
            .get("/me")
            .header("authorization", &format!("Bearer {header}"))
            .send()
            .await
            .status,
        401
    );
}

/// `allow_unsigned_bearer(true)` end to end: the bare token authenticates the layer and the
/// router; off (the default), it does not.
async fn unsigned_bearer_tokens_only_when_allowed(backend: Backend) {
    for (allowed, expected) in [(false, 401), (true, 200)] {
        let app = TestApp::with(backend, |b| b.allow_unsigned_bearer(allowed)).await;
        let jar = app.sign_up("raw@example.com", "password123").await;
        let bare = format!("Bearer {}", jar.session_token());
        let me = app
            .client
            .get("/me")
            .header("authorization", &bare)
            .send()
            .await;
        assert_eq!(me.status, expected, "allowed: {allowed}");
        let session = app
            .client
            .get("/api/auth/get-session")
            .header("authorization", &bare)
            .send()
            .await;
        assert_eq!(
            session.json()["user"]["email"].as_str(),
            allowed.then_some("raw@example.com"),
            "allowed: {allowed}"
        );
    }
}

/// Check 22: a password policy (here a tiny blocklist) refuses new passwords at sign-up and
/// change-password with its reason, and never blocks a sign-in.
async fn password_policy_refuses_new_passwords_only(backend: Backend) {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let enforced = Arc::new(AtomicBool::new(false));
    let app = TestApp::with(backend, |b| {
        let enforced = enforced.clone();
        b.password_policy(move |password: &str| {
            if enforced.load(Ordering::SeqCst) && password == "password1234" {
                Err("This password appears in a list of breached passwords".to_owned())
            } else {
                Ok(())
            }
        })
    })
    .await;
    // Set before the list knew it.
    app.sign_up("early@example.com", "password1234").await;
    enforced.store(true, Ordering::SeqCst);

    let refused = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "P", "email": "policy@example.com", "password": "password1234" }))
        .send()
        .await;
    assert_eq!(
        (refused.status.as_u16(), refused.json()),
        (
            400,
            json!({ "message": "This password appears in a list of breached passwords", "code": "PASSWORD_COMPROMISED" })
        )
    );
    assert_eq!(
        app.sql_scalar(&app.quote(r#"select count(*) from "user""#))
            .await
            .as_deref(),
        Some("1"),
        "no user from a refused sign-up"
    );
    let mut jar = app.sign_up("policy@example.com", "password123").await;
    let change = app
        .post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "password1234" }),
        )
        .await;
    assert_eq!(
        (change.status.as_u16(), change.error_code()),
        (400, "PASSWORD_COMPROMISED".into())
    );
    app.sign_in("policy@example.com", "password123").await;
    // Sign-in is never blocked by the policy: the early user still gets in.
    app.sign_in("early@example.com", "password1234").await;
}
