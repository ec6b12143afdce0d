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
    // Judged as a browser or a client-side router resolves it: `/.//evil.example` and
    // `/x/../..//evil.example` become `//evil.example`, a network-path reference.
    if resolved_path(&path).starts_with("//") {
        return false;
    }
    let base = Url::parse("https://better-auth.invalid").expect("a valid placeholder origin");
    base.join(target)
        .is_ok_and(|resolved| resolved.origin() == base.origin())
}

/// The path of a relative target as browsers resolve it: backslashes read as slashes,
/// percent-encoded dots as dots (so that `%2e%2e` is `..`), then RFC 3986's
/// `remove_dot_segments` (section 5.2.4).
pub(crate) fn resolved_path(path: &str) -> String {
    let decoded = path
        .replace('\\', "/")
        .replace("%2e", ".")
        .replace("%2E", ".");
    remove_dot_segments(&decoded)
}

/// RFC 3986, section 5.2.4, step by step on the input buffer.
fn remove_dot_segments(path: &str) -> String {
    let mut input = path;
    let mut output = String::with_capacity(path.len());
    while !input.is_empty() {
        if let Some(rest) = input
            .strip_prefix("../")
            .or_else(|| input.strip_prefix("./"))
        {
            // A: a leading `../` or `./` is dropped.
            input = rest;
        } else if input.starts_with("/./") {
            // B: `/./` becomes `/`.
            input = &input[2..];
        } else if input == "/." {
            // B, at the end: `/.` becomes `/`, the last segment.
            output.push('/');
            break;
        } else if input.starts_with("/../") || input == "/.." {
            // C: `/../` becomes `/`, and the last output segment goes.
            let last = output.rfind('/').unwrap_or(0);
            output.truncate(last);
            if input == "/.." {
                output.push('/');
                break;
            }
            input = &input[3..];
        } else if input == "." || input == ".." {
            // D: a lone `.` or `..` is dropped.
            break;
        } else {
            // E: the first segment (with its leading `/`, up to the next `/`) moves over.
            let start = usize::from(input.starts_with('/'));
            let end = input[start..].find('/').map_or(input.len(), |i| i + start);
            output.push_str(&input[..end]);
            input = &input[end..];
        }
    }
    output
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
            "/dashboard/../settings",
            "/a/./b/",
            "/..",
            "/.",
            "/x/..",
            "/%2e%2e/admin",
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
            "/.//evil.example",
            "/x/../..//evil.example",
            "/%2e//evil.example",
            "/%2E//evil.example",
            "/./\\evil.example",
            "/..//evil.example",
            "/a/b/../../..//evil.example",
            "/%2e%2e//evil.example",
            "/.%2e//evil.example",
            "/x/%2e%2e/%2e%2e//evil.example?next=/",
            "/././/evil.example",
        ] {
            assert!(!is_safe_relative_path(bad), "{bad}");
        }
    }

    #[test]
    fn dot_segments_are_removed_as_rfc_3986_does() {
        // RFC 3986 section 5.2.4's examples, and the section 5.4 results on absolute paths.
        for (input, expected) in [
            ("/a/b/c/./../../g", "/a/g"),
            ("mid/content=5/../6", "mid/6"),
            ("/b/c/./g", "/b/c/g"),
            ("/b/c/../g", "/b/g"),
            ("/b/c/../..", "/"),
            ("/b/c/../../../g", "/g"),
            ("/./g", "/g"),
            ("/../g", "/g"),
            ("/b/c/g.", "/b/c/g."),
            ("/b/c/.g", "/b/c/.g"),
            ("/b/c/g..", "/b/c/g.."),
            ("/b/c/./../g", "/b/g"),
            ("/b/c/./g/.", "/b/c/g/"),
            ("/b/c/g/./h", "/b/c/g/h"),
            ("/b/c/g/../h", "/b/c/h"),
            ("/.//evil", "//evil"),
            ("/x/../..//evil", "//evil"),
            ("", ""),
            ("/", "/"),
        ] {
            assert_eq!(remove_dot_segments(input), expected, "{input}");
        }
        assert_eq!(resolved_path("/%2e%2E/x"), "/x");
        assert_eq!(resolved_path("/.\\\\evil"), "//evil");
    }
}
