//! The incident's signature, watched in the library: session cookies that no configured secret
//! signed (instances with different secrets, or a secret that changed), and sign-ins that
//! succeed while the number of active sessions does not grow (sessions not persisted where the
//! instances read them). Each fires a warning on the `authgate::alert` target, at most once per
//! window, and counts `authgate_alerts_total{alert}`.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::telemetry;

/// Cookie-bearing requests a window needs before its share of bad signatures means anything.
pub(crate) const MIN_COOKIE_REQUESTS: u64 = 20;
/// Successful sign-ins a window needs before the session count is compared.
pub(crate) const MIN_SIGN_INS: u64 = 20;
/// After this many windows without enough sign-ins, the sign-in window starts again.
const STALE_WINDOWS: u32 = 10;

#[derive(Debug, Default)]
struct SignatureWindow {
    started: Option<Instant>,
    cookies: u64,
    bad: u64,
    fired: bool,
}

#[derive(Debug, Default)]
struct SignInWindow {
    started: Option<Instant>,
    /// Active sessions when the window started (`None` until counted, or when counting failed).
    baseline: Option<u64>,
    sign_ins: u64,
}

/// What the caller of [`Alerts::signed_in`] must do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SignInStep {
    Nothing,
    /// Count the active sessions and hand them to [`Alerts::set_baseline`].
    CountBaseline,
    /// Count the active sessions and hand them to [`Alerts::compare`].
    Compare {
        baseline: u64,
        sign_ins: u64,
    },
}

/// The alerts of one `Auth`.
#[derive(Debug)]
pub(crate) struct Alerts {
    window: Duration,
    signatures: Mutex<SignatureWindow>,
    sign_ins: Mutex<SignInWindow>,
}

impl Alerts {
    pub(crate) fn new(window: Duration) -> Self {
        Self {
            window,
            signatures: Mutex::default(),
            sign_ins: Mutex::default(),
        }
    }

    /// A request carried a session cookie; `signed` tells whether a configured secret signed it.
    pub(crate) fn cookie_seen(&self, signed: bool) {
        let mut w = self.signatures.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if w.started
            .is_none_or(|at| now.duration_since(at) >= self.window)
        {
            *w = SignatureWindow {
                started: Some(now),
                ..SignatureWindow::default()
            };
        }
        w.cookies += 1;
        if !signed {
            w.bad += 1;
        }
        if !w.fired && w.cookies >= MIN_COOKIE_REQUESTS && w.bad * 2 > w.cookies {
            w.fired = true;
            telemetry::alert("bad_signature");
            tracing::warn!(
                target: "authgate::alert",
                alert = "bad_signature",
                bad = w.bad,
                requests = w.cookies,
                window_seconds = self.window.as_secs(),
                "session cookies are signed with another secret: {} of {} cookie-bearing requests \
                 in the last {} s failed their signature check. Is the same BETTER_AUTH_SECRET set \
                 on every instance?",
                w.bad,
                w.cookies,
                self.window.as_secs()
            );
        }
    }

    /// A sign-in succeeded.
    pub(crate) fn signed_in(&self) -> SignInStep {
        let mut w = self.sign_ins.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        let Some(started) = w.started else {
            *w = SignInWindow {
                started: Some(now),
                baseline: None,
                sign_ins: 1,
            };
            return SignInStep::CountBaseline;
        };
        w.sign_ins += 1;
        let elapsed = now.duration_since(started);
        if elapsed < self.window || w.sign_ins < MIN_SIGN_INS {
            // A window with too few sign-ins for too long starts again, so that sessions
            // expiring over a long quiet spell do not read as "not growing".
            if elapsed >= self.window * STALE_WINDOWS {
                *w = SignInWindow::default();
            }
            return SignInStep::Nothing;
        }
        let baseline = w.baseline;
        let sign_ins = w.sign_ins;
        // A new window starts with the next sign-in.
        *w = SignInWindow::default();
        match baseline {
            Some(baseline) => SignInStep::Compare { baseline, sign_ins },
            None => SignInStep::Nothing,
        }
    }

    pub(crate) fn set_baseline(&self, active: u64) {
        let mut w = self.sign_ins.lock().unwrap_or_else(|e| e.into_inner());
        if w.started.is_some() && w.baseline.is_none() {
            w.baseline = Some(active);
        }
    }

    /// Warns when `sign_ins` succeeded while the active sessions went from `baseline` to no more
    /// than `active`.
    pub(crate) fn compare(&self, baseline: u64, active: u64, sign_ins: u64) {
        if active > baseline {
            return;
        }
        telemetry::alert("sessions_not_growing");
        tracing::warn!(
            target: "authgate::alert",
            alert = "sessions_not_growing",
            sign_ins,
            before = baseline,
            after = active,
            "{sign_ins} sign-ins succeeded but the number of active sessions did not grow \
             ({baseline} -> {active}): are sessions persisted in the database every instance \
             reads (not a replica, another database, or a job deleting live sessions)?"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sign_in_windows() {
        let alerts = Alerts::new(Duration::from_secs(3600));
        assert_eq!(alerts.signed_in(), SignInStep::CountBaseline);
        alerts.set_baseline(4);
        for _ in 0..30 {
            assert_eq!(
                alerts.signed_in(),
                SignInStep::Nothing,
                "the window is open"
            );
        }
        let alerts = Alerts::new(Duration::from_secs(1));
        assert_eq!(alerts.signed_in(), SignInStep::CountBaseline);
        alerts.set_baseline(4);
        *alerts.sign_ins.lock().unwrap() = SignInWindow {
            started: Some(Instant::now() - Duration::from_secs(2)),
            baseline: Some(4),
            sign_ins: 25,
        };
        assert_eq!(
            alerts.signed_in(),
            SignInStep::Compare {
                baseline: 4,
                sign_ins: 26
            }
        );
        assert_eq!(alerts.signed_in(), SignInStep::CountBaseline);
    }
}
