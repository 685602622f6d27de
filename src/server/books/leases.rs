//! Edge leases at the authoritative server (SEMANTICS 12): an edge runtime (the Durable
//! Object of `examples/edge-worker`) takes part of an account's available pools, grants
//! calls from it on its own copy of the account, and reports the ended calls here, where
//! each is billed once and drawn from the lease first. A lease is a hold in the snapshot,
//! so it is exactly as durable as the balance, and it lapses at `validUntil` unless renewed.
//! The rules are the core's (`lease::lease`, `edge_account`, `end_call_on_lease`).

use super::accounts::Acct;
use super::calls::{self, EndBody};
use super::expiries;
use super::provider;
use crate::engine::amount::Seconds;
use crate::engine::calendar::Instant;
use crate::engine::call_body::EndedCall;
use crate::engine::lease::{self, LeaseUsage, MAX_LEASE_SECONDS};
use crate::engine::model::{Account, Hold};
use crate::server::clock::now;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{Failure, Kind, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The most ended calls one report carries (an edge sends more in several).
pub const MAX_ENDS_PER_REPORT: usize = 256;
/// The largest lease, in credits (the engine's bound on any amount, SEMANTICS 14).
pub(crate) const MAX_LEASE_CREDITS: i64 = 1_000_000_000_000_000;

/// An ended call as an edge reports it, under lease `lease`: the end it stands for.
pub(crate) fn under(e: EndedCall, lease: &str) -> (String, EndBody) {
    let body = EndBody {
        at: None,
        connected_seconds: e.connected_seconds,
        transfer: e.transfer,
        carrier_pass_through: e.carrier_pass_through,
        direction: Some(e.direction),
        toll_free: Some(e.toll_free),
        agent_id: e.agent_id,
        number_id: e.number_id,
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
pub(crate) struct LeaseBody {
    #[serde(default)]
    pub(crate) at: Option<Instant>,
    #[serde(default, with = "crate::engine::amount::opt_dec")]
    pub(crate) credits: Option<Decimal>,
    #[serde(default)]
    pub(crate) included_seconds: Option<Seconds>,
    #[serde(default, with = "crate::engine::amount::opt_dec")]
    pub(crate) plan_credits: Option<Decimal>,
    #[serde(default)]
    pub(crate) ttl_seconds: Option<Seconds>,
    /// What the edge's live calls hold, pool by pool: the lease stays at least this large.
    #[serde(default)]
    pub(crate) held: LeaseUsage,
    /// Of that, inbound toll-free seconds by number (`""`: calls naming none; SEMANTICS 18).
    #[serde(default)]
    pub(crate) held_numbers: std::collections::BTreeMap<String, Seconds>,
    /// Calls the inbound limits rejected at the edge since its last request.
    #[serde(default)]
    pub(crate) refused: Vec<EdgeRefusal>,
    /// The edge's number for this request (rising): an older one changes nothing.
    #[serde(default)]
    pub(crate) sequence: Option<u64>,
    #[serde(default)]
    pub(crate) ended: Vec<EndedCall>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ReleaseBody {
    /// What the edge's live calls still hold: that much stays leased (SEMANTICS 12).
    #[serde(default)]
    pub(crate) held: LeaseUsage,
    #[serde(default)]
    pub(crate) refused: Vec<EdgeRefusal>,
    #[serde(default)]
    pub(crate) sequence: Option<u64>,
    #[serde(default)]
    pub(crate) ended: Vec<EndedCall>,
}

/// A lease the core refused: a request older than the lease's is a conflict (409), the
/// rest are the input's (422).
pub(crate) fn refused(e: crate::engine::error::Error) -> Failure {
    match e.code {
        crate::engine::error::Code::StaleRequest => Failure::from_error(Kind::Conflict, &e),
        _ => Failure::invalid(e),
    }
}

/// What the edge keeps: its lease, its copy of the account under it, the rate card, and
/// the ledger's version (it moves with every entry: a top-up, usage from other paths).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct LeaseAnswer {
    lease: Hold,
    account: Account,
    rate_card: Value,
    version: i64,
    ended: Vec<BookedEnd>,
}

/// A reported end as booked: its first bill (`replayed` when it was booked before).
#[derive(Serialize)]
pub(crate) struct BookedEnd {
    id: String,
    replayed: bool,
    end: Value,
}

pub(crate) fn answer(
    a: &Acct,
    (hold, rate_card): (Hold, Value),
    at: Instant,
    ended: Vec<BookedEnd>,
) -> LeaseAnswer {
    LeaseAnswer {
        account: lease::edge_account(&a.snap, &hold, at),
        lease: hold,
        rate_card,
        version: a.version(),
        ended,
    }
}

/// The rate card in force at `t` as the account stores it (the edge prices with exactly
/// this text until it renews the lease).
pub(crate) fn rate_card_text(db: &mut dyn Db, a: &Acct, t: Instant) -> R<Value> {
    if let Some(v) = super::card_versions::in_force(&a.price_history, t) {
        return Ok(v.rate_card.clone());
    }
    let rows = crate::server::outcome::store(db.query(
        "SELECT rate_card FROM accounts WHERE id = $1",
        &[a.id.as_str().into()],
    ))?;
    let card = match rows.first() {
        Some(r) => r[0].json("rate card")?,
        None => None,
    };
    card.ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))
}

/// Expiries booked and lapsed holds marked, as before any grant (`skew`: the live skew).
pub(crate) fn refresh(db: &mut dyn Db, a: &mut Acct, skew: chrono::Duration) -> R<()> {
    let t = now();
    expiries::book_expiries(db, a, t)?;
    calls::lapse_holds(db, a, t, skew)
}

/// Each reported call billed once (a call already ended answers its first bill), drawn
/// from lease `lease_id` first while it is active.
pub(crate) fn book_ends(
    db: &mut dyn Db,
    account: &str,
    lease_id: &str,
    ends: Vec<EndedCall>,
    provider: &dyn provider::PaymentProvider,
) -> R<Vec<BookedEnd>> {
    let mut out = Vec::with_capacity(ends.len());
    for (i, e) in ends.into_iter().enumerate() {
        let (id, body) = under(e, lease_id);
        let done = calls::end_job(db, account, &id, body, provider, now())
            .map_err(|f| f.within(&format!("ended[{i}]")))?;
        out.push(BookedEnd {
            id,
            replayed: done.replayed,
            end: done.body,
        });
    }
    Ok(out)
}

pub(crate) fn check_body(b: &LeaseBody) -> R<()> {
    let sizes = [(b.credits, "credits"), (b.plan_credits, "planCredits")];
    check_credits(sizes, "a lease's size is 0 to 10^15 credits")?;
    if let Some(s) = b.ttl_seconds {
        if s.0 == 0 || s.0 > MAX_LEASE_SECONDS {
            return Err(Failure::new(
                ServerCode::InvalidTtl,
                Some("ttlSeconds"),
                format!("a lease lives 1 to {MAX_LEASE_SECONDS} s"),
            ));
        }
    }
    check_held(&b.held)?;
    check_held_numbers(&b.held_numbers)?;
    check_refusals(&b.refused)?;
    check_ends(&b.ended)
}

/// A call the inbound limits rejected at an edge (SEMANTICS 18), as its requests report it.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct EdgeRefusal {
    pub(crate) call_id: String,
    pub(crate) at: Instant,
    #[serde(default)]
    pub(crate) number_id: Option<String>,
    pub(crate) limit: String,
}

/// Refusals an edge reports: as many as it keeps, with ids a call may have.
pub(crate) fn check_refusals(r: &[EdgeRefusal]) -> R<()> {
    use crate::engine::edge::MAX_REFUSALS_KEPT;
    use crate::engine::model::MAX_NUMBER_ID;
    if r.len() > MAX_REFUSALS_KEPT {
        let m = format!("at most {MAX_REFUSALS_KEPT} refused calls a request");
        return Err(Failure::invalid(crate::Error::at(
            crate::engine::error::Code::InvalidValue,
            "refused",
            m,
        )));
    }
    for (i, x) in r.iter().enumerate() {
        super::calls::check_id(&x.call_id, &format!("refused[{i}].callId"))?;
        let long =
            |s: &str| s.is_empty() || s.len() > MAX_NUMBER_ID || s.chars().any(char::is_control);
        if long(&x.limit) || x.number_id.as_deref().is_some_and(long) {
            let m =
                "a limit's name and a number id are 1 to 255 characters without control characters";
            return Err(Failure::invalid(crate::Error::at(
                crate::engine::error::Code::InvalidValue,
                &format!("refused[{i}]"),
                m,
            )));
        }
    }
    Ok(())
}

/// Book the refusals an edge reports: listed once each, `traffic.limited` per window.
pub(crate) fn book_refusals(
    db: &mut dyn Db,
    a: &mut Acct,
    r: &[EdgeRefusal],
    now: Instant,
) -> R<()> {
    for x in r {
        let call = (x.call_id.as_str(), x.number_id.as_deref());
        super::inbound::refused(db, a, call, &x.limit, x.at, now)?;
    }
    Ok(())
}

/// What the edge's calls hold by number: as many numbers as may be limited, each id one a
/// call may name (or `""`).
fn check_held_numbers(h: &std::collections::BTreeMap<String, Seconds>) -> R<()> {
    use crate::engine::model::{MAX_LIMITED_NUMBERS, MAX_NUMBER_ID};
    let bad = h
        .keys()
        .find(|k| k.len() > MAX_NUMBER_ID || k.chars().any(char::is_control));
    if h.len() > MAX_LIMITED_NUMBERS + 1 || bad.is_some() {
        return Err(Failure::invalid(crate::Error::at(
            crate::engine::error::Code::InvalidValue,
            "heldNumbers",
            format!(
                "at most {MAX_LIMITED_NUMBERS} numbers, each id up to {MAX_NUMBER_ID} characters"
            ),
        )));
    }
    Ok(())
}

pub(crate) fn check_held(h: &LeaseUsage) -> R<()> {
    let held = [
        (Some(h.credits), "held.credits"),
        (Some(h.plan_credits), "held.planCredits"),
    ];
    check_credits(held, "what a lease's calls hold is 0 to 10^15 credits")
}

/// Each amount given is 0 to the engine's bound (SEMANTICS 14), or `amount_out_of_range`.
pub(crate) fn check_credits(amounts: [(Option<Decimal>, &str); 2], message: &str) -> R<()> {
    for (v, field) in amounts {
        let Some(v) = v else { continue };
        if v < Decimal::ZERO || v > Decimal::from(MAX_LEASE_CREDITS) {
            return Err(Failure::new(
                ServerCode::AmountOutOfRange,
                Some(field),
                message,
            ));
        }
    }
    Ok(())
}

pub(crate) fn check_ends(ends: &[EndedCall]) -> R<()> {
    if ends.len() > MAX_ENDS_PER_REPORT {
        return Err(Failure::new(
            ServerCode::TooManyItems,
            Some("ended"),
            format!("at most {MAX_ENDS_PER_REPORT} ended calls per report"),
        ));
    }
    for (i, e) in ends.iter().enumerate() {
        calls::check_id(&e.id, &format!("ended[{i}].id"))?;
    }
    Ok(())
}
