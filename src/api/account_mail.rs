//! Writing and queueing the account mails: the links (base URL + base path, never a request
//! header), the templates, the outbox; and the clean-up of expired token rows, run now and
//! then on the paths that write them.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use crate::core::Core;
use crate::crypto::jwt::{self, Claims};
use crate::mail::{MailContext, MailKind, Message};
use crate::model::User;
use crate::timestamp;

/// How often expired `verification` rows are deleted, at most.
const CLEANUP_INTERVAL: Duration = Duration::from_secs(300);

/// The least time a public mail endpoint takes, whether or not the address is known.
pub(crate) const MIN_DURATION: Duration = Duration::from_millis(500);

/// `base_url + base_path + path_and_query`.
pub(crate) fn link(core: &Core, path_and_query: &str) -> String {
    format!(
        "{}{}{path_and_query}",
        core.config.base_origin, core.config.mail.base_path
    )
}

/// JavaScript's `encodeURIComponent`.
pub(crate) fn encode_component(value: &str) -> String {
    crate::cookies::encode_uri_component(value)
}

/// Writes the mail of `kind` for `user` at `to` and queues it (a no-op without a mailer).
pub(crate) fn send(
    core: &Core,
    kind: MailKind,
    user: &User,
    to: &str,
    link: String,
    new_email: Option<&str>,
) {
    let Some(outbox) = &core.outbox else {
        return;
    };
    let mail = &core.config.mail;
    let context = MailContext {
        app_name: mail.app_name.as_deref().unwrap_or_default(),
        to,
        user_name: &user.name,
        link: &link,
        new_email,
    };
    let rendered = mail.templates.render(kind, &context);
    outbox.enqueue(Message::new(kind, to, link, rendered));
}

/// A verification token for `email` (and, for a change of address, the new one), signed with
/// the current secret.
pub(crate) fn verification_token(
    core: &Core,
    user: &User,
    update_to: Option<&str>,
    request_type: Option<&str>,
) -> String {
    let now = timestamp::now().unix_timestamp();
    let lifetime =
        i64::try_from(core.config.email_verification.expires_in.as_secs()).unwrap_or(i64::MAX);
    let claims = Claims {
        email: user.email.clone(),
        update_to: update_to.map(str::to_owned),
        request_type: request_type.map(str::to_owned),
        user_id: Some(user.id.clone()),
        iat: now,
        exp: Some(now.saturating_add(lifetime)),
    };
    jwt::sign(&claims, core.config.secrets.current())
}

/// Sends the verification mail of `user` (Better-Auth's `sendVerificationEmailFn`): the link
/// is `verify-email?token=<JWT>&callbackURL=<callback or "/">`.
pub(crate) fn send_verification(core: &Core, user: &User, callback_url: Option<&str>) {
    let token = verification_token(core, user, None, None);
    let link = link(
        core,
        &format!(
            "/verify-email?token={token}&callbackURL={}",
            encode_component(callback_url.filter(|c| !c.is_empty()).unwrap_or("/"))
        ),
    );
    send(core, MailKind::VerifyEmail, user, &user.email, link, None);
}

/// Sends a change-of-address link: a token `{email: old, updateTo: new, requestType}` to `to`
/// (the old address for approval, the new one for verification).
pub(crate) fn send_change_email(
    core: &Core,
    user: &User,
    new_email: &str,
    request_type: &str,
    to: &str,
    kind: MailKind,
    callback_url: Option<&str>,
) {
    let token = verification_token(core, user, Some(new_email), Some(request_type));
    let link = link(
        core,
        &format!(
            "/verify-email?token={token}&callbackURL={}",
            encode_component(callback_url.filter(|c| !c.is_empty()).unwrap_or("/"))
        ),
    );
    send(core, kind, user, to, link, Some(new_email));
}

/// Deletes expired token rows if the last clean-up is older than [`CLEANUP_INTERVAL`].
/// Failures are logged: the clean-up is never the reason a request fails.
pub(crate) async fn clean_up_now_and_then(core: &Core) {
    let now = timestamp::now();
    let now_ms = i64::try_from(now.unix_timestamp_nanos() / 1_000_000).unwrap_or(i64::MAX);
    let last = core.last_cleanup.load(Ordering::Relaxed);
    let interval = CLEANUP_INTERVAL.as_millis() as i64;
    if now_ms - last < interval
        || core
            .last_cleanup
            .compare_exchange(last, now_ms, Ordering::Relaxed, Ordering::Relaxed)
            .is_err()
    {
        return;
    }
    match core.database.delete_expired_verifications(now).await {
        Ok(0) => {}
        Ok(n) => tracing::debug!(rows = n, "deleted expired verification rows"),
        Err(err) => tracing::warn!(error = %err, "could not delete expired verification rows"),
    }
}

/// Waits until `MIN_DURATION` has passed since `started`.
pub(crate) async fn pad(started: Instant) {
    tokio::time::sleep_until((started + MIN_DURATION).into()).await;
}
