//! The wallet (seed 000): balance, the engine's inputs, credits, top-ups, auto-reload and the
//! webhook settings.

use super::accounts;
use super::accounts::Acct;
use crate::engine::alerts::AlertState;
use crate::engine::amount::{self, dec};
use crate::engine::calendar::Instant;
use crate::engine::model::{AutoReload, Grant, GrantType};
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// `GET /billing/wallet`: the balance and what stands behind it, at `as_of`.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Wallet {
    account_id: String,
    as_of: Instant,
    currency: String,
    balance: String,
    held: String,
    available: String,
    balance_money: Money,
    owed: String,
    plan_credits: String,
    included_seconds_remaining: u64,
    grants: Vec<Grant>,
    auto_reload: Option<AutoReload>,
    pending_reload: Option<Grant>,
    alert_state: Option<AlertState>,
}

/// An amount of money and its currency, as the answers give it.
#[derive(Serialize)]
pub(crate) struct Money {
    pub(crate) amount: String,
    pub(crate) currency: String,
}

pub(crate) fn wallet(a: &Acct, t: Instant) -> R<Wallet> {
    let bal = accounts::balance(a, t);
    let money = a.card.to_money(bal, "balance").map_err(Failure::invalid)?;
    // SEMANTICS 11: live calls' holds are not deducted; `available` is what is left to start
    // new calls with.
    let held = crate::engine::pools::held_credits(&a.snap.holds, t);
    let currency = a.card.currency.code.to_string();
    Ok(Wallet {
        account_id: a.id.clone(),
        as_of: t,
        balance: bal.to_string(),
        held: held.to_string(),
        available: (bal - held).to_string(),
        balance_money: Money {
            amount: money.to_string(),
            currency: currency.clone(),
        },
        currency,
        owed: a.snap.owed.unwrap_or_default().to_string(),
        plan_credits: crate::engine::pools::plan_credits(&a.snap.grants, t).to_string(),
        included_seconds_remaining: a.snap.included_seconds(),
        grants: a.snap.grants.clone(),
        auto_reload: a.snap.auto_reload.clone(),
        pending_reload: a.snap.pending_reload.clone(),
        alert_state: a.snap.alerts.as_ref().and_then(|x| x.state),
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

/// `GET /billing/webhook`: where events go; the signing secret only when it was just made.
#[derive(Serialize)]
pub(crate) struct WebhookSettings {
    url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret: Option<String>,
}

pub(crate) fn webhook_settings(db: &mut dyn Db, account: &str) -> R<WebhookSettings> {
    let rows = store(db.query(
        "SELECT webhook_url FROM accounts WHERE id = $1",
        &[account.into()],
    ))?;
    let row = rows
        .first()
        .ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))?;
    Ok(WebhookSettings {
        url: row[0].text().map(str::to_string),
        secret: None,
    })
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
