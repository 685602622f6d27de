//! The billing profile (seed 001: "Add your company name, address, and VAT ID"), the VAT ID
//! check against VIES behind a provider interface, and the top-up quote the billing page
//! asks for as the user types (SEMANTICS 13).

use crate::engine::amount::dec;
use crate::engine::error::Code;
use crate::server::outcome::{store, Failure, Kind, R};
use crate::server::storage::memo::Db;
use crate::tax::Country;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::future::Future;
use std::pin::Pin;

/// Longest company name, address line and VAT ID accepted (bytes), and most address lines.
pub(crate) const MAX_NAME: usize = 200;
pub(crate) const MAX_ADDRESS_LINES: usize = 6;

/// An account's billing profile as stored.
#[derive(Debug, Clone, Default)]
pub struct Profile {
    pub name: Option<String>,
    pub address: Vec<String>,
    pub country: Option<String>,
    /// Canonical (`FR40303265045`) for EU countries; as given elsewhere.
    pub vat_id: Option<String>,
    /// The last VIES answer for `vat_id`: `valid`, `invalid`, `unavailable`, or `unchecked`.
    pub vat_status: String,
    pub vat_checked_at: Option<String>,
}

impl Profile {
    /// Reverse charge needs a VAT ID VIES said is valid (SEMANTICS 13).
    pub fn vat_verified(&self) -> bool {
        self.vat_id.is_some() && self.vat_status == "valid"
    }
    pub fn party(&self, account: &str) -> Party {
        Party {
            name: self.name.clone().unwrap_or_else(|| account.to_string()),
            address: self.address.clone(),
            country: self.country.clone(),
            vat_id: self.vat_id.clone(),
        }
    }
    /// The profile as `GET /billing/profile` answers it, with the last check of its VAT ID.
    pub(crate) fn answer(self, vat_check: Option<VatCheck>) -> ProfileAnswer {
        ProfileAnswer {
            vat_id_verified: self.vat_verified(),
            company_name: self.name,
            address: self.address,
            country: self.country,
            vat_id: self.vat_id,
            vat_id_status: self.vat_status,
            vat_id_checked_at: self.vat_checked_at,
            vat_check,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ProfileAnswer {
    company_name: Option<String>,
    address: Vec<String>,
    country: Option<String>,
    vat_id: Option<String>,
    vat_id_status: String,
    vat_id_verified: bool,
    vat_id_checked_at: Option<String>,
    vat_check: Option<VatCheck>,
}

/// One VIES check of a VAT ID, as recorded.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct VatCheck {
    vat_id: Option<String>,
    checked_at: Option<String>,
    provider: Option<String>,
    result: Option<String>,
    consultation_number: Option<String>,
    detail: Option<String>,
}

pub fn load(db: &mut dyn Db, account: &str) -> R<Profile> {
    let rows = store(db.query(
        "SELECT name, address, country, vat_id, vat_status, vat_checked_at FROM billing_profiles WHERE account_id = $1",
        &[account.into()],
    ))?;
    let Some(r) = rows.first() else {
        return Ok(Profile {
            vat_status: "unchecked".into(),
            ..Profile::default()
        });
    };
    let text = |i: usize| r[i].text().map(str::to_string);
    Ok(Profile {
        name: text(0),
        address: r[1].json("billing address")?.unwrap_or_default(),
        country: text(2),
        vat_id: text(3),
        vat_status: text(4).unwrap_or_else(|| "unchecked".into()),
        vat_checked_at: text(5),
    })
}

pub(crate) fn save(db: &mut dyn Db, account: &str, p: &Profile, at: &str) -> R<()> {
    store(db.exec(
        "INSERT INTO billing_profiles (account_id, name, address, country, vat_id, vat_status, vat_checked_at, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (account_id) DO UPDATE SET name = $2, address = $3, \
         country = $4, vat_id = $5, vat_status = $6, vat_checked_at = $7, updated_at = $8",
        &[
            account.into(),
            p.name.clone().into(),
            serde_json::to_string(&p.address).unwrap_or_default().into(),
            p.country.clone().into(),
            p.vat_id.clone().into(),
            p.vat_status.as_str().into(),
            p.vat_checked_at.clone().into(),
            at.into(),
        ],
    ))?;
    Ok(())
}

// ---- VIES ----------------------------------------------------------------------------------

/// What VIES said of a VAT ID.
#[derive(Debug, Clone, PartialEq)]
pub struct ViesAnswer {
    /// `valid`, `invalid` or `unavailable` (VIES or the member state's service did not answer).
    pub result: &'static str,
    /// VIES's consultation number: proof of the check, when the requester gave its own ID.
    pub consultation: Option<String>,
    /// The name registered for the ID, or why the check failed.
    pub detail: Option<String>,
}

pub type ViesFuture<'a> = Pin<Box<dyn Future<Output = ViesAnswer> + Send + 'a>>;

/// The VAT ID check (the EU's VIES service). `--vies live` is the real client; the test
/// providers answer at once, for machines that cannot reach the EU's servers.
pub trait Vies: Send + Sync + std::fmt::Debug {
    fn name(&self) -> &'static str;
    /// Checks `vat_id` (canonical, with its prefix); `requester` is the seller's own VAT ID.
    fn check<'a>(&'a self, vat_id: &'a str, requester: Option<&'a str>) -> ViesFuture<'a>;
}

/// `--vies test` (every well-formed ID is valid), `test-invalid`, `test-unavailable`.
#[derive(Debug)]
pub struct TestVies(pub &'static str);

impl Vies for TestVies {
    fn name(&self) -> &'static str {
        match self.0 {
            "valid" => "test",
            "invalid" => "test-invalid",
            _ => "test-unavailable",
        }
    }
    fn check<'a>(&'a self, vat_id: &'a str, _: Option<&'a str>) -> ViesFuture<'a> {
        let answer = ViesAnswer {
            result: self.0,
            consultation: (self.0 == "valid").then(|| format!("TEST-{vat_id}")),
            detail: None,
        };
        Box::pin(async move { answer })
    }
}

/// The real client: VIES's REST API (`POST .../check-vat-number`, the service's documented
/// JSON interface). It cannot be reached from the build machines; see docs/billing.md.
#[derive(Debug)]
pub struct LiveVies {
    pub http: reqwest::Client,
    pub url: String,
}

/// VIES's endpoint for one check.
pub const VIES_URL: &str = "https://ec.europa.eu/taxation_customs/vies/rest-api/check-vat-number";
/// How long one check may take before it counts as `unavailable`.
pub(crate) const VIES_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(10);

impl LiveVies {
    pub fn new() -> Result<LiveVies, String> {
        let http = reqwest::Client::builder()
            .timeout(VIES_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(LiveVies {
            http,
            url: VIES_URL.into(),
        })
    }
}

/// VIES's request body: the ID split into its prefix and number.
pub fn vies_request(vat_id: &str, requester: Option<&str>) -> Value {
    let (cc, number) = vat_id.split_at(2.min(vat_id.len()));
    let mut body = json!({ "countryCode": cc, "vatNumber": number });
    if let Some(r) = requester {
        let (rc, rn) = r.split_at(2.min(r.len()));
        body["requesterMemberStateCode"] = json!(rc);
        body["requesterNumber"] = json!(rn);
    }
    body
}

/// VIES's answer: `valid` true or false, or an error such as `MS_UNAVAILABLE`.
pub fn vies_answer(body: &Value) -> ViesAnswer {
    let text = |k: &str| {
        body.get(k)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty() && *s != "---")
    };
    match body.get("valid").and_then(Value::as_bool) {
        Some(valid) => ViesAnswer {
            result: if valid { "valid" } else { "invalid" },
            consultation: text("requestIdentifier").map(str::to_string),
            detail: text("name").map(str::to_string),
        },
        None => ViesAnswer {
            result: "unavailable",
            consultation: None,
            detail: Some(body.to_string()),
        },
    }
}

impl Vies for LiveVies {
    fn name(&self) -> &'static str {
        "live"
    }
    fn check<'a>(&'a self, vat_id: &'a str, requester: Option<&'a str>) -> ViesFuture<'a> {
        Box::pin(async move {
            let sent = self
                .http
                .post(&self.url)
                .header("content-type", "application/json")
                .body(vies_request(vat_id, requester).to_string())
                .send()
                .await;
            let body = match sent {
                Ok(r) => r.bytes().await.map_err(|e| e.to_string()).and_then(|b| {
                    serde_json::from_slice::<Value>(&b)
                        .map_err(|e| format!("VIES answered no JSON: {e}"))
                }),
                Err(e) => Err(e.to_string()),
            };
            match body {
                Ok(b) => vies_answer(&b),
                Err(e) => ViesAnswer {
                    result: "unavailable",
                    consultation: None,
                    detail: Some(e),
                },
            }
        })
    }
}

pub fn vies_by_name(name: &str) -> Result<std::sync::Arc<dyn Vies>, String> {
    Ok(match name {
        "test" => std::sync::Arc::new(TestVies("valid")),
        "test-invalid" => std::sync::Arc::new(TestVies("invalid")),
        "test-unavailable" => std::sync::Arc::new(TestVies("unavailable")),
        "live" => std::sync::Arc::new(LiveVies::new()?),
        other => {
            return Err(format!(
                "--vies {other}: expected test, test-invalid, test-unavailable or live"
            ))
        }
    })
}

// ---- routes --------------------------------------------------------------------------------

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct ProfileBody {
    pub(crate) company_name: Option<String>,
    #[serde(default)]
    pub(crate) address: Vec<String>,
    pub(crate) country: String,
    pub(crate) vat_id: Option<String>,
}

/// The profile as sent, checked: a known country, a VAT ID of its format (EU countries).
pub(crate) fn read_body(b: ProfileBody) -> R<Profile> {
    let bad = |code: Code, field: &str, msg: String| {
        Failure::engine(Kind::Invalid, code, Some(field), msg)
    };
    let country = Country::parse(&b.country).ok_or_else(|| {
        bad(
            Code::InvalidCountry,
            "country",
            format!("`{}` is not an ISO 3166-1 alpha-2 code", b.country),
        )
    })?;
    let name = b
        .company_name
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty());
    if name.as_ref().is_some_and(|n| n.len() > MAX_NAME) {
        return Err(bad(
            Code::InvalidValue,
            "companyName",
            format!("at most {MAX_NAME} bytes"),
        ));
    }
    if b.address.len() > MAX_ADDRESS_LINES || b.address.iter().any(|l| l.len() > MAX_NAME) {
        let msg = format!("at most {MAX_ADDRESS_LINES} lines of {MAX_NAME} bytes");
        return Err(bad(Code::InvalidValue, "address", msg));
    }
    let vat_id = match b.vat_id.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(v) if v.len() > MAX_NAME => {
            return Err(bad(Code::InvalidVatId, "vatId", "too long".into()))
        }
        Some(v) => Some(
            country
                .vat_id(v)
                .map_err(|m| bad(Code::InvalidVatId, "vatId", m))?,
        ),
    };
    Ok(Profile {
        name,
        address: b
            .address
            .into_iter()
            .map(|l| l.trim().to_string())
            .filter(|l| !l.is_empty())
            .collect(),
        country: Some(country.as_str().to_string()),
        vat_id,
        vat_status: "unchecked".into(),
        vat_checked_at: None,
    })
}

/// Who was checked, when, by which provider, and VIES's answer (kept for every check).
pub(crate) fn record_check(
    db: &mut dyn Db,
    account: &str,
    vat_id: &str,
    provider: &str,
    a: &ViesAnswer,
    at: &str,
) -> R<()> {
    store(db.exec(
        "INSERT INTO vat_checks (id, account_id, vat_id, checked_at, provider, result, consultation, detail) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        &[
            super::auth::token("chk_")?.into(),
            account.into(),
            vat_id.into(),
            at.into(),
            provider.into(),
            a.result.into(),
            a.consultation.clone().into(),
            a.detail.clone().into(),
        ],
    ))?;
    Ok(())
}

/// The latest check of the profile's current VAT ID (`null` when it has none).
pub(crate) fn last_check(
    db: &mut dyn Db,
    account: &str,
    vat_id: Option<&str>,
) -> R<Option<VatCheck>> {
    let Some(vat_id) = vat_id else {
        return Ok(None);
    };
    let rows = store(db.query(
        "SELECT vat_id, checked_at, provider, result, consultation, detail FROM vat_checks \
         WHERE account_id = $1 AND vat_id = $2 ORDER BY checked_at DESC, id LIMIT 1",
        &[account.into(), vat_id.into()],
    ))?;
    let text = |r: &crate::server::storage::sql::Row, i: usize| r[i].text().map(str::to_string);
    Ok(rows.first().map(|r| VatCheck {
        vat_id: text(r, 0),
        checked_at: text(r, 1),
        provider: text(r, 2),
        result: text(r, 3),
        consultation_number: text(r, 4),
        detail: text(r, 5),
    }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(crate) struct QuoteBody {
    #[serde(with = "dec", alias = "amountUsd")]
    pub(crate) amount: Decimal,
}

/// The customer's side of an invoice, from the account's billing profile (`profile.rs`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Party {
    pub name: String,
    pub address: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub vat_id: Option<String>,
}
