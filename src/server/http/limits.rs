//! `GET`/`PUT /billing/limits/inbound` and the admin API's `PUT
//! /admin/accounts/{id}/limits/inbound` (SEMANTICS 18; `books::inbound`).

use crate::engine::inbound::InboundLimits;
use crate::server::books::auth::{Caller, READ};
use crate::server::books::inbound::{self, Overview};
use crate::server::clock::now;
use crate::server::http::extract::{Admin, JsonBody};
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::{Done, R};
use axum::extract::{Path, State};

/// The limits, this hour's and today's inbound toll-free seconds, and the refused calls.
pub(crate) async fn get(State(st): State<Shared>, c: Caller) -> R<Done<Overview>> {
    c.require(READ)?;
    read(&st, move |db| inbound::overview(db, &c.account, now())).await
}

/// The account holder's own limits (a session, as for the other settings).
pub(crate) async fn put(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(limits, _): JsonBody<InboundLimits>,
) -> R<Done> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        inbound::set(db, &c.account, limits).map(Done::ok)
    })
    .await
}

/// The platform sets an account's limits (the admin token).
pub(crate) async fn admin_put(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
    JsonBody(limits, _): JsonBody<InboundLimits>,
) -> R<Done> {
    job(&st, Some(id.clone()), move |db| {
        inbound::set(db, &id, limits).map(Done::ok)
    })
    .await
}
