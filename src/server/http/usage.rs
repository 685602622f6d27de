//! The HTTP handlers of `books::usage`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::error::Code;
use crate::server::books::accounts::load;
use crate::server::books::auth::{Caller, READ, WRITE};
use crate::server::books::usage::*;
use crate::server::clock::now;
use crate::server::http::extract::{IdempotencyKey, JsonBody};
use crate::server::http::jobs::{job_needing, read};
use crate::server::http::state::Shared;
use crate::server::outcome::{Done, Failure, Kind, R};
use axum::extract::State;
use serde_json::{json, Value};

pub(crate) async fn record_usage(
    State(st): State<Shared>,
    c: Caller,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(u, hash): JsonBody<UsageBody>,
) -> R<Done> {
    c.require(WRITE)?;
    if u.events.is_empty() || u.events.len() > MAX_EVENTS {
        return Err(Failure::engine(
            Kind::Malformed,
            Code::InvalidValue,
            Some("events"),
            format!("send 1 to {MAX_EVENTS} usage events"),
        ));
    }
    let provider = st.config.provider.clone();
    let window = st.config.window;
    let needs = usage_needs(&key, &u.events)?;
    job_needing(&st, Some(c.account.clone()), Some(needs), move |db| {
        record_usage_once(
            db,
            &c.account,
            (&key, &hash),
            u.events,
            provider.as_ref(),
            window,
            now(),
        )
    })
    .await
}

pub(crate) async fn authorize(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(v, _): JsonBody<Value>,
) -> R<Done<crate::engine::authorize::Authorization>> {
    c.require(READ)?;
    // `{ "call": {...} }` or the call itself.
    let mut call = match serde_json::from_value::<AuthorizeBody>(v.clone()) {
        Ok(a) if v.as_object().is_some_and(|o| o.len() == 1) => a.call,
        _ => v,
    };
    // A check without `at` is about a call starting now.
    if let Some(o) = call.as_object_mut() {
        o.entry("at").or_insert_with(|| json!(now()));
    }
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let call: crate::engine::authorize::CallRequest = crate::ops::parse(&call)
            .map_err(|e| Failure::from_error(Kind::Malformed, &e.within("call")))?;
        let out =
            crate::engine::authorize::authorize_call(&crate::engine::authorize::AuthorizeInput {
                rate_card: a.card.at(&a.versions, call.at).clone(),
                account: a.snap,
                call,
            })
            .map_err(Failure::invalid)?;
        // Seed 001: outbound with nothing left is HTTP 402 with the error document.
        if let (Some(402), Some(e)) = (out.http_status, &out.error) {
            return Err(Failure::with_body(
                Kind::PaymentRequired,
                json!({ "error": e, "authorization": out }),
            ));
        }
        Ok(Done::ok(out))
    })
    .await
}
