//! The HTTP handlers of `books::leases`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::amount::Seconds;
use crate::engine::calendar::Instant;
use crate::engine::lease::{self, LeaseRequest, DEFAULT_LEASE_SECONDS};
use crate::engine::model::Hold;
use crate::server::books::accounts::load;
use crate::server::books::accounts::save;
use crate::server::books::auth::{Caller, LEASE, READ};
use crate::server::books::calls::{self};
use crate::server::books::charges;
use crate::server::books::leases::*;
use crate::server::clock::now;
use crate::server::http::extract::JsonBody;
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::{Done, R};
use axum::extract::{Path, State};
use serde::Serialize;

/// `PUT /leases/{id}`.
pub(crate) async fn put(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<LeaseBody>,
) -> R<Done<LeaseAnswer>> {
    c.require(LEASE)?;
    calls::check_id(&id, "id")?;
    check_body(&b)?;
    let window = st.config.window;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        let at = window.live(b.at, now(), "at")?;
        let ended = book_ends(db, &c.account, &id, b.ended, provider.as_ref())?;
        let mut a = load(db, &c.account, true)?;
        refresh(db, &mut a, window.live_skew)?;
        book_refusals(db, &mut a, &b.refused, now())?;
        let current = lease::find(&a.snap, &id)
            .filter(|l| l.active_at(at))
            .cloned();
        let req = LeaseRequest {
            id: id.clone(),
            at,
            credits: b
                .credits
                .or(current.as_ref().map(|l| l.credits))
                .unwrap_or_default(),
            included_seconds: b
                .included_seconds
                .or(current.as_ref().map(|l| l.included_seconds))
                .unwrap_or(Seconds(0)),
            plan_credits: b
                .plan_credits
                .or(current.as_ref().map(|l| l.plan_credits))
                .unwrap_or_default(),
            ttl_seconds: b.ttl_seconds.map_or(DEFAULT_LEASE_SECONDS, |s| s.0),
            held: b.held,
            held_numbers: b.held_numbers,
            sequence: b.sequence,
        };
        let (hold, snap, reload) = lease::lease(
            a.card.at(&a.versions, at),
            &a.snap,
            &req,
            provider.settles_at_once(),
        )
        .map_err(refused)?;
        a.snap = snap;
        let reloads: Vec<_> = reload.into_iter().collect();
        charges::book_reloads(db, provider.as_ref(), &mut a, &reloads, now())?;
        save(db, &a)?;
        let card = rate_card_text(db, &a, at)?;
        let body = answer(&a, (hold, card), at, ended);
        Ok(if current.is_none() {
            Done::created(body)
        } else {
            Done::ok(body)
        })
    })
    .await
}

/// The answer to a release: what went back to the pools, what stays leased for live calls.
#[derive(Serialize)]
pub(crate) struct Released {
    released: Option<Hold>,
    kept: Option<Hold>,
    ended: Vec<BookedEnd>,
    version: i64,
}

/// `POST /leases/{id}/release`: book the calls it reports, then give back what is left.
/// Releasing a lease that is gone (lapsed, or released before) answers `released: null`.
pub(crate) async fn release(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<ReleaseBody>,
) -> R<Done<Released>> {
    c.require(LEASE)?;
    calls::check_id(&id, "id")?;
    check_ends(&b.ended)?;
    check_held(&b.held)?;
    check_refusals(&b.refused)?;
    let provider = st.config.provider.clone();
    let window = st.config.window;
    job(&st, Some(c.account.clone()), move |db| {
        let ended = book_ends(db, &c.account, &id, b.ended, provider.as_ref())?;
        let mut a = load(db, &c.account, true)?;
        refresh(db, &mut a, window.live_skew)?;
        book_refusals(db, &mut a, &b.refused, now())?;
        let released = lease::release(&mut a.snap, &id, b.held, b.sequence).map_err(refused)?;
        save(db, &a)?;
        let (released, kept) = released.map_or((None, None), |(b, k)| (Some(b), k));
        Ok(Done::ok(Released {
            released,
            kept,
            ended,
            version: a.version(),
        }))
    })
    .await
}

/// `GET /leases`: the account's leases, each with whether it still counts.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Leases {
    leases: Vec<LeaseState>,
    as_of: Instant,
    version: i64,
}

#[derive(Serialize)]
pub(crate) struct LeaseState {
    lease: Hold,
    active: bool,
}

pub(crate) async fn list(State(st): State<Shared>, c: Caller) -> R<Done<Leases>> {
    if c.require(LEASE).is_err() {
        c.require(READ)?;
    }
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let t = now();
        let leases = a
            .snap
            .holds
            .iter()
            .filter(|h| !h.is_call())
            .map(|h| LeaseState {
                active: h.active_at(t),
                lease: h.clone(),
            })
            .collect();
        Ok(Done::ok(Leases {
            leases,
            as_of: t,
            version: a.version(),
        }))
    })
    .await
}
