//! The user group (Better-Auth's `user` options): which account changes the endpoints allow.

use super::builder::AuthBuilder;

impl AuthBuilder {
    /// Enables `POST /change-email` (off by default, as in Better-Auth). Without email
    /// verification configured, an address can be changed at once only while it is unverified
    /// (Better-Auth's `updateEmailWithoutVerification`); a verified user gets 400
    /// `VERIFICATION_EMAIL_NOT_ENABLED`.
    ///
    /// # Examples
    /// ```
    /// let auth = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .change_email(true);
    /// assert!(format!("{auth:?}").contains("change_email: true"));
    /// ```
    pub fn change_email(mut self, enabled: bool) -> Self {
        self.user.change_email = enabled;
        self
    }

    /// Enables `POST /delete-user` (off by default, as in Better-Auth): with the password, or
    /// from a fresh session (see [`session_fresh_age`](Self::session_fresh_age)).
    ///
    /// # Examples
    /// ```
    /// let auth = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .delete_user(true);
    /// assert!(format!("{auth:?}").contains("delete_user: true"));
    /// ```
    pub fn delete_user(mut self, enabled: bool) -> Self {
        self.user.delete_user = enabled;
        self
    }

    /// With a [mailer](Self::mailer), an unverified user's change of address happens at once
    /// and the new address gets a verification mail (Better-Auth's
    /// `changeEmail.updateEmailWithoutVerification`; off by default: the change waits for
    /// the link sent to the new address).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().update_email_without_verification(true);
    /// assert!(format!("{builder:?}").contains("update_email_without_verification: true"));
    /// ```
    pub fn update_email_without_verification(mut self, enabled: bool) -> Self {
        self.user.update_email_without_verification = enabled;
        self
    }

    /// With a [mailer](Self::mailer), a verified user's change of address is first approved
    /// through a link sent to the **old** address (`change-email-confirmation`); following it
    /// sends the verification link to the new one (Better-Auth's
    /// `changeEmail.sendChangeEmailConfirmation`; off by default).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().send_change_email_confirmation(true);
    /// assert!(format!("{builder:?}").contains("send_change_email_confirmation: true"));
    /// ```
    pub fn send_change_email_confirmation(mut self, enabled: bool) -> Self {
        self.user.send_change_email_confirmation = enabled;
        self
    }

    /// With a [mailer](Self::mailer), `POST /delete-user` (after its password or freshness
    /// checks) mails a deletion link instead of deleting: `GET /delete-user/callback` from the
    /// user's session, or `POST /delete-user {token}`, then deletes (Better-Auth's
    /// `deleteUser.sendDeleteAccountVerification`; off by default).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .delete_user(true)
    ///     .send_delete_account_verification(true);
    /// // A deletion link needs a mailer to travel.
    /// assert!(config.clone().validate().is_err());
    /// assert!(config.mailer(authgate::mail::FileMailer::new("./mail")).validate().is_ok());
    /// ```
    pub fn send_delete_account_verification(mut self, enabled: bool) -> Self {
        self.user.send_delete_account_verification = enabled;
        self
    }
}
