//! Additional fields: declared on the builder, created by `migrate` (fresh and on existing
//! tables), written and read on every backend, answered in Better-Auth's key order, settable by
//! clients only when declared `input(true)`, and by server code always.

use crate::backend_tests;
use authgate::api::{SignUp, UpdateUser};
use authgate::fields::{Field, Fields};
use authgate::{AuthBuilder, StoreError};
use serde_json::json;

use crate::common::{Backend, Jar, TestApp, TestDatabase, builder, q};

/// The fields of the spec's recordings: a role only the server sets, and three fields clients
/// may set; a session field.
pub fn af(builder: AuthBuilder) -> AuthBuilder {
    builder
        .user_field("role", Field::string().default("user"))
        .user_field("age", Field::number().optional().input(true))
        .user_field("newsletter", Field::boolean().default(false).input(true))
        .user_field("birthday", Field::date().optional().input(true))
        .session_field("device", Field::string().optional())
}

async fn fields_round_trip_in_better_auths_order(backend: Backend) {
    let app = TestApp::with(backend, af).await;
    let mut jar = Jar::default();
    let signed_up = app
        .post(
            "/api/auth/sign-up/email",
            &mut jar,
            json!({
                "name": "Bob", "email": "bob@example.com", "password": "password123",
                "age": 42, "newsletter": true, "birthday": "1990-05-17T00:00:00.000Z",
                "role": "admin", "device": "tv", "emailVerified": true, "foo": 1,
            }),
        )
        .await;
    assert_eq!(signed_up.status, 200, "{}", signed_up.text());
    let body = signed_up.text();
    // Better-Auth's order: core fields, the additional ones in declaration order, then `id`;
    // a client's `role` is replaced by the default, unknown keys are ignored.
    let user = &signed_up.json()["user"];
    assert!(
        body.contains(&format!(
            r#""updatedAt":"{}","role":"user","age":42,"newsletter":true,"birthday":"1990-05-17T00:00:00.000Z","id":"#,
            user["updatedAt"].as_str().unwrap()
        )),
        "{body}"
    );
    assert_eq!(user["emailVerified"], false);

    // The one session query reads both tables' fields.
    let session = app.get("/api/auth/get-session", &mut jar).await;
    let text = session.text();
    assert!(
        text.contains(r#""userId":""#) && text.contains(r#","device":null,"id":""#),
        "{text}"
    );
    assert_eq!(session.json()["user"]["role"], "user");
    let me = app.get("/me", &mut jar).await.json();
    assert_eq!(
        (me["age"].clone(), me["newsletter"].clone()),
        (json!(42), json!(true))
    );

    // Stored as Better-Auth stores them.
    let b = backend;
    let stored = app
        .sql_scalar(&format!(
            "select {} from {} where {} = 'bob@example.com'",
            q(b, "newsletter"),
            q(b, "user"),
            q(b, "email")
        ))
        .await;
    let expected = if backend == Backend::Postgres {
        "true"
    } else {
        "1"
    };
    assert_eq!(stored.as_deref(), Some(expected));

    // A client may not set the role, may set its own fields, and only with the right types.
    let refused = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "role": "admin" }),
        )
        .await;
    assert_eq!(refused.status, 400);
    assert_eq!(
        refused.json(),
        json!({ "message": "role is not allowed to be set", "code": "FIELD_NOT_ALLOWED" })
    );
    let nothing = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "role": "", "device": "tv" }),
        )
        .await;
    assert_eq!(nothing.error_code(), "NO_FIELDS_TO_UPDATE");
    let mistyped = app
        .post("/api/auth/update-user", &mut jar, json!({ "age": "abc" }))
        .await;
    assert_eq!(
        (mistyped.status, mistyped.json()["message"].clone()),
        (
            http::StatusCode::BAD_REQUEST,
            json!("[body.age] Invalid input: expected number, received string")
        )
    );
    let updated = app
        .post(
            "/api/auth/update-user",
            &mut jar,
            json!({ "age": 43, "birthday": null }),
        )
        .await;
    assert_eq!(
        updated.json(),
        json!({ "status": true }),
        "{}",
        updated.text()
    );
    let me = app.get("/me", &mut jar).await.json();
    assert_eq!(
        (me["age"].clone(), me["birthday"].clone()),
        (json!(43), json!(null))
    );

    // Server code sets what clients may not.
    let api = app.auth.api();
    let id = me["id"].as_str().unwrap();
    let admin = api
        .update_user(id, UpdateUser::new().field("role", "admin"))
        .await
        .unwrap();
    assert_eq!(admin.field::<String>("role").as_deref(), Some("admin"));
    assert_eq!(app.get("/me", &mut jar).await.json()["role"], "admin");
    let err = api
        .update_user(id, UpdateUser::new().field("role", json!(null)))
        .await
        .unwrap_err();
    assert_eq!(
        (err.code(), err.message()),
        ("MISSING_FIELD", "role is required")
    );
    let err = api
        .update_user(id, UpdateUser::new().field("nope", 1))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "VALIDATION_ERROR");

    // Session fields: set by server code, listed with the sessions.
    let token = jar.session_token();
    let session = api
        .update_session(&token, Fields::new().with("device", "laptop"))
        .await
        .unwrap();
    assert_eq!(session.field::<String>("device").as_deref(), Some("laptop"));
    let listed = app.get("/api/auth/list-sessions", &mut jar).await;
    assert_eq!(listed.json()[0]["device"], "laptop", "{}", listed.text());
    assert!(listed.text().contains(r#""device":"laptop","id":"#));

    // A user created by server code gets the defaults, or what the code gives.
    let seeded = api
        .create_user(SignUp::new("Seed", "seed@example.com", "password123").field("age", "7"))
        .await
        .unwrap();
    assert_eq!(
        serde_json::to_value(&seeded.fields).unwrap(),
        json!({ "role": "user", "age": 7, "newsletter": false, "birthday": null })
    );
}

/// `migrate` adds the fields' columns to tables that exist, with Better-Auth's defaults for the
/// rows already there, and refuses a required column without a default on a populated table
/// before changing anything.
async fn migrate_adds_columns_to_existing_tables(backend: Backend) {
    let db = TestDatabase::new(backend).await;
    let plain = builder()
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    plain.migrate().await.unwrap();
    plain
        .api()
        .create_user(SignUp::new("Old", "old@example.com", "password123"))
        .await
        .unwrap();

    let unsafe_config = af(builder())
        .user_field("plan", Field::string())
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    match unsafe_config.migrate().await {
        Err(authgate::Error::Database(StoreError::UnsafeMigration(refusals))) => {
            assert_eq!(
                refusals,
                [
                    "Cannot add required column \"plan\" to populated table \"user\": the schema declares no default value, so existing rows have no value to backfill. MySQL accepts this statement instead of rejecting it and fills every existing row with an implicit default for the column type, reporting a successful migration over corrupted data. For a text column, every existing row ends up with the same empty string. Add the column as nullable, backfill a correct value for every row, then make it NOT NULL."
                ]
            );
        }
        other => panic!("expected the refusal, got {other:?}"),
    }

    // Nothing was added by the refused run: all five columns are added now.
    let with_fields = af(builder())
        .validate()
        .unwrap()
        .connect(&db.url)
        .await
        .unwrap();
    let report = with_fields.migrate().await.unwrap();
    assert_eq!(
        report.added_columns,
        [
            "user.role",
            "user.age",
            "user.newsletter",
            "user.birthday",
            "session.device"
        ]
    );
    assert!(report.created_tables.is_empty());
    assert!(
        with_fields.migrate().await.unwrap().is_empty(),
        "idempotent"
    );
    let old = with_fields
        .api()
        .find_user_by_email("OLD@example.com")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        serde_json::to_value(&old.fields).unwrap(),
        json!({ "role": "user", "age": null, "newsletter": false, "birthday": null }),
        "the existing row got the database defaults"
    );
    for auth in [plain, unsafe_config, with_fields] {
        auth.database().close().await;
    }
}

/// A fresh database gets the columns inside `create table`, and reads back what it wrote.
async fn fresh_tables_carry_the_fields(backend: Backend) {
    let app = TestApp::with(backend, |b| {
        af(b).user_field(
            "joinedAt",
            Field::date().default_with(|| json!("2026-01-02T03:04:05.678Z")),
        )
    })
    .await;
    let user = app
        .auth
        .api()
        .create_user(
            SignUp::new("Fresh", "fresh@example.com", "password123")
                .field("birthday", "2000-01-01")
                .field("newsletter", "true"),
        )
        .await
        .unwrap();
    let read = app.auth.api().get_user(&user.id).await.unwrap().unwrap();
    assert_eq!(read, user);
    assert_eq!(
        read.fields.get_str("birthday"),
        Some("2000-01-01T00:00:00.000Z")
    );
    assert_eq!(read.fields.get_bool("newsletter"), Some(true));
    assert_eq!(
        read.fields.get_str("joinedAt"),
        Some("2026-01-02T03:04:05.678Z")
    );
    assert!(app.auth.migrate().await.unwrap().is_empty());
}

backend_tests!(
    fields_round_trip_in_better_auths_order,
    migrate_adds_columns_to_existing_tables,
    fresh_tables_carry_the_fields
);
