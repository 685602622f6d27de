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
    /// Days ahead of an expiry that leaves credits unused that `grant.expiring` goes out
    /// (SEMANTICS 15); left out, the account's setting stays; `[]` sends none.
    #[serde(default)]
    pub(crate) grant_expiring_days: Option<Vec<u32>>,
    /// Days of runway under which `balance.runway_low` goes out (1 to 731); left out, the
    /// account's setting stays.
    #[serde(default)]
    pub(crate) runway_low_days: Option<u32>,
}

/// `GET /billing/webhook`: where events go, the `grant.expiring` warnings, and the signing
/// secret only when it was just made.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct WebhookSettings {
    url: Option<String>,
    grant_expiring_days: Vec<u32>,
    runway_low_days: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) secret: Option<String>,
}

/// 1 to `MAX_EXPIRING_DAYS` days each, at most `MAX_EXPIRING_WARNINGS`, each once.
pub(crate) fn check_expiring_days(days: &[u32]) -> R<()> {
    use crate::server::books::due::{MAX_EXPIRING_DAYS, MAX_EXPIRING_WARNINGS};
    let invalid = |field: String, message: String| {
        Failure::engine(
            crate::server::outcome::Kind::Invalid,
            crate::engine::error::Code::InvalidValue,
            Some(&field),
            message,
        )
    };
    if days.len() > MAX_EXPIRING_WARNINGS {
        let m = format!("at most {MAX_EXPIRING_WARNINGS} warnings");
        return Err(invalid("grantExpiringDays".into(), m));
    }
    for (i, d) in days.iter().enumerate() {
        if *d == 0 || *d > MAX_EXPIRING_DAYS || days[..i].contains(d) {
            let m = format!("each warning is 1 to {MAX_EXPIRING_DAYS} days ahead, once");
            return Err(invalid(format!("grantExpiringDays[{i}]"), m));
        }
    }
    Ok(())
}

/// 1 to `MAX_RUNWAY_LOW_DAYS` days.
pub(crate) fn check_runway_low_days(days: u32) -> R<()> {
    use crate::server::books::due::MAX_RUNWAY_LOW_DAYS;
    if days == 0 || days > MAX_RUNWAY_LOW_DAYS {
        return Err(Failure::engine(
            crate::server::outcome::Kind::Invalid,
            crate::engine::error::Code::InvalidValue,
            Some("runwayLowDays"),
            format!("the runway warning is 1 to {MAX_RUNWAY_LOW_DAYS} days"),
        ));
    }
    Ok(())
}

/// Set the account's `balance.runway_low` threshold; the runway is forecast again at the
/// scheduler's next tick.
pub(crate) fn set_runway_low_days(db: &mut dyn Db, account: &str, days: u32) -> R<()> {
    store(db.exec(
        "UPDATE accounts SET runway_low_days = $1 WHERE id = $2",
        &[i64::from(days).into(), account.into()],
    ))?;
    let mut a = super::accounts::load(db, account, true)?;
    a.runway_low_days = days;
    a.runway_checked_ms = None;
    super::accounts::save(db, &a)
}

/// Set the account's `grant.expiring` warnings; its next due instant moves with them.
pub(crate) fn set_expiring_days(db: &mut dyn Db, account: &str, days: Vec<u32>) -> R<()> {
    let text = serde_json::to_string(&days).map_err(|e| Failure::internal(e.to_string()))?;
    store(db.exec(
        "UPDATE accounts SET expiring_days = $1 WHERE id = $2",
        &[text.into(), account.into()],
    ))?;
    let mut a = super::accounts::load(db, account, true)?;
    a.expiring_days = days;
    super::accounts::save(db, &a)
}

pub(crate) fn webhook_settings(db: &mut dyn Db, account: &str) -> R<WebhookSettings> {
    let rows = store(db.query(
        "SELECT webhook_url, expiring_days, runway_low_days FROM accounts WHERE id = $1",
        &[account.into()],
    ))?;
    let row = rows
        .first()
        .ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))?;
    Ok(WebhookSettings {
        url: row[0].text().map(str::to_string),
        grant_expiring_days: crate::server::books::due::expiring_days(row[1].text()),
        runway_low_days: row[2]
            .int()
            .and_then(|d| u32::try_from(d).ok())
            .unwrap_or(crate::server::books::due::DEFAULT_RUNWAY_LOW_DAYS),
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

/// A top-up amount the account takes: money of the card's currency, positive and within the
/// account's `limits` (`amount_out_of_range` names them). The quote route applies it too, so
/// the limits are known before anyone presses Pay.
pub(crate) fn check_top_up(a: &super::accounts::Acct, m: Decimal) -> R<()> {
    crate::engine::amount::check_money(m, a.card.minor(), &a.card.currency.code, "amount")
        .map_err(Failure::invalid)?;
    let limits = a.snap.limits.clone().unwrap_or_default();
    let (min, max) = (limits.min_top_up, limits.max_top_up);
    if m > Decimal::ZERO && min.is_none_or(|x| m >= x) && max.is_none_or(|x| m <= x) {
        return Ok(());
    }
    let money = |v: Option<Decimal>| v.map(|v| format!("{v} {}", a.card.currency.code));
    let range = match (money(min), money(max)) {
        (Some(lo), Some(hi)) => format!("from {lo} to {hi}"),
        (Some(lo), None) => format!("at least {lo}"),
        (None, Some(hi)) => format!("at most {hi}"),
        (None, None) => "more than 0".to_string(),
    };
    Err(Failure::new(
        ServerCode::AmountOutOfRange,
        Some("amount"),
        format!("a top-up of this account is {range}"),
    ))
}

/// Credits a setting names (an alert threshold, an agent's monthly limit): zero or more, and
/// written with at most the card's credit decimals, since no balance or spend has more. The
/// engine computes with any such number; the settings routes refuse what no balance could
/// reach exactly, or a threshold below zero (issue 30: −1 and 12.123456789 were saved).
pub(crate) fn check_setting_credits(
    v: rust_decimal::Decimal,
    card: &crate::engine::model::RateCard,
    field: &str,
) -> R<()> {
    use crate::engine::error::Code;
    let fail = |code: Code, msg: String| {
        Failure::engine(
            crate::server::outcome::Kind::Invalid,
            code,
            Some(field),
            msg,
        )
    };
    if v.is_sign_negative() && !v.is_zero() {
        return Err(fail(Code::NegativeAmount, "credits, zero or more".into()));
    }
    if v.normalize().scale() > card.dp() {
        let msg = format!(
            "credits have at most {} decimals on this rate card",
            card.dp()
        );
        return Err(fail(Code::InvalidValue, msg));
    }
    Ok(())
}
