//! Live calls at the authoritative server (SEMANTICS 11; CONTRACT's live-call routes). The
//! holds live in the account snapshot, so they are exactly as durable as the balance; each
//! call also has a row in `calls` with the answers a retried start or end replays. Grants
//! and bills are the core's (`live::start_call`, `extend_call`, `end_call_books`).

use super::accounts;
use super::accounts::load;
use super::accounts::save;
use super::accounts::Acct;
use super::charges::{self, Charge};
use super::expiries;
use super::provider;
use super::usage::Window;
use crate::engine::calendar::Instant;
pub(crate) use crate::engine::call_body::{EndBody, ExtendBody, StartBody};
use crate::engine::drawdown::AlertEvent;
use crate::engine::error::Code;
use crate::engine::live::{
    self, EndBooks, EndCall, EndInput, ExtendInput, QuotaGrant, StartCall, StartInput,
};
use crate::engine::model::{Account, Hold};
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, Kind, R};
use crate::server::storage::memo::Db;
use crate::server::storage::memo::Needs;
use crate::server::storage::rollup;
use crate::server::storage::sql::Row;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// The most calls `GET /calls` lists.
pub(crate) const MAX_LISTED: i64 = 500;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    #[serde(default)]
    pub(crate) state: Option<String>,
}

/// A call as `GET /calls` lists it: a recorded live call whose hold has lapsed is `expired`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Listed {
    id: String,
    pub(crate) state: &'static str,
    started_at: String,
    hold: Option<Hold>,
    start: Option<Value>,
    end: Option<Value>,
    ended_at: Option<String>,
}

pub(crate) fn listed(r: &Row, snap: &Account, t: Instant) -> R<Listed> {
    let text = |i: usize| r[i].text().unwrap_or("").to_string();
    let answer = |i: usize| r[i].json::<Value>("call answer");
    let id = text(0);
    let hold = live::call_hold(snap, &id);
    let state = match (text(1).as_str(), hold) {
        ("ended", _) => "ended",
        (_, Some(h)) if h.active_at(t) => "live",
        _ => "expired",
    };
    let hold = match hold {
        Some(h) => Some(h.clone()),
        None => r[6].json::<Hold>("lapsed hold")?,
    };
    Ok(Listed {
        state,
        started_at: text(2),
        hold,
        start: answer(3)?,
        end: answer(4)?,
        ended_at: r[5].text().map(str::to_string),
        id,
    })
}

/// Call ids follow the rules of usage ids (they become one when the call is billed).
pub(crate) fn check_id(id: &str, field: &str) -> R<()> {
    crate::engine::call_body::check_id(id, field)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e))
}

/// What a live-call job on `id` reads, announced so its group reads it ahead with the
/// others' (`memo::Needs`): the call's row; for an end at `at`, also whether the id is
/// recorded as usage and the day totals around it (UTC dates +-2 cover every zone's +-1).
pub fn call_needs(id: &str, end_at: Option<Instant>) -> Needs {
    Needs {
        calls: vec![id.to_string()],
        usage_ids: end_at.map(|_| id.to_string()).into_iter().collect(),
        days: end_at.map(|t| Needs::dates_around(t, t, 2)),
        ..Needs::default()
    }
}

/// The recorded row of a call: (state, start answer, end answer).
pub(crate) fn recorded(
    db: &mut dyn Db,
    account: &str,
    id: &str,
) -> R<Option<(String, Value, Value)>> {
    let row = match db.memo().call(account, id) {
        Some(known) => known,
        None => store(db.query(
            "SELECT state, start_answer, end_answer FROM calls WHERE account_id = $1 AND call_id = $2",
            &[account.into(), id.into()],
        ))?
        .into_iter()
        .next(),
    };
    let Some(r) = row else { return Ok(None) };
    let answer =
        |i: usize| -> R<Value> { Ok(r[i].json::<Value>("call answer")?.unwrap_or(Value::Null)) };
    Ok(Some((
        r[0].text().unwrap_or("").to_string(),
        answer(1)?,
        answer(2)?,
    )))
}

/// A grant's answer as CONTRACT gives it (the account it holds travels beside it), the
/// document recorded for a retried start.
pub(crate) fn grant_document(g: &QuotaGrant) -> R<Value> {
    Done::json(g)
}

/// A refused outbound grant is the seed's 402; an inbound refusal answers 200 with
/// `action: reject_inbound` (seed 001).
pub(crate) fn grant_answer(g: &QuotaGrant, body: Value) -> R<Done> {
    if g.http_status == Some(402) {
        return Err(Failure::with_body(Kind::PaymentRequired, body));
    }
    Ok(Done::ok(body))
}

pub(crate) fn start_job(
    db: &mut dyn Db,
    account: &str,
    b: StartBody,
    (window, provider): (Window, &dyn provider::PaymentProvider),
    now: Instant,
) -> R<Done> {
    if let Some((_, start, _)) = recorded(db, account, &b.id)? {
        return Ok(Done {
            replayed: true,
            ..Done::ok(start)
        });
    }
    let at = window.live(b.at, now, "at")?;
    let mut a = load(db, account, true)?;
    expiries::book_expiries(db, &mut a, now)?;
    lapse_holds(db, &mut a, now, window.live_skew)?;
    let out = live::start_call_books(
        &StartInput {
            rate_card: a.card.at(&a.versions, at).clone(),
            account: a.snap.clone(),
            call: StartCall {
                id: b.id.clone(),
                direction: b.direction,
                toll_free: b.toll_free,
                agent_id: b.agent_id,
                number_id: b.number_id.clone(),
                at,
                quota_seconds: b.quota_seconds,
                requested_max_seconds: b.requested_max_seconds,
                grace_seconds: None,
            },
        },
        provider.settles_at_once(),
    )
    .map_err(Failure::invalid)?;
    let (grant, snap) = out;
    let body = grant_document(&grant)?;
    if !grant.allowed {
        // Nothing is held or recorded: a retry with the same id is a new question.
        if let Some(limit) = &grant.limit {
            let call = (b.id.as_str(), b.number_id.as_deref());
            super::inbound::refused(db, &mut a, call, limit, at, now)?;
        }
        save(db, &a)?;
        return grant_answer(&grant, body);
    }
    a.snap = snap;
    charges::book_reloads(db, provider, &mut a, &grant.reloads, now)?;
    store(db.exec(
        "INSERT INTO calls (account_id, call_id, state, started_at, start_answer) VALUES ($1, $2, 'live', $3, $4)",
        &[account.into(), b.id.as_str().into(), at.to_string().into(), body.to_string().into()],
    ))?;
    db.memo().forget_call(account, &b.id);
    if grant.final_quota {
        final_quota_event(db, &mut a, &b.id, &grant, now)?;
    }
    save(db, &a)?;
    grant_answer(&grant, body)
}

pub(crate) fn extend_job(
    db: &mut dyn Db,
    account: &str,
    id: &str,
    b: ExtendBody,
    (window, provider): (Window, &dyn provider::PaymentProvider),
    now: Instant,
) -> R<Done> {
    let Some((state, _, _)) = recorded(db, account, id)? else {
        return Err(unknown_call(id));
    };
    if state == "ended" {
        return Err(Failure::new(
            ServerCode::CallEnded,
            Some("id"),
            format!("call `{id}` has ended"),
        ));
    }
    let at = window.live(b.at, now, "at")?;
    let mut a = load(db, account, true)?;
    expiries::book_expiries(db, &mut a, now)?;
    lapse_holds(db, &mut a, now, window.live_skew)?;
    let mut input = ExtendInput {
        rate_card: a.card.at(&a.versions, at).clone(),
        account: a.snap.clone(),
        call_id: id.to_string(),
        at,
        quota_seconds: b.quota_seconds,
    };
    with_lapsed_hold(db, account, (id, &state), &mut input.account)?;
    let out = live::extend_call_books(&input, provider.settles_at_once()).map_err(|e| {
        match e.code.as_str() {
            "unknown_call" => Failure::from_error(Kind::NotFound, &e),
            _ => Failure::invalid(e),
        }
    })?;
    let (grant, snap) = out;
    a.snap = snap;
    charges::book_reloads(db, provider, &mut a, &grant.reloads, now)?;
    if let Some(limit) = grant.limit.as_ref().filter(|_| !grant.allowed) {
        let number = grant.hold.as_ref().and_then(|h| h.number_id.as_deref());
        super::inbound::refused(db, &mut a, (id, number), limit, at, now)?;
    }
    if grant.final_quota {
        final_quota_event(db, &mut a, id, &grant, now)?;
    }
    save(db, &a)?;
    Ok(Done::ok(grant_document(&grant)?))
}

pub(crate) fn end_job(
    db: &mut dyn Db,
    account: &str,
    id: &str,
    mut b: EndBody,
    provider: &dyn provider::PaymentProvider,
    now: Instant,
) -> R<Done> {
    let known = recorded(db, account, id)?;
    if let Some(("ended", _, end)) = known.as_ref().map(|(s, st, e)| (s.as_str(), st, e)) {
        return Ok(Done {
            replayed: true,
            ..Done::ok(end.clone())
        });
    }
    refuse_recorded_usage(db, account, id)?;
    let mut a = load(db, account, true)?;
    expiries::book_expiries(db, &mut a, now)?;
    if let Some((state, _, _)) = &known {
        with_lapsed_hold(db, account, (id, state), &mut a.snap)?;
    }
    let held = live::call_hold(&a.snap, id);
    let agent = held.and_then(|h| h.agent_id.clone()).or(b.agent_id.clone());
    let lease = lease_of(&mut b)?;
    let input = end_input(&a, id, b, now);
    let usage = live::ended_usage(&input).map_err(Failure::invalid)?;
    let books = match lease {
        Some((l, used)) => {
            crate::engine::lease::end_call_on_lease(&input, &l, used, provider.settles_at_once())
        }
        None => live::end_call_books(&input, provider.settles_at_once()),
    }
    .map_err(Failure::invalid)?;
    let EndBooks {
        ended,
        account: snap,
        reloads,
    } = books;
    let opening = (
        accounts::booked(&a.snap),
        a.snap.alerts.as_ref().and_then(|x| x.state),
    );
    a.snap = snap;
    book_end(
        db,
        &mut a,
        (id, agent.as_deref()),
        (&ended, &reloads),
        provider,
        opening,
        now,
    )?;
    // Billed now from the pools its hold kept (SEMANTICS 11); a later re-draw places it at
    // its start among the other steps (SEMANTICS 15).
    let drawn = super::late::Drawn::of(std::slice::from_ref(&ended.item)).to_json();
    super::steps::append(
        db,
        &mut a,
        usage.at,
        &crate::engine::redraw::Step::Usage(usage),
        Some(&drawn),
    )?;
    let body = Done::json(&ended)?;
    record_end(
        db,
        account,
        id,
        known.is_some(),
        (&body, ended.item.at),
        now,
    )?;
    save(db, &a)?;
    Ok(Done::ok(body))
}

/// An end whose call id was recorded as usage (by `POST /usage`) would bill it twice.
fn refuse_recorded_usage(db: &mut dyn Db, account: &str, id: &str) -> R<()> {
    let seen = match db.memo().usage_id(account, id) {
        Some(seen) => seen,
        None => !store(db.query(
            "SELECT usage_id FROM usage_ids WHERE account_id = $1 AND usage_id = $2",
            &[account.into(), id.into()],
        ))?
        .is_empty(),
    };
    if !seen {
        return Ok(());
    }
    Err(Failure::new(
        ServerCode::DuplicateUsage,
        Some("id"),
        format!("usage `{id}` is already recorded"),
    ))
}

/// The lease an edge's end was billed under, with what its bill took from the lease.
fn lease_of(b: &mut EndBody) -> R<Option<(String, crate::engine::lease::LeaseUsage)>> {
    match (b.lease_id.take(), b.lease_usage.take()) {
        (Some(id), Some(used)) => Ok(Some((id, used))),
        (None, _) => Ok(None),
        (Some(_), None) => Err(Failure::engine(
            Kind::Malformed,
            Code::MissingField,
            Some("leaseUsage"),
            "an end under a lease says what the edge's bill took from it (leaseUsage)",
        )),
    }
}

/// The engine's input for an end: the body's call at its `at` (now when it has none).
fn end_input(a: &Acct, id: &str, b: EndBody, now: Instant) -> EndInput {
    // A call is priced by the version in force when it started (issue 28).
    let started = a
        .snap
        .holds
        .iter()
        .find(|h| h.id == id)
        .map(|h| h.started_at);
    let t = started.or(b.started_at).unwrap_or(b.at.unwrap_or(now));
    EndInput {
        rate_card: a.card.at(&a.versions, t).clone(),
        account: a.snap.clone(),
        call_id: id.to_string(),
        at: b.at.unwrap_or(now),
        call: EndCall {
            connected_seconds: b.connected_seconds,
            transfer: b.transfer,
            carrier_pass_through: b.carrier_pass_through,
            direction: b.direction,
            toll_free: b.toll_free,
            agent_id: b.agent_id,
            number_id: b.number_id,
            started_at: b.started_at,
        },
    }
}

/// The call's row: ended, with the answer a retried end replays (a row is made for a call
/// the server never saw start).
pub(crate) fn record_end(
    db: &mut dyn Db,
    account: &str,
    id: &str,
    known: bool,
    (body, started): (&Value, Instant),
    now: Instant,
) -> R<()> {
    let started = started.to_string();
    let sql = if known {
        "UPDATE calls SET state = 'ended', end_answer = $3, ended_at = $4 WHERE account_id = $1 AND call_id = $2"
    } else {
        "INSERT INTO calls (account_id, call_id, state, end_answer, ended_at, started_at) VALUES ($1, $2, 'ended', $3, $4, $5)"
    };
    let mut params = vec![
        account.into(),
        id.into(),
        body.to_string().into(),
        now.to_string().into(),
    ];
    if !known {
        params.push(started.into());
    }
    store(db.exec(sql, &params))?;
    db.memo().forget_call(account, id);
    Ok(())
}

/// A call's bill booked as any charged item is (`charges::book`), with the day totals
/// around its day read through the group's memo and written back. The alert it crossed,
/// if any, is dated at the call's end, as the drawdown dates an alert at its item.
pub(crate) fn book_end(
    db: &mut dyn Db,
    a: &mut Acct,
    (id, agent): (&str, Option<&str>),
    (ended, reloads): (&live::Ended, &[crate::engine::reload::ReloadEvent]),
    provider: &dyn provider::PaymentProvider,
    (booked_before, alert_before): (Decimal, Option<crate::engine::model::AlertState>),
    now: Instant,
) -> R<()> {
    let item = &ended.item;
    let alert_after = a.snap.alerts.as_ref().and_then(|x| x.state);
    let alerts: Vec<AlertEvent> = match (alert_before, alert_after) {
        (Some(from), Some(to)) if from != to => vec![AlertEvent {
            at: item.at,
            balance: ended.balance_after,
            from,
            to,
        }],
        _ => vec![],
    };
    let charge = Charge {
        id,
        agent,
        at: item.at,
        items: std::slice::from_ref(item),
        booked_before,
        owed: a.snap.owed.unwrap_or_default(),
        reloads,
        alerts: &alerts,
        drawn_after_expiry: &[],
        call: true,
    };
    let mut days = days_around(db, a, item.at)?;
    let mut touched = BTreeSet::new();
    charges::book(db, a, &charge, provider, (&mut days, &mut touched), now)?;
    if !db.memo().change_days(&a.id, &days, touched.iter()) {
        rollup::write(db, &a.id, &days, touched.iter())?;
    }
    Ok(())
}

/// The day totals of the days around `at` (local), through the group's memo, as
/// `POST /usage` reads them: a usage job earlier in the same group may have changed these
/// days without writing them yet.
fn days_around(db: &mut dyn Db, a: &Acct, at: Instant) -> R<rollup::Days> {
    let day = at.local(a.snap.time_zone).date();
    let span = (
        (day - chrono::Duration::days(1)).to_string(),
        (day + chrono::Duration::days(1)).to_string(),
    );
    let needs = crate::server::storage::memo::Needs {
        days: Some(span),
        ..Default::default()
    };
    Ok(store(crate::server::storage::memo::read_known(db, &a.id, &needs))?.days)
}

/// The most lapsed holds one job moves out of the snapshot: a lapsed hold no longer counts,
/// so the rest can wait for the account's next job, and no request pays for thousands.
const MAX_LAPSES_PER_JOB: usize = 256;

/// Lapsed call holds: their calls are marked `expired` (`call.expired` goes out once), and
/// once they lapsed longer ago than the live skew (an extend or an end may be dated that far
/// back), they move out of the snapshot into the call's row (`lapsed_hold`), where a late
/// end still finds them. So a call that never ends costs the account's requests nothing
/// after (issue 26: 5,000 lapsed holds made every start 36-247 ms).
pub(crate) fn lapse_holds(
    db: &mut dyn Db,
    a: &mut Acct,
    now: Instant,
    skew: chrono::Duration,
) -> R<()> {
    let lapsed: Vec<Hold> = a
        .snap
        .holds
        .iter()
        .filter(|h| h.is_call() && !h.active_at(now))
        .take(MAX_LAPSES_PER_JOB)
        .cloned()
        .collect();
    let settled = now.0.checked_sub_signed(skew).map_or(now, Instant);
    for h in lapsed {
        let kept = serde_json::to_string(&h).map_err(|e| Failure::internal(e.to_string()))?;
        let (acct, id) = (a.id.as_str(), h.id.as_str());
        let changed = store(db.query(
            "UPDATE calls SET state = 'expired', lapsed_hold = $3 WHERE account_id = $1 AND call_id = $2 AND state = 'live' RETURNING call_id",
            &[acct.into(), id.into(), kept.as_str().into()],
        ))?;
        db.memo().forget_call(acct, id);
        if !changed.is_empty() {
            let payload =
                json!({ "type": "call.expired", "accountId": acct, "callId": id, "at": now });
            accounts::enqueue(db, a, "call.expired", &payload, now)?;
        }
        if h.active_at(settled) {
            continue;
        }
        // A call marked expired before its row kept the hold keeps it now.
        if changed.is_empty() {
            store(db.exec(
                "UPDATE calls SET lapsed_hold = $3 WHERE account_id = $1 AND call_id = $2 AND lapsed_hold IS NULL",
                &[a.id.as_str().into(), h.id.as_str().into(), kept.as_str().into()],
            ))?;
        }
        a.snap.holds.retain(|x| !(x.is_call() && x.id == h.id));
    }
    Ok(())
}

/// The hold of a lapsed call that left the snapshot (`lapse_holds`), put back into `snap` for
/// the job that needs it: an end bills and an extend refuses exactly as while it was there.
pub(crate) fn with_lapsed_hold(
    db: &mut dyn Db,
    account: &str,
    (id, state): (&str, &str),
    snap: &mut Account,
) -> R<()> {
    // The row may still say `live`: this very job's `lapse_holds` moved the hold.
    if state == "ended" || live::call_hold(snap, id).is_some() {
        return Ok(());
    }
    let rows = store(db.query(
        "SELECT lapsed_hold FROM calls WHERE account_id = $1 AND call_id = $2",
        &[account.into(), id.into()],
    ))?;
    if let Some(h) = rows
        .first()
        .map(|r| r[0].json::<Hold>("lapsed hold"))
        .transpose()?
    {
        snap.holds.extend(h);
    }
    Ok(())
}

/// `call.final_quota`: the platform must end the call at its granted seconds.
pub(crate) fn final_quota_event(
    db: &mut dyn Db,
    a: &mut Acct,
    id: &str,
    grant: &QuotaGrant,
    now: Instant,
) -> R<()> {
    let payload = json!({ "type": "call.final_quota", "accountId": a.id, "callId": id, "at": now,
        "grantedSeconds": grant.granted_seconds, "validUntil": grant.valid_until });
    accounts::enqueue(db, a, "call.final_quota", &payload, now)
}

pub(crate) fn unknown_call(id: &str) -> Failure {
    Failure::engine(
        Kind::NotFound,
        Code::UnknownCall,
        Some("id"),
        format!("no call `{id}` on this account"),
    )
}
