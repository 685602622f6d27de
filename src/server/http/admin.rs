//! The HTTP handlers of `books::admin`: each reads its request, checks the caller's scope and
//! hands the work to the books on the writer (`job`) or a reader (`read`).

use crate::engine::error::Code;
use crate::server::books::accounts::load;
use crate::server::books::admin::*;
use crate::server::books::auth::{self, CREDIT, LEASE, READ, WRITE};
use crate::server::books::card_versions::Version;
use crate::server::books::payments;
use crate::server::books::plans;
use crate::server::books::prices;
use crate::server::books::settlement;
use crate::server::books::webhooks;
use crate::server::clock::now;
use crate::server::http::extract::{Admin, JsonBody};
use crate::server::http::jobs::{job, read};
use crate::server::http::state::Shared;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, Kind, R};
use axum::extract::{Path, State};
use serde_json::json;

pub(crate) async fn create_account(
    State(st): State<Shared>,
    _: Admin,
    JsonBody(n, _): JsonBody<NewAccount>,
) -> R<Done<Created>> {
    if let Some(u) = &n.webhook_url {
        webhooks::check_url(u, st.config.allow_private_webhooks)?;
    }
    let made = job(&st, Some(n.id.clone()), move |db| create(db, n, now())).await?;
    Ok(Done::created(made))
}

/// A credential issued: its token is shown this once.
#[derive(serde::Serialize)]
pub(crate) struct Credential {
    token: String,
    kind: String,
    scopes: Vec<String>,
}

pub(crate) async fn issue_credential(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
    JsonBody(n, _): JsonBody<NewCredential>,
) -> R<Done<Credential>> {
    if !matches!(n.kind.as_str(), "key" | "session")
        || n.scopes
            .iter()
            .any(|s| ![READ, WRITE, CREDIT, LEASE].contains(&s.as_str()))
    {
        return Err(Failure::engine(
            Kind::Malformed,
            Code::InvalidValue,
            Some("kind"),
            "kind is `key` or `session`; scopes are billing:read, billing:write, billing:credit and billing:lease",
        ));
    }
    job(&st, Some(id.clone()), move |db| {
        load(db, &id, false)?;
        let t = auth::issue(db, &id, &n.kind, &n.scopes.join(" "), &now().to_string())?;
        Ok(Done::created(Credential {
            token: t,
            kind: n.kind,
            scopes: n.scopes,
        }))
    })
    .await
}

/// The demo account `drawdown serve --demo` creates: seed 000's card ($10 = 1,000
/// credits, toll-free +2 credits/min) with a $10 top-up.
pub async fn demo(st: &Shared, addr: std::net::SocketAddr) -> Result<(), String> {
    let n = NewAccount {
        id: "demo".into(),
        name: Some("Demo".into()),
        rate_card: serde_json::from_str(include_str!("../../../examples/demo-rate-card.json"))
            .map_err(|e| e.to_string())?,
        account: json!({ "timeZone": "America/New_York", "grants": [
            { "id": "topup-opening", "type": "prepaid", "remaining": "1000" } ],
            "alerts": { "info": { "threshold": "500" }, "warning": { "threshold": "200" }, "critical": { "threshold": "50" } },
            "limits": { "minTopUp": "10.00", "maxTopUp": "1000.00" } }),
        webhook_url: None,
    };
    let t = now();
    let (key, session) = job(st, Some("demo".into()), move |db| {
        let ts = t.to_string();
        match create(db, n, t) {
            Ok(made) => Ok((made.api_key, made.session_token)),
            Err(e) if e.kind == Kind::Conflict => Ok((
                auth::issue(db, "demo", "key", &format!("{READ} {WRITE}"), &ts)?,
                auth::issue(db, "demo", "session", "", &ts)?,
            )),
            Err(e) => Err(e),
        }
    })
    .await
    .map_err(|f| format!("demo account: {f}"))?;
    println!("demo account `demo`:");
    println!("  API key (billing:read billing:write): {key}");
    println!("  dashboard with a session: http://{addr}/#session={session}");
    Ok(())
}

/// The payment provider confirmed a payment: its credits land (`--payments manual`).
pub(crate) async fn settle_payment(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
) -> R<Done<payments::PaymentState>> {
    let owner = payment_owner(&st, &id).await?;
    let provider = st.config.provider.clone();
    job(&st, owner, move |db| {
        settlement::settle(db, provider.as_ref(), &id, now())
    })
    .await
}

/// The payment provider reports a payment failed (a declined card): nothing lands, and a
/// plan fee leaves the subscription `past_due`.
pub(crate) async fn fail_payment(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
) -> R<Done<payments::PaymentState>> {
    let owner = payment_owner(&st, &id).await?;
    job(&st, owner, move |db| settlement::fail(db, &id, now())).await
}

/// The payment provider refunded a payment: its unspent credits leave the wallet and a
/// credit note refers to its invoice (SEMANTICS 13).
pub(crate) async fn refund_payment(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
) -> R<Done<payments::PaymentState>> {
    let owner = payment_owner(&st, &id).await?;
    job(&st, owner, move |db| {
        payments::refund_payment(db, &id, now())
    })
    .await
}

async fn payment_owner(st: &Shared, id: &str) -> R<Option<String>> {
    let pay = id.to_string();
    read(st, move |db| {
        let rows = store(db.query(
            "SELECT account_id FROM payments WHERE id = $1",
            &[pay.as_str().into()],
        ))?;
        Ok(rows.first().and_then(|r| r[0].text()).map(str::to_string))
    })
    .await
}

#[derive(serde::Serialize)]
pub(crate) struct Clock {
    now: crate::engine::calendar::Instant,
}

/// `POST /admin/clock` (only with `--test-clock`): move the server's clock ahead, so tests
/// see holds lapse, grants expire and cycles renew without waiting for the real clock.
pub(crate) async fn advance_clock(
    State(st): State<Shared>,
    _: Admin,
    JsonBody(b, _): JsonBody<ClockStep>,
) -> R<Done<Clock>> {
    if !st.config.test_clock {
        return Err(Failure::new(
            ServerCode::NotFound,
            None,
            "the server's clock moves only with `--test-clock`",
        ));
    }
    if !(0..=crate::server::clock::MAX_CLOCK_STEP_SECONDS).contains(&b.advance_seconds) {
        return Err(Failure::engine(
            Kind::Invalid,
            Code::InvalidValue,
            Some("advanceSeconds"),
            format!(
                "the clock moves ahead 0 to {} s at a time",
                crate::server::clock::MAX_CLOCK_STEP_SECONDS
            ),
        ));
    }
    Ok(Done::ok(Clock {
        now: crate::server::clock::advance_clock(b.advance_seconds),
    }))
}

/// `PUT /admin/accounts/{id}/rate-card`: a new version of the account's card, in force from
/// `effectiveFrom` (now by default; never the past).
pub(crate) async fn schedule_rate_card(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
    JsonBody(n, _): JsonBody<prices::NewVersion>,
) -> R<Done<Version>> {
    job(&st, Some(id.clone()), move |db| {
        prices::schedule(db, &id, n, now()).map(Done::ok)
    })
    .await
}

/// `DELETE /admin/accounts/{id}/rate-card/{version}`: cancel a version before it takes effect.
pub(crate) async fn cancel_rate_card(
    State(st): State<Shared>,
    Path((id, version)): Path<(String, String)>,
    _: Admin,
) -> R<Done<Version>> {
    let n = version_number(&version)?;
    job(&st, Some(id.clone()), move |db| {
        prices::cancel(db, &id, n, now()).map(Done::ok)
    })
    .await
}

/// `PUT /admin/plans/{id}`: new terms for a plan from `effectiveFrom` (now by default): each
/// subscription takes them at its first cycle that starts then or later.
pub(crate) async fn schedule_plan(
    State(st): State<Shared>,
    Path(id): Path<String>,
    _: Admin,
    JsonBody(n, _): JsonBody<plans::NewPlanVersion>,
) -> R<Done<plans::PlanVersion>> {
    job(&st, None, move |db| {
        plans::schedule(db, &id, n, now()).map(Done::ok)
    })
    .await
}

/// `DELETE /admin/plans/{id}/versions/{version}`: cancel new terms before they take effect.
pub(crate) async fn cancel_plan(
    State(st): State<Shared>,
    Path((id, version)): Path<(String, String)>,
    _: Admin,
) -> R<Done<plans::PlanVersion>> {
    let n = version_number(&version)?;
    job(&st, None, move |db| {
        plans::cancel(db, &id, n, now()).map(Done::ok)
    })
    .await
}

fn version_number(text: &str) -> R<u64> {
    text.parse::<u64>().map_err(|_| {
        Failure::new(
            ServerCode::VersionNotFound,
            Some("version"),
            format!("`{text}` is not a version number"),
        )
    })
}
