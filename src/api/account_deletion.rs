//! Deleting an account through an e-mailed link (Better-Auth's
//! `user.deleteUser.sendDeleteAccountVerification`): a 32-character `[a-z0-9]` token stored in
//! `verification` as `delete-account-<token>` (or its hashed form) for a day, consumed by the
//! `GET /delete-user/callback` link or a `POST /delete-user {token}` of the same user.

use std::time::Duration;

use super::account_mail;
use crate::core::Core;
use crate::crypto::identifier;
use crate::error::AuthError;
use crate::mail::MailKind;
use crate::model::User;
use crate::timestamp;

/// How long a deletion link works (Better-Auth: one day).
const LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);
/// Better-Auth's `generateRandomString(32, "a-z", "0-9")`.
const TOKEN_LEN: usize = 32;
const ALPHABET: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";

fn new_token() -> String {
    // Bytes at or above 252 (7 x 36) would bias the draw; they are skipped.
    let mut out = String::with_capacity(TOKEN_LEN);
    let mut buf = [0u8; 64];
    while out.len() < TOKEN_LEN {
        getrandom::fill(&mut buf).expect("the operating system's random source is unavailable");
        for &b in buf.iter().filter(|&&b| b < 252) {
            if out.len() == TOKEN_LEN {
                break;
            }
            out.push(ALPHABET[usize::from(b) % ALPHABET.len()] as char);
        }
    }
    out
}

fn stored_identifier(core: &Core, token: &str) -> String {
    identifier::stored(
        core.config.password_reset.storage,
        &format!("delete-account-{token}"),
    )
}

/// Stores a deletion token for `user` and mails the link
/// `delete-user/callback?token=<token>&callbackURL=<callback or />`.
pub(crate) async fn send_deletion_link(
    core: &Core,
    user: &User,
    callback_url: Option<&str>,
) -> Result<(), AuthError> {
    let token = new_token();
    let now = timestamp::now();
    core.database
        .insert_verification(
            &stored_identifier(core, &token),
            &user.id,
            timestamp::add(now, LIFETIME),
            now,
        )
        .await?;
    let link = account_mail::link(
        core,
        &format!(
            "/delete-user/callback?token={token}&callbackURL={}",
            account_mail::encode_component(callback_url.filter(|c| !c.is_empty()).unwrap_or("/"))
        ),
    );
    account_mail::send(core, MailKind::DeleteAccount, user, &user.email, link, None);
    Ok(())
}

/// Consumes `token` for `user_id`: 404 `INVALID_TOKEN` when it is unknown, expired, used, or
/// another user's (which uses it up too, as in Better-Auth).
pub(crate) async fn consume_deletion_token(
    core: &Core,
    token: &str,
    user_id: &str,
) -> Result<(), AuthError> {
    let store = &core.database;
    let row = store
        .find_verification(&stored_identifier(core, token), timestamp::now())
        .await?
        .ok_or_else(AuthError::invalid_token)?;
    if !store.consume_verification(&row.id).await? || row.value != user_id {
        return Err(AuthError::invalid_token());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn tokens_have_better_auths_shape() {
        let token = super::new_token();
        assert_eq!(token.len(), 32);
        assert!(
            token
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
        );
        assert_ne!(token, super::new_token());
    }
}
