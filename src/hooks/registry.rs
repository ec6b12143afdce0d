//! [`DatabaseHooks`]: the registrations, one method per hook point.

use std::fmt;
use std::future::Future;
use std::sync::Arc;

use super::context::HookContext;
use super::points::{Observe, TableHooks, Transform};
use crate::error::AuthError;
use crate::model::{Account, AccountUpdate, Session, SessionUpdate, User, UserUpdate};

/// The database hooks, registered with
/// [`AuthBuilder::database_hooks`](crate::AuthBuilder::database_hooks); see the
/// [module documentation](crate::hooks).
///
/// Each method registers one async closure taking the data and a [`HookContext`] by value.
#[derive(Clone)]
#[must_use = "DatabaseHooks do nothing until given to AuthBuilder::database_hooks"]
pub struct DatabaseHooks {
    pub(crate) user: TableHooks<User, UserUpdate>,
    pub(crate) session: TableHooks<Session, SessionUpdate>,
    pub(crate) account: TableHooks<Account, AccountUpdate>,
}

impl Default for DatabaseHooks {
    fn default() -> Self {
        macro_rules! points {
            ($table:literal) => {
                &[
                    concat!($table, ".create.before"),
                    concat!($table, ".create.after"),
                    concat!($table, ".update.before"),
                    concat!($table, ".update.after"),
                    concat!($table, ".delete.before"),
                    concat!($table, ".delete.after"),
                ]
            };
        }
        Self {
            user: TableHooks::new(points!("user")),
            session: TableHooks::new(points!("session")),
            account: TableHooks::new(points!("account")),
        }
    }
}

impl fmt::Debug for DatabaseHooks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseHooks")
            .field("registered", &self.len())
            .finish()
    }
}

fn transform<T, F, Fut>(hook: F) -> Transform<T>
where
    F: Fn(T, HookContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<T, AuthError>> + Send + 'static,
{
    Arc::new(move |value, ctx| Box::pin(hook(value, ctx)))
}

fn observe<T, F, Fut>(hook: F) -> Observe<T>
where
    F: Fn(T, HookContext) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
{
    Arc::new(move |value, ctx| Box::pin(hook(value, ctx)))
}

macro_rules! hook_points {
    ($($table:ident: $row:ty, $change:ty {
        $create_before:ident, $create_after:ident, $update_before:ident, $update_after:ident,
        $delete_before:ident, $delete_after:ident
    })*) => {
        impl DatabaseHooks {
            $(
                #[doc = concat!("Before a `", stringify!($table), "` row is inserted: returns the row to insert (changed or not), or vetoes with an error.")]
                pub fn $create_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<$row, AuthError>> + Send + 'static,
                {
                    self.$table.create_before.hooks.push(transform(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was inserted and committed.")]
                pub fn $create_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.create_after.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("Before a `", stringify!($table), "` row is updated: returns the change to write (changed or not), or vetoes with an error.")]
                pub fn $update_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($change, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<$change, AuthError>> + Send + 'static,
                {
                    self.$table.update_before.hooks.push(transform(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was updated: the row as written.")]
                pub fn $update_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.update_after.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("Before a `", stringify!($table), "` row is deleted: vetoes with an error.")]
                pub fn $delete_before<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.delete_before.hooks.push(observe(hook));
                    self
                }

                #[doc = concat!("After a `", stringify!($table), "` row was deleted: the row as it was.")]
                pub fn $delete_after<F, Fut>(mut self, hook: F) -> Self
                where
                    F: Fn($row, HookContext) -> Fut + Send + Sync + 'static,
                    Fut: Future<Output = Result<(), AuthError>> + Send + 'static,
                {
                    self.$table.delete_after.hooks.push(observe(hook));
                    self
                }
            )*
        }
    };
}

hook_points! {
    user: User, UserUpdate {
        user_create_before, user_create_after, user_update_before, user_update_after,
        user_delete_before, user_delete_after
    }
    session: Session, SessionUpdate {
        session_create_before, session_create_after, session_update_before,
        session_update_after, session_delete_before, session_delete_after
    }
    account: Account, AccountUpdate {
        account_create_before, account_create_after, account_update_before,
        account_update_after, account_delete_before, account_delete_after
    }
}

impl DatabaseHooks {
    /// No hooks.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many hooks are registered.
    pub fn len(&self) -> usize {
        self.user.len() + self.session.len() + self.account.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends `other`'s hooks after these (the builder accumulates registrations).
    pub(crate) fn extend(&mut self, other: &DatabaseHooks) {
        self.user.extend(&other.user);
        self.session.extend(&other.session);
        self.account.extend(&other.account);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hooks::Operation;
    use http::StatusCode;

    fn user(email: &str) -> User {
        let now = crate::timestamp::now();
        User {
            name: "n".into(),
            email: email.into(),
            email_verified: false,
            image: None,
            created_at: now,
            updated_at: now,
            fields: crate::fields::Fields::new(),
            id: "u".into(),
        }
    }

    #[tokio::test]
    async fn before_hooks_chain_and_veto() {
        let hooks = DatabaseHooks::new()
            .user_create_before(|mut user, _| async move {
                user.name.push('1');
                Ok(user)
            })
            .user_create_before(|mut user, _| async move {
                if user.email.ends_with("@blocked.example") {
                    return Err(AuthError::new(StatusCode::FORBIDDEN, "NO", "no"));
                }
                user.name.push('2');
                Ok(user)
            });
        let ctx = HookContext::api(Operation::CreateUser);
        let out = hooks
            .user
            .create_before
            .run(user("a@b.co"), &ctx)
            .await
            .unwrap();
        assert_eq!(out.name, "n12");
        let err = hooks
            .user
            .create_before
            .run(user("a@blocked.example"), &ctx)
            .await
            .unwrap_err();
        assert_eq!((err.status(), err.code()), (StatusCode::FORBIDDEN, "NO"));
        assert!(!ctx.is_http() && ctx.path().is_none());
    }
}
