//! The configuration's own checks.

use std::time::Duration;

use super::builder::AuthBuilder;
use super::*;
use crate::rate_limit::{RateLimit, Rule};

const SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

fn builder() -> AuthBuilder {
    AuthBuilder::default().environment(|_| None).secret(SECRET)
}

#[test]
fn base_url_is_required_and_reduced_to_its_origin() {
    let err = builder().validate().unwrap_err();
    assert!(matches!(err, ConfigError::MissingBaseUrl), "{err}");
    assert!(err.to_string().contains("BETTER_AUTH_URL"));

    let config = builder()
        .base_url("http://localhost:4100/api/auth")
        .validate()
        .unwrap();
    assert_eq!(config.base_origin(), "http://localhost:4100");
    assert_eq!(config.session_cookie_name(), "better-auth.session_token");
}

#[test]
fn invalid_urls_are_refused() {
    for bad in [
        "localhost:3000",
        "ftp://example.com",
        "http://",
        "not a url",
    ] {
        let err = builder().base_url(bad).validate().unwrap_err();
        assert!(
            matches!(err, ConfigError::InvalidUrl { .. }),
            "{bad}: {err}"
        );
    }
    let err = builder()
        .base_url("http://localhost:3000")
        .trusted_origin("nope")
        .validate()
        .unwrap_err();
    assert!(matches!(
        err,
        ConfigError::InvalidUrl {
            what: "the trusted origin",
            ..
        }
    ));
}

#[test]
fn defaults_are_better_auths() {
    let config = builder()
        .base_url("http://localhost:3000")
        .validate()
        .unwrap();
    assert_eq!(config.session_expires_in(), Duration::from_secs(604_800));
    assert_eq!(config.session_update_age(), Duration::from_secs(86_400));
    assert_eq!(config.session_fresh_age(), Duration::from_secs(86_400));
    assert_eq!(config.password_length(), (8, 128));
    assert!(config.auto_sign_in());
    assert_eq!(config.trusted_origins(), ["http://localhost:3000"]);
}

#[test]
fn out_of_range_options_are_refused_with_the_option_named() {
    let base = || builder().base_url("http://localhost:3000");
    let refused = |b: AuthBuilder| match b.validate() {
        Err(ConfigError::InvalidOption { option, .. }) => option,
        other => panic!("expected an InvalidOption, got {other:?}"),
    };
    assert_eq!(
        refused(base().session_expires_in(Duration::ZERO)),
        "session_expires_in"
    );
    assert_eq!(
        refused(base().session_expires_in(Duration::from_secs(401 * 86_400))),
        "session_expires_in"
    );
    assert_eq!(
        refused(base().session_absolute_lifetime(Duration::ZERO)),
        "session_absolute_lifetime"
    );
    assert_eq!(refused(base().password_length(10, 9)), "password_length");
    assert_eq!(refused(base().password_length(0, 9)), "password_length");
    assert_eq!(refused(base().cookie_prefix("bad prefix")), "cookie_prefix");
    assert_eq!(
        refused(base().max_concurrent_hashes(0)),
        "max_concurrent_hashes"
    );
    assert_eq!(
        refused(base().hash_queue_timeout(Duration::ZERO)),
        "hash_queue_timeout"
    );
    assert_eq!(refused(base().max_body_size(10)), "max_body_size");
    let rule = Rule::new(5, Duration::from_secs(60));
    for (limits, wording) in [
        (
            RateLimit::default().rule("/api/auth/sign-in/email", rule),
            "not an endpoint",
        ),
        (
            RateLimit::default().unlimited("/sign-in"),
            "not an endpoint",
        ),
        (
            RateLimit::default().rule("/sign-in/email", Rule::new(5, Duration::ZERO)),
            "zero",
        ),
        (
            RateLimit::default().default_rule(Rule::new(5, Duration::ZERO)),
            "zero",
        ),
        (
            RateLimit::default().per_account(Rule::new(5, Duration::ZERO)),
            "zero",
        ),
    ] {
        let err = base().rate_limit(limits).validate().unwrap_err();
        assert!(
            matches!(
                err,
                ConfigError::InvalidOption {
                    option: "rate_limit",
                    ..
                }
            ),
            "{err}"
        );
        assert!(err.to_string().contains(wording), "{err}");
    }
    assert!(
        base()
            .rate_limit(
                RateLimit::default()
                    .rule("/sign-in/email", rule)
                    .unlimited("/ok")
            )
            .validate()
            .is_ok()
    );
}

#[test]
fn debug_output_never_shows_the_secret_and_errors_debug_as_their_message() {
    let b = builder().base_url("http://localhost:3000");
    assert!(!format!("{b:?}").contains(SECRET));
    let config = b.validate().unwrap();
    assert!(!format!("{config:?}").contains(SECRET));
    let err = AuthBuilder::default()
        .environment(|_| None)
        .validate()
        .unwrap_err();
    assert_eq!(format!("{err:?}"), err.to_string());
    assert!(format!("{err:?}").contains("BETTER_AUTH_SECRET"));
}
