//! The HTTP handlers of `books::payment_methods`: a dashboard session's saved cards. Each
//! reads its request and hands the work to the books on the writer (`job`) or a reader.

use crate::server::books::accounts::load;
use crate::server::books::payment_methods::*;
use crate::server::clock::now;
use crate::server::http::extract::JsonBody;
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::{Done, R};
use axum::extract::{Path, State};

use crate::server::books::auth::Caller;

pub(crate) async fn list_methods(State(st): State<Shared>, c: Caller) -> R<Done<Methods>> {
    c.require_session()?;
    read(&st, move |db| Ok(Done::ok(list(db, &c.account)?))).await
}

/// `POST /billing/payment-methods/setup`: a card setup and the secret to confirm it with.
pub(crate) async fn start_setup(State(st): State<Shared>, c: Caller) -> R<Done<Setup>> {
    c.require_session()?;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        load(db, &c.account, true)?;
        Ok(Done::ok(setup(
            db,
            &c.account,
            &provider,
            &now().to_string(),
        )?))
    })
    .await
}

/// `POST /billing/payment-methods`: the confirmed setup's card saved.
pub(crate) async fn save_method(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(body, _): JsonBody<ConfirmBody>,
) -> R<Done<SavedMethod>> {
    c.require_session()?;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        load(db, &c.account, true)?;
        Ok(Done::ok(confirm(
            db,
            &c.account,
            &provider,
            &body,
            now().0,
        )?))
    })
    .await
}

/// `PUT /billing/payment-methods/{id}/default`.
pub(crate) async fn make_default(
    State(st): State<Shared>,
    Path(id): Path<String>,
    c: Caller,
) -> R<Done<SavedMethod>> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        load(db, &c.account, true)?;
        Ok(Done::ok(set_default(db, &c.account, &id)?))
    })
    .await
}

/// `DELETE /billing/payment-methods/{id}`: refused while auto-recharge charges it.
pub(crate) async fn remove_method(
    State(st): State<Shared>,
    Path(id): Path<String>,
    c: Caller,
) -> R<Done<Methods>> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        let a = load(db, &c.account, true)?;
        let r = a.snap.auto_reload.as_ref();
        let in_use = r.is_some_and(|r| r.enabled && r.payment_method.as_deref() == Some(&id));
        Ok(Done::ok(remove(db, &c.account, &id, in_use)?))
    })
    .await
}
