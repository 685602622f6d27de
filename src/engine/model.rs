//! The contract's shared objects (CONTRACT.md "Shared objects"), with their validation.
//! Field names are camelCase; unknown fields are refused so that a typo never silently
//! prices at a default.

pub use crate::engine::alerts::{AlertLevel, AlertSettings, AlertState, Direction};
use crate::engine::amount::{
    self, dec, minor_units, non_negative, non_negative_with, opt_dec, Count, RoundingMode, Seconds,
};
use crate::engine::calendar::{Instant, Zone};
use crate::engine::error::{coded, Code, Error, Result};
use crate::engine::id::first_duplicate;
use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::collections::BTreeMap;

/// The same answer by sorting, the property test's second opinion.
#[cfg(test)]
fn first_duplicate_by_sort(ids: &[&str]) -> Option<usize> {
    let mut order: Vec<usize> = (0..ids.len()).collect();
    crate::engine::id::sort_indices(&mut order, &|a, b| ids[a].cmp(ids[b]).then(a.cmp(&b)));
    // Within a run of equal ids the indices ascend, so the run's second is its first repeat.
    order
        .windows(2)
        .filter(|w| ids[w[0]] == ids[w[1]])
        .map(|w| w[1])
        .min()
}

/// A billing increment in telecom notation `first/next` seconds (SEMANTICS 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Increment {
    pub first: u64,
    pub next: u64,
}

impl Default for Increment {
    fn default() -> Self {
        Increment { first: 1, next: 1 }
    }
}

impl Increment {
    /// `0` for no time; `first` up to `first`; then whole `next` steps.
    pub fn billable(&self, d: u64) -> u64 {
        if d == 0 {
            0
        } else if d <= self.first {
            self.first
        } else {
            self.first + (d - self.first).div_ceil(self.next) * self.next
        }
    }
}

impl<'de> Deserialize<'de> for Increment {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || {
            de::Error::custom(coded(
                Code::InvalidIncrement,
                format!("`{s}` is not `first/next` in whole seconds >= 1, like \"60/60\""),
            ))
        };
        let (a, b) = s.split_once('/').ok_or_else(bad)?;
        let num = |p: &str| -> Option<u64> {
            if p.is_empty() || p.len() > 6 || !p.bytes().all(|c| c.is_ascii_digit()) {
                return None;
            }
            p.parse().ok().filter(|n| *n >= 1)
        };
        Ok(Increment {
            first: num(a).ok_or_else(bad)?,
            next: num(b).ok_or_else(bad)?,
        })
    }
}

impl Serialize for Increment {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(&format_args!("{}/{}", self.first, self.next))
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rounding {
    #[serde(default)]
    pub mode: RoundingMode,
    #[serde(default = "default_credit_decimals")]
    pub credit_decimals: u32,
}

fn default_credit_decimals() -> u32 {
    4
}

impl Default for Rounding {
    fn default() -> Self {
        Rounding {
            mode: RoundingMode::HalfUp,
            credit_decimals: 4,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct VoiceRate {
    #[serde(with = "dec")]
    pub per_minute: Decimal,
    #[serde(default)]
    pub increment: Increment,
    #[serde(default, with = "opt_dec")]
    pub connect_fee: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PerMinute {
    #[serde(with = "dec")]
    pub per_minute: Decimal,
    #[serde(default)]
    pub increment: Increment,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChatRate {
    #[serde(with = "dec")]
    pub per_message: Decimal,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberRate {
    #[serde(with = "dec")]
    pub monthly: Decimal,
}

/// An ISO 4217 code the engine knows, with its minor-unit decimals (checked on input).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Currency {
    pub code: String,
    pub minor: u32,
}

impl<'de> Deserialize<'de> for Currency {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let code = String::deserialize(d)?;
        match minor_units(&code) {
            Some(minor) => Ok(Currency { code, minor }),
            None => Err(de::Error::custom(coded(
                Code::InvalidCurrency,
                format!("`{code}` is not a supported ISO 4217 code"),
            ))),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RateCard {
    pub currency: Currency,
    #[serde(with = "dec")]
    pub credits_per_unit: Decimal,
    #[serde(default)]
    pub rounding: Rounding,
    #[serde(default)]
    pub voice: Option<VoiceRate>,
    /// Seed 000: a flat 2 credits per minute when the card does not say otherwise.
    #[serde(default)]
    pub toll_free_surcharge: Option<PerMinute>,
    #[serde(default)]
    pub transfer: Option<PerMinute>,
    #[serde(default)]
    pub chat: Option<ChatRate>,
    #[serde(default)]
    pub numbers: BTreeMap<String, NumberRate>,
    /// Price versions (issue 28, SEMANTICS 16): the card's version number, and the instant
    /// it takes effect when it is one of `rateCardVersions`.
    #[serde(default)]
    pub version: Option<Count>,
    #[serde(default)]
    pub effective_from: Option<Instant>,
}

pub const MAX_CREDIT_DECIMALS: u32 = 12;
/// The most `rateCardVersions` an operation takes.
pub const MAX_RATE_CARD_VERSIONS: usize = 100;

impl RateCard {
    /// The version of `self` in force at `t`: the last of `versions` (in order of
    /// `effectiveFrom`) that has taken effect by then, else `self`.
    pub fn at<'a>(&'a self, versions: &'a [RateCard], t: Instant) -> &'a RateCard {
        versions
            .iter()
            .rev()
            .find(|v| v.effective_from.is_some_and(|f| f <= t))
            .unwrap_or(self)
    }

    /// `versions` as later versions of `self`: each a valid card with an `effectiveFrom`,
    /// in order, each later than the one before; a version changes prices, not the
    /// currency, what a credit is worth or how credits round (every balance stays in one
    /// unit). Errors name `rateCardVersions[i]`.
    pub fn validate_versions(&self, versions: &[RateCard]) -> Result<()> {
        if versions.len() > MAX_RATE_CARD_VERSIONS {
            let m = format!("at most {MAX_RATE_CARD_VERSIONS} versions");
            return Err(Error::at(Code::InvalidValue, "rateCardVersions", m));
        }
        let mut last = None;
        for (i, v) in versions.iter().enumerate() {
            let field = |f: &str| format!("rateCardVersions[{i}]{f}");
            v.validate().map_err(|e| e.within(&field("")))?;
            let Some(from) = v.effective_from.filter(|f| last.is_none_or(|l| *f > l)) else {
                let m = "each version takes effect later than the one before it";
                return Err(Error::at(Code::InvalidValue, &field(".effectiveFrom"), m));
            };
            let unit = [
                (v.currency.code != self.currency.code, ".currency"),
                (
                    v.credits_per_unit != self.credits_per_unit,
                    ".creditsPerUnit",
                ),
                (v.rounding.mode != self.rounding.mode, ".rounding.mode"),
                (
                    v.rounding.credit_decimals != self.rounding.credit_decimals,
                    ".rounding.creditDecimals",
                ),
            ];
            if let Some((_, f)) = unit.iter().find(|(differs, _)| *differs) {
                let m = "a version changes prices, not the currency, what a credit is worth or how credits round";
                return Err(Error::at(Code::InvalidValue, &field(f), m));
            }
            last = Some(from);
        }
        Ok(())
    }
}

impl RateCard {
    pub fn validate(&self) -> Result<()> {
        if self.credits_per_unit <= Decimal::ZERO {
            return Err(Error::at(
                Code::InvalidValue,
                "creditsPerUnit",
                "must be greater than zero",
            ));
        }
        if self.rounding.credit_decimals > MAX_CREDIT_DECIMALS {
            return Err(Error::at(
                Code::InvalidValue,
                "rounding.creditDecimals",
                format!("at most {MAX_CREDIT_DECIMALS} decimals"),
            ));
        }
        if let Some(v) = &self.voice {
            non_negative(v.per_minute, "voice.perMinute")?;
            non_negative(v.connect_fee.unwrap_or_default(), "voice.connectFee")?;
        }
        if let Some(t) = &self.toll_free_surcharge {
            non_negative(t.per_minute, "tollFreeSurcharge.perMinute")?;
        }
        if let Some(t) = &self.transfer {
            non_negative(t.per_minute, "transfer.perMinute")?;
        }
        if let Some(c) = &self.chat {
            non_negative(c.per_message, "chat.perMessage")?;
        }
        for (k, n) in &self.numbers {
            non_negative_with(n.monthly, || format!("numbers.{k}.monthly"))?;
        }
        Ok(())
    }
    /// Decimals of the card's currency.
    pub fn minor(&self) -> u32 {
        self.currency.minor
    }
    pub fn dp(&self) -> u32 {
        self.rounding.credit_decimals
    }
    pub fn mode(&self) -> RoundingMode {
        self.rounding.mode
    }
    /// The voice rate, which every connected call needs.
    pub fn voice_rate(&self) -> Result<&VoiceRate> {
        self.voice.as_ref().ok_or_else(|| {
            Error::at(
                Code::MissingRate,
                "rateCard.voice",
                "the rate card has no voice rate",
            )
        })
    }
    /// The toll-free surcharge per minute. SEMANTICS 3: no implicit default (seed 000's
    /// 2 credits/min would be $2/min on a card where 1 credit = $1): `missing_rate`.
    pub fn toll_free_per_minute(&self) -> Result<Decimal> {
        self.toll_free_surcharge.as_ref().map(|t| t.per_minute).ok_or_else(|| {
            Error::at(
                Code::MissingRate,
                "rateCard.tollFreeSurcharge",
                "an inbound toll-free call needs the card's tollFreeSurcharge.perMinute (there is no default)",
            )
        })
    }
    /// Money -> credits multiplies (SEMANTICS 2), exact.
    pub fn to_credits(&self, money: Decimal, field: &str) -> Result<Decimal> {
        amount::checked(money.checked_mul(self.credits_per_unit), field)
    }
    /// Credits -> money divides and rounds once to the minor unit (SEMANTICS 2).
    pub fn to_money(&self, credits: Decimal, field: &str) -> Result<Decimal> {
        amount::checked(
            amount::round_div(credits, self.credits_per_unit, self.minor(), self.mode()),
            field,
        )
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Plan {
    pub id: String,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default, with = "opt_dec")]
    pub monthly_fee: Option<Decimal>,
    #[serde(default)]
    pub included_minutes: Count,
    /// Replaces the card's voice rate when set (SEMANTICS 4).
    #[serde(default, with = "opt_dec")]
    pub overage_per_minute: Option<Decimal>,
    #[serde(default, with = "opt_dec")]
    pub included_credits: Option<Decimal>,
    /// Cap on plan credits carried into the next cycle (OpenMeter: min(cap, remaining)).
    #[serde(default, with = "opt_dec")]
    pub rollover_cap: Option<Decimal>,
    /// The plan's version and when its terms took effect (issue 28: a plan's terms change
    /// from the first cycle that starts at or after it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub effective_from: Option<Instant>,
}

impl Plan {
    pub fn validate(&self, card: &RateCard, field: &str) -> Result<()> {
        if let Some(fee) = self.monthly_fee {
            non_negative_with(fee, || format!("{field}.monthlyFee"))?;
            amount::check_money(
                fee,
                card.minor(),
                &card.currency.code,
                &format!("{field}.monthlyFee"),
            )?;
        }
        for (name, v) in [
            ("overagePerMinute", self.overage_per_minute),
            ("includedCredits", self.included_credits),
            ("rolloverCap", self.rollover_cap),
        ] {
            non_negative_with(v.unwrap_or_default(), || format!("{field}.{name}"))?;
        }
        Ok(())
    }
    pub fn included_seconds(&self) -> u64 {
        self.included_minutes.0.saturating_mul(60)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GrantType {
    // Declaration order is the burn order of equal priority and expiry (SEMANTICS 5).
    Plan,
    Promotional,
    Committed,
    Prepaid,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Grant {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: GrantType,
    #[serde(with = "dec")]
    pub remaining: Decimal,
    #[serde(default = "default_priority")]
    pub priority: i64,
    #[serde(default)]
    pub effective_at: Option<Instant>,
    #[serde(default)]
    pub expires_at: Option<Instant>,
    #[serde(default)]
    pub created_at: Option<Instant>,
}

fn default_priority() -> i64 {
    50
}

impl Grant {
    /// Credits that land in the wallet at `t` (a top-up, a settled reload): SEMANTICS 5 calls
    /// a top-up a `prepaid` grant without expiry, at the default priority.
    pub fn prepaid(id: String, credits: Decimal, t: Instant) -> Grant {
        Grant {
            id,
            kind: GrantType::Prepaid,
            remaining: credits,
            priority: 50,
            effective_at: Some(t),
            expires_at: None,
            created_at: Some(t),
        }
    }
    /// Active at `t`: `effectiveAt <= t < expiresAt` (expiry exclusive).
    pub fn active_at(&self, t: Instant) -> bool {
        self.effective_at.is_none_or(|e| e <= t) && self.expires_at.is_none_or(|x| t < x)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OnPlanExhausted {
    Stop,
    #[default]
    UseBalance,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AgentPolicy {
    #[serde(default)]
    pub on_plan_exhausted: OnPlanExhausted,
    #[serde(default, with = "opt_dec")]
    pub monthly_limit: Option<Decimal>,
    #[serde(default, with = "opt_dec")]
    pub spent_this_cycle: Option<Decimal>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Cycle {
    pub start: Instant,
    pub end: Instant,
    /// The instant later cycles are counted from in calendar months (default: `start`).
    /// A ledger keeps it so that a Jan 31 anchor still gives Mar 31 after Feb 28.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub anchor: Option<Instant>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AutoReload {
    pub enabled: bool,
    /// Money in the account currency; seed 000 calls it `thresholdUsd`.
    #[serde(with = "dec", alias = "thresholdUsd")]
    pub threshold: Decimal,
    #[serde(with = "dec", alias = "amountUsd")]
    pub amount: Decimal,
    #[serde(default)]
    pub payment_method: Option<String>,
    #[serde(default)]
    pub max_reloads_per_day: Option<u32>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Limits {
    #[serde(default, with = "opt_dec")]
    pub min_top_up: Option<Decimal>,
    #[serde(default, with = "opt_dec")]
    pub max_top_up: Option<Decimal>,
    /// Largest wallet balance allowed, money (used for the reload warning).
    #[serde(default, with = "opt_dec")]
    pub max_balance: Option<Decimal>,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Account {
    #[serde(default)]
    pub time_zone: Zone,
    #[serde(default)]
    pub plan: Option<Plan>,
    #[serde(default)]
    pub cycle: Option<Cycle>,
    /// Defaults to the plan's full included minutes.
    #[serde(default)]
    pub included_seconds_remaining: Option<Seconds>,
    #[serde(default)]
    pub grants: Vec<Grant>,
    #[serde(default, with = "opt_dec")]
    pub owed: Option<Decimal>,
    #[serde(default)]
    pub agents: BTreeMap<String, AgentPolicy>,
    #[serde(default)]
    pub auto_reload: Option<AutoReload>,
    #[serde(default)]
    pub alerts: Option<AlertSettings>,
    #[serde(default)]
    pub limits: Option<Limits>,
    /// Auto-reloads so far on the account's current local day (`maxReloadsPerDay`), and
    /// the first instant of the next local day, when the count starts over.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reloads_today: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reload_day_ends: Option<Instant>,
    /// An auto-reload whose payment has not settled, as the `prepaid` grant it lands as.
    /// No other reload starts while it waits (ledger mode; a preview settles at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pending_reload: Option<Grant>,
    /// Calls in progress and what each may still spend (SEMANTICS 11).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub holds: Vec<Hold>,
    /// SEMANTICS 18: limits on inbound toll-free traffic, and the ended calls' seconds by
    /// local hour that they count (`inbound::record` keeps them at each end).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound_limits: Option<InboundLimits>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub inbound_usage: Vec<InboundHour>,
}

impl Account {
    pub fn validate(&self, card: &RateCard) -> Result<()> {
        if let Some(p) = &self.plan {
            p.validate(card, "plan")?;
        }
        if let Some(c) = &self.cycle {
            if c.end <= c.start {
                return Err(Error::at(
                    Code::InvalidCycle,
                    "cycle.end",
                    "the cycle must end after it starts",
                ));
            }
        }
        self.validate_holds()?;
        validate_inbound(self)?;
        let ids: Vec<&str> = self.grants.iter().map(|g| g.id.as_str()).collect();
        let duplicate = first_duplicate(&ids);
        for (i, g) in self.grants.iter().enumerate() {
            let f = || format!("grants[{i}]");
            non_negative_with(g.remaining, || format!("{}.remaining", f()))?;
            if duplicate == Some(i) {
                return Err(Error::at(
                    Code::DuplicateId,
                    &format!("{}.id", f()),
                    format!("grant id `{}` appears twice", g.id),
                ));
            }
            if let (Some(e), Some(x)) = (g.effective_at, g.expires_at) {
                if x <= e {
                    return Err(Error::at(
                        Code::InvalidGrantWindow,
                        &format!("{}.expiresAt", f()),
                        "a grant must expire after it takes effect",
                    ));
                }
            }
        }
        non_negative(self.owed.unwrap_or_default(), "owed")?;
        for (id, a) in &self.agents {
            non_negative_with(a.monthly_limit.unwrap_or_default(), || {
                format!("agents.{id}.monthlyLimit")
            })?;
            non_negative_with(a.spent_this_cycle.unwrap_or_default(), || {
                format!("agents.{id}.spentThisCycle")
            })?;
        }
        if let Some(a) = &self.alerts {
            crate::engine::alerts::validate(a).map_err(|e| e.within("alerts"))?;
        }
        Ok(())
    }
    /// Each hold once, with shares that are not negative.
    fn validate_holds(&self) -> Result<()> {
        let ids: Vec<&str> = self.holds.iter().map(|h| h.id.as_str()).collect();
        if let Some(i) = first_duplicate(&ids) {
            return Err(Error::at(
                Code::DuplicateId,
                &format!("holds[{i}].id"),
                format!("hold id `{}` appears twice", ids[i]),
            ));
        }
        for (i, h) in self.holds.iter().enumerate() {
            non_negative_with(h.credits, || format!("holds[{i}].credits"))?;
            non_negative_with(h.plan_credits, || format!("holds[{i}].planCredits"))?;
            if h.is_call() && h.direction.is_none() {
                return Err(Error::at(
                    Code::MissingField,
                    &format!("holds[{i}].direction"),
                    "a call's hold says its direction",
                ));
            }
        }
        Ok(())
    }
    pub fn included_seconds(&self) -> u64 {
        match (&self.plan, self.included_seconds_remaining) {
            (None, _) => 0,
            (Some(_), Some(s)) => s.0,
            (Some(p), None) => p.included_seconds(),
        }
    }
    pub fn agent(&self, id: Option<&str>) -> &AgentPolicy {
        static DEFAULT: AgentPolicy = AgentPolicy {
            on_plan_exhausted: OnPlanExhausted::UseBalance,
            monthly_limit: None,
            spent_this_cycle: None,
        };
        id.and_then(|id| self.agents.get(id)).unwrap_or(&DEFAULT)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    Inbound,
    Outbound,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Transfer {
    pub bridged_seconds: Seconds,
}

#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PassThrough {
    #[serde(with = "dec")]
    pub amount: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Call {
    pub direction: CallDirection,
    #[serde(default)]
    pub toll_free: bool,
    pub connected_seconds: Seconds,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer: Option<Transfer>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub carrier_pass_through: Vec<PassThrough>,
}

/// One priced line (SEMANTICS 3). `quantity` is the billed quantity.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChargeLine {
    pub bucket: &'static str,
    pub channel: &'static str,
    pub code: &'static str,
    #[serde(with = "dec")]
    pub credits: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub increment: Option<Increment>,
    #[serde(with = "dec")]
    pub quantity: Decimal,
    #[serde(with = "dec")]
    pub rate: Decimal,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub unit: std::borrow::Cow<'static, str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Money {
    #[serde(with = "dec")]
    pub amount: Decimal,
    pub currency: String,
}

// SEMANTICS 18: inbound toll-free limits (the rules that read them: `inbound.rs`).

/// Numbers one account may limit one by one.
pub const MAX_LIMITED_NUMBERS: usize = 1_000;
/// The longest number id (the id rule of calls and usage).
pub const MAX_NUMBER_ID: usize = 255;
/// Hourly buckets an account's snapshot may carry (29 days of 24 hours for 100 numbers).
pub const MAX_USAGE_HOURS: usize = 69_600;
/// The largest surge ratio: a rule looser than 1,000x the usual traffic limits nothing.
pub const MAX_SURGE_RATIO: u64 = 1_000;

/// `account.inboundLimits`; each `perNumber` entry has the same fields but `perNumber` and
/// `surge` (the surge rule is already per number).
#[derive(Debug, Clone, Default, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundLimits {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_concurrent_calls: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes_per_hour: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_minutes_per_day: Option<Count>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_number: BTreeMap<String, InboundLimits>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub surge: Option<Surge>,
    /// Only in an edge's copy of the account (SEMANTICS 12): its lease's share of the
    /// account's limits, which the server worked out and counts as held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lease_share: Option<InboundShare>,
}

/// What a lease may grant of inbound toll-free traffic (SEMANTICS 18 at an edge), in every
/// window the lease lives in: `calls` at once and `seconds` in all, and `numbers`, the seconds
/// of each number the per-number limits and the surge rule bound (`""`: calls that name no
/// number; `"*"`: every number not listed, together). Each with the account's limit that
/// binds it (the edge names it when it refuses).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundShare {
    /// Calls at once (none: no limit on them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls: Option<Count>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub calls_limit: Option<String>,
    /// Connected seconds in all, the lease's calls' grants and ends (none: no limit on them).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds: Option<Seconds>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seconds_limit: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numbers: BTreeMap<String, NumberShare>,
}

/// A lease's seconds for one number (or group of numbers), and the limit that binds them.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NumberShare {
    pub seconds: Seconds,
    pub limit: String,
}

/// An hour of one number passes the rule when its minutes would pass `ratio` times the
/// average of the same hour of the week over the last 4 weeks, and `floorMinutes`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Surge {
    #[serde(with = "amount::dec")]
    pub ratio: Decimal,
    pub floor_minutes: Count,
}

/// Connected seconds of ended inbound toll-free calls in one local hour, for one number
/// (none: calls that named no number).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct InboundHour {
    pub hour: Instant,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    pub seconds: Seconds,
}

/// Every finding in a set of limits, each at its field under `inboundLimits`.
pub fn inbound_findings(limits: &InboundLimits) -> Vec<Error> {
    let mut out = Vec::new();
    if limits.per_number.len() > MAX_LIMITED_NUMBERS {
        let m = format!("at most {MAX_LIMITED_NUMBERS} numbers have limits of their own");
        out.push(Error::at(Code::InvalidValue, "perNumber", m));
    }
    for (id, n) in &limits.per_number {
        if id.is_empty() || id.len() > MAX_NUMBER_ID || id.chars().any(char::is_control) {
            let m = format!(
                "number ids are 1 to {MAX_NUMBER_ID} characters without control characters"
            );
            out.push(Error::at(Code::InvalidId, "perNumber", m));
        }
        let at = |f: &str| format!("perNumber.{id}.{f}");
        if !n.per_number.is_empty() {
            let m = "a number's limits cannot name numbers of their own";
            out.push(Error::at(Code::InvalidValue, &at("perNumber"), m));
        }
        if n.surge.is_some() {
            let m = "the surge rule is set once for the account and applies to each number";
            out.push(Error::at(Code::InvalidValue, &at("surge"), m));
        }
    }
    if let Some(s) = &limits.surge {
        if s.ratio < Decimal::ONE || s.ratio > Decimal::from(MAX_SURGE_RATIO) {
            let m = format!("the ratio is from 1 to {MAX_SURGE_RATIO} times the usual hour");
            out.push(Error::at(Code::InvalidValue, "surge.ratio", m));
        }
    }
    out
}

/// The limits and the usage buckets of an account, as `Account::validate` checks them.
pub fn validate_inbound(account: &Account) -> Result<()> {
    if let Some(l) = &account.inbound_limits {
        if let Some(e) = inbound_findings(l).into_iter().next() {
            return Err(e.within("inboundLimits"));
        }
    }
    if account.inbound_usage.len() > MAX_USAGE_HOURS {
        let m = format!("at most {MAX_USAGE_HOURS} hourly buckets (29 days of 100 numbers)");
        return Err(Error::at(Code::InvalidValue, "inboundUsage", m));
    }
    Ok(())
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::first_duplicate;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn hash_and_sort_agree(ids in prop::collection::vec("[a-d]{1,2}", 0..40)) {
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            prop_assert_eq!(super::first_duplicate(&ids), super::first_duplicate_by_sort(&ids));
        }
    }

    #[test]
    fn first_duplicate_is_the_earliest_repeat_in_input_order() {
        let cases: [(&[&str], Option<usize>); 5] = [
            (&[], None),
            (&["a", "b", "c"], None),
            (&["a", "b", "a"], Some(2)),
            (&["z", "y", "y", "z"], Some(2)),
            (&["b", "a", "b", "a", "a"], Some(2)),
        ];
        for (ids, want) in cases {
            assert_eq!(first_duplicate(ids), want, "{ids:?}");
            assert_eq!(super::first_duplicate(ids), want, "{ids:?}");
            assert_eq!(super::first_duplicate_by_sort(ids), want, "{ids:?}");
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HoldKind {
    /// A call in progress (SEMANTICS 11).
    Call,
    /// Credits lent to an edge (SEMANTICS 12).
    Lease,
}

/// What a call in progress may still spend, by pool (fields in canonical order).
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Hold {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub agent_id: Option<String>,
    /// Wallet credits held.
    #[serde(with = "amount::dec")]
    pub credits: Decimal,
    /// A call's direction (a lease has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<CallDirection>,
    pub granted_seconds: Seconds,
    pub id: String,
    /// Plan-included seconds held (the AI line's).
    pub included_seconds: Seconds,
    pub kind: HoldKind,
    /// A lease's share of the inbound toll-free limits (SEMANTICS 18), counted as held.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbound: Option<InboundShare>,
    /// The toll-free number an inbound call rang (SEMANTICS 18's per-number limits).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number_id: Option<String>,
    /// Plan credits held.
    #[serde(with = "amount::dec")]
    pub plan_credits: Decimal,
    /// A lease's: the number of the edge's request that last set it (SEMANTICS 12: a
    /// request numbered no higher, delayed or duplicated on the way, changes nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sequence: Option<u64>,
    pub started_at: Instant,
    #[serde(default)]
    pub toll_free: bool,
    /// The hold stops counting at this instant (`startedAt + grantedSeconds + grace`).
    pub valid_until: Instant,
}
