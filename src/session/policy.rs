//! The session rules, as plain functions of the settings, the session row and the current
//! instant: when a session is over, when its expiry slides forward, when it counts as fresh.
//! Better-Auth's rules, plus an optional absolute lifetime.

use std::time::Duration;

use time::OffsetDateTime;

use crate::model::Session;
use crate::timestamp;

/// How long a `rememberMe: false` session lives in the database (Better-Auth's fixed day).
pub(crate) const DONT_REMEMBER_LIFETIME: Duration = Duration::from_secs(24 * 60 * 60);

/// How long sessions live and when they slide forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SessionSettings {
    /// Lifetime without activity (Better-Auth's `expiresIn`, 7 days).
    pub(crate) expires_in: Duration,
    /// How long after the last extension a request extends again (`updateAge`, 1 day).
    pub(crate) update_age: Duration,
    /// How long after sign-in a session counts as fresh (`freshAge`, 1 day; zero: always).
    pub(crate) fresh_age: Duration,
    /// An end however often the session was extended (off by default).
    pub(crate) absolute_lifetime: Option<Duration>,
}

impl Default for SessionSettings {
    /// Better-Auth's defaults.
    fn default() -> Self {
        Self {
            expires_in: Duration::from_secs(7 * 24 * 60 * 60),
            update_age: Duration::from_secs(24 * 60 * 60),
            fresh_age: Duration::from_secs(24 * 60 * 60),
            absolute_lifetime: None,
        }
    }
}

/// When a session created `now` expires: after `expires_in`, or after one day for
/// `rememberMe: false`.
pub(crate) fn initial_expiry(
    settings: &SessionSettings,
    remember: bool,
    now: OffsetDateTime,
) -> OffsetDateTime {
    let lifetime = if remember {
        settings.expires_in
    } else {
        DONT_REMEMBER_LIFETIME
    };
    timestamp::add(now, lifetime)
}

/// Whether the session is over at `now`: past its expiry, or past the absolute lifetime.
pub(crate) fn is_over(settings: &SessionSettings, session: &Session, now: OffsetDateTime) -> bool {
    let expired = session.expires_at <= now;
    let past_absolute = settings
        .absolute_lifetime
        .is_some_and(|lifetime| timestamp::add(session.created_at, lifetime) <= now);
    expired || past_absolute
}

/// Better-Auth's rule: a live session slides forward once `expiresAt - expiresIn + updateAge`
/// has passed, that is at most once per `updateAge`.
pub(crate) fn refresh_due(
    settings: &SessionSettings,
    session: &Session,
    now: OffsetDateTime,
) -> bool {
    let last_extended = timestamp::sub(session.expires_at, settings.expires_in);
    timestamp::add(last_extended, settings.update_age) <= now
}

/// The expiry a session gets when it slides forward at `now`.
pub(crate) fn refreshed_expiry(settings: &SessionSettings, now: OffsetDateTime) -> OffsetDateTime {
    timestamp::add(now, settings.expires_in)
}

/// Whether the session was created within `freshAge` (zero: always fresh). Freshness counts
/// from sign-in, not from the last extension (transcript 46).
pub(crate) fn is_fresh(settings: &SessionSettings, session: &Session, now: OffsetDateTime) -> bool {
    settings.fresh_age.is_zero() || timestamp::add(session.created_at, settings.fresh_age) > now
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    fn at(iso: &str) -> OffsetDateTime {
        timestamp::parse_lenient(iso).unwrap()
    }

    fn session(created: &str, expires: &str) -> Session {
        Session {
            expires_at: at(expires),
            token: "t".repeat(32),
            created_at: at(created),
            updated_at: at(created),
            ip_address: None,
            user_agent: None,
            user_id: "u".into(),
            fields: crate::fields::Fields::new(),
            id: "s".into(),
        }
    }

    #[test]
    fn remember_me_false_lives_one_day_whatever_expires_in_is() {
        let settings = SessionSettings {
            expires_in: Duration::from_secs(30),
            ..SessionSettings::default()
        };
        let now = at("2026-11-23T22:21:31.692Z");
        assert_eq!(
            initial_expiry(&settings, false, now),
            at("2026-11-24T22:21:31.692Z")
        );
        assert_eq!(
            initial_expiry(&settings, true, now),
            at("2026-11-23T22:22:01.692Z")
        );
    }

    #[test]
    fn over_at_the_expiry_instant_and_past_the_absolute_lifetime() {
        let s = session("2026-11-01T00:00:00.000Z", "2026-11-08T00:00:00.000Z");
        let settings = SessionSettings::default();
        assert!(!is_over(&settings, &s, at("2026-11-07T23:59:59.999Z")));
        assert!(is_over(&settings, &s, at("2026-11-08T00:00:00.000Z")));
        let bounded = SessionSettings {
            absolute_lifetime: Some(3 * DAY),
            ..settings
        };
        assert!(!is_over(&bounded, &s, at("2026-11-03T23:59:59.999Z")));
        assert!(is_over(&bounded, &s, at("2026-11-04T00:00:00.000Z")));
    }

    /// Transcript 46's short variant: expiresIn 30 s, updateAge 5 s.
    #[test]
    fn refresh_falls_due_update_age_after_the_last_extension() {
        let settings = SessionSettings {
            expires_in: Duration::from_secs(30),
            update_age: Duration::from_secs(5),
            fresh_age: Duration::from_secs(10),
            absolute_lifetime: None,
        };
        let s = session("2026-11-23T22:21:31.539Z", "2026-11-23T22:22:01.539Z");
        assert!(!refresh_due(&settings, &s, at("2026-11-23T22:21:36.538Z")));
        assert!(refresh_due(&settings, &s, at("2026-11-23T22:21:37.427Z")));
        assert_eq!(
            refreshed_expiry(&settings, at("2026-11-23T22:21:37.427Z")),
            at("2026-11-23T22:22:07.427Z")
        );
        // A zero update age extends on every request.
        let always = SessionSettings {
            update_age: Duration::ZERO,
            ..settings
        };
        assert!(refresh_due(&always, &s, at("2026-11-23T22:21:31.539Z")));
    }

    #[test]
    fn freshness_counts_from_creation() {
        let settings = SessionSettings {
            fresh_age: Duration::from_secs(10),
            ..SessionSettings::default()
        };
        let s = session("2026-11-23T22:21:31.539Z", "2026-11-30T22:21:31.539Z");
        assert!(is_fresh(&settings, &s, at("2026-11-23T22:21:41.538Z")));
        assert!(!is_fresh(&settings, &s, at("2026-11-23T22:21:41.539Z")));
        let always = SessionSettings {
            fresh_age: Duration::ZERO,
            ..settings
        };
        assert!(is_fresh(&always, &s, at("2030-01-01T00:00:00.000Z")));
    }
}
