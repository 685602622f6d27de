//! The pools credits are drawn from, and every rule about them in one place: the spendable
//! wallet (SEMANTICS 7), plan credits and included seconds (SEMANTICS 4), credits landing
//! (they pay what is owed first, SEMANTICS 5.3), and live calls' holds set aside from the
//! pools they came from (SEMANTICS 11). The drawdown, the pre-call check, live calls, the
//! ledger and the server all ask here.

use crate::engine::amount::Seconds;
use crate::engine::calendar::Instant;
use crate::engine::model::{Account, Grant, GrantType, Hold};
use rust_decimal::Decimal;
use std::cmp::Ordering;

/// Spendable balance at `t`: active non-plan grants minus what is owed (SEMANTICS 7).
pub fn spendable(grants: &[Grant], owed: Decimal, t: Option<Instant>) -> Decimal {
    let held: Decimal = grants
        .iter()
        .filter(|g| g.kind != GrantType::Plan && t.is_none_or(|t| g.active_at(t)))
        .map(|g| g.remaining)
        .sum();
    held - owed
}

pub fn plan_credits(grants: &[Grant], t: Instant) -> Decimal {
    grants
        .iter()
        .filter(|g| g.kind == GrantType::Plan && g.active_at(t))
        .map(|g| g.remaining)
        .sum()
}

/// Whether a plan allowance is left: included seconds, or plan credits (SEMANTICS 4; a
/// `stop` agent is refused when none is, seed 002).
pub fn plan_left(included_seconds: u64, plan_credits: Decimal) -> bool {
    included_seconds > 0 || plan_credits > Decimal::ZERO
}

/// Credits landing as `grant` pay what is `owed` first (SEMANTICS 5.3); plan grants never
/// do. Takes the settled credits out of the grant and the debt; answers them.
pub fn settle_owed(owed: &mut Decimal, grant: &mut Grant) -> Decimal {
    if grant.kind == GrantType::Plan {
        return Decimal::ZERO;
    }
    let settled = grant.remaining.min(*owed);
    *owed -= settled;
    grant.remaining -= settled;
    settled
}

/// Wallet credits held at `t` (the auto-reload trigger counts them, SEMANTICS 11).
pub fn held_credits(holds: &[Hold], t: Instant) -> Decimal {
    holds
        .iter()
        .filter(|h| h.active_at(t))
        .map(|h| h.credits)
        .sum()
}

/// What `set_aside` took out of an account's pools, to put back after a drawdown.
#[derive(Debug, Default)]
pub(crate) struct SetAside {
    grants: Vec<(String, Decimal)>,
    seconds: u64,
    owed: Decimal,
    agents: Vec<(String, Decimal)>,
}

/// The account with every hold active at `t` (but `except`) taken out of the pools it came
/// from: included seconds, plan credits in burn order, wallet credits in burn order (beyond
/// them, owed), and counted in its agent's spend. The holds themselves are cleared.
pub(crate) fn set_aside(
    account: &Account,
    t: Instant,
    except: Option<&str>,
) -> (Account, SetAside) {
    let mut view = account.clone();
    view.holds.clear();
    let mut aside = SetAside::default();
    let holds = account
        .holds
        .iter()
        .filter(|h| h.active_at(t) && Some(h.id.as_str()) != except);
    let (mut seconds, mut plan, mut wallet) = (0u64, Decimal::ZERO, Decimal::ZERO);
    for h in holds {
        seconds = seconds.saturating_add(h.included_seconds.0);
        plan += h.plan_credits;
        wallet += h.credits;
        let Some(agent) = h.agent_id.as_ref() else {
            continue;
        };
        if let Some(a) = view.agents.get_mut(agent) {
            let held = h.credits + h.plan_credits;
            a.spent_this_cycle = Some(a.spent_this_cycle.unwrap_or_default() + held);
            aside.agents.push((agent.clone(), held));
        }
    }
    if view.plan.is_some() {
        let included = view.included_seconds();
        aside.seconds = seconds.min(included);
        view.included_seconds_remaining = Some(Seconds(included - aside.seconds));
    }
    take_from_grants(&mut view, t, true, plan, &mut aside);
    let short = take_from_grants(&mut view, t, false, wallet, &mut aside);
    view.owed = Some(view.owed.unwrap_or_default() + short);
    aside.owed = short;
    (view, aside)
}

/// Undo `set_aside` on the account a drawdown left (its grants keep their ids).
pub(crate) fn put_back(account: &mut Account, aside: &SetAside) {
    for (id, credits) in &aside.grants {
        if let Some(g) = account.grants.iter_mut().find(|g| g.id == *id) {
            g.remaining += *credits;
        }
    }
    if let Some(s) = account.included_seconds_remaining.as_mut() {
        s.0 = s.0.saturating_add(aside.seconds);
    }
    account.owed = Some(account.owed.unwrap_or_default() - aside.owed);
    for (id, held) in &aside.agents {
        if let Some(a) = account.agents.get_mut(id) {
            a.spent_this_cycle = Some(a.spent_this_cycle.unwrap_or_default() - *held);
        }
    }
}

/// The account as `authorizeCall` should see it at `t` (SEMANTICS 11's available pools):
/// every active hold but `except` set aside. An extend leaves its own hold out, so it prices
/// its call against the pools plus that hold.
pub fn available(account: &Account, t: Instant, except: Option<&str>) -> Account {
    let mut view = set_aside(account, t, except).0;
    view.auto_reload = None;
    view.alerts = None;
    view
}

/// Take `credits` from the active plan (or non-plan) grants in burn order; what they lack.
fn take_from_grants(
    view: &mut Account,
    t: Instant,
    plan: bool,
    mut credits: Decimal,
    aside: &mut SetAside,
) -> Decimal {
    let mut order: Vec<usize> = (0..view.grants.len())
        .filter(|&i| {
            let g = &view.grants[i];
            (g.kind == GrantType::Plan) == plan && g.active_at(t)
        })
        .collect();
    // Ties in index order, as a stable sort would leave them: the one sort the crate links.
    crate::engine::id::sort_indices(&mut order, &|a, b| {
        burn_order(&view.grants[a], &view.grants[b]).then(a.cmp(&b))
    });
    for i in order {
        let g = &mut view.grants[i];
        let take = credits.min(g.remaining);
        if take > Decimal::ZERO {
            g.remaining -= take;
            credits -= take;
            aside.grants.push((g.id.clone(), take));
        }
    }
    credits
}

/// Burn order (SEMANTICS 5): plan grants first, then priority ascending, soonest expiry
/// (none last: FEFO), promotional < committed < prepaid, createdAt, id.
/// Flexprice, OpenMeter and Stripe credit grants order their grants this way.
pub fn burn_order(a: &Grant, b: &Grant) -> Ordering {
    let plan = |g: &Grant| g.kind != GrantType::Plan;
    plan(a)
        .cmp(&plan(b))
        .then(a.priority.cmp(&b.priority))
        .then_with(|| match (a.expires_at, b.expires_at) {
            (Some(x), Some(y)) => x.cmp(&y),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => Ordering::Equal,
        })
        .then(a.kind.cmp(&b.kind))
        .then(a.created_at.cmp(&b.created_at))
        .then_with(|| a.id.cmp(&b.id))
}
