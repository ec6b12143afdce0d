//! The endpoint table: every path the auth router serves, relative to where it is nested (the
//! form rate-limit rules name them in). The router maps each to its handler; the rate limiter
//! checks configured rules against this list.

/// `POST`: create a user with a password, and sign in (unless auto sign-in is off).
pub(crate) const SIGN_UP_EMAIL: &str = "/sign-up/email";
/// `POST`: check an email and password, and start a session.
pub(crate) const SIGN_IN_EMAIL: &str = "/sign-in/email";
/// `GET`: the current session and user, or `null`.
pub(crate) const GET_SESSION: &str = "/get-session";
/// `POST`: end the current session.
pub(crate) const SIGN_OUT: &str = "/sign-out";
/// `GET`: the user's live sessions (needs a fresh session).
pub(crate) const LIST_SESSIONS: &str = "/list-sessions";
/// `POST {token}`: end one of the user's sessions.
pub(crate) const REVOKE_SESSION: &str = "/revoke-session";
/// `POST`: end every session of the user.
pub(crate) const REVOKE_SESSIONS: &str = "/revoke-sessions";
/// `POST`: end every session of the user but the current one.
pub(crate) const REVOKE_OTHER_SESSIONS: &str = "/revoke-other-sessions";
/// `POST {name?, image?}`: change the user's profile.
pub(crate) const UPDATE_USER: &str = "/update-user";
/// `POST {newEmail}`: change the user's address (off unless enabled).
pub(crate) const CHANGE_EMAIL: &str = "/change-email";
/// `POST {password?}`: delete the user (off unless enabled).
pub(crate) const DELETE_USER: &str = "/delete-user";
/// `POST {currentPassword, newPassword, revokeOtherSessions?}`.
pub(crate) const CHANGE_PASSWORD: &str = "/change-password";
/// `GET`: `{"ok": true}`, a liveness answer that touches nothing.
pub(crate) const OK: &str = "/ok";
/// `POST {email, callbackURL?}`: mail a verification link (needs a mailer).
pub(crate) const SEND_VERIFICATION_EMAIL: &str = "/send-verification-email";
/// `GET ?token&callbackURL`: follow a verification link.
pub(crate) const VERIFY_EMAIL: &str = "/verify-email";
/// `POST {email, redirectTo?}`: mail a password-reset link (needs a mailer).
pub(crate) const REQUEST_PASSWORD_RESET: &str = "/request-password-reset";
/// `GET ?callbackURL`: the reset link; redirects to the callback with the token.
pub(crate) const RESET_PASSWORD_CALLBACK: &str = "/reset-password/{token}";
/// `POST {newPassword, token}`: set a new password with a reset token.
pub(crate) const RESET_PASSWORD: &str = "/reset-password";
/// `GET ?token&callbackURL`: the e-mailed deletion link (off unless enabled).
pub(crate) const DELETE_USER_CALLBACK: &str = "/delete-user/callback";

/// `POST {password}`: check the signed-in user's password (`{"status": true}`).
pub(crate) const VERIFY_PASSWORD: &str = "/verify-password";
/// `POST {field: value, ...}`: set additional fields of the current session.
pub(crate) const UPDATE_SESSION: &str = "/update-session";
/// `GET ?error=CODE&error_description=...`: the HTML error page redirects point to.
pub(crate) const ERROR: &str = "/error";

/// Every endpoint, in the order the router registers them.
pub(crate) const ALL: &[&str] = &[
    SIGN_UP_EMAIL,
    SIGN_IN_EMAIL,
    GET_SESSION,
    SIGN_OUT,
    LIST_SESSIONS,
    REVOKE_SESSION,
    REVOKE_SESSIONS,
    REVOKE_OTHER_SESSIONS,
    UPDATE_USER,
    CHANGE_EMAIL,
    DELETE_USER,
    CHANGE_PASSWORD,
    OK,
    VERIFY_PASSWORD,
    UPDATE_SESSION,
    ERROR,
    SEND_VERIFICATION_EMAIL,
    VERIFY_EMAIL,
    REQUEST_PASSWORD_RESET,
    RESET_PASSWORD_CALLBACK,
    RESET_PASSWORD,
    DELETE_USER_CALLBACK,
];

#[cfg(test)]
mod tests {
    /// The endpoint reference (`docs/endpoints.md`, the `authgate::docs::endpoints` page) has a
    /// section for every endpoint the router serves, and none for another.
    #[test]
    fn the_reference_documents_every_endpoint() {
        let reference = include_str!("../docs/endpoints.md");
        let documented: Vec<&str> = reference
            .lines()
            .filter_map(|line| line.strip_prefix("## `"))
            .filter_map(|heading| heading.split_once(' ').map(|(_, rest)| rest))
            .map(|path| path.trim_end_matches('`'))
            .collect();
        assert_eq!(
            documented,
            super::ALL,
            "docs/endpoints.md follows the table"
        );
    }
}
