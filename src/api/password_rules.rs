//! The rules a password must pass: Better-Auth's length limits (counted in UTF-16 units, as
//! JavaScript counts), and the application's optional policy for new passwords.

use std::fmt;
use std::sync::Arc;

use crate::error::AuthError;

/// Better-Auth's defaults.
const DEFAULT_MIN_LENGTH: usize = 8;
const DEFAULT_MAX_LENGTH: usize = 128;

/// The verdict on a new password: `Err` carries the reason given to the user.
type PasswordCheck = dyn Fn(&str) -> Result<(), String> + Send + Sync;

/// A check of new passwords; see [`crate::AuthBuilder::password_policy`].
#[derive(Clone)]
pub(crate) struct PasswordPolicy(Arc<PasswordCheck>);

impl PasswordPolicy {
    pub(crate) fn new(check: impl Fn(&str) -> Result<(), String> + Send + Sync + 'static) -> Self {
        Self(Arc::new(check))
    }
}

impl fmt::Debug for PasswordPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordPolicy(..)")
    }
}

/// Lengths, and the policy for new passwords.
#[derive(Debug, Clone)]
pub(crate) struct PasswordRules {
    pub(crate) min_length: usize,
    pub(crate) max_length: usize,
    pub(crate) policy: Option<PasswordPolicy>,
}

impl Default for PasswordRules {
    fn default() -> Self {
        Self {
            min_length: DEFAULT_MIN_LENGTH,
            max_length: DEFAULT_MAX_LENGTH,
            policy: None,
        }
    }
}

/// Length as JavaScript counts it (UTF-16 code units), which is what Better-Auth's limits use.
fn password_length(password: &str) -> usize {
    password.encode_utf16().count()
}

impl PasswordRules {
    /// Better-Auth's length rule for a password being set.
    pub(crate) fn check_length(&self, password: &str) -> Result<(), AuthError> {
        let length = password_length(password);
        if length < self.min_length {
            return Err(AuthError::password_too_short());
        }
        if length > self.max_length {
            return Err(AuthError::password_too_long());
        }
        Ok(())
    }

    /// Better-Auth's "too long" rule alone, for passwords that are checked rather than set
    /// (sign-in, the current password of change-password and delete-user): nothing longer is
    /// ever hashed.
    pub(crate) fn check_not_too_long(&self, password: &str) -> Result<(), AuthError> {
        if password_length(password) > self.max_length {
            return Err(AuthError::password_too_long());
        }
        Ok(())
    }

    /// The configured policy for a new password, run on the blocking pool (it may read a large
    /// list or ask a service).
    pub(crate) async fn check_policy(&self, password: &str) -> Result<(), AuthError> {
        let Some(policy) = self.policy.clone() else {
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
        let rules = PasswordRules::default();
        assert!(
            rules
                .check_length("\u{1F600}\u{1F600}\u{1F600}\u{1F600}")
                .is_ok()
        );
        assert_eq!(
            rules
                .check_length("\u{1F600}\u{1F600}\u{1F600}")
                .unwrap_err()
                .code(),
            "PASSWORD_TOO_SHORT"
        );
        assert_eq!(
            rules
                .check_not_too_long(&"x".repeat(129))
                .unwrap_err()
                .code(),
            "PASSWORD_TOO_LONG"
        );
    }
}
