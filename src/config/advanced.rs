//! The advanced group (Better-Auth's `advanced` options, and its `bearer` plugin): cookie
//! names and attributes, bearer tokens, trusted proxies and the request body limit.

use super::builder::{AdvancedOptions, AuthBuilder, BearerSettings};
use super::error::ConfigError;
use crate::client_ip::TrustedProxies;
use crate::cookies::CookieSettings;

const DEFAULT_COOKIE_PREFIX: &str = "better-auth";
/// Auth request bodies are small JSON objects; anything larger is refused before parsing.
const DEFAULT_MAX_BODY_BYTES: usize = 64 * 1024;
/// No configuration may refuse every real request body.
const MIN_BODY_BYTES: usize = 1024;

impl Default for AdvancedOptions {
    fn default() -> Self {
        Self {
            cookie_prefix: DEFAULT_COOKIE_PREFIX.to_owned(),
            secure_cookies: None,
            host_prefix_cookies: false,
            bearer: BearerSettings::default(),
            trusted_proxies: Vec::new(),
            max_body_bytes: DEFAULT_MAX_BODY_BYTES,
            cookie_domain: None,
        }
    }
}

impl AdvancedOptions {
    /// Checks the options; cookies are secure by default exactly when the base URL is
    /// `https`. `base_host` is the base URL's host, which a cookie domain must cover.
    pub(super) fn resolve(
        &self,
        https: bool,
        base_host: Option<&str>,
    ) -> Result<(CookieSettings, TrustedProxies), ConfigError> {
        if self.cookie_prefix.is_empty()
            || !self
                .cookie_prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        {
            return Err(ConfigError::invalid(
                "cookie_prefix",
                format!(
                    "must be non-empty and use only letters, digits, '-', '_' and '.', got {:?}",
                    self.cookie_prefix
                ),
            ));
        }
        if self.max_body_bytes < MIN_BODY_BYTES {
            return Err(ConfigError::invalid(
                "max_body_size",
                format!(
                    "must be at least {MIN_BODY_BYTES} bytes (a sign-up body needs a few \
                     hundred), got {}",
                    self.max_body_bytes
                ),
            ));
        }
        let trusted_proxies = TrustedProxies::parse(&self.trusted_proxies)?;
        let secure = self.secure_cookies.unwrap_or(https);
        let domain = self
            .cookie_domain
            .as_deref()
            .map(|domain| self.check_cookie_domain(domain, base_host.unwrap_or_default()))
            .transpose()?;
        let cookies = CookieSettings {
            prefix: self.cookie_prefix.clone(),
            secure: secure || self.host_prefix_cookies,
            host_prefix: self.host_prefix_cookies,
            domain,
        };
        Ok((cookies, trusted_proxies))
    }
}

impl AdvancedOptions {
    /// The domain as the cookie carries it (lower case, no leading dot), if it is a host name
    /// that covers the base URL's host and `__Host-` names are off.
    fn check_cookie_domain(&self, domain: &str, base_host: &str) -> Result<String, ConfigError> {
        let invalid = |reason: String| ConfigError::invalid("cookie_domain", reason);
        if self.host_prefix_cookies {
            return Err(invalid(
                "cannot be combined with host_prefix_cookies: browsers refuse `__Host-` cookies \
                 that carry a Domain"
                    .to_owned(),
            ));
        }
        let domain = domain.trim().trim_start_matches('.').to_ascii_lowercase();
        let is_host_name = !domain.is_empty()
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && label
                        .bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-')
            });
        if !is_host_name {
            return Err(invalid(format!("must be a host name, got {domain:?}")));
        }
        let base_host = base_host.to_ascii_lowercase();
        if base_host != domain && !base_host.ends_with(&format!(".{domain}")) {
            return Err(invalid(format!(
                "{domain:?} does not cover the base URL's host {base_host:?}: browsers would \
                 refuse the cookie"
            )));
        }
        if !domain.contains('.') && base_host != domain {
            return Err(invalid(format!(
                "{domain:?} is a top-level domain: the cookie would be sent to every site under it"
            )));
        }
        Ok(domain)
    }
}

impl AuthBuilder {
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
        self.advanced.cookie_prefix = prefix.into();
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
        self.advanced.secure_cookies = Some(secure);
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
        self.advanced.host_prefix_cookies = enabled;
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
    /// let builder = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .set_auth_token_header(true);
    /// assert!(builder.validate().is_ok());
    /// ```
    pub fn set_auth_token_header(mut self, enabled: bool) -> Self {
        self.advanced.bearer.expose_token = enabled;
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
    /// let builder = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .allow_unsigned_bearer(true);
    /// assert!(builder.validate().is_ok());
    /// ```
    pub fn allow_unsigned_bearer(mut self, allowed: bool) -> Self {
        self.advanced.bearer.allow_unsigned = allowed;
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
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .trusted_proxies(["127.0.0.1", "10.0.0.0/8", "not-an-address"])
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("\"not-an-address\" is not an IP address or CIDR range"));
    /// ```
    pub fn trusted_proxies<I, S>(mut self, proxies: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.advanced.trusted_proxies = proxies.into_iter().map(Into::into).collect();
        self
    }

    /// The largest request body the auth endpoints read (default 64 KiB); larger bodies get
    /// 413 before any parsing. At least 1 KiB.
    ///
    /// # Examples
    /// ```
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .max_body_size(100)
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("max_body_size must be at least 1024 bytes"));
    /// ```
    pub fn max_body_size(mut self, bytes: usize) -> Self {
        self.advanced.max_body_bytes = bytes;
        self
    }

    /// Sends the session cookies with `Domain=<domain>`, so that every subdomain of it receives
    /// them (Better-Auth's `advanced.crossSubDomainCookies`): a session started on
    /// `app.example.com` then also authenticates `api.example.com`. Off by default: cookies are
    /// host-only.
    ///
    /// # ⚠️ Security
    /// Every host under the domain receives the session cookie and can set cookies that
    /// shadow it: a cross-site scripting flaw, an open redirect to a script, or a forgotten
    /// DNS record taken over on *any* subdomain then reaches every session. Set it only when
    /// every subdomain is yours and held to the same standard. It cannot be combined with
    /// [`host_prefix_cookies`](Self::host_prefix_cookies), and the base URL's host must lie
    /// within the domain.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://auth.example.com")
    ///     .cookie_domain("example.com")
    ///     .validate();
    /// assert!(config.is_ok());
    ///
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("https://auth.example.com")
    ///     .cookie_domain("example.org")
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().contains("does not cover the base URL's host"));
    /// ```
    pub fn cookie_domain(mut self, domain: impl Into<String>) -> Self {
        self.advanced.cookie_domain = Some(domain.into());
        self
    }
}
