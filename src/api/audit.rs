//! The audit trail: one `info` event per sign-up, sign-in, sign-out, password change and
//! revocation, with the user id when known and the outcome (`success`, or the error code), on
//! the `authgate::audit` target. Never a token, a password or an email address.

use crate::error::AuthError;
use crate::hooks::HookContext;

/// How the operation was asked for.
fn via(ctx: &HookContext) -> &'static str {
    if ctx.is_http() { "http" } else { "api" }
}

/// Records `event` for `user_id` (if known) with `result`'s outcome.
pub(crate) fn record<T>(
    event: &'static str,
    user_id: Option<&str>,
    result: &Result<T, AuthError>,
    ctx: &HookContext,
) {
    let outcome = match result {
        Ok(_) => "success",
        Err(err) => err.code(),
    };
    crate::telemetry::audited(event, outcome);
    match user_id {
        Some(user_id) => tracing::info!(
            target: "authgate::audit",
            event,
            user.id = user_id,
            outcome,
            via = via(ctx),
            "{event}: {outcome}"
        ),
        None => tracing::info!(
            target: "authgate::audit",
            event,
            outcome,
            via = via(ctx),
            "{event}: {outcome}"
        ),
    }
}
