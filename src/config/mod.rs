//! Configuration: [`AuthBuilder`] collects options, [`AuthBuilder::validate`] checks them all
//! and yields an [`AuthConfig`], or a [`ConfigError`] that says what to fix. Nothing is
//! defaulted silently where security depends on it: the secret and the base URL must be given
//! (in code or in the environment, as Better-Auth reads them).
//!
//! The options come in Better-Auth's groups, one file each: the secret, base URL and trusted
//! origins here; [`session`](self::session), [`email_password`](self::email_password),
//! [`user`](self::user), [`advanced`](self::advanced) (cookies, bearer tokens, proxies,
//! request bodies) and [`rate_limit`](self::rate_limit). Each group's settings are checked by
//! its own `check`, and the checked values are what the rest of the crate reads.
//!
//! `AuthBuilder::connect` and `AuthBuilder::build`, which yield an [`crate::Auth`], are
//! defined beside `Auth` (in `auth.rs`), so that configuration does not depend on the facade.

mod advanced;
mod email_password;
mod environment;
mod rate_limit;
mod session;
mod user;

use std::fmt;

use url::Url;

use crate::client_ip::{InvalidProxy, TrustedProxies};
use crate::cookies::CookieSettings;
use crate::rate_limit::RateLimit;
use crate::secret::{self, SecretError, SecretRing};
use crate::session::policy::SessionSettings;
pub(crate) use advanced::{AdvancedOptions, BearerSettings};
pub(crate) use email_password::EmailPasswordSettings;
use environment::Environment;
pub(crate) use user::UserSettings;

/// A configuration that cannot be served. Each message says what to change.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret, or one that breaks a strength rule.
    #[error(transparent)]
    Secret(#[from] SecretError),
    /// No base URL in code nor in the environment.
    #[error(
        "no base URL configured: call AuthBuilder::base_url() or set BETTER_AUTH_URL (or AUTH_URL) \
         to the origin the app is served from, e.g. http://localhost:3000"
    )]
    MissingBaseUrl,
    /// The base URL or a trusted origin is not an http(s) URL with a host.
    #[error("{what} {value:?} is not a valid http(s) origin: {reason}")]
    InvalidUrl {
        /// Which setting.
        what: &'static str,
        /// The value given.
        value: String,
        /// Why it was refused.
        reason: String,
    },
    /// A trusted proxy is not an IP address or CIDR range.
    #[error(transparent)]
    InvalidTrustedProxy(#[from] InvalidProxy),
    /// An option is out of range or contradicts another.
    #[error("{option} {reason}")]
    InvalidOption {
        /// The builder method that set it, e.g. `session_expires_in`.
        option: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

/// `Debug` shows the message, so that `main() -> Result<(), Box<dyn Error>>` prints the fix
/// rather than a variant name.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl ConfigError {
    pub(crate) fn invalid(option: &'static str, reason: impl Into<String>) -> Self {
        ConfigError::InvalidOption {
            option,
            reason: reason.into(),
        }
    }
}

/// Collects options; see [`crate::Auth::builder`]. Every option has a method here, grouped as
/// Better-Auth groups them; [`validate`](Self::validate) checks them all.
#[derive(Clone)]
#[must_use = "an AuthBuilder does nothing until validated or connected"]
pub struct AuthBuilder {
    secrets: Vec<String>,
    base_url: Option<String>,
    trusted_origins: Vec<String>,
    session: SessionSettings,
    email_password: EmailPasswordSettings,
    user: UserSettings,
    advanced: AdvancedOptions,
    rate_limit: RateLimit,
    environment: Environment,
}

impl fmt::Debug for AuthBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthBuilder")
            .field(
                "secrets",
                &format_args!("[redacted; {}]", self.secrets.len()),
            )
            .field("base_url", &self.base_url)
            .field("trusted_origins", &self.trusted_origins)
            .field("session", &self.session)
            .field("user", &self.user)
            .field("rate_limit", &self.rate_limit)
            .finish_non_exhaustive()
    }
}

impl Default for AuthBuilder {
    fn default() -> Self {
        Self {
            secrets: Vec::new(),
            base_url: None,
            trusted_origins: Vec::new(),
            session: SessionSettings::default(),
            email_password: EmailPasswordSettings::default(),
            user: UserSettings::default(),
            advanced: AdvancedOptions::default(),
            rate_limit: RateLimit::default(),
            environment: Environment::default(),
        }
    }
}

impl AuthBuilder {
    /// Sets the secret that signs session cookies (replacing any set before).
    ///
    /// Without one, [`validate`](Self::validate) reads `BETTER_AUTH_SECRETS`, then
    /// `BETTER_AUTH_SECRET`, then `AUTH_SECRET`. A secret must be at least 32 bytes, have an
    /// estimated strength of at least 120 bits and not be a published placeholder; share it
    /// with any Better-Auth server that reads the same cookies.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    ///
    /// A weak secret is refused, with the rule it broke:
    /// ```
    /// let err = authgate::Auth::builder()
    ///     .secret("changeme")
    ///     .base_url("http://localhost:3000")
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("placeholder"));
    /// ```
    pub fn secret(mut self, secret: impl Into<String>) -> Self {
        self.secrets = vec![secret.into()];
        self
    }

    /// Sets several secrets for rotation: the first signs, every one verifies. Put the new
    /// secret first and keep the old one until the sessions it signed have expired.
    ///
    /// Better-Auth itself verifies cookies with its current secret only, so in a mixed fleet
    /// rotate Better-Auth and authgate together.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secrets([
    ///         "Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVb", // new: signs
    ///         "q8Vn2LxR7pT4mZ1cW9yB6hK3sD0fJ5gAeN", // old: still verifies
    ///     ])
    ///     .base_url("http://localhost:3000")
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn secrets<I, S>(mut self, secrets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.secrets = secrets.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the origin the app is served from (`scheme://host[:port]`; a path is ignored).
    /// Without one, `BETTER_AUTH_URL` then `AUTH_URL` are read.
    ///
    /// Its origin is trusted for the origin check, and an `https` base URL makes cookies
    /// `Secure` with the `__Secure-` name prefix, as in Better-Auth.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://app.example.com")
    ///     .validate()?;
    /// assert_eq!(config.session_cookie_name(), "__Secure-better-auth.session_token");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn base_url(mut self, url: impl Into<String>) -> Self {
        self.base_url = Some(url.into());
        self
    }

    /// Adds an origin (besides the base URL's) allowed to send cookie-carrying requests and to
    /// be the target of `callbackURL`s, e.g. a separate front-end.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:4000")
    ///     .trusted_origin("http://localhost:3000")
    ///     .validate()?;
    /// assert!(config.trusted_origins().iter().any(|o| o == "http://localhost:3000"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn trusted_origin(mut self, origin: impl Into<String>) -> Self {
        self.trusted_origins.push(origin.into());
        self
    }

    /// Checks every option and reads the environment where code left a gap.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting and the rule, e.g. a missing or weak secret.
    pub fn validate(self) -> Result<AuthConfig, ConfigError> {
        let secrets = secret::load(&self.secrets, &|name| self.environment.read(name))?;

        let base_url_value = self
            .base_url
            .clone()
            .filter(|v| !v.trim().is_empty())
            // An empty variable falls through to the next, as Better-Auth's `||` does.
            .or_else(|| self.environment.read_non_blank("BETTER_AUTH_URL"))
            .or_else(|| self.environment.read_non_blank("AUTH_URL"))
            .ok_or(ConfigError::MissingBaseUrl)?;
        let base_url = parse_origin("the base URL", &base_url_value)?;
        let base_origin = base_url.origin().ascii_serialization();

        let mut trusted_origins = vec![base_origin.clone()];
        for origin in &self.trusted_origins {
            let origin = parse_origin("the trusted origin", origin)?
                .origin()
                .ascii_serialization();
            if !trusted_origins.contains(&origin) {
                trusted_origins.push(origin);
            }
        }

        session::check(&self.session)?;
        email_password::check(&self.email_password)?;
        rate_limit::check(&self.rate_limit)?;
        let advanced = self.advanced.resolve(base_url.scheme() == "https")?;

        Ok(AuthConfig {
            secrets,
            base_origin,
            trusted_origins,
            session: self.session,
            email_password: self.email_password,
            user: self.user,
            cookies: advanced.cookies,
            bearer: advanced.bearer,
            trusted_proxies: advanced.trusted_proxies,
            max_body_bytes: advanced.max_body_bytes,
            rate_limit: self.rate_limit,
        })
    }
}

/// Parses an http(s) URL and checks that it has a host.
fn parse_origin(what: &'static str, value: &str) -> Result<Url, ConfigError> {
    let invalid = |reason: &str| ConfigError::InvalidUrl {
        what,
        value: value.to_owned(),
        reason: reason.to_owned(),
    };
    let url = Url::parse(value.trim()).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(invalid("the scheme must be http or https"));
    }
    if url.host_str().is_none_or(str::is_empty) {
        return Err(invalid("it has no host"));
    }
    Ok(url)
}

/// A checked configuration. Build an [`crate::Auth`] from it with `AuthConfig::connect` or
/// `AuthConfig::with_database`.
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) secrets: SecretRing,
    pub(crate) base_origin: String,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) session: SessionSettings,
    pub(crate) email_password: EmailPasswordSettings,
    pub(crate) user: UserSettings,
    pub(crate) cookies: CookieSettings,
    pub(crate) bearer: BearerSettings,
    pub(crate) trusted_proxies: TrustedProxies,
    pub(crate) max_body_bytes: usize,
    pub(crate) rate_limit: RateLimit,
}

impl fmt::Debug for AuthConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuthConfig")
            .field("secrets", &self.secrets)
            .field("base_origin", &self.base_origin)
            .field("trusted_origins", &self.trusted_origins)
            .field("session", &self.session)
            .field("cookies", &self.cookies)
            .field("user", &self.user)
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// The base URL's origin, e.g. `http://localhost:3000`.
    pub fn base_origin(&self) -> &str {
        &self.base_origin
    }

    /// The origins trusted for cookie-carrying requests and redirects, the base URL's first.
    pub fn trusted_origins(&self) -> &[String] {
        &self.trusted_origins
    }

    /// The session cookie's name, e.g. `better-auth.session_token`.
    pub fn session_cookie_name(&self) -> String {
        crate::cookies::CookieNames::new(&self.cookies).session_token
    }

    /// How long a session lives without activity.
    pub fn session_expires_in(&self) -> std::time::Duration {
        self.session.expires_in
    }

    /// How often an active session's expiry slides forward.
    pub fn session_update_age(&self) -> std::time::Duration {
        self.session.update_age
    }

    /// How long a session counts as fresh.
    pub fn session_fresh_age(&self) -> std::time::Duration {
        self.session.fresh_age
    }

    /// Allowed password lengths `(min, max)`.
    pub fn password_length(&self) -> (usize, usize) {
        let rules = &self.email_password.passwords;
        (rules.min_length, rules.max_length)
    }

    /// Whether sign-up signs the new user in.
    pub fn auto_sign_in(&self) -> bool {
        self.email_password.auto_sign_in
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::rate_limit::Rule;

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
}
