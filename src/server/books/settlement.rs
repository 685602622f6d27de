//! What the payment provider's word does to a pending payment (`POST /payments/{id}/settle`
//! and `/fail`, where a real provider's webhook lands): a top-up's or reload's credits land
//! (`payments`), a plan fee is invoiced and the allowances it held back return (`fees`), and
//! a failed payment lands nothing.

use super::accounts::{load, save};
use super::expiries::book_expiries;
use super::payments::{self, mark_settled, payment_row, PaymentState};
use super::provider::PaymentProvider;
use crate::engine::calendar::Instant;
use crate::server::outcome::{store, Done, Failure, ServerCode, R};
use crate::server::storage::memo::Db;

/// The provider confirmed payment `id`. Settling twice answers the same; a plan fee that
/// failed may still be paid (the customer's next card), a failed top-up or reload may not.
pub fn settle(
    db: &mut dyn Db,
    provider: &dyn PaymentProvider,
    id: &str,
    now: Instant,
) -> R<Done<PaymentState>> {
    let row = &payment_row(db, id, "account_id, purpose, status")?;
    let fee = row[1].text() == Some("plan_fee");
    match row[2].text() {
        Some("cancelled") => {
            return Err(Failure::new(
                ServerCode::PaymentCancelled,
                None,
                "this plan fee was cancelled when the plan changed; it can no longer settle",
            ))
        }
        Some("failed") if !fee => {
            return Err(Failure::new(
                ServerCode::PaymentNotPending,
                None,
                "this payment failed; start a new one",
            ))
        }
        Some("settled") => return Ok(Done::ok(PaymentState::new(id, "settled"))),
        _ if !fee => return payments::settle_payment(db, provider, id, now),
        _ => {}
    }
    let mut a = load(db, row[0].text().unwrap_or_default(), true)?;
    book_expiries(db, &mut a, now)?;
    super::fees::settled(db, provider, &mut a, id, now)?;
    mark_settled(db, id, now)?;
    save(db, &a)?;
    Ok(Done::ok(PaymentState::new(id, "settled")))
}

/// The provider reports pending payment `id` failed (a declined card): nothing lands; a
/// reload's pending grant is dropped, so the next reload can be tried; a plan fee leaves the
/// subscription `past_due`, its allowances still held back.
pub fn fail(db: &mut dyn Db, id: &str, now: Instant) -> R<Done<PaymentState>> {
    let row = &payment_row(db, id, "account_id, purpose, status, grant_id")?;
    match row[2].text() {
        Some("failed") => return Ok(Done::ok(PaymentState::new(id, "failed"))),
        Some("pending") => {}
        _ => {
            return Err(Failure::new(
                ServerCode::PaymentNotPending,
                None,
                "only a pending payment can fail",
            ))
        }
    }
    let mut a = load(db, row[0].text().unwrap_or_default(), true)?;
    match row[1].text() {
        Some("plan_fee") => super::fees::failed(db, &mut a, id, now)?,
        Some("reload") => {
            let grant = row[3].text().unwrap_or_default();
            if a.snap
                .pending_reload
                .as_ref()
                .is_some_and(|g| g.id == grant)
            {
                a.snap.pending_reload = None;
            }
        }
        _ => {}
    }
    store(db.exec(
        "UPDATE payments SET status = 'failed' WHERE id = $1",
        &[id.into()],
    ))?;
    save(db, &a)?;
    Ok(Done::ok(PaymentState::new(id, "failed")))
}
