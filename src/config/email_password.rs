//! The email-and-password group (Better-Auth's `emailAndPassword` options): sign-up, password
//! rules, and the bounds on password hashing.

use std::time::Duration;

use super::builder::{AuthBuilder, EmailPasswordSettings};
use super::error::ConfigError;
use crate::api::password_rules::{PasswordPolicy, PasswordRules};
use crate::crypto::password::HashLimits;

/// No configuration may allow passwords shorter than this (NIST SP 800-63B).
const MIN_PASSWORD_FLOOR: usize = 8;
/// How long a sign-in waits for a hashing slot before the server answers 503.
const DEFAULT_HASH_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

impl Default for EmailPasswordSettings {
    fn default() -> Self {
        Self {
            passwords: PasswordRules::default(),
            sign_up_allowed: true,
            auto_sign_in: true,
            hashing: HashLimits {
                max_concurrent: std::thread::available_parallelism()
                    .map(usize::from)
                    .unwrap_or(1),
                queue_timeout: DEFAULT_HASH_QUEUE_TIMEOUT,
            },
        }
    }
}

impl EmailPasswordSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let settings = self;
        let rules = &settings.passwords;
        if rules.min_length < MIN_PASSWORD_FLOOR || rules.min_length > rules.max_length {
            return Err(ConfigError::invalid(
                "password_length",
                format!(
                    "needs {MIN_PASSWORD_FLOOR} <= min <= max (NIST SP 800-63B asks for at least 8 \
                 characters), got min {} and max {}",
                    rules.min_length, rules.max_length
                ),
            ));
        }
        if settings.hashing.max_concurrent == 0 {
            return Err(ConfigError::invalid(
                "max_concurrent_hashes",
                "must be at least 1",
            ));
        }
        if settings.hashing.queue_timeout.is_zero() {
            return Err(ConfigError::invalid(
                "hash_queue_timeout",
                "must be longer than zero (every sign-in would be refused)",
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
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
        self.email_password.passwords.min_length = min;
        self.email_password.passwords.max_length = max;
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
    /// let policy = move |password: &str| {
    ///     if common.contains(&password.to_lowercase().as_str()) {
    ///         Err("This password is too common; choose another one".to_owned())
    ///     } else {
    ///         Ok(())
    ///     }
    /// };
    /// assert!(policy("QwertyUiop").is_err());
    /// assert!(policy("correct horse battery").is_ok());
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .password_policy(policy)
    ///     .validate()?;
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn password_policy<F>(mut self, policy: F) -> Self
    where
        F: Fn(&str) -> Result<(), String> + Send + Sync + 'static,
    {
        self.email_password.passwords.policy = Some(PasswordPolicy::new(policy));
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
        self.email_password.auto_sign_in = enabled;
        self
    }

    /// Whether `POST /sign-up/email` creates users (default `true`). With `false` it answers
    /// 400 `EMAIL_PASSWORD_SIGN_UP_DISABLED` and existing users can still sign in
    /// (Better-Auth's `disableSignUp: true`).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .allow_sign_up(false)
    ///     .validate()?;
    /// assert!(!config.sign_up_allowed());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn allow_sign_up(mut self, allowed: bool) -> Self {
        self.email_password.sign_up_allowed = allowed;
        self
    }

    /// At most this many password hashes run at once (default: the number of CPU cores).
    /// Each takes 32 MiB and tens of milliseconds of CPU on the blocking thread pool; further
    /// requests wait their turn (up to [`hash_queue_timeout`](Self::hash_queue_timeout))
    /// instead of starving the server. More than the number of cores only adds memory.
    ///
    /// # Examples
    /// ```
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .max_concurrent_hashes(0)
    ///     .validate()
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "max_concurrent_hashes must be at least 1");
    /// ```
    pub fn max_concurrent_hashes(mut self, max: usize) -> Self {
        self.email_password.hashing.max_concurrent = max;
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
    /// assert_eq!(config.hash_queue_timeout(), Duration::from_secs(3));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn hash_queue_timeout(mut self, timeout: Duration) -> Self {
        self.email_password.hashing.queue_timeout = timeout;
        self
    }
}
