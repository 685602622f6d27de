//! Plan versions (issue 28, SEMANTICS 16): the platform changes a plan's terms (its fee, its
//! included minutes and credits, its overage rate) on a date. The built-in catalogue
//! (`reports::catalogue`) is version 1 of each plan, in force from the start; later versions
//! are kept in `plan_versions`, scheduled ahead (`PUT /admin/plans/{id}`) and cancellable until
//! they take effect. A subscription keeps the terms it started with for its cycle: a new
//! version applies from the first cycle that starts at or after its `effectiveFrom` (a
//! renewal, or a plan started then), so nobody's current cycle changes under them.

use super::accounts::Acct;
use super::reports::catalogue;
use crate::engine::amount::{Count, Seconds};
use crate::engine::calendar::Instant;
use crate::engine::error::Code;
use crate::engine::model::{Grant, GrantType, Plan};
use crate::server::outcome::{store, Failure, Kind, ServerCode, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A version of a plan, as `GET /billing/plans/{id}/versions` lists it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanVersion {
    pub version: u64,
    /// `None`: version 1, in force from the start.
    pub effective_from: Option<Instant>,
    pub plan: Plan,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created_at: Option<Instant>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cancelled_at: Option<Instant>,
}

/// `PUT /admin/plans/{id}`'s body.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewPlanVersion {
    pub plan: Value,
    /// Now or later (default now).
    #[serde(default)]
    pub effective_from: Option<Instant>,
}

/// Every version of plan `id`, version 1 (the built-in one, if any) first.
pub fn history(db: &mut dyn Db, id: &str) -> R<Vec<PlanVersion>> {
    let mut out: Vec<PlanVersion> = catalogue()
        .into_iter()
        .filter(|p| p.id == id)
        .map(|plan| PlanVersion {
            version: 1,
            effective_from: None,
            plan,
            created_at: None,
            cancelled_at: None,
        })
        .collect();
    let rows = store(db.query(
        "SELECT version, effective_from, plan, created_at, cancelled_at FROM plan_versions \
         WHERE plan_id = $1 ORDER BY version",
        &[id.into()],
    ))?;
    for r in &rows {
        let at = |i: usize| r[i].text().and_then(Instant::parse);
        let plan: Plan = crate::ops::parse_text(r[2].text().unwrap_or_default())
            .map_err(|e| Failure::from_error(Kind::Internal, &e))?;
        out.push(PlanVersion {
            version: r[0].int().and_then(|v| u64::try_from(v).ok()).unwrap_or(0),
            effective_from: at(1),
            plan,
            created_at: at(3),
            cancelled_at: at(4),
        });
    }
    Ok(out)
}

/// Plan `id`'s terms in force at `t` (`None`: no such plan then), marked with their version.
pub fn at(db: &mut dyn Db, id: &str, t: Instant) -> R<Option<Plan>> {
    let all = history(db, id)?;
    let found = all
        .into_iter()
        .filter(|v| v.cancelled_at.is_none() && v.effective_from.is_none_or(|f| f <= t))
        .max_by_key(|v| v.effective_from);
    Ok(found.map(|v| Plan {
        version: Some(Count(v.version)),
        effective_from: v.effective_from,
        ..v.plan
    }))
}

/// The catalogue in force at `t`: each plan's terms then.
pub fn catalogue_at(db: &mut dyn Db, t: Instant) -> R<Vec<Plan>> {
    let rows = store(db.query("SELECT DISTINCT plan_id FROM plan_versions", &[]))?;
    let mut ids: Vec<String> = catalogue().into_iter().map(|p| p.id).collect();
    for r in &rows {
        if let Some(id) = r[0].text().filter(|id| !ids.iter().any(|x| x == id)) {
            ids.push(id.to_string());
        }
    }
    let mut out = vec![];
    for id in ids {
        out.extend(at(db, &id, t)?);
    }
    Ok(out)
}

/// Schedule a new version of plan `id` (a new id makes a new plan from then on).
pub fn schedule(db: &mut dyn Db, id: &str, n: NewPlanVersion, now: Instant) -> R<PlanVersion> {
    let from = n.effective_from.unwrap_or(now);
    if from < now {
        return Err(invalid(
            "effectiveFrom",
            "a plan's terms change now or later, never in the past",
        ));
    }
    let plan: Plan = crate::ops::parse(&n.plan)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e.within("plan")))?;
    if plan.id != id {
        return Err(invalid("plan.id", "the plan's id is the one in the path"));
    }
    check_plan(&plan)?;
    let all = history(db, id)?;
    let taken = all
        .iter()
        .any(|v| v.cancelled_at.is_none() && v.effective_from == Some(from));
    if taken {
        return Err(invalid(
            "effectiveFrom",
            "another version takes effect at this instant; cancel it first",
        ));
    }
    let version = all.iter().map(|v| v.version).max().unwrap_or(0) + 1;
    let text = serde_json::to_string(&plan).map_err(|e| Failure::internal(e.to_string()))?;
    store(db.exec(
        "INSERT INTO plan_versions (plan_id, version, effective_from, plan, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
        &[
            id.into(),
            (version as i64).into(),
            from.to_string().into(),
            text.into(),
            now.to_string().into(),
        ],
    ))?;
    Ok(PlanVersion {
        version,
        effective_from: Some(from),
        plan,
        created_at: Some(now),
        cancelled_at: None,
    })
}

/// A plan's own checks, in money of two decimals at most (each account's card checks its
/// currency's precision when the plan starts).
fn check_plan(plan: &Plan) -> R<()> {
    let negative = [
        (plan.monthly_fee, "plan.monthlyFee"),
        (plan.overage_per_minute, "plan.overagePerMinute"),
        (plan.included_credits, "plan.includedCredits"),
        (plan.rollover_cap, "plan.rolloverCap"),
    ];
    if let Some((_, f)) = negative
        .iter()
        .find(|(v, _)| v.is_some_and(|v| v.is_sign_negative()))
    {
        return Err(Failure::engine(
            Kind::Invalid,
            Code::NegativeAmount,
            Some(f),
            "must not be negative",
        ));
    }
    if plan.id.is_empty() || plan.id.len() > 64 {
        return Err(invalid("plan.id", "a plan id is 1 to 64 characters"));
    }
    Ok(())
}

/// Cancel version `n` of plan `id` before it takes effect.
pub fn cancel(db: &mut dyn Db, id: &str, n: u64, now: Instant) -> R<PlanVersion> {
    let all = history(db, id)?;
    let Some(mut v) = all.into_iter().find(|v| v.version == n) else {
        let m = format!("no version {n} of plan `{id}`");
        return Err(Failure::new(
            ServerCode::VersionNotFound,
            Some("version"),
            m,
        ));
    };
    if v.cancelled_at.is_some() {
        return Ok(v);
    }
    if v.effective_from.is_none_or(|f| f <= now) {
        let m = "this version is in effect already; schedule a new one instead";
        return Err(Failure::new(
            ServerCode::VersionInEffect,
            Some("version"),
            m,
        ));
    }
    store(db.exec(
        "UPDATE plan_versions SET cancelled_at = $1 WHERE plan_id = $2 AND version = $3",
        &[now.to_string().into(), id.into(), (n as i64).into()],
    ))?;
    v.cancelled_at = Some(now);
    Ok(v)
}

/// At a renewal: the subscription takes its plan's terms in force at the new cycle's start.
/// Its allowance is the new terms' less what the cycle has used so far (usage that crossed
/// the renewal before the scheduler's visit).
pub fn renew_terms(db: &mut dyn Db, a: &mut Acct, start: Instant) -> R<()> {
    let Some(old) = a.snap.plan.clone() else {
        return Ok(());
    };
    let Some(new) = at(db, &old.id, start)? else {
        return Ok(());
    };
    if new.version == old.version || old.version.is_none() {
        return Ok(());
    }
    let used = old
        .included_seconds()
        .saturating_sub(a.snap.included_seconds());
    let left = new.included_seconds().saturating_sub(used);
    a.snap.included_seconds_remaining = Some(Seconds(left));
    let more = new.included_credits.unwrap_or_default() - old.included_credits.unwrap_or_default();
    credit_plan_grant(a, start, more);
    a.snap.plan = Some(new);
    super::steps::checkpoint(db, a, start, true)
}

/// Move the cycle's plan credits by `more` (never below 0), making the cycle's plan grant
/// as the engine would (`plan-credits@{start}`) when the new terms bring the first.
fn credit_plan_grant(a: &mut Acct, start: Instant, more: Decimal) {
    let id = format!("plan-credits@{start}");
    match a.snap.grants.iter_mut().find(|g| g.id == id) {
        Some(g) => g.remaining = (g.remaining + more).max(Decimal::ZERO),
        None if more > Decimal::ZERO => {
            let end = a.snap.cycle.as_ref().map(|c| c.end);
            a.snap.grants.push(Grant {
                id,
                kind: GrantType::Plan,
                remaining: more,
                priority: crate::engine::drawdown::PLAN_CREDITS_PRIORITY,
                effective_at: Some(start),
                expires_at: end,
                created_at: Some(start),
            });
        }
        None => {}
    }
}

fn invalid(field: &str, message: &str) -> Failure {
    Failure::engine(Kind::Invalid, Code::InvalidValue, Some(field), message)
}
