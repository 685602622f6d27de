//! drawdown: an exact-decimal rating and credit-deduction engine.
//!
//! The core is pure functions over plain data (SEMANTICS.md, CONTRACT.md): rating usage
//! into charge lines, drawing them down through plan allowances and credit grants,
//! auto-reload, balance alerts and the pre-call check. No I/O, no clock, no floats.

pub mod engine;
pub mod ops;
#[cfg(all(feature = "server", not(target_arch = "wasm32")))]
pub mod server;
pub mod tax;
pub mod vectors;
pub mod wasm;

// The engine's modules at the crate's root, as the package and the tests name them.
pub use engine::{
    alerts, amount, authorize, calendar, call_body, drawdown, edge, error, id, lease, ledger, live,
    model, pools, rating, reload, runway, tzdata,
};
pub use tax::vat_id;

pub use engine::alerts::{evaluate_alerts, AlertsInput, AlertsOutput};
pub use engine::authorize::{authorize_call, Authorization, AuthorizeInput};
pub use engine::drawdown::{preview_drawdown, Preview, PreviewInput};
pub use engine::error::{Error, Result};
pub use engine::rating::{quote_call, Quote, QuoteInput};
pub use engine::reload::{validate_auto_reload, ValidateInput, Validation};
pub use engine::runway::{forecast_runway, Runway, RunwayInput};
pub use ops::{canonical, eval};
pub use tax::{quote_top_up, TopUpInput, TopUpQuote};

/// The crate version, as the npm package and the server report it.
pub fn version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
