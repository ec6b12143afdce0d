//! [`Fields`]: the values of a row's additional fields, in declaration order, with typed
//! getters. Serialised as the keys of the user or session object they belong to.

use std::fmt;
use std::sync::Arc;

use serde::de::{Deserialize, DeserializeOwned, Deserializer, MapAccess, Visitor};
use serde::ser::{Serialize, SerializeMap, Serializer};
use serde_json::Value;
use time::OffsetDateTime;

use crate::timestamp;

#[derive(Clone, PartialEq, Eq)]
struct Entry {
    name: Arc<str>,
    value: Value,
    /// `false` for fields declared with `returned(false)`: kept, but left out of JSON.
    returned: bool,
}

/// The additional fields of a [`User`](crate::User) or [`Session`](crate::Session): name and
/// value pairs in declaration order, dates as ISO-8601 strings.
///
/// # Examples
/// ```
/// use authgate::fields::Fields;
///
/// let fields = Fields::new().with("role", "admin").with("age", 36);
/// assert_eq!(fields.get_str("role"), Some("admin"));
/// assert_eq!(fields.get::<i64>("age"), Some(36));
/// assert_eq!(fields.get::<String>("missing"), None);
/// assert_eq!(serde_json::to_string(&fields).unwrap(), r#"{"role":"admin","age":36}"#);
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Fields {
    entries: Vec<Entry>,
}

impl Fields {
    /// No fields.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds or replaces `name` (builder style).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.set(name, value);
        self
    }

    /// Sets `name` to `value`, in place if present, else at the end.
    pub fn set(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        match self.entries.iter_mut().find(|e| &*e.name == name) {
            Some(entry) => entry.value = value,
            None => self.entries.push(Entry {
                name: Arc::from(name),
                value,
                returned: true,
            }),
        }
    }

    pub(crate) fn push(&mut self, name: Arc<str>, value: Value, returned: bool) {
        self.entries.push(Entry {
            name,
            value,
            returned,
        });
    }

    /// Removes `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let at = self.entries.iter().position(|e| &*e.name == name)?;
        Some(self.entries.remove(at).value)
    }

    /// The raw value of `name` (`Value::Null` when stored empty), `None` when absent.
    pub fn value(&self, name: &str) -> Option<&Value> {
        self.entries
            .iter()
            .find(|e| &*e.name == name)
            .map(|e| &e.value)
    }

    /// Whether `name` is present (even as `null`).
    pub fn contains(&self, name: &str) -> bool {
        self.value(name).is_some()
    }

    /// `name` as a `T`; `None` when absent, `null`, or not a `T`.
    pub fn get<T: DeserializeOwned>(&self, name: &str) -> Option<T> {
        match self.value(name)? {
            Value::Null => None,
            value => T::deserialize(value).ok(),
        }
    }

    /// `name` as a string.
    pub fn get_str(&self, name: &str) -> Option<&str> {
        self.value(name)?.as_str()
    }

    /// `name` as an integer.
    pub fn get_i64(&self, name: &str) -> Option<i64> {
        self.value(name)?.as_i64()
    }

    /// `name` as a boolean.
    pub fn get_bool(&self, name: &str) -> Option<bool> {
        self.value(name)?.as_bool()
    }

    /// `name` as an instant (a date field).
    pub fn get_date(&self, name: &str) -> Option<OffsetDateTime> {
        timestamp::parse_lenient(self.get_str(name)?)
    }

    /// The name and value pairs, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.entries.iter().map(|e| (&*e.name, &e.value))
    }

    /// How many fields there are.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

impl<K: AsRef<str>, V: Into<Value>> FromIterator<(K, V)> for Fields {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(iter: I) -> Self {
        let mut fields = Fields::new();
        for (name, value) in iter {
            fields.set(name.as_ref(), value);
        }
        fields
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for Fields {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let returned = self.entries.iter().filter(|e| e.returned);
        let mut map = serializer.serialize_map(Some(returned.clone().count()))?;
        for entry in returned {
            map.serialize_entry(&*entry.name, &entry.value)?;
        }
        map.end()
    }
}

impl<'de> Deserialize<'de> for Fields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct FieldsVisitor;

        impl<'de> Visitor<'de> for FieldsVisitor {
            type Value = Fields;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a map of field values")
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields, A::Error> {
                let mut fields = Fields::new();
                while let Some((name, value)) = map.next_entry::<String, Value>()? {
                    fields.set(&name, value);
                }
                Ok(fields)
            }
        }

        deserializer.deserialize_map(FieldsVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_fields_are_kept_but_not_serialised() {
        let mut fields = Fields::new();
        fields.push("role".into(), Value::from("user"), true);
        fields.push("secretNote".into(), Value::from("x"), false);
        fields.push("age".into(), Value::Null, true);
        assert_eq!(
            serde_json::to_string(&fields).unwrap(),
            r#"{"role":"user","age":null}"#
        );
        assert_eq!(fields.get_str("secretNote"), Some("x"));
        assert_eq!(fields.get::<i64>("age"), None);
        assert!(fields.contains("age"));
        fields.set("role", "admin");
        assert_eq!(fields.iter().next(), Some(("role", &Value::from("admin"))));
    }

    #[test]
    fn dates_read_back() {
        let fields = Fields::new().with("birthday", "1990-05-17T00:00:00.000Z");
        assert_eq!(
            fields
                .get_date("birthday")
                .map(timestamp::format_iso)
                .as_deref(),
            Some("1990-05-17T00:00:00.000Z")
        );
    }
}
