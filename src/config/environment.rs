//! Where [`AuthBuilder::validate`] reads the variables that fill gaps left in code
//! (`BETTER_AUTH_SECRET`, `BETTER_AUTH_URL`, ...): the process environment, or a source the
//! application gives.

use std::fmt;
use std::sync::Arc;

use super::builder::{AuthBuilder, Environment};

impl fmt::Debug for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_some() {
            "Environment(custom)"
        } else {
            "Environment(process)"
        })
    }
}

impl Environment {
    pub(super) fn read(&self, name: &str) -> Option<String> {
        match &self.0 {
            Some(source) => source(name),
            None => std::env::var(name).ok(),
        }
    }

    /// The variable, unless it is unset, empty or only whitespace.
    pub(super) fn read_non_blank(&self, name: &str) -> Option<String> {
        self.read(name).filter(|v| !v.trim().is_empty())
    }
}

impl AuthBuilder {
    /// Reads configuration variables (`BETTER_AUTH_SECRETS`, `BETTER_AUTH_SECRET`,
    /// `AUTH_SECRET`, `BETTER_AUTH_URL`, `AUTH_URL`) through `source` instead of the process
    /// environment: for tests that must not touch process-wide state, or for settings kept
    /// elsewhere (a secrets manager, a configuration file). `|_| None` ignores the environment.
    ///
    /// # Examples
    /// ```
    /// let config = authgate::Auth::builder()
    ///     .environment(|name| match name {
    ///         "BETTER_AUTH_SECRET" => Some("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k".into()),
    ///         "BETTER_AUTH_URL" => Some("https://app.example.com".into()),
    ///         _ => None,
    ///     })
    ///     .validate()?;
    /// assert_eq!(config.base_origin(), "https://app.example.com");
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn environment<F>(mut self, source: F) -> Self
    where
        F: Fn(&str) -> Option<String> + Send + Sync + 'static,
    {
        self.environment = Environment(Some(Arc::new(source)));
        self
    }
}
