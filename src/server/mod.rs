//! `drawdown serve`: the authoritative server. A thin HTTP layer (axum on tokio) over the
//! core and the store; no credit arithmetic lives here (that is `ledger`, `authorize`,
//! `reload` in the core).

mod admin;
pub mod auth;
pub mod billing;
mod calls;
mod extract;
mod invoice_pdf;
pub mod invoices;
mod leases;
mod listen;
mod memo;
mod outcome;
mod postgres;
pub mod profile;
mod reports;
mod rollup;
mod routes;
pub mod store;
mod usage;
mod wallet;
pub mod webhooks;

use billing::Provider;
use outcome::{Done, R};
pub use routes::ROUTES;
use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, RwLock};

/// What `drawdown serve` is started with.
#[derive(Debug, Clone)]
pub struct Config {
    pub addr: String,
    pub database_url: String,
    pub admin_token: Option<String>,
    pub provider: Provider,
    /// Where the dashboard's built files are (served at `/`).
    pub static_dir: Option<std::path::PathBuf>,
    /// Create a demo account on first start and print its credentials.
    pub demo: bool,
    /// How far from the server's clock usage may be dated (SEMANTICS 14).
    pub window: billing::Window,
    /// Webhooks may go to loopback and private addresses (tests, a receiver on the same
    /// host); off by default, so a URL cannot reach the server's own network.
    pub allow_private_webhooks: bool,
    /// A root certificate (PEM) webhook deliveries trust besides the public roots.
    pub webhook_ca: Option<std::path::PathBuf>,
    /// The platform's details on its invoices and the VAT rules it sells under
    /// (SEMANTICS 13). Without one, top-ups are charged net and invoices say no VAT applies.
    pub seller: Option<Arc<invoices::Seller>>,
    /// Where VAT IDs are checked (VIES).
    pub vies: Arc<dyn profile::Vies>,
    /// `POST /admin/clock` may move the server's clock ahead (tests only).
    pub test_clock: bool,
}

pub struct State {
    /// The writer thread (every write, group-committed) and the readers (reports, wallet,
    /// credential look-ups), each on its own connections.
    pub writer: store::Workers<R<Done>>,
    pub readers: store::Workers<R<Done>>,
    pub config: Config,
    /// Credential hash -> caller. Credentials are never changed once issued, so a hit
    /// saves the store a lookup on every request.
    pub callers: RwLock<HashMap<String, auth::Caller>>,
    pub admin_throttle: auth::Throttle,
}

pub type Shared = Arc<State>;

/// How far `drawdown serve --test-clock` has been moved ahead (`POST /admin/clock`), in
/// milliseconds; 0 without the flag, so a production server reads the system clock alone.
static CLOCK_AHEAD_MS: AtomicI64 = AtomicI64::new(0);

/// The most one `POST /admin/clock` moves the test clock (a year).
pub const MAX_CLOCK_STEP_SECONDS: i64 = 366 * 86_400;

/// The current instant, from the system clock (the core never reads one), moved ahead by
/// the test clock.
pub fn now() -> crate::calendar::Instant {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    let t =
        chrono::DateTime::from_timestamp(d.as_secs() as i64, d.subsec_nanos()).unwrap_or_default();
    let ahead = chrono::Duration::milliseconds(CLOCK_AHEAD_MS.load(Ordering::Relaxed));
    crate::calendar::Instant(t + ahead)
}

/// Move the server's clock ahead (Stripe's test clocks: time is an input of the tests, and
/// it only moves forward, as a real clock does). Answers the new now.
pub(crate) fn advance_clock(seconds: i64) -> crate::calendar::Instant {
    CLOCK_AHEAD_MS.fetch_add(seconds.saturating_mul(1000), Ordering::Relaxed);
    now()
}

/// Open the store, start the writer and the webhook sender, and serve until stopped.
pub fn serve(mut config: Config) -> Result<(), String> {
    if config.demo && config.seller.is_none() {
        config.seller = Some(Arc::new(invoices::Seller::demo()));
    }
    config.provider = Arc::new(invoices::Invoicing {
        provider: config.provider.clone(),
        seller: config.seller.clone(),
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
            admin::demo(&state, local).await?;
        }
        let hooks = webhooks::client(&config)?;
        tokio::spawn(webhooks::run(state.clone(), hooks));
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
        listen::serve(listener, routes::router(state)).await
    })
}

fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => format!("{}://***{}", &url[..s], &url[at..]),
        _ => url.to_string(),
    }
}
