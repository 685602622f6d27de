//! drawdown: an exact-decimal rating and credit-deduction engine.
//!
//! The core is pure functions over plain data (SEMANTICS.md, CONTRACT.md): rating usage
//! into charge lines, drawing them down through plan allowances and credit grants,
//! auto-reload, balance alerts and the pre-call check. No I/O, no clock, no floats.

pub mod alerts;
pub mod amount;
pub mod authorize;
pub mod calendar;
pub mod call_body;
pub mod drawdown;
pub mod edge;
pub mod error;
pub mod id;
pub mod lease;
pub mod ledger;
pub mod live;
pub mod model;
pub mod ops;
mod pathde;
pub mod pools;
pub mod rating;
pub mod reload;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
pub mod server;
pub mod tax;
pub mod tzdata;
pub mod vat_id;
pub mod vectors;
#[cfg(target_arch = "wasm32")]
pub mod wasm;
pub mod words;

pub use alerts::{evaluate_alerts, AlertsInput, AlertsOutput};
pub use authorize::{authorize_call, Authorization, AuthorizeInput};
pub use drawdown::{preview_drawdown, Preview, PreviewInput};
pub use error::{Error, Result};
pub use ops::{canonical, eval};
pub use rating::{quote_call, Quote, QuoteInput};
pub use reload::{validate_auto_reload, ValidateInput, Validation};
pub use tax::{quote_top_up, TopUpInput, TopUpQuote};

/// The crate version, as the npm package and the server report it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
