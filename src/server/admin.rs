//! Administration with the admin token: accounts, credentials, and the payment provider's
//! confirmation; and the demo account of `drawdown serve --demo`.

use super::auth::{self, CREDIT, LEASE, READ, WRITE};
use super::billing::{self, load, Acct};
use super::extract::{Admin, JsonBody};
use super::outcome::{store, Done, Failure, Kind, R};
use super::routes::{job, read};
use super::store::Sql;
use super::{now, webhooks, Shared};
use crate::calendar::Instant;
use crate::model::{Account, GrantType, RateCard};
use axum::extract::{Path, State};
use rust_decimal::Decimal;
use serde::Deserialize;
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

pub fn create(db: &mut dyn Sql, n: NewAccount, t: Instant) -> R<Done> {
    if n.id.is_empty()
        || n.id.len() > 64
        || !n
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Failure::new(
            Kind::Malformed,
            "invalid_value",
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
    if !store(db.query(
        "SELECT id FROM accounts WHERE id = $1",
        &[n.id.as_str().into()],
    ))?
    .is_empty()
    {
        return Err(Failure::new(
            Kind::Conflict,
            "account_exists",
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
    // The snapshot is taken as it is (what is owed stays owed); its grants become opening
    // ledger entries, so the ledger explains every credit.
    let mut a = Acct {
        id: n.id.clone(),
        card,
        snap,
        seq: 0,
    };
    let mut running = Decimal::ZERO - a.snap.owed.unwrap_or_default();
    for g in a.snap.grants.clone() {
        let credits = if g.kind == GrantType::Plan {
            Decimal::ZERO
        } else {
            g.remaining
        };
        billing::entry(
            db,
            &mut a,
            t,
            billing::Entry {
                at: g.effective_at.unwrap_or(t),
                kind: "grant",
                reference: Some("opening"),
                grant_id: Some(&g.id),
                credits: g.remaining,
                before: running,
                after: running + credits,
                detail: json!({ "type": g.kind }),
            },
        )?;
        running += credits;
    }
    billing::save(db, &a)?;
    let ts = t.to_string();
    let api_key = auth::issue(db, &n.id, "key", &format!("{READ} {WRITE}"), &ts)?;
    let read_key = auth::issue(db, &n.id, "key", READ, &ts)?;
    let session = auth::issue(db, &n.id, "session", "", &ts)?;
    Ok(Done::created(
        json!({ "accountId": n.id, "apiKey": api_key, "readKey": read_key,
        "sessionToken": session, "webhookSecret": secret }),
    ))
}

pub(super) async fn create_account(
    State(st): State<Shared>,
    _: Admin,
    JsonBody(n, _): JsonBody<NewAccount>,
) -> R<Done> {
    if let Some(u) = &n.webhook_url {
        webhooks::check_url(u, st.config.allow_private_webhooks)?;
    }
    job(&st, Some(n.id.clone()), move |db| create(db, n, now())).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct NewCredential {
    kind: String,
    #[serde(default)]
    scopes: Vec<String>,
}

pub(super) async fn issue_credential(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
    JsonBody(n, _): JsonBody<NewCredential>,
) -> R<Done> {
    if !matches!(n.kind.as_str(), "key" | "session")
        || n.scopes
            .iter()
            .any(|s| ![READ, WRITE, CREDIT, LEASE].contains(&s.as_str()))
    {
        return Err(Failure::new(
            Kind::Malformed,
            "invalid_value",
            Some("kind"),
            "kind is `key` or `session`; scopes are billing:read, billing:write, billing:credit and billing:lease",
        ));
    }
    job(&st, Some(id.clone()), move |db| {
        load(db, &id, false)?;
        let t = auth::issue(db, &id, &n.kind, &n.scopes.join(" "), &now().to_string())?;
        Ok(Done::created(
            json!({ "token": t, "kind": n.kind, "scopes": n.scopes }),
        ))
    })
    .await
}

/// The demo account `drawdown serve --demo` creates: seed 000's card ($10 = 1,000
/// credits, toll-free +2 credits/min) with a $10 top-up.
pub async fn demo(st: &Shared, addr: std::net::SocketAddr) -> Result<(), String> {
    let n = NewAccount {
        id: "demo".into(),
        name: Some("Demo".into()),
        rate_card: serde_json::from_str(include_str!("../../examples/demo-rate-card.json"))
            .map_err(|e| e.to_string())?,
        account: json!({ "timeZone": "America/New_York", "grants": [
            { "id": "topup-opening", "type": "prepaid", "remaining": "1000" } ],
            "alerts": { "info": { "threshold": "500" }, "warning": { "threshold": "200" }, "critical": { "threshold": "50" } },
            "limits": { "minTopUp": "10.00", "maxTopUp": "1000.00" } }),
        webhook_url: None,
    };
    let t = now();
    let r = st
        .writer
        .run(
            Some("demo".into()),
            None,
            Box::new(move |db| {
                let created = create(db, n, t);
                if created.as_ref().is_err_and(|e| e.kind == Kind::Conflict) {
                    let ts = t.to_string();
                    let key = auth::issue(db, "demo", "key", &format!("{READ} {WRITE}"), &ts)?;
                    let session = auth::issue(db, "demo", "session", "", &ts)?;
                    return Ok(Done::ok(json!({ "apiKey": key, "sessionToken": session })));
                }
                created
            }),
        )
        .await
        .map_err(|e| e.to_string())?
        .map_err(|f| format!("demo account: {}", f.body))?;
    println!("demo account `demo`:");
    println!(
        "  API key (billing:read billing:write): {}",
        r.body["apiKey"].as_str().unwrap_or("")
    );
    println!(
        "  dashboard with a session: http://{addr}/#session={}",
        r.body["sessionToken"].as_str().unwrap_or("")
    );
    Ok(())
}

/// The payment provider confirmed a payment: its credits land (`--payments manual`).
pub(super) async fn settle_payment(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
) -> R<Done> {
    let owner = payment_owner(&st, &id).await?;
    let provider = st.config.provider.clone();
    job(&st, owner, move |db| {
        billing::settle_payment(db, provider.as_ref(), &id, now())
    })
    .await
}

/// The payment provider refunded a payment: its unspent credits leave the wallet and a
/// credit note refers to its invoice (SEMANTICS 13).
pub(super) async fn refund_payment(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
) -> R<Done> {
    let owner = payment_owner(&st, &id).await?;
    job(&st, owner, move |db| {
        billing::refund_payment(db, &id, now())
    })
    .await
}

async fn payment_owner(st: &Shared, id: &str) -> R<Option<String>> {
    let pay = id.to_string();
    let owner = read(st, move |db| {
        let rows = store(db.query(
            "SELECT account_id FROM payments WHERE id = $1",
            &[pay.as_str().into()],
        ))?;
        Ok(Done::ok(json!(rows.first().and_then(|r| r[0].text()))))
    })
    .await?;
    Ok(owner.body.as_str().map(str::to_string))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct ClockStep {
    advance_seconds: i64,
}

/// `POST /admin/clock` (only with `--test-clock`): move the server's clock ahead, so tests
/// see holds lapse, grants expire and cycles renew without waiting for the real clock.
pub(super) async fn advance_clock(
    State(st): State<Shared>,
    _: Admin,
    JsonBody(b, _): JsonBody<ClockStep>,
) -> R<Done> {
    if !st.config.test_clock {
        return Err(Failure::new(
            Kind::NotFound,
            "not_found",
            None,
            "the server's clock moves only with `--test-clock`",
        ));
    }
    if !(0..=super::MAX_CLOCK_STEP_SECONDS).contains(&b.advance_seconds) {
        return Err(Failure::new(
            Kind::Invalid,
            "invalid_value",
            Some("advanceSeconds"),
            format!(
                "the clock moves ahead 0 to {} s at a time",
                super::MAX_CLOCK_STEP_SECONDS
            ),
        ));
    }
    Ok(Done::ok(
        json!({ "now": super::advance_clock(b.advance_seconds) }),
    ))
}
