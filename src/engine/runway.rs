//! `forecastRunway` (SEMANTICS 17): the basis of past usage repeated forward from `at`, every
//! `basisDays`, through the same drawdown as `previewDrawdown` (renewals, expiries,
//! auto-reloads, alerts), to say when the wallet runs short, what reloads that takes, and
//! which credits expire unused. Exact, not a trend: the forecast is `previewDrawdown` over the
//! repeated usage, which a property test checks.
//!
//! Where the spec is silent (docs/choices.md, "Runway"): a copy of a basis item lands a whole
//! number of `basisDays` × 86,400 seconds after it (fixed days, so the period never drifts
//! with daylight saving); a number rental in the basis repeats monthly on its own day, not
//! every `basisDays`; the day points are every 86,400 seconds from `at`.

use crate::engine::amount::{dec, Count};
use crate::engine::calendar::{add_months, time_order, Instant};
use crate::engine::drawdown::{Drive, Event, Usage, UsageKind};
use crate::engine::error::{Code, Error, Result};
use crate::engine::model::{Account, GrantType, RateCard};
use crate::engine::pools::spendable;
use crate::engine::reload::ReloadEvent;
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

pub const DEFAULT_BASIS_DAYS: u64 = 7;
pub const DEFAULT_HORIZON_DAYS: u64 = 90;
/// A basis of up to a year repeats; longer is no longer "the rate I spend at".
pub const MAX_BASIS_DAYS: u64 = 366;
/// Two years ahead at most: further out, a forecast is a guess whatever its arithmetic.
pub const MAX_HORIZON_DAYS: u64 = 731;
/// Charges one forecast may make (basis items × repetitions): about a second natively.
pub const MAX_FORECAST_ITEMS: u64 = 5_000_000;
const DAY: i64 = 86_400;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RunwayInput {
    pub rate_card: RateCard,
    /// Later versions of the card (as in `previewDrawdown`): a scheduled price change
    /// prices the forecast from its instant.
    #[serde(default)]
    pub rate_card_versions: Vec<RateCard>,
    pub account: Account,
    /// Where the forecast starts: the snapshot's instant.
    pub at: Instant,
    /// Usage items of a past period, as `previewDrawdown` reads them, all before `at`.
    #[serde(default)]
    pub basis: Vec<Usage>,
    #[serde(default)]
    pub basis_days: Option<Count>,
    #[serde(default)]
    pub horizon_days: Option<Count>,
}

/// A grant that expires within the horizon with credits left, or plan credits a renewal
/// forfeits (SEMANTICS 4: rollover up to the cap; the rest lapses).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Expiring {
    pub at: Instant,
    #[serde(with = "dec")]
    pub credits: Decimal,
    pub grant_id: String,
}

/// The spendable balance at an instant.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BalancePoint {
    pub at: Instant,
    #[serde(with = "dec")]
    pub balance: Decimal,
}

/// `forecastRunway`'s answer. `runsOutAt`: the first charge the wallet (and plan allowances)
/// could not cover in full, `null` when none within the horizon; what it left uncovered is
/// owed, as a drawdown books it, and the forecast goes on to the horizon.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Runway {
    /// Balance alert transitions, as `previewDrawdown` reports them.
    pub alerts: Vec<crate::engine::drawdown::AlertEvent>,
    pub balance_at: Vec<BalancePoint>,
    #[serde(with = "dec")]
    pub balance_before: Decimal,
    pub expiring_unused: Vec<Expiring>,
    #[serde(with = "dec")]
    pub owed: Decimal,
    /// Money the reloads cost, at the currency's minor unit.
    #[serde(with = "dec")]
    pub reload_money: Decimal,
    pub reloads: Vec<ReloadEvent>,
    pub renewals: Vec<Instant>,
    pub runs_out_at: Option<Instant>,
}

/// `forecastRunway`: the basis repeated from `at` to the horizon through the drawdown.
pub fn forecast_runway(input: &RunwayInput) -> Result<Runway> {
    let card = &input.rate_card;
    crate::engine::drawdown::validate(card, &input.account)?;
    card.validate_versions(&input.rate_card_versions)?;
    let (period, end) = horizon(input)?;
    let order = basis_order(input, period)?;
    let rentals = rental_events(input, end)?;
    let rental_order = time_order(&rentals.iter().map(|e| e.at).collect::<Vec<_>>());
    let mut f = Forecast {
        d: Drive::open(card, &input.account, true, Some(input.at))?,
        days: Days::from(input.at, card.dp()),
        runs_out: None,
    };
    f.d.versions = &input.rate_card_versions;
    f.d.st.renewals = Some(vec![]);
    // The forecast reads of a charge only whether it went uncovered.
    f.d.st.keep_lines = false;
    // Nothing reads where a forecast's credits came from.
    f.d.st.set_allocations(false);
    // Each basis item is charged once a copy: priced once while its lines cannot change.
    f.d.st.priced = Some(vec![None; input.basis.len()]);
    let mut r = rental_order.iter().map(|&i| &rentals[i]).peekable();
    for k in copies(input, &order, (period, end)) {
        for &i in &order {
            let u = &input.basis[i];
            let t = shift(u.at, k * period);
            if u.kind == UsageKind::Number || t < input.at || t >= end {
                continue;
            }
            while let Some(ev) = r.next_if(|ev| ev.at < t) {
                f.step(ev)?;
            }
            f.step(&Event {
                usage: u,
                idx: i,
                at: t,
                period: None,
                days: None,
            })?;
        }
    }
    for ev in r {
        f.step(ev)?;
    }
    f.close(input, end)
}

/// A forecast under way: the drawdown, the day points, the first charge not covered.
struct Forecast<'a> {
    d: Drive<'a>,
    days: Days,
    runs_out: Option<Instant>,
}

impl Forecast<'_> {
    fn step(&mut self, ev: &Event) -> Result<()> {
        self.days.pass(ev.at, &self.d.st.grants, self.d.st.owed);
        let item = self.d.step(ev).map_err(as_basis)?;
        if self.runs_out.is_none() && std::mem::take(&mut self.d.st.uncovered) {
            self.runs_out = Some(ev.at);
        }
        self.d.give_back(item);
        Ok(())
    }

    fn close(mut self, input: &RunwayInput, end: Instant) -> Result<Runway> {
        self.d.renew_to(end)?;
        self.days.pass(end, &self.d.st.grants, self.d.st.owed);
        let expiring = expiring_unused(&self.d, input.at, end);
        let renewals = self.d.st.renewals.take().unwrap_or_default();
        let dp = input.rate_card.dp();
        let (preview, _) = self.d.close(vec![], Some(input.at));
        let mut reload_money: Decimal = preview.reloads.iter().map(|r| r.amount).sum();
        reload_money.rescale(input.rate_card.minor());
        Ok(Runway {
            alerts: preview.alerts,
            balance_at: self.days.points,
            balance_before: at_least(preview.balance_before, dp),
            expiring_unused: expiring,
            owed: preview.owed,
            reload_money,
            reloads: preview.reloads,
            renewals: renewals
                .iter()
                .map(|r| r.at)
                .filter(|t| *t >= input.at && *t < end)
                .collect(),
            runs_out_at: self.runs_out,
        })
    }
}

/// The repetition period in seconds and the horizon's end.
fn horizon(input: &RunwayInput) -> Result<(i64, Instant)> {
    let basis_days = days_in(
        input.basis_days,
        DEFAULT_BASIS_DAYS,
        MAX_BASIS_DAYS,
        "basisDays",
    )?;
    let days = days_in(
        input.horizon_days,
        DEFAULT_HORIZON_DAYS,
        MAX_HORIZON_DAYS,
        "horizonDays",
    )?;
    let copies = days.div_ceil(basis_days) + 1;
    if (input.basis.len() as u64).saturating_mul(copies) > MAX_FORECAST_ITEMS {
        return Err(Error::at(
            Code::InvalidValue,
            "horizonDays",
            "the basis repeated over the horizon is more than the 5,000,000 charges a forecast makes",
        ));
    }
    let end = input.at.plus_seconds(days * DAY as u64).ok_or_else(|| {
        Error::at(
            Code::InvalidInstant,
            "at",
            "the horizon leaves the calendar",
        )
    })?;
    Ok((basis_days as i64 * DAY, end))
}

fn days_in(v: Option<Count>, default: u64, max: u64, field: &str) -> Result<u64> {
    let n = v.map_or(default, |c| c.0);
    if n == 0 || n > max {
        return Err(Error::at(
            Code::InvalidValue,
            field,
            format!("a whole number of days from 1 to {max}"),
        ));
    }
    Ok(n)
}

/// The basis in time order, checked: every item before `at`, and all within less than one
/// period (a longer basis would count some of its days twice a period).
fn basis_order(input: &RunwayInput, period: i64) -> Result<Vec<usize>> {
    let ats: Vec<Instant> = input.basis.iter().map(|u| u.at).collect();
    let order = time_order(&ats);
    let (Some(&first), Some(&last)) = (order.first(), order.last()) else {
        return Ok(order);
    };
    let (bad, why) = if ats[last] >= input.at {
        (last, "a basis item is past usage: it must be before `at`")
    } else if (ats[last].0 - ats[first].0).num_seconds() >= period {
        (
            first,
            "the basis spans `basisDays` or more from its first item to its last",
        )
    } else {
        return Ok(order);
    };
    Err(Error::at(
        Code::InvalidValue,
        &format!("basis[{bad}].at"),
        why,
    ))
}

/// Which copies of the basis can fall in `[at, end)`: from the first that brings its last item
/// to `at` or later to the last that keeps its first before `end`.
fn copies(
    input: &RunwayInput,
    order: &[usize],
    (period, end): (i64, Instant),
) -> std::ops::RangeInclusive<i64> {
    let secs =
        |i: Option<&usize>, t: Instant| i.map_or(0, |&i| (t.0 - input.basis[i].at.0).num_seconds());
    let from = (secs(order.last(), input.at) / period).max(1);
    from..=secs(order.first(), end) / period + 1
}

fn shift(t: Instant, secs: i64) -> Instant {
    // Whole days (a period always is) move the date alone, which chrono does in place within a
    // year; a `Duration`, or a timestamp, walks the calendar (5-7 % of a forecast).
    if let Some(days) = u64::try_from(secs).ok().filter(|s| s % DAY as u64 == 0) {
        let d =
            t.0.naive_utc()
                .checked_add_days(chrono::Days::new(days / DAY as u64));
        if let Some(d) = d {
            return Instant(d.and_utc());
        }
    }
    let s = t.0.timestamp().saturating_add(secs);
    chrono::DateTime::from_timestamp(s, t.0.timestamp_subsec_nanos()).map_or(t, Instant)
}

/// Credits written with the card's decimals at least, as `owed` is.
fn at_least(mut v: Decimal, dp: u32) -> Decimal {
    v.rescale(v.scale().max(dp));
    v
}

/// A rental in the basis is charged again on each monthly anniversary of its instant that
/// falls in `[at, end)` (SEMANTICS 6: month-end days clamp), for as many numbers.
fn rental_events(input: &RunwayInput, end: Instant) -> Result<Vec<Event<'_>>> {
    let tz = input.account.time_zone;
    let mut out = vec![];
    let rentals = input.basis.iter().enumerate();
    for (i, u) in rentals.filter(|(_, u)| u.kind == UsageKind::Number) {
        // The horizon (at most 731 days) ends the schedule long before this bound.
        for k in 1..=crate::engine::drawdown::MAX_RENTAL_PERIODS {
            let t = add_months(u.at, k, tz).ok_or_else(|| {
                Error::at(
                    Code::InvalidInstant,
                    "basis",
                    "a rental leaves the calendar",
                )
            })?;
            if t >= end {
                break;
            }
            if t >= input.at {
                out.push(Event {
                    usage: u,
                    idx: i,
                    at: t,
                    period: None,
                    days: None,
                });
            }
        }
    }
    Ok(out)
}

/// Errors about a basis item name it as `basis[i]`, not as the drawdown's `usage[i]`.
fn as_basis(e: Error) -> Error {
    match e.field.as_deref().and_then(|f| f.strip_prefix("usage[")) {
        Some(rest) => Error {
            field: Some(format!("basis[{rest}")),
            ..e
        },
        None => e,
    }
}

/// The balance at every whole day from `at`: each point sees the charges before it.
struct Days {
    next: Instant,
    dp: u32,
    points: Vec<BalancePoint>,
}

impl Days {
    fn from(at: Instant, dp: u32) -> Days {
        Days {
            next: shift(at, DAY),
            dp,
            points: vec![],
        }
    }

    /// The points up to and including `t`, before the charges at `t`.
    fn pass(&mut self, t: Instant, grants: &[crate::engine::model::Grant], owed: Decimal) {
        while self.next <= t {
            let balance = at_least(spendable(grants, owed, Some(self.next)), self.dp);
            self.points.push(BalancePoint {
                at: self.next,
                balance,
            });
            self.next = shift(self.next, DAY);
        }
    }
}

/// Grants that expire in `[at, end)` with credits left (their credits at the end are those
/// at their expiry: nothing draws an expired grant), and plan credits renewals forfeited.
fn expiring_unused(d: &Drive, at: Instant, end: Instant) -> Vec<Expiring> {
    let in_horizon = |t: Instant| t >= at && t < end;
    let mut out: Vec<Expiring> =
        d.st.grants
            .iter()
            .filter(|g| g.kind != GrantType::Plan && g.remaining > Decimal::ZERO)
            .filter_map(|g| {
                let x = g.expires_at.filter(|x| in_horizon(*x))?;
                Some(Expiring {
                    at: x,
                    credits: g.remaining,
                    grant_id: g.id.clone(),
                })
            })
            .collect();
    for r in d.st.renewals.iter().flatten().filter(|r| in_horizon(r.at)) {
        out.extend(r.forfeited.iter().map(|(id, credits)| Expiring {
            at: r.at,
            credits: *credits,
            grant_id: id.clone(),
        }));
    }
    let mut order: Vec<usize> = (0..out.len()).collect();
    let key = |i: usize| (out[i].at, &out[i].grant_id);
    crate::engine::id::sort_indices(&mut order, &|a, b| key(a).cmp(&key(b)));
    order.into_iter().map(|i| out[i].clone()).collect()
}
