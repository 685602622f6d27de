//! The HTTP API: the router (seed 000's billing endpoints plus usage, the pre-call check,
//! live calls, leases, the ledger and administration) and the operational routes. Handlers
//! live by concern beside it (`wallet`, `usage`, `calls`, `leases`, `profile`, `reports`,
//! `admin`, `auth`) and reach the store through `jobs`; `docs/openapi.json` describes every
//! route.

use super::jobs::{job, read};
use super::state::Shared;
use super::{
    admin, auth, calls, leases, limits, listen, payment_methods, profile, reports, usage, wallet,
};
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Done, Failure, R};
use crate::server::storage::memo::Db;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post, put};
use axum::Router;

/// Every route, as `docs/openapi.json` must describe it (a test compares the two).
pub const ROUTES: &[(&str, &str)] = &[
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/openapi.json"),
    ("GET", "/billing/wallet"),
    ("GET", "/billing/account"),
    ("POST", "/billing/wallet/credit"),
    ("POST", "/billing/wallet/topup"),
    ("POST", "/billing/wallet/topup/quote"),
    ("GET", "/billing/profile"),
    ("PUT", "/billing/alerts"),
    ("PUT", "/billing/agents/{id}"),
    ("PUT", "/billing/profile"),
    ("PUT", "/billing/wallet/auto-reload"),
    ("GET", "/billing/payment-methods"),
    ("POST", "/billing/payment-methods"),
    ("POST", "/billing/payment-methods/setup"),
    ("PUT", "/billing/payment-methods/{id}/default"),
    ("DELETE", "/billing/payment-methods/{id}"),
    ("GET", "/billing/webhook"),
    ("PUT", "/billing/webhook"),
    ("POST", "/billing/webhook/secret"),
    ("GET", "/billing/limits/inbound"),
    ("PUT", "/billing/limits/inbound"),
    ("GET", "/billing/usage"),
    ("GET", "/billing/usage/items"),
    ("GET", "/billing/usage/events"),
    ("GET", "/billing/plans"),
    ("GET", "/billing/plans/{id}/versions"),
    ("GET", "/billing/subscription"),
    ("POST", "/billing/subscription"),
    ("GET", "/billing/invoices"),
    ("GET", "/billing/invoices/{id}/pdf"),
    ("GET", "/billing/payments/{id}"),
    ("GET", "/billing/ledger"),
    ("GET", "/billing/forecast"),
    ("GET", "/billing/rate-card"),
    ("GET", "/billing/rate-cards"),
    ("POST", "/usage"),
    ("POST", "/calls/authorize"),
    ("POST", "/calls"),
    ("GET", "/calls"),
    ("POST", "/calls/{id}/extend"),
    ("POST", "/calls/{id}/end"),
    ("GET", "/leases"),
    ("PUT", "/leases/{id}"),
    ("POST", "/leases/{id}/release"),
    ("GET", "/auth/whoami"),
    ("POST", "/admin/accounts"),
    ("POST", "/admin/accounts/{id}/credentials"),
    ("POST", "/admin/clock"),
    ("PUT", "/admin/accounts/{id}/rate-card"),
    ("DELETE", "/admin/accounts/{id}/rate-card/{version}"),
    ("PUT", "/admin/accounts/{id}/limits/inbound"),
    ("PUT", "/admin/plans/{id}"),
    ("DELETE", "/admin/plans/{id}/versions/{version}"),
    ("POST", "/payments/{id}/settle"),
    ("POST", "/payments/{id}/fail"),
    ("POST", "/payments/{id}/refund"),
];

pub fn router(state: Shared) -> Router {
    // The dashboard's files (tower-http's ServeDir: MIME types, ranges, no path escapes);
    // anything else unknown is the coded 404.
    let files = match &state.config.static_dir {
        Some(dir) => Router::new().fallback_service(tower_http::services::ServeDir::new(dir)),
        None => Router::new().fallback(not_found),
    };
    Router::new()
        .route("/health", get(health))
        .route("/ready", get(ready))
        .route("/openapi.json", get(openapi))
        .route("/billing/wallet", get(wallet::wallet))
        .route("/billing/account", get(wallet::account_inputs))
        .route("/billing/wallet/credit", post(wallet::credit))
        .route("/billing/wallet/topup", post(wallet::topup))
        .route("/billing/wallet/topup/quote", post(profile::quote))
        .route("/billing/alerts", put(wallet::set_alerts))
        .route("/billing/agents/{id}", put(wallet::set_agent))
        .route(
            "/billing/profile",
            get(profile::get_profile).put(profile::put_profile),
        )
        .route("/billing/wallet/auto-reload", put(wallet::auto_reload))
        .route(
            "/billing/payment-methods",
            get(payment_methods::list_methods).post(payment_methods::save_method),
        )
        .route(
            "/billing/payment-methods/setup",
            post(payment_methods::start_setup),
        )
        .route(
            "/billing/payment-methods/{id}/default",
            put(payment_methods::make_default),
        )
        .route(
            "/billing/payment-methods/{id}",
            delete(payment_methods::remove_method),
        )
        .route(
            "/billing/webhook",
            get(wallet::webhook_settings).put(wallet::set_webhook),
        )
        .route(
            "/billing/webhook/secret",
            post(wallet::rotate_webhook_secret),
        )
        .route("/billing/limits/inbound", get(limits::get).put(limits::put))
        .route("/billing/usage", get(reports::usage_summary))
        .route("/billing/usage/items", get(reports::usage_items))
        .route("/billing/usage/events", get(reports::usage_events))
        .route("/billing/plans", get(reports::plans))
        .route("/billing/plans/{id}/versions", get(reports::plan_versions))
        .route(
            "/billing/subscription",
            get(reports::subscription).post(reports::subscribe),
        )
        .route("/billing/invoices", get(reports::invoices))
        .route("/billing/invoices/{id}/pdf", get(reports::invoice_pdf))
        .route("/billing/payments/{id}", get(reports::payment))
        .route("/billing/ledger", get(reports::ledger))
        .route("/billing/forecast", get(reports::forecast))
        .route("/billing/rate-card", get(reports::rate_card))
        .route("/billing/rate-cards", get(reports::rate_cards))
        .route("/usage", post(usage::record_usage))
        .route("/calls/authorize", post(usage::authorize))
        .route("/calls", post(calls::start).get(calls::list))
        .route("/calls/{id}/extend", post(calls::extend))
        .route("/calls/{id}/end", post(calls::end))
        .route("/leases", get(leases::list))
        .route("/leases/{id}", put(leases::put))
        .route("/leases/{id}/release", post(leases::release))
        .route("/auth/whoami", get(auth::whoami))
        .route("/admin/accounts", post(admin::create_account))
        .route(
            "/admin/accounts/{id}/credentials",
            post(admin::issue_credential),
        )
        .route("/admin/clock", post(admin::advance_clock))
        .route(
            "/admin/accounts/{id}/rate-card",
            put(admin::schedule_rate_card),
        )
        .route(
            "/admin/accounts/{id}/limits/inbound",
            put(limits::admin_put),
        )
        .route(
            "/admin/accounts/{id}/rate-card/{version}",
            delete(admin::cancel_rate_card),
        )
        .route("/admin/plans/{id}", put(admin::schedule_plan))
        .route(
            "/admin/plans/{id}/versions/{version}",
            delete(admin::cancel_plan),
        )
        .route("/payments/{id}/settle", post(admin::settle_payment))
        .route("/payments/{id}/fail", post(admin::fail_payment))
        .route("/payments/{id}/refund", post(admin::refund_payment))
        .fallback_service(files)
        .layer(axum::middleware::from_fn(listen::coded_errors))
        .layer(axum::middleware::from_fn(listen::limit_headers))
        .with_state(state)
}

// ---- operations ----------------------------------------------------------------------------

/// `{"status": ...}`: the probes' answers.
#[derive(serde::Serialize)]
struct Status {
    status: &'static str,
}

/// The process lives (a load balancer's liveness probe): answers without the store.
async fn health() -> Done<Status> {
    Done::ok(Status { status: "ok" })
}

/// The store answers (the readiness probe): a statement through the writer and a reader
/// within `READY_TIMEOUT`, else 503 `store_unavailable`, so traffic goes elsewhere.
async fn ready(State(st): State<Shared>) -> R<Done<Status>> {
    const READY_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);
    let ping = |db: &mut dyn Db| -> R<()> {
        store(db.query("SELECT 1", &[]))?;
        Ok(())
    };
    let both = async { (job(&st, None, ping).await, read(&st, ping).await) };
    let r = match tokio::time::timeout(READY_TIMEOUT, both).await {
        Ok((Ok(_), Ok(_))) => Ok(Done::ok(Status { status: "ready" })),
        Ok((Err(e), _)) | Ok((_, Err(e))) => Err(e),
        Err(_) => Err(Failure::new(
            ServerCode::StoreUnavailable,
            None,
            "the store did not answer in time",
        )
        .retry_after(1)),
    };
    r
}

// ---- documents and the dashboard ----------------------------------------------------------

async fn openapi() -> Response {
    (
        [(header::CONTENT_TYPE, "application/json")],
        include_str!("../../../docs/openapi.json"),
    )
        .into_response()
}

async fn not_found(uri: axum::http::Uri) -> Failure {
    Failure::new(
        ServerCode::NotFound,
        None,
        format!("no route for {}", uri.path()),
    )
}
