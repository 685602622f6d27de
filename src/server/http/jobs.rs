//! The two ways a handler reaches the store: `job` on the writer (its answer arrives after
//! the commit), `read` on a reader.

use super::state::Shared;
use crate::server::outcome::{Answer, Failure, R};
use crate::server::storage::memo::{Db, Needs};
use crate::server::storage::store::{Job, StoreError};
use std::any::Any;

/// Run a job on the writer thread; its answer arrives after the commit. `account` is the
/// account it writes (the group locks accounts in one order: no deadlock across servers).
pub(crate) async fn job<T: Send + 'static>(
    st: &Shared,
    account: Option<String>,
    f: impl FnOnce(&mut dyn Db) -> R<T> + Send + 'static,
) -> R<T> {
    job_needing(st, account, None, f).await
}

/// `job`, saying what it will read (`Needs`), so its group reads it ahead with the others'.
pub(crate) async fn job_needing<T: Send + 'static>(
    st: &Shared,
    account: Option<String>,
    needs: Option<Needs>,
    f: impl FnOnce(&mut dyn Db) -> R<T> + Send + 'static,
) -> R<T> {
    answer(st.writer.run(account, needs, boxed(f)).await)
}

/// Run a job that only reads, on a reader's own connection (never queued behind writes).
pub(crate) async fn read<T: Send + 'static>(
    st: &Shared,
    f: impl FnOnce(&mut dyn Db) -> R<T> + Send + 'static,
) -> R<T> {
    answer(st.readers.run(None, None, boxed(f)).await)
}

/// The workers run jobs of every answer type: each answer travels boxed and is unboxed as
/// the type its job was written with.
fn boxed<T: Send + 'static>(f: impl FnOnce(&mut dyn Db) -> R<T> + Send + 'static) -> Job<Answer> {
    Box::new(move |db| f(db).map(|t| Box::new(t) as Box<dyn Any + Send>))
}

fn answer<T: 'static>(r: Result<Answer, StoreError>) -> R<T> {
    let boxed = r.map_err(|e| match e {
        StoreError::Unavailable(_) => Failure::unavailable(e.to_string()),
        StoreError::Panicked => Failure::internal(e.to_string()),
    })??;
    boxed
        .downcast::<T>()
        .map(|t| *t)
        .map_err(|_| Failure::internal("a job answered another type"))
}
