//! Exact amounts: how decimals cross the JSON boundary, and how they are rounded.
//! Rules from SEMANTICS.md section 1: strings in and out, integers only up to 2^53 - 1,
//! no floats anywhere, one rounding per charge line.

use crate::error::{coded, Error, Result};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// Largest integer a JS number holds exactly.
pub const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;
/// Amounts are bounded so that every product and sum the engine forms stays exact.
pub const MAX_AMOUNT: i64 = 1_000_000_000_000_000; // 1e15
/// Durations above ten years are certainly a unit mistake (milliseconds for seconds).
pub const MAX_SECONDS: u64 = 315_360_000;
/// At most this many fractional digits on any input amount.
pub const MAX_INPUT_DECIMALS: u32 = 12;

/// Parse a decimal string strictly: `-?digits(.digits)?`, nothing else (no exponent,
/// no `_`, no spaces, no leading `+`).
pub fn parse_decimal(s: &str) -> std::result::Result<Decimal, String> {
    let body = s.strip_prefix('-').unwrap_or(s);
    let (int, frac) = match body.split_once('.') {
        Some((i, f)) => (i, Some(f)),
        None => (body, None),
    };
    let digits = |p: &str| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit());
    if !digits(int) || frac.is_some_and(|f| !digits(f)) {
        return Err(format!("`{s}` is not a decimal string like \"12.5\""));
    }
    if frac.map_or(0, str::len) > MAX_INPUT_DECIMALS as usize {
        return Err(format!("`{s}` has more than {MAX_INPUT_DECIMALS} decimals"));
    }
    let d = Decimal::from_str_exact(s).map_err(|_| format!("`{s}` does not fit an exact decimal"))?;
    check_range(d).map_err(|_| format!("`{s}` is out of range (|x| <= 10^15)"))?;
    Ok(d)
}

fn check_range(d: Decimal) -> std::result::Result<Decimal, ()> {
    if d.abs() > Decimal::from(MAX_AMOUNT) {
        Err(())
    } else {
        Ok(d)
    }
}

struct DecVisitor;

impl<'de> de::Visitor<'de> for DecVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Decimal, E> {
        parse_decimal(v).map_err(|m| E::custom(coded("invalid_decimal", m)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Decimal, E> {
        if v > MAX_SAFE_INTEGER {
            return Err(E::custom(coded("invalid_decimal", "integer beyond 2^53 - 1; pass amounts as decimal strings")));
        }
        check_range(Decimal::from(v)).map_err(|_| E::custom(coded("invalid_decimal", "out of range (|x| <= 10^15)")))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Decimal, E> {
        if v.unsigned_abs() > MAX_SAFE_INTEGER {
            return Err(E::custom(coded("invalid_decimal", "integer beyond 2^53 - 1; pass amounts as decimal strings")));
        }
        check_range(Decimal::from(v)).map_err(|_| E::custom(coded("invalid_decimal", "out of range (|x| <= 10^15)")))
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Decimal, E> {
        Err(E::custom(coded(
            "invalid_decimal",
            "fractional or exponent JSON numbers are not exact; pass decimals as strings (\"0.07\")",
        )))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Decimal, E> {
        Err(E::custom(coded("invalid_decimal", "expected a decimal string, got a boolean")))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Decimal, E> {
        Err(E::custom(coded("invalid_decimal", "expected a decimal string, got null")))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<Decimal, A::Error> {
        Err(de::Error::custom(coded("invalid_decimal", "expected a decimal string, got an object")))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> std::result::Result<Decimal, A::Error> {
        Err(de::Error::custom(coded("invalid_decimal", "expected a decimal string, got an array")))
    }
}

/// `#[serde(with = "amount::dec")]`: a decimal in as string or safe integer, out as string.
pub mod dec {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decimal, D::Error> {
        d.deserialize_any(DecVisitor)
    }
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(v)
    }
}

/// Optional decimal: absent or `null` is `None`.
pub mod opt_dec {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::dec")] Decimal);
        Option::<W>::deserialize(d).map(|o| o.map(|w| w.0))
    }
    pub fn serialize<S: Serializer>(v: &Option<Decimal>, s: S) -> std::result::Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(v),
            None => s.serialize_none(),
        }
    }
}

/// Whole, non-negative seconds (SEMANTICS 1: callers round partial seconds up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Seconds(pub u64);

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Seconds;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("whole seconds")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Seconds, E> {
                if v > MAX_SECONDS {
                    return Err(E::custom(coded("invalid_duration", format!("{v} s is more than ten years"))));
                }
                Ok(Seconds(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Seconds, E> {
                if v < 0 {
                    return Err(E::custom(coded("invalid_duration", "durations are non-negative whole seconds")));
                }
                self.visit_u64(v as u64)
            }
            fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<Seconds, E> {
                Err(E::custom(coded("invalid_duration", "durations are whole seconds; round partial seconds up")))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Seconds, E> {
                match v.parse::<u64>() {
                    Ok(n) if v.bytes().all(|b| b.is_ascii_digit()) => self.visit_u64(n),
                    _ => Err(E::custom(coded("invalid_duration", format!("`{v}` is not a whole number of seconds")))),
                }
            }
        }
        d.deserialize_any(V)
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

/// Rounding modes of the rate card (SEMANTICS 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoundingMode {
    #[default]
    HalfUp,
    HalfEven,
    Up,
    Down,
}

impl RoundingMode {
    fn strategy(self) -> RoundingStrategy {
        match self {
            RoundingMode::HalfUp => RoundingStrategy::MidpointAwayFromZero,
            RoundingMode::HalfEven => RoundingStrategy::MidpointNearestEven,
            RoundingMode::Up => RoundingStrategy::AwayFromZero,
            RoundingMode::Down => RoundingStrategy::ToZero,
        }
    }
}

/// Round an exact decimal to `dp` places, keeping trailing zeros (`"18.0000"`).
pub fn round(x: Decimal, dp: u32, mode: RoundingMode) -> Decimal {
    let mut r = x.round_dp_with_strategy(dp, mode.strategy());
    r.rescale(dp);
    r
}

/// `n / d` rounded once to `dp` places, exactly: no intermediate rounding even when the
/// quotient does not terminate (`seconds * rate / 60`). CGRateS #260 shows the alternative.
pub fn round_div(n: Decimal, d: Decimal, dp: u32, mode: RoundingMode) -> Option<Decimal> {
    if d <= Decimal::ZERO {
        return None;
    }
    let x = n.checked_mul(Decimal::from(10u64.checked_pow(dp)?))?;
    let r = x.checked_rem(d)?; // exact, carries the sign of x
    let q = x.checked_sub(r)?.checked_div(d)?.trunc(); // exact integer
    let sign = if x.is_sign_negative() { -Decimal::ONE } else { Decimal::ONE };
    let twice = r.abs().checked_mul(Decimal::TWO)?;
    let bump = match mode {
        RoundingMode::Down => false,
        RoundingMode::Up => !r.is_zero(),
        RoundingMode::HalfUp => twice >= d,
        RoundingMode::HalfEven => twice > d || (twice == d && q % Decimal::TWO != Decimal::ZERO),
    };
    let q = if bump { q.checked_add(sign)? } else { q };
    let mant = q.normalize().mantissa();
    Decimal::try_from_i128_with_scale(mant, dp).ok()
}

pub fn checked(v: Option<Decimal>, field: &str) -> Result<Decimal> {
    v.ok_or_else(|| Error::overflow(field))
}

/// ISO 4217 minor units for the currencies the engine knows (SEMANTICS 1: USD 2, JPY 0, ...).
pub fn minor_units(code: &str) -> Option<u32> {
    const ZERO: &[&str] = &[
        "BIF", "CLP", "DJF", "GNF", "ISK", "JPY", "KMF", "KRW", "PYG", "RWF", "UGX", "UYI", "VND", "VUV", "XAF",
        "XOF", "XPF",
    ];
    const THREE: &[&str] = &["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"];
    const TWO: &[&str] = &[
        "AED", "ARS", "AUD", "BGN", "BRL", "CAD", "CHF", "CNY", "COP", "CZK", "DKK", "EGP", "EUR", "GBP", "GHS",
        "HKD", "HUF", "IDR", "ILS", "INR", "KES", "MAD", "MXN", "MYR", "NGN", "NOK", "NZD", "PEN", "PHP", "PKR",
        "PLN", "QAR", "RON", "RSD", "SAR", "SEK", "SGD", "THB", "TRY", "TWD", "UAH", "USD", "ZAR",
    ];
    if TWO.contains(&code) {
        Some(2)
    } else if ZERO.contains(&code) {
        Some(0)
    } else if THREE.contains(&code) {
        Some(3)
    } else {
        None
    }
}

/// A money amount may carry at most the currency's minor-unit decimals.
pub fn check_money(v: Decimal, minor: u32, currency: &str, field: &str) -> Result<()> {
    if v.normalize().scale() > minor {
        return Err(Error::at(
            "invalid_money_precision",
            field,
            format!("{currency} amounts have at most {minor} decimals, got {v}"),
        ));
    }
    Ok(())
}

pub fn non_negative(v: Decimal, field: &str) -> Result<Decimal> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::at("negative_amount", field, format!("must not be negative, got {v}")));
    }
    Ok(v)
}
