//! Balance alerts: three levels and the state machine ok <-> info <-> warning <-> in_alarm
//! (seed 004, after Flexprice's wallet alerts). Thresholds and balance are credits.

use crate::engine::amount::dec;
use crate::engine::error::{Code, Error, Result};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    #[default]
    Below,
    Above,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertLevel {
    #[serde(with = "dec")]
    pub threshold: Decimal,
    #[serde(default)]
    pub direction: Direction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertState {
    #[default]
    Ok,
    Info,
    Warning,
    InAlarm,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertSettings {
    #[serde(default)]
    pub info: Option<AlertLevel>,
    #[serde(default)]
    pub warning: Option<AlertLevel>,
    #[serde(default)]
    pub critical: Option<AlertLevel>,
    /// The state the account is in now; derived from the opening balance when absent.
    #[serde(default)]
    pub state: Option<AlertState>,
}

fn levels(s: &AlertSettings) -> [(AlertState, &'static str, Option<&AlertLevel>); 3] {
    [
        (AlertState::InAlarm, "critical", s.critical.as_ref()),
        (AlertState::Warning, "warning", s.warning.as_ref()),
        (AlertState::Info, "info", s.info.as_ref()),
    ]
}

/// Levels of one direction must be ordered: for `below`, info >= warning >= critical;
/// for `above`, info <= warning <= critical. Levels may mix directions; each is checked
/// against the more severe levels of its own direction.
pub fn validate(s: &AlertSettings) -> Result<()> {
    let ls = levels(s);
    for (i, (_, name, level)) in ls.iter().enumerate() {
        let Some(l) = level else { continue };
        for (_, severe_name, severe) in &ls[..i] {
            let Some(sv) = severe else { continue };
            if sv.direction != l.direction {
                continue;
            }
            let ordered = match l.direction {
                Direction::Below => l.threshold >= sv.threshold,
                Direction::Above => l.threshold <= sv.threshold,
            };
            if !ordered {
                let rel = if l.direction == Direction::Below {
                    ">="
                } else {
                    "<="
                };
                return Err(Error::at(
                    Code::AlertThresholdsUnordered,
                    &format!("{name}.threshold"),
                    format!(
                        "{name} ({}) must be {rel} {severe_name} ({}) for direction {}",
                        l.threshold,
                        sv.threshold,
                        if l.direction == Direction::Below {
                            "below"
                        } else {
                            "above"
                        }
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// The most severe level whose condition holds (`below`: balance <= threshold).
/// `s` with its thresholds written with at least `dp` decimals (exactly the same values):
/// a drawdown compares them with balances of the card's decimals after every item, and
/// `Decimal` compares two numbers of one scale without rescaling either.
pub fn at_scale(s: &AlertSettings, dp: u32) -> AlertSettings {
    let mut out = s.clone();
    for l in [&mut out.info, &mut out.warning, &mut out.critical]
        .into_iter()
        .flatten()
    {
        l.threshold.rescale(l.threshold.scale().max(dp));
    }
    out
}

pub fn state_for(s: &AlertSettings, balance: Decimal) -> AlertState {
    for (state, _, level) in levels(s) {
        if let Some(l) = level {
            let order = crate::engine::amount::cmp(&balance, &l.threshold);
            let hit = match l.direction {
                Direction::Below => order.is_le(),
                Direction::Above => order.is_ge(),
            };
            if hit {
                return state;
            }
        }
    }
    AlertState::Ok
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AlertsInput {
    pub settings: AlertSettings,
    #[serde(default)]
    pub previous_state: AlertState,
    #[serde(with = "dec")]
    pub balance: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertsOutput {
    pub changed: bool,
    pub previous_state: AlertState,
    pub state: AlertState,
}

/// `evaluateAlerts`: the state for a balance, and whether it differs from the last one.
pub fn evaluate_alerts(input: &AlertsInput) -> Result<AlertsOutput> {
    validate(&input.settings).map_err(|e| e.within("settings"))?;
    let state = state_for(&input.settings, input.balance);
    Ok(AlertsOutput {
        state,
        previous_state: input.previous_state,
        changed: state != input.previous_state,
    })
}
