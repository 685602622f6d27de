//! HTTP: the router, the extractors, the listener and the handlers, which read the request,
//! check the caller and hand the work to the books on the writer or a reader (`jobs`).
//! Nothing below this layer knows HTTP.

pub mod admin;
pub mod auth;
pub mod calls;
pub mod extract;
pub mod jobs;
pub mod leases;
pub mod limits;
pub mod listen;
pub mod payment_methods;
pub mod profile;
pub mod reports;
pub mod respond;
pub mod router;
pub mod sender;
pub mod state;
pub mod ticker;
pub mod usage;
pub mod wallet;
