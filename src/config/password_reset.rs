//! The password-reset group (Better-Auth's `emailAndPassword.resetPasswordTokenExpiresIn`,
//! `revokeSessionsOnPasswordReset`, and `verification.storeIdentifier` for the token rows).

use std::time::Duration;

use super::builder::{AuthBuilder, AuthConfig, PasswordResetSettings};
use super::error::ConfigError;
use crate::crypto::identifier::TokenStorage;

impl Default for PasswordResetSettings {
    fn default() -> Self {
        Self {
            expires_in: Duration::from_secs(3600),
            revoke_sessions: true,
            storage: TokenStorage::Hashed,
        }
    }
}

impl PasswordResetSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        if self.expires_in < Duration::from_secs(1) {
            return Err(ConfigError::invalid(
                "reset_password_token_expires_in",
                "must be at least one second",
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
    /// How long a password-reset link works (default 1 hour).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .reset_password_token_expires_in(std::time::Duration::from_secs(900))
    ///     .validate()?;
    /// assert_eq!(config.reset_password_token_expires_in().as_secs(), 900);
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn reset_password_token_expires_in(mut self, lifetime: Duration) -> Self {
        self.password_reset.expires_in = lifetime;
        self
    }

    /// Whether a password reset ends every session of the user (default **on**, unlike
    /// Better-Auth's `revokeSessionsOnPasswordReset`, which is off: whoever forced a reset
    /// usually did so because someone else may be signed in).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .validate()?;
    /// assert!(config.revoke_sessions_on_password_reset());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn revoke_sessions_on_password_reset(mut self, revoke: bool) -> Self {
        self.password_reset.revoke_sessions = revoke;
        self
    }

    /// How reset (and delete-account) tokens are stored in the `verification` table: hashed
    /// (default; Better-Auth's `storeIdentifier: "hashed"`) or in clear (Better-Auth's
    /// default; choose it when a Better-Auth server with default settings shares the database
    /// and must read authgate's tokens, or the reverse).
    ///
    /// # Examples
    /// ```
    /// use authgate::TokenStorage;
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .reset_token_storage(TokenStorage::Plain)
    ///     .validate()?;
    /// assert_eq!(config.reset_token_storage(), TokenStorage::Plain);
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn reset_token_storage(mut self, storage: TokenStorage) -> Self {
        self.password_reset.storage = storage;
        self
    }
}

impl AuthConfig {
    /// How long a password-reset link works.
    pub fn reset_password_token_expires_in(&self) -> Duration {
        self.password_reset.expires_in
    }

    /// Whether a password reset ends every session of the user.
    pub fn revoke_sessions_on_password_reset(&self) -> bool {
        self.password_reset.revoke_sessions
    }

    /// How reset tokens are stored.
    pub fn reset_token_storage(&self) -> TokenStorage {
        self.password_reset.storage
    }
}
