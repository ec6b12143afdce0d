//! How one hook point runs its hooks: [`Before`] (a create or an update: each hook returns the
//! value), [`Guard`] (a delete: each may veto), [`After`] (each sees the committed row; errors
//! are logged); each hook on its own task, so that a panic answers 500. [`TableHooks`] holds a
//! table's six points.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use super::context::HookContext;
use crate::error::AuthError;

pub(super) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;
pub(super) type Transform<T> =
    Arc<dyn Fn(T, HookContext) -> BoxFuture<Result<T, AuthError>> + Send + Sync>;
pub(super) type Observe<T> =
    Arc<dyn Fn(T, HookContext) -> BoxFuture<Result<(), AuthError>> + Send + Sync>;

/// Runs one hook's future on its own task, so that a hook that panics answers 500 (logged)
/// instead of taking the request down.
async fn guarded<T: Send + 'static>(
    point: &'static str,
    future: BoxFuture<Result<T, AuthError>>,
) -> Result<T, AuthError> {
    match tokio::spawn(future).await {
        Ok(result) => result,
        Err(err) => {
            tracing::error!(
                hook = point,
                panicked = err.is_panic(),
                "a database hook failed to finish"
            );
            Err(AuthError::internal())
        }
    }
}

/// The before hooks of a create or an update: each gets the value and returns it.
pub(crate) struct Before<T> {
    point: &'static str,
    pub(super) hooks: Vec<Transform<T>>,
}

/// The before hooks of a delete: each may veto.
pub(crate) struct Guard<T> {
    point: &'static str,
    pub(super) hooks: Vec<Observe<T>>,
}

/// The after hooks of a point: each sees the row; errors are logged.
pub(crate) struct After<T> {
    point: &'static str,
    pub(super) hooks: Vec<Observe<T>>,
}

impl<T> Clone for Before<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T> Clone for Guard<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T> Clone for After<T> {
    fn clone(&self) -> Self {
        Self {
            point: self.point,
            hooks: self.hooks.clone(),
        }
    }
}

impl<T: Send + 'static> Before<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `value`; the first `Err` stops the operation.
    pub(crate) async fn run(&self, mut value: T, ctx: &HookContext) -> Result<T, AuthError> {
        for hook in &self.hooks {
            value = guarded(self.point, hook(value, ctx.clone())).await?;
        }
        Ok(value)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

impl<T: Clone + Send + 'static> Guard<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `row`; the first `Err` stops the operation.
    pub(crate) async fn run(&self, row: &T, ctx: &HookContext) -> Result<(), AuthError> {
        for hook in &self.hooks {
            guarded(self.point, hook(row.clone(), ctx.clone())).await?;
        }
        Ok(())
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

impl<T: Clone + Send + 'static> After<T> {
    fn new(point: &'static str) -> Self {
        Self {
            point,
            hooks: Vec::new(),
        }
    }

    /// Runs every hook in order on `row`; an error is logged and does not stop the others.
    pub(crate) async fn run(&self, row: &T, ctx: &HookContext) {
        for hook in &self.hooks {
            if let Err(err) = guarded(self.point, hook(row.clone(), ctx.clone())).await {
                tracing::error!(
                    hook = self.point,
                    status = err.status().as_u16(),
                    code = err.code(),
                    "a database hook failed after its change was committed; the answer is unchanged"
                );
            }
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.hooks.is_empty()
    }
}

/// The six hook points of one table.
pub(crate) struct TableHooks<Row, Change> {
    pub(crate) create_before: Before<Row>,
    pub(crate) create_after: After<Row>,
    pub(crate) update_before: Before<Change>,
    pub(crate) update_after: After<Row>,
    pub(crate) delete_before: Guard<Row>,
    pub(crate) delete_after: After<Row>,
}

impl<Row: Clone + Send + 'static, Change: Send + 'static> TableHooks<Row, Change> {
    /// The hook points of `table`, named `<table>.<create|update|delete>.<before|after>`.
    pub(super) fn new(points: &'static [&'static str; 6]) -> Self {
        Self {
            create_before: Before::new(points[0]),
            create_after: After::new(points[1]),
            update_before: Before::new(points[2]),
            update_after: After::new(points[3]),
            delete_before: Guard::new(points[4]),
            delete_after: After::new(points[5]),
        }
    }

    /// Whether any hook watches deletions (the rows must then be read first).
    pub(crate) fn watch_deletes(&self) -> bool {
        !self.delete_before.is_empty() || !self.delete_after.is_empty()
    }

    pub(super) fn len(&self) -> usize {
        self.create_before.hooks.len()
            + self.create_after.hooks.len()
            + self.update_before.hooks.len()
            + self.update_after.hooks.len()
            + self.delete_before.hooks.len()
            + self.delete_after.hooks.len()
    }

    pub(super) fn extend(&mut self, other: &Self) {
        fn copy<T: Clone>(to: &mut Vec<T>, from: &[T]) {
            to.extend(from.iter().cloned());
        }
        copy(&mut self.create_before.hooks, &other.create_before.hooks);
        copy(&mut self.create_after.hooks, &other.create_after.hooks);
        copy(&mut self.update_before.hooks, &other.update_before.hooks);
        copy(&mut self.update_after.hooks, &other.update_after.hooks);
        copy(&mut self.delete_before.hooks, &other.delete_before.hooks);
        copy(&mut self.delete_after.hooks, &other.delete_after.hooks);
    }
}

impl<Row, Change> Clone for TableHooks<Row, Change> {
    fn clone(&self) -> Self {
        Self {
            create_before: self.create_before.clone(),
            create_after: self.create_after.clone(),
            update_before: self.update_before.clone(),
            update_after: self.update_after.clone(),
            delete_before: self.delete_before.clone(),
            delete_after: self.delete_after.clone(),
        }
    }
}
