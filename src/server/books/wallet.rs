//! The wallet (seed 000): balance, the engine's inputs, credits, top-ups, auto-reload and the
//! webhook settings.

use super::accounts;
use super::accounts::Acct;
use crate::engine::amount::{self, dec};
use crate::engine::calendar::Instant;
use crate::engine::model::GrantType;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};

pub(crate) fn wallet_json(a: &Acct, t: Instant) -> Value {
    let bal = accounts::balance(a, t);
    let money = a
        .card
        .to_money(bal, "balance")
        .map(|m| m.to_string())
        .unwrap_or_default();
    // SEMANTICS 11: live calls' holds are not deducted; `available` is what is left to start
    // new calls with.
    let held = crate::engine::pools::held_credits(&a.snap.holds, t);
    json!({
        "accountId": a.id,
        "asOf": t,
        "currency": a.card.currency.code,
        "balance": bal.to_string(),
        "held": held.to_string(),
        "available": (bal - held).to_string(),
        "balanceMoney": { "amount": money, "currency": a.card.currency.code },
        "owed": a.snap.owed.unwrap_or_default().to_string(),
        "planCredits": crate::engine::pools::plan_credits(&a.snap.grants, t).to_string(),
        "includedSecondsRemaining": a.snap.included_seconds(),
        "grants": a.snap.grants,
        "autoReload": a.snap.auto_reload,
        "pendingReload": a.snap.pending_reload,
        "alertState": a.snap.alerts.as_ref().and_then(|x| x.state),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct CreditBody {
    #[serde(default, with = "amount::opt_dec")]
    pub(crate) credits: Option<Decimal>,
    /// Money in the account currency, converted at `creditsPerUnit`.
    #[serde(default, with = "amount::opt_dec")]
    pub(crate) amount: Option<Decimal>,
    #[serde(default, rename = "type")]
    pub(crate) kind: Option<GrantType>,
    #[serde(default)]
    pub(crate) priority: Option<i64>,
    #[serde(default)]
    pub(crate) expires_at: Option<Instant>,
    #[serde(default)]
    pub(crate) reason: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct TopUpBody {
    #[serde(with = "dec", alias = "amountUsd")]
    pub(crate) amount: Decimal,
}

// ---- webhook settings (dashboard session) ---------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct WebhookBody {
    /// Where balance alerts go; `null` stops deliveries (events wait in the outbox).
    pub(crate) url: Option<String>,
}

pub(crate) fn webhook_json(db: &mut dyn Db, account: &str) -> R<Value> {
    let rows = store(db.query(
        "SELECT webhook_url FROM accounts WHERE id = $1",
        &[account.into()],
    ))?;
    let row = rows
        .first()
        .ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))?;
    Ok(json!({ "url": row[0].text() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AlertsBody {
    #[serde(default)]
    pub(crate) info: Option<crate::engine::model::AlertLevel>,
    #[serde(default)]
    pub(crate) warning: Option<crate::engine::model::AlertLevel>,
    #[serde(default)]
    pub(crate) critical: Option<crate::engine::model::AlertLevel>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct AgentBody {
    #[serde(default, with = "crate::engine::amount::opt_dec")]
    pub(crate) monthly_limit: Option<Decimal>,
    #[serde(default)]
    pub(crate) on_plan_exhausted: crate::engine::model::OnPlanExhausted,
}

/// The longest agent id accepted (bytes).
pub(crate) const MAX_AGENT_ID: usize = 128;
