//! The session layer: extractors, expiry, sliding refresh, rememberMe, bearer tokens.

use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp, encode_signed, execute, q, scalar};

backend_tests!(
    a_refreshed_cookie_is_never_publicly_cacheable,
    extractors_answer_for_signed_in_and_anonymous_requests,
    expired_session_is_anonymous_and_deleted,
    refresh_slides_expiry_and_resends_the_cookie,
    dont_remember_sessions_are_never_slid,
    tampered_and_foreign_cookies_are_anonymous,
    signed_bearer_tokens_authenticate,
    rotated_secret_still_verifies_old_cookies,
    session_survives_a_new_auth_instance,
);

/// A timestamp literal the backend compares as a date.
fn at(backend: Backend, t: time::OffsetDateTime) -> String {
    let iso = t
        .format(&time::macros::format_description!(
            "[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"
        ))
        .unwrap();
    match backend {
        Backend::Sqlite => format!("'{iso}'"),
        Backend::Postgres => format!("'{iso}'::timestamptz"),
        Backend::MySql => format!("'{}'", iso.replace('T', " ").trim_end_matches('Z')),
    }
}

async fn set_expiry(app: &TestApp, token: &str, expires_at: time::OffsetDateTime) {
    let b = app.backend();
    let db = app.db.connect().await;
    let changed = execute(
        &db,
        &format!(
            "update {} set {} = {} where {} = '{token}'",
            q(b, "session"),
            q(b, "expiresAt"),
            at(b, expires_at),
            q(b, "token")
        ),
    )
    .await;
    assert_eq!(changed, 1);
    db.close().await;
}

async fn expiry_of(app: &TestApp, token: &str) -> String {
    let found = app
        .client
        .get("/api/auth/get-session?disableRefresh=true")
        .header(
            "authorization",
            &format!("Bearer {}", app.auth.sign_session_token(token)),
        )
        .send()
        .await
        .json();
    found["session"]["expiresAt"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

async fn extractors_answer_for_signed_in_and_anonymous_requests(backend: Backend) {
    let app = TestApp::new(backend).await;
    let anonymous = app.client.get("/maybe-me").send().await;
    assert_eq!(
        (anonymous.status.as_u16(), anonymous.json()),
        (200, serde_json::Value::Null)
    );
    let anonymous = app.client.get("/session").send().await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(anonymous.error_code(), "UNAUTHORIZED");

    let mut jar = app.sign_up("ex@example.com", "password123").await;
    let maybe = app.client.get("/maybe-me").send_with(&mut jar).await;
    assert_eq!(maybe.json()["email"], "ex@example.com");
    let current = app.client.get("/session").send_with(&mut jar).await.json();
    assert_eq!(current["user"]["email"], "ex@example.com");
    assert_eq!(current["session"]["token"], jar.session_token().as_str());
    assert_eq!(current["session"]["userId"], current["user"]["id"]);
}

async fn expired_session_is_anonymous_and_deleted(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("old@example.com", "password123").await;
    let token = jar.session_token();
    set_expiry(
        &app,
        &token,
        time::OffsetDateTime::now_utc() - time::Duration::seconds(1),
    )
    .await;

    let me = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 401);
    assert!(
        me.set_cookies()
            .iter()
            .any(|c| crate::common::clears(c, "better-auth.session_token")),
        "{:?}",
        me.set_cookies()
    );
    let db = app.db.connect().await;
    let b = backend;
    let rows = async || {
        scalar(
            &db,
            &format!(
                "select count(*) from {} where {} = '{token}'",
                q(b, "session"),
                q(b, "token")
            ),
        )
        .await
    };
    assert_eq!(
        rows().await.as_deref(),
        Some("0"),
        "an expired session is deleted when seen, as Better-Auth does"
    );
    // However the clock moves afterwards, nothing is left to come back to life.
    assert_eq!(app.client.get("/me").send_with(&mut jar).await.status, 401);
}

async fn refresh_slides_expiry_and_resends_the_cookie(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("slide@example.com", "password123").await;
    let token = jar.session_token();

    // Fresh: not due (expiresAt - 7d + 1d > now), so nothing is written or re-sent.
    let response = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(response.status, 200);
    assert!(response.set_cookies().is_empty());

    // Five days left: more than a day since the last extension, so the next request slides it.
    let five_days = time::OffsetDateTime::now_utc() + time::Duration::days(5);
    set_expiry(&app, &token, five_days).await;
    let before = expiry_of(&app, &token).await;
    let response = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(response.status, 200);
    let cookies = response.set_cookies();
    let expected = format!(
        "better-auth.session_token={}; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
        encode_signed(&app.auth.sign_session_token(&token))
    );
    crate::common::assert_same_cookies(&cookies, &[expected]);
    let after = expiry_of(&app, &token).await;
    assert!(after > before, "{after} > {before}");
    let after = time::OffsetDateTime::parse(&after, &time::format_description::well_known::Rfc3339)
        .unwrap();
    let seven_days = time::OffsetDateTime::now_utc() + time::Duration::days(7);
    assert!(
        (seven_days - after).abs() < time::Duration::minutes(1),
        "the cookie's Max-Age matches the database expiry"
    );

    // Just extended: the next request does not write again.
    let response = app.client.get("/me").send_with(&mut jar).await;
    assert!(response.set_cookies().is_empty());
}

async fn dont_remember_sessions_are_never_slid(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("dr@example.com", "password123").await;
    let mut jar = Jar::default();
    app.client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": "dr@example.com", "password": "password123", "rememberMe": false }))
        .send_with(&mut jar)
        .await;
    let token = jar.session_token();
    let before = expiry_of(&app, &token).await;
    assert!(!before.is_empty());
    // expiresAt = createdAt + 1 day is already "due" by the rule; the marker cookie stops it.
    let response = app
        .client
        .get("/api/auth/get-session")
        .send_with(&mut jar)
        .await;
    assert!(
        response.set_cookies().is_empty(),
        "{:?}",
        response.set_cookies()
    );
    assert_eq!(expiry_of(&app, &token).await, before, "not slid");
    // Without the marker (another client holding the token) Better-Auth's rule slides it.
    let response = app
        .client
        .get("/api/auth/get-session")
        .header(
            "cookie",
            &format!("better-auth.session_token={}", jar.session_cookie()),
        )
        .send()
        .await;
    assert_eq!(response.set_cookies().len(), 1);
    // Both ISO-8601 with milliseconds and `Z`: the text order is the time order.
    let after = expiry_of(&app, &token).await;
    assert!(after > before, "slid from {before} to {after}");
}

async fn tampered_and_foreign_cookies_are_anonymous(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("tamper@example.com", "password123").await;
    let cookie = jar.session_cookie().to_owned();
    let token = jar.session_token();
    // A different first character (never the same one, or the "tampered" value is intact).
    let flip_first = |s: &str| {
        let replacement = if s.starts_with('A') { "B" } else { "A" };
        format!("{replacement}{}", &s[1..])
    };
    let flipped = flip_first(&token);
    let signature = &cookie[token.len() + 1..];
    let other_secret = authgate::Auth::builder()
        .environment(|_| None)
        .secret("Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw")
        .base_url(crate::common::BASE_URL)
        .build(app.db.connect().await)
        .unwrap();
    for value in [
        format!("{flipped}.{signature}"),
        format!("{token}.{}", flip_first(signature)),
        token.clone(),
        String::new(),
        format!("{cookie}.x"),
        encode_signed(&other_secret.sign_session_token(&token)),
    ] {
        let response = app
            .client
            .get("/me")
            .header("cookie", &format!("better-auth.session_token={value}"))
            .send()
            .await;
        assert_eq!(response.status, 401, "{value}");
        assert!(
            response.set_cookies().is_empty(),
            "a bad signature never reaches the database, so nothing is cleared"
        );
        let session = app
            .client
            .get("/api/auth/get-session")
            .header("cookie", &format!("better-auth.session_token={value}"))
            .send()
            .await;
        assert_eq!(session.text(), "null");
    }
}

async fn signed_bearer_tokens_authenticate(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("bearer@example.com", "password123").await;
    let signed = app.auth.sign_session_token(&jar.session_token());
    for header in [
        format!("Bearer {signed}"),
        format!("bearer {}", encode_signed(&signed)),
    ] {
        let me = app
            .client
            .get("/me")
            .header("authorization", &header)
            .send()
            .await;
        assert_eq!(me.status, 200, "{header}");
    }
    // The raw token alone is refused unless explicitly allowed.
    let raw = app
        .client
        .get("/me")
        .header("authorization", &format!("Bearer {}", jar.session_token()))
        .send()
        .await;
    assert_eq!(raw.status, 401);
}

async fn rotated_secret_still_verifies_old_cookies(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("rot@example.com", "password123").await;
    let old_cookie = jar.session_cookie().to_owned();
    // A new instance whose current secret is new, keeping the old one for verification.
    let rotated = crate::common::builder()
        .secrets([
            "Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw",
            crate::common::TEST_SECRET,
        ])
        .validate()
        .unwrap()
        .connect(&app.db.url)
        .await
        .unwrap();
    let (addr, _server) = crate::common::serve(crate::common::app_router(&rotated)).await;
    let client = crate::common::Client::new(addr);
    let me = client
        .get("/me")
        .header("cookie", &format!("better-auth.session_token={old_cookie}"))
        .send()
        .await;
    assert_eq!(me.status, 200);
    // A refresh is signed with the new secret: recomputed here, independently of the crate.
    let token = jar.session_token();
    set_expiry(
        &app,
        &token,
        time::OffsetDateTime::now_utc() + time::Duration::days(5),
    )
    .await;
    let refreshed = client
        .get("/me")
        .header("cookie", &format!("better-auth.session_token={old_cookie}"))
        .send()
        .await;
    assert_eq!(refreshed.status, 200);
    let expected = {
        use base64::Engine as _;
        use hmac::{KeyInit, Mac};
        let mut mac =
            hmac::Hmac::<sha2::Sha256>::new_from_slice(b"Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw")
                .unwrap();
        mac.update(token.as_bytes());
        let signature =
            base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
        crate::common::encode_signed(&format!("{token}.{signature}"))
    };
    let cookies = refreshed.set_cookies();
    assert_eq!(cookies.len(), 1, "{cookies:?}");
    assert!(
        cookies[0].starts_with(&format!("better-auth.session_token={expected};")),
        "signed with the new secret: {}",
        cookies[0]
    );
    // Without the old secret the cookie is as good as absent.
    let dropped = crate::common::builder()
        .secret("Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw")
        .validate()
        .unwrap()
        .connect(&app.db.url)
        .await
        .unwrap();
    let (addr, _server2) = crate::common::serve(crate::common::app_router(&dropped)).await;
    let me = crate::common::Client::new(addr)
        .get("/me")
        .send_with(&mut jar)
        .await;
    assert_eq!(me.status, 401);
}

async fn session_survives_a_new_auth_instance(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("persist@example.com", "password123").await;
    app.auth.database().close().await;
    // A restart: a brand-new pool and Auth on the same database.
    let restarted = crate::common::builder()
        .validate()
        .unwrap()
        .connect(&app.db.url)
        .await
        .unwrap();
    let report = restarted.migrate().await.unwrap();
    assert!(
        report.is_empty(),
        "a second migration changes nothing: {report:?}"
    );
    let (addr, _server) = crate::common::serve(crate::common::app_router(&restarted)).await;
    let me = crate::common::Client::new(addr)
        .get("/me")
        .send_with(&mut jar)
        .await;
    assert_eq!(me.status, 200);
}

/// Check 7: when the layer refreshes the session cookie on an app response the handler marked
/// publicly cacheable, the response becomes `no-store` (a shared cache would hand the cookie to
/// the next client); a private one is left as the handler set it.
async fn a_refreshed_cookie_is_never_publicly_cacheable(backend: Backend) {
    use axum::routing::get;
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("cache@example.com", "password123").await;
    let token = jar.session_token();
    let router = axum::Router::new()
        .route(
            "/public",
            get(|user: authgate::CurrentUser| async move {
                ([("cache-control", "public, max-age=60")], user.name.clone())
            }),
        )
        .route(
            "/private",
            get(|user: authgate::CurrentUser| async move {
                (
                    [("cache-control", "private, max-age=60")],
                    user.name.clone(),
                )
            }),
        )
        .layer(authgate::SessionLayer::new(app.auth.clone()));
    let (addr, _server) = crate::common::serve(router).await;
    let client = crate::common::Client::new(addr);
    for (path, expected) in [("/public", "no-store"), ("/private", "private, max-age=60")] {
        // Due for a refresh, so the layer adds a Set-Cookie to the handler's response.
        set_expiry(
            &app,
            &token,
            time::OffsetDateTime::now_utc() + time::Duration::days(5),
        )
        .await;
        let response = client.get(path).send_with(&mut jar.clone()).await;
        assert_eq!(response.status, 200);
        assert_eq!(
            response.set_cookies().len(),
            1,
            "{path}: the refreshed cookie"
        );
        assert_eq!(response.header("cache-control"), Some(expected), "{path}");
    }
}

/// SQLite stores whatever a writer sends into a `date` column. Other Better-Auth adapters (and
/// hand-written rows) leave epoch milliseconds or `YYYY-MM-DD HH:MM:SS`; a session in the future
/// in any of these forms is live and one in the past is expired, which a text comparison in SQL
/// would get wrong (and then delete live sessions of a shared database).
#[tokio::test]
async fn sqlite_dates_in_other_forms_are_judged_by_their_instant() {
    let app = TestApp::new(Backend::Sqlite).await;
    let mut jar = app.sign_up("forms@example.com", "password123").await;
    let token = jar.session_token();
    let now = time::OffsetDateTime::now_utc();
    let millis = |t: time::OffsetDateTime| (t.unix_timestamp_nanos() / 1_000_000).to_string();
    let spaced = |t: time::OffsetDateTime| {
        format!(
            "'{}'",
            t.format(&time::macros::format_description!(
                "[year]-[month]-[day] [hour]:[minute]:[second]"
            ))
            .unwrap()
        )
    };
    let in_an_hour = now + time::Duration::hours(1);
    for (form, value) in [
        ("epoch milliseconds", millis(in_an_hour)),
        ("space-separated", spaced(in_an_hour)),
    ] {
        app.sql(&format!(
            r#"update "session" set "expiresAt" = {value} where "token" = '{token}'"#
        ))
        .await;
        let me = app.client.get("/me").send_with(&mut jar).await;
        assert_eq!(me.status, 200, "{form}: an hour ahead is live");
    }
    app.sql(&format!(
        r#"update "session" set "expiresAt" = {} where "token" = '{token}'"#,
        millis(now - time::Duration::hours(1))
    ))
    .await;
    let me = app.client.get("/me").send_with(&mut jar).await;
    assert_eq!(me.status, 401, "an hour ago is expired");
}
