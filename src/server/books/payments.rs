//! Payments: top-ups and auto-reloads through the provider, their quotes and invoices, and
//! settling and refunding them (seed 000, SEMANTICS 13).

use super::accounts::balance;
use super::accounts::entry;
use super::accounts::load;
use super::accounts::save;
use super::accounts::Acct;
use super::accounts::Entry;
use super::expiries::book_expiries;
use super::invoices;
use super::provider::PaymentProvider;
use crate::engine::calendar::Instant;
use crate::engine::model::Grant;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, R};
use crate::server::storage::memo::Db;
use crate::server::storage::sql::Row;
use crate::tax::TopUpQuote;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::json;

/// A payment row for `amount` net, charged gross of the VAT its quote adds (SEMANTICS 13),
/// and its invoice once settled. Returns the payment id and the quote.
#[allow(clippy::too_many_arguments)]
pub fn payment(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    purpose: &str,
    amount: Decimal,
    credits: Decimal,
    grant_id: &str,
    status: &str,
    now: Instant,
) -> R<(String, Option<TopUpQuote>)> {
    // One read of the billing profile serves the quote and the invoice.
    let profile = super::profile::load(db, &a.id)?;
    let quote = provider
        .seller()
        .map(|s| invoices::quote_for(s, &profile, a, amount, now))
        .transpose()?;
    let gross = quote.as_ref().map_or(amount, |q| q.gross);
    let quote_json = quote
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| Failure::internal(e.to_string()))?;
    let id = record(
        db,
        provider,
        a,
        (purpose, amount, gross, credits),
        (grant_id, status, quote_json),
        now,
    )?;
    if status == "settled" {
        invoices::issue(
            db,
            provider.seller(),
            &profile,
            a,
            &id,
            amount,
            credits,
            quote.as_ref(),
            now,
        )?;
    }
    Ok((id, quote))
}

/// A payment's row: `purpose` (`topup`, `reload`, `plan_fee`), its net `amount`, the `gross`
/// charged and the `credits` it buys; the grant it lands as (a plan fee: the plan), its
/// status and tax quote. Answers its id.
pub fn record(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    (purpose, amount, gross, credits): (&str, Decimal, Decimal, Decimal),
    (grant_id, status, quote): (&str, &str, Option<String>),
    now: Instant,
) -> R<String> {
    let n = a.next_id();
    let id = format!("pay_{}_{n}", a.id);
    let secret = provider.client_secret(&id)?;
    store(db.exec(
        "INSERT INTO payments (id, account_id, purpose, amount, currency, credits, status, grant_id, client_secret, created_at, settled_at, gross, quote) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
        &[
            id.as_str().into(),
            a.id.as_str().into(),
            purpose.into(),
            amount.to_string().into(),
            a.card.currency.code.as_str().into(),
            credits.to_string().into(),
            status.into(),
            grant_id.into(),
            secret.into(),
            now.to_string().into(),
            (status == "settled").then(|| now.to_string()).into(),
            gross.to_string().into(),
            quote.into(),
        ],
    ))?;
    Ok(id)
}

/// Credits landing in the wallet (manual credit, settled top-up or reload): they pay what
/// is owed first (SEMANTICS 5.3). One ledger entry.
pub fn land(
    db: &mut dyn Db,
    a: &mut Acct,
    grant: Grant,
    kind: &str,
    reference: Option<&str>,
    now: Instant,
) -> R<Landed> {
    let t = grant.effective_at.unwrap_or(now);
    let before = balance(a, t);
    let credits = grant.remaining;
    check_bounds(a, credits)?;
    let id = grant.id.clone();
    let step = crate::engine::redraw::Step::Land(grant.clone());
    let settled = crate::engine::ledger::land(&mut a.snap, grant).map_err(Failure::invalid)?;
    super::steps::append(db, a, t, &step, None)?;
    let after = balance(a, t);
    entry(
        db,
        a,
        now,
        Entry {
            at: t,
            kind,
            reference,
            grant_id: Some(&id),
            credits,
            moved: credits,
            detail: json!({ "settledOwed": settled.to_string() }),
        },
    )?;
    Ok(Landed {
        grant_id: id,
        credits: Some(credits.to_string()),
        settled_owed: Some(settled.to_string()),
        balance_before: Some(before.to_string()),
        balance_after: after.to_string(),
    })
}

/// Credits that landed: the grant, and the balance after (a reload's settlement answers
/// only those two).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Landed {
    grant_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    credits: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    settled_owed: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_before: Option<String>,
    balance_after: String,
}

/// The answer to `POST /admin/payments/{id}/settle` and `.../refund`: where the payment
/// stands, what landed, or the credit note that refunds it.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PaymentState {
    id: String,
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    landed: Option<Landed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    credit_note: Option<invoices::Document>,
    #[serde(skip_serializing_if = "Option::is_none")]
    balance_after: Option<String>,
}

impl PaymentState {
    pub(crate) fn new(id: &str, status: &'static str) -> PaymentState {
        PaymentState {
            id: id.to_string(),
            status,
            landed: None,
            credit_note: None,
            balance_after: None,
        }
    }
}

/// SEMANTICS 14: credits that would take a grant or the account's credits past the input
/// bounds (10^15) are refused, so nothing is stored that the engine could not read back.
pub fn check_bounds(a: &Acct, credits: Decimal) -> R<()> {
    let max = Decimal::from(crate::engine::amount::MAX_AMOUNT);
    let held: Decimal = a.snap.grants.iter().map(|g| g.remaining).sum();
    if credits > max || held + credits > max {
        return Err(Failure::new(
            ServerCode::AmountOutOfRange,
            Some("amount"),
            format!(
                "the account would hold {} credits; the bound is 10^15",
                held + credits
            ),
        ));
    }
    Ok(())
}

/// The `columns` of payment `id`, or `payment_not_found`.
pub(crate) fn payment_row(db: &mut dyn Db, id: &str, columns: &str) -> R<Row> {
    let sql = format!("SELECT {columns} FROM payments WHERE id = $1");
    let rows = store(db.query(&sql, &[id.into()]))?;
    rows.into_iter()
        .next()
        .ok_or_else(|| Failure::new(ServerCode::PaymentNotFound, None, "no such payment"))
}

/// Settle a pending payment (the provider confirmed it): its credits land.
pub fn settle_payment(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    id: &str,
    now: Instant,
) -> R<Done<PaymentState>> {
    let row = &payment_row(
        db,
        id,
        "account_id, purpose, amount, credits, status, grant_id, quote",
    )?;
    let account = row[0].text().unwrap_or("").to_string();
    let amount = row[2].decimal("payment amount")?;
    let credits = row[3].decimal("payment credits")?;
    if row[4].text() == Some("settled") {
        return Ok(Done::ok(PaymentState::new(id, "settled")));
    }
    let mut a = load(db, &account, true)?;
    book_expiries(db, &mut a, now)?;
    let landed = if row[1].text() == Some("reload") {
        let (g, settled) =
            crate::engine::ledger::settle_reload(&mut a.snap).map_err(Failure::invalid)?;
        let mut whole = g.clone();
        whole.remaining += settled;
        super::steps::append(
            db,
            &mut a,
            now,
            &crate::engine::redraw::Step::Land(whole),
            None,
        )?;
        let after = balance(&a, now);
        entry(
            db,
            &mut a,
            now,
            Entry {
                at: now,
                kind: "reload",
                reference: Some(id),
                grant_id: Some(&g.id),
                credits,
                moved: credits,
                detail: json!({ "settledOwed": settled.to_string() }),
            },
        )?;
        Landed {
            grant_id: g.id,
            credits: None,
            settled_owed: None,
            balance_before: None,
            balance_after: after.to_string(),
        }
    } else {
        let grant = Grant::prepaid(row[5].text().unwrap_or("").to_string(), credits, now);
        land(db, &mut a, grant, "topup", Some(id), now)?
    };
    mark_settled(db, id, now)?;
    let quote: Option<TopUpQuote> = row[6].json("tax quote")?;
    let profile = super::profile::load(db, &a.id)?;
    invoices::issue(
        db,
        provider.seller(),
        &profile,
        &a,
        id,
        amount,
        credits,
        quote.as_ref(),
        now,
    )?;
    save(db, &a)?;
    Ok(Done::ok(PaymentState {
        landed: Some(landed),
        ..PaymentState::new(id, "settled")
    }))
}

pub(crate) fn mark_settled(db: &mut dyn Db, id: &str, now: Instant) -> R<()> {
    store(db.exec(
        "UPDATE payments SET status = 'settled', settled_at = $1 WHERE id = $2",
        &[now.to_string().into(), id.into()],
    ))?;
    Ok(())
}

/// Refund a settled payment whose credits are all still unspent: the credits leave the wallet
/// (one `refund` entry) and a credit note that refers to the invoice is issued. A repeated
/// refund answers the same credit note.
pub fn refund_payment(db: &mut dyn Db, id: &str, now: Instant) -> R<Done<PaymentState>> {
    let row = &payment_row(db, id, "account_id, credits, status, grant_id, refunded_at")?;
    let conflict = |code: ServerCode, msg: &str| Err(Failure::new(code, None, msg.to_string()));
    if let (Some(_), Some(note)) = (row[4].text(), invoices::of_payment(db, id, "credit_note")?) {
        return Ok(Done::ok(PaymentState {
            credit_note: Some(note),
            ..PaymentState::new(id, "refunded")
        }));
    }
    if row[2].text() != Some("settled") {
        return conflict(
            ServerCode::PaymentNotSettled,
            "only a settled payment can be refunded",
        );
    }
    let Some(invoice) = invoices::of_payment(db, id, "invoice")? else {
        return conflict(
            ServerCode::NoInvoice,
            "this payment was settled before invoices were numbered; refund it by hand",
        );
    };
    let credits = row[1].decimal("payment credits")?;
    let grant_id = row[3].text().unwrap_or_default().to_string();
    let mut a = load(db, row[0].text().unwrap_or_default(), true)?;
    book_expiries(db, &mut a, now)?;
    let unspent = a
        .snap
        .grants
        .iter()
        .any(|g| g.id == grant_id && g.remaining == credits);
    if !unspent {
        return conflict(ServerCode::CreditsSpent, "some of the payment's credits are spent or expired; only an unspent top-up is refunded");
    }
    a.snap.grants.retain(|g| g.id != grant_id);
    super::steps::checkpoint(db, &a, now, true)?;
    let after = balance(&a, now);
    let e = Entry {
        at: now,
        kind: "refund",
        reference: Some(id),
        grant_id: Some(&grant_id),
        credits: -credits,
        moved: -credits,
        detail: json!({ "invoice": invoice.number }),
    };
    entry(db, &mut a, now, e)?;
    let note = invoices::credit_note(db, &a, &invoice, now)?;
    store(db.exec(
        "UPDATE payments SET refunded_at = $1 WHERE id = $2",
        &[now.to_string().into(), id.into()],
    ))?;
    save(db, &a)?;
    Ok(Done::ok(PaymentState {
        credit_note: Some(note),
        balance_after: Some(after.to_string()),
        ..PaymentState::new(id, "refunded")
    }))
}
