//! The rate-limit middleware on each auth route: counts the request against the endpoint's
//! rule before anything else reads it, keyed by the client address, or by the session for a
//! request whose session credential verified.
//!
//! A valid signature means the server issued the token, so such a request is counted against
//! its session (the SHA-256 of the token) instead of its address, and `get-session` is not
//! limited for it at all: a second backend that checks each of its users' requests through
//! `get-session` comes from one address, and must not share a budget with anonymous traffic.
//! Anonymous requests and those with a credential that does not verify keep the per-address
//! limits, and so do sign-up and sign-in whatever they carry (a fresh session per sign-in
//! would otherwise be a fresh budget for guessing other accounts' passwords).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client_ip;
use crate::core::Core;
use crate::endpoints;
use crate::error::AuthError;
use crate::session::lookup::SessionLookup;

pub(super) async fn enforce(
    State((core, path)): State<(Arc<Core>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    if core.limiter.rules().rule_for(path).is_none() {
        return next.run(request).await;
    }
    let credential = request
        .extensions()
        .get::<Arc<SessionLookup>>()
        .and_then(|lookup| lookup.credential())
        .filter(|_| !matches!(path, endpoints::SIGN_UP_EMAIL | endpoints::SIGN_IN_EMAIL))
        .map(|credential| credential.token.clone());
    if let Some(token) = credential {
        if path == endpoints::GET_SESSION {
            return next.run(request).await;
        }
        return match core.limiter.check_session_request(path, &token).await {
            Ok(()) => next.run(request).await,
            Err(limited) => AuthError::from(limited).into_response(),
        };
    }
    let peer = client_ip::peer_ip(request.extensions());
    if peer.is_none() {
        warn_unknown_peer_once();
    }
    let ip = core
        .config
        .trusted_proxies
        .client_ip(request.headers(), peer);
    match core.limiter.check_request(path, ip).await {
        Ok(()) => next.run(request).await,
        Err(limited) => {
            crate::telemetry::rate_limited("address");
            AuthError::from(limited).into_response()
        }
    }
}

/// Without the peer address every client shares one bucket (fail closed), which a handful of
/// failed sign-ins fills for everybody: say so, once, in terms of the fix.
fn warn_unknown_peer_once() {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        tracing::warn!(
            "authgate does not know the client's address, so every client shares one rate-limit \
             bucket; serve the app with `into_make_service_with_connect_info::<SocketAddr>()` \
             (and set AuthBuilder::trusted_proxies behind a reverse proxy)"
        );
    }
}
