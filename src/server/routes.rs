//! The HTTP API (seed 000's billing endpoints plus usage, authorize and the ledger). Each
//! handler authenticates, parses its body into the contract's types, and hands one job to
//! the store's writer; `docs/openapi.json` describes every route.

use super::auth::{self, Caller, CREDIT, READ, WRITE};
use super::billing::{self, load, once, store, Acct, Reply, R};
use super::store::{Sql, StoreError};
use super::{listen, now, reports, webhooks, Shared};
use crate::amount::{self, dec};
use crate::calendar::Instant;
use crate::drawdown::Usage;
use crate::model::{Account, AutoReload, Grant, GrantType, RateCard};
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, State};
use axum::http::{header, HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use rust_decimal::Decimal;
use serde::Deserialize;
use serde_json::{json, Value};
use std::net::SocketAddr;

/// Largest request body accepted (a batch of 1,000 usage events fits comfortably).
pub const MAX_BODY: usize = 1 << 20;
pub const MAX_EVENTS: usize = 1000;
/// How much of an oversized body is read (and dropped) before answering 413.
const MAX_DRAIN: usize = 16 << 20;

/// Every route, as `docs/openapi.json` must describe it (a test compares the two).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    ("GET", "/billing/wallet"),
    ("GET", "/billing/account"),
    ("POST", "/billing/wallet/credit"),
    ("POST", "/billing/wallet/topup"),
    ("PUT", "/billing/wallet/auto-reload"),
    ("GET", "/billing/webhook"),
    ("PUT", "/billing/webhook"),
    ("POST", "/billing/webhook/secret"),
    ("GET", "/billing/usage"),
    ("GET", "/billing/usage/items"),
    ("GET", "/billing/plans"),
    ("GET", "/billing/subscription"),
    ("POST", "/billing/subscription"),
    ("GET", "/billing/invoices"),
    ("GET", "/billing/ledger"),
    ("POST", "/usage"),
    ("POST", "/calls/authorize"),
    ("POST", "/admin/accounts"),
    ("POST", "/admin/accounts/{id}/credentials"),
    ("POST", "/payments/{id}/settle"),
];

pub fn router(state: Shared) -> Router {
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi))
        .route("/billing/wallet", get(wallet))
        .route("/billing/account", get(account_inputs))
        .route("/billing/wallet/credit", post(credit))
        .route("/billing/wallet/topup", post(topup))
        .route("/billing/wallet/auto-reload", put(auto_reload))
        .route("/billing/webhook", get(webhook_settings).put(set_webhook))
        .route("/billing/webhook/secret", post(rotate_webhook_secret))
        .route("/billing/usage", get(reports::usage_summary))
        .route("/billing/usage/items", get(reports::usage_items))
        .route("/billing/plans", get(reports::plans))
        .route(
            "/billing/subscription",
            get(reports::subscription).post(reports::subscribe),
        )
        .route("/billing/invoices", get(reports::invoices))
        .route("/billing/ledger", get(reports::ledger))
        .route("/usage", post(record_usage))
        .route("/calls/authorize", post(authorize))
        .route("/admin/accounts", post(create_account))
        .route("/admin/accounts/{id}/credentials", post(issue_credential))
        .route("/payments/{id}/settle", post(settle_payment))
        .fallback(static_files)
        .layer(axum::middleware::from_fn(listen::coded_errors))
        .layer(axum::middleware::from_fn(listen::limit_headers))
        .with_state(state)
}

pub(super) fn respond(r: Reply) -> Response {
    let status = StatusCode::from_u16(r.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        r.body.to_string(),
    )
        .into_response();
    if r.replayed {
        res.headers_mut().insert(
            "idempotent-replayed",
            header::HeaderValue::from_static("true"),
        );
    }
    if let Some(secs) = r.retry_after {
        res.headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
    }
    res
}

pub(super) fn done(r: R<Reply>) -> Response {
    respond(r.unwrap_or_else(|e| e))
}

/// Run a job on the writer thread; its answer arrives after the commit. `account` is the
/// account it writes (the group locks accounts in one order: no deadlock across servers).
pub(super) async fn job(
    st: &Shared,
    account: Option<String>,
    f: impl FnOnce(&mut dyn Sql) -> R<Reply> + Send + 'static,
) -> R<Reply> {
    let r = st
        .writer
        .run(account, Box::new(move |db| f(db).unwrap_or_else(|e| e)))
        .await;
    answer(r)
}

/// Run a job that only reads, on a reader's own connection (never queued behind writes).
pub(super) async fn read(
    st: &Shared,
    f: impl FnOnce(&mut dyn Sql) -> R<Reply> + Send + 'static,
) -> R<Reply> {
    let r = st
        .readers
        .run(None, Box::new(move |db| f(db).unwrap_or_else(|e| e)))
        .await;
    answer(r)
}

fn answer(r: Result<Reply, StoreError>) -> R<Reply> {
    let r = r.map_err(|e| match e {
        StoreError::Unavailable(_) => {
            Reply::error(503, "store_unavailable", None, e.to_string()).retry_after(1)
        }
        StoreError::Panicked => Reply::error(500, "internal", None, e.to_string()),
    })?;
    if r.is_ok() {
        Ok(r)
    } else {
        Err(r)
    }
}

/// A credential as presented: the `Authorization` scheme must match its kind (`Bearer` API
/// keys and the admin token, `Session` dashboard sessions); the `dd_session` cookie is a
/// session.
#[derive(Debug, Clone, PartialEq)]
enum Presented {
    Bearer(String),
    Session(String),
}

fn presented(headers: &HeaderMap) -> R<Presented> {
    let unauthorized = |m: &str| Reply::error(401, "unauthorized", None, m);
    if let Some(h) = headers.get(header::AUTHORIZATION) {
        let h = h
            .to_str()
            .map_err(|_| unauthorized("the Authorization header is not text"))?;
        let (scheme, token) = h.split_once(' ').unwrap_or((h, ""));
        let token = token.trim().to_string();
        return match scheme {
            _ if token.is_empty() => {
                Err(unauthorized("the Authorization header has no credential"))
            }
            "Bearer" => Ok(Presented::Bearer(token)),
            "Session" => Ok(Presented::Session(token)),
            _ => Err(unauthorized(
                "use `Authorization: Bearer <API key>` or `Authorization: Session <token>`",
            )),
        };
    }
    let cookie = headers
        .get(header::COOKIE)
        .and_then(|h| h.to_str().ok())
        .and_then(|h| {
            h.split(';')
                .filter_map(|c| c.trim().split_once('='))
                .find(|(k, _)| *k == "dd_session")
                .map(|(_, v)| v.to_string())
        });
    cookie.map(Presented::Session).ok_or_else(|| {
        unauthorized("send `Authorization: Bearer <API key>` or a dashboard session")
    })
}

pub(super) async fn caller(st: &Shared, headers: &HeaderMap) -> R<Caller> {
    let p = presented(headers)?;
    let (Presented::Bearer(token) | Presented::Session(token)) = &p;
    let unknown = || Reply::error(401, "unauthorized", None, "unknown API key or session");
    if token.len() > 200 {
        return Err(unknown());
    }
    let h = auth::hash(token);
    let cached = st.callers.read().ok().and_then(|m| m.get(&h).cloned());
    let c = match cached {
        Some(c) => c,
        None => {
            let c = lookup(st, token.clone()).await?;
            if let Ok(mut m) = st.callers.write() {
                m.insert(h, c.clone());
            }
            c
        }
    };
    match (&p, c.session) {
        (Presented::Bearer(_), true) => Err(Reply::error(
            401,
            "unauthorized",
            None,
            "a dashboard session goes under `Authorization: Session <token>`, not `Bearer`",
        )),
        (Presented::Session(_), false) => Err(Reply::error(
            401,
            "unauthorized",
            None,
            "an API key goes under `Authorization: Bearer <key>`, not `Session`",
        )),
        _ => Ok(c),
    }
}

async fn lookup(st: &Shared, token: String) -> R<Caller> {
    let c = read(st, move |db| {
        let c = auth::lookup(db, &token)?;
        Ok(Reply::ok(
            json!({ "account": c.account, "scopes": c.scopes, "session": c.session }),
        ))
    })
    .await?;
    Ok(Caller {
        account: c.body["account"].as_str().unwrap_or("").to_string(),
        scopes: serde_json::from_value(c.body["scopes"].clone()).unwrap_or_default(),
        session: c.body["session"].as_bool().unwrap_or(false),
    })
}

/// The admin token, as `Authorization: Bearer`. Failed attempts are throttled per client
/// address (`auth::Throttle`), so the token cannot be guessed at network speed.
pub(super) fn admin(st: &Shared, headers: &HeaderMap, from: std::net::IpAddr) -> R<()> {
    st.admin_throttle.check(from, now())?;
    match (&st.config.admin_token, presented(headers)) {
        (Some(want), Ok(Presented::Bearer(got))) if auth::hash(want) == auth::hash(&got) => Ok(()),
        _ => {
            st.admin_throttle.failed(from, now());
            Err(Reply::error(
                401,
                "unauthorized",
                None,
                "this route needs the admin token",
            ))
        }
    }
}

/// Read a JSON body: size-limited, JSON only, parsed into the contract's types with the
/// core's coded errors (`invalid_json`, `unknown_field`, `invalid_decimal`, ...).
pub(super) async fn body<T: serde::de::DeserializeOwned>(
    headers: &HeaderMap,
    b: Body,
) -> R<(T, String)> {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !is_json(ct) {
        return Err(Reply::error(
            415,
            "unsupported_media_type",
            None,
            "send the body as application/json",
        ));
    }
    // Read up to MAX_BODY; past it, keep draining (up to MAX_DRAIN) so the client, still
    // sending, gets the coded 413 rather than a reset connection.
    use futures_util::StreamExt;
    let mut stream = b.into_data_stream();
    let (mut bytes, mut total) = (Vec::new(), 0usize);
    let read = async {
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|_| {
                Reply::error(400, "invalid_body", None, "the body could not be read")
            })?;
            total += chunk.len();
            if total <= MAX_BODY {
                bytes.extend_from_slice(&chunk);
            } else if total > MAX_DRAIN {
                break;
            }
        }
        Ok(())
    };
    tokio::time::timeout(listen::BODY_READ_TIMEOUT, read)
        .await
        .map_err(|_| {
            Reply::error(
                408,
                "request_timeout",
                None,
                "the body did not arrive in time",
            )
        })??;
    if total > MAX_BODY {
        return Err(Reply::error(
            413,
            "payload_too_large",
            None,
            format!("the body is over {MAX_BODY} bytes"),
        ));
    }
    let text = std::str::from_utf8(&bytes)
        .map_err(|_| Reply::error(400, "invalid_json", None, "the body is not UTF-8"))?;
    let v = crate::ops::parse_text::<T>(text).map_err(|e| Reply::from_error(400, &e))?;
    Ok((v, auth::hash(text)))
}

/// `application/json`, optionally with parameters (`; charset=utf-8`), and nothing else
/// (not `application/jsonp`).
fn is_json(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json")
}

pub(super) fn idempotency_key(headers: &HeaderMap) -> R<String> {
    let k = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .unwrap_or("");
    if k.is_empty() || k.len() > 255 {
        return Err(Reply::error(
            400,
            "idempotency_key_required",
            Some("Idempotency-Key"),
            "deductions and credits need an Idempotency-Key header (1 to 255 characters)",
        ));
    }
    Ok(k.to_string())
}

// ---- usage and the pre-call check -----------------------------------------------------

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct UsageBody {
    events: Vec<Usage>,
}

async fn record_usage(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(WRITE)?;
            let key = idempotency_key(&headers)?;
            let (u, hash): (UsageBody, _) = body(&headers, b).await?;
            if u.events.is_empty() || u.events.len() > MAX_EVENTS {
                return Err(Reply::error(
                    400,
                    "invalid_value",
                    Some("events"),
                    format!("send 1 to {MAX_EVENTS} usage events"),
                ));
            }
            let provider = st.config.provider.clone();
            let window = st.config.window;
            job(&st, Some(c.account.clone()), move |db| {
                Ok(billing::record_usage_once(
                    db,
                    &c.account,
                    (&key, &hash),
                    u.events,
                    provider.as_ref(),
                    window,
                    now(),
                ))
            })
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
struct AuthorizeBody {
    call: Value,
}

async fn authorize(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(READ)?;
            // `{ "call": {...} }` or the call itself.
            let (v, _): (Value, _) = body(&headers, b).await?;
            let mut call = match serde_json::from_value::<AuthorizeBody>(v.clone()) {
                Ok(a) if v.as_object().is_some_and(|o| o.len() == 1) => a.call,
                _ => v,
            };
            // A check without `at` is about a call starting now.
            if let Some(o) = call.as_object_mut() {
                o.entry("at").or_insert_with(|| json!(now()));
            }
            read(&st, move |db| {
                let a = load(db, &c.account, false)?;
                let input = json!({ "call": call });
                let call: crate::authorize::CallRequest = crate::ops::parse(&input["call"])
                    .map_err(|e| Reply::from_error(400, &e.within("call")))?;
                let out = crate::authorize::authorize_call(&crate::authorize::AuthorizeInput {
                    rate_card: a.card,
                    account: a.snap,
                    call,
                })
                .map_err(Reply::invalid)?;
                // Seed 001: outbound with nothing left is HTTP 402 with the error document.
                if let (Some(402), Some(e)) = (out.http_status, &out.error) {
                    return Ok(Reply {
                        status: 402,
                        body: json!({ "error": e, "authorization": out }),
                        replayed: false,
                        retry_after: None,
                    });
                }
                Ok(Reply::ok(serde_json::to_value(&out).unwrap_or_default()))
            })
            .await
        }
        .await,
    )
}

// ---- wallet -----------------------------------------------------------------------------

fn wallet_json(a: &Acct, t: Instant) -> Value {
    let bal = billing::balance(a, t);
    let money = a
        .card
        .to_money(bal, "balance")
        .map(|m| m.to_string())
        .unwrap_or_default();
    json!({
        "accountId": a.id,
        "asOf": t,
        "currency": a.card.currency.code,
        "balance": bal.to_string(),
        "balanceMoney": { "amount": money, "currency": a.card.currency.code },
        "owed": a.snap.owed.unwrap_or_default().to_string(),
        "planCredits": crate::drawdown::plan_credits(&a.snap.grants, t).to_string(),
        "includedSecondsRemaining": a.snap.included_seconds(),
        "grants": a.snap.grants,
        "autoReload": a.snap.auto_reload,
        "pendingReload": a.snap.pending_reload,
        "alertState": a.snap.alerts.as_ref().and_then(|x| x.state),
    })
}

async fn wallet(State(st): State<Shared>, headers: HeaderMap) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(READ)?;
            read(&st, move |db| {
                Ok(Reply::ok(wallet_json(&load(db, &c.account, false)?, now())))
            })
            .await
        }
        .await,
    )
}

/// The engine's own inputs for this account: the rate card and the snapshot exactly as the
/// server holds them, so a dashboard's `previewDrawdown`/`authorizeCall` run on the same data.
async fn account_inputs(State(st): State<Shared>, headers: HeaderMap) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(READ)?;
            read(&st, move |db| {
                let rows = billing::store(db.query(
                    "SELECT rate_card, snapshot FROM accounts WHERE id = $1",
                    &[c.account.as_str().into()],
                ))?;
                let row = rows.first().ok_or_else(|| {
                    Reply::error(404, "account_not_found", None, "no such account")
                })?;
                let parse = |v: &super::store::Val| -> Value {
                    serde_json::from_str(v.text().unwrap_or("null")).unwrap_or(Value::Null)
                };
                Ok(Reply::ok(json!({
                    "accountId": c.account,
                    "asOf": now(),
                    "rateCard": parse(&row[0]),
                    "account": parse(&row[1]),
                })))
            })
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreditBody {
    #[serde(default, with = "amount::opt_dec")]
    credits: Option<Decimal>,
    /// Money in the account currency, converted at `creditsPerUnit`.
    #[serde(default, with = "amount::opt_dec")]
    amount: Option<Decimal>,
    #[serde(default, rename = "type")]
    kind: Option<GrantType>,
    #[serde(default)]
    priority: Option<i64>,
    #[serde(default)]
    expires_at: Option<Instant>,
    #[serde(default)]
    reason: Option<String>,
}

async fn credit(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(CREDIT)?;
            let key = idempotency_key(&headers)?;
            let (body, hash): (CreditBody, _) = body(&headers, b).await?;
            job(&st, Some(c.account.clone()), move |db| {
                Ok(once(db, &c.account, &key, &hash, |db| {
                    let mut a = load(db, &c.account, true)?;
                    let t = now();
                    billing::book_expiries(db, &mut a, t)?;
                    let credits = match (body.credits, body.amount) {
                        (Some(cr), None) => cr,
                        (None, Some(m)) => {
                            amount::check_money(m, a.card.minor(), &a.card.currency.code, "amount")
                                .map_err(Reply::invalid)?;
                            a.card.to_credits(m, "amount").map_err(Reply::invalid)?
                        }
                        _ => {
                            return Err(Reply::error(
                                400,
                                "invalid_value",
                                Some("credits"),
                                "send exactly one of `credits` and `amount`",
                            ))
                        }
                    };
                    if credits <= Decimal::ZERO {
                        return Err(Reply::error(
                            422,
                            "invalid_value",
                            Some("credits"),
                            "a credit must be positive",
                        ));
                    }
                    let grant = Grant {
                        id: format!("credit-{}", a.seq + 1),
                        kind: body.kind.unwrap_or(GrantType::Promotional),
                        remaining: credits,
                        priority: body.priority.unwrap_or(50),
                        effective_at: Some(t),
                        expires_at: body.expires_at,
                        created_at: Some(t),
                    };
                    if grant.expires_at.is_some_and(|x| x <= t) {
                        return Err(Reply::error(
                            422,
                            "invalid_grant_window",
                            Some("expiresAt"),
                            "a credit must expire in the future",
                        ));
                    }
                    let mut out =
                        billing::land(db, &mut a, grant, "credit", body.reason.as_deref(), t)?;
                    billing::save(db, &a)?;
                    out["wallet"] = wallet_json(&a, t);
                    Ok(Reply::ok(out))
                }))
            })
            .await
        }
        .await,
    )
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct TopUpBody {
    #[serde(with = "dec", alias = "amountUsd")]
    amount: Decimal,
}

async fn topup(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(async {
        let c = caller(&st, &headers).await?;
        c.require_session()?;
        let key = idempotency_key(&headers)?;
        let (body, hash): (TopUpBody, _) = body(&headers, b).await?;
        let provider = st.config.provider.clone();
        job(&st, Some(c.account.clone()), move |db| {
            Ok(once(db, &c.account, &key, &hash, |db| {
                let mut a = load(db, &c.account, true)?;
                billing::book_expiries(db, &mut a, now())?;
                let m = body.amount;
                amount::check_money(m, a.card.minor(), &a.card.currency.code, "amount").map_err(Reply::invalid)?;
                let limits = a.snap.limits.clone().unwrap_or_default();
                if m <= Decimal::ZERO
                    || limits.min_top_up.is_some_and(|min| m < min)
                    || limits.max_top_up.is_some_and(|max| m > max)
                {
                    return Err(Reply::error(422, "amount_out_of_range", Some("amount"), "the amount is outside the account's top-up limits"));
                }
                let credits = a.card.to_credits(m, "amount").map_err(Reply::invalid)?;
                billing::check_bounds(&a, credits)?;
                let t = now();
                let grant_id = format!("topup-{}", a.seq + 1);
                let status = if provider.settles_at_once() { "settled" } else { "pending" };
                let pay = billing::payment(db, provider.as_ref(), &mut a, "topup", m, credits, &grant_id, status, t)?;
                let secret = store(db.query("SELECT client_secret FROM payments WHERE id = $1", &[pay.as_str().into()]))?
                    .first().and_then(|r| r[0].text().map(str::to_string)).unwrap_or_default();
                let mut out = json!({ "paymentId": pay, "clientSecret": secret, "status": status,
                                      "amount": m.to_string(), "credits": credits.to_string() });
                if provider.settles_at_once() {
                    let grant = Grant { id: grant_id, kind: GrantType::Prepaid, remaining: credits, priority: 50,
                                        effective_at: Some(t), expires_at: None, created_at: Some(t) };
                    out["landed"] = billing::land(db, &mut a, grant, "topup", Some(&pay), t)?;
                }
                billing::save(db, &a)?;
                Ok(Reply::ok(out))
            }))
        })
        .await
    }
    .await)
}

async fn settle_payment(
    State(st): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    done(
        async {
            admin(&st, &headers, from.ip())?;
            let pay = id.clone();
            let owner = read(&st, move |db| {
                let rows = store(db.query(
                    "SELECT account_id FROM payments WHERE id = $1",
                    &[pay.as_str().into()],
                ))?;
                Ok(Reply::ok(json!(rows.first().and_then(|r| r[0].text()))))
            })
            .await?;
            let owner = owner.body.as_str().map(str::to_string);
            job(&st, owner, move |db| {
                billing::settle_payment(db, &id, now())
            })
            .await
        }
        .await,
    )
}

async fn auto_reload(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require_session()?;
            let (settings, _): (AutoReload, _) = body(&headers, b).await?;
            job(&st, Some(c.account.clone()), move |db| {
                let mut a = load(db, &c.account, true)?;
                let v = crate::reload::validate_auto_reload(&crate::reload::ValidateInput {
                    settings: settings.clone(),
                    rate_card: Some(a.card.clone()),
                    account: Some(a.snap.clone()),
                    context: None,
                })
                .map_err(|e| Reply::from_error(400, &e))?;
                let body = serde_json::to_value(&v).unwrap_or_default();
                if !v.valid {
                    return Ok(Reply {
                        status: 422,
                        body,
                        replayed: false,
                        retry_after: None,
                    });
                }
                a.snap.auto_reload = Some(settings);
                billing::save(db, &a)?;
                Ok(Reply::ok(
                    json!({ "validation": body, "autoReload": a.snap.auto_reload }),
                ))
            })
            .await
        }
        .await,
    )
}

// ---- webhook settings (dashboard session) ---------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct WebhookBody {
    /// Where balance alerts go; `null` stops deliveries (events wait in the outbox).
    url: Option<String>,
}

fn webhook_json(db: &mut dyn Sql, account: &str) -> R<Value> {
    let rows = store(db.query(
        "SELECT webhook_url FROM accounts WHERE id = $1",
        &[account.into()],
    ))?;
    let row = rows
        .first()
        .ok_or_else(|| Reply::error(404, "account_not_found", None, "no such account"))?;
    Ok(json!({ "url": row[0].text() }))
}

async fn webhook_settings(State(st): State<Shared>, headers: HeaderMap) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require(READ)?;
            read(&st, move |db| Ok(Reply::ok(webhook_json(db, &c.account)?))).await
        }
        .await,
    )
}

async fn set_webhook(State(st): State<Shared>, headers: HeaderMap, b: Body) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require_session()?;
            let (w, _): (WebhookBody, _) = body(&headers, b).await?;
            if let Some(u) = &w.url {
                webhooks::check_url(u, st.config.allow_private_webhooks)?;
            }
            job(&st, Some(c.account.clone()), move |db| {
                store(db.exec(
                    "UPDATE accounts SET webhook_url = $1 WHERE id = $2",
                    &[w.url.clone().into(), c.account.as_str().into()],
                ))?;
                Ok(Reply::ok(webhook_json(db, &c.account)?))
            })
            .await
        }
        .await,
    )
}

/// A new signing secret, answered once; deliveries from now on are signed with it.
async fn rotate_webhook_secret(State(st): State<Shared>, headers: HeaderMap) -> Response {
    done(
        async {
            let c = caller(&st, &headers).await?;
            c.require_session()?;
            job(&st, Some(c.account.clone()), move |db| {
                let secret = auth::token("whsec_")?;
                store(db.exec(
                    "UPDATE accounts SET webhook_secret = $1 WHERE id = $2",
                    &[secret.as_str().into(), c.account.as_str().into()],
                ))?;
                let mut out = webhook_json(db, &c.account)?;
                out["secret"] = json!(secret);
                Ok(Reply::ok(out))
            })
            .await
        }
        .await,
    )
}

// ---- administration ---------------------------------------------------------------------

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

pub fn create(db: &mut dyn Sql, n: NewAccount, t: Instant) -> R<Reply> {
    if n.id.is_empty()
        || n.id.len() > 64
        || !n
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err(Reply::error(
            400,
            "invalid_value",
            Some("id"),
            "account ids are 1 to 64 of [A-Za-z0-9_-]",
        ));
    }
    let card: RateCard = crate::ops::parse(&n.rate_card)
        .map_err(|e| Reply::from_error(400, &e.within("rateCard")))?;
    let snap: Account =
        crate::ops::parse(&n.account).map_err(|e| Reply::from_error(400, &e.within("account")))?;
    card.validate()
        .map_err(|e| Reply::invalid(e.within("rateCard")))?;
    snap.validate(&card)
        .map_err(|e| Reply::invalid(e.within("account")))?;
    if !store(db.query(
        "SELECT id FROM accounts WHERE id = $1",
        &[n.id.as_str().into()],
    ))?
    .is_empty()
    {
        return Err(Reply::error(
            409,
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
    Ok(Reply {
        status: 201,
        body: json!({ "accountId": n.id, "apiKey": api_key, "readKey": read_key,
        "sessionToken": session, "webhookSecret": secret }),
        replayed: false,
        retry_after: None,
    })
}

async fn create_account(
    State(st): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    b: Body,
) -> Response {
    done(
        async {
            admin(&st, &headers, from.ip())?;
            let (n, _): (NewAccount, _) = body(&headers, b).await?;
            if let Some(u) = &n.webhook_url {
                webhooks::check_url(u, st.config.allow_private_webhooks)?;
            }
            job(&st, Some(n.id.clone()), move |db| create(db, n, now())).await
        }
        .await,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCredential {
    kind: String,
    #[serde(default)]
    scopes: Vec<String>,
}

async fn issue_credential(
    State(st): State<Shared>,
    ConnectInfo(from): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(id): Path<String>,
    b: Body,
) -> Response {
    done(
        async {
            admin(&st, &headers, from.ip())?;
            let (n, _): (NewCredential, _) = body(&headers, b).await?;
            if !matches!(n.kind.as_str(), "key" | "session")
                || n.scopes.iter().any(|s| ![READ, WRITE, CREDIT].contains(&s.as_str()))
            {
                return Err(Reply::error(
                    400,
                    "invalid_value",
                    Some("kind"),
                    "kind is `key` or `session`; scopes are billing:read, billing:write and billing:credit",
                ));
            }
            job(&st, Some(id.clone()), move |db| {
                load(db, &id, false)?;
                let t = auth::issue(db, &id, &n.kind, &n.scopes.join(" "), &now().to_string())?;
                Ok(Reply {
                    status: 201,
                    body: json!({ "token": t, "kind": n.kind, "scopes": n.scopes }),
                    replayed: false,
                    retry_after: None,
                })
            })
            .await
        }
        .await,
    )
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
            Box::new(move |db| {
                let created = create(db, n, t).unwrap_or_else(|e| e);
                if created.status == 409 {
                    let ts = t.to_string();
                    let key = auth::issue(db, "demo", "key", &format!("{READ} {WRITE}"), &ts);
                    let session = auth::issue(db, "demo", "session", "", &ts);
                    return match (key, session) {
                        (Ok(k), Ok(s)) => Reply::ok(json!({ "apiKey": k, "sessionToken": s })),
                        (Err(e), _) | (_, Err(e)) => e,
                    };
                }
                created
            }),
        )
        .await
        .map_err(|e| e.to_string())?;
    if !r.is_ok() {
        return Err(format!("demo account: {}", r.body));
    }
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

// ---- operations ----------------------------------------------------------------------------

/// The process lives (a load balancer's liveness probe): answers without the store.
async fn health() -> Response {
    respond(Reply::ok(json!({ "status": "ok" })))
}

/// The store answers (the readiness probe): a statement through the writer and a reader
/// within `READY_TIMEOUT`, else 503 `store_unavailable`, so traffic goes elsewhere.
async fn ready(State(st): State<Shared>) -> Response {
    const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
    let ping = |db: &mut dyn Sql| -> R<Reply> {
        store(db.query("SELECT 1", &[]))?;
        Ok(Reply::ok(json!(null)))
    };
    let both = async { (job(&st, None, ping).await, read(&st, ping).await) };
    let r = match tokio::time::timeout(READY_TIMEOUT, both).await {
        Ok((Ok(_), Ok(_))) => Ok(Reply::ok(json!({ "status": "ready" }))),
        Ok((Err(e), _)) | Ok((_, Err(e))) => Err(e),
        Err(_) => Err(Reply::error(
            503,
            "store_unavailable",
            None,
            "the store did not answer in time",
        )
        .retry_after(1)),
    };
    done(r)
}

// ---- documents and the dashboard ----------------------------------------------------------

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../docs/openapi.json"),
    )
        .into_response()
}

async fn static_files(State(st): State<Shared>, method: Method, uri: Uri) -> Response {
    let not_found = || {
        respond(Reply::error(
            404,
            "not_found",
            None,
            format!("no route for {method} {}", uri.path()),
        ))
    };
    if method != Method::GET {
        return not_found();
    }
    let Some(dir) = &st.config.static_dir else {
        return not_found();
    };
    let path = uri.path().trim_start_matches('/');
    if path.split('/').any(|p| p == ".." || p.starts_with('.')) {
        return not_found();
    }
    let file = if path.is_empty() {
        dir.join("index.html")
    } else {
        dir.join(path)
    };
    let Ok(bytes) = tokio::fs::read(&file).await else {
        return not_found();
    };
    let ct = match file.extension().and_then(|e| e.to_str()) {
        Some("html") => "text/html; charset=utf-8",
        Some("js") | Some("mjs") => "text/javascript",
        Some("css") => "text/css",
        Some("wasm") => "application/wasm",
        Some("json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        _ => "application/octet-stream",
    };
    ([(header::CONTENT_TYPE, ct)], bytes).into_response()
}
