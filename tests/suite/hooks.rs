//! Database hooks: they fire for HTTP requests and `auth.api()` alike, a before hook vetoes
//! with the application's own status, code and message (and nothing is written), changes the
//! data it returns, and an after hook runs exactly once per committed row.

use crate::backend_tests;
use std::sync::{Arc, Mutex};

use authgate::AuthError;
use authgate::api::{SignIn, SignUp};
use authgate::fields::Field;
use authgate::hooks::{DatabaseHooks, Operation};
use http::StatusCode;
use serde_json::json;

use crate::common::{Backend, Jar, TestApp, q};

fn blocked_domain() -> DatabaseHooks {
    DatabaseHooks::new().user_create_before(|user, _ctx| async move {
        if user.email.ends_with("@blocked.example") {
            return Err(AuthError::new(
                StatusCode::BAD_REQUEST,
                "SIGNUP_BLOCKED",
                "Sign-ups are closed for this domain",
            ));
        }
        Ok(user)
    })
}

async fn count(app: &TestApp, table: &str) -> String {
    app.sql_scalar(&format!("select count(*) from {}", q(app.backend(), table)))
        .await
        .unwrap()
}

async fn a_before_sign_up_hook_vetoes_with_the_apps_code(backend: Backend) {
    let app = TestApp::with(backend, |b| b.database_hooks(blocked_domain())).await;
    let mut jar = Jar::default();
    let refused = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "Tom", "email": "tom@blocked.example", "password": "password123" }),
        )
        .await;
    assert_eq!(refused.status, 400);
    // Exactly the hook's body, as Better-Auth sends an APIError's.
    assert_eq!(
        refused.text(),
        r#"{"message":"Sign-ups are closed for this domain","code":"SIGNUP_BLOCKED"}"#
    );
    assert!(refused.set_cookies().is_empty());

    let api = app.auth.api();
    for result in [
        api.sign_up_email(SignUp::new("Tom", "tom@blocked.example", "password123"))
            .await
            .map(drop),
        api.create_user(SignUp::new("Tom", "TOM@blocked.example", "password123"))
            .await
            .map(drop),
    ] {
        let err = result.unwrap_err();
        assert_eq!(
            (err.status(), err.code(), err.message()),
            (
                StatusCode::BAD_REQUEST,
                "SIGNUP_BLOCKED",
                "Sign-ups are closed for this domain"
            )
        );
    }
    assert_eq!(count(&app, "user").await, "0");
    assert_eq!(count(&app, "account").await, "0");
    // Other domains pass.
    app.sign_up("tom@example.com", "password123").await;
    assert_eq!(count(&app, "user").await, "1");
}

async fn an_after_hook_runs_exactly_once_per_created_user(backend: Backend) {
    let seen: Arc<Mutex<Vec<(String, bool)>>> = Arc::default();
    let record = seen.clone();
    let hooks = blocked_domain().user_create_after(move |user, ctx| {
        let record = record.clone();
        async move {
            record.lock().unwrap().push((user.id, ctx.is_http()));
            Ok(())
        }
    });
    let app = TestApp::with(backend, |b| b.database_hooks(hooks)).await;
    app.sign_up("one@example.com", "password123").await;
    app.sign_up("two@example.com", "password123").await;
    let api = app.auth.api();
    api.create_user(SignUp::new("Three", "three@example.com", "password123"))
        .await
        .unwrap();
    api.sign_up_email(SignUp::new("Four", "four@example.com", "password123"))
        .await
        .unwrap();
    // No user is created by these: a duplicate, a veto, a bad password, a sign-in.
    let mut jar = Jar::default();
    let duplicate = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "Dup", "email": "ONE@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(duplicate.status, 422);
    let vetoed = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "X", "email": "x@blocked.example", "password": "password123" }),
        )
        .await;
    assert_eq!(vetoed.status, 400);
    assert!(
        api.create_user(SignUp::new("Short", "short@example.com", "short"))
            .await
            .is_err()
    );
    app.sign_in("one@example.com", "password123").await;
    api.sign_in_email(SignIn::new("two@example.com", "password123"))
        .await
        .unwrap();

    let seen = seen.lock().unwrap().clone();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert_eq!(
        seen.iter().map(|(_, http)| *http).collect::<Vec<_>>(),
        [true, true, false, false]
    );
    let mut ids: Vec<&String> = seen.iter().map(|(id, _)| id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 4, "once per user");
    for (id, _) in &seen {
        assert!(
            api.get_user(id).await.unwrap().is_some(),
            "committed before the hook ran"
        );
    }
}

/// Before hooks change the data they return, even fields clients may not set; a veto at a
/// later step of sign-up writes nothing at all; an after hook's error changes no answer.
async fn before_hooks_change_the_data_and_vetoes_write_nothing(backend: Backend) {
    let hooks = DatabaseHooks::new()
        .user_create_before(|mut user, ctx| async move {
            assert_eq!(ctx.operation(), Operation::SignUp);
            assert_eq!(ctx.path(), Some("/sign-up/email"));
            assert!(ctx.headers().is_some_and(|h| h.contains_key("origin")));
            user.fields.set("role", "editor");
            user.name = user.name.to_uppercase();
            Ok(user)
        })
        .account_create_before(|account, _ctx| async move {
            if account.account_id.is_empty() {
                unreachable!("the account is the new user's");
            }
            Ok(account)
        })
        .session_create_before(|mut session, _ctx| async move {
            session.fields.set("device", "hooked");
            Ok(session)
        })
        .user_update_before(|mut change, ctx| async move {
            if change.name.as_deref() == Some("veto") {
                return Err(AuthError::new(
                    StatusCode::CONFLICT,
                    "NAME_TAKEN",
                    "Pick another name",
                ));
            }
            assert!(ctx.session().is_some(), "the caller's session");
            change.fields.set("role", "renamed");
            Ok(change)
        })
        .user_create_after(|_user, _ctx| async move {
            Err(AuthError::new(
                StatusCode::BAD_GATEWAY,
                "WELCOME_MAIL",
                "mailer down",
            ))
        });
    let app = TestApp::with(backend, |b| {
        b.user_field("role", Field::string().default("user"))
            .session_field("device", Field::string().optional())
            .database_hooks(hooks)
    })
    .await;
    let mut jar = Jar::default();
    let signed_up = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "Test", "email": "hooked@example.com", "password": "password123" }),
        )
        .await;
    // The after hook's error is logged; the sign-up happened and says so.
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let session = app.get("/api/auth/get-session", &mut jar).await.json();
    assert_eq!(session["user"]["role"], "editor");
    assert_eq!(session["user"]["name"], "TEST");
    assert_eq!(session["session"]["device"], "hooked");

    let renamed = app
        .post("/api/auth/update-user", &mut jar, json!({ "name": "New" }))
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text());
    assert_eq!(app.get("/me", &mut jar).await.json()["role"], "renamed");
    let vetoed = app
        .post("/api/auth/update-user", &mut jar, json!({ "name": "veto" }))
        .await;
    assert_eq!(
        (vetoed.status, vetoed.text()),
        (
            http::StatusCode::CONFLICT,
            r#"{"message":"Pick another name","code":"NAME_TAKEN"}"#.to_owned()
        )
    );
    assert_eq!(app.get("/me", &mut jar).await.json()["name"], "New");

    // A veto of the session step rolls nothing back, because nothing was written yet.
    let strict = TestApp::on(crate::common::TestDatabase::new(backend).await, |b| {
        b.database_hooks(DatabaseHooks::new().session_create_before(|_, _| async {
            Err(AuthError::new(
                StatusCode::FORBIDDEN,
                "NO_SESSIONS",
                "No sessions today",
            ))
        }))
    })
    .await;
    let mut jar = Jar::default();
    let refused = strict
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({ "name": "S", "email": "s@example.com", "password": "password123" }),
        )
        .await;
    assert_eq!(refused.status, 403);
    assert_eq!(refused.error_code(), "NO_SESSIONS");
    for table in ["user", "account", "session"] {
        assert_eq!(count(&strict, table).await, "0", "{table}");
    }
    // Server code creating a user without a session is not affected by a session hook.
    strict
        .auth
        .api()
        .create_user(SignUp::new("S", "s@example.com", "password123"))
        .await
        .unwrap();
}

/// Delete hooks see every row that goes (sessions, accounts, the user), may keep a session
/// from being revoked, and run for the session lookup's deletion of an expired session.
async fn delete_hooks_see_every_row(backend: Backend) {
    let deleted: Arc<Mutex<Vec<String>>> = Arc::default();
    let (s, a, u) = (deleted.clone(), deleted.clone(), deleted.clone());
    let hooks = DatabaseHooks::new()
        .session_delete_before(|session, ctx| async move {
            if ctx.operation() == Operation::RevokeSession
                && session.user_agent.as_deref() == Some("kept")
            {
                return Err(AuthError::new(
                    StatusCode::LOCKED,
                    "KEPT",
                    "This session stays",
                ));
            }
            Ok(())
        })
        .session_delete_after(move |session, ctx| {
            let s = s.clone();
            async move {
                s.lock().unwrap().push(format!(
                    "session:{:?}:{}",
                    ctx.operation(),
                    session.user_id
                ));
                Ok(())
            }
        })
        .account_delete_after(move |account, _| {
            let a = a.clone();
            async move {
                a.lock()
                    .unwrap()
                    .push(format!("account:{}", account.provider_id));
                Ok(())
            }
        })
        .user_delete_after(move |user, _| {
            let u = u.clone();
            async move {
                u.lock().unwrap().push(format!("user:{}", user.email));
                Ok(())
            }
        });
    let app = TestApp::with(backend, |b| b.delete_user(true).database_hooks(hooks)).await;
    let mut jar = app.sign_up("gone@example.com", "password123").await;
    let user_id = app.get("/me", &mut jar).await.json()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kept = app
        .auth
        .api()
        .sign_in_email(SignIn::new("gone@example.com", "password123").user_agent("kept"))
        .await
        .unwrap();
    let refused = app
        .post(
            "/api/auth/revoke-session",
            &mut jar,
            json!({ "token": kept.session.token }),
        )
        .await;
    assert_eq!(refused.status, 423, "{}", refused.text());
    assert_eq!(
        app.auth.api().list_sessions(&user_id).await.unwrap().len(),
        2
    );

    let gone = app
        .post(
            "/api/auth/delete-user",
            &mut jar,
            json!({ "password": "password123" }),
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.text());
    let mut deleted = deleted.lock().unwrap().clone();
    deleted.sort();
    assert_eq!(
        deleted,
        [
            "account:credential".to_owned(),
            format!("session:DeleteUser:{user_id}"),
            format!("session:DeleteUser:{user_id}"),
            "user:gone@example.com".to_owned(),
        ]
    );
}

backend_tests!(
    a_before_sign_up_hook_vetoes_with_the_apps_code,
    an_after_hook_runs_exactly_once_per_created_user,
    before_hooks_change_the_data_and_vetoes_write_nothing,
    delete_hooks_see_every_row
);
