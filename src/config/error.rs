//! [`ConfigError`]: why a configuration cannot be served.

use std::fmt;

use crate::client_ip::InvalidProxy;
use crate::secret::SecretError;

/// A configuration that cannot be served. Each message says what to change.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// No secret, or one that breaks a strength rule.
    #[error(transparent)]
    Secret(#[from] SecretError),
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
    /// An option is out of range or contradicts another.
    #[error("{option} {reason}")]
    InvalidOption {
        /// The builder method that set it, e.g. `session_expires_in`.
        option: &'static str,
        /// What is wrong and what is allowed.
        reason: String,
    },
}

/// `Debug` shows the message, so that `main() -> Result<(), Box<dyn Error>>` prints the fix
/// rather than a variant name.
impl fmt::Debug for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl ConfigError {
    pub(crate) fn invalid(option: &'static str, reason: impl Into<String>) -> Self {
        ConfigError::InvalidOption {
            option,
            reason: reason.into(),
        }
    }
}
