//! The HTTP handlers of `books::profile`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::server::books::auth::{Caller, READ};
use crate::server::books::invoices::{self};
use crate::server::books::profile::*;
use crate::server::clock::now;
use crate::server::http::extract::JsonBody;
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{Done, Failure, R};
use crate::tax::Country;
use axum::extract::State;

pub(crate) async fn get_profile(State(st): State<Shared>, c: Caller) -> R<Done<ProfileAnswer>> {
    c.require_session()?;
    read(&st, move |db| {
        let p = load(db, &c.account)?;
        let check = last_check(db, &c.account, p.vat_id.as_deref())?;
        Ok(Done::ok(p.answer(check)))
    })
    .await
}

/// `PUT /billing/profile`: the profile, and an EU VAT ID checked with VIES before it is
/// stored (the check runs outside the store's writer; its answer is recorded with it).
pub(crate) async fn put_profile(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(body, _): JsonBody<ProfileBody>,
) -> R<Done<ProfileAnswer>> {
    c.require_session()?;
    let mut p = read_body(body)?;
    let eu = p
        .country
        .as_deref()
        .and_then(Country::parse)
        .is_some_and(|c| c.in_eu());
    let check = match (&p.vat_id, eu) {
        (Some(id), true) => {
            let requester = st.config.seller.as_ref().map(|s| s.vat_id.clone());
            let a = st.config.vies.check(id, requester.as_deref()).await;
            Some((st.config.vies.name(), a))
        }
        _ => None,
    };
    let t = now();
    if let Some((_, a)) = &check {
        p.vat_status = a.result.into();
        p.vat_checked_at = Some(t.to_string());
    }
    job(&st, Some(c.account.clone()), move |db| {
        // The account must exist (and is locked for the write).
        crate::server::books::accounts::load(db, &c.account, true)?;
        save(db, &c.account, &p, &t.to_string())?;
        if let (Some((provider, a)), Some(id)) = (&check, &p.vat_id) {
            record_check(db, &c.account, id, provider, a, &t.to_string())?;
        }
        let check = last_check(db, &c.account, p.vat_id.as_deref())?;
        Ok(Done::ok(p.answer(check)))
    })
    .await
}

/// `POST /billing/wallet/topup/quote`: what `POST /billing/wallet/topup` would charge for
/// `amount` net, now; writes nothing.
pub(crate) async fn quote(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(body, _): JsonBody<QuoteBody>,
) -> R<Done<crate::tax::TopUpQuote>> {
    c.require(READ)?;
    let seller = st.config.seller.clone();
    read(&st, move |db| {
        let a = crate::server::books::accounts::load(db, &c.account, false)?;
        crate::server::books::wallet::check_top_up(&a, body.amount)?;
        let Some(seller) = &seller else {
            return Err(Failure::new(
                ServerCode::TaxNotConfigured,
                None,
                "the server has no seller VAT details (--seller): top-ups are charged net, without VAT",
            ));
        };
        let p = load(db, &c.account)?;
        let q = invoices::quote_for(seller, &p, &a, body.amount, now())?;
        Ok(Done::ok(q))
    })
    .await
}
