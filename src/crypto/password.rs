//! Password hashes in Better-Auth's format: scrypt (N = 2^14, r = 16, p = 1, 64-byte key) over the
//! NFKC-normalised password, with a 16-byte random salt whose *lowercase hex string* (not the raw
//! bytes) is the scrypt salt, stored as `"<saltHex>:<keyHex>"`.
//!
//! Each hash takes 32 MiB and tens of milliseconds of CPU, so [`PasswordHasher`] runs them on
//! tokio's blocking pool, at most a fixed number at a time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use scrypt::{Params, scrypt};
use subtle::ConstantTimeEq;
use tokio::sync::Semaphore;
use unicode_normalization::UnicodeNormalization;

const LOG_N: u8 = 14;
const R: u32 = 16;
const P: u32 = 1;
const KEY_LEN: usize = 64;
const SALT_LEN: usize = 16;

/// Verified against when there is no user or no password, so that an unknown email costs the
/// same work as a wrong password. Its key matches no password.
const DUMMY_HASH: &str = "9b1d3a6c2f0e8d4b7a5c3e1f0d2b4a6c:00000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000";

/// A stored hash that is not `salt:key` with a hex key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct MalformedHash;

fn derive_key(password: &str, salt: &str) -> [u8; KEY_LEN] {
    let params = Params::new(LOG_N, R, P).expect("fixed scrypt parameters are valid");
    let normalized: String = password.nfkc().collect();
    let mut key = [0u8; KEY_LEN];
    scrypt(normalized.as_bytes(), salt.as_bytes(), &params, &mut key)
        .expect("a 64-byte output is a valid scrypt length");
    key
}

/// Hashes with a given salt string; blocking.
pub(crate) fn hash_with_salt(password: &str, salt: &str) -> String {
    format!("{salt}:{}", to_hex(&derive_key(password, salt)))
}

/// Hashes with a fresh random salt; blocking.
pub(crate) fn hash_blocking(password: &str) -> String {
    let mut salt = [0u8; SALT_LEN];
    getrandom::fill(&mut salt).expect("the operating system's random source is unavailable");
    hash_with_salt(password, &to_hex(&salt))
}

/// Checks `password` against a stored `salt:key` hash in constant time; blocking.
pub(crate) fn verify_blocking(password: &str, stored: &str) -> Result<bool, MalformedHash> {
    // Better-Auth reads the first two `:`-separated parts.
    let mut parts = stored.split(':');
    let (Some(salt), Some(key_hex)) = (parts.next(), parts.next()) else {
        return Err(MalformedHash);
    };
    if salt.is_empty() || key_hex.is_empty() {
        return Err(MalformedHash);
    }
    let expected = from_hex(key_hex).ok_or(MalformedHash)?;
    let actual = derive_key(password, salt);
    // ct_eq on slices of different lengths is false without looking at the contents.
    Ok(actual[..].ct_eq(&expected[..]).into())
}

fn to_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0x0f)] as char);
    }
    out
}

fn from_hex(s: &str) -> Option<Vec<u8>> {
    if !s.len().is_multiple_of(2) {
        return None;
    }
    s.as_bytes()
        .chunks(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

/// Why a hash could not be computed: the blocking task died (a panic), which the caller reports
/// as an internal error.
#[derive(Debug)]
pub(crate) struct HashTaskFailed;

impl fmt::Display for HashTaskFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the password hashing task failed")
    }
}

/// Runs scrypt off the async runtime, at most `max_concurrent` at once, and counts the hashes
/// it computes (real and dummy alike).
#[derive(Clone)]
pub(crate) struct PasswordHasher {
    permits: Arc<Semaphore>,
    computed: Arc<AtomicU64>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("available_permits", &self.permits.available_permits())
            .field("computed", &self.computed())
            .finish()
    }
}

impl PasswordHasher {
    pub(crate) fn new(max_concurrent: usize) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(max_concurrent.max(1))),
            computed: Arc::new(AtomicU64::new(0)),
        }
    }

    /// How many scrypt computations this hasher has run.
    pub(crate) fn computed(&self) -> u64 {
        self.computed.load(Ordering::Relaxed)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashTaskFailed> {
        let _permit = self
            .permits
            .acquire()
            .await
            .expect("the hashing semaphore is never closed");
        self.computed.fetch_add(1, Ordering::Relaxed);
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|_| HashTaskFailed)
    }

    /// A new `salt:key` hash of `password`.
    pub(crate) async fn hash(&self, password: String) -> Result<String, HashTaskFailed> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks `password` against `stored`. With no stored hash, the same work is done against a
    /// dummy hash and the answer is `false`, so that callers cannot be timed apart.
    pub(crate) async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Result<bool, MalformedHash>, HashTaskFailed> {
        self.run(move || match stored {
            Some(stored) => verify_blocking(&password, &stored),
            None => verify_blocking(&password, DUMMY_HASH).map(|_| false),
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_better_auth_vector() {
        assert_eq!(
            hash_with_salt("password123", "00112233445566778899aabbccddeeff"),
            "00112233445566778899aabbccddeeff:73122e887cfc14f91396cdef78dfe4b9dec28d459037601c4904cedba5a637ab97b39b40c236df5d42881d0109ca8cf0f85e39dbaba2911c190915bd8f30fe85"
        );
    }

    #[test]
    fn round_trips_and_rejects_wrong_passwords() {
        let stored = hash_blocking("correct horse");
        assert_eq!(stored.len(), 32 + 1 + 128);
        assert_eq!(verify_blocking("correct horse", &stored), Ok(true));
        assert_eq!(verify_blocking("correct horsf", &stored), Ok(false));
    }

    #[test]
    fn normalises_to_nfkc() {
        // U+FB01 (the "fi" ligature) is NFKC-equivalent to "fi".
        let stored = hash_blocking("\u{FB01}le-password");
        assert_eq!(verify_blocking("file-password", &stored), Ok(true));
    }

    #[test]
    fn malformed_hashes_are_reported() {
        assert_eq!(verify_blocking("x", "no-colon"), Err(MalformedHash));
        assert_eq!(verify_blocking("x", ":abcd"), Err(MalformedHash));
        assert_eq!(verify_blocking("x", "salt:not-hex"), Err(MalformedHash));
        assert_eq!(verify_blocking("x", "salt:abcd"), Ok(false));
    }

    /// Every `account.password` Better-Auth wrote in the recordings whose password the
    /// recordings show verifies here, and the NFKC-equivalent spelling too.
    #[test]
    fn recomputes_the_recorded_better_auth_hashes() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
        let postgres_rows =
            std::fs::read_to_string(dir.join("transcripts/30-db-rows.txt")).unwrap();
        let mut emails = std::collections::HashMap::new();
        let mut hashes = Vec::new();
        for line in postgres_rows.lines() {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            if cells.len() == 7 && cells[2].contains('@') {
                emails.insert(cells[0].to_owned(), cells[2].to_owned());
            }
            if cells.len() == 13 && cells[2] == "credential" {
                hashes.push((cells[3].to_owned(), cells[10].to_owned()));
            }
        }
        let known: &[(&str, &[&str])] = &[
            ("alice@example.com", &["password123"]),
            ("bob@example.com", &["password123"]),
            ("carol@example.com", &["password123"]),
            ("dave8@example.com", &["12345678"]),
            ("frank2@example.com", &["password123"]),
            ("ivy@example.com", &["password123"]),
            ("bea@example.com", &["password123"]),
            ("uni@example.com", &["\u{FB01}nepassword1", "finepassword1"]),
        ];
        let dave128 = "b".repeat(128);
        let mut verified = 0;
        for (user_id, hash) in &hashes {
            let email = emails[user_id].as_str();
            let passwords: Vec<&str> = match known.iter().find(|(e, _)| *e == email) {
                Some((_, passwords)) => passwords.to_vec(),
                None if email == "dave128@example.com" => vec![dave128.as_str()],
                None => continue,
            };
            for password in passwords {
                assert_eq!(verify_blocking(password, hash), Ok(true), "{email}");
                verified += 1;
            }
            assert_eq!(verify_blocking("not-the-password", hash), Ok(false));
        }
        assert_eq!(verified, 10);

        // SQLite and MariaDB recordings: alice and bob, both "password123".
        for file in ["ddl/sqlite-rows.txt", "ddl/mysql-rows.txt"] {
            let rows = std::fs::read_to_string(dir.join(file)).unwrap();
            let found: Vec<&str> = rows
                .split(|c: char| c == ',' || c == '\t' || c == '\'' || c.is_whitespace())
                .filter(|cell| cell.len() == 161 && cell.as_bytes()[32] == b':')
                .collect();
            assert!(found.len() >= 2, "{file}");
            for hash in found {
                assert_eq!(verify_blocking("password123", hash), Ok(true), "{file}");
            }
        }
    }

    #[test]
    fn dummy_hash_matches_nothing() {
        assert_eq!(verify_blocking("", DUMMY_HASH), Ok(false));
        assert_eq!(verify_blocking("password123", DUMMY_HASH), Ok(false));
    }
}
