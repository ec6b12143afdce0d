//! Cookie names, reading the `Cookie` header, and writing `Set-Cookie` exactly as Better-Auth
//! does (attribute order included: `Max-Age`, `Path`, `HttpOnly`, `Secure`, `SameSite`).
//!
//! Values are read as better-call reads them: pairs split on `;`, the first occurrence of a
//! name wins, surrounding double quotes are stripped and a value containing `%` is
//! percent-decoded. Names are matched exactly (case-sensitively), so `__SeCuRe-` look-alikes
//! are ignored.
//!
//! Written here rather than with the `cookie` crate: its `Set-Cookie` serialisation orders the
//! attributes differently (`HttpOnly; SameSite=Lax; Path=/; Max-Age=...`) and its parser neither
//! strips quotes nor keeps the first of two same-named pairs, and byte-for-byte agreement with
//! Better-Auth is the point of this module.

use std::borrow::Cow;

use http::{HeaderMap, HeaderValue, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::config::CookieSettings;

/// What JavaScript's `encodeURIComponent` leaves alone: letters, digits and `-_.!~*'()`.
const URI_COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'!')
    .remove(b'~')
    .remove(b'*')
    .remove(b'\'')
    .remove(b'(')
    .remove(b')');

/// `encodeURIComponent`.
pub(crate) fn encode_uri_component(value: &str) -> String {
    utf8_percent_encode(value, URI_COMPONENT).to_string()
}

/// `decodeURIComponent` when the value contains `%`, keeping the value as it is when it does
/// not decode (better-call's `tryDecode`).
pub(crate) fn try_decode(value: &str) -> Cow<'_, str> {
    if !value.contains('%') {
        return Cow::Borrowed(value);
    }
    match percent_decode_str(value).decode_utf8() {
        Ok(decoded) => Cow::Owned(decoded.into_owned()),
        Err(_) => Cow::Borrowed(value),
    }
}

/// The names of the cookies authgate reads and writes.
#[derive(Debug, Clone)]
pub(crate) struct CookieNames {
    pub(crate) session_token: String,
    pub(crate) session_data: String,
    pub(crate) dont_remember: String,
    secure: bool,
}

impl CookieNames {
    pub(crate) fn new(settings: &CookieSettings) -> Self {
        let name = |key: &str| {
            let prefix = match (settings.host_prefix, settings.secure) {
                (true, _) => "__Host-",
                (false, true) => "__Secure-",
                (false, false) => "",
            };
            format!("{prefix}{}.{key}", settings.prefix)
        };
        Self {
            session_token: name("session_token"),
            session_data: name("session_data"),
            dont_remember: name("dont_remember"),
            secure: settings.secure,
        }
    }

    /// `name=value; [Max-Age=n; ]Path=/; HttpOnly; [Secure; ]SameSite=Lax`.
    fn set_cookie(&self, name: &str, value: &str, max_age: Option<u64>) -> HeaderValue {
        let mut cookie = format!("{name}={value}");
        if let Some(max_age) = max_age {
            cookie.push_str(&format!("; Max-Age={max_age}"));
        }
        cookie.push_str("; Path=/; HttpOnly");
        if self.secure {
            cookie.push_str("; Secure");
        }
        cookie.push_str("; SameSite=Lax");
        HeaderValue::try_from(cookie)
            .expect("cookie names and percent-encoded values are valid header text")
    }

    /// The session cookie carrying `signed` (`token.signature`), percent-encoded. `max_age` is
    /// `None` for a browser-session cookie (`rememberMe: false`).
    pub(crate) fn session_token_cookie(&self, signed: &str, max_age: Option<u64>) -> HeaderValue {
        self.set_cookie(&self.session_token, &encode_uri_component(signed), max_age)
    }

    /// The `dont_remember` marker: a browser-session cookie carrying `true`, signed.
    pub(crate) fn dont_remember_cookie(&self, signed_true: &str) -> HeaderValue {
        self.set_cookie(
            &self.dont_remember,
            &encode_uri_component(signed_true),
            None,
        )
    }

    /// Expires every auth cookie, in Better-Auth's order.
    pub(crate) fn cleared(&self) -> [HeaderValue; 3] {
        [
            self.set_cookie(&self.session_token, "", Some(0)),
            self.set_cookie(&self.session_data, "", Some(0)),
            self.set_cookie(&self.dont_remember, "", Some(0)),
        ]
    }

    /// Whether `headers` already set the session cookie (so a middleware must not override it).
    pub(crate) fn sets_session_cookie(&self, headers: &HeaderMap) -> bool {
        headers.get_all(header::SET_COOKIE).iter().any(|v| {
            v.as_bytes()
                .strip_prefix(self.session_token.as_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
    }
}

/// The value of cookie `name` in the request's `Cookie` header(s): the first occurrence wins.
pub(crate) fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            if key.trim() != name {
                return None;
            }
            let value = value.trim();
            let value = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .unwrap_or(value);
            Some(try_decode(value))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(secure: bool) -> CookieNames {
        CookieNames::new(&CookieSettings {
            prefix: "better-auth".into(),
            secure,
            host_prefix: false,
        })
    }

    fn cookie_header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, value.parse().unwrap());
        h
    }

    #[test]
    fn set_cookie_matches_better_auth_byte_for_byte() {
        let n = names(false);
        assert_eq!(
            n.session_token_cookie(
                "abc.R9kg7ZB4TcXq5jW/0IJPYS0F8J+aR/YDkN6HOtN+VGs=",
                Some(604800)
            ),
            "better-auth.session_token=abc.R9kg7ZB4TcXq5jW%2F0IJPYS0F8J%2BaR%2FYDkN6HOtN%2BVGs%3D; Max-Age=604800; Path=/; HttpOnly; SameSite=Lax"
        );
        assert_eq!(
            n.cleared()[1],
            "better-auth.session_data=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
        );
        let s = names(true);
        assert_eq!(
            s.session_token_cookie("a.b", Some(1)),
            "__Secure-better-auth.session_token=a.b; Max-Age=1; Path=/; HttpOnly; Secure; SameSite=Lax"
        );
    }

    #[test]
    fn reads_like_better_call() {
        let h = cookie_header(
            "foo=bar; better-auth.session_token=\"a.b%3D\"; better-auth.session_token=second",
        );
        assert_eq!(
            read(&h, "better-auth.session_token").as_deref(),
            Some("a.b=")
        );
        assert_eq!(read(&h, "foo").as_deref(), Some("bar"));
        assert_eq!(read(&h, "missing"), None);
        let h = cookie_header("__SeCuRe-better-auth.session_token=x");
        assert_eq!(read(&h, "__Secure-better-auth.session_token"), None);
        assert_eq!(try_decode("100%"), "100%");
    }

    #[test]
    fn encode_uri_component_like_javascript() {
        assert_eq!(
            encode_uri_component("a+b/c=d.e-f_g!h~i*j'k(l)m n"),
            "a%2Bb%2Fc%3Dd.e-f_g!h~i*j'k(l)m%20n"
        );
    }

    #[test]
    fn detects_a_session_cookie_already_set() {
        let n = names(false);
        let mut h = HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            "better-auth.session_token_other=x".parse().unwrap(),
        );
        assert!(!n.sets_session_cookie(&h));
        h.append(header::SET_COOKIE, n.cleared()[0].clone());
        assert!(n.sets_session_cookie(&h));
    }
}
