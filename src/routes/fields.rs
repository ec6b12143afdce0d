//! One generic validator for request bodies that reports problems the way Better-Auth's zod
//! schemas do (`[body.email] Invalid email address`), and zod's email grammar.

use serde_json::{Map, Value};

use crate::api::email_address::is_email;
use crate::error::AuthError;

/// MySQL's `user.name` is `varchar(255)`: longer names would fail in the database.
pub(crate) const MAX_NAME_LENGTH: usize = 255;

/// How zod names the type it received.
fn type_name(value: Option<&Value>) -> &'static str {
    match value {
        None => "undefined",
        Some(Value::Null) => "null",
        Some(Value::Bool(_)) => "boolean",
        Some(Value::Number(_)) => "number",
        Some(Value::String(_)) => "string",
        Some(Value::Array(_)) => "array",
        Some(Value::Object(_)) => "object",
    }
}

/// What a body schema is besides an object: Better-Auth's sign-up body is an object
/// intersected with a record, so a non-object body fails twice.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    Object,
    ObjectAndRecord,
    /// Any JSON object (zod's `record`): update-user.
    Record,
}

/// Reads fields in schema order, collecting every problem; [`Fields::finish`] turns them into
/// one 400 `VALIDATION_ERROR` whose message joins them with `"; "`.
pub(crate) struct Fields<'a> {
    object: Option<&'a Map<String, Value>>,
    issues: Vec<String>,
}

impl<'a> Fields<'a> {
    pub(crate) fn new(body: &'a Option<Value>, shape: Shape) -> Self {
        let mut issues = Vec::new();
        let object = match body {
            Some(Value::Object(map)) => Some(map),
            other => {
                let received = type_name(other.as_ref());
                if shape != Shape::Record {
                    issues.push(format!(
                        "[body] Invalid input: expected object, received {received}"
                    ));
                }
                if shape != Shape::Object {
                    issues.push(format!(
                        "[body] Invalid input: expected record, received {received}"
                    ));
                }
                None
            }
        };
        Self { object, issues }
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.object?.get(name)
    }

    /// NUL characters cannot be stored in PostgreSQL text and have no place in these fields.
    fn refuse_nul(&mut self, name: &str) {
        self.issues.push(format!(
            "[body.{name}] Invalid input: must not contain NUL characters"
        ));
    }

    fn expected(&mut self, name: &str, expected: &str, value: Option<&Value>) {
        let received = type_name(value);
        self.issues.push(format!(
            "[body.{name}] Invalid input: expected {expected}, received {received}"
        ));
    }

    /// A required string (empty when it is missing or not a string; [`Fields::finish`] then
    /// fails, so callers never see that placeholder).
    pub(crate) fn string(&mut self, name: &str) -> String {
        if self.object.is_none() {
            return String::new();
        }
        match self.get(name) {
            Some(Value::String(s)) if s.contains('\0') => {
                self.refuse_nul(name);
                String::new()
            }
            Some(Value::String(s)) => s.clone(),
            other => {
                self.expected(name, "string", other);
                String::new()
            }
        }
    }

    /// A required string of at most `max` characters.
    pub(crate) fn bounded_string(&mut self, name: &str, max: usize) -> String {
        let value = self.string(name);
        if value.chars().count() > max {
            self.issues.push(format!(
                "[body.{name}] Too big: expected string to have <={max} characters"
            ));
        }
        value
    }

    /// An optional string of at most `max` characters.
    pub(crate) fn optional_bounded_string(&mut self, name: &str, max: usize) -> Option<String> {
        let value = self.optional_string(name)?;
        if value.chars().count() > max {
            self.issues.push(format!(
                "[body.{name}] Too big: expected string to have <={max} characters"
            ));
            return None;
        }
        Some(value)
    }

    /// A required, non-empty string.
    pub(crate) fn non_empty_string(&mut self, name: &str) -> String {
        if let Some(Value::String(s)) = self.get(name)
            && s.is_empty()
        {
            self.issues.push(format!(
                "[body.{name}] Too small: expected string to have >=1 characters"
            ));
            return String::new();
        }
        self.string(name)
    }

    /// A required email address (zod's `z.email()`).
    pub(crate) fn email(&mut self, name: &str) -> String {
        if let Some(Value::String(s)) = self.get(name)
            && !is_email(s)
        {
            self.issues
                .push(format!("[body.{name}] Invalid email address"));
            return String::new();
        }
        self.string(name)
    }

    /// An optional string (`null` is not absent).
    pub(crate) fn optional_string(&mut self, name: &str) -> Option<String> {
        match self.get(name) {
            None => None,
            Some(Value::String(s)) if s.contains('\0') => {
                self.refuse_nul(name);
                None
            }
            Some(Value::String(s)) => Some(s.clone()),
            other => {
                self.expected(name, "string", other);
                None
            }
        }
    }

    /// An optional string that may also be `null` (absent: `None`; null: `Some(None)`).
    pub(crate) fn optional_nullable_string(&mut self, name: &str) -> Option<Option<String>> {
        match self.get(name) {
            None => None,
            Some(Value::Null) => Some(None),
            Some(Value::String(s)) if s.contains('\0') => {
                self.refuse_nul(name);
                None
            }
            Some(Value::String(s)) => Some(Some(s.clone())),
            other => {
                self.expected(name, "string", other);
                None
            }
        }
    }

    /// Whether the field is present with a value JavaScript deems true (Better-Auth's
    /// `if (body.email)` checks).
    pub(crate) fn is_truthy(&self, name: &str) -> bool {
        self.get(name).is_some_and(is_truthy)
    }

    /// An optional boolean (a form's `"false"` is a string, and refused, as in Better-Auth).
    pub(crate) fn optional_bool(&mut self, name: &str) -> Option<bool> {
        match self.get(name) {
            None => None,
            Some(Value::Bool(b)) => Some(*b),
            other => {
                self.expected(name, "boolean", other);
                None
            }
        }
    }

    /// Fails now if the body itself has the wrong shape (before anything else is checked).
    pub(crate) fn finish_shape(&mut self) -> Result<(), AuthError> {
        if self.object.is_none() {
            return Err(AuthError::validation(
                std::mem::take(&mut self.issues).join("; "),
            ));
        }
        Ok(())
    }

    pub(crate) fn finish(self) -> Result<(), AuthError> {
        if self.issues.is_empty() {
            Ok(())
        } else {
            Err(AuthError::validation(self.issues.join("; ")))
        }
    }
}

/// JavaScript truthiness, which decides whether Better-Auth looks at a redirect field at all.
pub(crate) fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_like_zod() {
        let body = Some(json!({"email": 123, "password": ""}));
        let mut f = Fields::new(&body, Shape::ObjectAndRecord);
        f.string("name");
        f.email("email");
        f.non_empty_string("password");
        f.optional_bool("rememberMe");
        let err = f.finish().unwrap_err();
        assert_eq!(
            err.message(),
            "[body.name] Invalid input: expected string, received undefined; \
             [body.email] Invalid input: expected string, received number; \
             [body.password] Too small: expected string to have >=1 characters"
        );

        let mut f = Fields::new(&None, Shape::ObjectAndRecord);
        assert_eq!(f.string("name"), "");
        assert_eq!(
            f.finish().unwrap_err().message(),
            "[body] Invalid input: expected object, received undefined; [body] Invalid input: expected record, received undefined"
        );
        let array = Some(json!([1, 2, 3]));
        assert_eq!(
            Fields::new(&array, Shape::Object)
                .finish()
                .unwrap_err()
                .message(),
            "[body] Invalid input: expected object, received array"
        );
    }
}
