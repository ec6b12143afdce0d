//! Cross-implementation tests: a real Better-Auth 1.7.25 server (Node, `interop/`) and authgate
//! share one database and one secret, and each accepts what the other wrote: users, passwords,
//! session cookies, bearer tokens, sign-outs and revocations, and each other's schema, also
//! with the same additional fields declared on both. Then Better-Auth's official client drives
//! the quickstart. On a shared database, verification links and reset tokens issued by either
//! side work on the other.
//!
//! These need the npm install in `interop/` (`bash .ci/run` does it; by hand
//! `npm ci --prefix interop`), so they are `#[ignore]`d for a plain `cargo test`.

mod common;

use common::processes::{
    BetterAuthDatabase, BetterAuthServer, Quickstart, better_auth_check, better_auth_check_with,
    better_auth_migrate, better_auth_migrate_with, better_sqlite3_available, interop_dir,
};
use common::{Backend, Client, FRONTEND, Jar, TEST_SECRET, TestApp, TestDatabase, TestResponse};
use serde_json::{Value, json};

const PASSWORD: &str = "shared-password-1";
const NEW_PASSWORD: &str = "shared-password-2";

/// One of the two servers on the shared database.
struct Side {
    name: &'static str,
    client: Client,
    better_auth: bool,
}

impl Side {
    async fn send(&self, path: &str, jar: &mut Jar, body: Value) -> TestResponse {
        self.client
            .post(path)
            .header("origin", FRONTEND)
            .json(&body)
            .send_with(jar)
            .await
    }

    async fn sign_up(&self, email: &str) -> (Jar, TestResponse) {
        let mut jar = Jar::default();
        let body = json!({ "name": self.name, "email": email, "password": PASSWORD });
        let response = self.send("/api/auth/sign-up/email", &mut jar, body).await;
        assert_eq!(response.status, 200, "{}: {}", self.name, response.text());
        (jar, response)
    }

    async fn sign_in(&self, email: &str, password: &str) -> (Jar, TestResponse) {
        let mut jar = Jar::default();
        let body = json!({ "email": email, "password": password });
        let response = self.send("/api/auth/sign-in/email", &mut jar, body).await;
        (jar, response)
    }

    async fn signed_in(&self, email: &str, password: &str) -> (Jar, TestResponse) {
        let (jar, response) = self.sign_in(email, password).await;
        assert_eq!(response.status, 200, "{}: {}", self.name, response.text());
        (jar, response)
    }

    /// Who this side says the jar's cookie belongs to: authgate through `SessionLayer` and
    /// `CurrentUser` (`/me`), Better-Auth through its `get-session`.
    async fn whoami(&self, jar: &Jar) -> Option<String> {
        let mut jar = jar.clone();
        let path = if self.better_auth {
            "/api/auth/get-session"
        } else {
            "/me"
        };
        let response = self.client.get(path).send_with(&mut jar).await;
        self.identity(response)
    }

    async fn whoami_bearer(&self, token: &str) -> Option<String> {
        let path = if self.better_auth {
            "/api/auth/get-session"
        } else {
            "/me"
        };
        let response = self
            .client
            .get(path)
            .header("authorization", &format!("Bearer {token}"))
            .send()
            .await;
        self.identity(response)
    }

    fn identity(&self, response: TestResponse) -> Option<String> {
        let body = response.json();
        if self.better_auth {
            assert_eq!(response.status, 200, "{}: {}", self.name, response.text());
            (!body.is_null()).then(|| body["user"]["email"].as_str().unwrap().to_owned())
        } else if response.status == 401 {
            assert_eq!(body["code"], "UNAUTHORIZED");
            None
        } else {
            assert_eq!(response.status, 200, "{}: {}", self.name, response.text());
            Some(body["email"].as_str().unwrap().to_owned())
        }
    }

    async fn session_tokens(&self, jar: &mut Jar) -> Vec<String> {
        let response = self
            .client
            .get("/api/auth/list-sessions")
            .send_with(jar)
            .await;
        assert_eq!(response.status, 200, "{}: {}", self.name, response.text());
        let mut tokens: Vec<String> = response
            .json()
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["token"].as_str().unwrap().to_owned())
            .collect();
        tokens.sort();
        tokens
    }
}

/// Everything one side writes, the other reads, in both directions.
async fn both_directions(node: &Side, rust: &Side) {
    let from_node = "made-by-node@example.com";
    let from_rust = "made-by-rust@example.com";

    // Users made on one side sign in on the other; each side's cookie is accepted by the other.
    let (node_jar, _) = node.sign_up(from_node).await;
    assert_eq!(rust.whoami(&node_jar).await.as_deref(), Some(from_node));
    let (rust_jar, _) = rust.signed_in(from_node, PASSWORD).await;
    assert_eq!(node.whoami(&rust_jar).await.as_deref(), Some(from_node));

    let (rust_jar_2, _) = rust.sign_up(from_rust).await;
    assert_eq!(node.whoami(&rust_jar_2).await.as_deref(), Some(from_rust));
    let (node_jar_2, _) = node.signed_in(from_rust, PASSWORD).await;
    assert_eq!(rust.whoami(&node_jar_2).await.as_deref(), Some(from_rust));

    // A wrong password is refused for the other side's users, with the same answer.
    for (side, email) in [(node, from_rust), (rust, from_node)] {
        let (_, refused) = side.sign_in(email, "not-the-password").await;
        assert_eq!(refused.status, 401, "{}", side.name);
        assert_eq!(refused.error_code(), "INVALID_EMAIL_OR_PASSWORD");
    }

    // Sign-out on one side is seen by the other on the very next request.
    for (signing_out, other, mut jar) in [(rust, node, node_jar), (node, rust, rust_jar_2)] {
        let stale = jar.clone();
        let out = signing_out
            .send("/api/auth/sign-out", &mut jar, json!({}))
            .await;
        assert_eq!(out.status, 200, "{}: {}", signing_out.name, out.text());
        assert_eq!(out.json(), json!({ "success": true }));
        assert_eq!(
            other.whoami(&stale).await,
            None,
            "{} still knows it",
            other.name
        );
        assert_eq!(signing_out.whoami(&stale).await, None);
    }

    // Both list the same sessions; a revoke on one side is seen by the other.
    let (mut phone, _) = node.signed_in(from_node, PASSWORD).await;
    let (mut laptop, _) = rust.signed_in(from_node, PASSWORD).await;
    let listed_by_node = node.session_tokens(&mut laptop).await;
    assert_eq!(listed_by_node, rust.session_tokens(&mut phone).await);
    assert!(listed_by_node.contains(&phone.session_token()));
    assert!(listed_by_node.contains(&laptop.session_token()));

    let body = json!({ "token": rust_jar.session_token() });
    let revoked = node
        .send("/api/auth/revoke-session", &mut phone, body)
        .await;
    assert_eq!(
        revoked.json(),
        json!({ "status": true }),
        "{}",
        revoked.text()
    );
    assert_eq!(rust.whoami(&rust_jar).await, None);

    let revoked = rust
        .send("/api/auth/revoke-other-sessions", &mut laptop, json!({}))
        .await;
    assert_eq!(
        revoked.json(),
        json!({ "status": true }),
        "{}",
        revoked.text()
    );
    assert_eq!(node.whoami(&phone).await, None, "the phone was revoked");
    assert_eq!(node.whoami(&laptop).await.as_deref(), Some(from_node));

    // Bearer tokens, as each side hands them out in `set-auth-token`, work on the other.
    let (_, node_sign_in) = node.signed_in(from_rust, PASSWORD).await;
    let (_, rust_sign_in) = rust.signed_in(from_rust, PASSWORD).await;
    let node_bearer = node_sign_in
        .header("set-auth-token")
        .expect("Better-Auth's token");
    let rust_bearer = rust_sign_in
        .header("set-auth-token")
        .expect("authgate's token");
    assert_eq!(
        rust.whoami_bearer(node_bearer).await.as_deref(),
        Some(from_rust)
    );
    assert_eq!(
        node.whoami_bearer(rust_bearer).await.as_deref(),
        Some(from_rust)
    );

    // A password changed on one side (revoking the other sessions) holds on the other.
    let (mut other_device, _) = node.signed_in(from_node, PASSWORD).await;
    let body = json!({
        "currentPassword": PASSWORD,
        "newPassword": NEW_PASSWORD,
        "revokeOtherSessions": true,
    });
    let changed = rust
        .send("/api/auth/change-password", &mut laptop, body)
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text());
    assert_eq!(node.whoami(&other_device).await, None);
    assert_eq!(node.whoami(&laptop).await.as_deref(), Some(from_node));
    let (_, old) = node.sign_in(from_node, PASSWORD).await;
    assert_eq!(old.status, 401);
    node.signed_in(from_node, NEW_PASSWORD).await;

    // A profile updated on one side is what the other serves.
    let updated = node
        .send(
            "/api/auth/update-user",
            &mut other_device,
            json!({ "name": "x" }),
        )
        .await;
    assert_eq!(updated.status, 401, "the revoked device cannot update");
    let updated = node
        .send(
            "/api/auth/update-user",
            &mut laptop,
            json!({ "name": "Renamed on Node" }),
        )
        .await;
    assert_eq!(
        updated.json(),
        json!({ "status": true }),
        "{}",
        updated.text()
    );
    let mut jar = laptop.clone();
    let me = rust.client.get("/me").send_with(&mut jar).await;
    assert_eq!(me.json()["name"], "Renamed on Node");

    // Revoke-all on one side signs every session of the user out on both, in both directions,
    // and leaves other users' sessions alone.
    let everywhere = "signed-in-everywhere@example.com";
    let (signed_up, _) = rust.sign_up(everywhere).await;
    let mut first_round = vec![signed_up];
    for (revoking, other) in [(rust, node), (node, rust)] {
        let mut jars = std::mem::take(&mut first_round);
        for side in [node, rust] {
            for _ in 0..2 {
                jars.push(side.signed_in(everywhere, PASSWORD).await.0);
            }
        }
        for jar in &jars {
            assert_eq!(node.whoami(jar).await.as_deref(), Some(everywhere));
            assert_eq!(rust.whoami(jar).await.as_deref(), Some(everywhere));
        }
        let mut caller = jars.last().unwrap().clone();
        let revoked = revoking
            .send("/api/auth/revoke-sessions", &mut caller, json!({}))
            .await;
        assert_eq!(revoked.status, 200, "{}: {}", revoking.name, revoked.text());
        assert_eq!(revoked.json(), json!({ "status": true }));
        assert_eq!(
            caller.get("better-auth.session_token"),
            None,
            "{} clears the caller's cookie",
            revoking.name
        );
        for (i, jar) in jars.iter().enumerate() {
            assert_eq!(
                other.whoami(jar).await,
                None,
                "{} still knows session {i} after revoke-sessions on {}",
                other.name,
                revoking.name
            );
            assert_eq!(
                revoking.whoami(jar).await,
                None,
                "{} still knows its own session {i}",
                revoking.name
            );
        }
        for side in [node, rust] {
            assert_eq!(
                side.whoami(&laptop).await.as_deref(),
                Some(from_node),
                "another user's session went too ({})",
                side.name
            );
        }
    }
}

/// authgate on `db`, with `set-auth-token` on (as Better-Auth's bearer plugin).
async fn authgate_on(db: TestDatabase) -> TestApp {
    TestApp::on(db, |b| b.set_auth_token_header(true)).await
}

fn sides(better_auth: &BetterAuthServer, authgate: &TestApp) -> (Side, Side) {
    let node = Side {
        name: "Better-Auth",
        client: better_auth.client(),
        better_auth: true,
    };
    let rust = Side {
        name: "authgate",
        client: authgate.client.clone(),
        better_auth: false,
    };
    (node, rust)
}

/// The schema Better-Auth's migration made is used by authgate as it is.
async fn on_better_auths_schema(db: TestDatabase, database: BetterAuthDatabase<'_>) {
    better_auth_migrate(&database, TEST_SECRET);
    let auth = common::builder()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    let report = auth.migrate().await.unwrap();
    assert!(
        report.is_empty(),
        "authgate wanted to change it: {report:?}"
    );
    auth.database().close().await;

    // Declared in this order so that Better-Auth stops before the database is dropped.
    let authgate = authgate_on(db).await;
    let better_auth = BetterAuthServer::start(&database, TEST_SECRET).await;
    let (node, rust) = sides(&better_auth, &authgate);
    both_directions(&node, &rust).await;
}

/// The schema `auth.migrate()` made is complete for Better-Auth's migration and serves it.
async fn on_authgates_schema(db: TestDatabase, database: BetterAuthDatabase<'_>) {
    let authgate = authgate_on(db).await;
    assert_eq!(
        better_auth_check(&database, TEST_SECRET),
        json!({ "create": [], "add": [] }),
        "Better-Auth's migration would change authgate's schema"
    );
    let better_auth = BetterAuthServer::start(&database, TEST_SECRET).await;
    let (node, rust) = sides(&better_auth, &authgate);
    both_directions(&node, &rust).await;
}

/// The additional fields of the spec's recordings, as `interop/better-auth-server.mjs` declares
/// them with `BA_FIELDS=af`: `role` (`input: false`, default `user`), `age`, `newsletter`
/// (default `false`), `birthday`; `device` on sessions.
const AF: &[(&str, &str)] = &[("BA_FIELDS", "af")];

fn af(builder: authgate::AuthBuilder) -> authgate::AuthBuilder {
    use authgate::fields::Field;
    builder
        .user_field("role", Field::string().default("user"))
        .user_field("age", Field::number().optional().input(true))
        .user_field("newsletter", Field::boolean().default(false).input(true))
        .user_field("birthday", Field::date().optional().input(true))
        .session_field("device", Field::string().optional())
}

/// The raw `get-session` body each side answers for `jar`'s cookie.
async fn get_session_text(side: &Side, jar: &Jar) -> String {
    let mut jar = jar.clone();
    let response = side
        .client
        .get("/api/auth/get-session")
        .send_with(&mut jar)
        .await;
    assert_eq!(response.status, 200, "{}: {}", side.name, response.text());
    response.text()
}

/// Both sides declare the same additional fields on one database, migrated by either: each
/// reads and writes the other's rows, and both answer byte for byte the same `get-session`
/// (the fields in Better-Auth's order, with the same values); then the whole of
/// `both_directions` still holds.
async fn additional_fields_on_a_shared_database(
    db: TestDatabase,
    database: BetterAuthDatabase<'_>,
    migrated_by_better_auth: bool,
) {
    if migrated_by_better_auth {
        better_auth_migrate_with(&database, TEST_SECRET, AF);
        let auth = af(common::builder())
            .validate()
            .unwrap()
            .connect(&db.url)
            .await
            .unwrap();
        let report = auth.migrate().await.unwrap();
        assert!(
            report.is_empty(),
            "authgate wanted to change it: {report:?}"
        );
        auth.database().close().await;
    }
    let authgate = TestApp::on(db, |b| af(b).set_auth_token_header(true)).await;
    if !migrated_by_better_auth {
        assert_eq!(
            better_auth_check_with(&database, TEST_SECRET, AF),
            json!({ "create": [], "add": [] }),
            "Better-Auth's migration would change authgate's schema"
        );
    }
    let better_auth = BetterAuthServer::start_with(&database, TEST_SECRET, AF).await;
    let (node, rust) = sides(&better_auth, &authgate);

    // Better-Auth writes the fields (and replaces a client's role by the default).
    let mut node_jar = Jar::default();
    let signed_up = node
        .send(
            "/api/auth/sign-up/email",
            &mut node_jar,
            json!({
                "name": "Bob", "email": "bob@example.com", "password": PASSWORD, "age": 42,
                "newsletter": true, "birthday": "1990-05-17T00:00:00.000Z", "role": "admin",
            }),
        )
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    assert_eq!(signed_up.json()["user"]["role"], "user");
    let from_node = get_session_text(&node, &node_jar).await;
    assert!(from_node.contains(r#""role":"user","age":42,"newsletter":true,"birthday":"1990-05-17T00:00:00.000Z","id":"#), "{from_node}");
    assert_eq!(get_session_text(&rust, &node_jar).await, from_node);

    // authgate writes them; Better-Auth reads the same row the same way.
    let (rust_jar, _) = {
        let mut jar = Jar::default();
        let body =
            json!({ "name": "Ann", "email": "ann@example.com", "password": PASSWORD, "age": 7 });
        let response = rust.send("/api/auth/sign-up/email", &mut jar, body).await;
        assert_eq!(response.status, 200, "{}", response.text());
        (jar, response)
    };
    let from_rust = get_session_text(&rust, &rust_jar).await;
    assert!(
        from_rust.contains(r#""role":"user","age":7,"newsletter":false,"birthday":null,"id":"#),
        "{from_rust}"
    );
    assert!(from_rust.contains(r#""device":null,"id":"#), "{from_rust}");
    assert_eq!(get_session_text(&node, &rust_jar).await, from_rust);

    // A role only server code may set, set by authgate's API, is Better-Auth's too.
    let ann = authgate
        .auth
        .api()
        .find_user_by_email("ann@example.com")
        .await
        .unwrap()
        .unwrap();
    authgate
        .auth
        .api()
        .update_user(
            &ann.id,
            authgate::api::UpdateUser::new().field("role", "admin"),
        )
        .await
        .unwrap();
    let session: Value = serde_json::from_str(&get_session_text(&node, &rust_jar).await).unwrap();
    assert_eq!(session["user"]["role"], "admin");

    // Clients change what they may on either side, and are refused alike what they may not.
    let mut jar = node_jar.clone();
    let updated = node
        .send("/api/auth/update-user", &mut jar, json!({ "age": 43 }))
        .await;
    assert_eq!(
        updated.json(),
        json!({ "status": true }),
        "{}",
        updated.text()
    );
    let mut me_jar = node_jar.clone();
    let me = rust.client.get("/me").send_with(&mut me_jar).await;
    assert_eq!(me.json()["age"], 43);
    let mut refused = Vec::new();
    for side in [&node, &rust] {
        let mut jar = node_jar.clone();
        let response = side
            .send(
                "/api/auth/update-user",
                &mut jar,
                json!({ "role": "admin" }),
            )
            .await;
        refused.push((response.status, response.text()));
    }
    assert_eq!(refused[0], refused[1]);
    assert_eq!(
        refused[0].1,
        r#"{"message":"role is not allowed to be set","code":"FIELD_NOT_ALLOWED"}"#
    );

    // Session fields: set by Better-Auth's update-session, read by authgate, and back.
    let mut jar = node_jar.clone();
    let device = node
        .send(
            "/api/auth/update-session",
            &mut jar,
            json!({ "device": "laptop" }),
        )
        .await;
    assert_eq!(device.status, 200, "{}", device.text());
    let session: Value = serde_json::from_str(&get_session_text(&rust, &node_jar).await).unwrap();
    assert_eq!(session["session"]["device"], "laptop");
    authgate
        .auth
        .api()
        .update_session(
            &node_jar.session_token(),
            authgate::fields::Fields::new().with("device", "tv"),
        )
        .await
        .unwrap();
    let from_node = get_session_text(&node, &node_jar).await;
    assert!(from_node.contains(r#""device":"tv","id":"#), "{from_node}");
    assert_eq!(get_session_text(&rust, &node_jar).await, from_node);

    both_directions(&node, &rust).await;
}

/// Better-Auth's cookie cache (`session_data`) on both sides, with the additional fields: a
/// value Better-Auth wrote answers authgate's `/me` without the database (the row is gone, and
/// without the cookie the answer is 401), and a value authgate wrote answers Better-Auth's
/// `get-session` likewise.
async fn cookie_cache_both_ways(db: TestDatabase, database: BetterAuthDatabase<'_>) {
    const DATA: &str = "better-auth.session_data";
    let env = &[("BA_FIELDS", "af"), ("COOKIE_CACHE", "1")];
    better_auth_migrate_with(&database, TEST_SECRET, env);
    let authgate = TestApp::on(db, |b| af(b).cookie_cache(authgate::CookieCache::compact())).await;
    let better_auth = BetterAuthServer::start_with(&database, TEST_SECRET, env).await;
    let (node, rust) = sides(&better_auth, &authgate);
    let forget = |jar: &Jar| {
        let token = jar.session_token();
        let db = authgate.auth.database().clone();
        async move {
            let deleted = common::execute(
                &db,
                &format!(r#"delete from "session" where "token" = '{token}'"#),
            )
            .await;
            assert_eq!(deleted, 1);
        }
    };
    let without_data = |jar: &Jar| {
        let mut jar = jar.clone();
        jar.cookies.retain(|name, _| !name.starts_with(DATA));
        jar
    };

    // Better-Auth's cookie, verified here.
    let mut node_jar = Jar::default();
    let signed_up = node
        .send(
            "/api/auth/sign-up/email",
            &mut node_jar,
            json!({ "name": "Zoë \"Q\"", "email": "cc-node@example.com", "password": PASSWORD, "age": 42, "birthday": "1990-05-17T00:00:00.000Z" }),
        )
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    assert!(
        node_jar.get(DATA).is_some(),
        "Better-Auth set its cookie cache"
    );
    forget(&node_jar).await;
    let me = rust
        .client
        .get("/me")
        .send_with(&mut node_jar.clone())
        .await;
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["email"], "cc-node@example.com");
    assert_eq!(me.json()["name"], "Zoë \"Q\"");
    assert_eq!(me.json()["age"], 42);
    assert_eq!(
        rust.whoami(&without_data(&node_jar)).await,
        None,
        "the row is gone"
    );

    // authgate's cookie, verified there.
    let (mut rust_jar, _) = rust.sign_up("cc-rust@example.com").await;
    let me = rust.client.get("/me").send_with(&mut rust_jar).await;
    assert_eq!(me.status, 200);
    assert!(
        rust_jar.get(DATA).is_some(),
        "authgate set its cookie cache"
    );
    forget(&rust_jar).await;
    assert_eq!(
        node.whoami(&rust_jar).await.as_deref(),
        Some("cc-rust@example.com"),
        "Better-Auth verified authgate's cookie cache"
    );
    assert_eq!(
        node.whoami(&without_data(&rust_jar)).await,
        None,
        "the row is gone"
    );
}

/// Set by `.ci/run` when better-sqlite3 built: then its absence is a failure, not a skip.
const REQUIRE_SQLITE: &str = "AUTHGATE_INTEROP_REQUIRE_SQLITE";

/// better-sqlite3 is a native build; where it could not be built, say so loudly (on the
/// terminal, past the test harness's capture) rather than pass in silence, and fail when
/// `AUTHGATE_INTEROP_REQUIRE_SQLITE` says it must be there.
fn sqlite_available() -> bool {
    match better_sqlite3_available() {
        Ok(()) => true,
        Err(reason) => {
            use std::io::Write;
            if std::env::var_os(REQUIRE_SQLITE).is_some_and(|v| !v.is_empty() && v != "0") {
                panic!("{REQUIRE_SQLITE} is set but Better-Auth on SQLite cannot run: {reason}");
            }
            let _ = writeln!(
                std::io::stderr(),
                "SKIPPED: Better-Auth on SQLite (better-sqlite3): {reason}"
            );
            false
        }
    }
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_migrated_by_better_auth() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    on_better_auths_schema(db, BetterAuthDatabase::Postgres(&url)).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_migrated_by_authgate() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    on_authgates_schema(db, BetterAuthDatabase::Postgres(&url)).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_additional_fields_migrated_by_better_auth() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    additional_fields_on_a_shared_database(db, BetterAuthDatabase::Postgres(&url), true).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_additional_fields_migrated_by_authgate() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    additional_fields_on_a_shared_database(db, BetterAuthDatabase::Postgres(&url), false).await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_additional_fields_migrated_by_better_auth() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    additional_fields_on_a_shared_database(db, BetterAuthDatabase::Sqlite(&path), true).await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_additional_fields_migrated_by_authgate() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    additional_fields_on_a_shared_database(db, BetterAuthDatabase::Sqlite(&path), false).await;
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_cookie_cache_both_ways() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    cookie_cache_both_ways(db, BetterAuthDatabase::Postgres(&url)).await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_cookie_cache_both_ways() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    cookie_cache_both_ways(db, BetterAuthDatabase::Sqlite(&path)).await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_migrated_by_better_auth() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    on_better_auths_schema(db, BetterAuthDatabase::Sqlite(&path)).await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_migrated_by_authgate() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    on_authgates_schema(db, BetterAuthDatabase::Sqlite(&path)).await;
}

/// `interop/client.mjs`: Better-Auth's official client through signUp, signIn, getSession,
/// listSessions, revokeOtherSessions, changePassword, updateUser and signOut against the
/// quickstart process on `backend`.
async fn official_client_drives_the_quickstart(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let dir = tempdir("client", backend);
    let quickstart = Quickstart::start(
        &dir,
        &[
            ("DATABASE_URL", &db.url),
            ("BETTER_AUTH_SECRET", TEST_SECRET),
        ],
    )
    .await;
    let port = quickstart.port;
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg("client.mjs")
            .current_dir(interop_dir())
            .env("AUTHGATE_URL", format!("http://127.0.0.1:{port}"))
            .env("ORIGIN", format!("http://localhost:{port}"))
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    quickstart.kill();
    let _ = std::fs::remove_dir_all(&dir);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "the client failed: {stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let report: Value = serde_json::from_str(stdout.trim().lines().last().unwrap()).unwrap();
    assert_eq!(
        report,
        json!({ "ok": true, "steps": [
            "signUp.email", "signIn.email", "getSession", "listSessions",
            "revokeOtherSessions", "changePassword", "updateUser", "signOut",
        ] })
    );
}

fn tempdir(what: &str, backend: Backend) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "authgate-interop-{what}-{backend:?}-{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

backend_tests!(
    ignore = "needs the Better-Auth install, and PostgreSQL/MariaDB for those variants (bash .ci/run sets them up)";
    official_client_drives_the_quickstart
);

/// The mails the Better-Auth server recorded (`BA_MAIL_FILE`): waits for the `n`-th of `kind`
/// to `to` and returns its token.
async fn better_auth_mail(file: &std::path::Path, kind: &str, to: &str, n: usize) -> String {
    let started = std::time::Instant::now();
    loop {
        let text = std::fs::read_to_string(file).unwrap_or_default();
        let found: Vec<Value> = text
            .lines()
            .map(|line| serde_json::from_str::<Value>(line).unwrap())
            .filter(|mail| mail["kind"] == kind && mail["to"] == to)
            .collect();
        if let Some(mail) = found.get(n) {
            return mail["token"].as_str().unwrap().to_owned();
        }
        assert!(
            started.elapsed() < common::mail::MAIL_WAIT,
            "Better-Auth sent no {kind} mail to {to}: {text}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

/// On a shared database, a verification link and a reset token issued by either side work on
/// the other, with the reset tokens stored alike on both (`storage`).
async fn account_mails_on_a_shared_database(
    db: TestDatabase,
    database: BetterAuthDatabase<'_>,
    storage: authgate::TokenStorage,
) {
    let backend = db.backend;
    let mail_file = tempdir("mails", backend).join(format!("{storage:?}.jsonl"));
    let _ = std::fs::remove_file(&mail_file);
    let mailer = common::mail::CaptureMailer::default();
    let m = mailer.clone();
    let authgate = TestApp::on(db, move |b| {
        b.set_auth_token_header(true)
            .mailer(m)
            .reset_token_storage(storage)
    })
    .await;
    let file = mail_file.to_str().unwrap().to_owned();
    let mut env = vec![("BA_MAIL_FILE", file.as_str())];
    if storage == authgate::TokenStorage::Hashed {
        env.push(("BA_VERIFICATION_STORAGE", "hashed"));
    }
    let better_auth = BetterAuthServer::start_with(&database, TEST_SECRET, &env).await;
    let (node, rust) = sides(&better_auth, &authgate);
    let verified = |response: &TestResponse| response.json()["user"]["emailVerified"].clone();

    // Better-Auth's verification link, followed on authgate.
    node.sign_up("from-node@example.com").await;
    let token = better_auth_mail(&mail_file, "verify-email", "from-node@example.com", 0).await;
    let response = rust
        .client
        .get(&format!("/api/auth/verify-email?token={token}"))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let (_, signed_in) = rust.signed_in("from-node@example.com", PASSWORD).await;
    assert_eq!(verified(&signed_in), true);

    // authgate's verification link, followed on Better-Auth.
    let (_, signed_up) = rust.sign_up("from-rust@example.com").await;
    let user_id = signed_up.json()["user"]["id"].as_str().unwrap().to_owned();
    authgate
        .auth
        .api()
        .send_verification_email(&user_id, None)
        .await
        .unwrap();
    let link = mailer.wait_for(1).await.remove(0).link;
    let token = common::mail::query_param(&link, "token").unwrap();
    let response = node
        .client
        .get(&format!("/api/auth/verify-email?token={token}"))
        .send()
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let (_, signed_in) = node.signed_in("from-rust@example.com", PASSWORD).await;
    assert_eq!(verified(&signed_in), true);

    // Better-Auth's reset token, used on authgate.
    let mut jar = Jar::default();
    let body = json!({ "email": "from-node@example.com", "redirectTo": "/reset" });
    let response = node
        .send("/api/auth/request-password-reset", &mut jar, body)
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let token = better_auth_mail(&mail_file, "reset-password", "from-node@example.com", 0).await;
    let body = json!({ "token": token, "newPassword": NEW_PASSWORD });
    let response = rust
        .send("/api/auth/reset-password", &mut Jar::default(), body)
        .await;
    assert_eq!(response.status, 200, "{storage:?}: {}", response.text());
    node.signed_in("from-node@example.com", NEW_PASSWORD).await;

    // authgate's reset token, used on Better-Auth.
    let body = json!({ "email": "from-rust@example.com" });
    let response = rust
        .send(
            "/api/auth/request-password-reset",
            &mut Jar::default(),
            body,
        )
        .await;
    assert_eq!(response.status, 200, "{}", response.text());
    let link = mailer.wait_for(2).await.remove(1).link;
    let token = url::Url::parse(&link)
        .unwrap()
        .path()
        .rsplit('/')
        .next()
        .unwrap()
        .to_owned();
    let body = json!({ "token": token, "newPassword": NEW_PASSWORD });
    let response = node
        .send("/api/auth/reset-password", &mut Jar::default(), body)
        .await;
    assert_eq!(response.status, 200, "{storage:?}: {}", response.text());
    rust.signed_in("from-rust@example.com", NEW_PASSWORD).await;
    let _ = std::fs::remove_file(&mail_file);
}

#[tokio::test]
#[ignore = "needs PostgreSQL and the Better-Auth install (bash .ci/run sets both up)"]
async fn shared_postgres_account_mails_with_hashed_reset_tokens() {
    let db = TestDatabase::new_postgres_database().await;
    let url = db.url.clone();
    account_mails_on_a_shared_database(
        db,
        BetterAuthDatabase::Postgres(&url),
        authgate::TokenStorage::Hashed,
    )
    .await;
}

#[tokio::test]
#[ignore = "needs the Better-Auth install with better-sqlite3 (bash .ci/run sets it up)"]
async fn shared_sqlite_account_mails_with_plain_reset_tokens() {
    if !sqlite_available() {
        return;
    }
    let db = TestDatabase::new(Backend::Sqlite).await;
    let path = db.sqlite_path().to_owned();
    account_mails_on_a_shared_database(
        db,
        BetterAuthDatabase::Sqlite(&path),
        authgate::TokenStorage::Plain,
    )
    .await;
}
