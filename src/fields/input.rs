//! Values for additional fields: what a client may set (Better-Auth's `parseInputData`), the
//! type checks every value passes, and the completion of a new row (defaults, required
//! fields) once the hooks have had their say.
//!
//! Better-Auth checks no types and lets the database decide (a string `"abc"` for a number is
//! stored on SQLite and refused on PostgreSQL); here every value is checked, and the forms a
//! form-encoded body carries (`"42"`, `"true"`) are accepted, as PostgreSQL accepts them.

use serde_json::{Map, Value};

use super::definition::{FieldDef, FieldSet, FieldType};
use super::values::Fields;
use crate::error::AuthError;
use crate::timestamp;

/// Whether a row is being created or changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Action {
    Create,
    Update,
}

/// JavaScript truthiness (Better-Auth refuses a non-settable field only when its value is
/// truthy, and drops it silently otherwise).
fn is_truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|n| n != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

/// How zod names a received value's type.
fn received(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `value` in the canonical form of `kind` (dates as ISO-8601 with milliseconds), or why it is
/// not one. `null` passes; whether it may is the caller's rule.
pub(crate) fn coerce(kind: FieldType, value: &Value) -> Result<Value, String> {
    let mismatch = || {
        format!(
            "Invalid input: expected {}, received {}",
            kind.expected(),
            received(value)
        )
    };
    match (kind, value) {
        (_, Value::Null) => Ok(Value::Null),
        (FieldType::String, Value::String(s)) if s.contains('\0') => {
            Err("Invalid input: must not contain NUL characters".to_owned())
        }
        (FieldType::String, Value::String(_)) => Ok(value.clone()),
        (FieldType::Number, Value::Number(n)) => integer(n.as_i64(), n.as_f64()),
        (FieldType::Number, Value::String(s)) => {
            let s = s.trim();
            match s.parse::<i64>() {
                Ok(n) => integer(Some(n), None),
                Err(_) if s.parse::<f64>().is_ok_and(f64::is_finite) => Err(NOT_AN_INT.into()),
                Err(_) => Err(mismatch()),
            }
        }
        (FieldType::Boolean, Value::Bool(_)) => Ok(value.clone()),
        (FieldType::Boolean, Value::String(s)) if s == "true" || s == "false" => {
            Ok(Value::Bool(s == "true"))
        }
        (FieldType::Date, Value::String(s)) => parse_date(s)
            .map(|t| Value::String(timestamp::format_iso(t)))
            .ok_or_else(|| "Invalid input: expected date, received an unparseable string".into()),
        _ => Err(mismatch()),
    }
}

const NOT_AN_INT: &str = "Invalid input: expected int, received number";

/// The `integer` column of every dialect holds 32 bits. `exact` is the value when it is an
/// integer; `float` the value otherwise (`42.0` is an integer, `42.5` is not).
fn integer(exact: Option<i64>, float: Option<f64>) -> Result<Value, String> {
    let exact = exact.or_else(|| {
        float
            .filter(|f| f.fract() == 0.0 && f.abs() <= 1e15)
            .map(|f| f as i64)
    });
    match exact {
        Some(n) if i32::try_from(n).is_ok() => Ok(Value::from(n)),
        Some(n) if n > 0 => Err(format!("Too big: expected int to be <={}", i32::MAX)),
        Some(_) => Err(format!("Too small: expected int to be >={}", i32::MIN)),
        None => Err(NOT_AN_INT.to_owned()),
    }
}

/// What JavaScript's `new Date(string)` accepts in practice: RFC 3339 (with or without a
/// fraction), `YYYY-MM-DD` (midnight UTC), and `YYYY-MM-DD HH:MM:SS`.
fn parse_date(s: &str) -> Option<time::OffsetDateTime> {
    let s = s.trim();
    if s.len() == 10 && s.as_bytes().get(4) == Some(&b'-') {
        return timestamp::parse_lenient(&format!("{s}T00:00:00Z"));
    }
    if s.bytes().all(|b| b.is_ascii_digit()) {
        // Epoch milliseconds are what `parse_lenient` also reads; a client sending a number
        // as a string means something else.
        return None;
    }
    timestamp::parse_lenient(s)
}

fn invalid(label: &str, name: &str, problem: &str) -> AuthError {
    AuthError::validation(format!("[{label}{name}] {problem}"))
}

fn missing(name: &str) -> AuthError {
    AuthError::missing_field(name)
}

/// The fields a client's body sets, in declaration order (Better-Auth's `parseInputData`):
/// a field clients may not set is refused with 400 `FIELD_NOT_ALLOWED` when its value is
/// truthy (on create it silently takes its default if it has one); keys that are not declared
/// fields are ignored; on create, absent fields get their defaults.
pub(crate) fn from_client(
    defs: &FieldSet,
    body: Option<&Map<String, Value>>,
    action: Action,
) -> Result<Fields, AuthError> {
    let mut parsed = Fields::new();
    for def in defs.iter() {
        let name = &*def.name;
        let field = &def.field;
        match body.and_then(|b| b.get(name)) {
            Some(value) if !field.input => {
                if action == Action::Create
                    && let Some(default) = &field.default
                {
                    parsed.push(def.name.clone(), default.value(), field.returned);
                } else if is_truthy(value) {
                    return Err(AuthError::field_not_allowed(name));
                }
            }
            Some(value) => {
                let value = coerce(field.kind, value).map_err(|p| invalid("body.", name, &p))?;
                parsed.push(def.name.clone(), value, field.returned);
            }
            None => {
                if action == Action::Create
                    && let Some(default) = &field.default
                {
                    parsed.push(def.name.clone(), default.value(), field.returned);
                }
            }
        }
    }
    Ok(parsed)
}

fn undeclared(table: &str, name: &str) -> AuthError {
    AuthError::validation(format!(
        "[{name}] is not a declared field of `{table}` (declare it with user_field or session_field)"
    ))
}

/// Every declared field of a new row, in declaration order: the given value, else the default,
/// else `null`; 400 `MISSING_FIELD` for a required field left empty and `VALIDATION_ERROR` for a
/// value of the wrong type or a name that is not declared. Runs after the create hooks.
pub(crate) fn complete_row(
    defs: &FieldSet,
    table: &str,
    given: &Fields,
) -> Result<Fields, AuthError> {
    if let Some((name, _)) = given.iter().find(|(name, _)| defs.get(name).is_none()) {
        return Err(undeclared(table, name));
    }
    let mut row = Fields::new();
    for def in defs.iter() {
        let value = match given.value(&def.name) {
            Some(Value::Null) | None => def
                .field
                .default
                .as_ref()
                .map_or(Value::Null, |default| default.value()),
            Some(value) => value.clone(),
        };
        let value = checked(def, &value)?;
        row.push(def.name.clone(), value, def.field.returned);
    }
    Ok(row)
}

/// One value of a declared field: of its type, and not `null` unless it is optional.
fn checked(def: &FieldDef, value: &Value) -> Result<Value, AuthError> {
    let value = coerce(def.field.kind, value).map_err(|p| invalid("", &def.name, &p))?;
    if value.is_null() && !def.field.optional {
        return Err(missing(&def.name));
    }
    Ok(value)
}

/// The fields an update sets, checked and in declaration order. Runs after the update hooks.
pub(crate) fn check_patch(
    defs: &FieldSet,
    table: &str,
    given: &Fields,
) -> Result<Fields, AuthError> {
    if let Some((name, _)) = given.iter().find(|(name, _)| defs.get(name).is_none()) {
        return Err(undeclared(table, name));
    }
    let mut patch = Fields::new();
    for def in defs.iter() {
        if let Some(value) = given.value(&def.name) {
            let value = checked(def, value)?;
            patch.push(def.name.clone(), value, def.field.returned);
        }
    }
    Ok(patch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::Field;
    use crate::fields::definition::Table;
    use serde_json::json;

    fn af() -> FieldSet {
        FieldSet::check(
            Table::User,
            &[
                ("role".into(), Field::string().default("user")),
                ("age".into(), Field::number().optional().input(true)),
                (
                    "newsletter".into(),
                    Field::boolean().default(false).input(true),
                ),
                ("birthday".into(), Field::date().optional().input(true)),
                ("secret".into(), Field::string().optional()),
            ],
        )
        .unwrap()
    }

    fn client(body: Value, action: Action) -> Result<Value, (u16, String, String)> {
        from_client(&af(), body.as_object(), action)
            .map(|f| serde_json::to_value(&f).unwrap())
            .map_err(|e| {
                (
                    e.status().as_u16(),
                    e.code().to_owned(),
                    e.message().to_owned(),
                )
            })
    }

    /// Better-Auth's recorded outcomes (`recordings/parse-input-data.txt`, `http/fields-*`).
    #[test]
    fn client_input_like_better_auth() {
        // A default replaces what a client sends for a field it may not set.
        assert_eq!(
            client(json!({"role": "admin", "age": 42}), Action::Create).unwrap(),
            json!({"role": "user", "age": 42, "newsletter": false})
        );
        assert_eq!(
            client(json!({"role": "admin"}), Action::Update).unwrap_err(),
            (
                400,
                "FIELD_NOT_ALLOWED".into(),
                "role is not allowed to be set".into()
            )
        );
        // Falsy values of such a field are dropped.
        for falsy in [json!(""), json!(0), json!(false), json!(null)] {
            assert_eq!(
                client(json!({"role": falsy, "secret": falsy}), Action::Update).unwrap(),
                json!({})
            );
        }
        assert_eq!(
            client(json!({"secret": "x"}), Action::Create)
                .unwrap_err()
                .1,
            "FIELD_NOT_ALLOWED"
        );
        // Unknown keys are ignored; an update applies no defaults.
        assert_eq!(
            client(json!({"foo": 1, "emailVerified": true}), Action::Update).unwrap(),
            json!({})
        );
        assert_eq!(
            client(json!({"age": null}), Action::Update).unwrap(),
            json!({"age": null})
        );
    }

    #[test]
    fn values_are_type_checked() {
        assert_eq!(
            client(
                json!({"age": "42", "newsletter": "true", "birthday": "2000-01-01"}),
                Action::Update
            )
            .unwrap(),
            json!({"age": 42, "newsletter": true, "birthday": "2000-01-01T00:00:00.000Z"})
        );
        for (body, message) in [
            (
                json!({"age": "abc"}),
                "[body.age] Invalid input: expected number, received string",
            ),
            (
                json!({"age": 30.5}),
                "[body.age] Invalid input: expected int, received number",
            ),
            (
                json!({"age": 3_000_000_000u64}),
                "[body.age] Too big: expected int to be <=2147483647",
            ),
            (
                json!({"newsletter": "yes"}),
                "[body.newsletter] Invalid input: expected boolean, received string",
            ),
            (
                json!({"birthday": "not-a-date"}),
                "[body.birthday] Invalid input: expected date, received an unparseable string",
            ),
            (
                json!({"birthday": 946684800000u64}),
                "[body.birthday] Invalid input: expected date, received number",
            ),
        ] {
            assert_eq!(
                client(body, Action::Create).unwrap_err(),
                (400, "VALIDATION_ERROR".into(), message.into())
            );
        }
    }

    #[test]
    fn rows_are_completed_after_the_hooks() {
        let defs = af();
        let row = complete_row(&defs, "user", &Fields::new().with("age", 7)).unwrap();
        assert_eq!(
            serde_json::to_value(&row).unwrap(),
            json!({"role": "user", "age": 7, "newsletter": false, "birthday": null, "secret": null})
        );
        assert_eq!(row.get_str("secret"), None);
        let required = FieldSet::check(Table::User, &[("plan".into(), Field::string())]).unwrap();
        let err = complete_row(&required, "user", &Fields::new()).unwrap_err();
        assert_eq!(
            (err.code(), err.message()),
            ("MISSING_FIELD", "plan is required")
        );
        let err = complete_row(&defs, "user", &Fields::new().with("nope", 1)).unwrap_err();
        assert_eq!(err.code(), "VALIDATION_ERROR");
        let err = check_patch(&defs, "user", &Fields::new().with("role", Value::Null)).unwrap_err();
        assert_eq!(err.code(), "MISSING_FIELD");
    }
}
