//! Origin checks against cross-site request forgery, and the check that keeps redirect targets
//! (`callbackURL`) on trusted origins, as Better-Auth's origin-check middleware does.
//!
//! - A state-changing request that carries cookies must name a trusted origin in `Origin` (or
//!   `Referer`): 403 `MISSING_OR_NULL_ORIGIN` / `INVALID_ORIGIN` otherwise.
//! - Sign-in and sign-up (login CSRF) also check requests without cookies when a browser marks
//!   them (`Sec-Fetch-*`, `Origin`, `Referer`), and refuse cross-site navigations outright.

use http::HeaderMap;
use url::Url;

use crate::error::AuthError;

/// A header's value, ignoring blank ones (as Better-Auth does).
fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|v| !v.is_empty())
}

/// Whether `url`'s origin is one of the trusted origins.
fn is_trusted_origin(trusted: &[String], url: &str) -> bool {
    let Ok(url) = Url::parse(url) else {
        return false;
    };
    let origin = url.origin();
    origin.is_tuple() && trusted.contains(&origin.ascii_serialization())
}

/// Better-Auth's `validateOrigin`: `Origin`, else `Referer`, must be trusted.
fn validate_origin(trusted: &[String], headers: &HeaderMap) -> Result<(), AuthError> {
    let origin = header(headers, "origin").or_else(|| header(headers, "referer"));
    match origin {
        None | Some("null") => Err(AuthError::missing_or_null_origin()),
        Some(origin) if is_trusted_origin(trusted, origin) => Ok(()),
        Some(_) => Err(AuthError::invalid_origin()),
    }
}

/// For every state-changing request: when it carries cookies, its origin must be trusted.
/// Requests without cookies (server-to-server, bearer tokens) cannot ride on a victim's
/// session and are let through, as in Better-Auth.
pub(crate) fn check_request_origin(
    trusted: &[String],
    headers: &HeaderMap,
) -> Result<(), AuthError> {
    if headers.contains_key(http::header::COOKIE) {
        validate_origin(trusted, headers)
    } else {
        Ok(())
    }
}

/// Sign-in and sign-up: the login-CSRF rule of Better-Auth's `formCsrfMiddleware`, which runs
/// after body validation.
pub(crate) fn check_login_csrf(trusted: &[String], headers: &HeaderMap) -> Result<(), AuthError> {
    if headers.contains_key(http::header::COOKIE) {
        return validate_origin(trusted, headers);
    }
    let site = header(headers, "sec-fetch-site");
    let mode = header(headers, "sec-fetch-mode");
    let dest = header(headers, "sec-fetch-dest");
    if site.is_some() || mode.is_some() || dest.is_some() {
        if site == Some("cross-site") && mode == Some("navigate") {
            return Err(AuthError::cross_site_navigation_login_blocked());
        }
        return validate_origin(trusted, headers);
    }
    if header(headers, "origin").is_some() || header(headers, "referer").is_some() {
        return validate_origin(trusted, headers);
    }
    // No browser markers at all: a server or a script, not a forged form post.
    Ok(())
}

/// Whether `target` may be redirected to: one of the `trusted` origins, or a safe relative
/// path.
pub(crate) fn is_trusted_redirect(trusted: &[String], target: &str) -> bool {
    if target.starts_with('/') {
        return is_safe_relative_path(target);
    }
    is_trusted_origin(trusted, target)
}

/// Better-Auth's `isSafeRelativeURL`: one leading slash (never `//`), no backslash anywhere
/// (browsers read `/\` as `//`), no control characters, no encoded slash or backslash in the
/// path, and resolving it against a placeholder origin must stay on that origin. Stricter than
/// Better-Auth 1.7, no fragment either: a client-side router reads `/x#//evil.example` as a
/// destination of its own (the checklist's check 33, Better-Auth PR #10979).
fn is_safe_relative_path(target: &str) -> bool {
    if !target.starts_with('/')
        || target.starts_with("//")
        || target.contains('\\')
        || target.contains('#')
    {
        return false;
    }
    if target
        .chars()
        .any(|c| matches!(c, '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}'))
    {
        return false;
    }
    let path = target
        .split('?')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if path.contains("%2f") || path.contains("%5c") {
        return false;
    }
    let base = Url::parse("https://better-auth.invalid").expect("a valid placeholder origin");
    base.join(target)
        .is_ok_and(|resolved| resolved.origin() == base.origin())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn relative_paths() {
        for ok in [
            "/",
            "/dashboard",
            "/a/b-c_d.e+f@g",
            "/cb?x=1&y=%20z",
            "/?next=/home",
            "/a/../b",
        ] {
            assert!(is_safe_relative_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\\evil.example",
            "/%2fevil.example",
            "/x#//evil.example",
            "/a#frag",
            "/%2Fevil",
            "/%5Cevil",
            "/\tevil",
            "/a\u{7f}",
            "dashboard",
            " /dashboard",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad}");
        }
    }
}
