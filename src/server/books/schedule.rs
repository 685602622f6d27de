//! SEMANTICS 15 "On time, without traffic": what time alone does to an account, booked
//! within seconds of its instant by `drawdown serve`'s scheduler instead of at the account's
//! next request. Each account keeps the next instant time changes it (`due_ms`, computed on
//! every save by `due::next_due`) and how far the scheduler has been (`due_through_ms`); a tick
//! claims the due accounts (`claim_due`, `FOR UPDATE SKIP LOCKED` on PostgreSQL) and runs
//! each in a job of its own (`run_due`) under the account's lock. Every effect is decided
//! from the locked state (a booked expiry, the snapshot's cycle, a call's row, the
//! watermark), so an account two instances both claim is booked once.

use super::accounts::{enqueue, load, save, Acct};
use super::due::{live_skew, warning_at};
use super::provider::PaymentProvider;
use super::{calls, expiries, fees, runway_low};
use crate::engine::calendar::Instant;
use crate::engine::model::GrantType;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde_json::json;

/// The most accounts one tick claims; when a tick fills it, the next comes at once.
pub const MAX_DUE_PER_TICK: usize = 64;
/// An account whose scheduled job fails is tried again this much later (and logged), so one
/// broken account cannot hold the front of the queue.
pub const RETRY_FAILED_MS: i64 = 60_000;

/// The accounts due at `now`, the longest waiting first; rows another instance holds locked
/// are skipped (it is booking them).
pub fn claim_due(db: &mut dyn Db, now: Instant) -> R<Vec<String>> {
    let sql = format!(
        "SELECT id FROM accounts WHERE due_ms <= $1 ORDER BY due_ms LIMIT {MAX_DUE_PER_TICK}{}",
        db.skip_locked()
    );
    let rows = store(db.query(&sql, &[now.0.timestamp_millis().into()]))?;
    Ok(rows
        .iter()
        .filter_map(|r| r[0].text().map(str::to_string))
        .collect())
}

/// What time did to account `id` by `now`, booked with its webhooks: expiries
/// (`grant.expired`), renewals (`cycle.renewed`) and their plan fees, the alert an expiry
/// crossed (`balance.alert`), lapsed holds (`call.expired`), the `grant.expiring` warnings
/// due and the runway check (`balance.runway_low`).
pub fn run_due(db: &mut dyn Db, provider: &dyn PaymentProvider, id: &str, now: Instant) -> R<()> {
    let mut a = load(db, id, true)?;
    if a.due_ms.is_none_or(|due| due > now.0.timestamp_millis()) {
        return Ok(()); // another instance (or this one's last tick) was first
    }
    expiries::book_expiries(db, &mut a, now)?;
    pass_time(db, &mut a, now)?;
    fees::charge_due(db, provider, &mut a, now)?;
    calls::lapse_holds(db, &mut a, now, live_skew())?;
    warn_expiring(db, &mut a, now)?;
    runway_low::check(db, &mut a, now)?;
    a.through_ms = Some(now.0.timestamp_millis());
    save(db, &a)
}

/// Renewals and the alert state, through the core (`drawdown::pass_time`).
fn pass_time(db: &mut dyn Db, a: &mut Acct, now: Instant) -> R<()> {
    let before = a.snap.cycle.clone();
    let since = a
        .through_ms
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map_or(now, Instant);
    let (snap, alert) =
        crate::engine::drawdown::pass_time(&a.snap, since, now).map_err(Failure::invalid)?;
    a.snap = snap;
    if let (Some(was), Some(c)) = (before, a.snap.cycle.clone()) {
        if c.start != was.start {
            let payload = json!({ "type": "cycle.renewed", "accountId": a.id, "at": was.end,
                "cycle": c, "includedSecondsRemaining": a.snap.included_seconds_remaining,
                "planCredits": crate::engine::pools::plan_credits(&a.snap.grants, now).to_string() });
            enqueue(db, a, "cycle.renewed", &payload, now)?;
        }
    }
    if let Some(al) = alert {
        let payload = json!({ "type": "balance.alert", "accountId": a.id, "at": al.at,
            "from": al.from, "to": al.to, "balance": al.balance.to_string() });
        enqueue(db, a, "balance.alert", &payload, now)?;
    }
    Ok(())
}

/// `grant.expiring` for each warning instant the scheduler passed since its last visit, of
/// a grant that will expire with credits left. A first visit warns of nothing it missed.
fn warn_expiring(db: &mut dyn Db, a: &mut Acct, now: Instant) -> R<()> {
    let Some(through) = a.through_ms else {
        return Ok(());
    };
    let mut due = vec![];
    for g in a.snap.grants.iter().filter(|g| g.kind != GrantType::Plan) {
        let Some(x) = g
            .expires_at
            .filter(|x| *x > now && g.remaining > Decimal::ZERO)
        else {
            continue;
        };
        for d in &a.expiring_days {
            let w = warning_at(x, *d).0.timestamp_millis();
            if w > through && w <= now.0.timestamp_millis() {
                due.push((g.id.clone(), x, g.remaining, *d));
            }
        }
    }
    let unused = forecast_unused(db, a, now, &due);
    for (grant, x, credits, days) in due {
        let mut payload = json!({ "type": "grant.expiring", "accountId": a.id, "at": now,
            "grantId": grant, "expiresAt": x, "credits": credits.to_string(), "daysAhead": days });
        if let Some(u) = &unused {
            let left = u.iter().find(|e| e.grant_id == grant && e.at == x);
            payload["forecastUnused"] =
                json!(left.map_or(Decimal::ZERO, |e| e.credits).to_string());
        }
        enqueue(db, a, "grant.expiring", &payload, now)?;
    }
    Ok(())
}

/// What the runway forecast (SEMANTICS 17, the last 7 days repeated) says will be left of the
/// warned grants when they expire. `None` when it cannot say (the warning goes out without).
fn forecast_unused(
    db: &mut dyn Db,
    a: &Acct,
    now: Instant,
    due: &[(String, Instant, Decimal, u32)],
) -> Option<Vec<crate::engine::runway::Expiring>> {
    let last = due.iter().map(|d| d.1).max()?;
    let days = (last.0 - now.0).num_seconds() / 86_400 + 1;
    let horizon = days.clamp(1, crate::engine::runway::MAX_HORIZON_DAYS as i64) as u64;
    match crate::server::books::forecast::forecast(db, a, now, (None, Some(horizon))) {
        Ok(f) => Some(f.runway.expiring_unused),
        Err(e) => {
            eprintln!("drawdown: no forecast for {}'s grant.expiring: {e:?}", a.id);
            None
        }
    }
}

/// After a failed scheduled job: the account is due again `RETRY_FAILED_MS` later.
pub fn postpone(db: &mut dyn Db, id: &str, now: Instant) -> R<()> {
    store(db.exec(
        "UPDATE accounts SET due_ms = $1 WHERE id = $2",
        &[
            (now.0.timestamp_millis() + RETRY_FAILED_MS).into(),
            id.into(),
        ],
    ))?;
    Ok(())
}
