//! Email addresses as Better-Auth accepts and stores them: zod's grammar, lower-cased.

/// The longest address SMTP carries (RFC 5321).
const MAX_EMAIL_LENGTH: usize = 254;

/// zod 4.6's email pattern (the one Better-Auth 1.7.25 runs),
/// `^(?:[A-Za-z0-9_'+\-]+\.)*[A-Za-z0-9_'+\-]*[A-Za-z0-9_+-]@(?:[A-Za-z0-9][A-Za-z0-9\-]*\.)+[A-Za-z]{2,}$`:
/// dot-separated non-empty local segments whose last character is not `'`, then a domain of
/// labels that start with a letter or digit, and a top-level label of two or more letters.
///
/// Also at most 254 characters (RFC 5321), which every dialect's `email` column holds.
pub(crate) fn is_email(s: &str) -> bool {
    if s.len() > MAX_EMAIL_LENGTH {
        return false;
    }
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    let local_char = |c: char| c.is_ascii_alphanumeric() || "_'+-".contains(c);
    let local_ok = local
        .split('.')
        .all(|segment| !segment.is_empty() && segment.chars().all(local_char))
        && local.chars().last().is_some_and(|c| c != '\'' && c != '.');
    let Some((labels, tld)) = domain.rsplit_once('.') else {
        return false;
    };
    let labels_ok = labels.split('.').all(|label| {
        label
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
            && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    });
    local_ok && labels_ok && tld.len() >= 2 && tld.chars().all(|c| c.is_ascii_alphabetic())
}

/// The form addresses are stored and looked up in (Better-Auth lower-cases them).
pub(crate) fn normalize(email: &str) -> String {
    email.to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_like_zod() {
        // Accepted and rejected by zod 4.6.7 itself (checked against the library).
        for ok in [
            "a@b.co",
            "a.b@c.de",
            "a'b@c.de",
            "a-@b.co",
            "a@b-.co",
            "a+b@x.io",
            "A@B.CO",
            "alice@example.com",
            "a.b+c@sub-d.example.org",
        ] {
            assert!(is_email(ok), "{ok}");
        }
        for bad in [
            "a@b.c",
            ".a@b.co",
            "a..b@c.de",
            "a.@b.co",
            "a'@b.co",
            "Ü@b.co",
            "a@-b.co",
            "a@b.c0m",
            "a@localhost",
            " a@b.co",
            "not-an-email",
            "a@b..co",
            "a b@c.co",
            "a@b@c.co",
            "@b.co",
            "a@.co",
        ] {
            assert!(!is_email(bad), "{bad}");
        }
    }
}
