//! The metrics authgate records through the [`metrics`](https://docs.rs/metrics) facade, all
//! named `authgate_*`; without a recorder installed by the application they cost next to
//! nothing. Their names and labels are listed in one place here (README "Operations").

use std::time::Duration;

/// `authgate_sign_ups_total`, `authgate_sign_ins_total`, `authgate_sign_outs_total` (label
/// `outcome`: `success` or the error code) and `authgate_audit_events_total` (labels `event`,
/// `outcome`) for the other audited operations.
pub(crate) fn audited(event: &'static str, outcome: &str) {
    let outcome = outcome.to_owned();
    match event {
        "sign_up" => {
            metrics::counter!("authgate_sign_ups_total", "outcome" => outcome).increment(1)
        }
        "sign_in" => {
            metrics::counter!("authgate_sign_ins_total", "outcome" => outcome).increment(1)
        }
        "sign_out" => {
            metrics::counter!("authgate_sign_outs_total", "outcome" => outcome).increment(1)
        }
        _ => {
            metrics::counter!("authgate_audit_events_total", "event" => event, "outcome" => outcome)
                .increment(1)
        }
    }
}

/// What a session lookup found: `active`, `anonymous` (no credential or an unknown token),
/// `expired`, `bad_signature` (a session cookie that no configured secret signed) or
/// `database_error`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupOutcome {
    Active,
    Anonymous,
    Expired,
    BadSignature,
    DatabaseError,
}

/// `authgate_session_lookups_total{outcome}`.
pub(crate) fn session_lookup(outcome: LookupOutcome) {
    let outcome = match outcome {
        LookupOutcome::Active => "active",
        LookupOutcome::Anonymous => "anonymous",
        LookupOutcome::Expired => "expired",
        LookupOutcome::BadSignature => "bad_signature",
        LookupOutcome::DatabaseError => "database_error",
    };
    metrics::counter!("authgate_session_lookups_total", "outcome" => outcome).increment(1);
}

/// `authgate_session_refreshes_total`: sessions slid forward.
pub(crate) fn session_refreshed() {
    metrics::counter!("authgate_session_refreshes_total").increment(1);
}

/// `authgate_rate_limited_total{scope}`: requests refused by a rate limit (`address` or
/// `account`).
pub(crate) fn rate_limited(scope: &'static str) {
    metrics::counter!("authgate_rate_limited_total", "scope" => scope).increment(1);
}

/// `authgate_hash_queue_depth`: requests waiting for a hashing slot.
pub(crate) fn hash_queue_depth(depth: usize) {
    metrics::gauge!("authgate_hash_queue_depth").set(depth as f64);
}

/// `authgate_hash_wait_seconds`: how long a request waited for a hashing slot.
pub(crate) fn hash_waited(wait: Duration) {
    metrics::histogram!("authgate_hash_wait_seconds").record(wait.as_secs_f64());
}

/// `authgate_active_sessions`: sessions not expired, as last counted (by the health check, the
/// sign-in alert or the cleanup task).
pub(crate) fn active_sessions(count: u64) {
    metrics::gauge!("authgate_active_sessions").set(count as f64);
}

/// `authgate_alerts_total{alert}`: times an alert fired (`bad_signature`,
/// `sessions_not_growing`).
pub(crate) fn alert(alert: &'static str) {
    metrics::counter!("authgate_alerts_total", "alert" => alert).increment(1);
}

/// `authgate_cleanup_deleted_total{table}`: expired rows the cleanup deleted.
pub(crate) fn cleaned_up(table: &'static str, rows: u64) {
    metrics::counter!("authgate_cleanup_deleted_total", "table" => table).increment(rows);
}
