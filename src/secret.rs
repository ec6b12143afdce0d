//! The signing secrets: where they come from, the rules each must pass, and rotation.
//!
//! A missing or weak secret is a configuration error, never a warning: there is no default
//! secret anywhere in this crate. Several secrets may be configured; the first signs, and any
//! of them verifies (rotation).

use std::collections::HashSet;
use std::fmt;

/// Where a secret was read from; named in configuration errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretSource {
    /// Given in code (`AuthBuilder::secret` or `AuthBuilder::secrets`).
    Code,
    /// The `BETTER_AUTH_SECRETS` environment variable (`version:secret,...`).
    BetterAuthSecrets,
    /// The `BETTER_AUTH_SECRET` environment variable.
    BetterAuthSecret,
    /// The `AUTH_SECRET` environment variable.
    AuthSecret,
}

impl fmt::Display for SecretSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SecretSource::Code => "the secret given in code",
            SecretSource::BetterAuthSecrets => "BETTER_AUTH_SECRETS",
            SecretSource::BetterAuthSecret => "BETTER_AUTH_SECRET",
            SecretSource::AuthSecret => "AUTH_SECRET",
        })
    }
}

/// The rule a rejected secret broke.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum WeakSecret {
    /// Empty or only whitespace.
    Empty,
    /// A value published in documentation or examples (such as Better-Auth's default secret).
    Placeholder,
    /// Fewer than 32 bytes.
    TooShort {
        /// Its length in bytes.
        bytes: usize,
    },
    /// An estimated strength (length × log2 of the number of distinct characters, Better-Auth's
    /// estimate) under 120 bits.
    LowEntropy {
        /// The estimate, rounded down.
        bits: u32,
    },
    /// At least half of its characters are sequences or repeats: runs of three or more
    /// characters stepping through the alphabet, the digits or a keyboard row, in either
    /// direction (`0123`, `abcd`, `9876`, `qwer`), or a block of three or more characters that
    /// already appeared earlier in it (`Xk9#Xk9#`). Such a secret passes the length and
    /// distinct-character rules while being easy to guess.
    Predictable {
        /// How many of its characters belong to a sequence or a repeat.
        predictable: usize,
        /// Its length in characters.
        length: usize,
    },
}

impl fmt::Display for WeakSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WeakSecret::Empty => f.write_str("it is empty"),
            WeakSecret::Placeholder => f.write_str(
                "it is a well-known placeholder value (such as Better-Auth's default secret)",
            ),
            WeakSecret::TooShort { bytes } => {
                write!(
                    f,
                    "it is {bytes} bytes long; at least {MIN_SECRET_BYTES} bytes are required"
                )
            }
            WeakSecret::LowEntropy { bits } => write!(
                f,
                "its estimated strength is {bits} bits; at least {MIN_SECRET_BITS} bits are required \
                 (too few distinct characters)"
            ),
            WeakSecret::Predictable {
                predictable,
                length,
            } => write!(
                f,
                "it is made of sequences and repeats: {predictable} of its {length} characters are \
                 runs through the alphabet, the digits or a keyboard row (such as `0123`, `abcd`, \
                 `qwer`) or blocks repeated from earlier in it, and at most half may be; a random \
                 secret has next to none"
            ),
        }
    }
}

/// Why no usable secret was configured. Each message says what to change.
#[derive(thiserror::Error)]
#[non_exhaustive]
pub enum SecretError {
    /// No secret in code nor in the environment.
    #[error(
        "no secret configured: set BETTER_AUTH_SECRET (or AUTH_SECRET) in the environment, or call \
         AuthBuilder::secret(); generate one with `openssl rand -base64 32`"
    )]
    Missing,
    /// A secret broke one of the strength rules.
    #[error(
        "{from} is not an acceptable secret: {rule}; generate one with `openssl rand -base64 32`"
    )]
    Weak {
        /// Where the secret came from.
        from: SecretSource,
        /// The rule it broke.
        rule: WeakSecret,
    },
    /// `BETTER_AUTH_SECRETS` is not a `version:secret,...` list.
    #[error("BETTER_AUTH_SECRETS is not a valid `version:secret,version:secret` list: {reason}")]
    InvalidList {
        /// What is wrong with it.
        reason: String,
    },
}

/// `Debug` shows the message, so that `main() -> Result<(), Box<dyn Error>>` prints the fix.
impl fmt::Debug for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Minimum secret length in bytes.
pub const MIN_SECRET_BYTES: usize = 32;
/// Minimum estimated secret strength in bits.
pub const MIN_SECRET_BITS: u32 = 120;

/// Values copied from documentation, tutorials and `.env.example` files. Compared ignoring case
/// and surrounding whitespace.
const PLACEHOLDERS: &[&str] = &[
    "better-auth-secret-12345678901234567890",
    "changeme",
    "change-me",
    "change_me",
    "secret",
    "password",
    "your-secret",
    "your-secret-here",
    "your_secret_here",
    "your-secret-key",
    "your-super-secret-key",
    "supersecret",
    "super-secret",
    "mysecret",
    "my-secret",
    "default",
    "placeholder",
    "replace-me",
    "insecure",
];

/// Fragments that mark a value as a placeholder wherever they appear.
const PLACEHOLDER_MARKERS: &[&str] = &[
    "changeme",
    "change-me",
    "change_me",
    "change-this",
    "change_this",
    "replace-me",
    "replace_me",
    "replace-this",
    "your-secret",
    "your_secret",
    "placeholder",
    "better-auth-secret-1234",
];

/// Checks one secret against the rules, naming the first one it breaks.
pub(crate) fn check(secret: &str) -> Result<(), WeakSecret> {
    let trimmed = secret.trim();
    if trimmed.is_empty() {
        return Err(WeakSecret::Empty);
    }
    let lower = trimmed.to_ascii_lowercase();
    if PLACEHOLDERS.contains(&lower.as_str())
        || PLACEHOLDER_MARKERS.iter().any(|m| lower.contains(m))
    {
        return Err(WeakSecret::Placeholder);
    }
    if secret.len() < MIN_SECRET_BYTES {
        return Err(WeakSecret::TooShort {
            bytes: secret.len(),
        });
    }
    let bits = estimated_bits(secret);
    if bits < f64::from(MIN_SECRET_BITS) {
        return Err(WeakSecret::LowEntropy { bits: bits as u32 });
    }
    let (predictable, length) = predictable_characters(secret);
    if predictable * 2 >= length {
        return Err(WeakSecret::Predictable {
            predictable,
            length,
        });
    }
    Ok(())
}

/// The orders a run steps through, compared ignoring case: the digits then the letters (so
/// that hexadecimal counting is one run), and the rows of a US keyboard, unshifted and shifted.
const SEQUENCES: &[&str] = &[
    "0123456789abcdefghijklmnopqrstuvwxyz",
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
];

/// The shortest run or repeated block that counts.
const MIN_PATTERN: usize = 3;
/// Only the start of a very long secret is examined (the work is quadratic in the length).
const MAX_EXAMINED: usize = 1024;

/// How many characters of `secret` belong to a run (`MIN_PATTERN` or more characters, each one
/// step after the previous in one of `SEQUENCES`, always in the same direction) or to a block
/// of `MIN_PATTERN` or more characters that also starts earlier in the secret; and how many
/// characters were examined.
fn predictable_characters(secret: &str) -> (usize, usize) {
    let chars: Vec<char> = secret
        .chars()
        .take(MAX_EXAMINED)
        .map(|c| c.to_ascii_lowercase())
        .collect();
    let n = chars.len();
    let mut marked = vec![false; n];

    // Runs: from each start, the longest run in any order and direction.
    let step = |order: &str, from: char, to: char| -> Option<isize> {
        let a = order.find(from)? as isize;
        let b = order.find(to)? as isize;
        Some(b - a).filter(|d| d.abs() == 1)
    };
    for start in 0..n {
        let mut longest = 1;
        for order in SEQUENCES {
            for direction in [1, -1] {
                let mut end = start + 1;
                while end < n && step(order, chars[end - 1], chars[end]) == Some(direction) {
                    end += 1;
                }
                longest = longest.max(end - start);
            }
        }
        if longest >= MIN_PATTERN {
            marked[start..start + longest].fill(true);
        }
    }

    // Repeats: for each `i` (from the end), `common[k]` becomes the length of the common prefix
    // of `chars[i..]` and `chars[k..]` for every earlier `k`, from the row of `i + 1`, which
    // `common[k + 1]` still holds when `k` is written.
    let mut common = vec![0usize; n + 1];
    for i in (0..n).rev() {
        let mut longest = 0;
        for k in 0..i {
            common[k] = if chars[i] == chars[k] {
                common[k + 1] + 1
            } else {
                0
            };
            longest = longest.max(common[k]);
        }
        if longest >= MIN_PATTERN {
            marked[i..i + longest].fill(true);
        }
    }
    (marked.iter().filter(|&&m| m).count(), n)
}

/// Better-Auth's estimate: `log2(distinctChars ^ length)`, with the length in UTF-16 units.
fn estimated_bits(secret: &str) -> f64 {
    let distinct = secret.chars().collect::<HashSet<_>>().len();
    let length = secret.encode_utf16().count();
    length as f64 * (distinct as f64).log2()
}

/// The configured secrets, newest first. Never printed.
#[derive(Clone)]
pub(crate) struct SecretRing {
    secrets: Vec<Box<[u8]>>,
}

impl fmt::Debug for SecretRing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SecretRing([redacted; {}])", self.secrets.len())
    }
}

impl SecretRing {
    /// A ring of secrets that have already passed the rules (or are test vectors).
    pub(crate) fn new_unchecked(secrets: Vec<String>) -> Self {
        assert!(
            !secrets.is_empty(),
            "a secret ring holds at least one secret"
        );
        Self {
            secrets: secrets
                .into_iter()
                .map(|s| s.into_bytes().into_boxed_slice())
                .collect(),
        }
    }

    /// The secret that signs.
    pub(crate) fn current(&self) -> &[u8] {
        &self.secrets[0]
    }

    /// Every secret that verifies, the current one first.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &[u8]> {
        self.secrets.iter().map(|s| &s[..])
    }
}

/// Reads the secrets: those given in code, else `BETTER_AUTH_SECRETS`, else
/// `BETTER_AUTH_SECRET`, else `AUTH_SECRET`; then checks every one of them.
pub(crate) fn load(
    in_code: &[String],
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<SecretRing, SecretError> {
    let (source, secrets) = if !in_code.is_empty() {
        (SecretSource::Code, in_code.to_vec())
    } else if let Some(list) = env("BETTER_AUTH_SECRETS").filter(|v| !v.trim().is_empty()) {
        (
            SecretSource::BetterAuthSecrets,
            parse_versioned_list(&list)?,
        )
    } else if let Some(secret) = env("BETTER_AUTH_SECRET").filter(|v| !v.is_empty()) {
        // An empty variable falls through to the next, as Better-Auth's
        // `BETTER_AUTH_SECRET || AUTH_SECRET` does; a blank one is checked (and refused).
        (SecretSource::BetterAuthSecret, vec![secret])
    } else if let Some(secret) = env("AUTH_SECRET").filter(|v| !v.is_empty()) {
        (SecretSource::AuthSecret, vec![secret])
    } else {
        return Err(SecretError::Missing);
    };
    for secret in &secrets {
        check(secret).map_err(|rule| SecretError::Weak { from: source, rule })?;
    }
    Ok(SecretRing::new_unchecked(secrets))
}

/// Parses Better-Auth's `BETTER_AUTH_SECRETS` format, `version:secret,version:secret` (entries
/// and values trimmed, the first entry current). Better-Auth's errors, except that a version
/// must be all digits (Better-Auth's `parseInt` also takes `1x`).
fn parse_versioned_list(list: &str) -> Result<Vec<String>, SecretError> {
    let invalid = |reason: String| SecretError::InvalidList { reason };
    let mut versions = HashSet::new();
    let mut secrets = Vec::new();
    for (index, entry) in list.split(',').enumerate() {
        let position = index + 1;
        let Some((version, secret)) = entry.trim().split_once(':') else {
            return Err(invalid(format!(
                "entry at position {position} is not in the format \"<version>:<secret>\""
            )));
        };
        let version = version.trim();
        if version.is_empty() || !version.bytes().all(|b| b.is_ascii_digit()) {
            return Err(invalid(format!(
                "the version of the entry at position {position} is not a non-negative integer"
            )));
        }
        let secret = secret.trim();
        if secret.is_empty() {
            return Err(invalid(format!(
                "the secret for version {version} is empty"
            )));
        }
        if !versions.insert(version.parse::<u64>().ok()) {
            return Err(invalid(format!(
                "version {version} appears more than once; each version must be unique"
            )));
        }
        secrets.push(secret.to_owned());
    }
    Ok(secrets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    const STRONG: &str = "q8Vn2LxR7pT4mZ1cW9yB6hK3sD0fJ5gA";
    const STRONG_2: &str = "Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8Xc";

    fn env(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |k| map.get(k).cloned()
    }

    #[test]
    fn rules() {
        assert_eq!(check(STRONG), Ok(()));
        assert_eq!(check(""), Err(WeakSecret::Empty));
        assert_eq!(check("   "), Err(WeakSecret::Empty));
        assert_eq!(
            check("better-auth-secret-12345678901234567890"),
            Err(WeakSecret::Placeholder)
        );
        assert_eq!(check("changeme"), Err(WeakSecret::Placeholder));
        assert_eq!(check("SECRET"), Err(WeakSecret::Placeholder));
        assert_eq!(
            check("please-change-me-before-deploying-this-thing"),
            Err(WeakSecret::Placeholder)
        );
        assert_eq!(check("short"), Err(WeakSecret::TooShort { bytes: 5 }));
        assert_eq!(
            check(&STRONG[..31]),
            Err(WeakSecret::TooShort { bytes: 31 })
        );
        assert_eq!(
            check(&"a".repeat(64)),
            Err(WeakSecret::LowEntropy { bits: 0 })
        );
        assert_eq!(
            check(&"ab".repeat(40)),
            Err(WeakSecret::LowEntropy { bits: 80 })
        );
    }

    #[test]
    fn sequences_and_repeats_are_refused() {
        let predictable =
            |secret: &str| matches!(check(secret), Err(WeakSecret::Predictable { .. }));
        for weak in [
            "0123456789abcdef0123456789abcdef",
            "abcdefghijklmnopqrstuvwxyzabcdef",
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef",
            "zyxwvutsrqponmlkjihgfedcba9876543210",
            "fedcba9876543210fedcba9876543210",
            "qwertyuiopasdfghjklzxcvbnmqwertyuiop",
            "poiuytrewqlkjhgfdsamnbvcxz1234567890",
            "!@#$%^&*()qwertyuiop1234567890asdfghjkl",
            "Xk9#Tz2!Qm5&Wb8@Xk9#Tz2!Qm5&Wb8@",
            "q8Vn2LxR7pT4mZ1cq8Vn2LxR7pT4mZ1c",
            "oracle-test-secret-0123456789abcdef0123456789abcdef",
        ] {
            assert!(predictable(weak), "{weak}: {:?}", check(weak));
        }
        // Random secrets, in the forms `openssl rand` prints, and the crate's test secrets.
        for strong in [
            STRONG,
            STRONG_2,
            "kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k",
            "Zr4Yt7Ue1Wi0Oq3Pa6Sd9Fg2Hj5Kl8XcVbNm3Qw",
            "3q2+7wIvY9Ot1uI8s3qQmzBwJ0JkR5aNVn8y0oZjL1c=",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        ] {
            assert_eq!(check(strong), Ok(()), "{strong}");
        }
        // The message names the rule and how to make a good secret.
        let err = load(&["0123456789abcdef0123456789abcdef".into()], &env(&[])).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("sequences and repeats"), "{message}");
        assert!(message.contains("openssl rand -base64 32"), "{message}");
        assert!(message.contains("32 of its 32 characters"), "{message}");
        // A very long secret is examined quickly (only its start).
        let long: String = (0..100_000)
            .map(|i| STRONG.as_bytes()[i % 32] as char)
            .collect();
        assert!(predictable(&long));
    }

    #[test]
    fn precedence_code_then_env_in_better_auth_order() {
        let ring = load(&[STRONG.into()], &env(&[("BETTER_AUTH_SECRET", STRONG_2)])).unwrap();
        assert_eq!(ring.current(), STRONG.as_bytes());

        let ring = load(
            &[],
            &env(&[("BETTER_AUTH_SECRET", STRONG), ("AUTH_SECRET", STRONG_2)]),
        )
        .unwrap();
        assert_eq!(ring.current(), STRONG.as_bytes());

        let ring = load(&[], &env(&[("AUTH_SECRET", STRONG_2)])).unwrap();
        assert_eq!(ring.current(), STRONG_2.as_bytes());

        // An empty variable is as good as unset (Better-Auth's `||`); a blank one is refused.
        let ring = load(
            &[],
            &env(&[("BETTER_AUTH_SECRET", ""), ("AUTH_SECRET", STRONG_2)]),
        )
        .unwrap();
        assert_eq!(ring.current(), STRONG_2.as_bytes());
        assert!(matches!(
            load(&[], &env(&[("BETTER_AUTH_SECRET", "")])),
            Err(SecretError::Missing)
        ));
        assert!(matches!(
            load(
                &[],
                &env(&[("BETTER_AUTH_SECRET", "  "), ("AUTH_SECRET", STRONG_2)])
            ),
            Err(SecretError::Weak {
                rule: WeakSecret::Empty,
                ..
            })
        ));

        let list = format!("2:{STRONG_2},1:{STRONG}");
        let ring = load(
            &[],
            &env(&[
                ("BETTER_AUTH_SECRETS", &list),
                ("BETTER_AUTH_SECRET", STRONG),
            ]),
        )
        .unwrap();
        assert_eq!(
            ring.iter().collect::<Vec<_>>(),
            [STRONG_2.as_bytes(), STRONG.as_bytes()]
        );
    }

    #[test]
    fn missing_secret_names_both_variables() {
        let err = load(&[], &env(&[])).unwrap_err();
        assert!(matches!(err, SecretError::Missing));
        let message = err.to_string();
        assert!(message.contains("BETTER_AUTH_SECRET"), "{message}");
        assert!(
            message
                .replace("BETTER_AUTH_SECRET", "")
                .contains("AUTH_SECRET"),
            "AUTH_SECRET is named on its own: {message}"
        );
    }

    #[test]
    fn weak_env_secret_names_variable_and_rule() {
        let err = load(&[], &env(&[("BETTER_AUTH_SECRET", "short")])).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("BETTER_AUTH_SECRET"), "{message}");
        assert!(message.contains("at least 32 bytes"), "{message}");
        assert!(
            !message.contains("short\""),
            "the secret itself is never printed: {message}"
        );
    }

    #[test]
    fn versioned_lists_that_better_auth_rejects_are_rejected() {
        for bad in [
            "1:abc,1:def",
            "x:abc",
            "-1:abc",
            ":abc",
            "2:",
            "2:   ",
            "abc",
            "1:abc,",
        ] {
            let err = load(&[], &env(&[("BETTER_AUTH_SECRETS", bad)])).unwrap_err();
            assert!(
                matches!(err, SecretError::InvalidList { .. }),
                "{bad}: {err}"
            );
        }
        // A well-formed list still has every entry checked.
        let err = load(
            &[],
            &env(&[("BETTER_AUTH_SECRETS", &format!("2:{STRONG},1:short"))]),
        )
        .unwrap_err();
        assert!(matches!(
            err,
            SecretError::Weak {
                from: SecretSource::BetterAuthSecrets,
                ..
            }
        ));
    }

    #[test]
    fn ring_debug_is_redacted() {
        let ring = SecretRing::new_unchecked(vec![STRONG.into()]);
        assert!(!format!("{ring:?}").contains(STRONG));
    }
}
