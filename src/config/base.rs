//! The options Better-Auth keeps at the top level: the secret, the base URL and the trusted
//! origins.

use super::builder::AuthBuilder;

impl AuthBuilder {
    /// Sets the secret that signs session cookies (replacing any set before).
    ///
    /// Without one, [`validate`](Self::validate) reads `BETTER_AUTH_SECRETS`, then
    /// `BETTER_AUTH_SECRET`, then `AUTH_SECRET`. A secret must be at least 32 bytes, have an
    /// estimated strength of at least 120 bits, not be mostly sequences or repeats (`0123…`,
    /// `qwer…`, a block repeated) and not be a published placeholder; share it
    /// with any Better-Auth server that reads the same cookies.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .validate()?;
    /// // The secret never shows in debug output.
    /// assert!(!format!("{config:?}").contains("kM7dQ2vX9pL4"));
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
    /// assert!(format!("{config:?}").contains("[redacted; 2]"));
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
}
