//! The auth cookies: their names and settings, reading them from `Cookie`, and
//! [`SessionCookies`], the one writer of every `Set-Cookie` authgate sends (with the
//! `set-auth-token` header and `Cache-Control: no-store` that go with them).
//!
//! Parsing and serialisation use the `cookie` crate. Values are read as better-call reads them:
//! the first occurrence of a name wins, surrounding double quotes are stripped and a value
//! containing `%` is percent-decoded (kept as it is when it does not decode). Names are matched
//! exactly (case-sensitively), so `__SeCuRe-` look-alikes are ignored. `Set-Cookie` carries
//! Better-Auth's attributes (`Max-Age`, `Path=/`, `HttpOnly`, `Secure` when secure,
//! `SameSite=Lax`), in the `cookie` crate's order; no client depends on the order.

use std::borrow::Cow;
use std::time::Duration;

use cookie::{Cookie, SameSite};
use http::{HeaderMap, HeaderValue, header};
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

use crate::crypto::signing;
use crate::secret::SecretRing;

/// Cookie naming and attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CookieSettings {
    /// `better-auth` by default: `better-auth.session_token`.
    pub(crate) prefix: String,
    /// `Secure` and the `__Secure-` name prefix.
    pub(crate) secure: bool,
    /// `__Host-` names (Secure, `Path=/`, never a `Domain`).
    pub(crate) host_prefix: bool,
    /// The `Domain` attribute, for sessions shared by subdomains (off by default).
    pub(crate) domain: Option<String>,
}

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
}

impl CookieNames {
    pub(crate) fn new(settings: &CookieSettings) -> Self {
        let prefix = match (settings.host_prefix, settings.secure) {
            (true, _) => "__Host-",
            (false, true) => "__Secure-",
            (false, false) => "",
        };
        let name = |key: &str| format!("{prefix}{}.{key}", settings.prefix);
        Self {
            session_token: name("session_token"),
            session_data: name("session_data"),
            dont_remember: name("dont_remember"),
        }
    }
}

/// The value of cookie `name` in the request's `Cookie` header(s): the first occurrence wins.
pub(crate) fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<Cow<'a, str>> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|cookie| cookie.name() == name)
        .map(|cookie| Cow::Owned(try_decode(cookie.value_trimmed()).into_owned()))
}

/// The cookie cache's value: `name` itself, else its chunks `name.0`, `name.1`, ... joined in
/// numeric order (as Better-Auth reads them); with it, every name of it the request carried.
pub(crate) fn read_chunked(headers: &HeaderMap, name: &str) -> (Option<String>, Vec<String>) {
    let mut whole = None;
    let mut parts: Vec<(usize, String)> = Vec::new();
    let mut names = Vec::new();
    let cookies = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(Cookie::split_parse)
        .filter_map(Result::ok);
    for cookie in cookies {
        let value = || try_decode(cookie.value_trimmed()).into_owned();
        if cookie.name() == name {
            if whole.is_none() {
                whole = Some(value());
                names.push(name.to_owned());
            }
        } else if let Some(index) = cookie
            .name()
            .strip_prefix(name)
            .and_then(|rest| rest.strip_prefix('.'))
            .filter(|i| !i.is_empty() && i.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|i| i.parse::<usize>().ok())
            .filter(|i| *i < 100)
            && !parts.iter().any(|(i, _)| *i == index)
        {
            parts.push((index, value()));
            names.push(cookie.name().to_owned());
        }
    }
    if whole.is_some() {
        return (whole, names);
    }
    parts.sort_by_key(|(i, _)| *i);
    let joined = (!parts.is_empty()).then(|| parts.into_iter().map(|(_, v)| v).collect());
    (joined, names)
}

/// Marks a response as not storable by any cache: it carries a session token, in a cookie or
/// in the body. Better-Auth adds `Pragma: no-cache` for HTTP/1.0 caches on get-session.
pub(crate) fn no_store(headers: &mut HeaderMap) {
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
}

/// `set-auth-token`: the header Better-Auth's `bearer` plugin names.
const AUTH_TOKEN_HEADER: &str = "set-auth-token";

/// Writes the session cookies: on sign-in, when a session slides forward, and on sign-out. It
/// knows the names, the `Secure` flag, the secret that signs and the session lifetime, and
/// whether to hand bearer clients the signed token in `set-auth-token`.
#[derive(Debug, Clone)]
pub(crate) struct SessionCookies {
    names: CookieNames,
    secure: bool,
    domain: Option<String>,
    secrets: SecretRing,
    session_lifetime: Duration,
    expose_token: bool,
}

impl SessionCookies {
    pub(crate) fn new(
        settings: &CookieSettings,
        secrets: SecretRing,
        session_lifetime: Duration,
        expose_token: bool,
    ) -> Self {
        Self {
            names: CookieNames::new(settings),
            secure: settings.secure,
            domain: settings.domain.clone(),
            secrets,
            session_lifetime,
            expose_token,
        }
    }

    pub(crate) fn names(&self) -> &CookieNames {
        &self.names
    }

    /// `token` signed with the current secret, as the cookie (percent-encoded) and the bearer
    /// header (as it is) carry it.
    pub(crate) fn sign(&self, token: &str) -> String {
        signing::sign(token, self.secrets.current())
    }

    fn set_cookie(&self, headers: &mut HeaderMap, name: &str, value: String, max_age: Option<u64>) {
        let value = HeaderValue::try_from(self.cookie_string(name, value, max_age))
            .expect("cookie names and percent-encoded values are valid header text");
        headers.append(header::SET_COOKIE, value);
    }

    fn cookie_string(&self, name: &str, value: String, max_age: Option<u64>) -> String {
        let mut cookie = Cookie::build((name, value))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax);
        if let Some(domain) = &self.domain {
            cookie = cookie.domain(domain.clone());
        }
        if let Some(seconds) = max_age {
            cookie = cookie.max_age(time::Duration::seconds(
                i64::try_from(seconds).unwrap_or(i64::MAX),
            ));
        }
        cookie.build().to_string()
    }

    /// Writes the cookie cache (`session_data`, chunked as Better-Auth chunks it above 4,050
    /// bytes) and expires the request's other `session_data` cookies (`present`); past 100
    /// chunks only the expiries are written.
    pub(crate) fn write_cookie_cache(
        &self,
        headers: &mut HeaderMap,
        value: &str,
        max_age: Option<u64>,
        present: &[String],
    ) {
        let name = &self.names.session_data;
        let overhead = self
            .cookie_string(&format!("{name}.99"), String::new(), max_age)
            .len();
        let parts = crate::session::cookie_cache::chunks(value, overhead).unwrap_or_default();
        let written: Vec<String> = parts
            .iter()
            .map(|(suffix, _)| format!("{name}{suffix}"))
            .collect();
        for old in present.iter().filter(|old| !written.contains(old)) {
            self.set_cookie(headers, old, String::new(), Some(0));
        }
        for (cookie_name, (_, part)) in written.iter().zip(parts) {
            self.set_cookie(headers, cookie_name, part.to_owned(), max_age);
        }
        uncacheable(headers);
    }

    /// Expires the request's `session_data` chunks (`name.0`, ...), which `clear` does not
    /// name.
    pub(crate) fn clear_cookie_cache_chunks(&self, headers: &mut HeaderMap, present: &[String]) {
        for old in present.iter().filter(|n| **n != self.names.session_data) {
            self.set_cookie(headers, old, String::new(), Some(0));
        }
    }

    /// Signs a client in with `token`: the session cookie (with `Max-Age`, or a browser-session
    /// cookie followed by the signed `dont_remember` marker when `remember` is false), the
    /// signed token in `set-auth-token` when enabled; the response becomes uncacheable.
    pub(crate) fn sign_in(&self, headers: &mut HeaderMap, token: &str, remember: bool) {
        self.write_session(headers, token, remember);
        uncacheable(headers);
    }

    fn write_session(&self, headers: &mut HeaderMap, token: &str, remember: bool) {
        let signed = self.sign(token);
        let max_age = remember.then_some(self.session_lifetime.as_secs());
        self.set_cookie(
            headers,
            &self.names.session_token,
            encode_uri_component(&signed),
            max_age,
        );
        if !remember {
            let marker = encode_uri_component(&self.sign("true"));
            self.set_cookie(headers, &self.names.dont_remember, marker, None);
        }
        if self.expose_token {
            expose_auth_token(headers, &signed);
        }
    }

    /// Re-sends the session cookie of a session that slid forward (a full `Max-Age` again).
    pub(crate) fn refresh(&self, headers: &mut HeaderMap, token: &str) {
        self.sign_in(headers, token, true);
    }

    /// Expires every auth cookie, in Better-Auth's order.
    pub(crate) fn clear(&self, headers: &mut HeaderMap) {
        for name in [
            &self.names.session_token,
            &self.names.session_data,
            &self.names.dont_remember,
        ] {
            self.set_cookie(headers, name, String::new(), Some(0));
        }
        uncacheable(headers);
    }

    /// Whether `headers` already set the session cookie (so a middleware must not override it).
    pub(crate) fn sets_session_cookie(&self, headers: &HeaderMap) -> bool {
        headers.get_all(header::SET_COOKIE).iter().any(|v| {
            v.as_bytes()
                .strip_prefix(self.names.session_token.as_bytes())
                .is_some_and(|rest| rest.first() == Some(&b'='))
        })
    }
}

/// A response that sets a session cookie must never be stored by a shared cache (which would
/// hand the cookie to the next client): unless the handler made it private or unstorable
/// already, it becomes `no-store`.
fn uncacheable(headers: &mut HeaderMap) {
    let private = headers
        .get_all(header::CACHE_CONTROL)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|d| {
            let d = d.trim();
            d.eq_ignore_ascii_case("no-store") || d.eq_ignore_ascii_case("private")
        });
    if !private {
        no_store(headers);
    }
}

/// `set-auth-token: <token.signature>`, readable by scripts across origins (Better-Auth's
/// `bearer` plugin).
fn expose_auth_token(headers: &mut HeaderMap, signed: &str) {
    let Ok(value) = HeaderValue::try_from(signed) else {
        return;
    };
    headers.insert(AUTH_TOKEN_HEADER, value);
    let exposed = headers
        .get(header::ACCESS_CONTROL_EXPOSE_HEADERS)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty())
        .map(|v| {
            if v.split(',')
                .any(|h| h.trim().eq_ignore_ascii_case(AUTH_TOKEN_HEADER))
            {
                v.to_owned()
            } else {
                format!("{v}, {AUTH_TOKEN_HEADER}")
            }
        })
        .unwrap_or_else(|| AUTH_TOKEN_HEADER.to_owned());
    if let Ok(value) = HeaderValue::try_from(exposed) {
        headers.insert(header::ACCESS_CONTROL_EXPOSE_HEADERS, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn settings(secure: bool) -> CookieSettings {
        CookieSettings {
            prefix: "better-auth".into(),
            secure,
            host_prefix: false,
            domain: None,
        }
    }

    fn writer(secure: bool) -> SessionCookies {
        SessionCookies::new(
            &settings(secure),
            SecretRing::new_unchecked(vec!["s".into()]),
            Duration::from_secs(604_800),
            false,
        )
    }

    fn cookie_header(value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, value.parse().unwrap());
        h
    }

    /// A `Set-Cookie` value as its name=value pair and its set of attributes.
    fn parts(value: &HeaderValue) -> (String, BTreeSet<String>) {
        let mut pieces = value.to_str().unwrap().split("; ");
        let pair = pieces.next().unwrap().to_owned();
        (pair, pieces.map(str::to_owned).collect())
    }

    fn set(attributes: &[&str]) -> BTreeSet<String> {
        attributes.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn set_cookie_carries_better_auths_name_value_and_attributes() {
        let mut h = HeaderMap::new();
        writer(false).sign_in(&mut h, "abc", true);
        let cookies: Vec<_> = h.get_all(header::SET_COOKIE).iter().collect();
        assert_eq!(cookies.len(), 1);
        // The signature of "abc" with secret "s", from Better-Auth's wire description.
        assert_eq!(
            parts(cookies[0]),
            (
                "better-auth.session_token=abc.R9kg7ZB4TcXq5jW%2F0IJPYS0F8J%2BaR%2FYDkN6HOtN%2BVGs%3D"
                    .to_owned(),
                set(&["Max-Age=604800", "Path=/", "HttpOnly", "SameSite=Lax"])
            )
        );
        assert_eq!(h[header::CACHE_CONTROL], "no-store");
        assert!(h.get(AUTH_TOKEN_HEADER).is_none());

        let mut h = HeaderMap::new();
        writer(true).clear(&mut h);
        let cleared: Vec<_> = h.get_all(header::SET_COOKIE).iter().map(parts).collect();
        assert_eq!(
            cleared[1],
            (
                "__Secure-better-auth.session_data=".to_owned(),
                set(&["Max-Age=0", "Path=/", "HttpOnly", "Secure", "SameSite=Lax"])
            )
        );
        assert_eq!(cleared.len(), 3);
    }

    #[test]
    fn a_browser_session_gets_the_signed_marker_and_no_max_age() {
        let mut h = HeaderMap::new();
        writer(false).sign_in(&mut h, "abc", false);
        let cookies: Vec<_> = h.get_all(header::SET_COOKIE).iter().map(parts).collect();
        assert_eq!(cookies[0].1, set(&["Path=/", "HttpOnly", "SameSite=Lax"]));
        assert_eq!(
            cookies[1].0,
            "better-auth.dont_remember=true.1nbXs1XbeaLy0AQsZhlm2yy9N7eJfBu7wS3jRxjnVXs%3D"
        );
    }

    #[test]
    fn the_token_header_is_exposed_once() {
        let w = SessionCookies::new(
            &settings(false),
            SecretRing::new_unchecked(vec!["s".into()]),
            Duration::from_secs(60),
            true,
        );
        let mut h = HeaderMap::new();
        h.insert(
            header::ACCESS_CONTROL_EXPOSE_HEADERS,
            HeaderValue::from_static("x-request-id"),
        );
        w.sign_in(&mut h, "abc", true);
        w.refresh(&mut h, "abc");
        assert_eq!(
            h[AUTH_TOKEN_HEADER],
            "abc.R9kg7ZB4TcXq5jW/0IJPYS0F8J+aR/YDkN6HOtN+VGs="
        );
        assert_eq!(
            h[header::ACCESS_CONTROL_EXPOSE_HEADERS],
            "x-request-id, set-auth-token"
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
        // Undecodable values are kept as they are; pairs without `=` are skipped.
        let h = cookie_header("junk; a=100%; b=%E0%A4%A");
        assert_eq!(read(&h, "a").as_deref(), Some("100%"));
        assert_eq!(read(&h, "b").as_deref(), Some("%E0%A4%A"));
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
        let w = writer(false);
        let mut h = HeaderMap::new();
        h.append(
            header::SET_COOKIE,
            "better-auth.session_token_other=x".parse().unwrap(),
        );
        assert!(!w.sets_session_cookie(&h));
        w.clear(&mut h);
        assert!(w.sets_session_cookie(&h));
    }
}
