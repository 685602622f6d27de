//! Auto-reload: when it fires, how large it is, and whether its settings make sense
//! (SEMANTICS 7; seed 000 `thresholdUsd`/`amountUsd`, seed 002 "needs a payment method").

use crate::engine::amount::{self, check_money, dec, opt_dec};
use crate::engine::error::Result;
use crate::engine::model::{Account, AutoReload, CallDirection, RateCard};
use crate::engine::rating::{voice_lines, PlanTerms};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The reload a spendable balance calls for, in credits: `None` unless the balance is
/// strictly below the threshold. Lago's gap rule: the smallest whole multiple `k >= 1` of
/// the amount that lifts the balance to at least the threshold.
pub fn reload_multiple(balance: Decimal, threshold: Decimal, amount: Decimal) -> Option<u64> {
    if !amount::positive(&amount) || amount::cmp(&balance, &threshold).is_ge() {
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
    pub settings: SettingsForm,
    #[serde(default)]
    pub rate_card: Option<RateCard>,
    #[serde(default)]
    pub account: Option<Account>,
    #[serde(default)]
    pub context: Option<ReloadContext>,
}

/// Auto-reload settings as a person fills them in (SEMANTICS 7): any field may be empty,
/// missing or not a decimal, and each such field is a finding of its own, not a failure of
/// the whole call. `AutoReload` is what it becomes once every field reads.
#[derive(Debug, Clone, Default)]
pub struct SettingsForm {
    pub enabled: serde_json::Value,
    pub threshold: serde_json::Value,
    pub amount: serde_json::Value,
    pub payment_method: serde_json::Value,
    pub max_reloads_per_day: serde_json::Value,
    /// Fields the settings do not have (each an `unknown_field` finding).
    pub unknown: std::collections::BTreeMap<String, serde_json::Value>,
}

/// Read as one map whose known keys are taken out (`thresholdUsd` and `amountUsd` are the
/// seed's names): serde's `flatten` for the rest cost 3 KB of the wasm module.
impl<'de> Deserialize<'de> for SettingsForm {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let mut map = std::collections::BTreeMap::<String, serde_json::Value>::deserialize(d)?;
        let mut take = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| map.remove(*n))
                .unwrap_or_default()
        };
        Ok(SettingsForm {
            enabled: take(&["enabled"]),
            threshold: take(&["threshold", "thresholdUsd"]),
            amount: take(&["amount", "amountUsd"]),
            payment_method: take(&["paymentMethod"]),
            max_reloads_per_day: take(&["maxReloadsPerDay"]),
            unknown: map,
        })
    }
}

impl From<&AutoReload> for SettingsForm {
    fn from(a: &AutoReload) -> SettingsForm {
        use serde_json::json;
        SettingsForm {
            enabled: json!(a.enabled),
            threshold: json!(a.threshold.to_string()),
            amount: json!(a.amount.to_string()),
            payment_method: json!(a.payment_method),
            max_reloads_per_day: json!(a.max_reloads_per_day),
            unknown: Default::default(),
        }
    }
}

/// A decimal field of the form: `missing_field` when absent, null or blank; `invalid_decimal`
/// when it is not a decimal string or a whole JSON number (`"1,000"`, `"$10"`, `5.5`).
fn form_decimal(v: &serde_json::Value, field: &str, out: &mut Vec<Finding>) -> Option<Decimal> {
    use serde_json::Value;
    let parsed = match v {
        Value::Null => Err(("missing_field", format!("{field} is required"))),
        Value::String(t) if t.trim().is_empty() => {
            Err(("missing_field", format!("{field} is required")))
        }
        Value::String(t) => amount::parse_decimal(t).map_err(|m| ("invalid_decimal", m)),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) if i.unsigned_abs() <= amount::MAX_SAFE_INTEGER => Ok(Decimal::from(i)),
            (_, Some(u)) if u <= amount::MAX_SAFE_INTEGER => Ok(Decimal::from(u)),
            _ => Err((
                "invalid_decimal",
                format!("`{n}` is not exact: pass decimals as strings, like \"5.50\""),
            )),
        },
        other => Err((
            "invalid_decimal",
            format!("`{other}` is not a decimal string like \"12.5\""),
        )),
    };
    parsed
        .map_err(|(code, m)| out.push(finding(field, code, m)))
        .ok()
}

/// The fields of a form that read (each `None` where the field did not).
#[derive(Debug, Clone, Default)]
pub struct Partial {
    pub enabled: Option<bool>,
    pub threshold: Option<Decimal>,
    pub amount: Option<Decimal>,
    pub payment_method: Option<Option<String>>,
    pub max_reloads_per_day: Option<Option<u32>>,
}

impl Partial {
    /// The settings, once every field reads.
    pub fn complete(&self) -> Option<AutoReload> {
        Some(AutoReload {
            enabled: self.enabled?,
            threshold: self.threshold?,
            amount: self.amount?,
            payment_method: self.payment_method.clone()?,
            max_reloads_per_day: self.max_reloads_per_day?,
        })
    }
}

/// Read a form: the fields that read, and a finding for every field that does not.
pub fn read_settings(form: &SettingsForm) -> (Partial, Vec<Finding>) {
    use serde_json::Value;
    let mut out = Vec::new();
    let enabled = match &form.enabled {
        Value::Bool(b) => Some(*b),
        Value::Null => Some(false),
        other => {
            out.push(finding(
                "settings.enabled",
                "invalid_type",
                format!("enabled is true or false, got {other}"),
            ));
            None
        }
    };
    let threshold = form_decimal(&form.threshold, "settings.threshold", &mut out);
    let amount = form_decimal(&form.amount, "settings.amount", &mut out);
    let payment_method = match &form.payment_method {
        Value::Null => Some(None),
        Value::String(p) => Some(Some(p.clone())),
        other => {
            out.push(finding(
                "settings.paymentMethod",
                "invalid_type",
                format!("paymentMethod is a string, got {other}"),
            ));
            None
        }
    };
    let max_reloads_per_day = match &form.max_reloads_per_day {
        Value::Null => Some(None),
        Value::Number(n) if n.as_u64().is_some_and(|n| n <= u64::from(u32::MAX)) => {
            n.as_u64().map(|n| Some(n as u32))
        }
        other => {
            out.push(finding(
                "settings.maxReloadsPerDay",
                "invalid_max_reloads",
                format!("maxReloadsPerDay is a whole number, got {other}"),
            ));
            None
        }
    };
    for k in form.unknown.keys() {
        out.push(finding(
            &format!("settings.{k}"),
            "unknown_field",
            format!("auto-reload settings have no field `{k}`"),
        ));
    }
    (
        Partial {
            enabled,
            threshold,
            amount,
            payment_method,
            max_reloads_per_day,
        },
        out,
    )
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
    pub at: crate::engine::calendar::Instant,
    #[serde(with = "dec")]
    pub credits: Decimal,
    /// The id of the prepaid grant the reload lands as.
    pub id: String,
    pub multiple: u64,
    /// Credits of this reload that settled what was owed first.
    #[serde(with = "dec")]
    pub settled_owed: Decimal,
    /// A re-draw's (SEMANTICS 15): the reload was paid before, when the books first set it
    /// off, so it lands again without a new payment.
    #[serde(skip)]
    pub paid: bool,
}

/// `validateAutoReload`: every problem at once, each with its field and code (SEMANTICS 7).
/// Only a malformed `rateCard` or `account` fails the whole call.
pub fn validate_auto_reload(input: &ValidateInput) -> Result<Validation> {
    if let Some(card) = &input.rate_card {
        card.validate().map_err(|e| e.within("rateCard"))?;
    }
    let (s, mut errors) = read_settings(&input.settings);
    errors.extend(setting_errors(&s, input));
    let mut warnings = setting_warnings(&s, input)?;
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

/// The rules on the fields that read; a field that did not read has its finding already.
fn setting_errors(s: &Partial, input: &ValidateInput) -> Vec<Finding> {
    let mut errors = Vec::new();
    let method = s.payment_method.clone().flatten();
    if s.enabled == Some(true)
        && s.payment_method.is_some()
        && method.as_deref().is_none_or(|p| p.trim().is_empty())
    {
        errors.push(finding(
            "settings.paymentMethod",
            "payment_method_required",
            "auto-reload needs a saved payment method".into(),
        ));
    }
    if let Some(t) = s.threshold.filter(|t| t.is_sign_negative() && !t.is_zero()) {
        errors.push(finding(
            "settings.threshold",
            "negative_threshold",
            format!("threshold must not be negative, got {t}"),
        ));
    }
    if let Some(a) = s.amount.filter(|a| *a <= Decimal::ZERO) {
        errors.push(finding(
            "settings.amount",
            "amount_not_positive",
            format!("amount must be greater than zero, got {a}"),
        ));
    }
    if s.max_reloads_per_day == Some(Some(0)) {
        errors.push(finding(
            "settings.maxReloadsPerDay",
            "invalid_max_reloads",
            "maxReloadsPerDay must be at least 1".into(),
        ));
    }
    if let Some(card) = &input.rate_card {
        for (f, v) in [
            ("settings.threshold", s.threshold),
            ("settings.amount", s.amount),
        ] {
            if let Some(Err(e)) = v.map(|v| check_money(v, card.minor(), &card.currency.code, f)) {
                errors.push(finding(f, e.code.as_str(), e.message));
            }
        }
    }
    let limits = input
        .account
        .as_ref()
        .and_then(|a| a.limits.clone())
        .unwrap_or_default();
    if let (Some(min), Some(a)) = (limits.min_top_up, s.amount) {
        if a > Decimal::ZERO && a < min {
            errors.push(finding(
                "settings.amount",
                "amount_below_min_top_up",
                format!("amount {a} is below the minimum top-up {min}"),
            ));
        }
    }
    if let (Some(max), Some(a)) = (limits.max_top_up, s.amount) {
        if a > max {
            errors.push(finding(
                "settings.amount",
                "amount_above_max_top_up",
                format!("amount {a} is above the maximum top-up {max}"),
            ));
        }
    }
    errors
}

/// Valid but unwise settings (SEMANTICS 7's warnings), on the fields that read.
fn setting_warnings(s: &Partial, input: &ValidateInput) -> Result<Vec<Finding>> {
    let mut warnings = Vec::new();
    let limits = input
        .account
        .as_ref()
        .and_then(|a| a.limits.clone())
        .unwrap_or_default();
    if let (Some(max), Some(t), Some(a)) = (limits.max_balance, s.threshold, s.amount) {
        let top = amount::checked(t.checked_add(a), "settings.amount")?;
        if top > max {
            warnings.push(finding(
                "settings.amount",
                "exceeds_wallet_max",
                format!("threshold + amount ({top}) exceeds the wallet maximum {max}"),
            ));
        }
    }
    let ctx = input.context.clone().unwrap_or_default();
    if let (Some(card), Some(secs), Some(t)) = (&input.rate_card, ctx.max_call_seconds, s.threshold)
    {
        // The costliest call of that length: inbound toll-free (where the card has a
        // surcharge) with the connect fee, no plan.
        let toll_free = card.toll_free_surcharge.is_some();
        let lines = voice_lines(
            card,
            PlanTerms::default(),
            CallDirection::Inbound,
            toll_free,
            secs.0,
        )?;
        let cost = crate::engine::rating::total(card, &lines)?;
        let threshold = card.to_credits(t, "settings.threshold")?;
        if threshold < cost {
            warnings.push(finding(
                "settings.threshold",
                "threshold_below_max_call_cost",
                format!("threshold ({threshold} credits) is below one {}-second call ({cost} credits): an agent can go silent mid-call", secs.0),
            ));
        }
    }
    if let (Some(card), Some(spend), Some(Some(max)), Some(a)) = (
        &input.rate_card,
        ctx.expected_daily_spend,
        s.max_reloads_per_day,
        s.amount,
    ) {
        let per = card.to_credits(a, "settings.amount")?;
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
    Ok(warnings)
}

#[cfg(test)]
mod tests {
    use super::reload_multiple;
    use rust_decimal::Decimal;

    fn d(s: &str) -> Decimal {
        crate::engine::amount::parse_decimal(s).unwrap()
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
