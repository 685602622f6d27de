//! Edge leases at the authoritative server (SEMANTICS 12): an edge runtime (the Durable
//! Object of `examples/edge-worker`) takes part of an account's available pools, grants
//! calls from it on its own copy of the account, and reports the ended calls here, where
//! each is billed once and drawn from the lease first. A lease is a hold in the snapshot,
//! so it is exactly as durable as the balance, and it lapses at `validUntil` unless renewed.
//! The rules are the core's (`lease::lease`, `edge_account`, `end_call_on_lease`).

use super::auth::{Caller, LEASE, READ};
use super::billing::{self, load, save, Acct};
use super::calls::{self, EndBody};
use crate::call_body::EndedCall;
use super::extract::JsonBody;
use super::outcome::{Done, Failure, Kind, R};
use super::routes::{job, read};
use super::{now, Shared};
use crate::amount::Seconds;
use crate::calendar::Instant;
use crate::lease::{self, LeaseRequest, LeaseUsage, DEFAULT_LEASE_SECONDS, MAX_LEASE_SECONDS};
use crate::live::Hold;
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

/// The most ended calls one report carries (an edge sends more in several).
pub const MAX_ENDS_PER_REPORT: usize = 256;
/// The largest lease, in credits (the engine's bound on any amount, SEMANTICS 14).
const MAX_LEASE_CREDITS: i64 = 1_000_000_000_000_000;

/// An ended call as an edge reports it, under lease `lease`: the end it stands for.
fn under(e: EndedCall, lease: &str) -> (String, EndBody) {
    let body = EndBody {
        at: None,
        connected_seconds: e.connected_seconds,
        transfer: e.transfer,
        carrier_pass_through: e.carrier_pass_through,
        direction: Some(e.direction),
        toll_free: Some(e.toll_free),
        agent_id: e.agent_id,
        started_at: Some(e.started_at),
        lease_id: Some(lease.to_string()),
        lease_usage: Some(e.lease_usage),
    };
    (e.id, body)
}

/// `PUT /leases/{id}`: take, renew, grow or shrink a lease, after booking the calls it
/// reports. Sizes left out keep the lease's current ones.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct LeaseBody {
    #[serde(default)]
    at: Option<Instant>,
    #[serde(default, with = "crate::amount::opt_dec")]
    credits: Option<Decimal>,
    #[serde(default)]
    included_seconds: Option<Seconds>,
    #[serde(default, with = "crate::amount::opt_dec")]
    plan_credits: Option<Decimal>,
    #[serde(default)]
    ttl_seconds: Option<Seconds>,
    /// What the edge's live calls hold, pool by pool: the lease stays at least this large.
    #[serde(default)]
    held: LeaseUsage,
    /// The edge's number for this request (rising): an older one changes nothing.
    #[serde(default)]
    sequence: Option<u64>,
    #[serde(default)]
    ended: Vec<EndedCall>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ReleaseBody {
    /// What the edge's live calls still hold: that much stays leased (SEMANTICS 12).
    #[serde(default)]
    held: LeaseUsage,
    #[serde(default)]
    sequence: Option<u64>,
    #[serde(default)]
    ended: Vec<EndedCall>,
}

/// `PUT /leases/{id}`.
pub(super) async fn put(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<LeaseBody>,
) -> R<Done> {
    c.require(LEASE)?;
    calls::check_id(&id, "id")?;
    check_body(&b)?;
    let window = st.config.window;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        let at = window.live(b.at, now(), "at")?;
        let ended = book_ends(db, &c.account, &id, b.ended, provider.as_ref())?;
        let mut a = load(db, &c.account, true)?;
        refresh(db, &mut a)?;
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
            sequence: b.sequence,
        };
        let (hold, snap, reload) = lease::lease(&a.card, &a.snap, &req, provider.settles_at_once())
            .map_err(refused)?;
        a.snap = snap;
        let reloads: Vec<_> = reload.into_iter().collect();
        billing::book_reloads(db, provider.as_ref(), &mut a, &reloads, now())?;
        save(db, &a)?;
        let card = rate_card_text(db, &a.id)?;
        let body = answer(&a, (&hold, card), at, ended);
        Ok(if current.is_none() {
            Done::created(body)
        } else {
            Done::ok(body)
        })
    })
    .await
}

/// `POST /leases/{id}/release`: book the calls it reports, then give back what is left.
/// Releasing a lease that is gone (lapsed, or released before) answers `released: null`.
pub(super) async fn release(
    State(st): State<Shared>,
    c: Caller,
    Path(id): Path<String>,
    JsonBody(b, _): JsonBody<ReleaseBody>,
) -> R<Done> {
    c.require(LEASE)?;
    calls::check_id(&id, "id")?;
    check_ends(&b.ended)?;
    check_held(&b.held)?;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        let ended = book_ends(db, &c.account, &id, b.ended, provider.as_ref())?;
        let mut a = load(db, &c.account, true)?;
        refresh(db, &mut a)?;
        let released =
            lease::release(&mut a.snap, &id, b.held, b.sequence).map_err(refused)?;
        save(db, &a)?;
        let (back, kept) = released.map_or((None, None), |(b, k)| (Some(b), k));
        Ok(Done::ok(json!({
            "released": back, "kept": kept, "ended": ended, "version": a.seq,
        })))
    })
    .await
}

/// A lease the core refused: a request older than the lease's is a conflict (409), the
/// rest are the input's (422).
fn refused(e: crate::error::Error) -> Failure {
    match e.code {
        crate::error::Code::StaleRequest => Failure::from_error(Kind::Conflict, &e),
        _ => Failure::invalid(e),
    }
}

/// `GET /leases`: the account's leases, each with whether it still counts.
pub(super) async fn list(State(st): State<Shared>, c: Caller) -> R<Done> {
    if c.require(LEASE).is_err() {
        c.require(READ)?;
    }
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let t = now();
        let leases: Vec<Value> = a
            .snap
            .holds
            .iter()
            .filter(|h| !h.is_call())
            .map(|h| json!({ "lease": h, "active": h.active_at(t) }))
            .collect();
        Ok(Done::ok(
            json!({ "leases": leases, "asOf": t, "version": a.seq }),
        ))
    })
    .await
}

/// `GET /auth/whoami`: the account and scopes of the credential presented (an edge checks a
/// platform's key here once and caches the answer).
pub(super) async fn whoami(c: Caller) -> R<Done> {
    Ok(Done::ok(json!({
        "accountId": c.account, "scopes": c.scopes, "session": c.session,
    })))
}

/// What the edge keeps: its lease, its copy of the account under it, the rate card, and
/// the ledger's version (it moves with every entry: a top-up, usage from other paths).
fn answer(a: &Acct, (hold, card): (&Hold, Value), at: Instant, ended: Vec<Value>) -> Value {
    json!({
        "lease": hold,
        "account": lease::edge_account(&a.snap, hold, at),
        "rateCard": card,
        "version": a.seq,
        "ended": ended,
    })
}

/// The rate card as the account stores it (the edge prices with exactly this text).
fn rate_card_text(db: &mut dyn super::store::Sql, id: &str) -> R<Value> {
    let rows = super::outcome::store(
        db.query("SELECT rate_card FROM accounts WHERE id = $1", &[id.into()]),
    )?;
    let text = rows.first().and_then(|r| r[0].text()).unwrap_or("null");
    Ok(serde_json::from_str(text).unwrap_or(Value::Null))
}

/// Expiries booked and lapsed holds marked, as before any grant.
fn refresh(db: &mut dyn super::store::Sql, a: &mut Acct) -> R<()> {
    let t = now();
    billing::book_expiries(db, a, t)?;
    calls::lapse_holds(db, a, t)
}

/// Each reported call billed once (a call already ended answers its first bill), drawn
/// from lease `lease_id` first while it is active.
fn book_ends(
    db: &mut dyn super::store::Sql,
    account: &str,
    lease_id: &str,
    ends: Vec<EndedCall>,
    provider: &dyn billing::PaymentProvider,
) -> R<Vec<Value>> {
    let mut out = Vec::with_capacity(ends.len());
    for (i, e) in ends.into_iter().enumerate() {
        let (id, body) = under(e, lease_id);
        let done = calls::end_job(db, account, &id, body, provider, now())
            .map_err(|f| f.within(&format!("ended[{i}]")))?;
        out.push(json!({ "id": id, "replayed": done.replayed, "end": done.body }));
    }
    Ok(out)
}

fn check_body(b: &LeaseBody) -> R<()> {
    let sizes = [(b.credits, "credits"), (b.plan_credits, "planCredits")];
    check_credits(sizes, "a lease's size is 0 to 10^15 credits")?;
    if let Some(s) = b.ttl_seconds {
        if s.0 == 0 || s.0 > MAX_LEASE_SECONDS {
            return Err(Failure::new(
                Kind::Invalid,
                "invalid_ttl",
                Some("ttlSeconds"),
                format!("a lease lives 1 to {MAX_LEASE_SECONDS} s"),
            ));
        }
    }
    check_held(&b.held)?;
    check_ends(&b.ended)
}

fn check_held(h: &LeaseUsage) -> R<()> {
    let held = [
        (Some(h.credits), "held.credits"),
        (Some(h.plan_credits), "held.planCredits"),
    ];
    check_credits(held, "what a lease's calls hold is 0 to 10^15 credits")
}

/// Each amount given is 0 to the engine's bound (SEMANTICS 14), or `amount_out_of_range`.
fn check_credits(amounts: [(Option<Decimal>, &str); 2], message: &str) -> R<()> {
    for (v, field) in amounts {
        let Some(v) = v else { continue };
        if v < Decimal::ZERO || v > Decimal::from(MAX_LEASE_CREDITS) {
            return Err(Failure::new(
                Kind::Invalid,
                "amount_out_of_range",
                Some(field),
                message,
            ));
        }
    }
    Ok(())
}

fn check_ends(ends: &[EndedCall]) -> R<()> {
    if ends.len() > MAX_ENDS_PER_REPORT {
        return Err(Failure::new(
            Kind::Invalid,
            "too_many_items",
            Some("ended"),
            format!("at most {MAX_ENDS_PER_REPORT} ended calls per report"),
        ));
    }
    for (i, e) in ends.iter().enumerate() {
        calls::check_id(&e.id, &format!("ended[{i}].id"))?;
    }
    Ok(())
}
