//! The one way a charged item is booked, whichever route brought it (`POST /usage`, a
//! call's end, an edge's report of ends under its lease): its ledger entry, its id as
//! recorded, any expiry it reverses, its lines and day totals, the reloads it set off and
//! the alerts it crossed, each alert at its own instant (the charge's).

use super::accounts::{booked, enqueue, entry, Acct, Entry};
use super::expiries::reverse_expiry;
use super::payments::payment;
use super::provider::PaymentProvider;
use crate::engine::calendar::Instant;
use crate::engine::drawdown::{AlertEvent, Item};
use crate::engine::reload::ReloadEvent;
use crate::server::outcome::{store, R};
use crate::server::storage::memo::Db;
use crate::server::storage::rollup;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// A charged item as the engine drew it down.
pub struct Charge<'a> {
    /// The usage or call id the charge is recorded under (each is recorded once).
    pub id: &'a str,
    pub agent: Option<&'a str>,
    pub at: Instant,
    pub items: &'a [Item],
    /// `accounts::booked` of the snapshot before the charge (the account now holds the
    /// snapshot after it).
    pub booked_before: Decimal,
    /// What the account owes after it.
    pub owed: Decimal,
    pub reloads: &'a [ReloadEvent],
    pub alerts: &'a [AlertEvent],
    /// Credits drawn from grants whose expiry was booked before this charge, dated earlier,
    /// arrived (each expiry reversed by that much).
    pub drawn_after_expiry: &'a [(String, Decimal)],
    /// A live call's bill (marked in the entry's detail).
    pub call: bool,
}

/// Book `c` on `a`; the day totals go into `days` (the caller writes them once). Answers
/// the payments of the reloads it set off.
pub fn book(
    db: &mut dyn Db,
    a: &mut Acct,
    c: &Charge,
    provider: &dyn PaymentProvider,
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
    now: Instant,
) -> R<Vec<Value>> {
    let charged: Decimal = c
        .items
        .iter()
        .flat_map(|i| &i.lines)
        .map(|l| l.line.credits)
        .sum();
    let mut detail = json!({ "items": c.items, "owed": c.owed.to_string() });
    if c.call {
        detail["call"] = json!(true);
    }
    // Reloads the charge set off that landed at once are entries of their own.
    let reloaded: Decimal = c.reloads.iter().map(|r| r.credits).sum();
    let reloaded = if provider.settles_at_once() {
        reloaded
    } else {
        Decimal::ZERO
    };
    let e = Entry {
        at: c.at,
        kind: "usage",
        reference: Some(c.id),
        grant_id: None,
        credits: -charged,
        moved: booked(&a.snap) - c.booked_before - reloaded,
        detail,
    };
    let (seq, _, _) = entry(db, a, now, e)?;
    record_id(db, a, c.id, seq)?;
    for (grant, credits) in c.drawn_after_expiry {
        reverse_expiry(db, a, grant, *credits, (c.id, c.at), now)?;
    }
    book_items(db, a, (c.id, c.agent), c.items, (days, touched))?;
    let payments = book_reloads(db, provider, a, c.reloads, now)?;
    // A renewal this charge crossed owes its plan fee (SEMANTICS 16).
    super::fees::charge_due(db, provider, a, now)?;
    for al in c.alerts {
        let payload = json!({
            "type": "balance.alert", "accountId": a.id, "at": al.at,
            "from": al.from, "to": al.to, "balance": al.balance.to_string(),
        });
        enqueue(db, a, "balance.alert", &payload, now)?;
    }
    Ok(payments)
}

/// A charged usage's id, recorded once, under its ledger entry `seq`.
pub fn record_id(db: &mut dyn Db, a: &Acct, id: &str, seq: i64) -> R<()> {
    store(db.exec(
        "INSERT INTO usage_ids (account_id, usage_id, seq) VALUES ($1, $2, $3)",
        &[a.id.as_str().into(), id.into(), seq.into()],
    ))?;
    db.memo().record_id(&a.id, id);
    Ok(())
}

/// A usage event's items' lines (`book_lines`, numbered across its items).
pub fn book_items(
    db: &mut dyn Db,
    a: &Acct,
    (id, agent): (&str, Option<&str>),
    items: &[Item],
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
) -> R<()> {
    let mut n = 0i64;
    for item in items {
        let tz = a.snap.time_zone;
        book_lines(
            db,
            &a.id,
            (id, agent, &mut n),
            item,
            tz,
            (&mut *days, &mut *touched),
        )?;
    }
    Ok(())
}

/// A usage item's lines in `usage_lines` (numbered on from `n`, across the items of one
/// usage event) and the day-by-day totals (`days`, `touched`).
pub fn book_lines(
    db: &mut dyn Db,
    account: &str,
    (usage_id, agent, n): (&str, Option<&str>, &mut i64),
    item: &crate::engine::drawdown::Item,
    tz: crate::engine::calendar::Zone,
    (days, touched): (&mut rollup::Days, &mut BTreeSet<rollup::Key>),
) -> R<()> {
    let day = item.at.local(tz).date().to_string();
    for l in &item.lines {
        *n += 1;
        store(db.exec(
            "INSERT INTO usage_lines (account_id, usage_id, line, at, day, agent_id, channel, code, quantity, unit, credits) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
            &[
                account.into(),
                usage_id.into(),
                (*n).into(),
                item.at.to_string().into(),
                day.as_str().into(),
                agent.into(),
                l.line.channel.into(),
                l.line.code.into(),
                l.line.quantity.to_string().into(),
                l.line.unit.to_string().into(),
                l.line.credits.to_string().into(),
            ],
        ))?;
        let key = (
            day.clone(),
            l.line.channel.to_string(),
            l.line.code.to_string(),
            l.line.unit.to_string(),
        );
        rollup::add(days, key.clone(), l.line.quantity, l.line.credits);
        touched.insert(key);
    }
    Ok(())
}

/// The payments of auto-reloads a drawdown triggered, and the ledger entry of each that
/// settled at once; answers the payments as `POST /usage` reports them.
pub fn book_reloads(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    a: &mut Acct,
    reloads: &[crate::engine::reload::ReloadEvent],
    now: Instant,
) -> R<Vec<Value>> {
    let mut payments = vec![];
    for r in reloads {
        let status = if provider.settles_at_once() {
            "settled"
        } else {
            "pending"
        };
        let (pay, quote) = payment(
            db, provider, a, "reload", r.amount, r.credits, &r.id, status, now,
        )?;
        let gross = quote.as_ref().map_or(r.amount, |q| q.gross);
        payments.push(json!({ "id": pay, "grantId": r.id, "status": status,
                              "amount": r.amount.to_string(), "gross": gross.to_string() }));
        if provider.settles_at_once() {
            let step = crate::engine::redraw::Step::Reload(r.clone());
            super::steps::append(db, a, r.at, &step, None)?;
            entry(
                db,
                a,
                now,
                Entry {
                    at: r.at,
                    kind: "reload",
                    reference: Some(&pay),
                    grant_id: Some(&r.id),
                    credits: r.credits,
                    moved: r.credits,
                    detail: json!({ "multiple": r.multiple, "settledOwed": r.settled_owed.to_string(), "amount": r.amount.to_string() }),
                },
            )?;
        }
    }
    Ok(payments)
}
