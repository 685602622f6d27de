//! Auto-reload: when it fires, how large it is, and whether its settings make sense
//! (SEMANTICS 7; seed 000 `thresholdUsd`/`amountUsd`, seed 002 "needs a payment method").

use crate::amount::{self, check_money, dec, opt_dec};
use crate::error::Result;
use crate::model::{Account, AutoReload, CallDirection, RateCard};
use crate::rating::{voice_lines, PlanTerms};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The reload a spendable balance calls for, in credits: `None` unless the balance is
/// strictly below the threshold. Lago's gap rule: the smallest whole multiple `k >= 1` of
/// the amount that lifts the balance to at least the threshold.
pub fn reload_multiple(balance: Decimal, threshold: Decimal, amount: Decimal) -> Option<u64> {
    if balance >= threshold || amount <= Decimal::ZERO {
        return None;
    }
    let gap = threshold.checked_sub(balance)?;
    // ceil(gap / amount), exactly (no 28-digit quotient to round first).
    let k = amount::round_div(gap, amount, 0, amount::RoundingMode::Up)?;
    u64::try_from(k.max(Decimal::ONE)).ok()
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReloadContext {
    #[serde(default)]
    pub max_call_seconds: Option<amount::Seconds>,
    /// Credits the account is expected to spend per day.
    #[serde(default, with = "opt_dec")]
    pub expected_daily_spend: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ValidateInput {
    pub settings: AutoReload,
    #[serde(default)]
    pub rate_card: Option<RateCard>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub context: Option<ReloadContext>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub code: String,
    pub field: String,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Validation {
    pub errors: Vec<Finding>,
    pub valid: bool,
    pub warnings: Vec<Finding>,
}

fn finding(field: &str, code: &str, message: String) -> Finding {
    Finding {
        field: field.to_string(),
        code: code.to_string(),
        message,
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ReloadEvent {
    #[serde(with = "dec")]
    pub amount: Decimal,
    pub at: crate::calendar::Instant,
    #[serde(with = "dec")]
    pub credits: Decimal,
    /// The id of the prepaid grant the reload lands as.
    pub id: String,
    pub multiple: u64,
    /// Credits of this reload that settled what was owed first.
    #[serde(with = "dec")]
    pub settled_owed: Decimal,
}

/// `validateAutoReload`: every problem at once, each with its field and code.
pub fn validate_auto_reload(input: &ValidateInput) -> Result<Validation> {
    let s = &input.settings;
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    if let Some(card) = &input.rate_card {
        card.validate().map_err(|e| e.within("rateCard"))?;
    }
    let currency = input
        .rate_card
        .as_ref()
        .map(|c| c.currency.code.as_str())
        .unwrap_or("");
    if s.enabled
        && s.payment_method
            .as_deref()
            .is_none_or(|p| p.trim().is_empty())
    {
        errors.push(finding(
            "settings.paymentMethod",
            "payment_method_required",
            "auto-reload needs a saved payment method".into(),
        ));
    }
    if s.threshold.is_sign_negative() && !s.threshold.is_zero() {
        errors.push(finding(
            "settings.threshold",
            "negative_threshold",
            format!("threshold must not be negative, got {}", s.threshold),
        ));
    }
    if s.amount <= Decimal::ZERO {
        errors.push(finding(
            "settings.amount",
            "amount_not_positive",
            format!("amount must be greater than zero, got {}", s.amount),
        ));
    }
    if s.max_reloads_per_day == Some(0) {
        errors.push(finding(
            "settings.maxReloadsPerDay",
            "invalid_max_reloads",
            "maxReloadsPerDay must be at least 1".into(),
        ));
    }
    if let Some(card) = &input.rate_card {
        let minor = card.minor();
        for (f, v) in [
            ("settings.threshold", s.threshold),
            ("settings.amount", s.amount),
        ] {
            if let Err(e) = check_money(v, minor, currency, f) {
                errors.push(finding(f, &e.code, e.message));
            }
        }
    }
    let limits = input
        .account
        .as_ref()
        .and_then(|a| a.limits.clone())
        .unwrap_or_default();
    if let Some(min) = limits.min_top_up {
        if s.amount > Decimal::ZERO && s.amount < min {
            errors.push(finding(
                "settings.amount",
                "amount_below_min_top_up",
                format!("amount {} is below the minimum top-up {min}", s.amount),
            ));
        }
    }
    if let Some(max) = limits.max_top_up {
        if s.amount > max {
            errors.push(finding(
                "settings.amount",
                "amount_above_max_top_up",
                format!("amount {} is above the maximum top-up {max}", s.amount),
            ));
        }
    }
    if let Some(max) = limits.max_balance {
        let top = amount::checked(s.threshold.checked_add(s.amount), "settings.amount")?;
        if top > max {
            warnings.push(finding(
                "settings.amount",
                "exceeds_wallet_max",
                format!("threshold + amount ({top}) exceeds the wallet maximum {max}"),
            ));
        }
    }
    let ctx = input.context.clone().unwrap_or_default();
    if let (Some(card), Some(secs)) = (&input.rate_card, ctx.max_call_seconds) {
        // The costliest call of that length: inbound toll-free (where the card has a
        // surcharge) with the connect fee, no plan.
        let toll_free = card.toll_free_surcharge.is_some();
        let lines = voice_lines(card, PlanTerms::default(), CallDirection::Inbound, toll_free, secs.0)?;
        let cost = crate::rating::total(card, &lines)?;
        let threshold = card.to_credits(s.threshold, "settings.threshold")?;
        if threshold < cost {
            warnings.push(finding(
                "settings.threshold",
                "threshold_below_max_call_cost",
                format!("threshold ({threshold} credits) is below one {}-second call ({cost} credits): an agent can go silent mid-call", secs.0),
            ));
        }
    }
    if let (Some(card), Some(spend), Some(max)) = (
        &input.rate_card,
        ctx.expected_daily_spend,
        s.max_reloads_per_day,
    ) {
        let per = card.to_credits(s.amount, "settings.amount")?;
        if per > Decimal::ZERO {
            let reloads =
                amount::checked(spend.checked_div(per), "context.expectedDailySpend")?.ceil();
            if reloads > Decimal::from(max) {
                warnings.push(finding(
                    "settings.amount",
                    "reloads_exceed_daily_max",
                    format!("expected spend of {spend} credits a day needs {reloads} reloads of {per} credits, more than maxReloadsPerDay {max}"),
                ));
            }
        }
    }
    if errors.is_empty() && input.rate_card.is_none() && input.account.is_none() {
        // Nothing to check currency precision or limits against; say so rather than pass silently.
        warnings.push(finding(
            "rateCard",
            "not_checked_against_rate_card",
            "no rateCard given: currency precision and call-cost checks were skipped".into(),
        ));
    }
    Ok(Validation {
        valid: errors.is_empty(),
        errors,
        warnings,
    })
}

#[cfg(test)]
mod tests {
    use super::reload_multiple;
    use rust_decimal::Decimal;

    fn d(s: &str) -> Decimal {
        crate::amount::parse_decimal(s).unwrap()
    }

    #[test]
    fn the_multiple_closes_the_gap_exactly() {
        assert_eq!(reload_multiple(d("100"), d("2000"), d("500")), Some(4)); // gap 1900
        assert_eq!(reload_multiple(d("0"), d("1500"), d("500")), Some(3)); // exact multiple
        assert_eq!(
            reload_multiple(d("1999.9999"), d("2000"), d("1000")),
            Some(1)
        );
        assert_eq!(reload_multiple(d("0"), d("1"), d("3")), Some(1));
        assert_eq!(reload_multiple(d("0"), d("10"), d("3")), Some(4)); // 3.333... -> 4
        assert_eq!(reload_multiple(d("2000"), d("2000"), d("500")), None); // not below
        assert_eq!(reload_multiple(d("-40"), d("500"), d("1000")), Some(1));
        assert_eq!(reload_multiple(d("0"), d("500"), d("0")), None);
    }
}
