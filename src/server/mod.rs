//! `drawdown serve`: the authoritative server, in layers from the bottom up (each imports
//! only those below it; `tests/layers.rs` checks it):
//!
//! - `outcome` and `clock`: what a job answers and what time it is;
//! - `storage`: SQLite and PostgreSQL behind one SQL interface, the writer's group commit;
//! - `books`: what each request does to an account, as jobs over a connection (no HTTP);
//! - `http`: the router, the extractors, the listener and the handlers (axum on tokio).
//!
//! No credit arithmetic lives here (that is the engine's `ledger`, `authorize`, `live`).

pub mod books;
pub mod clock;
pub mod http;
pub mod outcome;
pub mod storage;

pub use books::{auth, invoices, profile, provider, webhooks};
pub use clock::now;
pub use http::router::ROUTES;
pub use http::state::{Config, Shared, State};
use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use storage::store;

/// Open the store, start the writer and the webhook sender, and serve until stopped.
pub fn serve(mut config: Config) -> Result<(), String> {
    if config.demo && config.seller.is_none() {
        config.seller = Some(Arc::new(invoices::Seller::demo()));
    }
    config.provider = Arc::new(books::provider::Invoicing {
        provider: config.provider.clone(),
        seller: config.seller.clone(),
        allowances_wait_for_fee: !config.allowances_before_fee,
    });
    if let Some(t) = &config.admin_token {
        if t.chars().count() < auth::MIN_ADMIN_TOKEN {
            return Err(format!(
                "the admin token must be at least {} characters (it guards every account); \
                 generate one with `openssl rand -hex 32`",
                auth::MIN_ADMIN_TOKEN
            ));
        }
    }
    let at = store::Location::parse(&config.database_url);
    let writer = store::Workers::writer(at.open_writer()?, at.clone(), Result::is_ok);
    let readers = store::Workers::readers(store::READERS, at, Result::is_ok);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async move {
        let listener = tokio::net::TcpListener::bind(&config.addr)
            .await
            .map_err(|e| format!("cannot listen on {}: {e}", config.addr))?;
        let local = listener.local_addr().map_err(|e| e.to_string())?;
        let state = Arc::new(State {
            writer,
            readers,
            config: config.clone(),
            callers: RwLock::new(HashMap::new()),
            admin_throttle: auth::Throttle::default(),
        });
        if config.demo {
            http::admin::demo(&state, local).await?;
        }
        let hooks = webhooks::client(config.allow_private_webhooks, config.webhook_ca.as_deref())?;
        tokio::spawn(http::sender::run(state.clone(), hooks));
        crate::server::books::due::set_live_skew(config.window.live_skew);
        tokio::spawn(http::ticker::run(state.clone()));
        println!("drawdown {} listening on http://{local}", crate::version());
        println!(
            "  API:       http://{local}/billing/wallet (OpenAPI: http://{local}/openapi.json)"
        );
        match &config.static_dir {
            Some(d) => println!("  dashboard: http://{local}/ (from {})", d.display()),
            None => println!("  dashboard: not served (no --static DIR)"),
        }
        println!("  store:     {}", redact(&config.database_url));
        println!("  payments:  {}", config.provider.name());
        match &config.seller {
            Some(s) => println!(
                "  invoices:  {} ({}, VAT ID {}); VIES: {}",
                s.name,
                s.country,
                s.vat_id,
                config.vies.name()
            ),
            None => {
                println!("  invoices:  no seller VAT details (--seller): top-ups are charged net")
            }
        }
        http::listen::serve(listener, http::router::router(state)).await
    })
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}
