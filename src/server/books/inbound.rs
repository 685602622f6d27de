//! Inbound toll-free limits at the server (SEMANTICS 18). The limits live in the account's
//! snapshot (`inboundLimits`) beside the counters the engine keeps there (`inboundUsage`,
//! written at every end), so every job that grants reads them. This module keeps what only
//! the server knows: the calls the limits refused, and `traffic.limited`, sent once per
//! window (the local hour, or the day for a day limit) in which a limit refused calls.

use super::accounts::{enqueue, load, save, Acct};
use crate::engine::calendar::Instant;
use crate::engine::inbound::{self, Counted, InboundLimits};
use crate::server::outcome::{store, Done, Failure, Kind, R};
use crate::server::storage::memo::Db;
use serde::Serialize;
use serde_json::{json, Value};

/// Refused calls `GET /billing/limits/inbound` lists, newest first.
pub const REFUSALS_LISTED: i64 = 100;

/// Replace `account`'s inbound limits (an empty object removes them). Every finding of the
/// engine's comes back at once, each at its field, in a 422 whose `error` is the first.
pub fn set(db: &mut dyn Db, account: &str, limits: InboundLimits) -> R<Value> {
    let found = inbound::findings(&limits);
    if !found.is_empty() {
        let errors: Vec<Value> = (found.iter())
            .map(|e| json!({ "code": e.code.as_str(), "field": e.field, "message": e.message }))
            .collect();
        let body = json!({ "error": errors[0], "errors": errors });
        return Err(Failure::with_body(Kind::Invalid, body));
    }
    let mut a = load(db, account, true)?;
    a.snap.inbound_limits = (limits != InboundLimits::default()).then_some(limits);
    save(db, &a)?;
    Ok(json!({ "inboundLimits": a.snap.inbound_limits }))
}

/// A refused call, as `GET /billing/limits/inbound` lists it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Refusal {
    pub call_id: String,
    pub at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    pub limit: String,
}

/// `GET /billing/limits/inbound`: the limits, this hour's and today's inbound toll-free
/// seconds against them (ended calls and live holds, as the limits count them), and the
/// latest refused calls.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Overview {
    pub inbound_limits: Option<InboundLimits>,
    pub hour: Counted,
    pub day: Counted,
    pub refused: Vec<Refusal>,
}

pub fn overview(db: &mut dyn Db, account: &str, now: Instant) -> R<Done<Overview>> {
    let a = load(db, account, false)?;
    let (hour, day) = inbound::usage_now(&a.snap, now).map_err(Failure::invalid)?;
    let rows = store(db.query(
        "SELECT call_id, at, number_id, limit_name FROM inbound_refusals WHERE account_id = $1 \
         ORDER BY n DESC LIMIT $2",
        &[account.into(), REFUSALS_LISTED.into()],
    ))?;
    let refused = rows
        .iter()
        .map(|r| Refusal {
            call_id: r[0].text().unwrap_or_default().to_string(),
            at: r[1].text().unwrap_or_default().to_string(),
            number_id: r[2].text().map(str::to_string),
            limit: r[3].text().unwrap_or_default().to_string(),
        })
        .collect();
    Ok(Done::ok(Overview {
        inbound_limits: a.snap.inbound_limits,
        hour,
        day,
        refused,
    }))
}

/// Record a call a limit refused (or cut to nothing at an extend), and send
/// `traffic.limited` if it is the first refusal by that limit in its window.
pub fn refused(
    db: &mut dyn Db,
    a: &mut Acct,
    (call_id, number_id): (&str, Option<&str>),
    limit: &str,
    at: Instant,
    now: Instant,
) -> R<()> {
    // An edge may report a refusal again (its request retried): listed once.
    let seen = store(db.query(
        "SELECT COUNT(*) FROM inbound_refusals WHERE account_id = $1 AND call_id = $2 AND at = $3",
        &[a.id.as_str().into(), call_id.into(), at.to_string().into()],
    ))?;
    if seen.first().and_then(|r| r[0].int()) != Some(0) {
        return Ok(());
    }
    let (from, to) = inbound::window_of(limit, a.snap.time_zone, at).map_err(Failure::invalid)?;
    let window = from.to_string();
    let earlier = store(db.query(
        "SELECT COUNT(*) FROM inbound_refusals WHERE account_id = $1 AND limit_name = $2 AND window_start = $3",
        &[a.id.as_str().into(), limit.into(), window.as_str().into()],
    ))?;
    let first = earlier.first().and_then(|r| r[0].int()) == Some(0);
    let n = a.next_id();
    store(db.exec(
        "INSERT INTO inbound_refusals (account_id, n, call_id, at, number_id, limit_name, window_start) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        &[
            a.id.as_str().into(),
            n.into(),
            call_id.into(),
            at.to_string().into(),
            number_id.into(),
            limit.into(),
            window.as_str().into(),
        ],
    ))?;
    if !first {
        return Ok(());
    }
    let payload = json!({ "type": "traffic.limited", "accountId": a.id, "at": at,
        "limit": limit, "callId": call_id, "numberId": number_id,
        "windowStart": from, "windowEnd": to, "inboundLimits": a.snap.inbound_limits });
    enqueue(db, a, "traffic.limited", &payload, now)
}
