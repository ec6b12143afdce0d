//! The server-side API (`auth.api()`): a command-line program creates users without leaving
//! sessions or touching rate limits, and every operation follows the endpoints' rules.

use crate::backend_tests;
use std::process::Command;

use authgate::api::{ChangePassword, SignIn, SignUp, UpdateUser};
use authgate::fields::Field;
use authgate::{RateLimit, RateLimitStorage, Rule};
use http::{HeaderMap, HeaderValue, header};
use serde_json::{Value, json};

use crate::common::processes::example_binary;
use crate::common::{Backend, Jar, TEST_SECRET, TestApp, TestDatabase, q};

async fn count(db: &authgate::Database, backend: Backend, table: &str) -> String {
    crate::common::scalar(db, &format!("select count(*) from {}", q(backend, table)))
        .await
        .unwrap()
}

/// `examples/roles.rs create-admin`, run as a process five times, as an operator's script
/// would: five administrators, no session, no rate-limit counter (over HTTP the fourth sign-up
/// within ten seconds would get 429), and the role is set though clients may not set it.
async fn a_cli_creates_users_without_sessions_or_rate_limits(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let binary = example_binary("roles");
    for n in 0..5 {
        let output = tokio::task::spawn_blocking({
            let (binary, url) = (binary.clone(), db.url.clone());
            move || {
                Command::new(binary)
                    .args([
                        "create-admin",
                        &format!("admin{n}@example.com"),
                        "correct horse battery",
                    ])
                    .env("DATABASE_URL", url)
                    .env("BETTER_AUTH_SECRET", TEST_SECRET)
                    .env_remove("BETTER_AUTH_URL")
                    .env("RUST_LOG", "warn")
                    .output()
                    .unwrap()
            }
        })
        .await
        .unwrap();
        assert!(
            output.status.success(),
            "run {n}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        let printed: Value = serde_json::from_slice(&output.stdout).unwrap();
        assert_eq!(printed["role"], "admin");
    }
    let pool = db.connect().await;
    assert_eq!(count(&pool, backend, "user").await, "5");
    assert_eq!(count(&pool, backend, "session").await, "0");
    assert_eq!(count(&pool, backend, "rateLimit").await, "0");
    let b = backend;
    let roles = crate::common::scalar(
        &pool,
        &format!(
            "select count(*) from {} where {} = 'admin'",
            q(b, "user"),
            q(b, "role")
        ),
    )
    .await;
    assert_eq!(roles.as_deref(), Some("5"));
    pool.close().await;

    // In process too, with the default limits on and counted in the database: no call counts,
    // not even failed sign-ins (the per-account limit is for requests).
    let app = TestApp::on(TestDatabase::new(backend).await, |b| {
        b.rate_limit(
            RateLimit::default()
                .storage(RateLimitStorage::Database)
                .per_account(Rule::new(3, std::time::Duration::from_secs(3600))),
        )
    })
    .await;
    let api = app.auth.api();
    for n in 0..6 {
        api.create_user(SignUp::new("U", format!("u{n}@example.com"), "password123"))
            .await
            .unwrap();
    }
    for _ in 0..6 {
        let err = api
            .sign_in_email(SignIn::new("u0@example.com", "wrong password"))
            .await
            .unwrap_err();
        assert_eq!(err.code(), "INVALID_EMAIL_OR_PASSWORD");
    }
    let db = app.auth.database();
    assert_eq!(count(db, backend, "session").await, "0");
    assert_eq!(count(db, backend, "rateLimit").await, "0");
    // The same account over HTTP is limited as before.
    let mut statuses = Vec::new();
    for _ in 0..4 {
        let response = app
            .client
            .post("/api/auth/sign-in/email")
            .json(&json!({ "email": "u1@example.com", "password": "wrong password" }))
            .send()
            .await;
        statuses.push(response.status);
    }
    assert_eq!(statuses, [401, 401, 401, 429]);
}

/// Every operation of the API, with the rules of its endpoint.
async fn the_api_does_what_the_endpoints_do(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        b.user_field("role", Field::string().default("user"))
    })
    .await;
    let api = app.auth.api();

    // Sign-up: the endpoint's checks, a session with its cookie and signed token.
    let err = api
        .sign_up_email(SignUp::new("Ada", "ada@example.com", "short"))
        .await
        .unwrap_err();
    assert_eq!(
        (err.status().as_u16(), err.code()),
        (400, "PASSWORD_TOO_SHORT")
    );
    let signed_up = api
        .sign_up_email(SignUp::new("Ada", "ADA@example.com", "password123"))
        .await
        .unwrap();
    assert_eq!(signed_up.user.email, "ada@example.com");
    let session = signed_up.session.clone().unwrap();
    let signed = signed_up.signed_token.clone().unwrap();
    assert_eq!(signed, app.auth.sign_session_token(&session.token));
    let set_cookie = signed_up.headers[header::SET_COOKIE].to_str().unwrap();
    assert!(
        set_cookie.starts_with("better-auth.session_token="),
        "{set_cookie}"
    );
    let err = api
        .create_user(SignUp::new("Ada", "ada@example.com", "password123"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");

    // The session from headers (cookie or signed bearer), or by token.
    let id = signed_up.user.id.clone();
    let mut headers = HeaderMap::new();
    headers.insert(
        header::COOKIE,
        HeaderValue::from_str(set_cookie.split(';').next().unwrap()).unwrap(),
    );
    let found = api.get_session(&headers).await.unwrap().unwrap();
    assert_eq!(
        (found.user.id.as_str(), found.session.id.as_str()),
        (id.as_str(), session.id.as_str())
    );
    let mut bearer = HeaderMap::new();
    bearer.insert(
        header::AUTHORIZATION,
        format!("Bearer {signed}").parse().unwrap(),
    );
    assert!(api.get_session(&bearer).await.unwrap().is_some());
    let mut raw = HeaderMap::new();
    raw.insert(
        header::AUTHORIZATION,
        format!("Bearer {}", session.token).parse().unwrap(),
    );
    assert!(api.get_session(&raw).await.unwrap().is_none(), "unsigned");
    assert!(
        api.get_session_by_token(&session.token)
            .await
            .unwrap()
            .is_some()
    );
    // The signed token works over HTTP as a bearer.
    let me = app
        .client
        .get("/me")
        .header("authorization", &format!("Bearer {signed}"))
        .send()
        .await;
    assert_eq!(me.json()["id"], id.as_str());

    // Sign-in: a new session each time; wrong passwords refused alike.
    let signed_in = api
        .sign_in_email(SignIn::new("ada@example.com", "password123").user_agent("cli"))
        .await
        .unwrap();
    assert_eq!(signed_in.session.user_agent.as_deref(), Some("cli"));
    assert_eq!(
        signed_in.signed_token,
        app.auth.sign_session_token(&signed_in.session.token)
    );
    assert_eq!(api.list_sessions(&id).await.unwrap().len(), 2);
    assert_eq!(
        api.sign_in_email(SignIn::new("nobody@example.com", "password123"))
            .await
            .unwrap_err()
            .code(),
        "INVALID_EMAIL_OR_PASSWORD"
    );

    // Passwords: verify, change (wrong current refused), set without the current one.
    api.verify_password(&id, "password123").await.unwrap();
    assert_eq!(
        api.verify_password(&id, "nope-nope")
            .await
            .unwrap_err()
            .code(),
        "INVALID_PASSWORD"
    );
    let err = api
        .change_password(&id, ChangePassword::new("wrong-current", "password456"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "INVALID_PASSWORD");
    api.change_password(
        &id,
        ChangePassword::new("password123", "password456").revoke_sessions(true),
    )
    .await
    .unwrap();
    assert!(
        api.list_sessions(&id).await.unwrap().is_empty(),
        "revoked with the old password"
    );
    api.set_password(&id, "password789").await.unwrap();
    assert_eq!(
        api.set_password(&id, "short").await.unwrap_err().code(),
        "PASSWORD_TOO_SHORT"
    );
    assert_eq!(
        api.set_password("no-such-user", "password789")
            .await
            .unwrap_err()
            .code(),
        "USER_NOT_FOUND"
    );
    let jar = app.sign_in("ada@example.com", "password789").await;

    // Revocations: one, the others, all.
    let second = api
        .sign_in_email(SignIn::new("ada@example.com", "password789"))
        .await
        .unwrap();
    let third = api
        .sign_in_email(SignIn::new("ada@example.com", "password789"))
        .await
        .unwrap();
    api.revoke_session(&second.session.token).await.unwrap();
    assert_eq!(api.list_sessions(&id).await.unwrap().len(), 2);
    api.revoke_other_sessions(&id, &third.session.token)
        .await
        .unwrap();
    let left = api.list_sessions(&id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].token, third.session.token);
    assert_eq!(
        app.get("/me", &mut jar.clone()).await.status,
        401,
        "the browser's went too"
    );
    api.revoke_sessions(&id).await.unwrap();
    assert!(api.list_sessions(&id).await.unwrap().is_empty());

    // Users: update (email and a server-only field included), find, delete.
    let updated = api
        .update_user(
            &id,
            UpdateUser::new()
                .name("Ada L.")
                .email("Lovelace@Example.com")
                .field("role", "admin"),
        )
        .await
        .unwrap();
    assert_eq!(
        (
            updated.name.as_str(),
            updated.email.as_str(),
            updated.field::<String>("role").as_deref()
        ),
        ("Ada L.", "lovelace@example.com", Some("admin"))
    );
    let other = api
        .create_user(SignUp::new("B", "b@example.com", "password123"))
        .await
        .unwrap();
    let err = api
        .update_user(&other.id, UpdateUser::new().email("lovelace@example.com"))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL");
    assert_eq!(
        api.update_user("no-such-user", UpdateUser::new().name("x"))
            .await
            .unwrap_err()
            .code(),
        "USER_NOT_FOUND"
    );
    assert_eq!(
        api.find_user_by_email("LOVELACE@example.com")
            .await
            .unwrap()
            .unwrap()
            .id,
        id
    );
    api.delete_user(&id).await.unwrap();
    assert!(api.get_user(&id).await.unwrap().is_none());
    assert!(api.get_user(&other.id).await.unwrap().is_some());
    let mut jar = Jar::default();
    let gone = app
        .post(
            "/api/auth/sign-in/email",
            &mut jar,
            json!({ "email": "lovelace@example.com", "password": "password789" }),
        )
        .await;
    assert_eq!(gone.status, 401);
}

/// Public sign-up may be closed while server code still creates users (invitations).
async fn server_code_creates_users_when_sign_up_is_closed(backend: Backend) {
    let app = TestApp::with(backend, |b| b.allow_sign_up(false)).await;
    let mut jar = Jar::default();
    let refused = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "N", "email": "n@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(refused.error_code(), "EMAIL_PASSWORD_SIGN_UP_DISABLED");
    let invited = app
        .auth
        .api()
        .create_user(SignUp::new("N", "n@example.com", "password123"))
        .await
        .unwrap();
    app.sign_in("n@example.com", "password123").await;
    assert_eq!(invited.email, "n@example.com");
}

backend_tests!(
    a_cli_creates_users_without_sessions_or_rate_limits,
    the_api_does_what_the_endpoints_do,
    server_code_creates_users_when_sign_up_is_closed
);
