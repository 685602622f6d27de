//! The books: what each request does to an account, as jobs over a store connection, with
//! no HTTP in them. Listed from the bottom layer up: credentials, accounts and their
//! idempotency keys, expiries, billing profiles, invoices, the payment providers,
//! payments, plan fees and settlements, usage, calls, leases, the wallet, reports, the
//! scheduler's bookings and administration.

pub mod accounts;
pub mod admin;
pub mod auth;
pub mod calls;
pub mod card_versions;
pub mod charges;
pub mod due;
pub mod expiries;
pub mod fees;
pub mod forecast;
pub mod idempotency;
pub mod inbound;
pub mod invoice_pdf;
pub mod invoices;
pub mod late;
pub mod leases;
pub mod payment_methods;
pub mod payments;
pub mod plans;
pub mod prices;
pub mod profile;
pub mod provider;
pub mod reports;
pub mod runway_low;
pub mod schedule;
pub mod settlement;
pub mod steps;
pub mod usage;
pub mod wallet;
pub mod webhooks;
