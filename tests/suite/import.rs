//! The legacy import: users of another system's table (bcrypt and argon2 hashes made by other
//! implementations, and a Better-Auth scrypt hash) become Better-Auth users with credential
//! accounts, sign in, and are re-hashed to scrypt on the first sign-in; a second run changes
//! nothing; duplicate e-mails refuse the import before anything is written.

use authgate::api::{ImportError, ImportUsers};
use serde_json::json;

use crate::backend_tests;
use crate::common::{Backend, Jar, TestApp};

backend_tests!(
    imported_bcrypt_and_argon2_users_sign_in_and_are_rehashed,
    a_second_import_changes_nothing,
    duplicate_emails_refuse_the_import_before_writing,
);

/// `(password, hash)` of the fixture line `format`.
fn fixture(format: &str) -> (&'static str, &'static str) {
    include_str!("../fixtures/legacy-hashes.txt")
        .lines()
        .filter(|l| !l.starts_with('#'))
        .find_map(|line| {
            let mut parts = line.split(' ');
            (parts.next()? == format).then(|| (parts.next().unwrap(), parts.next().unwrap()))
        })
        .unwrap()
}

/// Better-Auth's scrypt of `password123` (the recorded vector).
const SCRYPT: &str = "00112233445566778899aabbccddeeff:73122e887cfc14f91396cdef78dfe4b9dec28d459037601c4904cedba5a637ab97b39b40c236df5d42881d0109ca8cf0f85e39dbaba2911c190915bd8f30fe85";

async fn legacy_table(app: &TestApp, rows: &[(&str, &str, &str, &str)]) {
    app.sql("create table legacy_users (id varchar(64) primary key, email varchar(255), full_name varchar(255), password_hash text, created varchar(40))")
        .await;
    for (id, email, name, hash) in rows {
        app.sql(&format!(
            "insert into legacy_users (id, email, full_name, password_hash, created) values ('{id}', '{email}', '{name}', '{hash}', '2020-05-06T07:08:09.000Z')"
        ))
        .await;
    }
}

fn spec() -> ImportUsers {
    ImportUsers::new("legacy_users")
        .name_column("full_name")
        .password_column("password_hash")
        .created_at_column("created")
}

async fn stored_hash(app: &TestApp, user_id: &str) -> String {
    app.sql_scalar(&app.quote(&format!(
        r#"select "password" from "account" where "userId" = '{user_id}' and "providerId" = 'credential' and "accountId" = '{user_id}'"#
    )))
    .await
    .expect("a credential account with accountId = the user id")
}

async fn sign_in(app: &TestApp, email: &str, password: &str) -> u16 {
    app.client
        .post("/api/auth/sign-in/email")
        .json(&json!({ "email": email, "password": password }))
        .send_with(&mut Jar::default())
        .await
        .status
        .as_u16()
}

async fn import_three(app: &TestApp) {
    let (_, bcrypt_hash) = fixture("bcrypt-2b");
    let (_, argon_hash) = fixture("argon2id");
    legacy_table(
        app,
        &[
            ("u-1", "Bob@Example.com", "Bob", bcrypt_hash),
            ("u-2", "carol@example.com", "Carol", argon_hash),
            ("u-3", "dave@example.com", "Dave", SCRYPT),
        ],
    )
    .await;
    let report = app.auth.import_users(&spec(), |_, _| {}).await.unwrap();
    assert_eq!(
        (report.read, report.imported, report.already_present),
        (3, 3, 0),
        "{report}"
    );
}

async fn imported_bcrypt_and_argon2_users_sign_in_and_are_rehashed(backend: Backend) {
    let app = TestApp::new(backend).await;
    import_three(&app).await;
    let user = app
        .auth
        .api()
        .find_user_by_email("bob@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((user.id.as_str(), user.name.as_str()), ("u-1", "Bob"));
    let created = time::OffsetDateTime::parse(
        "2020-05-06T07:08:09Z",
        &time::format_description::well_known::Rfc3339,
    )
    .unwrap();
    assert_eq!(user.created_at, created);

    for (id, email, format) in [
        ("u-1", "bob@example.com", "bcrypt-2b"),
        ("u-2", "carol@example.com", "argon2id"),
    ] {
        let (password, legacy) = fixture(format);
        assert_eq!(stored_hash(&app, id).await, legacy);
        assert_eq!(
            sign_in(&app, email, "wrong-password").await,
            401,
            "{format}"
        );
        assert_eq!(
            stored_hash(&app, id).await,
            legacy,
            "no re-hash without a sign-in"
        );
        assert_eq!(sign_in(&app, email, password).await, 200, "{format}");
        let rehashed = stored_hash(&app, id).await;
        assert!(
            !rehashed.starts_with('$') && rehashed.len() == 32 + 1 + 128,
            "{format} re-hashed to Better-Auth's scrypt: {rehashed}"
        );
        // The new hash works, and stays.
        assert_eq!(sign_in(&app, email, password).await, 200, "{format}");
        assert_eq!(stored_hash(&app, id).await, rehashed);
    }
    // A Better-Auth hash is kept as it is.
    assert_eq!(sign_in(&app, "dave@example.com", "password123").await, 200);
    assert_eq!(stored_hash(&app, "u-3").await, SCRYPT);
}

async fn a_second_import_changes_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    import_three(&app).await;
    let (password, _) = fixture("bcrypt-2b");
    assert_eq!(sign_in(&app, "bob@example.com", password).await, 200);
    let rehashed = stored_hash(&app, "u-1").await;
    let count = |table: &'static str| {
        let app = &app;
        async move {
            app.sql_scalar(&app.quote(&format!(r#"select count(*) from "{table}""#)))
                .await
                .unwrap()
        }
    };
    let before = (count("user").await, count("account").await);
    let report = app.auth.import_users(&spec(), |_, _| {}).await.unwrap();
    assert_eq!(
        (report.read, report.imported, report.already_present),
        (3, 0, 3),
        "{report}"
    );
    assert_eq!((count("user").await, count("account").await), before);
    assert_eq!(
        stored_hash(&app, "u-1").await,
        rehashed,
        "the re-hash is kept"
    );
}

async fn duplicate_emails_refuse_the_import_before_writing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, hash) = fixture("bcrypt-2y");
    legacy_table(
        &app,
        &[
            ("a-1", "first@example.com", "First", hash),
            ("a-2", "Same@Example.com", "Same", hash),
            ("a-3", "same@example.COM", "Same again", hash),
        ],
    )
    .await;
    let err = app.auth.import_users(&spec(), |_, _| {}).await.unwrap_err();
    let ImportError::Refused(report) = err else {
        panic!("refused, not {err}");
    };
    assert_eq!(report.refused.len(), 1, "{report}");
    assert!(
        report.refused[0].contains("same@example.com appears 2 times (ids a-2, a-3)"),
        "{report}"
    );
    let users = app
        .sql_scalar(&app.quote(r#"select count(*) from "user""#))
        .await;
    assert_eq!(users.as_deref(), Some("0"), "nothing written");
}
