//! The HTTP handlers of `books::wallet`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::alerts::AlertSettings;
use crate::engine::amount::{self};
use crate::engine::calendar::Instant;
use crate::engine::error::Code;
use crate::engine::model::{AgentPolicy, AutoReload, Grant, GrantType};
use crate::engine::reload::Validation;
use crate::engine::reload::{read_settings, SettingsForm};
use crate::server::books::accounts;
use crate::server::books::accounts::load;
use crate::server::books::auth::{self, Caller, CREDIT, READ};
use crate::server::books::expiries;
use crate::server::books::idempotency::once;
use crate::server::books::payments;
use crate::server::books::wallet::wallet as books_wallet;
use crate::server::books::wallet::webhook_settings as books_webhook;
use crate::server::books::wallet::*;
use crate::server::books::webhooks;
use crate::server::clock::now;
use crate::server::http::extract::{IdempotencyKey, JsonBody};
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, Kind, R};
use axum::extract::State;
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{json, Value};

pub(crate) async fn wallet(State(st): State<Shared>, c: Caller) -> R<Done<Wallet>> {
    c.require(READ)?;
    read(&st, move |db| {
        let a = load(db, &c.account, false)?;
        Ok(Done::ok(books_wallet(&a, now())?))
    })
    .await
}

/// The engine's own inputs for this account: the rate card and the snapshot exactly as the
/// server holds them, so a dashboard's `previewDrawdown`/`authorizeCall` run on the same data.
/// `GET /billing/account`: the engine's own inputs, as stored.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AccountInputs {
    account_id: String,
    as_of: Instant,
    rate_card: Value,
    /// The card's later versions in force, each with its `effectiveFrom` (issue 28): what
    /// `previewDrawdown`'s `rateCardVersions` takes.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    rate_card_versions: Vec<Value>,
    account: Value,
}

pub(crate) async fn account_inputs(State(st): State<Shared>, c: Caller) -> R<Done<AccountInputs>> {
    c.require(READ)?;
    read(&st, move |db| {
        let rows = crate::server::outcome::store(db.query(
            "SELECT rate_card, snapshot, rate_card_versions FROM accounts WHERE id = $1",
            &[c.account.as_str().into()],
        ))?;
        let row = rows
            .first()
            .ok_or_else(|| Failure::new(ServerCode::AccountNotFound, None, "no such account"))?;
        Ok(Done::ok(AccountInputs {
            rate_card: row[0].json("rate card")?.unwrap_or(Value::Null),
            rate_card_versions: crate::server::books::card_versions::for_engine(row[2].text())?,
            account: row[1].json("account")?.unwrap_or(Value::Null),
            account_id: c.account,
            as_of: now(),
        }))
    })
    .await
}

pub(crate) async fn credit(
    State(st): State<Shared>,
    c: Caller,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body, hash): JsonBody<CreditBody>,
) -> R<Done> {
    c.require(CREDIT)?;
    job(&st, Some(c.account.clone()), move |db| {
        once(db, &c.account, &key, &hash, |db| {
            let mut a = load(db, &c.account, true)?;
            let t = now();
            expiries::book_expiries(db, &mut a, t)?;
            let credits = match (body.credits, body.amount) {
                (Some(cr), None) => cr,
                (None, Some(m)) => {
                    amount::check_money(m, a.card.minor(), &a.card.currency.code, "amount")
                        .map_err(Failure::invalid)?;
                    a.card.to_credits(m, "amount").map_err(Failure::invalid)?
                }
                _ => {
                    return Err(Failure::engine(
                        Kind::Malformed,
                        Code::InvalidValue,
                        Some("credits"),
                        "send exactly one of `credits` and `amount`",
                    ))
                }
            };
            if credits <= Decimal::ZERO {
                return Err(Failure::engine(
                    Kind::Invalid,
                    Code::InvalidValue,
                    Some("credits"),
                    "a credit must be positive",
                ));
            }
            let grant = Grant {
                id: format!("credit-{}", a.next_id()),
                kind: body.kind.unwrap_or(GrantType::Promotional),
                remaining: credits,
                priority: body.priority.unwrap_or(50),
                effective_at: Some(t),
                expires_at: body.expires_at,
                created_at: Some(t),
            };
            if grant.expires_at.is_some_and(|x| x <= t) {
                return Err(Failure::engine(
                    Kind::Invalid,
                    Code::InvalidGrantWindow,
                    Some("expiresAt"),
                    "a credit must expire in the future",
                ));
            }
            let landed = payments::land(db, &mut a, grant, "credit", body.reason.as_deref(), t)?;
            let mut out = Done::json(&landed)?;
            accounts::save(db, &a)?;
            out["wallet"] = Done::json(&books_wallet(&a, t)?)?;
            Ok(Done::ok(out))
        })
    })
    .await
}

pub(crate) async fn topup(
    State(st): State<Shared>,
    c: Caller,
    IdempotencyKey(key): IdempotencyKey,
    JsonBody(body, hash): JsonBody<TopUpBody>,
) -> R<Done> {
    c.require_session()?;
    let provider = st.config.provider.clone();
    job(&st, Some(c.account.clone()), move |db| {
        once(db, &c.account, &key, &hash, |db| {
            let mut a = load(db, &c.account, true)?;
            expiries::book_expiries(db, &mut a, now())?;
            let m = body.amount;
            crate::server::books::wallet::check_top_up(&a, m)?;
            let credits = a.card.to_credits(m, "amount").map_err(Failure::invalid)?;
            payments::check_bounds(&a, credits)?;
            let t = now();
            let grant_id = format!("topup-{}", a.next_id());
            let status = if provider.settles_at_once() {
                "settled"
            } else {
                "pending"
            };
            let (pay, quote) = payments::payment(
                db,
                provider.as_ref(),
                &mut a,
                "topup",
                m,
                credits,
                &grant_id,
                status,
                t,
            )?;
            let secret = store(db.query(
                "SELECT client_secret FROM payments WHERE id = $1",
                &[pay.as_str().into()],
            ))?
            .first()
            .and_then(|r| r[0].text().map(str::to_string))
            .unwrap_or_default();
            // SEMANTICS 13: the provider charges the gross; the net buys the credits.
            let gross = quote.as_ref().map_or(m, |q| q.gross);
            let mut out = json!({ "paymentId": pay, "clientSecret": secret, "status": status,
                                  "amount": m.to_string(), "gross": gross.to_string(),
                                  "credits": credits.to_string(), "tax": quote });
            if provider.settles_at_once() {
                let grant = Grant::prepaid(grant_id, credits, t);
                let landed = payments::land(db, &mut a, grant, "topup", Some(&pay), t)?;
                out["landed"] = Done::json(&landed)?;
            }
            accounts::save(db, &a)?;
            Ok(Done::ok(out))
        })
    })
    .await
}

/// The answer to `PUT /billing/auto-reload`: the core's findings and the settings saved.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct AutoReloadSaved {
    validation: Validation,
    auto_reload: Option<AutoReload>,
}

pub(crate) async fn auto_reload(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(form, _): JsonBody<SettingsForm>,
) -> R<Done<AutoReloadSaved>> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        let mut a = load(db, &c.account, true)?;
        // The form's findings, every one at once (SEMANTICS 7), then the settings it reads as.
        let settings = read_settings(&form).0.complete();
        let v =
            crate::engine::reload::validate_auto_reload(&crate::engine::reload::ValidateInput {
                settings: form,
                rate_card: Some(a.card.clone()),
                account: Some(a.snap.clone()),
                context: None,
            })
            .map_err(|e| Failure::from_error(Kind::Malformed, &e))?;
        let Some(settings) = settings.filter(|_| v.valid) else {
            return Err(Failure::with_body(Kind::Invalid, Done::json(&v)?));
        };
        // Seed 002: auto-recharge charges a card saved on the account.
        if let (true, Some(pm)) = (settings.enabled, settings.payment_method.as_deref()) {
            crate::server::books::payment_methods::check_saved(db, &c.account, pm)?;
        }
        a.snap.auto_reload = Some(settings);
        accounts::save(db, &a)?;
        Ok(Done::ok(AutoReloadSaved {
            validation: v,
            auto_reload: a.snap.auto_reload,
        }))
    })
    .await
}

pub(crate) async fn webhook_settings(
    State(st): State<Shared>,
    c: Caller,
) -> R<Done<WebhookSettings>> {
    c.require(READ)?;
    read(&st, move |db| Ok(Done::ok(books_webhook(db, &c.account)?))).await
}

pub(crate) async fn set_webhook(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(w, _): JsonBody<WebhookBody>,
) -> R<Done<WebhookSettings>> {
    c.require_session()?;
    if let Some(u) = &w.url {
        webhooks::check_url(u, st.config.allow_private_webhooks)?;
    }
    if let Some(days) = &w.grant_expiring_days {
        crate::server::books::wallet::check_expiring_days(days)?;
    }
    if let Some(days) = w.runway_low_days {
        crate::server::books::wallet::check_runway_low_days(days)?;
    }
    job(&st, Some(c.account.clone()), move |db| {
        store(db.exec(
            "UPDATE accounts SET webhook_url = $1 WHERE id = $2",
            &[w.url.clone().into(), c.account.as_str().into()],
        ))?;
        if let Some(days) = w.grant_expiring_days {
            crate::server::books::wallet::set_expiring_days(db, &c.account, days)?;
        }
        if let Some(days) = w.runway_low_days {
            crate::server::books::wallet::set_runway_low_days(db, &c.account, days)?;
        }
        Ok(Done::ok(books_webhook(db, &c.account)?))
    })
    .await
}

/// A new signing secret, answered once; deliveries from now on are signed with it.
pub(crate) async fn rotate_webhook_secret(
    State(st): State<Shared>,
    c: Caller,
) -> R<Done<WebhookSettings>> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        let secret = auth::token("whsec_")?;
        store(db.exec(
            "UPDATE accounts SET webhook_secret = $1 WHERE id = $2",
            &[secret.as_str().into(), c.account.as_str().into()],
        ))?;
        let mut out = books_webhook(db, &c.account)?;
        out.secret = Some(secret);
        Ok(Done::ok(out))
    })
    .await
}

#[derive(Serialize)]
pub(crate) struct AlertsSaved {
    alerts: Option<AlertSettings>,
}

/// `PUT /billing/alerts` (seed 001: low-balance notifications): the three thresholds, checked
/// by the core (ordered, non-negative); the account's current alert state is kept.
pub(crate) async fn set_alerts(
    State(st): State<Shared>,
    c: Caller,
    JsonBody(b, _): JsonBody<AlertsBody>,
) -> R<Done<AlertsSaved>> {
    c.require_session()?;
    job(&st, Some(c.account.clone()), move |db| {
        let mut a = load(db, &c.account, true)?;
        let levels = [
            ("info", &b.info),
            ("warning", &b.warning),
            ("critical", &b.critical),
        ];
        for (name, level) in levels {
            if let Some(l) = level {
                let field = format!("{name}.threshold");
                crate::server::books::wallet::check_setting_credits(l.threshold, &a.card, &field)?;
            }
        }
        let state = a.snap.alerts.as_ref().and_then(|x| x.state);
        a.snap.alerts = Some(crate::engine::model::AlertSettings {
            info: b.info,
            warning: b.warning,
            critical: b.critical,
            state,
        });
        a.snap
            .validate(&a.card)
            .map_err(|e| match e.field.as_deref() {
                Some(f) if f.starts_with("alerts.") => {
                    let field = f.trim_start_matches("alerts.").to_string();
                    Failure::invalid(crate::Error {
                        field: Some(field),
                        ..e
                    })
                }
                _ => Failure::invalid(e),
            })?;
        accounts::save(db, &a)?;
        Ok(Done::ok(AlertsSaved {
            alerts: a.snap.alerts,
        }))
    })
    .await
}

#[derive(Serialize)]
pub(crate) struct AgentSaved {
    id: String,
    policy: Option<AgentPolicy>,
}

/// `PUT /billing/agents/{id}` (seed 002: per-agent monthly limits, stop or use the balance
/// when the plan runs out): the policy; what the agent spent this cycle is kept.
pub(crate) async fn set_agent(
    State(st): State<Shared>,
    axum::extract::Path(id): axum::extract::Path<String>,
    c: Caller,
    JsonBody(b, _): JsonBody<AgentBody>,
) -> R<Done<AgentSaved>> {
    c.require_session()?;
    if id.is_empty() || id.len() > MAX_AGENT_ID || id.chars().any(char::is_control) {
        let msg = format!("an agent id has 1 to {MAX_AGENT_ID} bytes, no control characters");
        return Err(Failure::engine(
            Kind::Invalid,
            Code::InvalidValue,
            Some("id"),
            msg,
        ));
    }
    job(&st, Some(c.account.clone()), move |db| {
        let mut a = load(db, &c.account, true)?;
        let spent = a.snap.agents.get(&id).and_then(|p| p.spent_this_cycle);
        let policy = crate::engine::model::AgentPolicy {
            on_plan_exhausted: b.on_plan_exhausted,
            monthly_limit: b.monthly_limit,
            spent_this_cycle: spent,
        };
        if let Some(l) = b.monthly_limit {
            crate::server::books::wallet::check_setting_credits(l, &a.card, "monthlyLimit")?;
        }
        a.snap.agents.insert(id.clone(), policy);
        a.snap.validate(&a.card).map_err(Failure::invalid)?;
        accounts::save(db, &a)?;
        let policy = a.snap.agents.remove(&id);
        Ok(Done::ok(AgentSaved { id, policy }))
    })
    .await
}
