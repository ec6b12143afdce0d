//! A small HTTP/1.1 client over hyper for tests: exact control of every request header (no
//! defaults added besides `Host`), and a cookie jar that follows `Set-Cookie`.

use std::collections::BTreeMap;
use std::net::SocketAddr;

use bytes::Bytes;
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper_util::rt::TokioIo;

#[derive(Clone, Debug)]
pub struct Client {
    addr: SocketAddr,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Self {
        Self { addr }
    }

    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        RequestBuilder {
            addr: self.addr,
            method,
            path: path.to_owned(),
            headers: HeaderMap::new(),
            body: Bytes::new(),
        }
    }

    pub fn get(&self, path: &str) -> RequestBuilder {
        self.request(Method::GET, path)
    }

    pub fn post(&self, path: &str) -> RequestBuilder {
        self.request(Method::POST, path)
    }
}

pub struct RequestBuilder {
    addr: SocketAddr,
    method: Method,
    path: String,
    headers: HeaderMap,
    body: Bytes,
}

impl RequestBuilder {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_str(value).unwrap(),
        );
        self
    }

    /// A header whose value is raw bytes (not necessarily UTF-8).
    pub fn header_bytes(mut self, name: &str, value: &[u8]) -> Self {
        self.headers.append(
            HeaderName::from_bytes(name.as_bytes()).unwrap(),
            HeaderValue::from_bytes(value).unwrap(),
        );
        self
    }

    pub fn json(mut self, value: &serde_json::Value) -> Self {
        self.headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        self.body(serde_json::to_vec(value).unwrap())
    }

    pub fn body(mut self, body: impl Into<Bytes>) -> Self {
        self.body = body.into();
        self
    }

    /// A browser-like state-changing request from the trusted front-end.
    pub fn with_frontend_origin(self) -> Self {
        self.header("origin", super::FRONTEND)
    }

    pub async fn send(self) -> TestResponse {
        let addr = self.addr;
        let mut request = Request::builder()
            .method(self.method)
            .uri(&self.path)
            .body(Full::new(self.body))
            .unwrap();
        *request.headers_mut() = self.headers;
        request.headers_mut().insert(
            header::HOST,
            HeaderValue::from_str(&addr.to_string()).unwrap(),
        );
        let stream = tokio::net::TcpStream::connect(addr)
            .await
            .expect("test server reachable");
        let (mut sender, connection) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .unwrap();
        tokio::spawn(connection);
        let response = sender.send_request(request).await.expect("a response");
        let (parts, body) = response.into_parts();
        let body = body.collect().await.expect("a complete body").to_bytes();
        TestResponse {
            status: parts.status,
            headers: parts.headers,
            body,
        }
    }

    /// Sends the jar's cookies and stores what the response sets.
    pub async fn send_with(self, jar: &mut Jar) -> TestResponse {
        let request = match jar.header() {
            Some(cookies) => self.header("cookie", &cookies),
            None => self,
        };
        let response = request.send().await;
        jar.store(&response.headers);
        response
    }
}

#[derive(Debug)]
pub struct TestResponse {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl TestResponse {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    pub fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .map(|v| v.to_str().unwrap().to_owned())
            .collect()
    }

    /// `{"message","code"}` error body: returns the code.
    pub fn error_code(&self) -> String {
        let body = self.json();
        assert!(
            body["message"].is_string(),
            "error without a message: {body}"
        );
        body["code"]
            .as_str()
            .unwrap_or_else(|| panic!("error without a code: {body}"))
            .to_owned()
    }
}

/// A `Set-Cookie` value as what a client reads from it: the `name=value` pair and the set of
/// attributes. No client depends on the order of the attributes, so tests compare these.
pub fn cookie_parts(set_cookie: &str) -> (String, std::collections::BTreeSet<String>) {
    let mut pieces = set_cookie.split(';').map(str::trim);
    let pair = pieces.next().unwrap_or_default().to_owned();
    (
        pair,
        pieces
            .filter(|a| !a.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// Asserts that two `Set-Cookie` values carry the same pair and attributes, in any order.
#[track_caller]
pub fn assert_same_cookie(actual: &str, expected: &str) {
    assert_eq!(
        cookie_parts(actual),
        cookie_parts(expected),
        "Set-Cookie {actual:?} is not {expected:?} (attribute order aside)"
    );
}

/// Asserts `assert_same_cookie` for each of a list, in order.
#[track_caller]
pub fn assert_same_cookies<A: AsRef<str>, E: AsRef<str>>(actual: &[A], expected: &[E]) {
    assert_eq!(actual.len(), expected.len(), "number of Set-Cookie headers");
    for (actual, expected) in actual.iter().zip(expected) {
        assert_same_cookie(actual.as_ref(), expected.as_ref());
    }
}

/// Whether a `Set-Cookie` value expires the cookie `name` (`name=` with `Max-Age=0`).
pub fn clears(set_cookie: &str, name: &str) -> bool {
    let (pair, attributes) = cookie_parts(set_cookie);
    pair == format!("{name}=") && attributes.contains("Max-Age=0")
}

/// Cookies by name, as a browser keeps them for one site (Max-Age=0 deletes).
#[derive(Debug, Clone, Default)]
pub struct Jar {
    pub cookies: BTreeMap<String, String>,
}

impl Jar {
    pub fn header(&self) -> Option<String> {
        (!self.cookies.is_empty()).then(|| {
            self.cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect::<Vec<_>>()
                .join("; ")
        })
    }

    pub fn store(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(header::SET_COOKIE) {
            let value = value.to_str().unwrap();
            let (pair, attributes) = value.split_once(';').unwrap_or((value, ""));
            let (name, cookie) = pair.split_once('=').unwrap();
            let expired = attributes
                .split(';')
                .any(|a| a.trim().eq_ignore_ascii_case("max-age=0"));
            if expired {
                self.cookies.remove(name.trim());
            } else {
                self.cookies
                    .insert(name.trim().to_owned(), cookie.trim().to_owned());
            }
        }
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.cookies.get(name).map(String::as_str)
    }

    pub fn session_cookie(&self) -> &str {
        self.get("better-auth.session_token")
            .expect("a session cookie in the jar")
    }

    /// The raw session token behind the cookie.
    pub fn session_token(&self) -> String {
        let decoded = percent_decode(self.session_cookie());
        decoded.rsplit_once('.').unwrap().0.to_owned()
    }
}

pub fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && i + 2 < bytes.len()
            && let Ok(byte) = u8::from_str_radix(&s[i + 1..i + 3], 16)
        {
            out.push(byte);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap()
}
