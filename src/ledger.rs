//! The ledger's side of the drawdown (SEMANTICS 10): apply usage to an account snapshot and
//! get the next snapshot, so that a server can record usage one event at a time and still
//! land on exactly what `previewDrawdown` shows for the same usage in one go.
//! Pure functions over plain data, like the rest of the core; storage lives in the server.

use crate::drawdown::{run, Preview, PreviewInput, State};
use crate::error::{Code, Error, Result};
use crate::model::{Account, AgentPolicy, Grant};
use rust_decimal::Decimal;

/// The result of applying usage: what the preview shows, and the snapshot to continue from.
#[derive(Debug, Clone)]
pub struct Applied {
    pub preview: Preview,
    pub account: Account,
}

/// Apply `input.usage` to `input.account`. `settle_at_once`: auto-reloads land immediately
/// (as in a preview); otherwise the reload stays in `account.pendingReload` until
/// [`settle_reload`] lands it, and no second reload starts meanwhile.
pub fn apply(input: &PreviewInput, settle_at_once: bool) -> Result<Applied> {
    let (preview, st) = run(input, settle_at_once)?;
    let account = snapshot(&input.account, st);
    Ok(Applied { preview, account })
}

/// The snapshot a drawdown's closing state leaves: grants, debt, included seconds, agents'
/// spend, cycle, alert state, reload day and pending reload carried forward.
pub(crate) fn snapshot(opening: &Account, st: State) -> Account {
    let mut account = opening.clone();
    account.grants = st.grants;
    account.owed = Some(st.owed);
    if account.plan.is_some() {
        account.included_seconds_remaining = Some(crate::amount::Seconds(st.included));
    }
    for (id, a) in account.agents.iter_mut() {
        a.spent_this_cycle = Some(st.spent.get(id).copied().unwrap_or_default());
    }
    for (id, spent) in &st.spent {
        account
            .agents
            .entry(id.clone())
            .or_insert_with(|| AgentPolicy {
                spent_this_cycle: Some(*spent),
                ..AgentPolicy::default()
            });
    }
    if let (Some(c), Some(at)) = (account.cycle.as_mut(), st.cycle) {
        c.anchor = Some(at.anchor);
        c.start = at.start;
        c.end = at.end;
    }
    if let (Some(a), Some(state)) = (account.alerts.as_mut(), st.alert) {
        a.state = Some(state);
    }
    account.reload_day_ends = st.reload_day.map(|d| d.ends);
    account.reloads_today = st
        .reload_day
        .map(|d| crate::amount::Count(d.reloads.into()));
    account.pending_reload = st.pending;
    account
}

/// Credits that land (a top-up, a manual credit, a settled reload) pay what is owed first
/// (SEMANTICS 5.3); the rest becomes the grant. Returns the credits that settled the debt.
pub fn land(account: &mut Account, mut grant: Grant) -> Result<Decimal> {
    if account.grants.iter().any(|g| g.id == grant.id) {
        return Err(Error::at(
            Code::DuplicateId,
            "grant.id",
            format!("grant id `{}` is already in use", grant.id),
        ));
    }
    let mut owed = account.owed.unwrap_or_default();
    let settled = crate::pools::settle_owed(&mut owed, &mut grant);
    account.owed = Some(owed);
    account.grants.push(grant);
    Ok(settled)
}

/// The pending auto-reload's payment settled: its credits land as the `prepaid` grant
/// that a preview would have added at once. Returns the grant as it landed and the credits
/// that settled what was owed.
pub fn settle_reload(account: &mut Account) -> Result<(Grant, Decimal)> {
    let Some(grant) = account.pending_reload.take() else {
        return Err(Error::at(
            Code::NoPendingReload,
            "pendingReload",
            "the account has no reload waiting for payment",
        ));
    };
    let mut landed = grant.clone();
    let settled = land(account, grant)?;
    landed.remaining -= settled;
    Ok((landed, settled))
}
