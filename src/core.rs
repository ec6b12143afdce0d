//! [`Core`]: the context every layer below the facade shares — the checked configuration, the
//! database (with the statements its additional fields call for), the password hasher, the
//! session-cookie writer, the rate limiter and the database hooks. Inner modules take it by
//! reference (or take just the part they need); none of them sees [`crate::Auth`].

use std::sync::Arc;

use crate::alerts::Alerts;
use crate::cache::{CacheHandle, Invalidate, RevocationNotes};
use crate::config::AuthConfig;
use crate::cookies::SessionCookies;
use crate::crypto::password::PasswordHasher;
use crate::hooks::DatabaseHooks;
use crate::mail::outbox::Outbox;
use crate::rate_limit::limiter::Limiter;
use crate::store::{Database, Store};

/// One `Auth`'s shared state (behind an `Arc`).
#[derive(Debug)]
pub(crate) struct Core {
    pub(crate) config: AuthConfig,
    pub(crate) database: Store,
    pub(crate) hasher: PasswordHasher,
    pub(crate) cookies: SessionCookies,
    pub(crate) limiter: Limiter,
    pub(crate) hooks: DatabaseHooks,
    pub(crate) alerts: Alerts,
    /// The account mails' queue, when a mailer is configured.
    pub(crate) outbox: Option<Outbox>,
    /// When expired `verification` rows were last deleted (Unix milliseconds).
    pub(crate) last_cleanup: std::sync::atomic::AtomicI64,
    /// The in-process session cache, when configured.
    pub(crate) session_cache: Option<CacheHandle>,
    /// With the cookie cache: what this instance revoked lately (and, with invalidation over
    /// PostgreSQL, what the others did).
    pub(crate) revocations: Option<Arc<RevocationNotes>>,
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
        let revocations = config.cookie_cache.as_ref().map(|cache| {
            Arc::new(RevocationNotes::new(
                i64::try_from(cache.max_age.as_millis()).unwrap_or(i64::MAX) + 1_000,
            ))
        });
        let session_cache = config
            .session_cache
            .as_ref()
            .map(|settings| CacheHandle::new(settings, &database, revocations.clone()));
        let database = Store::new(
            database,
            config.database,
            config.user_fields.clone(),
            config.session_fields.clone(),
        );
        let limiter = Limiter::new(config.rate_limit.clone(), database.clone());
        let hooks = config.hooks.clone();
        let alerts = Alerts::new(config.operations.alert_window);
        let outbox = config
            .mail
            .mailer
            .clone()
            .map(|mailer| Outbox::new(mailer, config.mail.outbox));
        Self {
            outbox,
            last_cleanup: std::sync::atomic::AtomicI64::new(0),
            config,
            database,
            hasher,
            cookies,
            limiter,
            hooks,
            alerts,
            session_cache,
            revocations,
        }
    }

    /// Evicts what a write changed from the session cache (here at once; on the other
    /// instances when invalidation over PostgreSQL is configured). Call it after the write.
    pub(crate) async fn invalidate(&self, what: Invalidate<'_>) {
        if let Some(notes) = &self.revocations {
            notes.note(what, crate::timestamp::now_ms());
        }
        if let Some(cache) = &self.session_cache {
            cache.invalidate(what).await;
        }
    }
}
