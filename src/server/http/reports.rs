//! The HTTP handlers of `books::reports`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::amount;
use crate::server::books::accounts;
use crate::server::books::accounts::load;
use crate::server::books::auth::{Caller, READ};
use crate::server::books::reports::*;
use crate::server::clock::now;
use crate::server::http::extract::{JsonBody, Query};
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, R};
use axum::extract::State;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeMap;

pub(crate) async fn usage_items(
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

pub(crate) async fn usage_summary(
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

pub(crate) async fn plans(c: Caller) -> R<Done> {
    c.require(READ)?;
    Ok(Done::ok(json!({ "plans": catalogue() })))
}

pub(crate) async fn subscription(State(st): State<Shared>, c: Caller) -> R<Done> {
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

pub(crate) async fn subscribe(
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
                    ServerCode::UnknownPlan,
                    Some("planId"),
                    format!("no plan `{}`", body.plan_id),
                )
            })?;
        let mut a = load(db, &c.account, true)?;
        let t = now();
        // A new plan starts a new cycle now, with its full allowance.
        let end = crate::engine::calendar::add_months(t, 1, a.snap.time_zone).unwrap_or(t);
        a.snap.cycle = Some(crate::engine::model::Cycle {
            start: t,
            end,
            anchor: None,
        });
        a.snap.included_seconds_remaining = Some(amount::Seconds(plan.included_seconds()));
        a.snap.plan = Some(plan.clone());
        let bal = accounts::balance(&a, t);
        accounts::entry(
            db,
            &mut a,
            t,
            accounts::Entry {
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
        accounts::save(db, &a)?;
        Ok(Done::ok(
            json!({ "plan": a.snap.plan, "cycle": a.snap.cycle }),
        ))
    })
    .await
}

/// Seed 000 "List invoices (PDF links)": every invoice and credit note as issued, each with
/// its `pdf` link.
pub(crate) async fn invoices(State(st): State<Shared>, c: Caller) -> R<Done> {
    c.require(READ)?;
    read(&st, move |db| {
        let list = crate::server::books::invoices::list(db, &c.account)?;
        Ok(Done::ok(json!({ "invoices": list })))
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
        let doc = crate::server::books::invoices::get(db, &c.account, &id)?;
        Ok(Done::ok(serde_json::to_value(doc).unwrap_or_default()))
    })
    .await?;
    let doc: crate::server::books::invoices::Document =
        serde_json::from_value(doc.body).map_err(|e| Failure::internal(e.to_string()))?;
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

pub(crate) async fn ledger(State(st): State<Shared>, Query(p): Query<Page>, c: Caller) -> R<Done> {
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
pub(crate) async fn payment(
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
            return Err(Failure::new(ServerCode::PaymentNotFound, None, format!("no payment {id}")));
        };
        let status = if r[9].text().is_some() { Some("refunded") } else { r[2].text() };
        Ok(Done::ok(json!({ "id": r[0].text(), "purpose": r[1].text(), "status": status,
            "amount": r[3].text(), "gross": r[4].text().or(r[3].text()), "credits": r[5].text(),
            "currency": r[6].text(), "createdAt": r[7].text(), "settledAt": r[8].text() })))
    })
    .await
}
