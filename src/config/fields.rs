//! Additional fields (Better-Auth's `user.additionalFields` and `session.additionalFields`) and
//! database hooks (`databaseHooks`).

use super::builder::{AuthBuilder, FieldOptions};
use super::error::ConfigError;
use crate::fields::{Field, FieldSet, Table};
use crate::hooks::DatabaseHooks;

impl FieldOptions {
    pub(super) fn check(&self) -> Result<(FieldSet, FieldSet), ConfigError> {
        let user = FieldSet::check(Table::User, &self.user)
            .map_err(|reason| ConfigError::invalid("user_field", reason))?;
        let session = FieldSet::check(Table::Session, &self.session)
            .map_err(|reason| ConfigError::invalid("session_field", reason))?;
        Ok((user, session))
    }
}

impl AuthBuilder {
    /// Declares an additional column of `user` (Better-Auth's `user.additionalFields`), in
    /// order: [`migrate`](crate::Auth::migrate) creates it, every user read carries it (the
    /// session lookup included, in its one query), and JSON answers list it between
    /// `updatedAt` and `id`, as Better-Auth does. Clients may set it on sign-up and update-user
    /// only if declared with [`Field::input`]`(true)`.
    ///
    /// A Better-Auth server sharing the database must declare the same fields; a field only
    /// authgate knows must be [`optional`](Field::optional), or Better-Auth refuses the schema.
    ///
    /// # Examples
    /// ```
    /// use authgate::fields::Field;
    ///
    /// let err = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .user_field("role", Field::string().default("user"))
    ///     .user_field("email", Field::string())
    ///     .validate()
    ///     .unwrap_err();
    /// assert!(err.to_string().starts_with("user_field \"email\" is reserved"));
    /// ```
    pub fn user_field(mut self, name: impl Into<String>, field: Field) -> Self {
        self.fields.user.push((name.into(), field));
        self
    }

    /// Declares an additional column of `session` (Better-Auth's
    /// `session.additionalFields`). Clients never set session fields at sign-in; their
    /// defaults, a `session_create_before` hook, or
    /// [`Api::update_session`](crate::api::Api::update_session) do.
    ///
    /// # Examples
    /// ```
    /// use authgate::fields::Field;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .session_field("device", Field::string().optional())
    ///     .validate()?;
    /// assert!(format!("{config:?}").contains("device"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn session_field(mut self, name: impl Into<String>, field: Field) -> Self {
        self.fields.session.push((name.into(), field));
        self
    }

    /// Adds database hooks (after any added before); see [`crate::hooks`].
    ///
    /// # Examples
    /// ```
    /// use authgate::hooks::DatabaseHooks;
    ///
    /// let config = authgate::Auth::builder()
    ///     .secret("kM7dQ2vX9pL4sR8wT1yB6nF3hJ0cZ5gE8aU2iO7eW4k")
    ///     .base_url("http://localhost:3000")
    ///     .database_hooks(DatabaseHooks::new().user_create_after(|_, _| async { Ok(()) }))
    ///     .database_hooks(DatabaseHooks::new().user_create_after(|_, _| async { Ok(()) }))
    ///     .validate()?;
    /// assert!(format!("{config:?}").contains("registered: 2"));
    /// # Ok::<(), authgate::ConfigError>(())
    /// ```
    pub fn database_hooks(mut self, hooks: DatabaseHooks) -> Self {
        self.hooks.extend(&hooks);
        self
    }
}
