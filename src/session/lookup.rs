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

use std::sync::{Arc, Mutex};

use http::HeaderMap;
use tokio::sync::OnceCell;

use super::credentials::{self, UnsignedBearer, VerifiedToken};
use super::policy;
use crate::api::sessions::{Refreshed, refresh_session};
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
}

impl SessionLookup {
    /// Reads and verifies the request's credentials; no database work happens here.
    pub(crate) fn new(core: Arc<Core>, headers: &HeaderMap) -> Self {
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
        Self {
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

        if policy::refresh_due(settings, &found.session, now)
            && refresh == Refresh::Allowed
            && !self.dont_remember
        {
            let expires_at = policy::refreshed_expiry(settings, now);
            let ctx = self.hook_context(Operation::RefreshSession);
            match refresh_session(&self.core, &found.session, expires_at, &ctx).await {
                Refreshed::Done(session) => {
                    telemetry::session_refreshed();
                    found.session = session;
                    self.set_cookie_update(CookieUpdate::Refresh);
                }
                // Revoked between the two statements.
                Refreshed::Gone => {
                    self.set_cookie_update(CookieUpdate::Clear);
                    return (Outcome::Anonymous, LookupOutcome::Anonymous);
                }
                // A hook refused: its error is the request's answer.
                Refreshed::Vetoed(err) => return (Outcome::Failed(err), LookupOutcome::Active),
                // The session is valid; only its extension failed. Serve it, retry next time.
                Refreshed::Failed(err) => {
                    tracing::warn!(error = %err, "could not extend a session; it stays valid until its current expiry")
                }
            }
        }
        (Outcome::Active(Arc::new(found)), LookupOutcome::Active)
    }

    fn set_cookie_update(&self, update: CookieUpdate) {
        *self.cookie_update.lock().unwrap_or_else(|e| e.into_inner()) = Some(update);
    }

    /// Adds the `Set-Cookie` headers the resolution called for, unless the handler already set
    /// the session cookie itself (a sign-in or sign-out decides for itself).
    pub(crate) fn write_cookies(&self, headers: &mut HeaderMap) {
        let update = *self.cookie_update.lock().unwrap_or_else(|e| e.into_inner());
        let Some(update) = update else { return };
        let cookies = &self.core.cookies;
        if cookies.sets_session_cookie(headers) {
            return;
        }
        match update {
            CookieUpdate::Refresh => {
                if let Some(credential) = &self.credential {
                    cookies.refresh(headers, &credential.token);
                }
            }
            CookieUpdate::Clear => cookies.clear(headers),
        }
    }
}
