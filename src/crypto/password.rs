//! Password hashes in Better-Auth's format: scrypt (N = 2^14, r = 16, p = 1, 64-byte key) over the
//! NFKC-normalised password, with a 16-byte random salt whose *lowercase hex string* (not the raw
//! bytes) is the scrypt salt, stored as `"<saltHex>:<keyHex>"`.
//!
//! Each hash takes 32 MiB and tens of milliseconds of CPU, so [`PasswordHasher`] runs them on
//! tokio's blocking pool, at most a fixed number at a time.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

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
/// The salt of [`DUMMY_HASH`], for the work done against a malformed stored hash.
const DUMMY_SALT: &str = "9b1d3a6c2f0e8d4b7a5c3e1f0d2b4a6c";

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
///
/// Exactly one scrypt computation runs whatever `stored` holds: a malformed hash is still
/// answered after the work of a real one, so that accounts with unusable hashes cannot be told
/// apart by timing.
pub(crate) fn verify_blocking(password: &str, stored: &str) -> Result<bool, MalformedHash> {
    let format = super::legacy::HashFormat::of(stored);
    if format.is_legacy() {
        return super::legacy::verify(format, password, stored).ok_or_else(|| {
            let _ = derive_key(password, DUMMY_SALT);
            MalformedHash
        });
    }
    let Some((salt, expected)) = parse_stored(stored) else {
        let _ = derive_key(password, DUMMY_SALT);
        return Err(MalformedHash);
    };
    let actual = derive_key(password, salt);
    // ct_eq on slices of different lengths is false without looking at the contents.
    Ok(actual[..].ct_eq(&expected[..]).into())
}

/// The salt and the key of a stored hash (Better-Auth reads the first two `:`-separated parts).
fn parse_stored(stored: &str) -> Option<(&str, Vec<u8>)> {
    let mut parts = stored.split(':');
    let (salt, key_hex) = (parts.next()?, parts.next()?);
    if salt.is_empty() || key_hex.is_empty() {
        return None;
    }
    Some((salt, from_hex(key_hex)?))
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

/// Why a hash was not computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HashError {
    /// Every hashing slot stayed busy for the queue timeout: the server is saturated.
    Busy,
    /// The blocking task died (a panic).
    TaskFailed,
}

/// What an application's `Cargo.toml` needs so that scrypt is fast in its debug builds: a
/// dependency's `[profile.*]` settings do not reach the application that depends on it.
pub(crate) const DEV_PROFILE_OVERRIDES: &str = "[profile.dev.package.scrypt]
opt-level = 3
[profile.dev.package.salsa20]
opt-level = 3
[profile.dev.package.pbkdf2]
opt-level = 3
[profile.dev.package.sha2]
opt-level = 3
[profile.dev.package.hmac]
opt-level = 3";

/// A hash slower than this in a debug build means scrypt was built unoptimised.
const SLOW_HASH: Duration = Duration::from_millis(500);

/// The warning for a debug build whose hash took `elapsed`, if it is one.
fn slow_hash_warning(elapsed: Duration) -> Option<String> {
    (elapsed > SLOW_HASH).then(|| {
        format!(
            "a password hash took {} ms: scrypt is built without optimisation in this debug \
             build, so every sign-in and sign-up crawls. Add these lines to your application's \
             Cargo.toml (authgate's own profile settings do not reach it):\n{DEV_PROFILE_OVERRIDES}",
            elapsed.as_millis()
        )
    })
}

/// Logs [`slow_hash_warning`] once per process, in debug builds only.
fn warn_if_slow(elapsed: Duration) {
    static WARNED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if cfg!(debug_assertions)
        && let Some(warning) = slow_hash_warning(elapsed)
        && !WARNED.swap(true, Ordering::Relaxed)
    {
        tracing::warn!("{warning}");
    }
}

/// How many hashes may run at once, and how long a request waits for one of those slots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HashLimits {
    pub(crate) max_concurrent: usize,
    pub(crate) queue_timeout: Duration,
}

/// Counters of the work a [`PasswordHasher`] did.
#[derive(Debug, Default)]
struct Stats {
    computed: AtomicU64,
    running: AtomicUsize,
    peak_running: AtomicUsize,
    /// Requests waiting for a slot.
    waiting: AtomicUsize,
}

/// Marks one scrypt computation as running for as long as it lives.
struct Running<'a>(&'a Stats);

impl<'a> Running<'a> {
    fn start(stats: &'a Stats) -> Self {
        stats.computed.fetch_add(1, Ordering::Relaxed);
        let now = stats.running.fetch_add(1, Ordering::SeqCst) + 1;
        stats.peak_running.fetch_max(now, Ordering::SeqCst);
        Self(stats)
    }
}

impl Drop for Running<'_> {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Runs scrypt on tokio's blocking pool, at most `max_concurrent` at once, and counts the
/// computations (real and dummy alike).
///
/// A computation keeps its slot until scrypt returns, even when the request that asked for it
/// is dropped (a client that disconnects cannot start more hashes than the limit). A request
/// that waits longer than the queue timeout for a slot is answered 503.
#[derive(Clone)]
pub(crate) struct PasswordHasher {
    permits: Arc<Semaphore>,
    queue_timeout: Duration,
    stats: Arc<Stats>,
}

impl fmt::Debug for PasswordHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasswordHasher")
            .field("available_permits", &self.permits.available_permits())
            .field("queue_timeout", &self.queue_timeout)
            .field("stats", &self.stats)
            .finish()
    }
}

impl PasswordHasher {
    pub(crate) fn new(limits: HashLimits) -> Self {
        Self {
            permits: Arc::new(Semaphore::new(limits.max_concurrent.max(1))),
            queue_timeout: limits.queue_timeout,
            stats: Arc::default(),
        }
    }

    /// How many scrypt computations this hasher has run.
    pub(crate) fn computed(&self) -> u64 {
        self.stats.computed.load(Ordering::Relaxed)
    }

    /// How many scrypt computations are running now.
    pub(crate) fn running(&self) -> usize {
        self.stats.running.load(Ordering::SeqCst)
    }

    /// The most scrypt computations that ever ran at once.
    pub(crate) fn peak_running(&self) -> usize {
        self.stats.peak_running.load(Ordering::SeqCst)
    }

    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, HashError> {
        let waiting_since = std::time::Instant::now();
        let depth = self.stats.waiting.fetch_add(1, Ordering::SeqCst) + 1;
        crate::telemetry::hash_queue_depth(depth);
        let permit =
            tokio::time::timeout(self.queue_timeout, self.permits.clone().acquire_owned()).await;
        let depth = self.stats.waiting.fetch_sub(1, Ordering::SeqCst) - 1;
        crate::telemetry::hash_queue_depth(depth);
        crate::telemetry::hash_waited(waiting_since.elapsed());
        let permit = permit
            .map_err(|_| HashError::Busy)?
            .expect("the hashing semaphore is never closed");
        let stats = self.stats.clone();
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            let _running = Running::start(&stats);
            let started = std::time::Instant::now();
            let out = work();
            warn_if_slow(started.elapsed());
            out
        })
        .await
        .map_err(|_| HashError::TaskFailed)
    }

    /// A new `salt:key` hash of `password`.
    pub(crate) async fn hash(&self, password: String) -> Result<String, HashError> {
        self.run(move || hash_blocking(&password)).await
    }

    /// Checks `password` against `stored`. With no stored hash, the same work is done against a
    /// dummy hash and the answer is `false`, so that callers cannot be timed apart.
    pub(crate) async fn verify(
        &self,
        password: String,
        stored: Option<String>,
    ) -> Result<Result<bool, MalformedHash>, HashError> {
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
    fn a_slow_hash_names_the_profile_overrides() {
        assert_eq!(slow_hash_warning(Duration::from_millis(400)), None);
        let warning = slow_hash_warning(Duration::from_millis(2200)).unwrap();
        assert!(warning.starts_with("a password hash took 2200 ms"));
        for package in ["scrypt", "salsa20", "pbkdf2", "sha2", "hmac"] {
            assert!(warning.contains(&format!("[profile.dev.package.{package}]\nopt-level = 3")));
        }
        // The same lines as this crate's own manifest.
        let manifest = include_str!("../../Cargo.toml");
        assert!(manifest.contains(DEV_PROFILE_OVERRIDES));
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
        assert_eq!(
            verify_blocking("x", "$2b$10$bcrypt-style"),
            Err(MalformedHash)
        );
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_dropped_request_keeps_its_slot_until_scrypt_returns() {
        let hasher = PasswordHasher::new(HashLimits {
            max_concurrent: 1,
            queue_timeout: Duration::from_secs(60),
        });
        for started in 1..=3 {
            let request = tokio::spawn({
                let hasher = hasher.clone();
                async move { hasher.hash("password123".into()).await }
            });
            while hasher.computed() < started {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
            // The client went away while its hash was running.
            request.abort();
        }
        hasher.hash("password123".into()).await.unwrap();
        assert_eq!(hasher.computed(), 4);
        assert_eq!(
            hasher.peak_running(),
            1,
            "never more hashes at once than the limit"
        );
        assert_eq!(hasher.running(), 0);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_saturated_hasher_answers_busy_instead_of_queueing_forever() {
        let hasher = PasswordHasher::new(HashLimits {
            max_concurrent: 1,
            queue_timeout: Duration::from_millis(5),
        });
        let running = tokio::spawn({
            let hasher = hasher.clone();
            async move { hasher.hash("password123".into()).await }
        });
        while hasher.running() == 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        assert_eq!(
            hasher.verify("password123".into(), None).await,
            Err(HashError::Busy)
        );
        assert!(running.await.unwrap().is_ok());
    }

    #[test]
    fn the_dummy_salt_is_the_dummy_hashs() {
        assert_eq!(DUMMY_HASH.split_once(':').unwrap().0, DUMMY_SALT);
    }

    #[test]
    fn dummy_hash_matches_nothing() {
        assert_eq!(verify_blocking("", DUMMY_HASH), Ok(false));
        assert_eq!(verify_blocking("password123", DUMMY_HASH), Ok(false));
    }
}
