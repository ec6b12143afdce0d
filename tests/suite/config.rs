//! Start-up: configuration errors stop the app before it serves or connects.

use authgate::{Auth, ConfigError, SecretError, SecretSource, WeakSecret};
use axum::Router;
use axum::routing::get;
use tower::ServiceExt;

fn no_env(_: &str) -> Option<String> {
    None
}

#[test]
fn missing_secret_names_both_variables() {
    let err = Auth::builder()
        .environment(no_env)
        .base_url("http://localhost:3000")
        .validate()
        .unwrap_err();
    assert!(matches!(err, ConfigError::Secret(SecretError::Missing)));
    let message = err.to_string();
    assert!(message.contains("BETTER_AUTH_SECRET"), "{message}");
    assert!(
        message
            .replace("BETTER_AUTH_SECRET", "")
            .contains("AUTH_SECRET"),
        "AUTH_SECRET is named on its own: {message}"
    );
}

#[test]
fn weak_secrets_name_the_rule_they_break() {
    type Case = (&'static str, fn(&WeakSecret) -> bool, &'static str);
    let cases: [Case; 7] = [
        (
            "0123456789abcdef0123456789abcdef",
            |r| {
                matches!(
                    r,
                    WeakSecret::Predictable {
                        predictable: 32,
                        length: 32
                    }
                )
            },
            "sequences and repeats",
        ),
        (
            "qwertyuiopasdfghjklzxcvbnm-Q7#xK",
            |r| matches!(r, WeakSecret::Predictable { .. }),
            "keyboard row",
        ),
        (
            "short",
            |r| matches!(r, WeakSecret::TooShort { bytes: 5 }),
            "at least 32 bytes",
        ),
        (
            "better-auth-secret-12345678901234567890",
            |r| matches!(r, WeakSecret::Placeholder),
            "placeholder",
        ),
        (
            "changeme",
            |r| matches!(r, WeakSecret::Placeholder),
            "placeholder",
        ),
        (
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
            |r| matches!(r, WeakSecret::LowEntropy { bits: 0 }),
            "120 bits",
        ),
        ("   ", |r| matches!(r, WeakSecret::Empty), "empty"),
    ];
    for (secret, rule_matches, wording) in cases {
        let err = Auth::builder()
            .environment(no_env)
            .secret(secret)
            .base_url("http://localhost:3000")
            .validate()
            .unwrap_err();
        match &err {
            ConfigError::Secret(SecretError::Weak {
                from: SecretSource::Code,
                rule,
            }) => assert!(rule_matches(rule), "{secret:?}: {rule:?}"),
            other => panic!("{secret:?}: {other}"),
        }
        assert!(err.to_string().contains(wording), "{err}");
    }
}

#[test]
fn secrets_from_the_environment_are_checked_and_named() {
    fn short_env(name: &str) -> Option<String> {
        (name == "BETTER_AUTH_SECRET").then(|| "short".to_owned())
    }
    let err = Auth::builder()
        .environment(short_env)
        .base_url("http://localhost:3000")
        .validate()
        .unwrap_err();
    assert!(
        matches!(
            err,
            ConfigError::Secret(SecretError::Weak {
                from: SecretSource::BetterAuthSecret,
                ..
            })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("BETTER_AUTH_SECRET is not an acceptable secret"),
        "{err}"
    );

    fn auth_secret_env(name: &str) -> Option<String> {
        match name {
            "AUTH_SECRET" => Some("q8Vn2LxR7pT4mZ1cW9yB6hK3sD0fJ5gAeN".to_owned()),
            "BETTER_AUTH_URL" => Some("http://localhost:4000".to_owned()),
            _ => None,
        }
    }
    let config = Auth::builder()
        .environment(auth_secret_env)
        .validate()
        .unwrap();
    assert_eq!(config.base_origin(), "http://localhost:4000");

    // An empty variable falls through to the next one, as Better-Auth's `||` does.
    fn empty_first_env(name: &str) -> Option<String> {
        match name {
            "BETTER_AUTH_SECRET" | "BETTER_AUTH_URL" => Some(String::new()),
            "AUTH_SECRET" => Some("q8Vn2LxR7pT4mZ1cW9yB6hK3sD0fJ5gAeN".to_owned()),
            "AUTH_URL" => Some("http://localhost:5000".to_owned()),
            _ => None,
        }
    }
    let config = Auth::builder()
        .environment(empty_first_env)
        .validate()
        .unwrap();
    assert_eq!(config.base_origin(), "http://localhost:5000");
}

#[tokio::test]
async fn a_bad_configuration_never_reaches_the_database() {
    // Nothing listens on port 1: had the builder tried to connect, this would be a
    // database error, not a configuration error.
    let err = Auth::builder()
        .environment(no_env)
        .secret("short")
        .base_url("http://localhost:3000")
        .connect("postgres://nobody@127.0.0.1:1/none")
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            authgate::Error::Config(ConfigError::Secret(SecretError::Weak { .. }))
        ),
        "{err}"
    );
}

#[tokio::test]
async fn unsupported_database_urls_say_what_to_use() {
    let err = authgate::Database::connect("oracle://db")
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("use sqlite:, postgres: or mysql:"),
        "{err}"
    );
    #[cfg(not(feature = "mysql"))]
    {
        let err = authgate::Database::connect("mysql://root@127.0.0.1/test")
            .await
            .unwrap_err();
        assert!(err.to_string().contains("`mysql` feature"), "{err}");
    }
}

#[tokio::test]
async fn an_extractor_without_the_layer_says_to_add_it() {
    let app: Router = Router::new().route(
        "/me",
        get(|user: authgate::CurrentUser| async move { user.email.clone() }),
    );
    let response = app
        .oneshot(
            http::Request::get("/me")
                .body(axum::body::Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(response.status(), 500);
    let body = axum::body::to_bytes(response.into_body(), 1 << 16)
        .await
        .unwrap();
    let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
    assert_eq!(body["code"], "SESSION_LAYER_MISSING");
    assert!(
        body["message"].as_str().unwrap().contains("SessionLayer"),
        "{body}"
    );
}
