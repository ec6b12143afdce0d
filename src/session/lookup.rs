//! The session lookup: what a request's session token resolves to, computed at most once per
//! request and only when something asks (an extractor or an endpoint).
//!
//! One query fetches the session and its user by token; the session is live while
//! `expiresAt > now`. An unknown token answers as anonymous and clears the client's cookies; an
//! expired one too, after its row is deleted (as Better-Auth does). A live session slides
//! forward by Better-Auth's rule (when `expiresAt - expiresIn + updateAge <= now`, and never
//! while the `dont_remember` cookie is present), which is one `UPDATE` at most once per
//! `updateAge`. A database that cannot be reached is a failure, never "signed out": nothing is
//! deleted and no cookie is cleared.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use http::HeaderMap;
use tokio::sync::OnceCell;

use super::cookie_cache;
use super::credentials::{self, TokenSource, UnsignedBearer, VerifiedToken};
use super::policy;
use crate::api::sessions::{Refreshed, refresh_session};
use crate::cache::{CacheHandle, Invalidate};
use crate::core::Core;
use crate::error::AuthError;
use crate::hooks::{HookContext, Operation};
use crate::model::SessionWithUser;
use crate::telemetry::{self, LookupOutcome};
use crate::timestamp;

/// What a request's credentials resolved to.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    /// A live session.
    Active(Arc<SessionWithUser>),
    /// No valid session.
    Anonymous,
    /// The session could not be looked up (database unavailable or failing).
    Failed(AuthError),
}

/// What the response must tell the client's cookie jar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CookieUpdate {
    /// The session slid forward: re-send the session cookie with a new `Max-Age`.
    Refresh,
    /// The token is unknown or expired: expire the auth cookies.
    Clear,
}

/// Whether a resolution may slide the session's expiry (`get-session?disableRefresh` may not).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refresh {
    Allowed,
    Skip,
}

/// Placed in the request extensions by [`crate::SessionLayer`].
pub(crate) struct SessionLookup {
    core: Arc<Core>,
    credential: Option<VerifiedToken>,
    dont_remember: bool,
    /// The request sent a bare (unsigned) session token as a bearer token, which is refused:
    /// its 401 says what to send instead.
    unsigned_bearer: bool,
    /// The request carried a session cookie that no configured secret signed.
    bad_signature: bool,
    /// The request's headers, kept only when session hooks want them (a refresh or the
    /// deletion of an expired session runs them).
    hook_headers: Option<HeaderMap>,
    outcome: OnceCell<Outcome>,
    cookie_update: Mutex<Option<CookieUpdate>>,
    /// With the cookie cache on: the request's `session_data` value and cookie names.
    cookie_cache: Option<CookieCacheRequest>,
}

/// The cookie cache's part of a request.
struct CookieCacheRequest {
    /// The value (chunks joined), if any.
    value: Option<String>,
    /// Every `session_data` cookie name the request carried.
    present: Vec<String>,
    /// Whether the value may answer (a safe method, and no handler asked for the database).
    allowed: AtomicBool,
    /// A session read from the database to write into the cookie, with the read's instant.
    write: Mutex<Option<(Arc<SessionWithUser>, i64)>>,
}

impl SessionLookup {
    /// Reads and verifies the request's credentials; no database work happens here.
    pub(crate) fn new(core: Arc<Core>, method: &http::Method, headers: &HeaderMap) -> Self {
        let secrets = &core.config.secrets;
        let names = core.cookies.names();
        let unsigned = if core.config.bearer.allow_unsigned {
            UnsignedBearer::Accepted
        } else {
            UnsignedBearer::Refused
        };
        let credential = credentials::session_token(headers, names, secrets, unsigned);
        let dont_remember = credentials::dont_remember(headers, names, secrets);
        // Cookie-bearing requests feed the bad-signature alert.
        let cookie_signed = match &credential {
            Some(c) if c.source == credentials::TokenSource::Cookie => Some(true),
            _ => credentials::cookie_signature_ok(headers, names, secrets),
        };
        if let Some(signed) = cookie_signed {
            core.alerts.cookie_seen(signed);
        }
        let bad_signature = cookie_signed == Some(false);
        let unsigned_bearer = credential.is_none()
            && unsigned == UnsignedBearer::Refused
            && credentials::is_unsigned_bearer(headers);
        let hooks = &core.hooks.session;
        let hook_headers = (credential.is_some()
            && (!hooks.update_before.is_empty()
                || !hooks.update_after.is_empty()
                || hooks.watch_deletes()))
        .then(|| headers.clone());
        let cookie_cache = core.config.cookie_cache.as_ref().map(|_| {
            let (value, present) = crate::cookies::read_chunked(headers, &names.session_data);
            CookieCacheRequest {
                value,
                present,
                allowed: AtomicBool::new(matches!(*method, http::Method::GET | http::Method::HEAD)),
                write: Mutex::new(None),
            }
        });
        Self {
            cookie_cache,
            core,
            credential,
            dont_remember,
            unsigned_bearer,
            bad_signature,
            hook_headers,
            outcome: OnceCell::new(),
            cookie_update: Mutex::new(None),
        }
    }

    /// Makes this request's resolution read the database even with a valid cookie cache (a
    /// sensitive read such as `list-sessions`, or `disableCookieCache`); call before resolving.
    pub(crate) fn bypass_cookie_cache(&self) {
        if let Some(cache) = &self.cookie_cache {
            cache.allowed.store(false, Ordering::SeqCst);
        }
    }

    /// The session in a valid cookie cache: signed, for this token, of this version, neither
    /// it nor the session expired, and issued after any revocation noted here.
    fn cookie_cache_hit(&self, token: &str) -> Option<SessionWithUser> {
        let request = self.cookie_cache.as_ref()?;
        let settings = self.core.config.cookie_cache.as_ref()?;
        if !request.allowed.load(Ordering::SeqCst) {
            return None;
        }
        let cached = cookie_cache::decode(request.value.as_deref()?, &self.core.config.secrets)?;
        let now = timestamp::now();
        let session = &cached.found.session;
        let fresh = bool::from(subtle::ConstantTimeEq::ct_eq(
            session.token.as_bytes(),
            token.as_bytes(),
        )) && cached.version == settings.version
            && cached.expires_at_ms >= timestamp::millis(now)
            && session.expires_at > now;
        let revoked =
            self.core.revocations.as_ref().is_some_and(|notes| {
                notes.refuses(token, &cached.found.user.id, cached.issued_at_ms)
            });
        if !fresh || revoked {
            return None;
        }
        let mut found = cached.found;
        let config = &self.core.config;
        found.session.fields =
            cookie_cache::declared_fields(&found.session.fields, &config.session_fields);
        found.user.fields = cookie_cache::declared_fields(&found.user.fields, &config.user_fields);
        Some(found)
    }

    /// Asks for the cookie cache to be written with `found`, read at `read_ms`.
    fn write_cookie_cache(&self, found: &Arc<SessionWithUser>, read_ms: i64) {
        let from_cookie = self
            .credential
            .as_ref()
            .is_some_and(|c| c.source == TokenSource::Cookie);
        // Only on reads: a write's response would carry the row as it was before the write.
        if let Some(request) = &self.cookie_cache
            && from_cookie
            && request.allowed.load(Ordering::SeqCst)
        {
            *request.write.lock().unwrap_or_else(|e| e.into_inner()) =
                Some((found.clone(), read_ms));
        }
    }

    /// Whether the request sent a bare session token as a bearer token, which was refused.
    pub(crate) fn refused_unsigned_bearer(&self) -> bool {
        self.unsigned_bearer
    }

    /// The 401 for a request without a valid session: it says what a bearer client must send
    /// when it sent the raw token.
    pub(crate) fn anonymous_error(&self) -> AuthError {
        if self.unsigned_bearer {
            AuthError::unsigned_bearer()
        } else {
            AuthError::unauthorized()
        }
    }

    fn hook_context(&self, operation: Operation) -> HookContext {
        match &self.hook_headers {
            Some(headers) => HookContext::request(operation, headers),
            None => HookContext::request(operation, &HeaderMap::new()),
        }
    }

    /// The verified token the request carries, if any.
    pub(crate) fn credential(&self) -> Option<&VerifiedToken> {
        self.credential.as_ref()
    }

    /// Whether the request carries a valid `dont_remember` marker.
    pub(crate) fn dont_remember(&self) -> bool {
        self.dont_remember
    }

    /// Resolves the session (once per request; later calls get the first answer).
    pub(crate) async fn resolve(&self, refresh: Refresh) -> Outcome {
        self.outcome
            .get_or_init(|| self.load(refresh))
            .await
            .clone()
    }

    async fn load(&self, refresh: Refresh) -> Outcome {
        let (outcome, seen) = self.find(refresh).await;
        telemetry::session_lookup(seen);
        outcome
    }

    async fn find(&self, refresh: Refresh) -> (Outcome, LookupOutcome) {
        let Some(credential) = &self.credential else {
            let seen = if self.bad_signature {
                LookupOutcome::BadSignature
            } else {
                LookupOutcome::Anonymous
            };
            return (Outcome::Anonymous, seen);
        };
        let token = credential.token.as_str();
        let database = &self.core.database;
        let settings = &self.core.config.session;
        let now = timestamp::now();

        // Better-Auth's cookie cache: no database work, no refresh.
        if let Some(found) = self.cookie_cache_hit(token) {
            return (Outcome::Active(Arc::new(found)), LookupOutcome::Active);
        }

        // The in-process cache first: a hit does no database work unless a refresh is due.
        let cache = self
            .core
            .session_cache
            .as_ref()
            .map(|cache| (cache, CacheHandle::key(token)));
        let mut epoch = 0;
        if let Some((cache, key)) = &cache {
            match cache.get(key) {
                // Over by the cached copy: the database decides (another instance may have
                // extended it), and deletes it if it is over.
                Ok(found) if policy::is_over(settings, &found.session, now) => {
                    epoch = cache.epoch();
                }
                Ok(found) => {
                    if !self.refresh_wanted(&found, refresh, now) {
                        return (Outcome::Active(found), LookupOutcome::Active);
                    }
                    let epoch = cache.epoch();
                    let mut found = (*found).clone();
                    return match self.slide(&mut found, now).await {
                        Ok(true) => {
                            let found = Arc::new(found);
                            cache.insert(*key, found.clone(), epoch);
                            (Outcome::Active(found), LookupOutcome::Active)
                        }
                        Ok(false) => (Outcome::Active(Arc::new(found)), LookupOutcome::Active),
                        Err(outcome) => {
                            cache.forget(key);
                            slid_away(outcome)
                        }
                    };
                }
                Err(noted) => epoch = noted,
            }
        }

        let read_ms = timestamp::now_ms();
        let mut found = match database.session_with_user(token).await {
            Ok(Some(found)) => found,
            Ok(None) => {
                self.set_cookie_update(CookieUpdate::Clear);
                return (Outcome::Anonymous, LookupOutcome::Anonymous);
            }
            Err(err) => return (Outcome::Failed(err.into()), LookupOutcome::DatabaseError),
        };

        if policy::is_over(settings, &found.session, now) {
            // Deleted when seen, as Better-Auth does, so that no clock going back revives it.
            let hooks = &self.core.hooks.session;
            let ctx = self.hook_context(Operation::ExpireSession);
            if let Err(veto) = hooks.delete_before.run(&found.session, &ctx).await {
                tracing::info!(code = veto.code(), "a hook kept an ended session's row");
                return (Outcome::Anonymous, LookupOutcome::Expired);
            }
            let outcome = match database.delete_session(token).await {
                Ok(()) => {
                    self.core.invalidate(Invalidate::Token(token)).await;
                    hooks.delete_after.run(&found.session, &ctx).await;
                    self.set_cookie_update(CookieUpdate::Clear);
                    Outcome::Anonymous
                }
                // Over either way, but keep the row and the cookie until the database is back.
                Err(err) => {
                    tracing::warn!(error = %err, "could not delete an ended session");
                    Outcome::Anonymous
                }
            };
            return (outcome, LookupOutcome::Expired);
        }

        if self.refresh_wanted(&found, refresh, now)
            && let Err(outcome) = self.slide(&mut found, now).await
        {
            return slid_away(outcome);
        }
        let found = Arc::new(found);
        if let Some((cache, key)) = cache {
            cache.insert(key, found.clone(), epoch);
        }
        self.write_cookie_cache(&found, read_ms);
        (Outcome::Active(found), LookupOutcome::Active)
    }

    /// Whether the session slides now: due by Better-Auth's rule, allowed by the caller, and
    /// not a `dont_remember` session.
    fn refresh_wanted(
        &self,
        found: &SessionWithUser,
        refresh: Refresh,
        now: time::OffsetDateTime,
    ) -> bool {
        policy::refresh_due(&self.core.config.session, &found.session, now)
            && refresh == Refresh::Allowed
            && !self.dont_remember
    }

    /// Slides `found`'s expiry (one write); whether it was written, or the request's outcome
    /// when the session went away or a hook refused.
    async fn slide(
        &self,
        found: &mut SessionWithUser,
        now: time::OffsetDateTime,
    ) -> Result<bool, Outcome> {
        let expires_at = policy::refreshed_expiry(&self.core.config.session, now);
        let ctx = self.hook_context(Operation::RefreshSession);
        match refresh_session(&self.core, &found.session, expires_at, &ctx).await {
            Refreshed::Done(session) => {
                telemetry::session_refreshed();
                found.session = session;
                self.set_cookie_update(CookieUpdate::Refresh);
                Ok(true)
            }
            // Revoked between the two statements.
            Refreshed::Gone => {
                self.set_cookie_update(CookieUpdate::Clear);
                Err(Outcome::Anonymous)
            }
            // A hook refused: its error is the request's answer.
            Refreshed::Vetoed(err) => Err(Outcome::Failed(err)),
            // The session is valid; only its extension failed. Serve it, retry next time.
            Refreshed::Failed(err) => {
                tracing::warn!(error = %err, "could not extend a session; it stays valid until its current expiry");
                Ok(false)
            }
        }
    }

    fn set_cookie_update(&self, update: CookieUpdate) {
        *self.cookie_update.lock().unwrap_or_else(|e| e.into_inner()) = Some(update);
    }

    /// Adds the `Set-Cookie` headers the resolution called for, unless the handler already set
    /// the session cookie itself (a sign-in or sign-out decides for itself).
    pub(crate) fn write_cookies(&self, headers: &mut HeaderMap) {
        let update = *self.cookie_update.lock().unwrap_or_else(|e| e.into_inner());
        let cookies = &self.core.cookies;
        if cookies.sets_session_cookie(headers) {
            return;
        }
        match update {
            Some(CookieUpdate::Refresh) => {
                if let Some(credential) = &self.credential {
                    cookies.refresh(headers, &credential.token);
                }
            }
            Some(CookieUpdate::Clear) => {
                cookies.clear(headers);
                if let Some(request) = &self.cookie_cache {
                    cookies.clear_cookie_cache_chunks(headers, &request.present);
                }
                return;
            }
            None => {}
        }
        self.write_cookie_cache_cookies(headers);
    }

    fn write_cookie_cache_cookies(&self, headers: &mut HeaderMap) {
        let (Some(request), Some(settings)) =
            (&self.cookie_cache, self.core.config.cookie_cache.as_ref())
        else {
            return;
        };
        let pending = request
            .write
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take();
        let Some((found, read_ms)) = pending else {
            return;
        };
        // A browser-session sign-in gets a browser-session cache, trusted for 60 s (as
        // Better-Auth's `maxAge || 60`).
        let (max_age, trusted) = if self.dont_remember {
            (None, cookie_cache::BROWSER_SESSION_MAX_AGE)
        } else {
            (Some(settings.max_age.as_secs()), settings.max_age)
        };
        let value = cookie_cache::encode(
            &found,
            &settings.version,
            read_ms,
            trusted,
            self.core.config.secrets.current(),
        );
        self.core
            .cookies
            .write_cookie_cache(headers, &value, max_age, &request.present);
    }
}

/// What the metrics count when a refresh ended the request's session (revoked meanwhile:
/// anonymous) or a hook refused it (the session was active).
fn slid_away(outcome: Outcome) -> (Outcome, LookupOutcome) {
    let seen = match outcome {
        Outcome::Anonymous => LookupOutcome::Anonymous,
        _ => LookupOutcome::Active,
    };
    (outcome, seen)
}
