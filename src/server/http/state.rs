//! What every handler shares: the configuration `drawdown serve` started with and the
//! workers that own the store's connections.

use crate::server::books::auth;
use crate::server::books::provider::Provider;
use crate::server::books::usage;
use crate::server::books::{invoices, profile};
use crate::server::outcome::Answer;
use crate::server::storage::store;
use std::collections::HashMap;
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
    pub window: usage::Window,
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
    /// A new cycle's allowances are usable before its plan fee settles (SEMANTICS 16: by
    /// default they wait).
    pub allowances_before_fee: bool,
}

pub struct State {
    /// The writer thread (every write, group-committed) and the readers (reports, wallet,
    /// credential look-ups), each on its own connections.
    pub writer: store::Workers<Answer>,
    pub readers: store::Workers<Answer>,
    pub config: Config,
    /// Credential hash -> caller. Credentials are never changed once issued, so a hit
    /// saves the store a lookup on every request.
    pub callers: RwLock<HashMap<String, auth::Caller>>,
    pub admin_throttle: auth::Throttle,
}

pub type Shared = Arc<State>;
