//! Pre-call check (SEMANTICS 9): may this call start, and for how many seconds at most?
//! `maxSeconds` is solved from the rated cost function, not found by trying durations.

use crate::engine::amount::{self, Seconds};
use crate::engine::calendar::Instant;
use crate::engine::drawdown::{gate, has_plan, Gate};
use crate::engine::error::Result;
use crate::engine::inbound::{self, Ask, Cut};
use crate::engine::model::{Account, CallDirection, Increment, OnPlanExhausted, RateCard};
use crate::engine::pools::{plan_credits, plan_left, spendable};
use crate::engine::rating::{total, voice_lines, PlanTerms};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// No answer exceeds a day: no telephony call lasts longer, and a free call needs a bound.
pub const MAX_CALL_SECONDS: u64 = 86_400;

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct CallRequest {
    pub direction: CallDirection,
    #[serde(default)]
    pub toll_free: bool,
    #[serde(default)]
    pub agent_id: Option<String>,
    /// The toll-free number an inbound call rings (SEMANTICS 18's per-number limits).
    #[serde(default)]
    pub number_id: Option<String>,
    pub at: Instant,
    #[serde(default)]
    pub requested_max_seconds: Option<Seconds>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AuthorizeInput {
    pub rate_card: RateCard,
    pub account: Account,
    pub call: CallRequest,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiError {
    pub code: &'static str,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Authorization {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub action: Option<&'static str>,
    pub allowed: bool,
    /// Credits available to this call (plan credits and/or wallet, within the agent limit).
    #[serde(with = "amount::dec")]
    pub available_credits: Decimal,
    pub code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<ApiError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_status: Option<u16>,
    pub included_seconds: u64,
    /// The inbound limit that bounds `maxSeconds` or refused the call (SEMANTICS 18).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<String>,
    pub max_seconds: u64,
}

/// The rounded cost of `b` billable seconds: what `quoteCall` bills for that duration.
fn cost(card: &RateCard, terms: PlanTerms, req: &CallRequest, b: u64) -> Result<Decimal> {
    total(
        card,
        &voice_lines(card, terms, req.direction, req.toll_free, b)?,
    )
}

/// The unrounded cost of `b` billable seconds, U(b) = fee + a*max(0, b - I) + s*b: piecewise
/// linear, its slope `a` (the per-minute rate or the plan's overage) past the `included`
/// seconds, plus `s` (the toll-free surcharge) throughout.
struct CostLine {
    fee: Decimal,
    a: Decimal,
    s: Decimal,
    included: Decimal,
}

impl CostLine {
    fn of(card: &RateCard, terms: PlanTerms, req: &CallRequest) -> Result<CostLine> {
        let (f, sixty) = ("rateCard", Decimal::from(60));
        let voice = card.voice_rate()?;
        let rate = terms.overage_per_minute.unwrap_or(voice.per_minute);
        let a = amount::checked(rate.checked_div(sixty), f)?;
        let s = if req.toll_free && req.direction == CallDirection::Inbound {
            amount::checked(card.toll_free_per_minute()?.checked_div(sixty), f)?
        } else {
            Decimal::ZERO
        };
        Ok(CostLine {
            fee: voice.connect_fee.unwrap_or_default(),
            a,
            s,
            included: Decimal::from(terms.included_seconds),
        })
    }

    /// The real b with U(b) = y (None: U never reaches y, so no bound).
    fn inverse(&self, y: Decimal) -> Option<Decimal> {
        let y = y - self.fee;
        if y < Decimal::ZERO {
            return Some(Decimal::ZERO);
        }
        if !self.s.is_zero() && y <= self.s * self.included {
            return Some(y / self.s);
        }
        let slope = self.a + self.s;
        if slope.is_zero() {
            return None;
        }
        Some(self.included + (y - self.s * self.included) / slope)
    }
}

/// Largest grid point `first + k*next` (k up to the one covering `cap`) whose rounded cost
/// fits `budget`; the caller clips it to `cap`.
///
/// Each of the (at most three) rounded lines of a cost is within one unit of its exact value
/// on the `CostLine`, so the answer's k lies between the line's inverses at `budget - 4 ulp`
/// and `budget + 4 ulp`. Those are solved in closed form (`bracket`) and the few grid points
/// between them are resolved exactly by bisection on the real cost (`bisect`).
fn max_billable(
    card: &RateCard,
    terms: PlanTerms,
    req: &CallRequest,
    inc: Increment,
    budget: Decimal,
    cap: u64,
) -> Result<u64> {
    if cap == 0 || cost(card, terms, req, inc.first)? > budget {
        return Ok(0);
    }
    // The cap bounds the call's duration; the grid point at or above it bills that duration.
    let k_cap = if cap <= inc.first {
        0
    } else {
        (cap - inc.first).div_ceil(inc.next)
    };
    // When the capped duration fits, that is the answer; otherwise the budget is below the
    // cost of the cap, which bounds every quotient below (no Decimal overflow, even for a
    // budget of 10^17 over a rate of 10^-12 a minute).
    if cost(card, terms, req, inc.first + k_cap * inc.next)? <= budget {
        return Ok(inc.first + k_cap * inc.next);
    }
    let line = CostLine::of(card, terms, req)?;
    let (lo, hi) = bracket(&line, inc, budget, Decimal::new(1, card.dp()), k_cap);
    let fits = |k: u64| Ok(cost(card, terms, req, inc.first + k * inc.next)? <= budget);
    Ok(inc.first + bisect(fits, lo, hi, k_cap)? * inc.next)
}

/// The grid indices around the line's inverse at `budget`, widened by the rounding margin
/// and clipped to `0..=k_cap`: `lo` fits unless rounding is pathological, `hi` does not.
fn bracket(
    line: &CostLine,
    inc: Increment,
    budget: Decimal,
    ulp: Decimal,
    k_cap: u64,
) -> (u64, u64) {
    let to_k = |b: Option<Decimal>, up: bool| -> u64 {
        let Some(b) = b else { return k_cap };
        let k = (b - Decimal::from(inc.first)) / Decimal::from(inc.next);
        let k = if up {
            k.ceil() + Decimal::ONE
        } else {
            k.floor() - Decimal::ONE
        };
        u64::try_from(k.max(Decimal::ZERO))
            .unwrap_or(u64::MAX)
            .min(k_cap)
    };
    let margin = ulp * Decimal::from(4); // three rounded lines, each within one ulp
    (
        to_k(line.inverse(budget - margin), false),
        to_k(line.inverse(budget + margin), true),
    )
}

/// The largest k in `0..=k_cap` that `fits`, searched from the bracket `lo`..`hi` (each
/// guarded: halved or doubled until the invariant holds), given that 0 fits.
fn bisect(fits: impl Fn(u64) -> Result<bool>, mut lo: u64, mut hi: u64, k_cap: u64) -> Result<u64> {
    while lo > 0 && !fits(lo)? {
        lo /= 2;
    }
    while fits(hi)? {
        if hi >= k_cap {
            return Ok(hi);
        }
        lo = hi;
        hi = hi.saturating_mul(2).saturating_add(1).min(k_cap);
    }
    // Invariant: fits(lo) and not fits(hi).
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if fits(mid)? {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(lo)
}

/// `authorizeCall`.
pub fn authorize_call(input: &AuthorizeInput) -> Result<Authorization> {
    crate::engine::drawdown::validate(&input.rate_card, &input.account)?;
    authorize_with(&input.rate_card, &input.account, &input.call)
}

/// `authorizeCall` on a card and account already validated (a prepared account's path).
pub fn authorize_with(
    card: &RateCard,
    opening: &Account,
    req: &CallRequest,
) -> Result<Authorization> {
    inbound::check_number(req.number_id.as_deref(), "call.numberId")?;
    let t = req.at;
    // SEMANTICS 11: live calls' holds are set aside first; the check sees what is left.
    let view;
    let account = if opening.holds.is_empty() {
        opening
    } else {
        view = crate::engine::pools::available(opening, t, None);
        &view
    };
    let voice = card.voice_rate()?;
    let (g, budget, terms) = budget_for(account, req);
    let cap = req
        .requested_max_seconds
        .map_or(MAX_CALL_SECONDS, |r| r.0.min(MAX_CALL_SECONDS));
    // SEMANTICS 18: the limits count the live holds, so they read the account before the
    // holds are set aside.
    let cut = inbound_cut(opening, req, cap)?;
    let cap = cut.as_ref().map_or(cap, |c| c.seconds);
    let (code, max_seconds) = match g {
        Gate::Refused(reason) => (reason, 0),
        _ if cut.as_ref().is_some_and(|c| c.seconds == 0) => ("inbound_limit", 0),
        _ => {
            let m = max_billable(card, terms, req, voice.increment, budget, cap)?.min(cap);
            ("insufficient_credits", m)
        }
    };
    let allowed = max_seconds > 0;
    let code = if allowed { "ok" } else { code };
    let mut out = Authorization {
        allowed,
        code,
        max_seconds,
        available_credits: budget,
        included_seconds: terms.included_seconds,
        limit: cut.filter(|c| c.seconds == max_seconds).map(|c| c.limit),
        http_status: None,
        error: None,
        action: None,
    };
    if !allowed {
        refuse(&mut out, req.direction);
    }
    Ok(out)
}

/// Where an inbound toll-free call's limits cut it (SEMANTICS 18), if any binds below `cap`.
pub(crate) fn inbound_cut(account: &Account, req: &CallRequest, cap: u64) -> Result<Option<Cut>> {
    if !(req.toll_free && req.direction == CallDirection::Inbound) {
        return Ok(None);
    }
    let ask = Ask {
        number_id: req.number_id.as_deref(),
        started_at: req.at,
        at: req.at,
        except: None,
        cap,
    };
    inbound::cut(account, &ask)
}

/// What the call may draw (SEMANTICS 9): the gate, the budget in credits and the plan's
/// terms for the call.
fn budget_for(account: &Account, req: &CallRequest) -> (Gate, Decimal, PlanTerms) {
    let t = req.at;
    let policy = account.agent(req.agent_id.as_deref());
    let spent = policy.spent_this_cycle.unwrap_or_default();
    let included = account.included_seconds();
    let active_plan_credits = plan_credits(&account.grants, t);
    let plan_left = plan_left(included, active_plan_credits);
    let g = gate(
        account,
        req.agent_id.as_deref(),
        spent,
        has_plan(account, &account.grants),
        plan_left,
    );
    let use_plan = g == Gate::PlanThenWallet;
    let stop = policy.on_plan_exhausted == OnPlanExhausted::Stop;
    let plan_credit = if use_plan {
        active_plan_credits
    } else {
        Decimal::ZERO
    };
    // A `stop` agent never draws the wallet (seed 002: it stops until the plan renews).
    let wallet = if stop {
        Decimal::ZERO
    } else {
        spendable(&account.grants, account.owed.unwrap_or_default(), Some(t)).max(Decimal::ZERO)
    };
    let mut budget = plan_credit + wallet;
    if let Some(limit) = policy.monthly_limit.filter(|_| stop) {
        budget = budget.min((limit - spent).max(Decimal::ZERO));
    }
    let terms = PlanTerms::of(account.plan.as_ref(), if use_plan { included } else { 0 });
    (g, budget, terms)
}

/// A refusal as seed 001 answers it: outbound answers 402; inbound plays an error message
/// and logs a rejection.
fn refuse(out: &mut Authorization, direction: CallDirection) {
    let limited;
    let message = match out.code {
        "insufficient_credits" if direction == CallDirection::Outbound => {
            "Insufficient credits to make outbound call. Please add credits in your billing dashboard."
        }
        "insufficient_credits" => "Insufficient credits to take inbound call.",
        "plan_exhausted" => "The plan allowance is used up and this agent is set to stop.",
        "inbound_limit" => {
            limited = inbound::message(out.limit.as_deref().unwrap_or_default());
            &limited
        }
        _ => "This agent has reached its monthly spending limit.",
    };
    out.error = Some(ApiError {
        code: out.code,
        message: message.to_string(),
    });
    match direction {
        CallDirection::Outbound => out.http_status = Some(402),
        CallDirection::Inbound => out.action = Some("reject_inbound"),
    }
}
