//! The rules a password must pass: Better-Auth's length limits (counted in UTF-16 units, as
//! JavaScript counts), and the application's optional policy for new passwords.

use crate::auth::Auth;
use crate::error::AuthError;

/// Length as JavaScript counts it (UTF-16 code units), which is what Better-Auth's limits use.
fn password_length(password: &str) -> usize {
    password.encode_utf16().count()
}

/// Better-Auth's length rule for a password being set.
pub(crate) fn check_password_length(auth: &Auth, password: &str) -> Result<(), AuthError> {
    let (min, max) = auth.config().password_length();
    let length = password_length(password);
    if length < min {
        return Err(AuthError::password_too_short());
    }
    if length > max {
        return Err(AuthError::password_too_long());
    }
    Ok(())
}

/// Better-Auth's "too long" rule alone, for passwords that are checked rather than set (sign-in,
/// the current password of change-password and delete-user): nothing longer is ever hashed.
pub(crate) fn check_password_not_too_long(auth: &Auth, password: &str) -> Result<(), AuthError> {
    if password_length(password) > auth.config().password_length().1 {
        return Err(AuthError::password_too_long());
    }
    Ok(())
}

/// The configured [`password_policy`](crate::AuthBuilder::password_policy) for a new password,
/// run on the blocking pool (it may read a large list or ask a service).
pub(crate) async fn check_password_policy(auth: &Auth, password: &str) -> Result<(), AuthError> {
    let Some(policy) = auth.config().password_policy.clone() else {
        return Ok(());
    };
    let password = password.to_owned();
    let verdict = tokio::task::spawn_blocking(move || (policy.0)(&password))
        .await
        .map_err(|_| {
            tracing::error!("the password policy panicked");
            AuthError::internal()
        })?;
    verdict.map_err(AuthError::password_compromised)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_count_utf16_units_like_javascript() {
        assert_eq!(password_length("password"), 8);
        // U+1F600 is one code point and two UTF-16 units; U+00E9 is one of each.
        assert_eq!(password_length("\u{1F600}\u{1F600}\u{1F600}\u{1F600}"), 8);
        assert_eq!(password_length("\u{E9}"), 1);
    }
}
