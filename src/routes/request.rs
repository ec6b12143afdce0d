//! Reading an auth request: the body (size-capped, JSON or form, with Better-Auth's media-type
//! rules, JSON parsed strictly), the query string, the origin and redirect checks every
//! state-changing endpoint starts with, and the request's session.

use std::net::IpAddr;
use std::sync::Arc;

use axum::body::Body;
use axum::extract::FromRequest;
use bytes::Bytes;
use http::{HeaderMap, Request, header};
use serde_json::{Map, Value};

use super::fields::is_truthy;
use crate::api::sessions::RequestMeta;
use crate::core::Core;
use crate::error::AuthError;
use crate::hooks::{HookContext, Operation};
use crate::model::SessionWithUser;
use crate::session::extract;
use crate::session::lookup::{Outcome, Refresh, SessionLookup};
use crate::{client_ip, origin};

/// Which content types an endpoint reads besides JSON.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Forms {
    /// `application/json` only (Better-Auth's router default).
    Refused,
    /// Also `application/x-www-form-urlencoded` (sign-in and sign-up, for plain HTML forms).
    Accepted,
}

/// An auth endpoint's request, read up front.
pub(crate) struct AuthRequest {
    pub(crate) headers: HeaderMap,
    query: Option<String>,
    body: Bytes,
    peer: Option<IpAddr>,
    pub(crate) lookup: Arc<SessionLookup>,
}

impl FromRequest<Arc<Core>> for AuthRequest {
    type Rejection = AuthError;

    async fn from_request(
        request: Request<Body>,
        core: &Arc<Core>,
    ) -> Result<Self, Self::Rejection> {
        let limit = core.config.max_body_bytes;
        let (parts, body) = request.into_parts();
        let declared = parts
            .headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|len| len > limit as u64) {
            return Err(AuthError::payload_too_large());
        }
        let body = axum::body::to_bytes(body, limit).await.map_err(|err| {
            if err
                .into_inner()
                .downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                AuthError::payload_too_large()
            } else {
                // The client stopped sending or sent broken framing.
                AuthError::unreadable_body()
            }
        })?;
        let lookup = extract::lookup(&parts).map_err(|r| r.into_error())?.clone();
        Ok(Self {
            query: parts.uri.query().map(str::to_owned),
            peer: client_ip::peer_ip(&parts.extensions),
            headers: parts.headers,
            body,
            lookup,
        })
    }
}

impl AuthRequest {
    /// The body as Better-Auth parses it; see [`parse_body`].
    pub(crate) fn body(&self, forms: Forms) -> Result<Option<Value>, AuthError> {
        parse_body(&self.headers, &self.body, forms)
    }

    /// A query parameter (the first occurrence).
    pub(crate) fn query(&self, name: &str) -> Option<String> {
        form_urlencoded::parse(self.query.as_deref()?.as_bytes())
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.into_owned())
    }

    /// The context the database hooks of `operation` see: the endpoint, this request's
    /// headers, and the caller's session when known.
    pub(crate) fn hook_context(
        &self,
        operation: Operation,
        path: &'static str,
        session: Option<Arc<SessionWithUser>>,
    ) -> HookContext {
        HookContext::http(operation, path, &self.headers, session)
    }

    /// The client address and user agent, for a new session row.
    pub(crate) fn meta(&self, core: &Core) -> RequestMeta {
        RequestMeta {
            ip_address: core
                .config
                .trusted_proxies
                .client_ip(&self.headers, self.peer)
                .map(|ip| ip.to_string())
                .unwrap_or_default(),
            user_agent: self
                .headers
                .get(header::USER_AGENT)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned(),
        }
    }
}

/// What every state-changing endpoint does first, in Better-Auth's order: read the body (415,
/// 400), check the origin of cookie-carrying requests (403), and check that any redirect
/// target in the body or query is trusted (403). Body validation comes after.
pub(crate) fn prepare(
    core: &Core,
    request: &AuthRequest,
    forms: Forms,
) -> Result<Option<Value>, AuthError> {
    let body = request.body(forms)?;
    let trusted = &core.config.trusted_origins;
    origin::check_request_origin(trusted, &request.headers)?;
    check_redirect_targets(trusted, request, body.as_ref())?;
    Ok(body)
}

/// What a `GET` endpoint with a redirect target checks first: that `callbackURL` in the query
/// is trusted (403). No origin check: a `GET` changes nothing a forged request could use.
pub(crate) fn check_query_redirect(core: &Core, request: &AuthRequest) -> Result<(), AuthError> {
    check_redirect_targets(&core.config.trusted_origins, request, None)
}

/// The request's session when it has one (503 when the database cannot say).
pub(crate) async fn optional_session(
    request: &AuthRequest,
) -> Result<Option<Arc<SessionWithUser>>, AuthError> {
    match request.lookup.resolve(Refresh::Allowed).await {
        Outcome::Active(found) => Ok(Some(found)),
        Outcome::Anonymous => Ok(None),
        Outcome::Failed(err) => Err(err),
    }
}

/// The request's session, or 401 (503 when the database cannot say).
pub(crate) async fn require_session(
    request: &AuthRequest,
) -> Result<Arc<SessionWithUser>, AuthError> {
    match request.lookup.resolve(Refresh::Allowed).await {
        Outcome::Active(found) => Ok(found),
        Outcome::Anonymous => Err(request.lookup.anonymous_error()),
        Outcome::Failed(err) => Err(err),
    }
}

/// `callbackURL` (body, else query) and its siblings must point at a trusted origin or be a
/// safe relative path. Empty and other falsy values are left to body validation.
fn check_redirect_targets(
    trusted: &[String],
    request: &AuthRequest,
    body: Option<&Value>,
) -> Result<(), AuthError> {
    let field = |name: &str| {
        body.and_then(|b| b.get(name))
            .filter(|v| is_truthy(v))
            .cloned()
    };
    let targets = [
        (
            "callbackURL",
            field("callbackURL").or_else(|| {
                request
                    .query("callbackURL")
                    .filter(|q| !q.is_empty())
                    .map(Value::String)
            }),
            AuthError::invalid_callback_url as fn() -> AuthError,
        ),
        (
            "redirectTo",
            field("redirectTo"),
            AuthError::invalid_redirect_url,
        ),
        (
            "errorCallbackURL",
            field("errorCallbackURL"),
            AuthError::invalid_error_callback_url,
        ),
        (
            "newUserCallbackURL",
            field("newUserCallbackURL"),
            AuthError::invalid_new_user_callback_url,
        ),
    ];
    for (name, value, refusal) in targets {
        match value {
            None => {}
            Some(Value::String(target)) if origin::is_trusted_redirect(trusted, &target) => {}
            Some(Value::String(_)) => return Err(refusal()),
            Some(_) => {
                return Err(AuthError::validation(format!(
                    "Invalid {name}: expected a string"
                )));
            }
        }
    }
    Ok(())
}

/// The body as Better-Auth parses it: `None` when there is none (or no `Content-Type`);
/// 415 for a type the endpoint does not read; 400 for malformed JSON.
pub(crate) fn parse_body(
    headers: &HeaderMap,
    body: &[u8],
    forms: Forms,
) -> Result<Option<Value>, AuthError> {
    if body.is_empty() {
        return Ok(None);
    }
    let Some(content_type) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok(None);
    };
    let media_type = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    if media_type.is_empty() {
        return Ok(None);
    }
    if media_type.contains("application/json") {
        return match serde_json::from_slice::<strict_json::Strict>(body) {
            Ok(strict_json::Strict(value)) => Ok(Some(value)),
            Err(err) if err.to_string().starts_with(strict_json::DUPLICATE_KEY) => {
                Err(AuthError::duplicate_json_key())
            }
            Err(_) => Err(AuthError::invalid_json()),
        };
    }
    if forms == Forms::Accepted && media_type.contains("application/x-www-form-urlencoded") {
        let text = std::str::from_utf8(body).map_err(|_| AuthError::invalid_body_encoding())?;
        let map: Map<String, Value> = form_urlencoded::parse(text.as_bytes())
            .map(|(k, v)| (k.into_owned(), Value::String(v.into_owned())))
            .collect();
        return Ok(Some(Value::Object(map)));
    }
    let allowed = match forms {
        Forms::Refused => "application/json",
        Forms::Accepted => "application/x-www-form-urlencoded, application/json",
    };
    // Better-Auth quotes the header as sent, parameters and case included.
    Err(AuthError::unsupported_media_type(content_type, allowed))
}

/// JSON parsed into a [`Value`], refusing an object that names a key twice: `JSON.parse` keeps
/// the last one and other parsers the first, and a body two parsers read differently is how
/// checks get bypassed.
mod strict_json {
    use std::fmt;

    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use serde_json::{Map, Number, Value};

    /// The message of the one error the visitor raises itself.
    pub(crate) const DUPLICATE_KEY: &str = "a key appears twice";

    pub(crate) struct Strict(pub(crate) Value);

    impl<'de> Deserialize<'de> for Strict {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            deserializer.deserialize_any(StrictVisitor).map(Strict)
        }
    }

    struct StrictVisitor;

    impl<'de> Visitor<'de> for StrictVisitor {
        type Value = Value;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }

        fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
            Ok(Value::Bool(v))
        }

        fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
            Ok(Value::Number(v.into()))
        }

        fn visit_f64<E>(self, v: f64) -> Result<Value, E> {
            Ok(Number::from_f64(v).map_or(Value::Null, Value::Number))
        }

        fn visit_str<E>(self, v: &str) -> Result<Value, E> {
            Ok(Value::String(v.to_owned()))
        }

        fn visit_string<E>(self, v: String) -> Result<Value, E> {
            Ok(Value::String(v))
        }

        fn visit_unit<E>(self) -> Result<Value, E> {
            Ok(Value::Null)
        }

        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
            let mut items = Vec::new();
            while let Some(Strict(item)) = seq.next_element()? {
                items.push(item);
            }
            Ok(Value::Array(items))
        }

        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
            let mut object = Map::new();
            while let Some(key) = map.next_key::<String>()? {
                let Strict(value) = map.next_value()?;
                if object.insert(key, value).is_some() {
                    return Err(de::Error::custom(DUPLICATE_KEY));
                }
            }
            Ok(Value::Object(object))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn json_bodies_are_parsed_strictly() {
        let mut headers = HeaderMap::new();
        headers.insert(header::CONTENT_TYPE, "application/json".parse().unwrap());
        let parse = |body: &str| parse_body(&headers, body.as_bytes(), Forms::Refused);
        assert_eq!(
            parse(r#"{"a":[1,-2,3.5,true,null,{"b":"c"}]}"#).unwrap(),
            Some(json!({"a": [1, -2, 3.5, true, null, {"b": "c"}]}))
        );
        for duplicated in [
            r#"{"email":"a@x.com","email":"b@y.com"}"#,
            r#"{"a":{"b":1,"b":2}}"#,
            r#"[{"k":1,"k":1}]"#,
        ] {
            let err = parse(duplicated).unwrap_err();
            assert_eq!(
                (err.status().as_u16(), err.code()),
                (400, "BAD_REQUEST"),
                "{duplicated}"
            );
            assert!(err.message().contains("same key twice"), "{duplicated}");
        }
        let err = parse(r#"{"a":"#).unwrap_err();
        assert_eq!(err.message(), "Invalid JSON in request body");
        // Nesting deeper than serde_json's recursion limit is malformed, not a stack overflow.
        assert!(parse(&"[".repeat(100_000)).is_err());
    }
}
