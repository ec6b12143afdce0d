//! The account-mail group: the [`Mailer`] the verification, reset, change-email and
//! delete-account mails go through, their templates and product name, where links point
//! (`base_url` + `base_path`), and the outbox's bounds.

use std::sync::Arc;
use std::time::Duration;

use super::builder::{AuthBuilder, AuthConfig, MailSettings};
use super::error::ConfigError;
use crate::mail::{MailTemplates, Mailer};

impl MailSettings {
    pub(super) fn check(&self) -> Result<(), ConfigError> {
        let path = &self.base_path;
        if !path.starts_with('/')
            || (path.len() > 1 && path.ends_with('/'))
            || path.contains(['?', '#', '\\'])
            || path.contains("//")
            || path.chars().any(char::is_whitespace)
        {
            return Err(ConfigError::invalid(
                "base_path",
                format!(
                    "must start with / and not end with one, without ?, #, \\, // or spaces \
                     (e.g. /api/auth), got {path:?}"
                ),
            ));
        }
        if self
            .app_name
            .as_deref()
            .is_some_and(|n| n.trim().is_empty())
        {
            return Err(ConfigError::invalid("app_name", "must not be blank"));
        }
        let outbox = &self.outbox;
        if outbox.queue_limit == 0 {
            return Err(ConfigError::invalid(
                "mail_queue_limit",
                "must be at least 1",
            ));
        }
        if outbox.timeout.is_zero() {
            return Err(ConfigError::invalid(
                "mail_timeout",
                "must be longer than zero",
            ));
        }
        if outbox.per_address == 0 {
            return Err(ConfigError::invalid(
                "mails_per_address",
                "must be at least 1 (no mail could be sent)",
            ));
        }
        Ok(())
    }
}

impl AuthBuilder {
    /// Sends account mails (verification, password reset, change of address, deletion)
    /// through `mailer`: an [`SmtpMailer`](crate::mail::SmtpMailer), a
    /// [`FileMailer`](crate::mail::FileMailer) in development, or your own. Without a mailer,
    /// the endpoints that send mails answer 400 (as Better-Auth without its `send*` callbacks).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .mailer(authgate::mail::FileMailer::new("./mail"))
    ///     .validate()?;
    /// assert!(config.sends_mail());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn mailer(mut self, mailer: impl Mailer) -> Self {
        self.mail.mailer = Some(Arc::new(mailer));
        self
    }

    /// The templates the mails are written with (default
    /// [`DefaultTemplates`](crate::mail::DefaultTemplates)).
    ///
    /// # Examples
    /// ```
    /// #[derive(Debug)]
    /// struct Mine;
    /// impl authgate::mail::MailTemplates for Mine {}
    /// let builder = authgate::Auth::builder().mail_templates(Mine);
    /// assert!(format!("{builder:?}").contains("MailSettings"));
    /// ```
    pub fn mail_templates(mut self, templates: impl MailTemplates) -> Self {
        self.mail.templates = Arc::new(templates);
        self
    }

    /// The product name in mails (Better-Auth's `appName`; default: the base URL's host).
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://acme.example")
    ///     .validate()?;
    /// assert_eq!(config.app_name(), "acme.example");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn app_name(mut self, name: impl Into<String>) -> Self {
        self.mail.app_name = Some(name.into());
        self
    }

    /// Where the application nests [`Auth::router`](crate::Auth::router) (Better-Auth's
    /// `basePath`, default `/api/auth`). Links in mails are `base_url` + this + the endpoint:
    /// a router cannot learn where it is nested, and links are never built from request
    /// headers (which a client chooses). Starts with `/`, does not end with one.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://acme.example")
    ///     .base_path("/auth")
    ///     .validate()?;
    /// assert_eq!(config.auth_url(), "https://acme.example/auth");
    /// assert!(authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://acme.example")
    ///     .base_path("auth/")
    ///     .validate()
    ///     .is_err());
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn base_path(mut self, path: impl Into<String>) -> Self {
        self.mail.base_path = path.into();
        self
    }

    /// How many mails may wait for the mailer (default 256). When the queue is full, a new
    /// mail is dropped (logged and counted in
    /// [`Auth::mail_statistics`](crate::Auth::mail_statistics)); the request still gets its
    /// documented answer.
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().mail_queue_limit(1024);
    /// assert!(format!("{builder:?}").contains("queue_limit: 1024"));
    /// ```
    pub fn mail_queue_limit(mut self, limit: usize) -> Self {
        self.mail.outbox.queue_limit = limit;
        self
    }

    /// How long one mail may take to send before it counts as failed (default 30 s).
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().mail_timeout(std::time::Duration::from_secs(10));
    /// assert!(format!("{builder:?}").contains("timeout: 10s"));
    /// ```
    pub fn mail_timeout(mut self, timeout: Duration) -> Self {
        self.mail.outbox.timeout = timeout;
        self
    }

    /// How many mails one address may receive per hour (default 3), so that nobody can flood
    /// a mailbox through the public endpoints. Past it mails are skipped (counted as
    /// `capped`); the answers do not change. Counted per process.
    ///
    /// # Examples
    /// ```
    /// let builder = authgate::Auth::builder().mails_per_address(5);
    /// assert!(format!("{builder:?}").contains("per_address: 5"));
    /// ```
    pub fn mails_per_address(mut self, per_hour: u32) -> Self {
        self.mail.outbox.per_address = per_hour;
        self
    }
}

impl AuthConfig {
    /// Whether a mailer is configured.
    pub fn sends_mail(&self) -> bool {
        self.mail.mailer.is_some()
    }

    /// The product name in mails.
    pub fn app_name(&self) -> &str {
        self.mail.app_name.as_deref().unwrap_or_default()
    }

    /// Where links in mails point: the base URL's origin and the base path.
    pub fn auth_url(&self) -> String {
        format!("{}{}", self.base_origin, self.mail.base_path)
    }
}
