//! Usage reports, plans and subscription, invoices and the ledger: the read side of the
//! billing API (seed 000), plus the one plan change a dashboard session may make.

use super::auth::{Caller, READ};
use super::billing::{self, load};
use super::extract::{JsonBody, Query};
use super::outcome::{store, Done, Failure, Kind, R};
use super::rollup;
use super::routes::{job, read};
use super::store::Sql;
use super::{now, Shared};
use crate::amount;
use crate::model::Plan;
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Window {
    /// First local date (YYYY-MM-DD) in the account's time zone, inclusive.
    from: Option<String>,
    /// Last local date, inclusive.
    to: Option<String>,
}

/// The longest report window in days: a report is bounded work, whatever the history.
pub const MAX_REPORT_DAYS: i64 = 366;

/// The window's local dates: `to` defaults to tomorrow in the account's zone (usage may be
/// dated a few minutes ahead), `from` to `MAX_REPORT_DAYS` before `to`.
fn dates(w: &Window, a: &billing::Acct) -> R<(chrono::NaiveDate, chrono::NaiveDate)> {
    let parse = |d: &Option<String>, field: &str| -> R<Option<chrono::NaiveDate>> {
        d.as_deref()
            .map(|d| chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d"))
            .transpose()
            .map_err(|_| {
                Failure::new(
                    Kind::Malformed,
                    "invalid_date",
                    Some(field),
                    "dates are YYYY-MM-DD",
                )
            })
    };
    let today = now().local(a.snap.time_zone).date();
    let to = parse(&w.to, "to")?.unwrap_or(today + chrono::Duration::days(1));
    let from = parse(&w.from, "from")?.unwrap_or(to - chrono::Duration::days(MAX_REPORT_DAYS - 1));
    if to < from || (to - from).num_days() >= MAX_REPORT_DAYS {
        return Err(Failure::new(
            Kind::Malformed,
            "invalid_date_range",
            Some("from"),
            format!("`from` is on or before `to`, at most {MAX_REPORT_DAYS} days apart"),
        ));
    }
    Ok((from, to))
}

/// The day-by-day totals in the report's window.
fn days_in(db: &mut dyn Sql, a: &billing::Acct, w: &Window) -> R<rollup::Days> {
    let (from, to) = dates(w, a)?;
    rollup::read(db, &a.id, &from.to_string(), &to.to_string())
}

pub(super) async fn usage_items(
    State(st): State<Shared>,
    Query(w): Query<Window>,
    c: Caller,
) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let groups = days_in(db, &a, &w)?;
        let items: Vec<Value> = groups
            .into_iter()
            .map(|((day, channel, code, unit), t)| {
                json!({ "date": day, "channel": channel, "code": code, "unit": unit,
                        "quantity": t.quantity.to_string(), "credits": t.credits.to_string(),
                        "lines": t.lines })
            })
            .collect();
        Ok(Done::ok(
            json!({ "timeZone": a.snap.time_zone, "items": items }),
        ))
    })
    .await
}

pub(super) async fn usage_summary(
    State(st): State<Shared>,
    Query(w): Query<Window>,
    c: Caller,
) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let mut by: BTreeMap<(String, String), (Decimal, Decimal)> = BTreeMap::new();
        let mut total = Decimal::ZERO;
        for ((_, channel, _, unit), t) in days_in(db, &a, &w)? {
            let g = by.entry((channel, unit)).or_default();
            g.0 += t.quantity;
            g.1 += t.credits;
            total += t.credits;
        }
        let usage: Vec<Value> = by.into_iter().map(|((channel, unit), (q, cr))| json!({
            "channel": channel, "unit": unit, "quantity": q.to_string(), "credits": cr.to_string() })).collect();
        let money = a.card.to_money(total, "totalCredits").map_err(Failure::invalid)?;
        Ok(Done::ok(json!({ "usage": usage, "summary": { "totalCredits": total.to_string(),
            "totalMoney": { "amount": money.to_string(), "currency": a.card.currency.code } } })))
    })
    .await
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
    };
    vec![
        p("starter", "Starter", "29.00", 300, "8"),
        p("growth", "Growth", "99.00", 1000, "7"),
        p("scale", "Scale", "299.00", 4000, "6"),
    ]
}

pub(super) async fn plans(c: Caller) -> R<Done> {
    c.require(READ)?;
    Ok(Done::ok(json!({ "plans": catalogue() })))
}

pub(super) async fn subscription(State(st): State<Shared>, c: Caller) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        Ok(Done::ok(
            json!({ "plan": a.snap.plan, "cycle": a.snap.cycle,
        "includedSecondsRemaining": a.snap.included_seconds() }),
        ))
    })
    .await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct SubscribeBody {
    plan_id: String,
}

pub(super) async fn subscribe(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(body, _): JsonBody<SubscribeBody>,
) -> R<Done> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        let plan = catalogue()
            .into_iter()
            .find(|p| p.id == body.plan_id)
            .ok_or_else(|| {
                Failure::new(
                    Kind::Invalid,
                    "unknown_plan",
                    Some("planId"),
                    format!("no plan `{}`", body.plan_id),
                )
            })?;
        let mut a = load(db, &c.account, true)?;
        let t = now();
        // A new plan starts a new cycle now, with its full allowance.
        let end = crate::calendar::add_months(t, 1, a.snap.time_zone).unwrap_or(t);
        a.snap.cycle = Some(crate::model::Cycle {
            start: t,
            end,
            anchor: None,
        });
        a.snap.included_seconds_remaining = Some(amount::Seconds(plan.included_seconds()));
        a.snap.plan = Some(plan.clone());
        let bal = billing::balance(&a, t);
        billing::entry(
            db,
            &mut a,
            t,
            billing::Entry {
                at: t,
                kind: "plan_change",
                reference: Some(&plan.id),
                grant_id: None,
                credits: Decimal::ZERO,
                before: bal,
                after: bal,
                detail: json!({ "plan": plan }),
            },
        )?;
        billing::save(db, &a)?;
        Ok(Done::ok(
            json!({ "plan": a.snap.plan, "cycle": a.snap.cycle }),
        ))
    })
    .await
}

/// Seed 000 "List invoices (PDF links)": every invoice and credit note as issued, each with
/// its `pdf` link.
pub(super) async fn invoices(State(st): State<Shared>, c: Caller) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let list = super::invoices::list(db, &c.account)?;
        Ok(Done::ok(json!({ "invoices": list })))
    })
    .await
}

/// `GET /billing/invoices/{id}/pdf`: the document rendered (`invoice_pdf`).
pub(super) async fn invoice_pdf(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    c: Caller,
) -> R<axum::response::Response> {
    use axum::response::IntoResponse;
    c.require(READ)?;
    let doc = read(&st, move |db| {
        let doc = super::invoices::get(db, &c.account, &id)?;
        Ok(Done::ok(serde_json::to_value(doc).unwrap_or_default()))
    })
    .await?;
    let doc: super::invoices::Document = serde_json::from_value(doc.body)
        .map_err(|e| Failure::new(Kind::Internal, "internal", None, e.to_string()))?;
    let disposition = format!("inline; filename=\"{}.pdf\"", doc.number);
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            "application/pdf".to_string(),
        ),
        (axum::http::header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, super::invoice_pdf::render(&doc)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct Page {
    after: Option<i64>,
    limit: Option<i64>,
}

pub(super) async fn ledger(State(st): State<Shared>, Query(p): Query<Page>, c: Caller) -> R<Done> {
    c.require(READ)?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    read(&st, move |db| {
        let rows = store(db.query(
            "SELECT seq, at, recorded_at, kind, reference, grant_id, credits, balance_before, balance_after, detail \
             FROM ledger WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[c.account.as_str().into(), p.after.unwrap_or(0).into(), limit.into()],
        ))?;
        let entries: Vec<Value> = rows.iter().map(|r| json!({
            "seq": r[0].int(), "at": r[1].text(), "recordedAt": r[2].text(), "kind": r[3].text(),
            "reference": r[4].text(), "grantId": r[5].text(), "credits": r[6].text(),
            "balanceBefore": r[7].text(), "balanceAfter": r[8].text(),
            "detail": r[9].text().and_then(|s| serde_json::from_str::<Value>(s).ok()),
        })).collect();
        let next = entries.last().and_then(|e| e["seq"].as_i64());
        Ok(Done::ok(json!({ "entries": entries, "next": next })))
    })
    .await
}

/// `GET /billing/payments/{id}`: one payment of the account and where it stands, so a page
/// that started a top-up learns when the provider has confirmed it.
pub(super) async fn payment(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    c: Caller,
) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let rows = store(db.query(
            "SELECT id, purpose, status, amount, gross, credits, currency, created_at, settled_at, refunded_at \
             FROM payments WHERE id = $1 AND account_id = $2",
            &[id.as_str().into(), c.account.as_str().into()],
        ))?;
        let Some(r) = rows.first() else {
            return Err(Failure::new(Kind::NotFound, "payment_not_found", None, format!("no payment {id}")));
        };
        let status = if r[9].text().is_some() { Some("refunded") } else { r[2].text() };
        Ok(Done::ok(json!({ "id": r[0].text(), "purpose": r[1].text(), "status": status,
            "amount": r[3].text(), "gross": r[4].text().or(r[3].text()), "credits": r[5].text(),
            "currency": r[6].text(), "createdAt": r[7].text(), "settledAt": r[8].text() })))
    })
    .await
}
