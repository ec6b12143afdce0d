//! Instants as Better-Auth writes them: UTC with millisecond precision, serialised as
//! `YYYY-MM-DDTHH:MM:SS.sssZ` (JavaScript's `Date.prototype.toISOString`).

use std::time::Duration;

use time::format_description::FormatItem;
use time::macros::format_description;
use time::{OffsetDateTime, UtcOffset};

const ISO_MILLIS: &[FormatItem<'static>] =
    format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z");

/// The current instant, truncated to milliseconds (the precision every dialect stores).
pub(crate) fn now() -> OffsetDateTime {
    truncate(OffsetDateTime::now_utc())
}

/// Milliseconds since the Unix epoch of `t` (JavaScript's `getTime()`).
pub(crate) fn millis(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1_000_000) as i64
}

/// Milliseconds since the Unix epoch now (JavaScript's `Date.now()`).
pub(crate) fn now_ms() -> i64 {
    millis(OffsetDateTime::now_utc())
}

pub(crate) fn truncate(t: OffsetDateTime) -> OffsetDateTime {
    let millis = t.unix_timestamp_nanos() / 1_000_000;
    from_millis(millis as i64).unwrap_or(t)
}

pub(crate) fn from_millis(millis: i64) -> Option<OffsetDateTime> {
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(millis) * 1_000_000).ok()
}

pub(crate) fn add(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t + time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

pub(crate) fn sub(t: OffsetDateTime, d: Duration) -> OffsetDateTime {
    t - time::Duration::try_from(d).unwrap_or(time::Duration::MAX)
}

/// `2026-11-23T20:53:09.894Z`.
pub(crate) fn format_iso(t: OffsetDateTime) -> String {
    t.to_offset(UtcOffset::UTC)
        .format(ISO_MILLIS)
        .expect("every UTC instant in range formats")
}

/// Parses what Better-Auth and SQL defaults leave in text columns: RFC 3339 with or without a
/// fraction, `YYYY-MM-DD HH:MM:SS[.fff]` (taken as UTC), or epoch milliseconds.
pub(crate) fn parse_lenient(s: &str) -> Option<OffsetDateTime> {
    let s = s.trim();
    if let Ok(t) = OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339) {
        return Some(truncate(t));
    }
    if let Ok(t) = OffsetDateTime::parse(
        &format!("{}Z", s.replacen(' ', "T", 1)),
        &time::format_description::well_known::Rfc3339,
    ) {
        return Some(truncate(t));
    }
    s.parse::<i64>().ok().and_then(from_millis)
}

/// `#[serde(with = "crate::timestamp::iso")]` for Better-Auth's JSON dates.
pub(crate) mod iso {
    use serde::{Deserialize, Deserializer, Serializer};
    use time::OffsetDateTime;

    pub(crate) fn serialize<S: Serializer>(t: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&super::format_iso(*t))
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let s = String::deserialize(d)?;
        super::parse_lenient(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("not a date: {s:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_like_to_iso_string() {
        let t = parse_lenient("2026-11-23T20:53:09.894Z").unwrap();
        assert_eq!(format_iso(t), "2026-11-23T20:53:09.894Z");
        assert_eq!(
            format_iso(parse_lenient("2026-11-23T20:53:09Z").unwrap()),
            "2026-11-23T20:53:09.000Z"
        );
        assert_eq!(
            format_iso(parse_lenient("2026-11-23 20:53:09.5").unwrap()),
            "2026-11-23T20:53:09.500Z"
        );
        assert_eq!(
            format_iso(parse_lenient("1795471983748").unwrap()),
            "2026-11-23T22:13:03.748Z"
        );
        assert_eq!(
            format_iso(parse_lenient("2026-11-23T21:53:09.894123+01:00").unwrap()),
            "2026-11-23T20:53:09.894Z"
        );
        assert!(parse_lenient("yesterday").is_none());
    }

    #[test]
    fn now_has_millisecond_precision() {
        assert_eq!(now().nanosecond() % 1_000_000, 0);
    }
}
