//! [`Core`]: the context every layer below the facade shares — the checked configuration, the
//! database, the password hasher, the session-cookie writer and the rate limiter. Inner modules
//! take it by reference (or take just the part they need); none of them sees [`crate::Auth`].

use crate::config::AuthConfig;
use crate::cookies::SessionCookies;
use crate::crypto::password::PasswordHasher;
use crate::rate_limit::limiter::Limiter;
use crate::store::Database;

/// One `Auth`'s shared state (behind an `Arc`).
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) config: AuthConfig,
    pub(crate) database: Database,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cookies: SessionCookies,
    pub(crate) limiter: Limiter,
}

impl Core {
    pub(crate) fn new(config: AuthConfig, database: Database) -> Self {
        let hasher = PasswordHasher::new(config.email_password.hashing);
        let cookies = SessionCookies::new(
            &config.cookies,
            config.secrets.clone(),
            config.session.expires_in,
            config.bearer.expose_token,
        );
        let limiter = Limiter::new(config.rate_limit.clone(), database.clone());
        Self {
            config,
            database,
            hasher,
            cookies,
            limiter,
        }
    }
}
