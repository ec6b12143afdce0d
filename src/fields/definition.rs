//! [`Field`]: an additional column of `user` or `session` as the application declares it
//! (Better-Auth's `user.additionalFields` / `session.additionalFields`), and [`FieldSet`], the
//! checked, ordered declarations of one table.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

/// The type of an additional field, with Better-Auth's column types per dialect.
///
/// | type | SQLite | PostgreSQL | MySQL/MariaDB | JSON |
/// |---|---|---|---|---|
/// | `String` | `text` | `text` | `text` | a string |
/// | `Number` | `integer` | `integer` | `integer` | an integer (32-bit) |
/// | `Boolean` | `integer` (0/1) | `boolean` | `boolean` (`tinyint(1)`) | `true`/`false` |
/// | `Date` | `date` (ISO-8601 text) | `timestamptz` | `timestamp(3)` (UTC) | ISO-8601 with milliseconds |
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldType {
    /// Text (`type: "string"`).
    String,
    /// A 32-bit integer (`type: "number"`; a non-integer is refused).
    Number,
    /// `type: "boolean"`.
    Boolean,
    /// An instant (`type: "date"`), millisecond precision.
    Date,
}

impl FieldType {
    /// How zod names the type, for validation messages.
    pub(crate) fn expected(self) -> &'static str {
        match self {
            FieldType::String => "string",
            FieldType::Number => "number",
            FieldType::Boolean => "boolean",
            FieldType::Date => "date",
        }
    }
}

/// Produces a default value when a row is created (Better-Auth's function `defaultValue`).
type DefaultFn = dyn Fn() -> Value + Send + Sync;

/// A field's default, applied when a row is created without a value for it.
#[derive(Clone)]
pub(crate) enum FieldDefault {
    /// A fixed value; also the column's database default when `migrate` adds the column to an
    /// existing table (as Better-Auth does).
    Static(Value),
    /// Computed for every new row; a date's becomes `CURRENT_TIMESTAMP` in the DDL on
    /// PostgreSQL and MySQL (as Better-Auth does).
    Dynamic(Arc<DefaultFn>),
}

impl fmt::Debug for FieldDefault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldDefault::Static(value) => write!(f, "Static({value})"),
            FieldDefault::Dynamic(_) => f.write_str("Dynamic(..)"),
        }
    }
}

impl FieldDefault {
    pub(crate) fn value(&self) -> Value {
        match self {
            FieldDefault::Static(value) => value.clone(),
            FieldDefault::Dynamic(produce) => produce(),
        }
    }
}

/// An additional field of `user` or `session`: its type, whether it may be empty, its default,
/// and whether clients may set it. Declare it with
/// [`AuthBuilder::user_field`](crate::AuthBuilder::user_field) or
/// [`AuthBuilder::session_field`](crate::AuthBuilder::session_field).
///
/// A field is required (`NOT NULL`) unless [`optional`](Self::optional), and **clients may not
/// set it** unless [`input(true)`](Self::input): a field such as `role` is written by the
/// server (a hook, [`Api::update_user`](crate::api::Api::update_user)) only. That is stricter
/// than Better-Auth, whose `input` defaults to `true`; declare `input: false` there for the
/// same behaviour on a shared database.
///
/// # Examples
/// ```
/// use authgate::fields::{Field, FieldType};
///
/// let role = Field::string().default("user");
/// assert_eq!(role.field_type(), FieldType::String);
/// assert!(!role.is_input() && !role.is_optional());
///
/// let age = Field::number().optional().input(true);
/// assert!(age.is_input() && age.is_optional());
/// ```
#[derive(Clone, Debug)]
#[must_use = "a Field does nothing until declared on the builder"]
pub struct Field {
    pub(crate) kind: FieldType,
    pub(crate) optional: bool,
    pub(crate) default: Option<FieldDefault>,
    pub(crate) input: bool,
    pub(crate) returned: bool,
}

impl Field {
    fn of(kind: FieldType) -> Self {
        Self {
            kind,
            optional: false,
            default: None,
            input: false,
            returned: true,
        }
    }

    /// A text field.
    pub fn string() -> Self {
        Self::of(FieldType::String)
    }

    /// An integer field (32-bit, as the `integer` column of every dialect holds).
    pub fn number() -> Self {
        Self::of(FieldType::Number)
    }

    /// A boolean field.
    pub fn boolean() -> Self {
        Self::of(FieldType::Boolean)
    }

    /// A date field; values are ISO-8601 strings in JSON (`"1990-05-17T00:00:00.000Z"`).
    pub fn date() -> Self {
        Self::of(FieldType::Date)
    }

    /// May be empty (`null`; a nullable column). Better-Auth's `required: false`.
    pub fn optional(mut self) -> Self {
        self.optional = true;
        self
    }

    /// The value a new row gets when none is given (Better-Auth's `defaultValue`). When
    /// `migrate` adds the column to an existing table it is also the column's database default,
    /// so existing rows get it.
    ///
    /// The value must be of the field's type (checked by
    /// [`validate`](crate::AuthBuilder::validate)).
    pub fn default(mut self, value: impl Into<Value>) -> Self {
        self.default = Some(FieldDefault::Static(value.into()));
        self
    }

    /// A default computed for every new row, e.g. the current instant for a date (which also
    /// becomes `CURRENT_TIMESTAMP` in the DDL on PostgreSQL and MySQL, as in Better-Auth).
    pub fn default_with(mut self, produce: impl Fn() -> Value + Send + Sync + 'static) -> Self {
        self.default = Some(FieldDefault::Dynamic(Arc::new(produce)));
        self
    }

    /// Whether clients may set the field on sign-up and update-user (default `false`). Server
    /// code ([`Api`](crate::api::Api), hooks) may always set it.
    pub fn input(mut self, allowed: bool) -> Self {
        self.input = allowed;
        self
    }

    /// Whether the field appears in JSON answers (default `true`). Hidden fields are still
    /// stored, read, and given to hooks and server code (Better-Auth's `returned: false`).
    pub fn returned(mut self, returned: bool) -> Self {
        self.returned = returned;
        self
    }

    /// The field's type.
    pub fn field_type(&self) -> FieldType {
        self.kind
    }

    /// Whether the field may be empty.
    pub fn is_optional(&self) -> bool {
        self.optional
    }

    /// Whether clients may set the field.
    pub fn is_input(&self) -> bool {
        self.input
    }
}

/// One declared field: its name (the JSON key and the column) and its definition.
#[derive(Clone, Debug)]
pub(crate) struct FieldDef {
    pub(crate) name: Arc<str>,
    pub(crate) field: Field,
}

/// Which table a set of fields extends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Table {
    User,
    Session,
}

impl Table {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Table::User => "user",
            Table::Session => "session",
        }
    }

    /// Names a field may not take: the table's own columns, and the keys its endpoints read
    /// themselves (sign-up's `password`, `callbackURL`, `rememberMe`). Compared without case,
    /// as MySQL and SQLite compare column names.
    fn reserved(self) -> &'static [&'static str] {
        match self {
            Table::User => &[
                "id",
                "name",
                "email",
                "emailVerified",
                "image",
                "createdAt",
                "updatedAt",
                "password",
                "callbackURL",
                "rememberMe",
            ],
            Table::Session => &[
                "id",
                "expiresAt",
                "token",
                "createdAt",
                "updatedAt",
                "ipAddress",
                "userAgent",
                "userId",
            ],
        }
    }
}

/// The longest name PostgreSQL keeps whole (63 bytes; MySQL allows 64).
const MAX_NAME_BYTES: usize = 63;

/// Whether `name` can be spliced into SQL as a quoted identifier: ASCII letters, digits and
/// `_`, not starting with a digit, at most 63 bytes. The statements built from field names
/// (`store/dynamic_sql.rs`) rely on this.
pub(crate) fn is_identifier(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
        && name.len() <= MAX_NAME_BYTES
}

/// The additional fields of one table, in declaration order (which is Better-Auth's column and
/// JSON key order).
#[derive(Clone, Debug, Default)]
pub(crate) struct FieldSet {
    defs: Arc<[FieldDef]>,
}

impl FieldSet {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, FieldDef> {
        self.defs.iter()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.defs.is_empty()
    }

    pub(crate) fn len(&self) -> usize {
        self.defs.len()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&FieldDef> {
        self.defs.iter().find(|def| &*def.name == name)
    }

    /// Checks the declarations of `table`: identifier names, no duplicates, no reserved names,
    /// and static defaults of the field's type that a DDL `DEFAULT` can carry. `Err` is the
    /// reason, naming the field.
    pub(crate) fn check(table: Table, declared: &[(String, Field)]) -> Result<Self, String> {
        let mut defs: Vec<FieldDef> = Vec::with_capacity(declared.len());
        for (name, field) in declared {
            if !is_identifier(name) {
                return Err(format!(
                    "{name:?} is not a valid field name: use ASCII letters, digits and '_', not \
                     starting with a digit, at most {MAX_NAME_BYTES} bytes"
                ));
            }
            if let Some(reserved) = table
                .reserved()
                .iter()
                .find(|r| r.eq_ignore_ascii_case(name))
            {
                return Err(format!(
                    "{name:?} is reserved: `{}` already has `{reserved}` (or its endpoints read it)",
                    table.name()
                ));
            }
            if defs.iter().any(|d| d.name.eq_ignore_ascii_case(name)) {
                return Err(format!(
                    "{name:?} is declared twice (names are compared without case, as MySQL and \
                     SQLite compare columns)"
                ));
            }
            if let Some(FieldDefault::Static(value)) = &field.default {
                super::input::coerce(field.kind, value).map_err(|problem| {
                    format!(
                        "the default of {name:?} is not a {}: {problem}",
                        field.kind.expected()
                    )
                })?;
                if let Value::String(text) = value
                    && !text
                        .chars()
                        .all(|c| !c.is_control() && !"'\"`\\$?".contains(c))
                {
                    return Err(format!(
                        "the default of {name:?} becomes a database DEFAULT and may not contain \
                         quotes, backslashes, `$`, `?` or control characters"
                    ));
                }
            }
            defs.push(FieldDef {
                name: Arc::from(name.as_str()),
                field: field.clone(),
            });
        }
        Ok(Self { defs: defs.into() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers() {
        for ok in ["role", "_x", "age2", "newsletter_opt_in", &"a".repeat(63)] {
            assert!(is_identifier(ok), "{ok}");
        }
        for bad in [
            "",
            "2fa",
            "a-b",
            "a b",
            "role\"",
            "r`ole",
            "ro'le",
            "é",
            &"a".repeat(64),
        ] {
            assert!(!is_identifier(bad), "{bad}");
        }
    }

    #[test]
    fn declarations_are_checked() {
        let ok = FieldSet::check(
            Table::User,
            &[
                ("role".into(), Field::string().default("user")),
                ("age".into(), Field::number().optional()),
            ],
        )
        .unwrap();
        assert_eq!(
            ok.iter().map(|d| &*d.name).collect::<Vec<_>>(),
            ["role", "age"]
        );
        for (declared, expected) in [
            (vec![("Email", Field::string())], "reserved"),
            (vec![("password", Field::string())], "reserved"),
            (
                vec![("a", Field::string()), ("A", Field::number())],
                "twice",
            ),
            (vec![("x;drop", Field::string())], "not a valid field name"),
            (vec![("n", Field::number().default("many"))], "not a number"),
            (vec![("s", Field::string().default("it's"))], "quotes"),
        ] {
            let declared: Vec<(String, Field)> = declared
                .into_iter()
                .map(|(n, f)| (n.to_owned(), f))
                .collect();
            let err = FieldSet::check(Table::User, &declared).unwrap_err();
            assert!(err.contains(expected), "{err}");
        }
        assert!(FieldSet::check(Table::Session, &[("token".into(), Field::string())]).is_err());
        assert!(FieldSet::check(Table::Session, &[("device".into(), Field::string())]).is_ok());
    }
}
