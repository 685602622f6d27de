//! `GET /billing/forecast` (SEMANTICS 17): the core's `forecastRunway` on the account as it
//! stands now, its basis the account's own usage of the last whole days in its zone.
//!
//! The books keep each usage item's priced lines (`usage_lines`), not the item as it was
//! posted, so the basis is read back from them: a call's billable seconds (AI minutes and
//! included minutes), its toll-free surcharge (an inbound toll-free call), its transfer and
//! pass-through; a chat's messages; a rental's numbers, of the card's kind whose monthly rate
//! the line shows. Billable seconds are already whole increments, so the card rates them the
//! same again. A rental whose rate no kind has (a prorated first month, a card changed since)
//! is left out of the basis and counted in `skipped`.

use crate::engine::amount::{Count, Seconds};
use crate::engine::calendar::{resolve_local, Instant};
use crate::engine::drawdown::{Usage, UsageKind};
use crate::engine::model::{Call, CallDirection, PassThrough, Transfer};
use crate::engine::rating::rental_line;
use crate::engine::runway::{forecast_runway, Runway, RunwayInput};
use crate::server::books::accounts::Acct;
use crate::server::outcome::{store, Failure, R};
use crate::server::storage::sql::{Row, Sql};
use rust_decimal::Decimal;
use serde::Serialize;

/// The forecast and what it was made from.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Forecast {
    /// The instant the forecast starts from: the server's now.
    pub at: Instant,
    /// The basis: the usage from `basisFrom` (inclusive) to `basisTo` (exclusive).
    pub basis_from: Instant,
    pub basis_to: Instant,
    /// Usage items in the basis, and rentals left out of it (see the module's note).
    pub basis_items: usize,
    pub skipped: usize,
    #[serde(flatten)]
    pub runway: Runway,
}

/// The most usage lines a forecast's basis reads (the engine repeats them: a 7-day basis of
/// this many lines over 90 days is about the engine's `MAX_FORECAST_ITEMS`).
pub const MAX_BASIS_LINES: usize = 400_000;

/// The forecast from `now`: the basis is the `basis_days` whole local days before today.
pub fn forecast(
    db: &mut dyn Sql,
    a: &Acct,
    now: Instant,
    (basis_days, horizon_days): (Option<u64>, Option<u64>),
) -> R<Forecast> {
    let days = basis_days.unwrap_or(crate::engine::runway::DEFAULT_BASIS_DAYS);
    let tz = a.snap.time_zone;
    let today = now.local(tz).date();
    let from_day = today - chrono::Duration::days(days.min(366) as i64);
    let midnight =
        |d: chrono::NaiveDate| resolve_local(tz, d.and_hms_opt(0, 0, 0).unwrap_or_default());
    let (Some(basis_from), Some(basis_to)) = (midnight(from_day), midnight(today)) else {
        return Err(Failure::new(
            crate::server::outcome::ServerCode::InvalidDate,
            None,
            "the basis leaves the calendar",
        ));
    };
    let (basis, skipped) = usage_between(db, a, (from_day, today), "basisDays")?;
    let input = RunwayInput {
        rate_card: a.card.clone(),
        rate_card_versions: a.versions.clone(),
        account: a.snap.clone(),
        at: now,
        basis,
        basis_days: Some(Count(days)),
        horizon_days: horizon_days.map(Count),
    };
    let runway = forecast_runway(&input).map_err(Failure::invalid)?;
    Ok(Forecast {
        at: now,
        basis_from,
        basis_to,
        basis_items: input.basis.len(),
        skipped,
        runway,
    })
}

/// The usage items of the local days `[from, to)`, read back from their priced lines (see
/// the module's note), and the rentals left out. More than `MAX_BASIS_LINES` lines is
/// `too_many_items` on `field`: a shorter window answers.
pub fn usage_between(
    db: &mut dyn Sql,
    a: &Acct,
    (from, to): (chrono::NaiveDate, chrono::NaiveDate),
    field: &str,
) -> R<(Vec<Usage>, usize)> {
    let sql = format!(
        "SELECT usage_id, at, agent_id, code, quantity, credits FROM usage_lines \
         WHERE account_id = $1 AND day >= $2 AND day < $3 ORDER BY at, usage_id, line LIMIT {}",
        MAX_BASIS_LINES + 1
    );
    let rows = store(db.query(
        &sql,
        &[
            a.id.as_str().into(),
            from.to_string().into(),
            to.to_string().into(),
        ],
    ))?;
    if rows.len() > MAX_BASIS_LINES {
        return Err(Failure::new(
            crate::server::outcome::ServerCode::TooManyItems,
            Some(field),
            format!("these days hold more than {MAX_BASIS_LINES} usage lines; ask for fewer days"),
        ));
    }
    basis_of(&rows, a)
}

/// The usage items the lines were priced from, one per usage id and instant (a rental over
/// several months is one usage id at several instants), and the rentals left out.
fn basis_of(rows: &[Row], a: &Acct) -> R<(Vec<Usage>, usize)> {
    let (mut items, mut skipped) = (vec![], 0);
    let mut start = 0;
    while start < rows.len() {
        let key = |r: &Row| {
            (
                r[0].text().map(str::to_string),
                r[1].text().map(str::to_string),
            )
        };
        let end = (start..rows.len())
            .find(|&i| key(&rows[i]) != key(&rows[start]))
            .unwrap_or(rows.len());
        match item_of(&rows[start..end], a)? {
            Some(u) => items.push(u),
            None => skipped += 1,
        }
        start = end;
    }
    Ok((items, skipped))
}

/// One usage item from its lines; `None` for a rental no number kind of the card prices so.
fn item_of(lines: &[Row], a: &Acct) -> R<Option<Usage>> {
    let first = &lines[0];
    let at = first[1]
        .text()
        .and_then(Instant::parse)
        .ok_or_else(|| Failure::internal("a usage line's instant does not read back"))?;
    let mut u = Usage {
        id: first[0].text().unwrap_or("").into(),
        at,
        kind: UsageKind::Call,
        agent_id: first[2].text().map(Into::into),
        call: None,
        messages: None,
        number_kind: None,
        count: None,
        through: None,
        prorate: false,
    };
    let mut call = Call {
        direction: CallDirection::Outbound,
        toll_free: false,
        connected_seconds: Seconds(0),
        transfer: None,
        carrier_pass_through: vec![],
    };
    for l in lines {
        let quantity = l[4].decimal("usage line quantity")?;
        let whole = whole(quantity);
        match l[3].text().unwrap_or("") {
            "voice.ai_minutes" | "voice.included_minutes" => call.connected_seconds.0 += whole,
            "voice.toll_free_surcharge" => {
                call.direction = CallDirection::Inbound;
                call.toll_free = true;
            }
            "transfer_minute" => {
                call.transfer = Some(Transfer {
                    bridged_seconds: Seconds(whole),
                })
            }
            "voice.carrier_pass_through" => call.carrier_pass_through.push(PassThrough {
                amount: quantity,
                reason: None,
            }),
            "chat.message" => {
                u.kind = UsageKind::Chat;
                u.messages = Some(Count(whole));
            }
            "number.rental" => {
                let credits = l[5].decimal("usage line credits")?;
                let Some(kind) = rental_kind(a, at, whole, credits) else {
                    return Ok(None);
                };
                u.kind = UsageKind::Number;
                u.number_kind = Some(kind);
                u.count = Some(Count(whole));
                u.agent_id = None;
            }
            _ => {}
        }
    }
    if u.kind == UsageKind::Call {
        u.call = Some(call);
    }
    Ok(Some(u))
}

/// The number kind whose full month the card prices as a rental line was priced, by the
/// card's version at the line's instant (as it was billed).
fn rental_kind(a: &Acct, at: Instant, count: u64, credits: Decimal) -> Option<String> {
    let card = a.card.at(&a.versions, at);
    let full = |k: &str| rental_line(card, k, count, None).ok();
    card.numbers
        .keys()
        .find(|k| full(k).is_some_and(|l| l.credits == credits))
        .cloned()
}

fn whole(q: Decimal) -> u64 {
    u64::try_from(q.trunc()).unwrap_or(0)
}
