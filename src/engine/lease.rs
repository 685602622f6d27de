//! Edge leases (SEMANTICS 12): the authoritative ledger sets part of an account's available
//! pools aside for one edge runtime, which then grants calls from exactly that part with the
//! same `startCall` / `extendCall` / `endCall` (on `edge_account`, its copy of the account).
//! A lease is a hold of kind `lease`; like a call's hold it stops counting at `validUntil`,
//! so a crashed edge frees what it held (TigerBeetle's pending timeout again).

use crate::engine::amount::{Count, Seconds};
use crate::engine::calendar::Instant;
use crate::engine::error::{Code, Error, Result};
use crate::engine::inbound::{self, InboundLimits, InboundShare};
use crate::engine::live::{self, EndBooks, EndInput};
use crate::engine::model::{Account, Grant, GrantType, RateCard};
use crate::engine::model::{Hold, HoldKind};
use crate::engine::pools::{plan_credits, set_aside, spendable};
use crate::engine::reload::ReloadEvent;
use rust_decimal::Decimal;

/// How long a lease lives when the edge names no TTL, and the longest it may ask for: a
/// crashed edge locks its lease up for at most this long.
pub const DEFAULT_LEASE_SECONDS: u64 = 300;
pub const MAX_LEASE_SECONDS: u64 = 3_600;

/// The grant ids of the edge's copy (`edge_account`).
pub const LEASE_WALLET: &str = "lease";
pub const LEASE_PLAN: &str = "lease-plan";

/// What an edge asks for: the size of its lease in each pool, from `at`, for `ttl`.
#[derive(Debug, Clone)]
pub struct LeaseRequest {
    pub id: String,
    pub at: Instant,
    pub credits: Decimal,
    pub included_seconds: Seconds,
    pub plan_credits: Decimal,
    pub ttl_seconds: u64,
    /// What the edge's live calls hold, pool by pool (SEMANTICS 12: a lease never shrinks
    /// below what its edge holds, whatever size it asks for).
    pub held: LeaseUsage,
    /// Of that, the inbound toll-free seconds by number (`""`: calls naming none), which the
    /// lease's share of the inbound limits never goes below (SEMANTICS 18).
    pub held_numbers: std::collections::BTreeMap<String, Seconds>,
    /// The edge's number for this request, rising with each it sends (SEMANTICS 12): a
    /// request numbered no higher than the one that last set the lease is `stale_request`,
    /// so a renewal delayed or duplicated on the network never undoes a later one.
    pub sequence: Option<u64>,
}

/// Whether request `sequence` may still change lease `current`: not when a higher-numbered
/// request set it. The same number again is the edge retrying a request whose answer it
/// lost: applied again, it sets the lease to the same sizes (an unnumbered request always
/// may).
pub fn check_sequence(current: Option<&Hold>, sequence: Option<u64>) -> Result<()> {
    match (current.and_then(|l| l.sequence), sequence) {
        (Some(last), Some(s)) if s < last => Err(Error::at(
            Code::StaleRequest,
            "sequence",
            format!("request {s} is older than request {last}, which set this lease"),
        )),
        _ => Ok(()),
    }
}

/// Take, renew, grow or shrink lease `req.id`: in each pool it becomes the smaller of what
/// was asked and what the pools have left after every other active hold (its own old share
/// counts as left), but never less than its edge's calls hold (`floor`), valid `ttl` from
/// `at`. The auto-reload trigger is checked after, as after
/// any hold (SEMANTICS 11). Answers the lease, the account and the reload it triggered.
pub fn lease(
    card: &RateCard,
    account: &Account,
    req: &LeaseRequest,
    settle_at_once: bool,
) -> Result<(Hold, Account, Option<ReloadEvent>)> {
    if live::call_hold(account, &req.id).is_some() {
        return Err(Error::at(
            Code::DuplicateId,
            "id",
            format!("`{}` is a call's hold, not a lease", req.id),
        ));
    }
    check_sequence(find(account, &req.id), req.sequence)?;
    let ttl = req.ttl_seconds.min(MAX_LEASE_SECONDS);
    let valid_until = req.at.plus_seconds(ttl).ok_or_else(|| {
        Error::at(
            Code::InvalidInstant,
            "at",
            "the lease's end leaves the calendar",
        )
    })?;
    // SEMANTICS 12: calls the edge granted under the old lease may run to its end; while it
    // still reports live calls, a renewal never ends the lease sooner, or the server would
    // stop counting what they hold (found by `lease_properties`' inbound limits).
    let granted_until = find(account, &req.id)
        .filter(|_| req.held.holds_any())
        .map(|old| old.valid_until);
    let valid_until = granted_until.map_or(valid_until, |g| g.max(valid_until));
    let (view, _) = set_aside(account, req.at, Some(&req.id));
    let wallet = spendable(&view.grants, view.owed.unwrap_or_default(), Some(req.at));
    let floor = floor(find(account, &req.id), &req.held);
    let held_inbound = (req.held.inbound_calls, req.held.inbound_seconds);
    let life = (req.at, valid_until);
    let inbound = inbound::share(account, &req.id, life, held_inbound, &req.held_numbers)?;
    let held = Hold {
        agent_id: None,
        credits: req
            .credits
            .min(wallet.max(Decimal::ZERO))
            .max(floor.credits),
        direction: None,
        granted_seconds: Seconds(0),
        id: req.id.clone(),
        included_seconds: Seconds(
            (req.included_seconds.0.min(view.included_seconds())).max(floor.included_seconds.0),
        ),
        kind: HoldKind::Lease,
        inbound,
        number_id: None,
        plan_credits: req
            .plan_credits
            .min(plan_credits(&view.grants, req.at))
            .max(floor.plan_credits),
        sequence: req.sequence,
        started_at: req.at,
        toll_free: false,
        valid_until,
    };
    let mut next = account.clone();
    next.holds.retain(|h| h.id != req.id);
    next.holds.push(held.clone());
    let mut reload = None;
    if let Some((r, st)) =
        crate::engine::drawdown::reload_after_hold(card, &next, req.at, settle_at_once)?
    {
        next = crate::engine::drawdown::snapshot(&next, st);
        reload = Some(r);
    }
    Ok((held, next, reload))
}

/// The least lease `old` may become: what its edge's live calls hold (SEMANTICS 12: a lease
/// never shrinks below it), even where the pools no longer have it (a lapsed lease's pools
/// went to others; a late report or a call past its grant left the account owing), since
/// those calls are granted already and the server must count them, not lend them out
/// again. Never more than the lease itself, lapsed or not, is (an edge can only have
/// granted from it); no lease, no floor.
fn floor(old: Option<&Hold>, held: &LeaseUsage) -> LeaseUsage {
    let Some(old) = old else {
        return LeaseUsage::default();
    };
    LeaseUsage {
        included_seconds: Seconds(held.included_seconds.0.min(old.included_seconds.0)),
        plan_credits: held.plan_credits.min(old.plan_credits),
        credits: held.credits.min(old.credits),
        // The inbound share's floor is `inbound::share`'s (what the calls hold).
        inbound_calls: held.inbound_calls,
        inbound_seconds: held.inbound_seconds,
    }
}

/// The lease `id` (any lease of that id, lapsed or not).
pub fn find<'a>(account: &'a Account, id: &str) -> Option<&'a Hold> {
    account
        .holds
        .iter()
        .find(|h| h.id == id && h.kind == HoldKind::Lease)
}

/// Release lease `id`: what no live call of its edge holds (`held`, pool by pool) goes back
/// to the pools; the rest stays leased until those calls' ends are reported or the lease
/// lapses (SEMANTICS 12). Answers what went back, and the lease that stays, if any.
pub fn release(
    account: &mut Account,
    id: &str,
    held: LeaseUsage,
    sequence: Option<u64>,
) -> Result<Option<(Hold, Option<Hold>)>> {
    check_sequence(find(account, id), sequence)?;
    let Some(i) = account
        .holds
        .iter()
        .position(|h| h.id == id && h.kind == HoldKind::Lease)
    else {
        return Ok(None);
    };
    let lease = account.holds.remove(i);
    // Of the inbound share, what the live calls hold stays counted with them.
    let inbound = lease
        .inbound
        .clone()
        .filter(|_| held.inbound_calls.0 > 0)
        .map(|s| InboundShare {
            calls: Some(held.inbound_calls),
            seconds: Some(held.inbound_seconds),
            ..s
        });
    let kept = Hold {
        inbound,
        sequence: sequence.or(lease.sequence),
        included_seconds: Seconds(lease.included_seconds.0.min(held.included_seconds.0)),
        plan_credits: lease.plan_credits.min(held.plan_credits),
        credits: lease.credits.min(held.credits),
        ..lease.clone()
    };
    let back = Hold {
        included_seconds: Seconds(lease.included_seconds.0 - kept.included_seconds.0),
        plan_credits: lease.plan_credits - kept.plan_credits,
        credits: lease.credits - kept.credits,
        ..lease
    };
    let keeps = kept.included_seconds.0 > 0
        || kept.plan_credits > Decimal::ZERO
        || kept.credits > Decimal::ZERO;
    if keeps {
        account.holds.push(kept.clone());
    }
    Ok(Some((back, keeps.then_some(kept))))
}

/// The edge's copy of the account under `lease` at `at`: its pools are exactly the lease
/// (a wallet grant `lease`, a plan grant `lease-plan`, the lease's included seconds), with
/// the plan's rates but no cycle to renew, the agents' limits and spend as the ledger has
/// them (other holds counted), and nothing the edge must not do itself (auto-reload,
/// alerts, top-up limits: the ledger does those).
pub fn edge_account(account: &Account, lease: &Hold, at: Instant) -> Account {
    let (view, _) = set_aside(account, at, Some(&lease.id));
    let grant = |id: &str, kind, remaining| Grant {
        id: id.to_string(),
        kind,
        remaining,
        priority: 50,
        effective_at: None,
        expires_at: None,
        created_at: None,
    };
    let mut grants = vec![grant(LEASE_WALLET, GrantType::Prepaid, lease.credits)];
    if lease.plan_credits > Decimal::ZERO {
        grants.push(grant(LEASE_PLAN, GrantType::Plan, lease.plan_credits));
    }
    Account {
        time_zone: account.time_zone,
        plan: account.plan.clone(),
        cycle: None,
        included_seconds_remaining: account.plan.as_ref().map(|_| lease.included_seconds),
        grants,
        owed: None,
        agents: view.agents,
        auto_reload: None,
        alerts: None,
        limits: None,
        reloads_today: None,
        reload_day_ends: None,
        pending_reload: None,
        holds: vec![],
        // SEMANTICS 18: the edge grants inbound toll-free calls within its lease's share.
        inbound_limits: lease.inbound.clone().map(|s| InboundLimits {
            lease_share: Some(s),
            ..InboundLimits::default()
        }),
        inbound_usage: vec![],
    }
}

/// What an edge's own bill of a call took from its lease, pool by pool (its item's
/// allocations: included seconds, plan credits, wallet credits).
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LeaseUsage {
    #[serde(default)]
    pub included_seconds: Seconds,
    #[serde(default, with = "crate::engine::amount::dec")]
    pub plan_credits: Decimal,
    #[serde(default, with = "crate::engine::amount::dec")]
    pub credits: Decimal,
    /// What the edge's live inbound toll-free calls hold of the lease's share of the inbound
    /// limits (SEMANTICS 18): calls, and their granted and unreported ended seconds.
    #[serde(default, skip_serializing_if = "no_calls")]
    pub inbound_calls: Count,
    #[serde(default, skip_serializing_if = "no_seconds")]
    pub inbound_seconds: Seconds,
}

fn no_calls(n: &Count) -> bool {
    n.0 == 0
}

fn no_seconds(s: &Seconds) -> bool {
    s.0 == 0
}

impl LeaseUsage {
    /// Whether the edge's live calls hold anything of the lease.
    pub fn holds_any(&self) -> bool {
        self.included_seconds.0 > 0
            || !self.plan_credits.is_zero()
            || !self.credits.is_zero()
            || self.inbound_calls.0 > 0
            || self.inbound_seconds.0 > 0
    }

    /// What a billed item took from each pool.
    pub fn of(item: &crate::engine::drawdown::Item) -> LeaseUsage {
        let mut u = LeaseUsage::default();
        for a in item.lines.iter().flat_map(|l| &l.allocations) {
            match a.source.as_str() {
                "included_minutes" => {
                    u.included_seconds = Seconds(u.included_seconds.0 + a.seconds.unwrap_or(0));
                }
                "plan_credits" => u.plan_credits += a.credits.unwrap_or_default(),
                _ => u.credits += a.credits.unwrap_or_default(),
            }
        }
        u
    }
}

/// `endCall` for a call an edge granted under lease `lease_id` and billed on its copy, where
/// it took `used` from the lease (SEMANTICS 12: the lease's shares first). The lease gives up
/// exactly `used` (at most its shares), and the call is billed from what that frees and the
/// pools no hold has: never from the rest of the lease, which the edge's other live calls
/// may hold. So the edge's copy and the server's lease stay equal, pool by pool. A call that
/// has its own hold here, or whose lease is gone or lapsed at the end's `at`, ends as any
/// call does.
pub fn end_call_on_lease(
    input: &EndInput,
    lease_id: &str,
    used: LeaseUsage,
    settle_at_once: bool,
) -> Result<EndBooks> {
    let own = live::call_hold(&input.account, &input.call_id).is_some();
    let lease = find(&input.account, lease_id).filter(|l| l.active_at(input.at) && !own);
    let Some(lease) = lease.cloned() else {
        return live::end_call_books(input, settle_at_once);
    };
    let rest = Hold {
        included_seconds: Seconds(
            lease
                .included_seconds
                .0
                .saturating_sub(used.included_seconds.0),
        ),
        plan_credits: (lease.plan_credits - used.plan_credits).max(Decimal::ZERO),
        credits: (lease.credits - used.credits).max(Decimal::ZERO),
        ..lease
    };
    let mut drawn = input.clone();
    drawn.account.holds.retain(|h| h.id != lease_id);
    drawn.account.holds.push(rest);
    live::end_call_books(&drawn, settle_at_once)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(sequence: u64, credits: i64) -> LeaseRequest {
        LeaseRequest {
            id: "edge-1".into(),
            at: Instant::parse("2026-03-10T12:00:00Z").unwrap(),
            credits: Decimal::from(credits),
            included_seconds: Seconds(0),
            plan_credits: Decimal::ZERO,
            ttl_seconds: 300,
            held: LeaseUsage::default(),
            held_numbers: Default::default(),
            sequence: Some(sequence),
        }
    }

    /// SEMANTICS 12: a renewal delayed or duplicated on the network (numbered lower than the
    /// one that set the lease) changes nothing; the same number again (a retry) applies again.
    #[test]
    fn an_older_request_never_undoes_a_later_one() {
        let card: RateCard = crate::engine::pathde::parse(&serde_json::json!({"currency": "USD", "creditsPerUnit": "100",
            "rounding": {"mode": "half_up", "creditDecimals": 2}, "voice": {"perMinute": "9", "increment": "60/60"},
            "tollFreeSurcharge": {"perMinute": "2"}})).unwrap();
        let account: Account = crate::engine::pathde::parse(&serde_json::json!({
            "grants": [{"id": "w", "type": "prepaid", "remaining": "500"}]}))
        .unwrap();
        let (_, a, _) = lease(&card, &account, &request(2, 100), true).unwrap();
        let stale = lease(&card, &a, &request(1, 400), true).unwrap_err();
        assert_eq!(
            (stale.code, stale.field.as_deref()),
            (Code::StaleRequest, Some("sequence"))
        );
        let (again, _, _) = lease(&card, &a, &request(2, 100), true).unwrap();
        assert_eq!(
            (again.credits, again.sequence),
            (Decimal::from(100), Some(2))
        );
        let mut released = a.clone();
        let e = release(&mut released, "edge-1", LeaseUsage::default(), Some(1)).unwrap_err();
        assert_eq!(e.code, Code::StaleRequest);
        assert!(
            find(&released, "edge-1").is_some(),
            "a stale release gives nothing back"
        );
    }

    /// SEMANTICS 12, seed 20964 of the simulator: the account came to owe (a lapsed lease's
    /// late report) while an edge's call held 7 credits of its lease; the renewal keeps those
    /// 7 although the pools no longer have them, and never more than the old lease held.
    #[test]
    fn a_renewal_keeps_what_the_edges_calls_hold_when_the_pools_ran_short() {
        let card: RateCard = crate::engine::pathde::parse(&serde_json::json!({"currency": "USD", "creditsPerUnit": "100",
            "rounding": {"mode": "half_up", "creditDecimals": 2}, "voice": {"perMinute": "9", "increment": "60/60"}}))
        .unwrap();
        let account: Account = crate::engine::pathde::parse(&serde_json::json!({
            "grants": [{"id": "w", "type": "prepaid", "remaining": "10"}]}))
        .unwrap();
        let (_, mut a, _) = lease(&card, &account, &request(1, 10), true).unwrap();
        a.owed = Some(Decimal::from(14));
        let mut renewal = request(2, 10);
        renewal.held.credits = Decimal::from(7);
        let (kept, _, _) = lease(&card, &a, &renewal, true).unwrap();
        assert_eq!(kept.credits, Decimal::from(7));
        renewal.sequence = Some(3);
        renewal.held.credits = Decimal::from(50);
        let (capped, _, _) = lease(&card, &a, &renewal, true).unwrap();
        assert_eq!(
            capped.credits,
            Decimal::from(10),
            "no more than the lease it renews"
        );
        let fresh = lease(
            &card,
            &account,
            &LeaseRequest {
                id: "edge-2".into(),
                ..renewal
            },
            true,
        );
        assert_eq!(
            fresh.unwrap().0.credits,
            Decimal::from(10),
            "a new lease has no floor"
        );
    }
}
