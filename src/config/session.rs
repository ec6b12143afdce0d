//! The session group (Better-Auth's `session` options): lifetimes, sliding expiry, freshness.
//! The settings are [`SessionSettings`], which the session rules read.

use std::time::Duration;

use super::builder::AuthBuilder;
use super::error::ConfigError;
use crate::session::policy::SessionSettings;

/// Browsers cap cookie lifetimes at 400 days (RFC 6265bis), so longer sessions cannot work.
const MAX_SESSION_LIFETIME: Duration = Duration::from_secs(400 * 24 * 60 * 60);

/// Checked here rather than beside the type, because the rule is about configuration.
impl SessionSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let settings = self;
        if settings.expires_in.is_zero() || settings.expires_in > MAX_SESSION_LIFETIME {
            return Err(ConfigError::invalid(
                "session_expires_in",
                format!(
                    "must be between 1 second and 400 days (browsers cap cookie lifetimes at 400 \
                 days), got {:?}",
                    settings.expires_in
                ),
            ));
        }
        if settings.absolute_lifetime.is_some_and(|l| l.is_zero()) {
            return Err(ConfigError::invalid(
                "session_absolute_lifetime",
                "must be longer than zero",
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
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
        self.session.expires_in = lifetime;
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
        self.session.update_age = age;
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
        self.session.fresh_age = age;
        self
    }

    /// Ends every session this long after sign-in, however often it was extended (off by
    /// default, as in Better-Auth, whose sessions slide forward without bound). ASVS 3.3.2
    /// suggests 30 days (12 hours for sensitive applications).
    ///
    /// # Examples
    /// ```
    /// use std::time::Duration;
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_absolute_lifetime(Duration::ZERO)
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("session_absolute_lifetime must be longer than zero"));
    /// ```
    pub fn session_absolute_lifetime(mut self, lifetime: Duration) -> Self {
        self.session.absolute_lifetime = Some(lifetime);
        self
    }
}
