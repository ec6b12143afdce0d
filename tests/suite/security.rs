//! The security checklist (`SECURITY.md` maps each check to its test): cookies, fixation,
//! revocation, enumeration, input handling, origins and redirects. Tests are named after the
//! check they cover (`c04_...` is check 4).

use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp, encode_signed, q};

backend_tests!(
    c04_session_cookie_attributes_over_https,
    c05_cookie_names_are_matched_exactly,
    c07_responses_carrying_a_session_are_not_cached,
    c08_tokens_are_never_accepted_from_the_url,
    c12_sign_in_never_adopts_a_presented_session,
    c13_sign_out_revokes_on_the_server,
    c16_deleting_the_user_row_ends_its_sessions,
    c17_absolute_lifetime_ends_extended_sessions,
    c18_expiry_boundary_and_disable_refresh,
    c19_stored_instants_are_the_api_instants,
    c20_passwords_are_never_truncated,
    c21_malformed_stored_hashes_are_a_failed_sign_in,
    c21_passwords_are_compared_after_nfkc,
    c23_sign_in_failures_are_identical,
    c24_every_sign_in_failure_costs_one_hash,
    c26_email_lists_and_lookalikes_are_refused,
    c27_server_fields_cannot_be_assigned,
    c31_cookie_requests_from_untrusted_origins_change_nothing,
    c32_login_csrf_rules,
    c33_redirect_targets_off_the_allowlist_are_refused,
    c34_rate_limit_buckets_cannot_be_dodged_by_path_spelling,
    c37_injection_payloads_are_inert,
    c38_oversized_inputs_are_refused_before_work,
    c39_malformed_bodies_get_4xx,
    c39_a_body_broken_in_transit_is_a_400,
    c40_header_injection_and_odd_cookie_headers,
    c41_bearer_header_edge_cases,
    c42_parallel_sign_ins_and_refreshes,
);

/// A timestamp expression `offset` (e.g. `-2 days`) from now, in the backend's SQL.
fn sql_now(backend: Backend, offset: &str) -> String {
    let (sign, amount) = offset.split_at(1);
    match backend {
        Backend::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '{offset}')"),
        Backend::Postgres => format!("now() {sign} interval '{amount}'"),
        Backend::MySql => {
            let (n, unit) = amount.split_once(' ').unwrap();
            format!(
                "utc_timestamp(3) {sign} interval {n} {}",
                unit.trim_end_matches('s')
            )
        }
    }
}

async fn set_session_column(app: &TestApp, token: &str, column: &str, value: &str) {
    let b = app.backend();
    let changed = app
        .sql(&format!(
            "update {} set {} = {value} where {} = '{token}'",
            q(b, "session"),
            q(b, column),
            q(b, "token")
        ))
        .await;
    assert_eq!(changed, 1);
}

async fn count_rows(app: &TestApp, table: &str) -> i64 {
    app.sql_scalar(&format!("select count(*) from {}", q(app.backend(), table)))
        .await
        .unwrap()
        .parse()
        .unwrap()
}

fn sign_in(
    app: &TestApp,
    email: &str,
    password: &str,
) -> crate::common::http_client::RequestBuilder {
    app.client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": email, "password": password }))
}

async fn c04_session_cookie_attributes_over_https(backend: Backend) {
    let app = TestApp::with(backend, |b| b.base_url("https://app.example.com")).await;
    let signed_up = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "S", "email": "s@example.com", "password": "password123" }))
        .send()
        .await;
    let cookie = &signed_up.set_cookies()[0];
    let value = cookie.split(';').next().unwrap().split_once('=').unwrap().1;
    crate::common::assert_same_cookie(
        cookie,
        &format!(
            "__Secure-better-auth.session_token={value}; Max-Age=604800; Path=/; HttpOnly; Secure; SameSite=Lax"
        ),
    );
    assert!(!cookie.contains("Domain"));
    // Clearing repeats the attributes (and the prefix), or the browser keeps the original.
    let mut jar = Jar::default();
    jar.store(&signed_up.headers);
    let out = app
        .client
        .post("/api/auth/sign-out")
        .header("origin", "https://app.example.com")
        .send_with(&mut jar)
        .await;
    crate::common::assert_same_cookies(
        &out.set_cookies(),
        &[
            "__Secure-better-auth.session_token=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
            "__Secure-better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
            "__Secure-better-auth.dont_remember=; Max-Age=0; Path=/; HttpOnly; Secure; SameSite=Lax",
        ],
    );
    // Sessions longer than browsers keep cookies are refused at start-up.
    let too_long = crate::common::builder()
        .session_expires_in(std::time::Duration::from_secs(500 * 86_400))
        .validate();
    assert!(too_long.is_err());
}

async fn c05_cookie_names_are_matched_exactly(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.base_url("https://app.example.com")
            .host_prefix_cookies(true)
    })
    .await;
    let mut jar = Jar::default();
    let signed_up = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "H", "email": "h@example.com", "password": "password123" }))
        .send_with(&mut jar)
        .await;
    let cookie = &signed_up.set_cookies()[0];
    let (pair, attributes) = crate::common::cookie_parts(cookie);
    assert!(
        pair.starts_with("__Host-better-auth.session_token=")
            && ["Path=/", "HttpOnly", "Secure"]
                .iter()
                .all(|a| attributes.contains(*a)),
        "{cookie}"
    );
    assert!(!cookie.contains("Domain"));
    let value = jar
        .get("__Host-better-auth.session_token")
        .unwrap()
        .to_owned();
    assert_eq!(
        app.client
            .get("/me")
            .header(
                "cookie",
                &format!("__Host-better-auth.session_token={value}")
            )
            .send()
            .await
            .status,
        200
    );
    for lookalike in [
        "__HOST-better-auth.session_token",
        "__host-better-auth.session_token",
        "better-auth.session_token",
        "__Secure-better-auth.session_token",
    ] {
        let response = app
            .client
            .get("/me")
            .header("cookie", &format!("{lookalike}={value}"))
            .send()
            .await;
        assert_eq!(response.status, 401, "{lookalike}");
    }
}

async fn c07_responses_carrying_a_session_are_not_cached(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = Jar::default();
    let responses = [
        app.client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": "C", "email": "c@example.com", "password": "password123" }))
            .send_with(&mut jar)
            .await,
        sign_in(&app, "c@example.com", "password123").with_frontend_origin().send_with(&mut jar).await,
        app.client.get("/api/auth/get-session").send_with(&mut jar).await,
        app.post(
            "/api/auth/change-password",
            &mut jar,
            json!({ "currentPassword": "password123", "newPassword": "password456", "revokeOtherSessions": true }),
        )
        .await,
    ];
    for response in responses {
        assert_eq!(response.status, 200);
        assert_eq!(
            response.header("cache-control"),
            Some("no-store"),
            "{}",
            response.text()
        );
    }
}

async fn c08_tokens_are_never_accepted_from_the_url(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("url@example.com", "password123").await;
    let token = jar.session_token();
    let signed = encode_signed(&app.auth.sign_session_token(&token));
    for query in [
        format!("token={token}"),
        format!("session_token={signed}"),
        format!("better-auth.session_token={signed}"),
        format!("access_token={signed}"),
    ] {
        let response = app
            .client
            .get(&format!("/api/auth/get-session?{query}"))
            .send()
            .await;
        assert_eq!(response.text(), "null", "{query}");
    }
    let signed_in = sign_in(&app, "url@example.com", "password123").json(&json!({ "email": "url@example.com", "password": "password123", "callbackURL": "/welcome" })).send().await;
    let location = signed_in.header("location").unwrap();
    assert_eq!(location, "/welcome");
    assert!(!location.contains(signed_in.json()["token"].as_str().unwrap()));
}

async fn c12_sign_in_never_adopts_a_presented_session(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("victim@example.com", "password123").await;
    // A validly signed token that names no session: the sign-in makes its own.
    let planted = "Plant3dPlant3dPlant3dPlant3dPl12";
    let cookie = format!(
        "better-auth.session_token={}",
        encode_signed(&app.auth.sign_session_token(planted))
    );
    let response = sign_in(&app, "victim@example.com", "password123")
        .header("cookie", &cookie)
        .with_frontend_origin()
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_ne!(response.json()["token"], planted);
    let b = backend;
    let planted_rows = app
        .sql_scalar(&format!(
            "select count(*) from {} where {} = '{planted}'",
            q(b, "session"),
            q(b, "token")
        ))
        .await;
    assert_eq!(
        planted_rows.as_deref(),
        Some("0"),
        "no row is ever created for a client-chosen token"
    );

    // The attacker's own live session, planted in the victim's browser, ends at sign-in.
    let attacker = app.sign_up("attacker@example.com", "password123").await;
    let response = sign_in(&app, "victim@example.com", "password123")
        .header(
            "cookie",
            &format!("better-auth.session_token={}", attacker.session_cookie()),
        )
        .with_frontend_origin()
        .send()
        .await;
    assert_eq!(response.status, 200);
    assert_ne!(
        response.json()["token"].as_str(),
        Some(attacker.session_token().as_str())
    );
    let attacker_rows = app
        .sql_scalar(&format!(
            "select count(*) from {} where {} = '{}'",
            q(b, "session"),
            q(b, "token"),
            attacker.session_token()
        ))
        .await;
    assert_eq!(attacker_rows.as_deref(), Some("0"));
    // An unknown token on get-session creates nothing either.
    let before = count_rows(&app, "session").await;
    app.client
        .get("/api/auth/get-session")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(count_rows(&app, "session").await, before);
}

async fn c13_sign_out_revokes_on_the_server(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("out@example.com", "password123").await;
    let token = jar.session_token();
    let cookie = format!("better-auth.session_token={}", jar.session_cookie());
    // GET is not a way to sign out.
    let get = app
        .client
        .get("/api/auth/sign-out")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(
        (get.status.as_u16(), get.error_code()),
        (405, "METHOD_NOT_ALLOWED".into())
    );
    assert_eq!(app.get("/me", &mut jar).await.status, 200);

    let out = app
        .client
        .post("/api/auth/sign-out")
        .with_frontend_origin()
        .send_with(&mut jar)
        .await;
    assert_eq!(out.json(), json!({ "success": true }));
    let replayed = app
        .client
        .get("/api/auth/get-session")
        .header("cookie", &cookie)
        .send()
        .await;
    assert_eq!(replayed.text(), "null");
    let bearer = app
        .client
        .get("/me")
        .header(
            "authorization",
            &format!("Bearer {}", app.auth.sign_session_token(&token)),
        )
        .send()
        .await;
    assert_eq!(bearer.status, 401);
    // Idempotent without a cookie.
    assert_eq!(
        app.client.post("/api/auth/sign-out").send().await.status,
        200
    );
}

async fn c16_deleting_the_user_row_ends_its_sessions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("orphan@example.com", "password123").await;
    let b = backend;
    // MySQL 8 would keep the sessions (no cascade); the lookup joins on the user anyway.
    app.sql(&format!(
        "delete from {} where {} = 'orphan@example.com'",
        q(b, "user"),
        q(b, "email")
    ))
    .await;
    assert_eq!(app.get("/me", &mut jar).await.status, 401);
}

async fn c17_absolute_lifetime_ends_extended_sessions(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.session_absolute_lifetime(std::time::Duration::from_secs(30 * 86_400))
    })
    .await;
    let mut jar = app.sign_up("abs@example.com", "password123").await;
    let token = jar.session_token();
    // Extended yesterday (expiresAt six days ahead), signed in 31 days ago.
    set_session_column(&app, &token, "createdAt", &sql_now(backend, "-31 days")).await;
    set_session_column(&app, &token, "expiresAt", &sql_now(backend, "+6 days")).await;
    let response = app.get("/api/auth/get-session", &mut jar).await;
    assert_eq!(response.text(), "null");
    assert!(crate::common::clears(
        &response.set_cookies()[0],
        "better-auth.session_token"
    ));
    assert_eq!(count_rows(&app, "session").await, 0);
}

async fn c18_expiry_boundary_and_disable_refresh(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("edge@example.com", "password123").await;
    let token = jar.session_token();
    let text = if backend == Backend::MySql {
        "char"
    } else {
        "text"
    };
    let expiry = async |app: &TestApp| {
        app.sql_scalar(&format!(
            "select cast({} as {text}) from {} where {} = '{token}'",
            q(backend, "expiresAt"),
            q(backend, "session"),
            q(backend, "token")
        ))
        .await
    };
    // Just valid: a few seconds left, so long overdue for a refresh (18 f: not with
    // disableRefresh: no cookie, and the stored expiry is untouched).
    set_session_column(&app, &token, "expiresAt", &sql_now(backend, "+5 seconds")).await;
    let before = expiry(&app).await;
    let response = app
        .get("/api/auth/get-session?disableRefresh=true", &mut jar)
        .await;
    assert_eq!(response.json()["session"]["token"], token.as_str());
    assert!(
        response.set_cookies().is_empty(),
        "disableRefresh: nothing written"
    );
    assert_eq!(expiry(&app).await, before, "disableRefresh: no UPDATE");
    // Just past: anonymous, deleted, cookies cleared.
    set_session_column(&app, &token, "expiresAt", &sql_now(backend, "-1 seconds")).await;
    let response = app.get("/api/auth/get-session", &mut jar).await;
    assert_eq!(response.text(), "null");
    assert!(crate::common::clears(
        &response.set_cookies()[0],
        "better-auth.session_token"
    ));
    assert_eq!(
        expiry(&app).await,
        None,
        "the expired row is deleted when seen"
    );
    assert_eq!(app.get("/me", &mut jar.clone()).await.status, 401);
}

async fn c19_stored_instants_are_the_api_instants(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("tz@example.com", "password123").await;
    let api = app.get("/api/auth/get-session", &mut jar).await.json();
    let api_expiry = time::OffsetDateTime::parse(
        api["session"]["expiresAt"].as_str().unwrap(),
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    let b = backend;
    if backend == Backend::Sqlite {
        // SQLite keeps Better-Auth's ISO text, byte for byte what the API shows.
        let stored = app
            .sql_scalar(&format!(
                "select {} from {}",
                q(b, "expiresAt"),
                q(b, "session")
            ))
            .await;
        assert_eq!(stored.as_deref(), api["session"]["expiresAt"].as_str());
        return;
    }
    let epoch_ms = match backend {
        Backend::Postgres => format!(
            "select (extract(epoch from {}) * 1000)::bigint from {}",
            q(b, "expiresAt"),
            q(b, "session")
        ),
        _ => format!(
            "select cast(unix_timestamp({}) * 1000 as signed) from {}",
            q(b, "expiresAt"),
            q(b, "session")
        ),
    };
    let stored: i128 = app.sql_scalar(&epoch_ms).await.unwrap().parse().unwrap();
    assert_eq!(
        stored,
        api_expiry.unix_timestamp_nanos() / 1_000_000,
        "one UTC time source, whatever the zones"
    );
}

async fn c20_passwords_are_never_truncated(backend: Backend) {
    let app = TestApp::new(backend).await;
    let password = "p".repeat(60) + &"q".repeat(40);
    app.sign_up("long@example.com", &password).await;
    assert_eq!(
        sign_in(&app, "long@example.com", &password[..99])
            .send()
            .await
            .status,
        401
    );
    assert_eq!(
        sign_in(&app, "long@example.com", &password)
            .send()
            .await
            .status,
        200
    );
    // No composition rules: a passphrase is fine.
    app.sign_up("phrase@example.com", "correct horse battery staple")
        .await;
}

async fn c21_malformed_stored_hashes_are_a_failed_sign_in(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("corrupt@example.com", "password123").await;
    let b = backend;
    for stored in [
        "",
        "abc",
        "zz:zz",
        "Ā:ā",
        &"x".repeat(10_000),
        "$argon2id$v=19$m=1,t=1,p=1$c2FsdA$aGFzaA",
    ] {
        app.sql(&format!(
            "update {} set {} = '{stored}'",
            q(b, "account"),
            q(b, "password")
        ))
        .await;
        let response = sign_in(&app, "corrupt@example.com", "password123")
            .send()
            .await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (401, "INVALID_EMAIL_OR_PASSWORD".into()),
            "{stored:.20}"
        );
    }
}

/// Check 21 over HTTP, as transcript 23 recorded Better-Auth: passwords are compared after NFKC
/// normalisation (a ligature and its letters, a precomposed letter and letter + combining
/// mark), and case still matters.
async fn c21_passwords_are_compared_after_nfkc(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("uni@example.com", "\u{FB01}nepassword1").await;
    app.sign_up("ring@example.com", "\u{C5}ngstr\u{F6}m-pass")
        .await;
    for (email, password, status) in [
        ("uni@example.com", "finepassword1", 200),
        ("uni@example.com", "\u{FB01}nepassword1", 200),
        ("uni@example.com", "finepassword2", 401),
        ("ring@example.com", "A\u{30A}ngstro\u{308}m-pass", 200),
        ("ring@example.com", "\u{C5}ngstr\u{F6}m-pass", 200),
        ("ring@example.com", "\u{E5}ngstr\u{F6}m-pass", 401),
        ("ring@example.com", "\u{C5}NGSTR\u{D6}M-PASS", 401),
    ] {
        let response = sign_in(&app, email, password).send().await;
        assert_eq!(response.status, status, "{email} {password:?}");
    }
}

async fn c23_sign_in_failures_are_identical(backend: Backend) {
    let app = TestApp::new(backend).await;
    for email in [
        "known@example.com",
        "oauth@example.com",
        "broken@example.com",
        "noaccount@example.com",
    ] {
        app.sign_up(email, "password123").await;
    }
    // An account without a password (as a social sign-in leaves it), a corrupt hash, and a
    // user without any credential account.
    set_stored_password(&app, "oauth@example.com", None).await;
    set_stored_password(&app, "broken@example.com", Some("not-a-hash")).await;
    delete_accounts_of(&app, "noaccount@example.com").await;
    let mut answers = Vec::new();
    for email in [
        "nobody@example.com",
        "known@example.com",
        "oauth@example.com",
        "broken@example.com",
        "noaccount@example.com",
    ] {
        let response = sign_in(&app, email, "wrong-password").send().await;
        let mut names: Vec<String> = response
            .headers
            .keys()
            .map(|k| k.to_string())
            .filter(|k| k != "date")
            .collect();
        names.sort();
        answers.push((response.status, names, response.body.clone()));
        assert!(response.set_cookies().is_empty());
    }
    assert!(
        answers.windows(2).all(|pair| pair[0] == pair[1]),
        "{answers:?}"
    );
    assert_eq!(
        answers[0].2,
        r#"{"message":"Invalid email or password","code":"INVALID_EMAIL_OR_PASSWORD"}"#
    );
    let malformed = sign_in(&app, "not-an-email", "whatever").send().await;
    assert_eq!(
        (malformed.status.as_u16(), malformed.error_code()),
        (400, "INVALID_EMAIL".into())
    );
}

/// Sets the stored password of `email`'s credential account (`None` stores NULL).
async fn set_stored_password(app: &TestApp, email: &str, stored: Option<&str>) {
    let b = app.backend();
    let value = stored.map_or("null".to_owned(), |s| format!("'{s}'"));
    app.sql(&format!(
        "update {} set {} = {value} where {} = (select {} from {} where {} = '{email}')",
        q(b, "account"),
        q(b, "password"),
        q(b, "userId"),
        q(b, "id"),
        q(b, "user"),
        q(b, "email")
    ))
    .await;
}

/// Deletes every account row of `email`'s user (a user left without a credential account).
async fn delete_accounts_of(app: &TestApp, email: &str) {
    let b = app.backend();
    app.sql(&format!(
        "delete from {} where {} = (select {} from {} where {} = '{email}')",
        q(b, "account"),
        q(b, "userId"),
        q(b, "id"),
        q(b, "user"),
        q(b, "email")
    ))
    .await;
}

/// Check 24: the same work for every kind of failure, shown by counting scrypt computations
/// (not by timing): one for an unknown email, a wrong password, an account without a password,
/// a user without any credential account, a corrupt or foreign stored hash, and a success.
async fn c24_every_sign_in_failure_costs_one_hash(backend: Backend) {
    let app = TestApp::new(backend).await;
    for email in [
        "work@example.com",
        "oauth@example.com",
        "noaccount@example.com",
        "bcrypt@example.com",
    ] {
        app.sign_up(email, "password123").await;
    }
    set_stored_password(&app, "oauth@example.com", None).await;
    set_stored_password(
        &app,
        "bcrypt@example.com",
        Some("$2b$10$abcdefghijklmnopqrstuv"),
    )
    .await;
    delete_accounts_of(&app, "noaccount@example.com").await;
    for (email, password, status) in [
        ("nobody@example.com", "password123", 401),
        ("work@example.com", "wrong-password", 401),
        ("oauth@example.com", "password123", 401),
        ("noaccount@example.com", "password123", 401),
        ("bcrypt@example.com", "password123", 401),
        ("work@example.com", "password123", 200),
    ] {
        let before = app.auth.password_hashes_computed();
        let response = sign_in(&app, email, password).send().await;
        assert_eq!(response.status, status, "{email}");
        assert_eq!(
            app.auth.password_hashes_computed() - before,
            1,
            "{email} / {password}"
        );
    }
    // A malformed email and an over-long password are refused before any hashing.
    let before = app.auth.password_hashes_computed();
    sign_in(&app, "not-an-email", "password123").send().await;
    let too_long = sign_in(&app, "work@example.com", &"p".repeat(129))
        .send()
        .await;
    assert_eq!(
        (too_long.status.as_u16(), too_long.error_code()),
        (400, "PASSWORD_TOO_LONG".into())
    );
    assert_eq!(app.auth.password_hashes_computed(), before);
}

async fn c26_email_lists_and_lookalikes_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    for email in [
        "a@x.com,b@y.com",
        "Name <a@x.com>",
        "a@x.com\r\nBcc: c@z.com",
        "a\u{FF20}x.com",
        "mıke@example.org",
        "a@x.com b@y.com",
    ] {
        let response = app
            .client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": "E", "email": email, "password": "password123" }))
            .send()
            .await;
        assert_eq!(
            (response.status.as_u16(), response.error_code()),
            (400, "VALIDATION_ERROR".into()),
            "{email:?}"
        );
        let response = sign_in(&app, email, "password123").send().await;
        assert_eq!(response.status, 400, "{email:?}");
    }
    assert_eq!(count_rows(&app, "user").await, 0);
}

async fn c27_server_fields_cannot_be_assigned(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("victim2@example.com", "password123").await;
    let victim_id = app
        .sql_scalar(&format!(
            "select {} from {} where {} = 'victim2@example.com'",
            q(backend, "id"),
            q(backend, "user"),
            q(backend, "email")
        ))
        .await
        .unwrap();
    let mut jar = Jar::default();
    let response = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({
            "name": "M", "email": "mass@example.com", "password": "password123",
            "emailVerified": true, "id": "attacker-id", "role": "admin", "createdAt": "2000-01-01T00:00:00.000Z",
            "userId": victim_id, "banned": false,
        }))
        .send_with(&mut jar)
        .await;
    assert_eq!(response.status, 200);
    let user = &response.json()["user"];
    assert_eq!(user["emailVerified"], false);
    assert_ne!(user["id"], "attacker-id");
    assert_ne!(user["createdAt"], "2000-01-01T00:00:00.000Z");
    let update = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "name": "M2", "userId": victim_id, "emailVerified": true, "id": victim_id }),
        )
        .await;
    assert_eq!(update.status, 200);
    let me = app.get("/me", &mut jar).await.json();
    assert_eq!(
        (me["name"].as_str(), me["emailVerified"].as_bool()),
        (Some("M2"), Some(false))
    );
    let victim_name = app
        .sql_scalar(&format!(
            "select {} from {} where {} = '{victim_id}'",
            q(backend, "name"),
            q(backend, "user"),
            q(backend, "id")
        ))
        .await;
    assert_eq!(victim_name.as_deref(), Some("Test"));
}

async fn c31_cookie_requests_from_untrusted_origins_change_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("csrf@example.com", "password123").await;
    let cookie = format!("better-auth.session_token={}", jar.session_cookie());
    let sessions = count_rows(&app, "session").await;
    let requests: [(&str, serde_json::Value); 4] = [
        ("/api/auth/sign-out", json!({})),
        (
            "/api/auth/change-password",
            json!({ "currentPassword": "password123", "newPassword": "hijacked-password" }),
        ),
        ("/api/auth/update-user", json!({ "name": "Hijacked" })),
        ("/api/auth/revoke-sessions", json!({})),
    ];
    let origins: [(Option<(&str, &str)>, &str); 7] = [
        (Some(("origin", "http://evil.example")), "INVALID_ORIGIN"),
        (None, "MISSING_OR_NULL_ORIGIN"),
        (Some(("origin", "null")), "MISSING_OR_NULL_ORIGIN"),
        (
            Some(("origin", "http://localhost:3000.evil.example")),
            "INVALID_ORIGIN",
        ),
        (
            Some(("origin", "http://localhost:3000@evil.example")),
            "INVALID_ORIGIN",
        ),
        (Some(("origin", "https://localhost:3000")), "INVALID_ORIGIN"),
        (
            Some(("referer", "http://evil.example/page")),
            "INVALID_ORIGIN",
        ),
    ];
    for (path, body) in &requests {
        for (header, code) in &origins {
            let mut request = app.client.post(path).header("cookie", &cookie).json(body);
            if let Some((name, value)) = header {
                request = request.header(name, value);
            }
            let response = request.send().await;
            assert_eq!(
                (response.status.as_u16(), response.error_code()),
                (403, code.to_string()),
                "{path} {header:?}"
            );
        }
    }
    assert_eq!(count_rows(&app, "session").await, sessions);
    let me = app
        .client
        .get("/me")
        .header("cookie", &cookie)
        .send()
        .await
        .json();
    assert_eq!(me["name"], "Test", "nothing changed");
    sign_in(&app, "csrf@example.com", "password123")
        .send()
        .await;
    // A trusted Referer (with a path) is enough without an Origin.
    let response = app
        .client
        .post("/api/auth/update-user")
        .header("cookie", &cookie)
        .header("referer", "http://localhost:3000/settings?tab=1")
        .json(&json!({ "name": "Fine" }))
        .send()
        .await;
    assert_eq!(response.status, 200);
    // A JSON route refuses text/plain (a "simple" cross-site content type).
    let plain = app
        .client
        .post("/api/auth/update-user")
        .header("cookie", &cookie)
        .with_frontend_origin()
        .header("content-type", "text/plain")
        .body(r#"{"name":"x"}"#)
        .send()
        .await;
    assert_eq!(plain.status, 415);
}

async fn c32_login_csrf_rules(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("login@example.com", "password123").await;
    let sessions = count_rows(&app, "session").await;
    let cross_site = sign_in(&app, "login@example.com", "password123")
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await;
    assert_eq!(
        (cross_site.status.as_u16(), cross_site.error_code()),
        (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED".into())
    );
    let cross_site_sign_up = app
        .client
        .post("/api/auth/sign-up/email")
        .json(
            &json!({ "name": "Forged", "email": "forged@example.com", "password": "password123" }),
        )
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-mode", "navigate")
        .send()
        .await;
    assert_eq!(
        (
            cross_site_sign_up.status.as_u16(),
            cross_site_sign_up.error_code()
        ),
        (403, "CROSS_SITE_NAVIGATION_LOGIN_BLOCKED".into())
    );
    assert_eq!(
        count_rows(&app, "user").await,
        1,
        "no user from a forged sign-up"
    );
    let untrusted = sign_in(&app, "login@example.com", "password123")
        .header("origin", "http://evil.example")
        .send()
        .await;
    assert_eq!(
        (untrusted.status.as_u16(), untrusted.error_code()),
        (403, "INVALID_ORIGIN".into())
    );
    let no_origin_fetch = sign_in(&app, "login@example.com", "password123")
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "cors")
        .send()
        .await;
    assert_eq!(
        no_origin_fetch.status, 403,
        "a browser fetch must say where it comes from"
    );
    assert_eq!(
        count_rows(&app, "session").await,
        sessions,
        "no session from a refused sign-in"
    );
    let fetch = sign_in(&app, "login@example.com", "password123")
        .header("sec-fetch-site", "same-origin")
        .header("sec-fetch-mode", "cors")
        .with_frontend_origin()
        .send()
        .await;
    assert_eq!(fetch.status, 200);
    let curl = sign_in(&app, "login@example.com", "password123")
        .send()
        .await;
    assert_eq!(
        curl.status, 200,
        "no browser markers: a script, not a forged form"
    );
}

async fn c33_redirect_targets_off_the_allowlist_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("redir@example.com", "password123").await;
    let refused = [
        json!("https://evil.example"),
        json!("//evil.example"),
        json!("/\\evil.example"),
        json!("\\\\evil.example"),
        json!("/%2F%2Fevil.example"),
        json!("/%5Cevil.example"),
        json!("https:evil.example"),
        json!("javascript:alert(1)"),
        json!("data:text/html,x"),
        json!("http://localhost:3000@evil.example"),
        json!("http://localhost:3000.evil.example"),
        json!("/ok\r\nLocation: https://evil.example"),
        json!("/ok\t//evil.example"),
        json!("/x#//evil.example"),
    ];
    for target in &refused {
        for (path, body) in [
            (
                "/api/auth/sign-in/email",
                json!({ "email": "redir@example.com", "password": "password123", "callbackURL": target }),
            ),
            (
                "/api/auth/sign-up/email",
                json!({ "name": "R", "email": "redir2@example.com", "password": "password123", "callbackURL": target }),
            ),
            ("/api/auth/sign-out", json!({ "callbackURL": target })),
        ] {
            let response = app.client.post(path).json(&body).send().await;
            assert_eq!(
                (response.status.as_u16(), response.error_code()),
                (403, "INVALID_CALLBACK_URL".into()),
                "{path} {target}"
            );
            assert!(response.header("location").is_none());
        }
    }
    for target in [json!(["https://evil.example"]), json!({ "a": 1 }), json!(7)] {
        let response = sign_in(&app, "redir@example.com", "password123").json(&json!({ "email": "redir@example.com", "password": "password123", "callbackURL": target })).send().await;
        assert_eq!(response.status, 400, "{target}");
    }
    let query = app
        .client
        .post("/api/auth/sign-in/email?callbackURL=https://evil.example")
        .json(&json!({ "email": "redir@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(query.status, 403);
    for fine in [
        "/dashboard",
        "/a?b=c&d=e",
        "http://localhost:3000/x",
        "http://localhost:4100/y",
    ] {
        let response = app.client.post("/api/auth/sign-in/email").json(&json!({ "email": "redir@example.com", "password": "password123", "callbackURL": fine })).send().await;
        assert_eq!(response.status, 200, "{fine}");
        assert_eq!(response.header("location"), Some(fine));
    }
}

async fn c34_rate_limit_buckets_cannot_be_dodged_by_path_spelling(backend: Backend) {
    let app = TestApp::with(backend, |b| b.rate_limit(authgate::RateLimit::default())).await;
    // Refused before hashing (400 INVALID_EMAIL) but counted: the requests take milliseconds,
    // well inside the 10 s window on any machine.
    let body = json!({ "email": "not-an-email", "password": "password123" });
    for _ in 0..3 {
        assert_eq!(
            app.client
                .post("/api/auth/sign-in/email")
                .json(&body)
                .send()
                .await
                .status,
            400
        );
    }
    for path in ["/api/auth/sign-in/email", "/api/auth/sign-in/email?x=1"] {
        assert_eq!(
            app.client.post(path).json(&body).send().await.status,
            429,
            "{path}"
        );
    }
    for path in [
        "//api/auth/sign-in/email",
        "/api/auth/sign-in/email/",
        "/api/auth//sign-in/email",
        "/api/auth/sign-in/%65mail",
        "/API/auth/sign-in/email",
    ] {
        let status = app
            .client
            .post(path)
            .json(&body)
            .send()
            .await
            .status
            .as_u16();
        assert!(
            matches!(status, 404 | 405 | 429),
            "{path}: {status} would be a fresh bucket"
        );
    }
}

async fn c37_injection_payloads_are_inert(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("inject@example.com", "password123").await;
    let sessions = count_rows(&app, "session").await;
    let payloads = [
        "' OR '1'='1",
        "\"; DROP TABLE session;--",
        "\u{0}",
        "%@example.com",
        "_nject@example.com",
        "\\",
    ];
    for (i, payload) in payloads.iter().enumerate() {
        let response = sign_in(&app, payload, payload).send().await;
        assert!(
            matches!(response.status.as_u16(), 400 | 401),
            "{payload:?}: {}",
            response.status
        );
        // As a name, the payload is stored verbatim (values are bound, never spliced); a NUL
        // character, which PostgreSQL cannot store, is refused.
        let response = app
            .client
            .post("/api/auth/sign-up/email")
            .json(&json!({ "name": payload, "email": format!("payload{i}@example.com"), "password": "password123" }))
            .send()
            .await;
        if payload.contains('\u{0}') {
            assert_eq!(
                (response.status.as_u16(), response.error_code()),
                (400, "VALIDATION_ERROR".into())
            );
        } else {
            assert_eq!(response.json()["user"]["name"], *payload);
        }
        let cookie = format!(
            "better-auth.session_token={}",
            encode_signed(&app.auth.sign_session_token(payload)).replace('\u{0}', "%00")
        );
        assert_eq!(
            app.client
                .get("/me")
                .header("cookie", &cookie)
                .send()
                .await
                .status,
            401
        );
        let bearer = app
            .client
            .get("/me")
            .header(
                "authorization",
                &format!("Bearer {}", payload.replace('\u{0}', "")),
            )
            .send()
            .await;
        assert_eq!(bearer.status, 401);
    }
    // Lookups compare with `=`: LIKE wildcards match nothing.
    assert_eq!(
        sign_in(&app, "_nject@example.com", "password123")
            .send()
            .await
            .status,
        401
    );
    assert_eq!(
        sign_in(&app, "%@example.com", "password123")
            .send()
            .await
            .status,
        400
    );
    assert_eq!(
        count_rows(&app, "user").await,
        1 + payloads.len() as i64 - 1
    );
    assert_eq!(
        count_rows(&app, "session").await,
        sessions + payloads.len() as i64 - 1
    );
}

async fn c38_oversized_inputs_are_refused_before_work(backend: Backend) {
    let app = TestApp::new(backend).await;
    let hashes = app.auth.password_hashes_computed();
    // One byte over the 64 KiB default (small enough for the client to finish sending).
    let huge = "a".repeat(64 * 1024 + 1);
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .header("content-type", "application/json")
        .body(huge.clone())
        .send()
        .await;
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (413, "PAYLOAD_TOO_LARGE".into())
    );
    let long_password = "p".repeat(60_000);
    let response = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "L", "email": "l@example.com", "password": long_password }))
        .send()
        .await;
    assert_eq!(
        (response.status.as_u16(), response.error_code()),
        (400, "PASSWORD_TOO_LONG".into())
    );
    assert_eq!(
        app.auth.password_hashes_computed(),
        hashes,
        "nothing was hashed"
    );
    let long_email = format!("{}@example.com", "e".repeat(300));
    let response = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": "L", "email": long_email, "password": "password123" }))
        .send()
        .await;
    assert_eq!(
        response.json()["message"],
        "[body.email] Invalid email address"
    );
    let long_name = "n".repeat(10_000);
    let response = app
        .client
        .post("/api/auth/sign-up/email")
        .json(&json!({ "name": long_name, "email": "n@example.com", "password": "password123" }))
        .send()
        .await;
    assert_eq!(
        response.json()["message"],
        "[body.name] Too big: expected string to have <=255 characters"
    );
    let brackets = "[".repeat(100_000);
    let response = app
        .client
        .post("/api/auth/sign-in/email")
        .header("content-type", "application/json")
        .body(brackets)
        .send()
        .await;
    assert!(
        matches!(response.status.as_u16(), 400 | 413),
        "{}",
        response.status
    );
    let big_cookie = format!("better-auth.session_token={}", "t".repeat(10_000));
    assert_eq!(
        app.client
            .get("/me")
            .header("cookie", &big_cookie)
            .send()
            .await
            .status,
        401
    );
    let sixteen_kib = format!("pad={}", "p".repeat(16 * 1024));
    let response = app
        .client
        .get("/me")
        .header("cookie", &sixteen_kib)
        .send()
        .await;
    assert!(
        matches!(response.status.as_u16(), 401 | 431),
        "a 16 KiB Cookie header: {}",
        response.status
    );
    let many = (0..300)
        .map(|i| format!("c{i}=v"))
        .collect::<Vec<_>>()
        .join("; ");
    assert_eq!(
        app.client
            .get("/me")
            .header("cookie", &many)
            .send()
            .await
            .status,
        401
    );
}

async fn c39_malformed_bodies_get_4xx(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.sign_up("malformed@example.com", "password123").await;
    let bodies: [(&str, &[u8]); 7] = [
        ("application/json", br#"{"email":"a@x.com","#),
        ("application/json", b"\xC3\x28"),
        ("application/json", br#"{"email":"\ud800","password":"x"}"#),
        (
            "application/json",
            br#"{"email":"a@x.com","email":"b@y.com","password":"password123"}"#,
        ),
        ("application/json", br#"{"email":"a@x.com","password":123}"#),
        ("application/json", br#"{"email":null,"password":"x"}"#),
        ("text/plain", br#"{"email":"a@x.com","password":"x"}"#),
    ];
    let routes = [
        "/api/auth/sign-in/email",
        "/api/auth/sign-up/email",
        "/api/auth/sign-out",
        "/api/auth/update-user",
        "/api/auth/change-password",
        "/api/auth/revoke-session",
        "/api/auth/revoke-sessions",
        "/api/auth/revoke-other-sessions",
    ];
    for route in routes {
        // A live session for each route (sign-out and the revocations end it on success).
        let live_cookie = async || {
            let jar = app.sign_in("malformed@example.com", "password123").await;
            format!("better-auth.session_token={}", jar.session_cookie())
        };
        let mut cookie = live_cookie().await;
        for (content_type, body) in &bodies {
            let response = app
                .client
                .post(route)
                .header("cookie", &cookie)
                .with_frontend_origin()
                .header("content-type", content_type)
                .body(body.to_vec())
                .send()
                .await;
            let status = response.status.as_u16();
            // Well-formed JSON whose fields a route does not read is a valid request there
            // (sign-out and the bulk revocations take no fields); anything malformed never is.
            let well_formed = *content_type == "application/json"
                && serde_json::from_slice::<serde_json::Value>(body).is_ok()
                && !String::from_utf8_lossy(body).contains(r#""email":"b@y.com""#);
            let takes_no_fields = route.ends_with("/sign-out")
                || route.ends_with("/revoke-sessions")
                || route.ends_with("/revoke-other-sessions");
            if status == 200 && well_formed && takes_no_fields {
                // That ended the session; the next body gets a new one.
                cookie = live_cookie().await;
                continue;
            }
            assert!(
                matches!(status, 400 | 415 | 422),
                "{route} {body:?}: {status}"
            );
            if String::from_utf8_lossy(body).contains(r#""email":"b@y.com""#) {
                // A key named twice is refused, never resolved one way or the other.
                assert_eq!(
                    (status, response.error_code()),
                    (400, "BAD_REQUEST".into()),
                    "{route}"
                );
            }
            let text = response.text();
            assert!(
                !text.contains("serde") && !text.contains("sqlx") && !text.contains("line "),
                "{text}"
            );
            response.error_code();
        }
        let form = app
            .client
            .post(route)
            .header("cookie", &cookie)
            .with_frontend_origin()
            .header("content-type", "application/x-www-form-urlencoded")
            .body("a=b")
            .send()
            .await;
        if !route.contains("/sign-in") && !route.contains("/sign-up") {
            assert_eq!(form.status, 415, "{route}");
        }
    }
}

/// A body whose framing breaks half-way (an invalid chunk) is a client mistake: 400, not the
/// 413 of an oversized body and not a 500.
async fn c39_a_body_broken_in_transit_is_a_400(backend: Backend) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = TestApp::new(backend).await;
    let mut stream = tokio::net::TcpStream::connect(app.addr).await.unwrap();
    stream
        .write_all(
            b"POST /api/auth/sign-in/email HTTP/1.1\r\nHost: localhost\r\n\
              Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n\
              5\r\n{\"a\":\r\nzz\r\n",
        )
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(std::time::Duration::from_secs(30), async {
        let mut buf = [0u8; 4096];
        loop {
            let n = stream.read(&mut buf).await.unwrap_or(0);
            if n == 0 {
                break;
            }
            answer.extend_from_slice(&buf[..n]);
            if answer.windows(4).any(|w| w == b"\r\n\r\n") && answer.ends_with(b"}") {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "answered");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 400"), "{answer}");
    assert!(answer.contains(r#""code":"BAD_REQUEST""#), "{answer}");
}

async fn c40_header_injection_and_odd_cookie_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("header@example.com", "password123").await;
    for target in [
        "/ok\r\nSet-Cookie: x=y",
        "/ok%0d%0aSet-Cookie:%20x=y",
        "/ok\u{0}",
    ] {
        let response = sign_in(&app, "header@example.com", "password123").json(&json!({ "email": "header@example.com", "password": "password123", "callbackURL": target })).send().await;
        // Raw control characters are refused; an encoded CR LF is harmless text in a path.
        let expected: &[u16] = if target.contains('%') { &[200] } else { &[403] };
        assert!(
            expected.contains(&response.status.as_u16()),
            "{target:?}: {}",
            response.status
        );
        assert!(
            response
                .headers
                .get_all("set-cookie")
                .iter()
                .all(|c| !c.to_str().unwrap().starts_with("x="))
        );
        if let Some(location) = response.header("location") {
            assert!(!location.contains('\r') && !location.contains('\n'));
            assert!(
                location.contains("%0d%0a"),
                "percent-encodings stay encoded: {location}"
            );
        }
    }
    let valid = jar.session_cookie();
    let other = encode_signed(
        &app.auth
            .sign_session_token("Zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz9"),
    );
    // First occurrence wins, deterministically.
    let first = app
        .client
        .get("/me")
        .header(
            "cookie",
            &format!("better-auth.session_token={valid}; better-auth.session_token={other}"),
        )
        .send()
        .await;
    assert_eq!(first.status, 200);
    let second = app
        .client
        .get("/me")
        .header(
            "cookie",
            &format!("better-auth.session_token={other}; better-auth.session_token={valid}"),
        )
        .send()
        .await;
    assert_eq!(second.status, 401);
    // Split across two Cookie headers (HTTP/2 style).
    let split = app
        .client
        .get("/me")
        .header("cookie", "a=1")
        .header("cookie", &format!("better-auth.session_token={valid}"))
        .send()
        .await;
    assert_eq!(split.status, 200);
    let garbage = app
        .client
        .get("/api/auth/get-session")
        .header("cookie", "=; ;;; a; b=; better-auth.session_token")
        .send()
        .await;
    assert_eq!(
        (garbage.status.as_u16(), garbage.text()),
        (200, "null".into())
    );
}

async fn c41_bearer_header_edge_cases(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut jar = app.sign_up("bearer2@example.com", "password123").await;
    let signed = app.auth.sign_session_token(&jar.session_token());
    for ok in [
        format!("Bearer {signed}"),
        format!("bearer {signed}"),
        format!("BEARER {signed}"),
        format!("Bearer {}", encode_signed(&signed)),
    ] {
        assert_eq!(
            app.client
                .get("/me")
                .header("authorization", &ok)
                .send()
                .await
                .status,
            200,
            "{ok}"
        );
    }
    let big = "x".repeat(10_240);
    for bad in [
        "Bearer",
        "Bearer  ",
        "Bearer a b",
        "Basic dXNlcjpwYXNz",
        big.as_str(),
        &format!("Bearer {big}"),
    ] {
        let response = app
            .client
            .get("/me")
            .header("authorization", bad)
            .send()
            .await;
        assert_eq!(response.status, 401, "{bad:.30}");
    }
    let not_utf8 = app
        .client
        .get("/me")
        .header_bytes("authorization", b"Bearer \xff\xfe")
        .send()
        .await;
    assert_eq!(not_utf8.status, 401, "a header that is not UTF-8");
    let raw = app
        .client
        .get("/me")
        .header("authorization", &format!("Bearer {}", jar.session_token()))
        .send()
        .await;
    assert_eq!(raw.status, 401, "unsigned tokens are refused by default");
    let query = app
        .client
        .get(&format!("/me?access_token={signed}"))
        .send()
        .await;
    assert_eq!(query.status, 401);
    // A bearer request with a cookie still follows the cookie rule for origins.
    let with_cookie = app
        .client
        .post("/api/auth/update-user")
        .header("authorization", &format!("Bearer {signed}"))
        .header("cookie", "unrelated=1")
        .json(&json!({ "name": "X" }))
        .send()
        .await;
    assert_eq!(with_cookie.status, 403);
    let without_cookie = app
        .client
        .post("/api/auth/update-user")
        .header("authorization", &format!("Bearer {signed}"))
        .json(&json!({ "name": "X" }))
        .send()
        .await;
    assert_eq!(without_cookie.status, 200);
    // After sign-out the bearer token is dead.
    app.client
        .post("/api/auth/sign-out")
        .with_frontend_origin()
        .send_with(&mut jar)
        .await;
    assert_eq!(
        app.client
            .get("/me")
            .header("authorization", &format!("Bearer {signed}"))
            .send()
            .await
            .status,
        401
    );
}

async fn c42_parallel_sign_ins_and_refreshes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let jar = app.sign_up("parallel@example.com", "password123").await;
    let mut sign_ins = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let client = app.client.clone();
        sign_ins.spawn(async move {
            client
                .post("/api/auth/sign-in/email")
                .json(&json!({ "email": "parallel@example.com", "password": "password123" }))
                .send()
                .await
        });
    }
    let responses = sign_ins.join_all().await;
    let tokens: std::collections::HashSet<String> = responses
        .iter()
        .map(|r| {
            assert_eq!(r.status, 200, "{}", r.text());
            r.json()["token"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(tokens.len(), 10);
    assert_eq!(count_rows(&app, "session").await, 11);

    // Ten requests at once on a session due for a refresh: every one answers, the expiry only
    // moves forward.
    let token = jar.session_token();
    set_session_column(&app, &token, "expiresAt", &sql_now(backend, "+2 days")).await;
    let cookie = format!("better-auth.session_token={}", jar.session_cookie());
    let mut refreshes = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (client, cookie) = (app.client.clone(), cookie.clone());
        refreshes.spawn(async move {
            client
                .get("/api/auth/get-session")
                .header("cookie", &cookie)
                .send()
                .await
        });
    }
    for response in refreshes.join_all().await {
        assert_eq!(response.json()["session"]["token"], token.as_str());
    }
    let expiry = app
        .client
        .get("/api/auth/get-session?disableRefresh=true")
        .header("cookie", &cookie)
        .send()
        .await
        .json()["session"]["expiresAt"]
        .as_str()
        .unwrap()
        .to_owned();
    let expiry =
        time::OffsetDateTime::parse(&expiry, &time::format_description::well_known::Rfc3339)
            .unwrap();
    assert!(expiry > time::OffsetDateTime::now_utc() + time::Duration::days(6));
    assert_eq!(count_rows(&app, "session").await, 11);
}
