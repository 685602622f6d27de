//! Invoices and credit notes (SEMANTICS 13, seed 001 "All credit purchases generate an
//! invoice"): every settled payment gets one, numbered from a gapless sequence per series
//! (`INV-2026-000123`), with the seller's and the customer's details as they were at issue,
//! lines with net, rate and VAT, totals and the treatment's wording. A document is written
//! once, as JSON, and never changed: a refund issues a credit note (`CN-2026-000007`) that
//! refers to the invoice by number.

use super::accounts::Acct;
use super::profile::Party;
use super::profile::Profile;
use crate::engine::calendar::Instant;
use crate::engine::error::Code;
use crate::server::outcome::ServerCode;
use crate::server::outcome::{store, Failure, Kind, R};
use crate::server::storage::memo::Db;
use crate::server::storage::sql::Val;
use crate::tax::{self, Country, TopUpInput, TopUpQuote};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The platform's own details, from the server's configuration (`--seller FILE`, JSON).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seller {
    pub name: String,
    pub address: Vec<String>,
    /// An EU member state (SEMANTICS 13: the rules are those of a seller established there).
    pub country: String,
    pub vat_id: String,
}

impl Seller {
    /// Reads and checks the file: an EU country and a VAT ID of its format.
    pub fn load(path: &std::path::Path) -> Result<Seller, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let mut s: Seller = serde_json::from_str(&text).map_err(|e| {
            format!(
                "{}: {e} (expected {{ name, address: [..], country, vatId }})",
                path.display()
            )
        })?;
        s.check().map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(s)
    }
    fn check(&mut self) -> Result<(), String> {
        if !Country::parse(&self.country).is_some_and(|c| c.in_eu()) {
            return Err(format!(
                "country `{}` is not an EU member state",
                self.country
            ));
        }
        if self.name.trim().is_empty() {
            return Err("the seller needs a name".into());
        }
        self.vat_id = crate::tax::vat_id::normalize(&self.country, &self.vat_id)?;
        Ok(())
    }
    /// The demo platform `--demo` invoices as (Germany, the Bundeszentralamt's sample VAT ID).
    pub fn demo() -> Seller {
        Seller {
            name: "Demo Voice Platform GmbH".into(),
            address: vec!["Musterstrasse 1".into(), "10115 Berlin".into()],
            country: "DE".into(),
            vat_id: "DE136695976".into(),
        }
    }
}

/// One invoice line at one rate: credits bought, a plan's fee, or the unused part of a fee
/// credited back (negative).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Line {
    pub description: String,
    /// Credits bought, or cycles of a plan (`1`, `-1` for a credit).
    pub quantity: String,
    /// Money, before VAT.
    pub net: String,
    /// A percentage.
    pub tax_rate: String,
    pub tax: String,
}

/// An issued invoice or credit note, as stored and as `GET /billing/invoices` lists it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Document {
    pub id: String,
    pub number: String,
    /// `invoice` or `credit_note`.
    pub kind: String,
    pub issued_at: String,
    pub payment_id: String,
    pub currency: String,
    pub seller: Party,
    pub customer: Party,
    pub lines: Vec<Line>,
    pub net: String,
    pub tax: String,
    pub gross: String,
    /// `domestic`, `reverse_charge`, `destination`, `outside_scope`, or `none` (no seller).
    pub treatment: String,
    pub note: String,
    /// The credit note's invoice, by number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refers_to: Option<String>,
}

/// The next number of a series (`INV-2026`), in the caller's transaction: the counter row is
/// locked until the commit (two servers on PostgreSQL wait for each other) and a rolled-back
/// job gives its number back, so the sequence has no gaps.
pub fn next_number(db: &mut dyn Db, series: &str) -> R<String> {
    let rows = store(db.query(
        "INSERT INTO invoice_series (series, last) VALUES ($1, 1) \
         ON CONFLICT (series) DO UPDATE SET last = invoice_series.last + 1 RETURNING last",
        &[series.into()],
    ))?;
    let n = rows.first().and_then(|r| r[0].int()).ok_or_else(|| {
        Failure::unavailable(format!("the store gave no number for series {series}"))
    })?;
    Ok(format!("{series}-{n:06}"))
}

/// `quoteTopUp` for a seller and a profile. Without a billing country the customer is taxed
/// as domestic (the seller's own rate): VAT is never left out for want of an address.
pub fn quote_for(
    seller: &Seller,
    p: &Profile,
    a: &Acct,
    net: Decimal,
    now: Instant,
) -> R<TopUpQuote> {
    let country = |c: &str, field: &str| {
        Country::parse(c).ok_or_else(|| {
            Failure::engine(
                Kind::Internal,
                Code::Internal,
                Some(field),
                format!("stored country `{c}` does not read"),
            )
        })
    };
    let input = TopUpInput {
        rate_card: a.card.clone(),
        amount: net,
        at: now,
        seller: tax::Seller {
            country: country(&seller.country, "seller.country")?,
            vat_id: seller.vat_id.clone(),
        },
        customer: tax::Customer {
            country: country(
                p.country.as_deref().unwrap_or(&seller.country),
                "profile.country",
            )?,
            vat_id: p.vat_id.clone(),
            vat_id_verified: p.vat_verified(),
        },
        rates: None,
    };
    tax::quote_top_up(&input).map_err(Failure::invalid)
}

/// Issue the invoice of a settled payment, in the settling transaction, to the customer
/// the account's billing profile names.
#[allow(clippy::too_many_arguments)]
pub fn issue(
    db: &mut dyn Db,
    seller: Option<&Seller>,
    profile: &Profile,
    a: &Acct,
    payment_id: &str,
    net: Decimal,
    credits: Decimal,
    quote: Option<&TopUpQuote>,
    now: Instant,
) -> R<Document> {
    let (rate, tax, treatment, note) = match quote {
        Some(q) => (
            q.tax_rate,
            q.tax,
            q.treatment.as_str().to_string(),
            q.note.clone(),
        ),
        None => (
            Decimal::ZERO,
            Decimal::ZERO,
            NO_SELLER.0.into(),
            NO_SELLER.1.into(),
        ),
    };
    let money = |v: Decimal| money(a, v);
    let priced = Priced {
        lines: vec![Line {
            description: format!("Prepaid credits ({} credits)", credits.normalize()),
            quantity: credits.normalize().to_string(),
            net: money(net),
            tax_rate: rate.normalize().to_string(),
            tax: money(tax),
        }],
        treatment,
        note,
    };
    issue_priced(db, seller, profile, a, payment_id, &priced, now)
}

/// The treatment and note of an invoice when the platform has configured no seller.
const NO_SELLER: (&str, &str) = (
    "none",
    "No VAT charged: the platform has configured no seller VAT details",
);

/// An amount of money as an invoice prints it: at least the currency's minor units.
fn money(a: &Acct, mut v: Decimal) -> String {
    v.rescale(a.card.minor().max(v.scale()));
    v.to_string()
}

/// An invoice's lines with their VAT, and its treatment and note: what a payment that
/// settles later is invoiced with (`fees` keeps it with the payment).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct Priced {
    pub lines: Vec<Line>,
    pub treatment: String,
    pub note: String,
}

impl Priced {
    /// The totals: net and VAT.
    pub fn totals(&self) -> R<(Decimal, Decimal)> {
        let mut net = Decimal::ZERO;
        let mut tax = Decimal::ZERO;
        for l in &self.lines {
            let read = |v: &str| {
                v.parse::<Decimal>()
                    .map_err(|e| Failure::internal(format!("invoice line `{v}`: {e}")))
            };
            net += read(&l.net)?;
            tax += read(&l.tax)?;
        }
        Ok((net, tax))
    }
}

/// Lines of money (each a description, a quantity and a net; a negative net is a credit)
/// taxed by SEMANTICS 13 for the account's billing profile: each line's VAT is that of its
/// own amount, a credit's negated.
pub fn price(
    seller: Option<&Seller>,
    p: &Profile,
    a: &Acct,
    nets: &[(String, String, Decimal)],
    now: Instant,
) -> R<Priced> {
    let mut priced = Priced {
        lines: vec![],
        treatment: NO_SELLER.0.into(),
        note: NO_SELLER.1.into(),
    };
    for (description, quantity, net) in nets {
        let (rate, tax) = match (seller, net.is_zero()) {
            (Some(s), false) => {
                let q = quote_for(s, p, a, net.abs(), now)?;
                priced.treatment = q.treatment.as_str().to_string();
                priced.note = q.note.clone();
                (
                    q.tax_rate,
                    if net.is_sign_negative() {
                        -q.tax
                    } else {
                        q.tax
                    },
                )
            }
            _ => (Decimal::ZERO, Decimal::ZERO),
        };
        priced.lines.push(Line {
            description: description.clone(),
            quantity: quantity.clone(),
            net: money(a, *net),
            tax_rate: rate.normalize().to_string(),
            tax: money(a, tax),
        });
    }
    Ok(priced)
}

/// Issue the invoice of a settled payment with `priced`'s lines.
pub fn issue_priced(
    db: &mut dyn Db,
    seller: Option<&Seller>,
    profile: &Profile,
    a: &Acct,
    payment_id: &str,
    priced: &Priced,
    now: Instant,
) -> R<Document> {
    let number = next_number(db, &format!("INV-{}", now.0.format("%Y")))?;
    let (net, tax) = priced.totals()?;
    let doc = Document {
        id: format!("inv_{payment_id}"),
        number,
        kind: "invoice".into(),
        issued_at: now.to_string(),
        payment_id: payment_id.into(),
        currency: a.card.currency.code.clone(),
        seller: seller.map(seller_party).unwrap_or_default(),
        customer: profile.party(&a.id),
        lines: priced.lines.clone(),
        net: money(a, net),
        tax: money(a, tax),
        gross: money(a, net + tax),
        treatment: priced.treatment.clone(),
        note: priced.note.clone(),
        refers_to: None,
    };
    save(db, a, &doc)?;
    Ok(doc)
}

pub(crate) fn seller_party(s: &Seller) -> Party {
    Party {
        name: s.name.clone(),
        address: s.address.clone(),
        country: Some(s.country.clone()),
        vat_id: Some(s.vat_id.clone()),
    }
}

/// A credit note for the whole of `invoice`: the same lines, negated, with its own number.
pub fn credit_note(db: &mut dyn Db, a: &Acct, invoice: &Document, now: Instant) -> R<Document> {
    let negate = |s: &str| match s.parse::<Decimal>() {
        Ok(v) if !v.is_zero() => (-v).to_string(),
        _ => s.to_string(),
    };
    let doc = Document {
        id: format!("cn_{}", invoice.payment_id),
        number: next_number(db, &format!("CN-{}", now.0.format("%Y")))?,
        kind: "credit_note".into(),
        issued_at: now.to_string(),
        lines: invoice
            .lines
            .iter()
            .map(|l| Line {
                quantity: negate(&l.quantity),
                net: negate(&l.net),
                tax: negate(&l.tax),
                ..l.clone()
            })
            .collect(),
        net: negate(&invoice.net),
        tax: negate(&invoice.tax),
        gross: negate(&invoice.gross),
        note: format!(
            "Credit note for invoice {}. {}",
            invoice.number, invoice.note
        ),
        refers_to: Some(invoice.number.clone()),
        ..invoice.clone()
    };
    save(db, a, &doc)?;
    Ok(doc)
}

pub(crate) fn save(db: &mut dyn Db, a: &Acct, doc: &Document) -> R<()> {
    let body = serde_json::to_string(doc).map_err(|e| Failure::internal(e.to_string()))?;
    store(db.exec(
        "INSERT INTO invoices (id, account_id, payment_id, amount, currency, credits, created_at, number, kind, document) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        &[
            doc.id.as_str().into(),
            a.id.as_str().into(),
            doc.payment_id.as_str().into(),
            doc.gross.as_str().into(),
            doc.currency.as_str().into(),
            doc.lines.first().map(|l| l.quantity.clone()).unwrap_or_default().into(),
            doc.issued_at.as_str().into(),
            doc.number.as_str().into(),
            doc.kind.as_str().into(),
            body.into(),
        ],
    ))?;
    Ok(())
}

/// The account's documents, oldest first. Rows from before invoices were numbered carry
/// no document and are listed as they were stored.
/// A document as `GET /billing/invoices` lists it: as issued, with its `pdf` link; a payment
/// recorded before documents were stored lists what its row holds, with no number.
#[derive(Debug, Serialize)]
#[serde(untagged)]
pub enum Listed {
    #[serde(rename_all = "camelCase")]
    Issued {
        #[serde(flatten)]
        doc: Document,
        pdf: String,
    },
    #[serde(rename_all = "camelCase")]
    Bare {
        id: Option<String>,
        number: Option<String>,
        payment_id: Option<String>,
        amount: Option<String>,
        currency: Option<String>,
        credits: Option<String>,
        issued_at: Option<String>,
    },
}

pub fn list(db: &mut dyn Db, account: &str) -> R<Vec<Listed>> {
    let rows = store(db.query(
        "SELECT id, payment_id, amount, currency, credits, created_at, document FROM invoices \
         WHERE account_id = $1 ORDER BY created_at, id",
        &[account.into()],
    ))?;
    let mut out = Vec::with_capacity(rows.len());
    for r in &rows {
        let text = |i: usize| r[i].text().map(str::to_string);
        out.push(match r[6].json::<Document>("invoice document")? {
            Some(doc) => {
                let pdf = format!("/billing/invoices/{}/pdf", doc.id);
                Listed::Issued { doc, pdf }
            }
            None => Listed::Bare {
                id: text(0),
                number: None,
                payment_id: text(1),
                amount: text(2),
                currency: text(3),
                credits: text(4),
                issued_at: text(5),
            },
        });
    }
    Ok(out)
}

/// One document of the account, as issued.
pub fn get(db: &mut dyn Db, account: &str, id: &str) -> R<Document> {
    let rows = store(db.query(
        "SELECT document FROM invoices WHERE account_id = $1 AND id = $2",
        &[account.into(), id.into()],
    ))?;
    let doc = match rows.first() {
        Some(r) => r[0].json::<Document>("invoice document")?,
        None => None,
    };
    doc.ok_or_else(|| {
        Failure::new(
            ServerCode::InvoiceNotFound,
            None,
            format!("no invoice {id}"),
        )
    })
}

/// The document of a payment's invoice, if it has one.
pub fn of_payment(db: &mut dyn Db, payment: &str, kind: &str) -> R<Option<Document>> {
    let rows = store(db.query(
        "SELECT document FROM invoices WHERE payment_id = $1 AND kind = $2",
        &[payment.into(), Val::from(kind)],
    ))?;
    match rows.first() {
        Some(r) => r[0].json("invoice document"),
        None => Ok(None),
    }
}
