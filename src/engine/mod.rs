//! The engine (SEMANTICS 1-12): pure functions over plain data, no I/O, no clock, no floats.
//! Its modules form layers; each imports only those listed before it (`tests/layers.rs`):
//! errors and ids, amounts, the calendar, alerts, the contract's objects, rating, the pools,
//! auto-reload, the drawdown, the runway forecast, the ledger, the re-draw of late usage, the pre-call check, live calls, leases, the
//! server's call bodies and the edge's protocol.

pub mod alerts;
pub mod amount;
pub mod authorize;
pub mod calendar;
pub mod call_body;
pub mod drawdown;
pub mod edge;
pub mod error;
pub mod id;
pub mod inbound;
pub mod lease;
pub mod ledger;
pub mod live;
pub mod model;
pub(crate) mod pathde;
pub mod pools;
pub mod rating;
pub mod redraw;
pub mod reload;
pub mod runway;
pub mod tzdata;
