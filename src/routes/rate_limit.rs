//! The rate-limit middleware on each auth route: counts the request against the endpoint's
//! rule, keyed by the client address, before anything else reads it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::client_ip;
use crate::core::Core;
use crate::error::AuthError;

pub(super) async fn enforce(
    State((core, path)): State<(Arc<Core>, &'static str)>,
    request: Request,
    next: Next,
) -> Response {
    if core.limiter.rules().rule_for(path).is_none() {
        return next.run(request).await;
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
