//! Rating: usage -> charge lines (SEMANTICS 3). Every line is computed exactly and rounded
//! once at the end with the card's mode and `creditDecimals`.

use crate::engine::amount::{self, check_money, non_negative, round_div};
use crate::engine::error::{Code, Error, Result};
use crate::engine::model::{Call, CallDirection, ChargeLine, Money, Plan, RateCard};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

const SIXTY: Decimal = Decimal::from_parts(60, 0, 0, false, 0);

/// `seconds * per_minute / 60`, rounded once.
fn per_minute(card: &RateCard, seconds: u64, rate: Decimal, field: &str) -> Result<Decimal> {
    let n = amount::checked(Decimal::from(seconds).checked_mul(rate), field)?;
    amount::checked(round_div(n, SIXTY, card.dp(), card.mode()), field)
}

fn times(card: &RateCard, qty: Decimal, rate: Decimal, field: &str) -> Result<Decimal> {
    let n = amount::checked(qty.checked_mul(rate), field)?;
    amount::checked(round_div(n, Decimal::ONE, card.dp(), card.mode()), field)
}

fn line(
    code: &'static str,
    channel: &'static str,
    qty: u64,
    unit: &'static str,
    rate: Decimal,
    credits: Decimal,
    bucket: &'static str,
) -> ChargeLine {
    ChargeLine {
        code,
        channel,
        quantity: Decimal::from(qty),
        unit: std::borrow::Cow::Borrowed(unit),
        rate,
        credits,
        bucket,
        increment: None,
        reason: None,
    }
}

/// What the plan offers one call: seconds of included minutes, and the rate past them.
#[derive(Debug, Clone, Copy, Default)]
pub struct PlanTerms {
    pub included_seconds: u64,
    pub overage_per_minute: Option<Decimal>,
}

impl PlanTerms {
    pub fn of(plan: Option<&Plan>, included_seconds: u64) -> Self {
        match plan {
            Some(p) => PlanTerms {
                included_seconds,
                overage_per_minute: p.overage_per_minute,
            },
            None => PlanTerms::default(),
        }
    }
}

/// The AI-minute part of a call: billable seconds split into covered and overage, the
/// connect fee and the toll-free surcharge. Shared by `quote_call` and `authorize`.
pub fn voice_lines(
    card: &RateCard,
    terms: PlanTerms,
    direction: CallDirection,
    toll_free: bool,
    d: u64,
) -> Result<Vec<ChargeLine>> {
    let mut out = Vec::with_capacity(4);
    voice_lines_into(&mut out, card, terms, (direction, toll_free), d)?;
    Ok(out)
}

/// `voice_lines`, appended to `out` (a drawdown reuses one buffer for every item's lines).
fn voice_lines_into(
    out: &mut Vec<ChargeLine>,
    card: &RateCard,
    terms: PlanTerms,
    (direction, toll_free): (CallDirection, bool),
    d: u64,
) -> Result<()> {
    if d == 0 {
        return Ok(());
    }
    let voice = card.voice_rate()?;
    let b = voice.increment.billable(d);
    ai_minute_lines(out, card, terms, voice, b)?;
    if let Some(fee) = voice.connect_fee.filter(|f| !f.is_zero()) {
        let credits = times(card, Decimal::ONE, fee, "rateCard.voice.connectFee")?;
        out.push(line(
            "voice.connect_fee",
            "voice",
            1,
            "call",
            fee,
            credits,
            "none",
        ));
    }
    // Seed 000: toll-free inbound adds a flat per-minute surcharge on the AI line's billable
    // seconds, on every plan, never covered by included minutes.
    if toll_free && direction == CallDirection::Inbound {
        let rate = card.toll_free_per_minute()?;
        let credits = per_minute(card, b, rate, "rateCard.tollFreeSurcharge.perMinute")?;
        let mut l = line(
            "voice.toll_free_surcharge",
            "voice",
            b,
            "second",
            rate,
            credits,
            "none",
        );
        l.increment = Some(voice.increment);
        out.push(l);
    }
    Ok(())
}

/// The AI line's billable seconds: those the plan includes, then the overage (or voice)
/// rate on the rest.
fn ai_minute_lines(
    out: &mut Vec<ChargeLine>,
    card: &RateCard,
    terms: PlanTerms,
    voice: &crate::engine::model::VoiceRate,
    b: u64,
) -> Result<()> {
    let covered = b.min(terms.included_seconds);
    if covered > 0 {
        let mut l = line(
            "voice.included_minutes",
            "voice",
            covered,
            "second",
            Decimal::ZERO,
            Decimal::ZERO,
            "ai_minutes",
        );
        l.credits.rescale(card.dp());
        l.increment = Some(voice.increment);
        out.push(l);
    }
    let over = b - covered;
    if over > 0 {
        let rate = terms.overage_per_minute.unwrap_or(voice.per_minute);
        let credits = per_minute(card, over, rate, "rateCard.voice.perMinute")?;
        let mut l = line(
            "voice.ai_minutes",
            "voice",
            over,
            "second",
            rate,
            credits,
            "ai_minutes",
        );
        l.increment = Some(voice.increment);
        out.push(l);
    }
    Ok(())
}

/// The most decimals a carrier pass-through cost may carry (SEMANTICS 1), in any currency.
pub const PASS_THROUGH_DECIMALS: u32 = 6;

/// Every line of one call: voice, carrier pass-through at cost, transfer minutes.
pub fn call_lines(card: &RateCard, terms: PlanTerms, call: &Call) -> Result<Vec<ChargeLine>> {
    let mut out = Vec::with_capacity(4);
    call_lines_into(&mut out, card, terms, call)?;
    Ok(out)
}

/// `call_lines`, appended to `out`.
pub fn call_lines_into(
    out: &mut Vec<ChargeLine>,
    card: &RateCard,
    terms: PlanTerms,
    call: &Call,
) -> Result<()> {
    let voice = (call.direction, call.toll_free);
    voice_lines_into(out, card, terms, voice, call.connected_seconds.0)?;
    for (i, p) in call.carrier_pass_through.iter().enumerate() {
        let f = format!("call.carrierPassThrough[{i}].amount");
        non_negative(p.amount, &f)?;
        // SEMANTICS 1: what a carrier bills, often fractions of a cent ("0.0045").
        check_money(p.amount, PASS_THROUGH_DECIMALS, &card.currency.code, &f)?;
        // Seed 000: carrier cost above the surcharge passes through at cost, no markup.
        let credits = times(card, p.amount, card.credits_per_unit, &f)?;
        let mut l = line(
            "voice.carrier_pass_through",
            "voice",
            0,
            "",
            card.credits_per_unit,
            credits,
            "none",
        );
        l.quantity = p.amount;
        l.unit = card.currency.code.clone().into();
        l.reason = p.reason.clone();
        out.push(l);
    }
    if let Some(t) = call.transfer.as_ref().filter(|t| t.bridged_seconds.0 > 0) {
        let rate = card.transfer.as_ref().ok_or_else(|| {
            Error::at(
                Code::MissingRate,
                "rateCard.transfer",
                "the rate card has no transfer rate",
            )
        })?;
        // Seed 000: the whole bridged time, hold and queue included; never included minutes.
        let b = rate.increment.billable(t.bridged_seconds.0);
        let credits = per_minute(card, b, rate.per_minute, "rateCard.transfer.perMinute")?;
        let mut l = line(
            "transfer_minute",
            "transfer_minute",
            b,
            "second",
            rate.per_minute,
            credits,
            "none",
        );
        l.increment = Some(rate.increment);
        out.push(l);
    }
    Ok(())
}

/// Seed 000: chat is billed per message exchanged, both directions.
pub fn chat_line(card: &RateCard, messages: u64) -> Result<ChargeLine> {
    let rate = card.chat.as_ref().ok_or_else(|| {
        Error::at(
            Code::MissingRate,
            "rateCard.chat",
            "the rate card has no chat rate",
        )
    })?;
    let credits = times(
        card,
        Decimal::from(messages),
        rate.per_message,
        "rateCard.chat.perMessage",
    )?;
    Ok(line(
        "chat.message",
        "chat",
        messages,
        "message",
        rate.per_message,
        credits,
        "messages",
    ))
}

/// One period of number rental; `fraction` prorates a first partial period (SEMANTICS 6).
pub fn rental_line(
    card: &RateCard,
    kind: &str,
    count: u64,
    days: Option<(i64, i64)>,
) -> Result<ChargeLine> {
    let rate = card.numbers.get(kind).ok_or_else(|| {
        Error::at(
            Code::MissingRate,
            &format!("rateCard.numbers.{kind}"),
            format!("the rate card has no `{kind}` number rental"),
        )
    })?;
    let f = "rateCard.numbers";
    let full = amount::checked(Decimal::from(count).checked_mul(rate.monthly), f)?;
    let credits = match days {
        Some((part, whole)) => {
            let n = amount::checked(full.checked_mul(Decimal::from(part)), f)?;
            amount::checked(
                round_div(n, Decimal::from(whole), card.dp(), card.mode()),
                f,
            )?
        }
        None => amount::checked(round_div(full, Decimal::ONE, card.dp(), card.mode()), f)?,
    };
    Ok(line(
        "number.rental",
        "number",
        count,
        "number_month",
        rate.monthly,
        credits,
        "none",
    ))
}

pub fn total(card: &RateCard, lines: &[ChargeLine]) -> Result<Decimal> {
    let mut t = Decimal::ZERO;
    t.rescale(card.dp());
    for l in lines {
        t = amount::checked(t.checked_add(l.credits), "totalCredits")?;
    }
    Ok(t)
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct QuoteInput {
    pub rate_card: RateCard,
    #[serde(default)]
    pub plan: Option<Plan>,
    #[serde(default)]
    pub included_seconds_remaining: Option<amount::Seconds>,
    pub call: Call,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Quote {
    pub lines: Vec<ChargeLine>,
    #[serde(with = "amount::dec")]
    pub total_credits: Decimal,
    pub total_money: Money,
}

/// `quoteCall`: the charge lines one call would bill.
pub fn quote_call(input: &QuoteInput) -> Result<Quote> {
    let card = &input.rate_card;
    card.validate().map_err(|e| e.within("rateCard"))?;
    if let Some(p) = &input.plan {
        p.validate(card, "plan")?;
    }
    quote_with(
        card,
        input.plan.as_ref(),
        input.included_seconds_remaining,
        &input.call,
    )
}

/// `quoteCall` on a card and plan already validated (a prepared pricer's path): the
/// plan's included seconds, unless `included_seconds_remaining` says how many are left.
pub fn quote_with(
    card: &RateCard,
    plan: Option<&Plan>,
    included_seconds_remaining: Option<amount::Seconds>,
    call: &Call,
) -> Result<Quote> {
    let included = match (plan, included_seconds_remaining) {
        (None, _) => 0,
        (Some(_), Some(s)) => s.0,
        (Some(p), None) => p.included_seconds(),
    };
    let terms = PlanTerms::of(plan, included);
    let lines = call_lines(card, terms, call)?;
    let total_credits = total(card, &lines)?;
    let amount = card.to_money(total_credits, "totalMoney")?;
    Ok(Quote {
        lines,
        total_credits,
        total_money: Money {
            amount,
            currency: card.currency.code.clone(),
        },
    })
}

#[cfg(test)]
mod tests {
    use crate::engine::model::Increment;

    #[test]
    fn increments_follow_first_next() {
        let i = Increment { first: 30, next: 6 };
        assert_eq!(
            [0, 1, 30, 31, 36, 37].map(|d| i.billable(d)),
            [0, 30, 30, 36, 36, 42]
        );
        let m = Increment {
            first: 60,
            next: 60,
        };
        assert_eq!([59, 60, 61, 121].map(|d| m.billable(d)), [60, 60, 120, 180]);
    }
}
