//! Password hashes imported from other systems: bcrypt (`$2a$`, `$2b$`, `$2y$`) and argon2
//! (`$argon2id$`, `$argon2i$`, `$argon2d$`, PHC strings), verified over the password's bytes
//! as given (those systems did not normalise it), behind the `legacy-hashes` feature. A
//! successful sign-in replaces such a hash with Better-Auth's scrypt.

/// The kind of a stored password hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashFormat {
    /// Better-Auth's `salt:key` scrypt.
    Scrypt,
    Bcrypt,
    Argon2,
}

impl HashFormat {
    /// The format of `stored`, by its prefix; everything else is read as Better-Auth's.
    pub(crate) fn of(stored: &str) -> Self {
        if ["$2a$", "$2b$", "$2y$"]
            .iter()
            .any(|p| stored.starts_with(p))
        {
            HashFormat::Bcrypt
        } else if stored.starts_with("$argon2") {
            HashFormat::Argon2
        } else {
            HashFormat::Scrypt
        }
    }

    /// Whether a sign-in replaces it with scrypt.
    pub(crate) fn is_legacy(self) -> bool {
        self != HashFormat::Scrypt
    }
}

/// Checks `password` against a bcrypt or argon2 hash; `None` when the hash is not readable
/// (or this build lacks the `legacy-hashes` feature).
pub(crate) fn verify(format: HashFormat, password: &str, stored: &str) -> Option<bool> {
    #[cfg(feature = "legacy-hashes")]
    {
        match format {
            // bcrypt's own verification compares in constant time.
            HashFormat::Bcrypt => bcrypt::verify(password.as_bytes(), stored).ok(),
            HashFormat::Argon2 => {
                use argon2::PasswordVerifier as _;
                let parsed = argon2::PasswordHash::new(stored).ok()?;
                match argon2::Argon2::default().verify_password(password.as_bytes(), &parsed) {
                    Ok(()) => Some(true),
                    Err(argon2::password_hash::Error::PasswordInvalid) => Some(false),
                    Err(_) => None,
                }
            }
            HashFormat::Scrypt => None,
        }
    }
    #[cfg(not(feature = "legacy-hashes"))]
    {
        let _ = (format, password, stored);
        None
    }
}

#[cfg(all(test, feature = "legacy-hashes"))]
mod tests {
    use super::*;

    #[test]
    fn verifies_other_implementations_hashes() {
        let fixtures = include_str!("../../tests/fixtures/legacy-hashes.txt");
        for line in fixtures.lines().filter(|l| !l.starts_with('#')) {
            let mut parts = line.split(' ');
            let (_, password, stored) =
                (parts.next(), parts.next().unwrap(), parts.next().unwrap());
            let format = HashFormat::of(stored);
            assert!(format.is_legacy(), "{stored}");
            assert_eq!(verify(format, password, stored), Some(true), "{stored}");
            assert_eq!(verify(format, "wrong", stored), Some(false), "{stored}");
        }
        assert_eq!(HashFormat::of("00ff:abcd"), HashFormat::Scrypt);
    }
}
