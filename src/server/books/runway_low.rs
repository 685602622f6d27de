//! `balance.runway_low` (issue 28, SEMANTICS 17 at the server): the scheduler forecasts each
//! account's runway (its last 7 days of usage repeated, `forecast`) at most once every
//! `due::RUNWAY_CHECK_EVERY_MS`, and when the credits would run out within the account's
//! threshold (3 days unless it sets one) it sends the webhook, once per crossing: not again
//! until a forecast finds the runway back above the threshold.

use super::accounts::{enqueue, Acct};
use super::due::RUNWAY_CHECK_EVERY_MS;
use crate::engine::calendar::Instant;
use crate::server::outcome::R;
use crate::server::storage::memo::Db;
use serde_json::json;

/// Forecast `a`'s runway if a check is due, and send `balance.runway_low` when it first
/// falls under the threshold. A forecast that fails is logged and tried at the next check:
/// a warning is never worth failing the scheduler's other bookings.
pub fn check(db: &mut dyn Db, a: &mut Acct, now: Instant) -> R<()> {
    let ms = now.0.timestamp_millis();
    if a.runway_checked_ms
        .is_some_and(|t| t + RUNWAY_CHECK_EVERY_MS > ms)
    {
        return Ok(());
    }
    a.runway_checked_ms = Some(ms);
    let days = u64::from(a.runway_low_days);
    let f = match super::forecast::forecast(db, a, now, (None, Some(days))) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("drawdown: no runway forecast for {}: {e:?}", a.id);
            return Ok(());
        }
    };
    let Some(out) = f.runway.runs_out_at else {
        a.runway_low_since = None;
        return Ok(());
    };
    if a.runway_low_since.is_some() {
        return Ok(());
    }
    a.runway_low_since = Some(now);
    let payload = json!({ "type": "balance.runway_low", "accountId": a.id, "at": now,
        "runsOutAt": out, "thresholdDays": a.runway_low_days,
        "balance": f.runway.balance_before.to_string(),
        "basisFrom": f.basis_from, "basisTo": f.basis_to,
        "reloads": f.runway.reloads.len(), "reloadMoney": f.runway.reload_money.to_string() });
    enqueue(db, a, "balance.runway_low", &payload, now)
}
