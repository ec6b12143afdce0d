//! Better-Auth's rate-limit algorithm on one counter, and the key a client is counted under.

use std::net::IpAddr;

use super::rules::Rule;

/// A check's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Decision {
    Allowed,
    /// Blocked; retry after this many seconds.
    Blocked(u64),
}

/// Better-Auth's rule on one counter: a new window once `window` has passed since the last
/// allowed request, else allowed while under `max`. Returns the decision and the new state.
///
/// A clock that went back more than a window before the last allowed request also starts a
/// new window, so that a jump back cannot hold a client blocked for days. (Smaller steps back
/// are the ordinary jitter of concurrent requests, which must still count.)
pub(crate) fn decide(count: u32, last_ms: i64, now_ms: i64, rule: Rule) -> (Decision, u32, i64) {
    let window_ms = window_ms(rule);
    let elapsed = now_ms.saturating_sub(last_ms);
    if elapsed >= window_ms || elapsed < -window_ms {
        return if rule.max() == 0 {
            (
                Decision::Blocked(retry_after(now_ms, now_ms, window_ms)),
                0,
                now_ms,
            )
        } else {
            (Decision::Allowed, 1, now_ms)
        };
    }
    if count >= rule.max() {
        return (
            Decision::Blocked(retry_after(last_ms, now_ms, window_ms)),
            count,
            last_ms,
        );
    }
    (Decision::Allowed, count + 1, now_ms)
}

/// The rule's window in milliseconds.
pub(crate) fn window_ms(rule: Rule) -> i64 {
    i64::try_from(rule.window().as_millis()).unwrap_or(i64::MAX)
}

/// Seconds until the window that started at `last_ms` ends, in `1..=window`.
pub(crate) fn retry_after(last_ms: i64, now_ms: i64, window_ms: i64) -> u64 {
    let remaining = last_ms
        .saturating_add(window_ms)
        .saturating_sub(now_ms)
        .clamp(0, window_ms);
    u64::try_from((remaining + 999) / 1000).unwrap_or(1).max(1)
}

/// The part of a client address a limit is keyed by: IPv4 as it is, IPv6 by its /64 (one
/// subscriber's whole range), unknown as one shared bucket (never unlimited).
pub(crate) fn client_key(ip: Option<IpAddr>) -> String {
    match ip {
        Some(IpAddr::V4(v4)) => v4.to_string(),
        Some(IpAddr::V6(v6)) => {
            let prefix = u128::from(v6) & (u128::MAX << 64);
            format!("{}/64", std::net::Ipv6Addr::from(prefix))
        }
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn the_window_counts_from_the_last_allowed_request() {
        let rule = Rule::new(3, Duration::from_secs(10));
        let (mut count, mut last) = (0, i64::MIN / 2);
        for now in [0, 1_000, 2_000] {
            let (decision, c, l) = decide(count, last, now, rule);
            assert_eq!(decision, Decision::Allowed);
            (count, last) = (c, l);
        }
        let (decision, c, l) = decide(count, last, 5_000, rule);
        assert_eq!(decision, Decision::Blocked(7));
        assert_eq!((c, l), (count, last), "a blocked request changes nothing");
        let (decision, c, _) = decide(count, last, 12_000, rule);
        assert_eq!((decision, c), (Decision::Allowed, 1));
    }

    #[test]
    fn a_clock_jump_never_blocks_for_longer_than_a_window() {
        let rule = Rule::new(1, Duration::from_secs(10));
        let day = 24 * 3_600_000;
        let (decision, count, last) = decide(0, i64::MIN / 2, 2 * day, rule);
        assert_eq!(decision, Decision::Allowed);
        let (decision, ..) = decide(count, last, 2 * day + 1_000, rule);
        assert_eq!(decision, Decision::Blocked(9));
        // The clock goes back two days: a new window, not two days of 429.
        let (decision, ..) = decide(count, last, 1_000, rule);
        assert_eq!(decision, Decision::Allowed);
    }

    #[test]
    fn keys() {
        assert_eq!(client_key(Some("192.0.2.1".parse().unwrap())), "192.0.2.1");
        let a = client_key(Some("2001:db8::1".parse().unwrap()));
        assert_eq!(a, "2001:db8::/64");
        assert_eq!(
            client_key(Some("2001:DB8:0:0:0:0:0:ffff".parse().unwrap())),
            a
        );
        assert_eq!(client_key(Some("2001:db8::abcd:1".parse().unwrap())), a);
        assert_ne!(client_key(Some("2001:db8:0:1::1".parse().unwrap())), a);
        assert_eq!(client_key(None), "unknown");
        assert_eq!(retry_after(0, 0, 10_000), 10);
        assert_eq!(retry_after(0, 9_999, 10_000), 1);
        assert_eq!(retry_after(0, 20_000, 10_000), 1);
    }
}
