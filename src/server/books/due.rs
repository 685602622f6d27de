//! When time alone next changes an account (SEMANTICS 15 "On time"): computed from the
//! snapshot on every save, so the scheduler (`schedule`) finds due accounts with one indexed
//! query instead of reading every snapshot.

use crate::engine::calendar::Instant;
use crate::engine::model::{Account, Cycle, GrantType, Plan};
use rust_decimal::Decimal;
use std::sync::atomic::{AtomicI64, Ordering};

/// Days ahead of an expiry that leaves credits unused that `grant.expiring` goes out, when
/// the account sets none (SEMANTICS 15).
pub const DEFAULT_EXPIRING_DAYS: [u32; 2] = [7, 1];
/// The most warnings an account sets, and the furthest ahead one goes (a year).
pub const MAX_EXPIRING_WARNINGS: usize = 8;
pub const MAX_EXPIRING_DAYS: u32 = 366;

/// The live skew of this process (`--live-skew`): a lapsed hold leaves the snapshot that long
/// after it lapsed, so it is due again then. Set once when the server starts; the books
/// otherwise take the skew as an argument, but `save` runs everywhere and has none.
static LIVE_SKEW_MS: AtomicI64 =
    AtomicI64::new(crate::engine::call_body::DEFAULT_LIVE_SKEW_SECONDS * 1000);

pub fn set_live_skew(skew: chrono::Duration) {
    LIVE_SKEW_MS.store(skew.num_milliseconds(), Ordering::Relaxed);
}

pub(crate) fn live_skew() -> chrono::Duration {
    chrono::Duration::milliseconds(LIVE_SKEW_MS.load(Ordering::Relaxed))
}

/// The account's `grant.expiring` warnings (days ahead), as stored, or the default.
pub fn expiring_days(stored: Option<&str>) -> Vec<u32> {
    stored
        .and_then(|t| serde_json::from_str(t).ok())
        .unwrap_or_else(|| DEFAULT_EXPIRING_DAYS.to_vec())
}

/// The instants time alone changes `snap` at: each expiry of a grant with credits left (and
/// its warnings), the cycle's end, each call hold's lapse and its leaving the snapshot.
fn instants(snap: &Account, days: &[u32]) -> Vec<Instant> {
    let mut out = vec![];
    for g in &snap.grants {
        let Some(x) = g.expires_at.filter(|_| g.remaining > Decimal::ZERO) else {
            continue;
        };
        if g.kind != GrantType::Plan {
            out.push(x);
            out.extend(days.iter().map(|d| warning_at(x, *d)));
        }
    }
    out.extend(snap.cycle.as_ref().map(|c| c.end));
    for h in snap.holds.iter().filter(|h| h.is_call()) {
        out.push(h.valid_until);
        out.push(Instant(h.valid_until.0 + live_skew()));
    }
    out
}

pub(crate) fn warning_at(expiry: Instant, days: u32) -> Instant {
    Instant(expiry.0 - chrono::Duration::days(i64::from(days)))
}

/// The plan and cycle whose fee is owed (SEMANTICS 16): a plan with a fee, in a cycle whose
/// fee is neither charged nor taken as paid (`fee_cycle`), so a renewal since.
pub fn fee_owed(snap: &Account, fee_cycle: Option<Instant>) -> Option<(Plan, Cycle)> {
    let plan = snap.plan.clone()?;
    plan.monthly_fee.filter(|f| *f > Decimal::ZERO)?;
    let cycle = snap.cycle.clone()?;
    (fee_cycle? != cycle.start).then_some((plan, cycle))
}

/// Days of runway under which `balance.runway_low` goes out, when the account sets none
/// (issue 28: 3 days).
pub const DEFAULT_RUNWAY_LOW_DAYS: u32 = 3;
/// The most days of runway an account may ask to be warned ahead of (the longest horizon).
pub const MAX_RUNWAY_LOW_DAYS: u32 = 731;

/// The start of a cycle on a plan that began since the last renewal the books booked (its
/// terms and fee, `fees::charge_due`).
pub fn renewal_unbooked(snap: &Account, fee_cycle: Option<Instant>) -> Option<Instant> {
    snap.plan.as_ref()?;
    let start = snap.cycle.as_ref()?.start;
    (fee_cycle? != start).then_some(start)
}

/// How often the scheduler forecasts an account's runway for `balance.runway_low`.
pub const RUNWAY_CHECK_EVERY_MS: i64 = 3_600_000;

/// What decides when an account is next due, besides its snapshot.
pub struct Marks<'a> {
    /// How far the scheduler has been.
    pub through: Option<i64>,
    pub expiring_days: &'a [u32],
    pub fee_cycle: Option<Instant>,
    pub runway_checked: Option<i64>,
}

/// The first instant after the scheduler's last visit at which time changes the account
/// (`None`: never, as things stand); before its first visit, the first of them all. A
/// renewal booked by traffic (its plan terms and fee not yet) is due at once, and the
/// runway is forecast again `RUNWAY_CHECK_EVERY_MS` after its last forecast.
pub fn next_due(snap: &Account, m: &Marks) -> Option<i64> {
    let through = m.through;
    let mut out: Vec<i64> = instants(snap, m.expiring_days)
        .into_iter()
        .map(|t| t.0.timestamp_millis())
        .filter(|&ms| through.is_none_or(|th| ms > th))
        .collect();
    if renewal_unbooked(snap, m.fee_cycle).is_some() {
        out.push(through.map_or(0, |th| th + 1));
    }
    out.push(m.runway_checked.map_or(0, |t| t + RUNWAY_CHECK_EVERY_MS));
    out.into_iter().min()
}
