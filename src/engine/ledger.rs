//! The ledger's side of the drawdown (SEMANTICS 10): apply usage to an account snapshot and
//! get the next snapshot, so that a server can record usage one event at a time and still
//! land on exactly what `previewDrawdown` shows for the same usage in one go.
//! Pure functions over plain data, like the rest of the core; storage lives in the server.

use crate::engine::drawdown::{run, snapshot, Preview, PreviewInput};
use crate::engine::error::{Code, Error, Result};
use crate::engine::model::{Account, Grant};
use rust_decimal::Decimal;

/// The result of applying usage: what the preview shows, and the snapshot to continue from.
#[derive(Debug, Clone)]
pub struct Applied {
    pub preview: Preview,
    pub account: Account,
}

/// Apply `input.usage` to `input.account`. `settle_at_once`: auto-reloads land immediately
/// (as in a preview); otherwise the reload stays in `account.pendingReload` until
/// [`settle_reload`] lands it, and no second reload starts meanwhile.
pub fn apply(input: &PreviewInput, settle_at_once: bool) -> Result<Applied> {
    let (preview, st) = run(input, settle_at_once)?;
    let account = snapshot(&input.account, st);
    Ok(Applied { preview, account })
}

/// Credits that land (a top-up, a manual credit, a settled reload) pay what is owed first
/// (SEMANTICS 5.3); the rest becomes the grant. Returns the credits that settled the debt.
pub fn land(account: &mut Account, mut grant: Grant) -> Result<Decimal> {
    if account.grants.iter().any(|g| g.id == grant.id) {
        return Err(Error::at(
            Code::DuplicateId,
            "grant.id",
            format!("grant id `{}` is already in use", grant.id),
        ));
    }
    let mut owed = account.owed.unwrap_or_default();
    let settled = crate::engine::pools::settle_owed(&mut owed, &mut grant);
    account.owed = Some(owed);
    account.grants.push(grant);
    Ok(settled)
}

/// The pending auto-reload's payment settled: its credits land as the `prepaid` grant
/// that a preview would have added at once. Returns the grant as it landed and the credits
/// that settled what was owed.
pub fn settle_reload(account: &mut Account) -> Result<(Grant, Decimal)> {
    let Some(grant) = account.pending_reload.take() else {
        return Err(Error::at(
            Code::NoPendingReload,
            "pendingReload",
            "the account has no reload waiting for payment",
        ));
    };
    let mut landed = grant.clone();
    let settled = land(account, grant)?;
    landed.remaining -= settled;
    Ok((landed, settled))
}
