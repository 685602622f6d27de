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
    /// The card a setup saved, once the customer confirmed it with the provider (Stripe's
    /// SetupIntent). The test providers take Stripe's test card numbers, which the page
    /// sends in place of the provider's own card form.
    fn confirm_setup(&self, _setup_id: &str, card: &TestCard) -> R<SavedCard> {
        test_card(card)
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
    fn confirm_setup(&self, setup_id: &str, card: &TestCard) -> R<SavedCard> {
        self.provider.confirm_setup(setup_id, card)
    }
    fn seller(&self) -> Option<&Seller> {
        self.seller.as_deref()
    }
    fn allowances_wait_for_fee(&self) -> bool {
        self.allowances_wait_for_fee
    }
}

/// What the page sends of a card for the test providers (a real provider's card form talks to
/// the provider, never to this server).
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TestCard {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// A saved card as the provider describes it: enough to choose it, nothing to charge it with.
#[derive(Debug, Clone)]
pub struct SavedCard {
    pub brand: &'static str,
    pub last4: String,
    pub exp_month: u32,
    pub exp_year: u32,
}

/// Stripe's test cards: 4242 4242 4242 4242 (Visa) and 5555 5555 5555 4444 (Mastercard)
/// save; 4000 0000 0000 0002 and every other number are declined, as is a month that is not
/// 1-12 or a year outside 2000-2100.
fn test_card(card: &TestCard) -> R<SavedCard> {
    let digits: String = card.number.chars().filter(|c| !c.is_whitespace()).collect();
    let brand = match digits.as_str() {
        "4242424242424242" => "visa",
        "5555555555554444" => "mastercard",
        _ => "",
    };
    let dated = (1..=12).contains(&card.exp_month) && (2000..=2100).contains(&card.exp_year);
    if brand.is_empty() || !dated {
        let why = if dated {
            "the card was declined"
        } else {
            "the expiry date is not a month and year"
        };
        return Err(crate::server::outcome::Failure::new(
            crate::server::outcome::ServerCode::CardDeclined,
            Some(if dated {
                "card.number"
            } else {
                "card.expMonth"
            }),
            format!("{why} (the test provider saves 4242 4242 4242 4242 and 5555 5555 5555 4444)"),
        ));
    }
    Ok(SavedCard {
        brand,
        last4: digits[digits.len() - 4..].to_string(),
        exp_month: card.exp_month,
        exp_year: card.exp_year,
    })
}
