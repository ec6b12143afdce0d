//! End-to-end flows over real HTTP.

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp, encode_signed, q, scalar};
use serde_json::json;

backend_tests!(
    sign_up_then_me_then_sign_out,
    sign_in_issues_a_new_token_each_time,
    email_is_lower_cased_and_unique_ignoring_case,
    two_pools_racing_for_one_email_make_one_user,
    remember_me_false_sets_a_browser_session_cookie,
    auto_sign_in_off_returns_no_token,
    stored_values_match_better_auths_formats,
);

async fn sign_up_then_me_then_sign_out(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = Jar::default();
    let signed_up = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Ada", "email": "ada@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let token = signed_up.json()["token"].as_str().unwrap().to_owned();
    assert_eq!(jar.session_token(), token);

    let me = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["email"], "ada@example.com");
    assert_eq!(me.json()["name"], "Ada");

    let session = app
        .client
        .get("/api/auth/get-session")
        .send_with(&mut jar)
        .await;
    assert_eq!(session.json()["session"]["token"], token.as_str());
    assert_eq!(session.json()["user"]["email"], "ada@example.com");

    let out = app
        .client
        .post("/api/auth/sign-out")
        .with_frontend_origin()
        .send_with(&mut jar)
        .await;
    assert_eq!(out.status, 200);
    assert_eq!(out.json(), json!({ "success": true }));
    assert!(
        jar.get("better-auth.session_token").is_none(),
        "sign-out expires the cookie"
    );

    // Even a client that kept the old cookie is signed out: the row is gone.
    let stale = format!(
        "better-auth.session_token={}",
        encode_signed(&app.auth.sign_session_token(&token))
    );
    let me = app.client.get("/me").header("cookie", &stale).send().await;
    assert_eq!(me.status, 401);
    assert_eq!(
        me.json(),
        json!({ "message": "Unauthorized", "code": "UNAUTHORIZED" })
    );
    let db = app.db.connect().await;
    let sessions = scalar(
        &db,
        &format!(
            "select count(*) from {} where {} = '{token}'",
            q(backend, "session"),
            q(backend, "token")
        ),
    )
    .await;
    assert_eq!(sessions.as_deref(), Some("0"));
}

async fn sign_in_issues_a_new_token_each_time(backend: Backend) {
    let app = TestApp::new(backend).await;
    let first = app.sign_up("bo@example.com", "password123").await;
    let mut second = Jar::default();
    let signed_in = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "bo@example.com", "password": "password123" }))
        .send_with(&mut second)
        .await;
    assert_eq!(signed_in.status, 200);
    assert_ne!(first.session_token(), second.session_token());
    // Both sessions are live and independent.
    for mut jar in [first, second] {
        assert_eq!(app.client.get("/me").send_with(&mut jar).await.status, 200);
    }

    let wrong = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "bo@example.com", "password": "wrong-password" }))
        .send()
        .await;
    assert_eq!(wrong.status, 401);
    assert_eq!(wrong.error_code(), "INVALID_EMAIL_OR_PASSWORD");
    assert!(wrong.set_cookies().is_empty());
}

async fn email_is_lower_cased_and_unique_ignoring_case(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("Mixed.Case@Example.COM", "password123").await;
    let again = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "Other", "email": "mixed.case@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(again.status, 422);
    assert_eq!(again.error_code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    let signed_in = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "MIXED.CASE@EXAMPLE.COM", "password": "password123" }))
        .send()
        .await;
    assert_eq!(signed_in.status, 200);
    assert_eq!(signed_in.json()["user"]["email"], "mixed.case@example.com");
}

async fn two_pools_racing_for_one_email_make_one_user(backend: Backend) {
    let first = TestApp::new(backend).await;
    // A second, independent app (its own pool) on the same database.
    let second_auth = crate::common::builder()
        .validate()
        .unwrap()
        .connect(&first.db.url)
        .await
        .unwrap();
    let (addr, _server) = crate::common::serve(crate::common::app_router(&second_auth)).await;
    let second = crate::common::Client::new(addr);

    let body = json!({ "name": "Race", "email": "race@example.com", "password": "password123" });
    let (a, b) = tokio::join!(
        first
            .client
            .post("/api/auth/sign-up/email")
            .json(&body)
            .send(),
        second.post("/api/auth/sign-up/email").json(&body).send(),
    );
    let mut statuses = [a.status.as_u16(), b.status.as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 422], "a: {} b: {}", a.text(), b.text());
    let loser = if a.status == 422 { &a } else { &b };
    assert_eq!(loser.error_code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");

    let db = first.db.connect().await;
    let users = scalar(
        &db,
        &format!(
            "select count(*) from {} where {} = 'race@example.com'",
            q(backend, "user"),
            q(backend, "email")
        ),
    )
    .await;
    assert_eq!(users.as_deref(), Some("1"));
    let accounts = scalar(
        &db,
        &format!("select count(*) from {}", q(backend, "account")),
    )
    .await;
    assert_eq!(
        accounts.as_deref(),
        Some("1"),
        "the losing sign-up left nothing behind"
    );
}

async fn remember_me_false_sets_a_browser_session_cookie(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("rm@example.com", "password123").await;
    let mut jar = Jar::default();
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "rm@example.com", "password": "password123", "rememberMe": false }))
        .send_with(&mut jar)
        .await;
    let cookies = response.set_cookies();
    assert_eq!(cookies.len(), 2, "{cookies:?}");
    assert!(
        cookies[0].starts_with("better-auth.session_token=") && !cookies[0].contains("Max-Age"),
        "{}",
        cookies[0]
    );
    let signed_true = encode_signed(&app.auth.sign_session_token("true"));
    crate::common::assert_same_cookie(
        &cookies[1],
        &format!("better-auth.dont_remember={signed_true}; Path=/; HttpOnly; SameSite=Lax"),
    );
    // The database keeps such a session for one day.
    let session = app
        .client
        .get("/api/auth/get-session")
        .send_with(&mut jar)
        .await
        .json();
    let created = time::OffsetDateTime::parse(
        session["session"]["createdAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let expires = time::OffsetDateTime::parse(
        session["session"]["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(expires - created, time::Duration::days(1));
}

async fn auto_sign_in_off_returns_no_token(backend: Backend) {
    let app = TestApp::with(backend, |b| b.auto_sign_in(false)).await;
    let response = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "N", "email": "n@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_eq!(response.json()["token"], serde_json::Value::Null);
    assert!(response.set_cookies().is_empty());
}

/// Rows are stored as Better-Auth 1.7.25 stores them on each dialect
/// (`tests/fixtures/ddl/*-rows.txt`, `30-db-rows.txt`): ISO-8601 text with milliseconds and `Z`
/// on SQLite, `timestamp(3)` on MySQL, `timestamptz` on PostgreSQL; booleans 0/1 (SQLite,
/// MySQL) or `false`; absent optional values NULL; the credential account keyed by the user id.
async fn stored_values_match_better_auths_formats(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("rows@example.com", "password123").await;
    let b = backend;
    let one = async |sql: String| app.sql_scalar(&app.quote(&sql)).await;
    let text = if b == Backend::MySql { "char" } else { "text" };
    let iso_ms_z = |v: &str| {
        v.len() == 24
            && v.as_bytes()[10] == b'T'
            && v.as_bytes()[19] == b'.'
            && v.ends_with('Z')
            && time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
                .is_ok()
    };
    match b {
        Backend::Sqlite => {
            for (table, column, kind) in [
                ("user", "emailVerified", "integer"),
                ("user", "createdAt", "text"),
                ("user", "image", "null"),
                ("session", "expiresAt", "text"),
                ("session", "ipAddress", "text"),
                ("account", "accessToken", "null"),
            ] {
                let found = one(format!(r#"select typeof("{column}") from "{table}""#)).await;
                assert_eq!(found.as_deref(), Some(kind), "{table}.{column}");
            }
            let verified = one(r#"select "emailVerified" from "user""#.into()).await;
            assert_eq!(verified.as_deref(), Some("0"));
            for (table, column) in [
                ("user", "createdAt"),
                ("user", "updatedAt"),
                ("session", "expiresAt"),
                ("session", "createdAt"),
                ("account", "updatedAt"),
            ] {
                let value = one(format!(r#"select "{column}" from "{table}""#))
                    .await
                    .unwrap();
                assert!(iso_ms_z(&value), "{table}.{column} = {value}");
            }
        }
        Backend::MySql => {
            let verified = one(r#"select cast("emailVerified" as char) from "user""#.into()).await;
            assert_eq!(verified.as_deref(), Some("0"));
            let created = one(r#"select cast("createdAt" as char) from "user""#.into())
                .await
                .unwrap();
            assert_eq!(created.len(), 23, "timestamp(3): {created}");
            assert_eq!(&created[19..20], ".");
        }
        Backend::Postgres => {
            let verified = one(r#"select cast("emailVerified" as text) from "user""#.into()).await;
            assert_eq!(verified.as_deref(), Some("false"));
        }
    }
    assert_eq!(
        one(r#"select count(*) from "user" where "image" is null"#.into())
            .await
            .as_deref(),
        Some("1")
    );
    let account = one(format!(
        r#"select cast("providerId" as {text}) from "account" a join "user" u on a."userId" = u."id" and a."accountId" = u."id""#
    ))
    .await;
    assert_eq!(account.as_deref(), Some("credential"));
    let password = one(r#"select "password" from "account""#.into())
        .await
        .unwrap();
    let (salt, key) = password.split_once(':').unwrap();
    assert!(
        salt.len() == 32
            && key.len() == 128
            && password.bytes().all(|c| c == b':' || c.is_ascii_hexdigit()),
        "{password}"
    );
    // The test client sends no User-Agent: stored as "", not NULL, as Better-Auth does.
    let agent = one(r#"select "userAgent" from "session""#.into()).await;
    assert_eq!(agent.as_deref(), Some(""));
}
