//! VAT on credit top-ups (SEMANTICS 13, seed 001 "VAT (if applicable, based on your
//! location) ... reverse charge applies (0% VAT)"): who is taxed where, at which rate, and the
//! one rounding per invoice and rate (EN 16931 BR-CO-17).

use crate::engine::amount::{check_money, dec};
use crate::engine::calendar::Instant;
use crate::engine::error::{coded, Code, Error, Result};
use crate::engine::model::RateCard;
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{de, Deserialize, Deserializer, Serialize};
use std::sync::OnceLock;

pub mod vat_id;

/// The EU member states (ISO 3166-1 alpha-2; Greece's VAT IDs say `EL`, its country is `GR`).
pub const MEMBER_STATES: [&str; 27] = [
    "AT", "BE", "BG", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR", "HU", "IE", "IT",
    "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE", "SI", "SK",
];

/// Every ISO 3166-1 alpha-2 code, two letters each, as tzdata's `iso3166.tab` lists them.
const ISO_3166: &str = "ADAEAFAGAIALAMAOAQARASATAUAWAXAZBABBBDBEBFBGBHBIBJBLBMBNBOBQBRBSBTBVBWBYBZ\
CACCCDCFCGCHCICKCLCMCNCOCRCUCVCWCXCYCZDEDJDKDMDODZECEEEGEHERESETFIFJFKFMFOFRGAGBGDGEGFGGGHGIGLGM\
GNGPGQGRGSGTGUGWGYHKHMHNHRHTHUIDIEILIMINIOIQIRISITJEJMJOJPKEKGKHKIKMKNKPKRKWKYKZLALBLCLILKLRLSLT\
LULVLYMAMCMDMEMFMGMHMKMLMMMNMOMPMQMRMSMTMUMVMWMXMYMZNANCNENFNGNINLNONPNRNUNZOMPAPEPFPGPHPKPLPMPN\
PRPSPTPWPYQARERORSRURWSASBSCSDSESGSHSISJSKSLSMSNSOSRSSSTSVSXSYSZTCTDTFTGTHTJTKTLTMTNTOTRTTTVTWTZ\
UAUGUMUSUYUZVAVCVEVGVIVNVUWFWSYEYTZAZMZW";

/// A country, by its ISO 3166-1 alpha-2 code (checked on input: `invalid_country`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Country(String);

impl Country {
    pub fn parse(code: &str) -> Option<Country> {
        let known = code.len() == 2
            && code.bytes().all(|b| b.is_ascii_uppercase())
            && ISO_3166.as_bytes().chunks(2).any(|c| c == code.as_bytes());
        known.then(|| Country(code.to_string()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
    pub fn in_eu(&self) -> bool {
        MEMBER_STATES.contains(&self.0.as_str())
    }
    /// A VAT ID of this country: canonical in a member state (format and check digits
    /// checked); elsewhere the engine knows no format and carries it as given.
    pub fn vat_id(&self, raw: &str) -> std::result::Result<String, vat_id::Refusal> {
        if self.in_eu() {
            vat_id::normalize(self.as_str(), raw)
        } else {
            Ok(raw.to_string())
        }
    }
}

impl<'de> Deserialize<'de> for Country {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        Country::parse(&code).ok_or_else(|| {
            de::Error::custom(coded(
                Code::InvalidCountry,
                format!("`{code}` is not an ISO 3166-1 alpha-2 country code (upper case, `DE`)"),
            ))
        })
    }
}

/// One member state's standard rate from an instant on, as a percentage (`"25.5"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RatePeriod {
    pub country: Country,
    pub valid_from: Instant,
    #[serde(with = "dec")]
    pub standard: Decimal,
}

#[derive(Deserialize)]
struct ShippedTable {
    rates: Vec<RatePeriod>,
}

/// The table shipped with the engine (src/tax/vat_rates.json; its source and corrections are in
/// the file, and `scripts/vat-rates.mjs` regenerates it).
pub fn shipped_rates() -> &'static [RatePeriod] {
    static TABLE: OnceLock<Vec<RatePeriod>> = OnceLock::new();
    TABLE.get_or_init(|| {
        // Read the way inputs are, so the WebAssembly build carries one JSON reader.
        let t: ShippedTable = crate::engine::pathde::parse_text(include_str!("vat_rates.json"))
            .expect("src/tax/vat_rates.json is checked by the tests");
        t.rates
    })
}

/// The standard rate in force in `country` at `at`: the latest period that began by then.
pub fn rate_at(table: &[RatePeriod], country: &Country, at: Instant) -> Option<Decimal> {
    table
        .iter()
        .filter(|p| p.country == *country && p.valid_from <= at)
        .max_by_key(|p| p.valid_from)
        .map(|p| p.standard)
}

fn check_table(table: &[RatePeriod]) -> Result<()> {
    for (i, p) in table.iter().enumerate() {
        if p.standard < Decimal::ZERO || p.standard >= Decimal::ONE_HUNDRED {
            let msg = "a standard rate is a percentage from 0 up to (not including) 100";
            return Err(Error::at(
                Code::InvalidValue,
                &format!("rates[{i}].standard"),
                msg,
            ));
        }
        if table[..i]
            .iter()
            .any(|q| q.country == p.country && q.valid_from == p.valid_from)
        {
            let msg = format!("a second {} rate from {}", p.country.as_str(), p.valid_from);
            return Err(Error::at(
                Code::InvalidValue,
                &format!("rates[{i}].validFrom"),
                msg,
            ));
        }
    }
    Ok(())
}

/// Where a supply is taxed (SEMANTICS 13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Treatment {
    /// The customer is in the seller's member state: the seller's rate.
    Domestic,
    /// A business in another member state with a verified VAT ID: 0 %, the customer accounts
    /// for the VAT (VAT Directive art. 196).
    ReverseCharge,
    /// A customer in another member state without a verified VAT ID: the customer's rate (the
    /// OSS rule for electronically supplied services, art. 58).
    Destination,
    /// A customer outside the EU: not subject to EU VAT.
    OutsideScope,
}

impl Treatment {
    pub fn of(seller: &Country, customer: &Country, verified_vat_id: bool) -> Treatment {
        if customer == seller {
            Treatment::Domestic
        } else if !customer.in_eu() {
            Treatment::OutsideScope
        } else if verified_vat_id {
            Treatment::ReverseCharge
        } else {
            Treatment::Destination
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Treatment::Domestic => "domestic",
            Treatment::ReverseCharge => "reverse_charge",
            Treatment::Destination => "destination",
            Treatment::OutsideScope => "outside_scope",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seller {
    pub country: Country,
    pub vat_id: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Customer {
    pub country: Country,
    #[serde(default)]
    pub vat_id: Option<String>,
    /// The platform has verified the VAT ID (VIES); only then does reverse charge apply.
    #[serde(default)]
    pub vat_id_verified: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TopUpInput {
    pub rate_card: RateCard,
    /// The net amount, in the card's currency; VAT comes on top.
    #[serde(with = "dec", alias = "amountUsd")]
    pub amount: Decimal,
    pub at: Instant,
    pub seller: Seller,
    pub customer: Customer,
    /// The caller's own table, in place of the shipped one.
    #[serde(default)]
    pub rates: Option<Vec<RatePeriod>>,
}

/// `quoteTopUp`'s answer (fields in sorted order: this is its canonical JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TopUpQuote {
    #[serde(with = "dec")]
    pub credits: Decimal,
    pub currency: String,
    #[serde(with = "dec")]
    pub gross: Decimal,
    #[serde(with = "dec")]
    pub net: Decimal,
    pub note: String,
    #[serde(with = "dec")]
    pub tax: Decimal,
    /// The member state whose rate applied (none for reverse charge and outside scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tax_country: Option<Country>,
    /// A percentage: `"19"`.
    #[serde(with = "dec")]
    pub tax_rate: Decimal,
    pub treatment: Treatment,
}

/// The parties' VAT IDs in canonical form, each checked against its country's format.
pub struct Parties {
    pub seller_vat_id: String,
    pub customer_vat_id: Option<String>,
}

pub fn check_parties(seller: &Seller, customer: &Customer) -> Result<Parties> {
    if !seller.country.in_eu() {
        let msg = "the seller must be established in an EU member state (SEMANTICS 13)";
        return Err(Error::at(Code::InvalidCountry, "seller.country", msg));
    }
    let seller_vat_id = vat_id::normalize(seller.country.as_str(), &seller.vat_id)
        .map_err(|m| Error::at(Code::InvalidVatId, "seller.vatId", m))?;
    let customer_vat_id = match customer.vat_id.as_deref().map(str::trim) {
        None | Some("") if customer.vat_id_verified => {
            let msg = "vatIdVerified is true but there is no VAT ID";
            return Err(Error::at(Code::MissingField, "customer.vatId", msg));
        }
        None | Some("") => None,
        Some(raw) => Some(
            customer
                .country
                .vat_id(raw)
                .map_err(|m| Error::at(Code::InvalidVatId, "customer.vatId", m))?,
        ),
    };
    Ok(Parties {
        seller_vat_id,
        customer_vat_id,
    })
}

/// `quoteTopUp` (SEMANTICS 13, CONTRACT): the tax on a top-up of `amount` net.
pub fn quote_top_up(input: &TopUpInput) -> Result<TopUpQuote> {
    let card = &input.rate_card;
    card.validate().map_err(|e| e.within("rateCard"))?;
    let net = input.amount;
    if net < Decimal::ZERO {
        return Err(Error::at(
            Code::NegativeAmount,
            "amount",
            "a top-up amount is positive",
        ));
    }
    check_money(net, card.minor(), &card.currency.code, "amount")?;
    if net.is_zero() {
        return Err(Error::at(
            Code::InvalidValue,
            "amount",
            "a top-up is for more than zero",
        ));
    }
    let parties = check_parties(&input.seller, &input.customer)?;
    let table = match &input.rates {
        Some(own) => {
            check_table(own)?;
            own.as_slice()
        }
        None => shipped_rates(),
    };
    let customer = &input.customer;
    let treatment = Treatment::of(
        &input.seller.country,
        &customer.country,
        customer.vat_id_verified,
    );
    let tax_country = match treatment {
        Treatment::Domestic => Some(input.seller.country.clone()),
        Treatment::Destination => Some(customer.country.clone()),
        Treatment::ReverseCharge | Treatment::OutsideScope => None,
    };
    let tax_rate = match &tax_country {
        Some(c) => rate_at(table, c, input.at).ok_or_else(|| no_rate(c, input))?,
        None => Decimal::ZERO,
    };
    let tax = vat(net, tax_rate, card.minor()).ok_or_else(|| Error::overflow("amount"))?;
    let credits = card.to_credits(net, "amount")?;
    Ok(TopUpQuote {
        credits: at_least(credits, card.dp()),
        currency: card.currency.code.clone(),
        gross: at_least(net + tax, card.minor()),
        net: at_least(net, card.minor()),
        note: note(treatment, tax_rate, tax_country.as_ref(), &parties),
        tax,
        tax_country,
        tax_rate: tax_rate.normalize(),
        treatment,
    })
}

/// VAT on one invoice's lines at one rate: net x rate / 100, rounded half-up once to the
/// currency's minor unit (EN 16931 BR-CO-17).
pub fn vat(net: Decimal, rate_percent: Decimal, minor: u32) -> Option<Decimal> {
    let exact = net.checked_mul(rate_percent)? / Decimal::ONE_HUNDRED;
    let mut v = exact.round_dp_with_strategy(minor, RoundingStrategy::MidpointAwayFromZero);
    v.rescale(minor);
    Some(v)
}

fn at_least(mut v: Decimal, dp: u32) -> Decimal {
    if v.scale() < dp {
        v.rescale(dp);
    }
    v
}

fn no_rate(country: &Country, input: &TopUpInput) -> Error {
    let (field, whose) = match input.rates {
        Some(_) => ("rates", "the rates passed"),
        None => ("at", "the shipped table (it begins 2015-01-01)"),
    };
    let msg = format!(
        "{whose} have no {} rate in force at {}",
        country.as_str(),
        input.at
    );
    Error::at(Code::MissingRate, field, msg)
}

/// The treatment's wording for the quote and the invoice.
pub fn note(t: Treatment, rate: Decimal, country: Option<&Country>, p: &Parties) -> String {
    let rate = rate.normalize();
    let country = country.map(Country::as_str).unwrap_or_default();
    match t {
        Treatment::Domestic => format!("VAT {rate}% ({country})"),
        Treatment::Destination => format!(
            "VAT {rate}% ({country}): the customer's member state (OSS, Directive 2006/112/EC art. 58)"
        ),
        Treatment::ReverseCharge => format!(
            "Reverse charge: VAT to be accounted for by the recipient (Directive 2006/112/EC art. 196). \
             Supplier VAT ID {}, customer VAT ID {}",
            p.seller_vat_id,
            p.customer_vat_id.as_deref().unwrap_or_default()
        ),
        Treatment::OutsideScope => {
            "Not subject to EU VAT: the customer is established outside the EU (Directive 2006/112/EC art. 59)"
                .to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_table_reads_and_covers_every_member_state() {
        let table = shipped_rates();
        check_table(table).unwrap();
        let now = Instant::parse("2026-11-30T00:00:00Z").unwrap();
        for c in MEMBER_STATES {
            let r = rate_at(table, &Country::parse(c).unwrap(), now);
            assert!(r.is_some_and(|r| r >= Decimal::from(15)), "{c}: {r:?}");
        }
    }

    #[test]
    fn vat_rounds_half_up_once() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(vat(d("0.50"), d("19"), 2), Some(d("0.10"))); // 0.095
        assert_eq!(vat(d("0.02"), d("24"), 2), Some(d("0.00"))); // 0.0048
        assert_eq!(vat(d("10.05"), d("25.5"), 2), Some(d("2.56"))); // 2.56275
        assert_eq!(vat(d("1050"), d("21"), 0), Some(d("221"))); // 220.5
    }

    #[test]
    fn every_code_is_a_country_and_only_those() {
        assert_eq!(ISO_3166.len() % 2, 0);
        assert!(Country::parse("DE").is_some());
        assert!(Country::parse("XX").is_none());
        assert!(Country::parse("de").is_none());
        assert!(Country::parse("EL").is_none());
    }
}
