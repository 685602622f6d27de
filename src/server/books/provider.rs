//! The payment-provider interface (seed 000: Stripe checkout) and the providers here: a
//! test provider that settles at once, a manual one settled through the admin API, and
//! `Invoicing`, which issues the invoice of every settled payment and carries the platform's
//! billing settings.

use super::invoices::Seller;
use crate::server::outcome::R;

/// The payment-provider interface (seed 000: Stripe checkout). A payment either settles
/// when it is started, and its credits land in the same transaction, or it stays pending
/// until the provider confirms it through `POST /payments/{id}/settle` (where a real
/// provider's webhook lands); a pending auto-reload blocks the next one meanwhile.
pub trait PaymentProvider: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    /// Whether a payment started now is settled at once.
    fn settles_at_once(&self) -> bool;
    /// The secret a checkout UI confirms the payment with.
    fn client_secret(&self, payment_id: &str) -> R<String> {
        Ok(format!("{payment_id}_secret_{}", super::auth::token("")?))
    }
    /// Whose invoices settled payments get, and whose VAT is charged (`invoices::Invoicing`).
    fn seller(&self) -> Option<&super::invoices::Seller> {
        None
    }
    /// Whether a cycle's allowances wait for its plan fee to settle (SEMANTICS 16: a
    /// setting of the platform, `--allowances-before-fee`; by default they wait).
    fn allowances_wait_for_fee(&self) -> bool {
        true
    }
}

/// The built-in test provider: every payment settles at once.
#[derive(Debug)]
pub struct TestProvider;

impl PaymentProvider for TestProvider {
    fn name(&self) -> &'static str {
        "test"
    }
    fn settles_at_once(&self) -> bool {
        true
    }
}

/// Payments wait for `POST /payments/{id}/settle`, as they would for a card provider.
#[derive(Debug)]
pub struct ManualProvider;

impl PaymentProvider for ManualProvider {
    fn name(&self) -> &'static str {
        "manual"
    }
    fn settles_at_once(&self) -> bool {
        false
    }
}

pub type Provider = std::sync::Arc<dyn PaymentProvider>;

/// A payment provider that invoices for `seller`: `serve` wraps the configured provider in
/// it, so every payment path (top-ups, reloads from usage, calls and leases, plan fees)
/// knows whose invoice a settled payment gets, and whether allowances wait for a fee,
/// without another parameter.
#[derive(Debug)]
pub struct Invoicing {
    pub provider: Provider,
    pub seller: Option<std::sync::Arc<Seller>>,
    pub allowances_wait_for_fee: bool,
}

impl PaymentProvider for Invoicing {
    fn name(&self) -> &'static str {
        self.provider.name()
    }
    fn settles_at_once(&self) -> bool {
        self.provider.settles_at_once()
    }
    fn client_secret(&self, payment_id: &str) -> R<String> {
        self.provider.client_secret(payment_id)
    }
    fn seller(&self) -> Option<&Seller> {
        self.seller.as_deref()
    }
    fn allowances_wait_for_fee(&self) -> bool {
        self.allowances_wait_for_fee
    }
}
