//! The email-verification group (Better-Auth's `emailVerification`, and
//! `emailAndPassword.requireEmailVerification`).

use std::time::Duration;

use super::builder::{AuthBuilder, AuthConfig, EmailVerificationSettings};
use super::error::ConfigError;

impl Default for EmailVerificationSettings {
    fn default() -> Self {
        Self {
            require: false,
            send_on_sign_up: None,
            send_on_sign_in: false,
            auto_sign_in_after_verification: false,
            expires_in: Duration::from_secs(3600),
        }
    }
}

impl EmailVerificationSettings {
    /// Whether sign-up sends a verification mail.
    pub(crate) fn sends_on_sign_up(&self) -> bool {
        self.send_on_sign_up.unwrap_or(self.require)
    }

    pub(super) fn check(&self, has_mailer: bool) -> Result<(), ConfigError> {
        if self.expires_in < Duration::from_secs(1) {
            return Err(ConfigError::invalid(
                "email_verification_expires_in",
                "must be at least one second",
            ));
        }
        let needs_mailer = [
            ("require_email_verification", self.require),
            (
                "send_verification_on_sign_up",
                self.send_on_sign_up == Some(true),
            ),
            ("send_verification_on_sign_in", self.send_on_sign_in),
        ];
        for (option, on) in needs_mailer {
            if on && !has_mailer {
                return Err(ConfigError::invalid(
                    option,
                    "needs a mailer to send the verification mails (AuthBuilder::mailer)",
                ));
            }
        }
        Ok(())
    }
}

impl AuthBuilder {
    /// Refuses sign-in to users whose address is not verified (403 `EMAIL_NOT_VERIFIED`), and
    /// sign-up then starts no session, sends the verification mail, and answers a taken
    /// address exactly like a new one. Needs a [`mailer`](Self::mailer). Off by default.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .mailer(authgate::mail::FileMailer::new("./mail"))
    ///     .require_email_verification(true)
    ///     .validate()?;
    /// assert!(config.require_email_verification());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn require_email_verification(mut self, require: bool) -> Self {
        self.email_verification.require = require;
        self
    }

    /// Sends the verification mail on sign-up (Better-Auth's `sendOnSignUp`; default: on when
    /// verification is required).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().send_verification_on_sign_up(true);
    /// assert!(format!("{builder:?}").contains("send_on_sign_up: Some(true)"));
    /// ```
    pub fn send_verification_on_sign_up(mut self, send: bool) -> Self {
        self.email_verification.send_on_sign_up = Some(send);
        self
    }

    /// With verification required, a sign-in of an unverified user (right password) sends a
    /// new verification mail before answering 403 (Better-Auth's `sendOnSignIn`; off by
    /// default).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().send_verification_on_sign_in(true);
    /// assert!(format!("{builder:?}").contains("send_on_sign_in: true"));
    /// ```
    pub fn send_verification_on_sign_in(mut self, send: bool) -> Self {
        self.email_verification.send_on_sign_in = send;
        self
    }

    /// Following a verification link signs the user in (Better-Auth's
    /// `autoSignInAfterVerification`; off by default).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().auto_sign_in_after_verification(true);
    /// assert!(format!("{builder:?}").contains("auto_sign_in_after_verification: true"));
    /// ```
    pub fn auto_sign_in_after_verification(mut self, sign_in: bool) -> Self {
        self.email_verification.auto_sign_in_after_verification = sign_in;
        self
    }

    /// How long a verification link works (default 1 hour; Better-Auth's `expiresIn`).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .email_verification_expires_in(std::time::Duration::from_secs(600))
    ///     .validate()?;
    /// assert_eq!(config.email_verification_expires_in().as_secs(), 600);
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn email_verification_expires_in(mut self, lifetime: Duration) -> Self {
        self.email_verification.expires_in = lifetime;
        self
    }
}

impl AuthConfig {
    /// Whether sign-in needs a verified address.
    pub fn require_email_verification(&self) -> bool {
        self.email_verification.require
    }

    /// How long a verification link works.
    pub fn email_verification_expires_in(&self) -> Duration {
        self.email_verification.expires_in
    }
}
