//! The HTTP handlers of `books::reports`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::amount;
use crate::engine::calendar::Zone;
use crate::engine::model::{Cycle, Plan};
use crate::server::books::accounts;
use crate::server::books::accounts::load;
use crate::server::books::auth::{Caller, READ};
use crate::server::books::card_versions::Version;
use crate::server::books::fees;
use crate::server::books::invoices::Listed;
use crate::server::books::prices;
use crate::server::books::reports::*;
use crate::server::books::wallet::Money;
use crate::server::clock::now;
use crate::server::http::extract::{JsonBody, Query};
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, R};
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// `GET /billing/usage/items`: the account's usage per day, channel and code.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageItems {
    time_zone: Zone,
    items: Vec<UsageDay>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UsageDay {
    date: String,
    channel: String,
    code: String,
    unit: String,
    quantity: String,
    credits: String,
    lines: i64,
}

pub(crate) async fn usage_items(
    State(st): State<Shared>,
    Query(w): Query<Window>,
    c: Caller,
) -> R<Done<UsageItems>> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let groups = days_in(db, &a, &w)?;
        let items = groups
            .into_iter()
            .map(|((date, channel, code, unit), t)| UsageDay {
                date,
                channel,
                code,
                unit,
                quantity: t.quantity.to_string(),
                credits: t.credits.to_string(),
                lines: t.lines,
            })
            .collect();
        let time_zone = a.snap.time_zone;
        Ok(Done::ok(UsageItems { time_zone, items }))
    })
    .await
}

/// `GET /billing/usage/events`: the usage items of a window of local days, as the engine takes
/// them (a `previewDrawdown`'s `usage`), so a page can draw the account's own usage down on
/// another plan (the billing portal's plan comparison).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageEvents {
    time_zone: Zone,
    from: String,
    to: String,
    items: Vec<crate::engine::drawdown::Usage>,
    /// Rentals whose rate no number kind of the card has (a prorated first month).
    skipped: usize,
}

pub(crate) async fn usage_events(
    State(st): State<Shared>,
    Query(w): Query<Window>,
    c: Caller,
) -> R<Done<UsageEvents>> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let (from, to) = dates(&w, &a)?;
        let next = to.succ_opt().unwrap_or(to);
        let (items, skipped) =
            crate::server::books::forecast::usage_between(db, &a, (from, next), "from")?;
        Ok(Done::ok(UsageEvents {
            time_zone: a.snap.time_zone,
            from: from.to_string(),
            to: to.to_string(),
            items,
            skipped,
        }))
    })
    .await
}

/// `GET /billing/usage/summary`: the window's usage per channel and unit, and its total.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct UsageSummary {
    usage: Vec<ChannelUsage>,
    summary: Totals,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct ChannelUsage {
    channel: String,
    unit: String,
    quantity: String,
    credits: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Totals {
    total_credits: String,
    total_money: Money,
}

pub(crate) async fn usage_summary(
    State(st): State<Shared>,
    Query(w): Query<Window>,
    c: Caller,
) -> R<Done<UsageSummary>> {
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
        let usage = by
            .into_iter()
            .map(|((channel, unit), (q, cr))| ChannelUsage {
                channel,
                unit,
                quantity: q.to_string(),
                credits: cr.to_string(),
            })
            .collect();
        let money = a
            .card
            .to_money(total, "totalCredits")
            .map_err(Failure::invalid)?;
        let total_money = Money {
            amount: money.to_string(),
            currency: a.card.currency.code.to_string(),
        };
        let summary = Totals {
            total_credits: total.to_string(),
            total_money,
        };
        Ok(Done::ok(UsageSummary { usage, summary }))
    })
    .await
}

/// `GET /billing/forecast`'s query: the basis's days and the horizon's (SEMANTICS 17).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ForecastQuery {
    basis_days: Option<u64>,
    horizon_days: Option<u64>,
}

/// `GET /billing/forecast`: when the credits run out at the rate of the last whole days.
pub(crate) async fn forecast(
    State(st): State<Shared>,
    Query(q): Query<ForecastQuery>,
    c: Caller,
) -> R<Done<crate::server::books::forecast::Forecast>> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let f = crate::server::books::forecast::forecast(
            db,
            &a,
            now(),
            (q.basis_days, q.horizon_days),
        )?;
        Ok(Done::ok(f))
    })
    .await
}

/// `GET /billing/rate-card?at=`: the version of the card in force at `at` (now by default).
#[derive(serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AtQuery {
    at: Option<crate::engine::calendar::Instant>,
}

pub(crate) async fn rate_card(
    State(st): State<Shared>,
    c: Caller,
    Query(q): Query<AtQuery>,
) -> R<Done<Version>> {
    c.require(READ)?;
    let t = q.at.unwrap_or_else(now);
    read(&st, move |db| prices::at(db, &c.account, t).map(Done::ok)).await
}

/// `GET /billing/rate-cards`: every version of the card, version 1 first, cancelled ones
/// marked.
#[derive(Serialize)]
pub(crate) struct Versions {
    versions: Vec<Version>,
}

pub(crate) async fn rate_cards(State(st): State<Shared>, c: Caller) -> R<Done<Versions>> {
    c.require(READ)?;
    read(&st, move |db| {
        let versions = prices::history(db, &c.account)?;
        Ok(Done::ok(Versions { versions }))
    })
    .await
}

#[derive(Serialize)]
pub(crate) struct Plans {
    plans: Vec<Plan>,
}

/// `GET /billing/plans?at=`: the catalogue, each plan's terms in force at `at` (now by
/// default).
pub(crate) async fn plans(
    State(st): State<Shared>,
    c: Caller,
    Query(q): Query<AtQuery>,
) -> R<Done<Plans>> {
    c.require(READ)?;
    let t = q.at.unwrap_or_else(now);
    read(&st, move |db| {
        let plans = crate::server::books::plans::catalogue_at(db, t)?;
        Ok(Done::ok(Plans { plans }))
    })
    .await
}

/// `GET /billing/plans/{id}/versions`: every version of a plan's terms.
#[derive(Serialize)]
pub(crate) struct PlanVersions {
    versions: Vec<crate::server::books::plans::PlanVersion>,
}

pub(crate) async fn plan_versions(
    State(st): State<Shared>,
    c: Caller,
    axum::extract::Path(id): axum::extract::Path<String>,
) -> R<Done<PlanVersions>> {
    c.require(READ)?;
    read(&st, move |db| {
        let versions = crate::server::books::plans::history(db, &id)?;
        if versions.is_empty() {
            let m = format!("no plan `{id}`");
            return Err(Failure::new(ServerCode::UnknownPlan, Some("id"), m));
        }
        Ok(Done::ok(PlanVersions { versions }))
    })
    .await
}

/// `GET /billing/subscription` (with `includedSecondsRemaining`) and the answer to
/// `POST /billing/subscription` (without): the plan, its cycle, whether the cycle's fee is
/// paid (`status`: `active` or `past_due`, SEMANTICS 16) and the fee itself.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Subscription {
    plan: Option<Plan>,
    cycle: Option<Cycle>,
    status: &'static str,
    fee: Option<fees::Fee>,
    #[serde(skip_serializing_if = "Option::is_none")]
    included_seconds_remaining: Option<u64>,
}

pub(crate) async fn subscription(State(st): State<Shared>, c: Caller) -> R<Done<Subscription>> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        let fee = fees::current(db, &a)?;
        Ok(Done::ok(Subscription {
            included_seconds_remaining: Some(a.snap.included_seconds()),
            status: fees::Fee::subscription_status(fee.as_ref()),
            fee,
            plan: a.snap.plan,
            cycle: a.snap.cycle,
        }))
    })
    .await
}

/// `POST /billing/subscription`: the plan starts now, in a new cycle with its full
/// allowance, and its fee is charged less the unused part of the fee paid for the cycle it
/// replaces (SEMANTICS 16).
pub(crate) async fn subscribe(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(body, _): JsonBody<SubscribeBody>,
) -> R<Done<Subscription>> {
    c.require_session()?;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        let t = crate::engine::calendar::Instant(chrono::SubsecRound::trunc_subsecs(now().0, 0));
        let plan = crate::server::books::plans::at(db, &body.plan_id, t)?.ok_or_else(|| {
            Failure::new(
                ServerCode::UnknownPlan,
                Some("planId"),
                format!("no plan `{}`", body.plan_id),
            )
        })?;
        let mut a = load(db, &c.account, true)?;
        // Cycles run in whole seconds: a fraction would be lost at the first renewal.
        let credit = fees::unused_part(db, &a, t)?;
        let end = crate::engine::calendar::add_months(t, 1, a.snap.time_zone).unwrap_or(t);
        a.snap.cycle = Some(crate::engine::model::Cycle {
            start: t,
            end,
            anchor: None,
        });
        a.snap.included_seconds_remaining = Some(amount::Seconds(plan.included_seconds()));
        a.snap.plan = Some(plan.clone());
        let e = accounts::Entry {
            at: t,
            kind: "plan_change",
            reference: Some(&plan.id),
            grant_id: None,
            credits: Decimal::ZERO,
            moved: Decimal::ZERO,
            detail: json!({ "plan": plan }),
        };
        accounts::entry(db, &mut a, t, e)?;
        crate::server::books::steps::checkpoint(db, &a, t, true)?;
        let fee = fees::start(db, provider.as_ref(), &mut a, credit, t)?;
        accounts::save(db, &a)?;
        Ok(Done::ok(Subscription {
            status: fees::Fee::subscription_status(fee.as_ref()),
            fee,
            plan: a.snap.plan,
            cycle: a.snap.cycle,
            included_seconds_remaining: None,
        }))
    })
    .await
}

/// Seed 000 "List invoices (PDF links)": every invoice and credit note as issued, each with
/// its `pdf` link.
#[derive(Serialize)]
pub(crate) struct Invoices {
    invoices: Vec<Listed>,
}

pub(crate) async fn invoices(State(st): State<Shared>, c: Caller) -> R<Done<Invoices>> {
    c.require(READ)?;
    read(&st, move |db| {
        let invoices = crate::server::books::invoices::list(db, &c.account)?;
        Ok(Done::ok(Invoices { invoices }))
    })
    .await
}

/// `GET /billing/invoices/{id}/pdf`: the document rendered (`invoice_pdf`).
pub(crate) async fn invoice_pdf(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    c: Caller,
) -> R<axum::response::Response> {
    use axum::response::IntoResponse;
    c.require(READ)?;
    let doc = read(&st, move |db| {
        crate::server::books::invoices::get(db, &c.account, &id)
    })
    .await?;
    let disposition = format!("inline; filename=\"{}.pdf\"", doc.number);
    let headers = [
        (
            axum::http::header::CONTENT_TYPE,
            "application/pdf".to_string(),
        ),
        (axum::http::header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, crate::server::books::invoice_pdf::render(&doc)).into_response())
}

/// `GET /billing/ledger`: a page of the account's ledger entries after `after`.
#[derive(Serialize)]
pub(crate) struct LedgerPage {
    entries: Vec<LedgerEntry>,
    next: Option<i64>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct LedgerEntry {
    seq: Option<i64>,
    at: Option<String>,
    recorded_at: Option<String>,
    kind: Option<String>,
    reference: Option<String>,
    grant_id: Option<String>,
    credits: Option<String>,
    balance_before: Option<String>,
    balance_after: Option<String>,
    detail: Option<Value>,
}

pub(crate) async fn ledger(
    State(st): State<Shared>,
    Query(p): Query<Page>,
    c: Caller,
) -> R<Done<LedgerPage>> {
    c.require(READ)?;
    let limit = p.limit.unwrap_or(100).clamp(1, 1000);
    read(&st, move |db| {
        let rows = store(db.query(
            "SELECT seq, at, recorded_at, kind, reference, grant_id, credits, balance_before, balance_after, detail \
             FROM ledger WHERE account_id = $1 AND seq > $2 ORDER BY seq LIMIT $3",
            &[c.account.as_str().into(), p.after.unwrap_or(0).into(), limit.into()],
        ))?;
        let text = |v: &crate::server::storage::sql::Val| v.text().map(str::to_string);
        let mut entries = Vec::with_capacity(rows.len());
        for r in &rows {
            entries.push(LedgerEntry {
                seq: r[0].int(),
                at: text(&r[1]),
                recorded_at: text(&r[2]),
                kind: text(&r[3]),
                reference: text(&r[4]),
                grant_id: text(&r[5]),
                credits: text(&r[6]),
                balance_before: text(&r[7]),
                balance_after: text(&r[8]),
                detail: r[9].json("ledger detail")?,
            });
        }
        let next = entries.last().and_then(|e| e.seq);
        Ok(Done::ok(LedgerPage { entries, next }))
    })
    .await
}

/// `GET /billing/payments/{id}`: one payment of the account and where it stands, so a page
/// that started a top-up learns when the provider has confirmed it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Payment {
    id: Option<String>,
    purpose: Option<String>,
    status: Option<String>,
    amount: Option<String>,
    gross: Option<String>,
    credits: Option<String>,
    currency: Option<String>,
    created_at: Option<String>,
    settled_at: Option<String>,
}

pub(crate) async fn payment(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    c: Caller,
) -> R<Done<Payment>> {
    c.require(READ)?;
    read(&st, move |db| {
        let rows = store(db.query(
            "SELECT id, purpose, status, amount, gross, credits, currency, created_at, settled_at, refunded_at \
             FROM payments WHERE id = $1 AND account_id = $2",
            &[id.as_str().into(), c.account.as_str().into()],
        ))?;
        let Some(r) = rows.first() else {
            return Err(Failure::new(ServerCode::PaymentNotFound, None, format!("no payment {id}")));
        };
        let text = |i: usize| r[i].text().map(str::to_string);
        let status = if r[9].text().is_some() { Some("refunded".into()) } else { text(2) };
        Ok(Done::ok(Payment {
            id: text(0),
            purpose: text(1),
            status,
            amount: text(3),
            gross: text(4).or(text(3)),
            credits: text(5),
            currency: text(6),
            created_at: text(7),
            settled_at: text(8),
        }))
    })
    .await
}
