//! Grant expiries (SEMANTICS 14): each expired grant booked once, as a ledger entry, with
//! what later usage drew from it before the expiry was booked put back.

pub(crate) use super::accounts::booked_expiries;
use super::accounts::Acct;
use super::accounts::Entry;
use super::accounts::{enqueue, entry};
use crate::engine::calendar::Instant;
use crate::engine::model::{Grant, GrantType};
use crate::server::outcome::{store, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;

/// Grants past their expiry at the server's clock with credits left get one `expiry` entry
/// each, and a `grant.expired` webhook. Booked against `now`, never an event's instant: a far-future event must not expire
/// grants (SEMANTICS 14), and the wallet (the balance at `now`) then equals the ledger's sum.
pub fn book_expiries(db: &mut dyn Db, a: &mut Acct, now: Instant) -> R<Vec<String>> {
    if due(a, now).is_empty() {
        return Ok(vec![]);
    }
    let booked = booked_expiries(db, &a.id)?;
    book_due(db, a, now, &booked)
}

/// Grants past their expiry at `now` with credits left.
pub(crate) fn due(a: &Acct, now: Instant) -> Vec<Grant> {
    a.snap
        .grants
        .iter()
        .filter(|g| g.kind != GrantType::Plan && g.remaining > Decimal::ZERO)
        .filter(|g| g.expires_at.is_some_and(|x| x <= now))
        .cloned()
        .collect()
}

/// Book the due expiries not in `booked` (the account's booked expiries, already read);
/// answers the grants it booked.
pub(crate) fn book_due(
    db: &mut dyn Db,
    a: &mut Acct,
    now: Instant,
    booked: &BTreeSet<String>,
) -> R<Vec<String>> {
    let mut now_booked = vec![];
    for g in due(a, now).into_iter().filter(|g| !booked.contains(&g.id)) {
        let x = g.expires_at.unwrap_or(now);
        entry(
            db,
            a,
            now,
            Entry {
                at: x,
                kind: "expiry",
                reference: None,
                grant_id: Some(&g.id),
                credits: -g.remaining,
                moved: -g.remaining,
                detail: Value::Null,
            },
        )?;
        store(db.exec(
            "INSERT INTO grant_expiries (account_id, grant_id) VALUES ($1, $2)",
            &[a.id.as_str().into(), g.id.as_str().into()],
        ))?;
        db.memo().book_expiry(&a.id, &g.id);
        let payload = json!({ "type": "grant.expired", "accountId": a.id, "grantId": g.id,
            "at": x, "credits": g.remaining.to_string() });
        enqueue(db, a, "grant.expired", &payload, now)?;
        now_booked.push(g.id);
    }
    Ok(now_booked)
}

/// What usage took from grants whose expiry is already booked: late usage, dated while the
/// grant was still active, rightly draws it (SEMANTICS 5), so the booked expiry was too large.
/// A re-draw (SEMANTICS 15) may also leave such a grant more than before: then negative.
pub(crate) fn drawn_from(
    before: &[Grant],
    after: &[Grant],
    expired: &BTreeSet<String>,
) -> Vec<(String, Decimal)> {
    before
        .iter()
        .filter(|g| expired.contains(&g.id))
        .filter_map(|g| {
            let now = after.iter().find(|h| h.id == g.id)?.remaining;
            (now != g.remaining).then(|| (g.id.clone(), g.remaining - now))
        })
        .collect()
}

/// An `expiry_reversal` entry gives back what late usage drew from an expired grant: the
/// usage entry counted it, the expiry had already written it off, and the wallet (which no
/// longer counts the grant) did not move, so the ledger's credits and balances still end at
/// the wallet.
pub(crate) fn reverse_expiry(
    db: &mut dyn Db,
    a: &mut Acct,
    grant: &str,
    credits: Decimal,
    (usage_id, at): (&str, Instant),
    now: Instant,
) -> R<()> {
    entry(
        db,
        a,
        now,
        Entry {
            at,
            kind: "expiry_reversal",
            reference: Some(usage_id),
            grant_id: Some(grant),
            credits,
            moved: credits,
            detail: json!({ "reason": "usage dated before the grant expired" }),
        },
    )?;
    Ok(())
}
