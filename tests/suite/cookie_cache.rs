//! Better-Auth's cookie cache (`session_data`): written on a session read from the database,
//! then answering `GET`s without it; refused on this instance after a revocation or change;
//! chunked as Better-Auth chunks it. (Its byte format is pinned by the recorded vectors in
//! the unit tests; tests/interop.rs checks it both ways against a Better-Auth server.)

use authgate::CookieCache;
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp, execute, q};

backend_tests!(
    a_cookie_cache_answers_gets_without_the_database,
    revocations_on_the_same_instance_refuse_the_cookie,
    a_large_cookie_cache_is_chunked_as_better_auth_chunks_it,
);

const DATA: &str = "better-auth.session_data";

async fn with_cache(backend: Backend) -> TestApp {
    TestApp::with(backend, |b| b.cookie_cache(CookieCache::compact())).await
}

/// Deletes the session row behind the scenes, as a revocation on another instance would.
async fn delete_row(app: &TestApp, token: &str) {
    let b = app.backend();
    let deleted = execute(
        app.auth.database(),
        &format!(
            "delete from {} where {} = '{token}'",
            q(b, "session"),
            q(b, "token")
        ),
    )
    .await;
    assert_eq!(deleted, 1);
}

async fn a_cookie_cache_answers_gets_without_the_database(backend: Backend) {
    let app = with_cache(backend).await;
    let mut jar = app.sign_up("cc@example.com", "password123").await;
    let me = app.get("/me", &mut jar).await;
    assert_eq!(me.status, 200);
    let set: Vec<String> = me.set_cookies();
    assert!(
        set.iter()
            .any(|c| c.starts_with(&format!("{DATA}=")) && c.contains("Max-Age=300")),
        "{set:?}"
    );
    assert!(jar.get(DATA).is_some());

    // The row goes away behind this instance's back: the cookie still answers GETs (the
    // documented staleness, at most the max-age)...
    delete_row(&app, &jar.session_token()).await;
    let me = app.get("/me", &mut jar).await;
    assert_eq!(me.status, 200, "from the cookie alone");
    assert_eq!(me.json()["email"], "cc@example.com");
    let session = app.get("/api/auth/get-session", &mut jar).await;
    assert_eq!(session.json()["user"]["email"], "cc@example.com");
    // ...but never a POST, nor a request that asks for the database.
    let update = app
        .post(
            "/api/auth/update-user",
            &mut jar.clone(),
            json!({ "name": "X" }),
        )
        .await;
    assert_eq!(update.status, 401);
    let fresh = app
        .get("/api/auth/get-session?disableCookieCache=true", &mut jar)
        .await;
    assert_eq!(fresh.json(), serde_json::Value::Null);
    assert!(jar.get(DATA).is_none(), "cleared with the session cookie");

    // Without the session cookie, or with another session's token, the cache is nothing.
    let mut other = app.sign_up("cc2@example.com", "password123").await;
    app.get("/me", &mut other).await;
    let mut only_data = Jar::default();
    only_data
        .cookies
        .insert(DATA.into(), other.get(DATA).unwrap().into());
    assert_eq!(app.get("/me", &mut only_data).await.status, 401);
    let mut third = app.sign_up("cc3@example.com", "password123").await;
    third
        .cookies
        .insert(DATA.into(), other.get(DATA).unwrap().into());
    assert_eq!(
        app.get("/me", &mut third).await.json()["email"],
        "cc3@example.com",
        "a cookie cache of another token is ignored"
    );
    // A tampered value is ignored too: the database answers.
    let mut tampered = other.clone();
    let value = other.get(DATA).unwrap();
    let flipped = if value.ends_with('A') { "B" } else { "A" };
    tampered.cookies.insert(
        DATA.into(),
        format!("{}{flipped}", &value[..value.len() - 1]),
    );
    delete_row(&app, &other.session_token()).await;
    assert_eq!(app.get("/me", &mut tampered).await.status, 401);
}

async fn revocations_on_the_same_instance_refuse_the_cookie(backend: Backend) {
    let app = with_cache(backend).await;
    let mut a = app.sign_up("rv@example.com", "password123").await;
    let mut b = app.sign_in("rv@example.com", "password123").await;
    for jar in [&mut a, &mut b] {
        assert_eq!(app.get("/me", jar).await.status, 200);
        assert!(jar.get(DATA).is_some());
    }
    // A rename: the old cookie is refused here, the new name served at once. The write's own
    // answer hands out no cookie cache (it would hold the row as read before the write).
    let renamed = app
        .post("/api/auth/update-user", &mut a, json!({ "name": "New" }))
        .await;
    assert_eq!(renamed.status, 200);
    assert!(
        !renamed.set_cookies().iter().any(|c| c.starts_with(DATA)),
        "{:?}",
        renamed.set_cookies()
    );
    let me = app.get("/me", &mut b).await;
    assert_eq!(me.json()["name"], "New");
    // Revoking every session: b's cookie cache is still signed and unexpired, and refused.
    app.post("/api/auth/revoke-other-sessions", &mut a, json!({}))
        .await;
    assert!(b.get(DATA).is_some());
    assert_eq!(app.get("/me", &mut b).await.status, 401);
    // Sign-out clears its own cookie cache.
    app.get("/me", &mut a).await;
    let out = app.post("/api/auth/sign-out", &mut a, json!({})).await;
    assert_eq!(out.status, 200);
    assert!(a.get(DATA).is_none(), "{:?}", out.set_cookies());
}

/// Better-Auth 1.7.25 cut a cookie with a 5,000-character field into `.0` of 3,977 characters and
/// `.1` (recorded in tests/fixtures/better-auth-cookie-cache.json).
async fn a_large_cookie_cache_is_chunked_as_better_auth_chunks_it(backend: Backend) {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("../fixtures/better-auth-cookie-cache.json")).unwrap();
    let recorded = &fixture["vectors"][3]["cookies"];
    let chunk_size = recorded[0]["value"].as_str().unwrap().len();
    assert_eq!(recorded[0]["name"], format!("{DATA}.0"));

    let app = with_cache(backend).await;
    let mut jar = app.sign_up("long@example.com", "password123").await;
    // A 5,000-character image URL (the `text` column on every dialect).
    let b = app.backend();
    let renamed = execute(
        app.auth.database(),
        &format!(
            "update {} set {} = '{}'",
            q(b, "user"),
            q(b, "image"),
            "L".repeat(5000)
        ),
    )
    .await;
    assert_eq!(renamed, 1);
    app.get("/me", &mut jar).await;
    assert!(jar.get(DATA).is_none());
    assert_eq!(jar.get(&format!("{DATA}.0")).unwrap().len(), chunk_size);
    assert!(jar.get(&format!("{DATA}.1")).is_some());
    assert!(jar.get(&format!("{DATA}.2")).is_none());

    // The chunks joined answer without the database.
    delete_row(&app, &jar.session_token()).await;
    let me = app.get("/me", &mut jar).await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["image"].as_str().unwrap().len(), 5000);
    // Cleared, chunks and all, once the database is asked.
    app.get("/api/auth/get-session?disableCookieCache=true", &mut jar)
        .await;
    assert!(
        jar.cookies.keys().all(|k| !k.starts_with(DATA)),
        "{:?}",
        jar.cookies.keys()
    );
}
