//! [`AuthBuilder`] and [`AuthConfig`]: the options collected, and checked by
//! [`AuthBuilder::validate`]. The builder's setters are in the group files beside this one.

use std::fmt;
use std::sync::Arc;

use url::Url;

use super::error::ConfigError;
use crate::api::password_rules::PasswordRules;
use crate::cache::SessionCache;
use crate::client_ip::TrustedProxies;
use crate::cookies::CookieSettings;
use crate::crypto::identifier::TokenStorage;
use crate::crypto::password::HashLimits;
use crate::fields::{Field, FieldSet};
use crate::hooks::DatabaseHooks;
use crate::mail::outbox::OutboxSettings;
use crate::mail::{DefaultTemplates, MailTemplates, Mailer};
use crate::rate_limit::RateLimit;
use crate::secret::{self, SecretRing};
use crate::session::cookie_cache::CookieCache;
use crate::session::policy::SessionSettings;
use crate::store::OutageSettings;

// The groups' settings. Their defaults, checks and setters are in the group's file.

/// The checked email-and-password settings.
#[derive(Debug, Clone)]
pub(crate) struct EmailPasswordSettings {
    pub(crate) passwords: PasswordRules,
    /// Whether `POST /sign-up/email` creates users (Better-Auth's `disableSignUp`, inverted).
    pub(crate) sign_up_allowed: bool,
    /// Whether sign-up also signs the new user in.
    pub(crate) auto_sign_in: bool,
    pub(crate) hashing: HashLimits,
}

/// Account changes that are off unless enabled, as in Better-Auth.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct UserSettings {
    /// `POST /change-email` (`user.changeEmail.enabled`).
    pub(crate) change_email: bool,
    /// `POST /delete-user` (`user.deleteUser.enabled`).
    pub(crate) delete_user: bool,
    /// With a mailer, an unverified address changes at once (and the new one gets a
    /// verification mail): `user.changeEmail.updateEmailWithoutVerification`.
    pub(crate) update_email_without_verification: bool,
    /// With a mailer, a verified user's change is first approved from the old address:
    /// `user.changeEmail.sendChangeEmailConfirmation`.
    pub(crate) send_change_email_confirmation: bool,
    /// With a mailer, `POST /delete-user` mails a deletion link instead of deleting:
    /// `user.deleteUser.sendDeleteAccountVerification`.
    pub(crate) send_delete_account_verification: bool,
}

/// The account-mail settings (`config/mail.rs`): the mailer, what links point at, the outbox.
#[derive(Clone)]
pub(crate) struct MailSettings {
    pub(crate) mailer: Option<Arc<dyn Mailer>>,
    pub(crate) templates: Arc<dyn MailTemplates>,
    /// The product name in mails; the base URL's host when not set.
    pub(crate) app_name: Option<String>,
    /// Where the router is nested (Better-Auth's `basePath`), for the links in mails.
    pub(crate) base_path: String,
    pub(crate) outbox: OutboxSettings,
}

impl Default for MailSettings {
    fn default() -> Self {
        Self {
            mailer: None,
            templates: Arc::new(DefaultTemplates),
            app_name: None,
            base_path: "/api/auth".to_owned(),
            outbox: OutboxSettings {
                queue_limit: 256,
                timeout: std::time::Duration::from_secs(30),
                per_address: 3,
            },
        }
    }
}

impl fmt::Debug for MailSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MailSettings")
            .field("mailer", &self.mailer)
            .field("app_name", &self.app_name)
            .field("base_path", &self.base_path)
            .field("outbox", &self.outbox)
            .finish_non_exhaustive()
    }
}

/// Email verification (`config/email_verification.rs`; Better-Auth's `emailVerification`,
/// and `emailAndPassword.requireEmailVerification`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct EmailVerificationSettings {
    pub(crate) require: bool,
    /// `None`: as `require`.
    pub(crate) send_on_sign_up: Option<bool>,
    pub(crate) send_on_sign_in: bool,
    pub(crate) auto_sign_in_after_verification: bool,
    pub(crate) expires_in: std::time::Duration,
}

/// Password reset (`config/password_reset.rs`; Better-Auth's `emailAndPassword` reset options).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PasswordResetSettings {
    pub(crate) expires_in: std::time::Duration,
    pub(crate) revoke_sessions: bool,
    pub(crate) storage: TokenStorage,
}

/// The options as given; [`AdvancedOptions::resolve`] checks them against the base URL.
#[derive(Debug, Clone)]
pub(crate) struct AdvancedOptions {
    pub(super) cookie_prefix: String,
    pub(super) secure_cookies: Option<bool>,
    pub(super) host_prefix_cookies: bool,
    pub(super) bearer: BearerSettings,
    pub(super) trusted_proxies: Vec<String>,
    pub(super) max_body_bytes: usize,
    pub(super) cookie_domain: Option<String>,
}

/// The additional fields as declared, in order; [`FieldSet::check`] checks them.
#[derive(Debug, Clone, Default)]
pub(crate) struct FieldOptions {
    pub(super) user: Vec<(String, Field)>,
    pub(super) session: Vec<(String, Field)>,
}

/// The checked operations settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OperationsSettings {
    /// The window of the bad-signature and sessions-not-growing alerts.
    pub(crate) alert_window: std::time::Duration,
    /// How often the background cleanup runs; `None`: it does not.
    pub(crate) cleanup_interval: Option<std::time::Duration>,
}

/// Bearer-token clients (Better-Auth's `bearer` plugin).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct BearerSettings {
    /// Send the signed token in `set-auth-token` when a response sets the session cookie.
    pub(crate) expose_token: bool,
    /// Accept a bare session token (no signature) as a bearer token.
    pub(crate) allow_unsigned: bool,
}

/// Where [`AuthBuilder::validate`] reads the variables that fill gaps left in code.
type Source = dyn Fn(&str) -> Option<String> + Send + Sync;

/// The variable source: the process environment unless replaced.
#[derive(Clone, Default)]
pub(super) struct Environment(pub(super) Option<Arc<Source>>);

/// Collects options; see [`crate::Auth::builder`]. Every option has a method here, grouped as
/// Better-Auth groups them; [`validate`](Self::validate) checks them all.
#[derive(Clone, Default)]
#[must_use = "an AuthBuilder does nothing until validated or connected"]
pub struct AuthBuilder {
    pub(super) secrets: Vec<String>,
    pub(super) base_url: Option<String>,
    pub(super) trusted_origins: Vec<String>,
    pub(super) session: SessionSettings,
    pub(super) email_password: EmailPasswordSettings,
    pub(super) user: UserSettings,
    pub(super) advanced: AdvancedOptions,
    pub(super) rate_limit: RateLimit,
    pub(super) environment: Environment,
    pub(super) fields: FieldOptions,
    pub(super) hooks: DatabaseHooks,
    pub(super) database: OutageSettings,
    pub(super) operations: OperationsSettings,
    pub(super) mail: MailSettings,
    pub(super) email_verification: EmailVerificationSettings,
    pub(super) password_reset: PasswordResetSettings,
    pub(super) session_cache: Option<SessionCache>,
    pub(super) cookie_cache: Option<CookieCache>,
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
            .field("fields", &self.fields)
            .field("hooks", &self.hooks)
            .field("mail", &self.mail)
            .field("email_verification", &self.email_verification)
            .field("password_reset", &self.password_reset)
            .field("session_cache", &self.session_cache)
            .field("cookie_cache", &self.cookie_cache)
            .finish_non_exhaustive()
    }
}

impl AuthBuilder {
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

        self.session.check()?;
        self.email_password.check()?;
        self.rate_limit
            .check()
            .map_err(|reason| ConfigError::invalid("rate_limit", reason))?;
        let (cookies, trusted_proxies) = self
            .advanced
            .resolve(base_url.scheme() == "https", base_url.host_str())?;
        let (user_fields, session_fields) = self.fields.check()?;
        self.database.check()?;
        self.operations.check()?;
        self.mail.check()?;
        self.email_verification.check(self.mail.mailer.is_some())?;
        self.password_reset.check()?;
        if self.user.send_delete_account_verification && self.mail.mailer.is_none() {
            return Err(ConfigError::invalid(
                "send_delete_account_verification",
                "needs a mailer to send the deletion links (AuthBuilder::mailer)",
            ));
        }
        let mut mail = self.mail;
        if mail.app_name.is_none() {
            mail.app_name = base_url.host_str().map(str::to_owned);
        }
        if let Some(cache) = &self.session_cache {
            cache
                .check()
                .map_err(|reason| ConfigError::invalid("session_cache", reason))?;
        }
        if let Some(cache) = &self.cookie_cache {
            cache
                .check()
                .map_err(|reason| ConfigError::invalid("cookie_cache", reason))?;
        }

        Ok(AuthConfig {
            secrets,
            base_origin,
            trusted_origins,
            session: self.session,
            email_password: self.email_password,
            user: self.user,
            cookies,
            bearer: self.advanced.bearer,
            trusted_proxies,
            max_body_bytes: self.advanced.max_body_bytes,
            rate_limit: self.rate_limit,
            user_fields,
            session_fields,
            hooks: self.hooks,
            database: self.database,
            operations: self.operations,
            mail,
            email_verification: self.email_verification,
            password_reset: self.password_reset,
            session_cache: self.session_cache,
            cookie_cache: self.cookie_cache,
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
    pub(crate) user_fields: FieldSet,
    pub(crate) session_fields: FieldSet,
    pub(crate) hooks: DatabaseHooks,
    pub(crate) database: OutageSettings,
    pub(crate) operations: OperationsSettings,
    pub(crate) mail: MailSettings,
    pub(crate) email_verification: EmailVerificationSettings,
    pub(crate) password_reset: PasswordResetSettings,
    pub(crate) session_cache: Option<SessionCache>,
    pub(crate) cookie_cache: Option<CookieCache>,
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
            .field("user_fields", &self.user_fields)
            .field("session_fields", &self.session_fields)
            .field("hooks", &self.hooks)
            .field("mail", &self.mail)
            .field("email_verification", &self.email_verification)
            .field("password_reset", &self.password_reset)
            .field("session_cache", &self.session_cache)
            .field("cookie_cache", &self.cookie_cache)
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

    /// Whether `POST /sign-up/email` creates users.
    pub fn sign_up_allowed(&self) -> bool {
        self.email_password.sign_up_allowed
    }

    /// How many password hashes run at once.
    pub fn max_concurrent_hashes(&self) -> usize {
        self.email_password.hashing.max_concurrent
    }

    /// How long a request waits for a hashing slot before 503 `SERVER_BUSY`.
    pub fn hash_queue_timeout(&self) -> std::time::Duration {
        self.email_password.hashing.queue_timeout
    }

    /// The rate limits.
    pub fn rate_limit(&self) -> &RateLimit {
        &self.rate_limit
    }

    /// The [fingerprint](crate::secret_fingerprint) of every configured secret, the signing
    /// one first: compare them across instances (`authgate check` prints them), never the
    /// secrets.
    pub fn secret_fingerprints(&self) -> Vec<String> {
        self.secrets
            .iter()
            .map(crate::secret_fingerprint::secret_fingerprint)
            .collect()
    }

    /// The window of the incident alerts.
    pub fn alert_window(&self) -> std::time::Duration {
        self.operations.alert_window
    }

    /// How often the background cleanup runs, if it does.
    pub fn cleanup_interval(&self) -> Option<std::time::Duration> {
        self.operations.cleanup_interval
    }

    /// Whether cookies are `Secure` (and named `__Secure-` or `__Host-`).
    pub fn secure_cookies(&self) -> bool {
        self.cookies.secure
    }

    /// The in-process session cache's settings, when it is on.
    pub fn session_cache(&self) -> Option<&SessionCache> {
        self.session_cache.as_ref()
    }

    /// The cookie cache's settings, when it is on.
    pub fn cookie_cache(&self) -> Option<&CookieCache> {
        self.cookie_cache.as_ref()
    }
}
