//! Administration with the admin token: accounts, credentials, and the payment provider's
//! confirmation; and the demo account of `drawdown serve --demo`.

use super::accounts;
use super::accounts::Acct;
use super::auth::{self, READ, WRITE};
use crate::engine::calendar::Instant;
use crate::engine::error::Code;
use crate::engine::model::{Account, GrantType, RateCard};
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, Kind, R};
use crate::server::storage::memo::Db;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewAccount {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    pub rate_card: Value,
    pub account: Value,
    #[serde(default)]
    pub webhook_url: Option<String>,
}

/// A new account's id and first credentials (shown once: only their hashes are stored).
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Created {
    pub account_id: String,
    pub api_key: String,
    pub read_key: String,
    pub session_token: String,
    pub webhook_secret: String,
}

/// An account's id, rate card and snapshot, each checked as the engine checks them.
fn read_new(n: &NewAccount) -> R<(RateCard, Account)> {
    if n.id.is_empty()
        || n.id.len() > 64
        || !n
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Failure::engine(
            Kind::Malformed,
            Code::InvalidValue,
            Some("id"),
            "account ids are 1 to 64 of [A-Za-z0-9_-]",
        ));
    }
    let card: RateCard = crate::ops::parse(&n.rate_card)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e.within("rateCard")))?;
    let snap: Account = crate::ops::parse(&n.account)
        .map_err(|e| Failure::from_error(Kind::Malformed, &e.within("account")))?;
    card.validate()
        .map_err(|e| Failure::invalid(e.within("rateCard")))?;
    snap.validate(&card)
        .map_err(|e| Failure::invalid(e.within("account")))?;
    Ok((card, snap))
}

/// A new account as the books hold it. The snapshot is taken as it is (what is owed stays
/// owed); the caller books its grants as opening ledger entries, so the ledger explains
/// every credit.
fn opened(id: String, card: RateCard, snap: Account, t: Instant) -> Acct {
    let opening = Decimal::ZERO - snap.owed.unwrap_or_default();
    Acct {
        id,
        card,
        // The cycle an account is created in is taken as paid: fees start at its renewal.
        fee_cycle: snap.cycle.as_ref().map(|c| c.start),
        snap,
        seq: 0,
        ids: 0,
        balance: opening,
        due_ms: None,
        through_ms: Some(t.0.timestamp_millis()),
        expiring_days: super::due::DEFAULT_EXPIRING_DAYS.to_vec(),
        runway_low_days: super::due::DEFAULT_RUNWAY_LOW_DAYS,
        runway_low_since: None,
        runway_checked_ms: None,
        versions: vec![],
        price_history: vec![],
    }
}

pub fn create(db: &mut dyn Db, n: NewAccount, t: Instant) -> R<Created> {
    let (card, snap) = read_new(&n)?;
    if !store(db.query(
        "SELECT id FROM accounts WHERE id = $1",
        &[n.id.as_str().into()],
    ))?
    .is_empty()
    {
        return Err(Failure::new(
            ServerCode::AccountExists,
            Some("id"),
            "an account with this id exists",
        ));
    }
    let secret = auth::token("whsec_")?;
    store(db.exec(
        "INSERT INTO accounts (id, name, rate_card, snapshot, webhook_url, webhook_secret, created_at, seq) VALUES ($1, $2, $3, $4, $5, $6, $7, 0)",
        &[n.id.as_str().into(), n.name.clone().unwrap_or_else(|| n.id.clone()).into(), n.rate_card.to_string().into(),
          "{}".into(), n.webhook_url.clone().into(), secret.as_str().into(), t.to_string().into()],
    ))?;
    let mut a = opened(n.id.clone(), card, snap, t);
    for g in a.snap.grants.clone() {
        let credits = if g.kind == GrantType::Plan {
            Decimal::ZERO
        } else {
            g.remaining
        };
        accounts::entry(
            db,
            &mut a,
            t,
            accounts::Entry {
                at: g.effective_at.unwrap_or(t),
                kind: "grant",
                reference: Some("opening"),
                grant_id: Some(&g.id),
                credits: g.remaining,
                moved: credits,
                detail: json!({ "type": g.kind }),
            },
        )?;
    }
    accounts::save(db, &a)?;
    super::steps::opening(db, &a)?;
    let ts = t.to_string();
    let api_key = auth::issue(db, &n.id, "key", &format!("{READ} {WRITE}"), &ts)?;
    let read_key = auth::issue(db, &n.id, "key", READ, &ts)?;
    let session = auth::issue(db, &n.id, "session", "", &ts)?;
    Ok(Created {
        account_id: n.id,
        api_key,
        read_key,
        session_token: session,
        webhook_secret: secret,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewCredential {
    pub(crate) kind: String,
    #[serde(default)]
    pub(crate) scopes: Vec<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ClockStep {
    pub(crate) advance_seconds: i64,
}
