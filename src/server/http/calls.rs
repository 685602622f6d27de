//! The HTTP handlers of `books::calls`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::calendar::Instant;
pub(super) use crate::engine::call_body::{EndBody, ExtendBody, StartBody};
use crate::server::books::accounts::load;
use crate::server::books::auth::{Caller, READ, WRITE};
use crate::server::books::calls::*;
use crate::server::clock::now;
use crate::server::http::extract::{JsonBody, Query};
use crate::server::http::jobs::{job_needing, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, R};
use axum::extract::{Path, State};
use serde::Serialize;

/// `POST /calls`: the first quota, idempotent by call id.
pub(crate) async fn start(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(b, _): JsonBody<StartBody>,
) -> R<Done> {
    c.require(WRITE)?;
    check_id(&b.id, "id")?;
    let window = st.config.window;
    let provider = st.config.provider.clone();
    let needs = call_needs(&b.id, None);
    job_needing(&st, Some(c.account.clone()), Some(needs), move |db| {
        start_job(db, &c.account, b, (window, provider.as_ref()), now())
    })
    .await
}

/// `POST /calls/{id}/extend`: the next quota.
pub(crate) async fn extend(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<ExtendBody>,
) -> R<Done> {
    c.require(WRITE)?;
    check_id(&id, "id")?;
    let window = st.config.window;
    let provider = st.config.provider.clone();
    let needs = call_needs(&id, None);
    job_needing(&st, Some(c.account.clone()), Some(needs), move |db| {
        extend_job(db, &c.account, &id, b, (window, provider.as_ref()), now())
    })
    .await
}

/// `POST /calls/{id}/end`: the bill, idempotent by call id.
pub(crate) async fn end(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<EndBody>,
) -> R<Done> {
    c.require(WRITE)?;
    check_id(&id, "id")?;
    let window = st.config.window;
    let provider = st.config.provider.clone();
    let needs = call_needs(&id, Some(b.at.unwrap_or_else(now)));
    job_needing(&st, Some(c.account.clone()), Some(needs), move |db| {
        let now = now();
        let b = EndBody {
            at: Some(window.live(b.at, now, "at")?),
            ..b
        };
        end_job(db, &c.account, &id, b, provider.as_ref(), now)
    })
    .await
}

/// `GET /calls?state=live|ended|expired`: the account's calls with their holds.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct CallList {
    calls: Vec<Listed>,
    as_of: Instant,
}

pub(crate) async fn list(
    State(st): State<Shared>,
    c: Caller,
    Query(q): Query<ListQuery>,
) -> R<Done<CallList>> {
    c.require(READ)?;
    let wanted = q.state.clone();
    if let Some(s) = wanted.as_deref() {
        if !matches!(s, "live" | "ended" | "expired") {
            return Err(Failure::new(
                ServerCode::InvalidQuery,
                Some("state"),
                "state is live, ended or expired",
            ));
        }
    }
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let rows = store(db.query(
            &format!(
                "SELECT call_id, state, started_at, start_answer, end_answer, ended_at, lapsed_hold FROM calls \
                 WHERE account_id = $1 ORDER BY started_at DESC, call_id LIMIT {MAX_LISTED}"
            ),
            &[c.account.as_str().into()],
        ))?;
        let t = now();
        let mut calls = Vec::with_capacity(rows.len());
        for r in &rows {
            let call = listed(r, &a.snap, t)?;
            if wanted.as_deref().is_none_or(|s| call.state == s) {
                calls.push(call);
            }
        }
        Ok(Done::ok(CallList { calls, as_of: t }))
    })
    .await
}
