//! Usage reports, plans and subscription, invoices and the ledger: the read side of the
//! billing API (seed 000), plus the one plan change a dashboard session may make.

use super::accounts;
use crate::engine::amount;
use crate::engine::model::Plan;
use crate::server::clock::now;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{Failure, R};
use crate::server::storage::memo::Db;
use crate::server::storage::rollup;
use serde::Deserialize;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Window {
    /// First local date (YYYY-MM-DD) in the account's time zone, inclusive.
    pub(crate) from: Option<String>,
    /// Last local date, inclusive.
    pub(crate) to: Option<String>,
}

/// The longest report window in days: a report is bounded work, whatever the history.
pub const MAX_REPORT_DAYS: i64 = 366;

/// The window's local dates: `to` defaults to tomorrow in the account's zone (usage may be
/// dated a few minutes ahead), `from` to `MAX_REPORT_DAYS` before `to`.
pub(crate) fn dates(w: &Window, a: &accounts::Acct) -> R<(chrono::NaiveDate, chrono::NaiveDate)> {
    let parse = |d: &Option<String>, field: &str| -> R<Option<chrono::NaiveDate>> {
        d.as_deref()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .transpose()
            .map_err(|_| Failure::new(ServerCode::InvalidDate, Some(field), "dates are YYYY-MM-DD"))
    };
    let today = now().local(a.snap.time_zone).date();
    let to = parse(&w.to, "to")?.unwrap_or(today + chrono::Duration::days(1));
    let from = parse(&w.from, "from")?.unwrap_or(to - chrono::Duration::days(MAX_REPORT_DAYS - 1));
    if to < from || (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(Failure::new(
            ServerCode::InvalidDateRange,
            Some("from"),
            format!("`from` is on or before `to`, at most {MAX_REPORT_DAYS} days apart"),
        ));
    }
    Ok((from, to))
}

/// The day-by-day totals in the report's window.
pub(crate) fn days_in(db: &mut dyn Db, a: &accounts::Acct, w: &Window) -> R<rollup::Days> {
    let (from, to) = dates(w, a)?;
    rollup::read(db, &a.id, &from.to_string(), &to.to_string())
}

// ---- plans, subscription, invoices, ledger -----------------------------------------------

/// The plan catalogue (seed 000: Starter, Growth, Scale; included minutes at a lower
/// per-minute rate plus an overage rate beyond them).
pub fn catalogue() -> Vec<Plan> {
    let p = |id: &str, name: &str, fee: &str, minutes: u64, overage: &str| Plan {
        id: id.into(),
        name: Some(name.into()),
        monthly_fee: fee.parse().ok(),
        included_minutes: amount::Count(minutes),
        overage_per_minute: overage.parse().ok(),
        included_credits: None,
        rollover_cap: None,
        version: Some(amount::Count(1)),
        effective_from: None,
    };
    vec![
        p("starter", "Starter", "29.00", 300, "8"),
        p("growth", "Growth", "99.00", 1000, "7"),
        p("scale", "Scale", "299.00", 4000, "6"),
    ]
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct SubscribeBody {
    pub(crate) plan_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Page {
    pub(crate) after: Option<i64>,
    pub(crate) limit: Option<i64>,
}
