//! Configuration: [`AuthBuilder`] collects options, [`AuthBuilder::validate`] checks them all
//! and yields an [`AuthConfig`], or a [`ConfigError`] that says what to fix. Nothing is
//! defaulted silently where security depends on it: the secret and the base URL must be given
//! (in code or in the environment, as Better-Auth reads them).

use std::fmt;
use std::time::Duration;

use url::Url;

use crate::auth::Auth;
use crate::client_ip::{InvalidProxy, TrustedProxies};
use crate::rate_limit::RateLimit;
use crate::secret::{self, SecretRing, SecretSource, WeakSecret};
use crate::store::Database;

/// Better-Auth's defaults.
const DEFAULT_EXPIRES_IN: Duration = Duration::from_secs(7 * 24 * 60 * 60);
const DEFAULT_UPDATE_AGE: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_FRESH_AGE: Duration = Duration::from_secs(24 * 60 * 60);
const DEFAULT_MIN_PASSWORD: usize = 8;
const DEFAULT_MAX_PASSWORD: usize = 128;
/// No configuration may allow passwords shorter than this (NIST SP 800-63B).
const MIN_PASSWORD_FLOOR: usize = 8;
const DEFAULT_COOKIE_PREFIX: &str = "better-auth";
/// Auth request bodies are small JSON objects; anything larger is refused before parsing.
const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// No configuration may refuse every real request body.
const MIN_BODY_BYTES: usize = 1024;
/// How long a sign-in waits for a hashing slot before the server answers 503.
const DEFAULT_HASH_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);
/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis), so longer sessions cannot work.
const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// A configuration that cannot be served. Each message says what to change.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret in code nor in the environment.
    #[error(
        "no secret configured: set BETTER_AUTH_SECRET (or AUTH_SECRET) in the environment, or call \
         AuthBuilder::secret(); generate one with `openssl rand -base64 32`"
    )]
    MissingSecret,
    /// A secret broke one of the strength rules.
    #[error(
        "{from} is not an acceptable secret: {rule}; generate one with `openssl rand -base64 32`"
    )]
    WeakSecret {
        /// Where the secret came from.
        from: SecretSource,
        /// The rule it broke.
        rule: WeakSecret,
    },
    /// `BETTER_AUTH_SECRETS` is not a `version:secret,...` list.
    #[error("BETTER_AUTH_SECRETS is not a valid `version:secret,version:secret` list: {reason}")]
    InvalidSecretList {
        /// What is wrong with it.
        reason: String,
    },
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
    /// A numeric option is out of range.
    #[error("{0}")]
    InvalidOption(String),
}

/// Where a session comes from on sign-in and how long it lives. Better-Auth's defaults.
#[derive(Debug, Clone)]
pub(crate) struct SessionSettings {
    pub(crate) expires_in: Duration,
    pub(crate) update_age: Duration,
    pub(crate) fresh_age: Duration,
    pub(crate) absolute_lifetime: Option<Duration>,
}

/// Cookie naming and attributes.
#[derive(Debug, Clone)]
pub(crate) struct CookieSettings {
    pub(crate) prefix: String,
    pub(crate) secure: bool,
    /// `__Host-` names (Secure, `Path=/`, never a `Domain`).
    pub(crate) host_prefix: bool,
}

/// The verdict on a new password: `Err` carries the reason given to the user.
type PasswordCheck = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// A check of new passwords; see [`AuthBuilder::password_policy`].
#[derive(Clone)]
pub(crate) struct PasswordPolicy(pub(crate) std::sync::Arc<PasswordCheck>);

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordPolicy(..)")
    }
}

/// Collects options; see [`Auth::builder`].
#[derive(Clone)]
#[must_use = "an AuthBuilder does nothing until validated or connected"]
pub struct AuthBuilder {
    secrets: Vec<String>,
    base_url: Option<String>,
    trusted_origins: Vec<String>,
    expires_in: Duration,
    update_age: Duration,
    fresh_age: Duration,
    absolute_lifetime: Option<Duration>,
    min_password_length: usize,
    max_password_length: usize,
    auto_sign_in: bool,
    disable_sign_up: bool,
    cookie_prefix: String,
    secure_cookies: Option<bool>,
    host_prefix_cookies: bool,
    max_concurrent_hashes: Option<usize>,
    hash_queue_timeout: Duration,
    password_policy: Option<PasswordPolicy>,
    max_body_bytes: usize,
    trusted_proxies: Vec<String>,
    set_auth_token_header: bool,
    allow_unsigned_bearer: bool,
    change_email: bool,
    delete_user: bool,
    rate_limit: RateLimit,
    env: fn(&str) -> Option<String>,
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
            .field("expires_in", &self.expires_in)
            .field("update_age", &self.update_age)
            .finish_non_exhaustive()
    }
}

fn read_env(name: &str) -> Option<String> {
    std::env::var(name).ok()
}

impl Default for AuthBuilder {
    fn default() -> Self {
        Self {
            secrets: Vec::new(),
            base_url: None,
            trusted_origins: Vec::new(),
            expires_in: DEFAULT_EXPIRES_IN,
            update_age: DEFAULT_UPDATE_AGE,
            fresh_age: DEFAULT_FRESH_AGE,
            absolute_lifetime: None,
            min_password_length: DEFAULT_MIN_PASSWORD,
            max_password_length: DEFAULT_MAX_PASSWORD,
            auto_sign_in: true,
            disable_sign_up: false,
            cookie_prefix: DEFAULT_COOKIE_PREFIX.to_owned(),
            secure_cookies: None,
            host_prefix_cookies: false,
            max_concurrent_hashes: None,
            hash_queue_timeout: DEFAULT_HASH_QUEUE_TIMEOUT,
            password_policy: None,
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            trusted_proxies: Vec::new(),
            set_auth_token_header: false,
            allow_unsigned_bearer: false,
            change_email: false,
            delete_user: false,
            rate_limit: RateLimit::default(),
            env: read_env,
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

    /// How long a session lives without activity (default 7 days). At most 400 days, the
    /// longest lifetime browsers keep a cookie.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_expires_in(Duration::from_secs(30 * 24 * 60 * 60))
    ///     .validate()?;
    /// assert_eq!(config.session_expires_in(), Duration::from_secs(30 * 24 * 60 * 60));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_expires_in(mut self, lifetime: Duration) -> Self {
        self.expires_in = lifetime;
        self
    }

    /// How often an active session's expiry slides forward (default 1 day): when a request
    /// comes in at least this long after the last extension, the session is extended to
    /// `now + expires_in` (one database write) and the cookie re-sent. Zero extends on every
    /// request.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_update_age(Duration::from_secs(60 * 60))
    ///     .validate()?;
    /// assert_eq!(config.session_update_age(), Duration::from_secs(3600));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_update_age(mut self, age: Duration) -> Self {
        self.update_age = age;
        self
    }

    /// How long after sign-in a session counts as fresh (default 1 day) for sensitive actions
    /// such as listing sessions or deleting the account without a password. Zero means always
    /// fresh.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_fresh_age(Duration::from_secs(10 * 60))
    ///     .validate()?;
    /// assert_eq!(config.session_fresh_age(), Duration::from_secs(600));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_fresh_age(mut self, age: Duration) -> Self {
        self.fresh_age = age;
        self
    }

    /// Ends every session this long after sign-in, however often it was extended (off by
    /// default, as in Better-Auth, whose sessions slide forward without bound). ASVS 3.3.2
    /// suggests 30 days (12 hours for sensitive applications).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_absolute_lifetime(Duration::from_secs(30 * 24 * 60 * 60))
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.absolute_lifetime = Some(lifetime);
        self
    }

    /// Allowed password lengths in characters (UTF-16 units, as Better-Auth counts), default
    /// 8 to 128. The minimum cannot be set below 8.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .password_length(12, 256)
    ///     .validate()?;
    /// assert_eq!(config.password_length(), (12, 256));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn password_length(mut self, min: usize, max: usize) -> Self {
        self.min_password_length = min;
        self.max_password_length = max;
        self
    }

    /// Whether sign-up also signs the new user in (default `true`). When `false`, sign-up
    /// answers `{"token": null, ...}` and sets no cookie.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .auto_sign_in(false)
    ///     .validate()?;
    /// assert!(!config.auto_sign_in());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn auto_sign_in(mut self, enabled: bool) -> Self {
        self.auto_sign_in = enabled;
        self
    }

    /// Refuses new sign-ups (existing users can still sign in).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .disable_sign_up(true)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn disable_sign_up(mut self, disabled: bool) -> Self {
        self.disable_sign_up = disabled;
        self
    }

    /// The cookie name prefix (default `better-auth`, giving `better-auth.session_token`).
    /// Keep Better-Auth's prefix to share cookies with a Better-Auth server.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .cookie_prefix("myapp")
    ///     .validate()?;
    /// assert_eq!(config.session_cookie_name(), "myapp.session_token");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn cookie_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.cookie_prefix = prefix.into();
        self
    }

    /// Forces cookies to be `Secure` (with the `__Secure-` prefix) or not. By default they are
    /// secure exactly when the base URL is `https`.
    ///
    /// # ⚠️ Warning
    /// Turning this off for an `https` site lets the cookie travel over plain http.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .secure_cookies(true) // behind a TLS-terminating proxy that forwards plain http
    ///     .validate()?;
    /// assert_eq!(config.session_cookie_name(), "__Secure-better-auth.session_token");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure_cookies = Some(secure);
        self
    }

    /// Names cookies with the `__Host-` prefix (`__Host-better-auth.session_token`), which
    /// browsers accept only with `Secure`, `Path=/` and no `Domain`, so that no subdomain can
    /// set or shadow the session cookie. Implies secure cookies. Better-Auth reads
    /// `__Secure-` names, so a Better-Auth server will not see these cookies.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://app.example.com")
    ///     .host_prefix_cookies(true)
    ///     .validate()?;
    /// assert_eq!(config.session_cookie_name(), "__Host-better-auth.session_token");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn host_prefix_cookies(mut self, enabled: bool) -> Self {
        self.host_prefix_cookies = enabled;
        self
    }

    /// At most this many password hashes run at once (default: the number of CPU cores).
    /// Each takes 32 MiB and tens of milliseconds of CPU on the blocking thread pool; further
    /// requests wait their turn (up to [`hash_queue_timeout`](Self::hash_queue_timeout))
    /// instead of starving the server. More than the number of cores only adds memory.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .max_concurrent_hashes(2)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn max_concurrent_hashes(mut self, max: usize) -> Self {
        self.max_concurrent_hashes = Some(max);
        self
    }

    /// How long a request waits for one of the [`max_concurrent_hashes`](Self::max_concurrent_hashes)
    /// slots before it is answered 503 `SERVER_BUSY` with `Retry-After` (default 10 seconds):
    /// under a flood of sign-ins the queue stays bounded in time instead of growing forever.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .hash_queue_timeout(Duration::from_secs(3))
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn hash_queue_timeout(mut self, timeout: Duration) -> Self {
        self.hash_queue_timeout = timeout;
        self
    }

    /// Refuses new passwords that `policy` rejects, at sign-up and change-password (never at
    /// sign-in): the place for a list of common or breached passwords, as NIST SP 800-63B asks.
    /// The policy returns the reason a password is refused, which the client receives as 400
    /// `PASSWORD_COMPROMISED` (the code of Better-Auth's `haveIBeenPwned` plugin).
    ///
    /// The policy runs on the blocking thread pool, beside the password hashing, so it may do
    /// blocking work such as reading a large list or a k-anonymity lookup over HTTP; keep its
    /// own timeouts short.
    ///
    /// # Examples
    /// ```
    /// let common = ["password1234", "qwertyuiop", "123456789012"];
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .password_policy(move |password: &str| {
    ///         if common.contains(&password.to_lowercase().as_str()) {
    ///             Err("This password is too common; choose another one".to_owned())
    ///         } else {
    ///             Ok(())
    ///         }
    ///     })
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn password_policy<F>(mut self, policy: F) -> Self
    where
        F: Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    {
        self.password_policy = Some(PasswordPolicy(std::sync::Arc::new(policy)));
        self
    }

    /// The largest request body the auth endpoints read (default 64 KiB); larger bodies get
    /// 413 before any parsing.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .max_body_size(256 * 1024)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }

    /// Trusts `X-Forwarded-For` from these proxies (IP addresses or CIDR ranges such as
    /// `10.0.0.0/8`). The client address is then the nearest address in that header that is not
    /// a trusted proxy. Without trusted proxies the header is ignored and the client address is
    /// the peer's, from axum's `ConnectInfo` (serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()`).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .trusted_proxies(["127.0.0.1", "10.0.0.0/8"])
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.trusted_proxies = proxies.into_iter().map(Into::into).collect();
        self
    }

    /// Sends the signed session token in a `set-auth-token` response header (exposed to CORS
    /// scripts) whenever a response sets the session cookie, as Better-Auth's `bearer` plugin
    /// does, for clients that keep the token and send `Authorization: Bearer` (mobile apps,
    /// other services). Off by default: it hands the session token to page scripts.
    ///
    /// Signed bearer tokens are accepted either way.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .set_auth_token_header(true)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn set_auth_token_header(mut self, enabled: bool) -> Self {
        self.set_auth_token_header = enabled;
        self
    }

    /// Accepts a bare session token (without its signature) as a bearer token, as
    /// Better-Auth's `bearer` plugin does by default.
    ///
    /// # ⚠️ Warning
    /// With this on, anyone who can read the `session` table (a backup, a read replica, a
    /// log of queries) can act as any signed-in user. Keep it off unless a client cannot send
    /// the signed form (`set-auth-token`'s value).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .allow_unsigned_bearer(true)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn allow_unsigned_bearer(mut self, allowed: bool) -> Self {
        self.allow_unsigned_bearer = allowed;
        self
    }

    /// Enables `POST /change-email` (off by default, as in Better-Auth). Without email
    /// verification configured, an address can be changed at once only while it is unverified
    /// (Better-Auth's `updateEmailWithoutVerification`); a verified user gets 400
    /// `VERIFICATION_EMAIL_NOT_ENABLED`.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .change_email(true)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn change_email(mut self, enabled: bool) -> Self {
        self.change_email = enabled;
        self
    }

    /// Enables `POST /delete-user` (off by default, as in Better-Auth): with the password, or
    /// from a fresh session (see [`session_fresh_age`](Self::session_fresh_age)).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .delete_user(true)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn delete_user(mut self, enabled: bool) -> Self {
        self.delete_user = enabled;
        self
    }

    /// Rate limits for the auth endpoints: on by default with Better-Auth's rules (3 per 10 s
    /// for sign-in, sign-up, change-password and change-email; 100 per 10 s elsewhere), keyed
    /// by client address and endpoint, plus 100 consecutive failed sign-ins per account and
    /// hour (see [`RateLimit::per_account`](crate::RateLimit::per_account)), counted in memory. Use
    /// [`RateLimitStorage::Database`](crate::RateLimitStorage::Database) when several
    /// instances serve the same users.
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// use authgate::{RateLimit, RateLimitStorage, Rule};
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .rate_limit(
    ///         RateLimit::default()
    ///             .rule("/sign-in/email", Rule::new(5, Duration::from_secs(60)))
    ///             .storage(RateLimitStorage::Database),
    ///     )
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn rate_limit(mut self, rate_limit: RateLimit) -> Self {
        self.rate_limit = rate_limit;
        self
    }

    /// Reads environment variables through `env` instead of the process environment (for
    /// tests that must not touch process-wide state).
    #[doc(hidden)]
    pub fn env_source(mut self, env: fn(&str) -> Option<String>) -> Self {
        self.env = env;
        self
    }

    /// Checks every option and reads the environment where code left a gap.
    ///
    /// # Errors
    /// A [`ConfigError`] naming the setting and the rule, e.g. a missing or weak secret.
    pub fn validate(self) -> Result<AuthConfig, ConfigError> {
        let env = self.env;
        let secrets = secret::load(&self.secrets, &env)?;

        let base_url_value = self
            .base_url
            .filter(|v| !v.trim().is_empty())
            // An empty variable falls through to the next, as Better-Auth's `||` does.
            .or_else(|| env("BETTER_AUTH_URL").filter(|v| !v.trim().is_empty()))
            .or_else(|| env("AUTH_URL").filter(|v| !v.trim().is_empty()))
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

        if self.expires_in.is_zero() || self.expires_in > MAX_SESSION_LIFETIME {
            return Err(ConfigError::InvalidOption(format!(
                "session_expires_in must be between 1 second and 400 days (browsers cap cookie \
                 lifetimes at 400 days), got {:?}",
                self.expires_in
            )));
        }
        if self.min_password_length < MIN_PASSWORD_FLOOR
            || self.min_password_length > self.max_password_length
        {
            return Err(ConfigError::InvalidOption(format!(
                "password_length needs {MIN_PASSWORD_FLOOR} <= min <= max (NIST SP 800-63B asks \
                 for at least 8 characters), got min {} and max {}",
                self.min_password_length, self.max_password_length
            )));
        }
        if self
            .absolute_lifetime
            .is_some_and(|lifetime| lifetime.is_zero())
        {
            return Err(ConfigError::InvalidOption(
                "session_absolute_lifetime must be longer than zero".to_owned(),
            ));
        }
        if self.cookie_prefix.is_empty()
            || !self
                .cookie_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(ConfigError::InvalidOption(format!(
                "cookie_prefix must be non-empty and use only letters, digits, '-', '_' and '.', got {:?}",
                self.cookie_prefix
            )));
        }
        if self.max_concurrent_hashes == Some(0) {
            return Err(ConfigError::InvalidOption(
                "max_concurrent_hashes must be at least 1".to_owned(),
            ));
        }
        if self.hash_queue_timeout.is_zero() {
            return Err(ConfigError::InvalidOption(
                "hash_queue_timeout must be longer than zero (every sign-in would be refused)"
                    .to_owned(),
            ));
        }
        if self.max_body_bytes < MIN_BODY_BYTES {
            return Err(ConfigError::InvalidOption(format!(
                "max_body_size must be at least {MIN_BODY_BYTES} bytes (a sign-up body needs a few \
                 hundred), got {}",
                self.max_body_bytes
            )));
        }
        self.rate_limit
            .check()
            .map_err(ConfigError::InvalidOption)?;
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)?;

        let secure = self.secure_cookies.unwrap_or(base_url.scheme() == "https");
        Ok(AuthConfig {
            secrets,
            base_origin,
            trusted_origins,
            session: SessionSettings {
                expires_in: self.expires_in,
                update_age: self.update_age,
                fresh_age: self.fresh_age,
                absolute_lifetime: self.absolute_lifetime,
            },
            cookies: CookieSettings {
                prefix: self.cookie_prefix,
                secure: secure || self.host_prefix_cookies,
                host_prefix: self.host_prefix_cookies,
            },
            min_password_length: self.min_password_length,
            max_password_length: self.max_password_length,
            auto_sign_in: self.auto_sign_in,
            disable_sign_up: self.disable_sign_up,
            max_concurrent_hashes: self.max_concurrent_hashes.unwrap_or_else(|| {
                std::thread::available_parallelism()
                    .map(usize::from)
                    .unwrap_or(1)
            }),
            hash_queue_timeout: self.hash_queue_timeout,
            password_policy: self.password_policy,
            max_body_bytes: self.max_body_bytes,
            trusted_proxies,
            set_auth_token_header: self.set_auth_token_header,
            allow_unsigned_bearer: self.allow_unsigned_bearer,
            change_email: self.change_email,
            delete_user: self.delete_user,
            rate_limit: self.rate_limit,
        })
    }

    /// Validates the configuration, then connects to the database at `url`
    /// (`sqlite://app.db?mode=rwc`, `postgres://...`, or `mysql://...` with the `mysql`
    /// feature).
    ///
    /// # Errors
    /// [`crate::Error::Config`] before any connection is attempted, or
    /// [`crate::Error::Database`] when the database cannot be reached.
    pub async fn connect(self, url: &str) -> Result<Auth, crate::Error> {
        let config = self.validate()?;
        let database = Database::connect(url).await?;
        Ok(Auth::new(config, database))
    }

    /// Validates the configuration and uses an existing pool.
    ///
    /// # Errors
    /// A [`ConfigError`] as from [`validate`](Self::validate).
    pub fn build(self, database: impl Into<Database>) -> Result<Auth, ConfigError> {
        Ok(Auth::new(self.validate()?, database.into()))
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

/// A checked configuration. Build an [`Auth`] from it with [`AuthConfig::connect`] or
/// [`AuthConfig::with_database`].
#[derive(Clone)]
pub struct AuthConfig {
    pub(crate) secrets: SecretRing,
    pub(crate) base_origin: String,
    pub(crate) trusted_origins: Vec<String>,
    pub(crate) session: SessionSettings,
    pub(crate) cookies: CookieSettings,
    pub(crate) min_password_length: usize,
    pub(crate) max_password_length: usize,
    pub(crate) auto_sign_in: bool,
    pub(crate) disable_sign_up: bool,
    pub(crate) max_concurrent_hashes: usize,
    pub(crate) hash_queue_timeout: Duration,
    pub(crate) password_policy: Option<PasswordPolicy>,
    pub(crate) max_body_bytes: usize,
    pub(crate) trusted_proxies: TrustedProxies,
    pub(crate) set_auth_token_header: bool,
    pub(crate) allow_unsigned_bearer: bool,
    pub(crate) change_email: bool,
    pub(crate) delete_user: bool,
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
            .finish_non_exhaustive()
    }
}

impl AuthConfig {
    /// Connects to the database at `url`.
    ///
    /// # Errors
    /// [`crate::Error::Database`] when the database cannot be reached.
    pub async fn connect(self, url: &str) -> Result<Auth, crate::Error> {
        Ok(Auth::new(self, Database::connect(url).await?))
    }

    /// Uses an existing pool.
    pub fn with_database(self, database: impl Into<Database>) -> Auth {
        Auth::new(self, database.into())
    }

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
    pub fn session_expires_in(&self) -> Duration {
        self.session.expires_in
    }

    /// How often an active session's expiry slides forward.
    pub fn session_update_age(&self) -> Duration {
        self.session.update_age
    }

    /// How long a session counts as fresh.
    pub fn session_fresh_age(&self) -> Duration {
        self.session.fresh_age
    }

    /// Allowed password lengths `(min, max)`.
    pub fn password_length(&self) -> (usize, usize) {
        (self.min_password_length, self.max_password_length)
    }

    /// Whether sign-up signs the new user in.
    pub fn auto_sign_in(&self) -> bool {
        self.auto_sign_in
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k";

    fn no_env(_: &str) -> Option<String> {
        None
    }

    fn builder() -> AuthBuilder {
        AuthBuilder::default().env_source(no_env).secret(SECRET)
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
    fn out_of_range_options_are_refused() {
        let base = || builder().base_url("http://localhost:3000");
        assert!(
            base()
                .session_expires_in(Duration::ZERO)
                .validate()
                .is_err()
        );
        assert!(
            base()
                .session_expires_in(Duration::from_secs(401 * 86_400))
                .validate()
                .is_err()
        );
        assert!(base().password_length(10, 9).validate().is_err());
        assert!(base().password_length(0, 9).validate().is_err());
        assert!(base().cookie_prefix("bad prefix").validate().is_err());
        assert!(base().max_concurrent_hashes(0).validate().is_err());
        assert!(
            base()
                .hash_queue_timeout(Duration::ZERO)
                .validate()
                .is_err()
        );
        assert!(base().max_body_size(10).validate().is_err());
        use crate::rate_limit::{RateLimit, Rule};
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
    fn debug_output_never_shows_the_secret() {
        let b = builder().base_url("http://localhost:3000");
        assert!(!format!("{b:?}").contains(SECRET));
        let config = b.validate().unwrap();
        assert!(!format!("{config:?}").contains(SECRET));
    }
}
