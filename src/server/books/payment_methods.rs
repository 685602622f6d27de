//! Saved payment methods (seed 002: "auto-recharge requires a saved payment method"): a card
//! is saved through the provider's setup (Stripe's SetupIntent: a client secret the page
//! confirms the card with), listed with its brand, last four digits and expiry, chosen as the
//! default, and removed. Auto-recharge charges a saved method only (`check_saved`), and the
//! one it charges cannot be removed while it is on.

use crate::server::books::provider::{Provider, SavedCard, TestCard};
use crate::server::outcome::{store, Failure, ServerCode, R};
use crate::server::storage::memo::Db;
use serde::{Deserialize, Serialize};

/// Most saved methods an account keeps; a setup past it is refused.
pub const MAX_METHODS: usize = 20;

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SavedMethod {
    pub id: String,
    pub brand: String,
    pub last4: String,
    pub exp_month: i64,
    pub exp_year: i64,
    pub is_default: bool,
    pub created_at: String,
}

/// `GET /billing/payment-methods`: newest first, and which one is the default.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Methods {
    pub methods: Vec<SavedMethod>,
    pub default_id: Option<String>,
}

/// `POST /billing/payment-methods/setup`: what the page confirms the card with.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Setup {
    pub setup_id: String,
    pub client_secret: String,
    pub provider: &'static str,
}

/// `POST /billing/payment-methods`: the setup confirmed with the card.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ConfirmBody {
    pub setup_id: String,
    pub client_secret: String,
    pub card: TestCard,
}

pub fn list(db: &mut dyn Db, account: &str) -> R<Methods> {
    let rows = store(db.query(
        "SELECT id, brand, last4, exp_month, exp_year, is_default, created_at FROM payment_methods \
         WHERE account_id = $1 ORDER BY created_at DESC, id",
        &[account.into()],
    ))?;
    let text = |r: &[crate::server::storage::sql::Val], i: usize| {
        r[i].text().unwrap_or_default().to_string()
    };
    let methods: Vec<SavedMethod> = rows
        .iter()
        .map(|r| SavedMethod {
            id: text(r, 0),
            brand: text(r, 1),
            last4: text(r, 2),
            exp_month: r[3].int().unwrap_or(0),
            exp_year: r[4].int().unwrap_or(0),
            is_default: r[5].int() == Some(1),
            created_at: text(r, 6),
        })
        .collect();
    let default_id = methods.iter().find(|m| m.is_default).map(|m| m.id.clone());
    Ok(Methods {
        methods,
        default_id,
    })
}

pub fn setup(db: &mut dyn Db, account: &str, provider: &Provider, at: &str) -> R<Setup> {
    if list(db, account)?.methods.len() >= MAX_METHODS {
        return Err(Failure::new(
            ServerCode::TooManyItems,
            None,
            format!("an account keeps at most {MAX_METHODS} payment methods: remove one first"),
        ));
    }
    let setup_id = crate::server::books::auth::token("seti_")?;
    let client_secret = provider.client_secret(&setup_id)?;
    store(db.exec(
        "INSERT INTO payment_method_setups (account_id, id, client_secret, created_at, used) \
         VALUES ($1, $2, $3, $4, 0)",
        &[
            account.into(),
            setup_id.as_str().into(),
            client_secret.as_str().into(),
            at.into(),
        ],
    ))?;
    Ok(Setup {
        setup_id,
        client_secret,
        provider: provider.name(),
    })
}

/// The setup's card saved: the provider's answer, a method id of its own, the default when it
/// is the account's first. A setup is used once; a wrong secret is an unknown setup.
pub fn confirm(
    db: &mut dyn Db,
    account: &str,
    provider: &Provider,
    body: &ConfirmBody,
    at: chrono::DateTime<chrono::Utc>,
) -> R<SavedMethod> {
    let rows = store(db.query(
        "SELECT client_secret FROM payment_method_setups WHERE account_id = $1 AND id = $2 AND used = 0",
        &[account.into(), body.setup_id.as_str().into()],
    ))?;
    if rows.first().and_then(|r| r[0].text()) != Some(body.client_secret.as_str()) {
        return Err(not_found(
            "setupId",
            "no card setup with this id and secret waits",
        ));
    }
    let card = provider.confirm_setup(&body.setup_id, &body.card)?;
    not_expired(&card, at)?;
    store(db.exec(
        "UPDATE payment_method_setups SET used = 1 WHERE account_id = $1 AND id = $2",
        &[account.into(), body.setup_id.as_str().into()],
    ))?;
    let first = list(db, account)?.methods.is_empty();
    let id = crate::server::books::auth::token("pm_")?;
    let created_at = at.to_rfc3339_opts(chrono::SecondsFormat::Nanos, true);
    store(db.exec(
        "INSERT INTO payment_methods (account_id, id, brand, last4, exp_month, exp_year, is_default, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            account.into(),
            id.as_str().into(),
            card.brand.into(),
            card.last4.as_str().into(),
            i64::from(card.exp_month).into(),
            i64::from(card.exp_year).into(),
            i64::from(first).into(),
            created_at.as_str().into(),
        ],
    ))?;
    find(db, account, &id)
}

/// A card whose last month has passed is declined, as a provider declines it.
fn not_expired(card: &SavedCard, at: chrono::DateTime<chrono::Utc>) -> R<()> {
    use chrono::Datelike;
    if (card.exp_year as i32, card.exp_month) < (at.year(), at.month()) {
        return Err(Failure::new(
            ServerCode::CardDeclined,
            Some("card.expYear"),
            "the card has expired",
        ));
    }
    Ok(())
}

pub fn find(db: &mut dyn Db, account: &str, id: &str) -> R<SavedMethod> {
    let all = list(db, account)?.methods;
    all.into_iter()
        .find(|m| m.id == id)
        .ok_or_else(|| not_found("id", "no saved payment method with this id"))
}

/// Make `id` the default; the others stop being it.
pub fn set_default(db: &mut dyn Db, account: &str, id: &str) -> R<SavedMethod> {
    find(db, account, id)?;
    store(db.exec(
        "UPDATE payment_methods SET is_default = CASE WHEN id = $2 THEN 1 ELSE 0 END WHERE account_id = $1",
        &[account.into(), id.into()],
    ))?;
    find(db, account, id)
}

/// Remove `id`, unless auto-recharge charges it while on (`in_use`); a removed default passes
/// to the newest method left.
pub fn remove(db: &mut dyn Db, account: &str, id: &str, in_use: bool) -> R<Methods> {
    let gone = find(db, account, id)?;
    if in_use {
        return Err(Failure::new(
            ServerCode::PaymentMethodInUse,
            Some("id"),
            "auto-recharge charges this card: choose another card for it, or turn it off, first",
        ));
    }
    store(db.exec(
        "DELETE FROM payment_methods WHERE account_id = $1 AND id = $2",
        &[account.into(), id.into()],
    ))?;
    let left = list(db, account)?;
    if let (true, Some(newest)) = (gone.is_default, left.methods.first()) {
        set_default(db, account, &newest.id.clone())?;
        return list(db, account);
    }
    Ok(left)
}

/// Auto-recharge may charge only a card saved on the account (seed 002).
pub fn check_saved(db: &mut dyn Db, account: &str, id: &str) -> R<()> {
    find(db, account, id).map(|_| ()).map_err(|_| {
        not_found(
            "paymentMethod",
            "auto-recharge charges a saved card: save one under Payment methods and choose it",
        )
    })
}

fn not_found(field: &str, message: &str) -> Failure {
    Failure::new(ServerCode::PaymentMethodNotFound, Some(field), message)
}
