//! Exact amounts: how decimals cross the JSON boundary, and how they are rounded.
//! Rules from SEMANTICS.md section 1: strings in and out, integers only up to 2^53 - 1,
//! no floats anywhere, one rounding per charge line.

use crate::engine::error::{coded, Code, Error, Result};
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
    // Built from its digits directly: the syntax is already checked, and rust_decimal's
    // general parser would add several KB to the WebAssembly module.
    let frac = frac.unwrap_or("");
    let out_of_range = || format!("`{s}` is out of range (|x| <= 10^15)");
    let mut mantissa: i128 = 0;
    for b in int.bytes().chain(frac.bytes()) {
        mantissa = mantissa
            .checked_mul(10)
            .and_then(|m| m.checked_add(i128::from(b - b'0')))
            .ok_or_else(out_of_range)?;
    }
    if s.starts_with('-') {
        mantissa = -mantissa;
    }
    let d = Decimal::try_from_i128_with_scale(mantissa, frac.len() as u32)
        .map_err(|_| out_of_range())?;
    check_range(d).map_err(|_| out_of_range())?;
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

/// A JSON integer as an amount: exact only within 2^53 - 1, which is all JavaScript holds.
fn safe_integer<E: de::Error>(v: i128) -> std::result::Result<Decimal, E> {
    if v.unsigned_abs() > u128::from(MAX_SAFE_INTEGER) {
        return Err(E::custom(coded(
            Code::InvalidDecimal,
            "integer beyond 2^53 - 1; pass amounts as decimal strings",
        )));
    }
    check_range(Decimal::from(v))
        .map_err(|_| E::custom(coded(Code::InvalidDecimal, "out of range (|x| <= 10^15)")))
}

impl<'de> de::Visitor<'de> for DecVisitor {
    type Value = Decimal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a decimal string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<Decimal, E> {
        parse_decimal(v).map_err(|m| E::custom(coded(Code::InvalidDecimal, m)))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<Decimal, E> {
        safe_integer(v.into())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<Decimal, E> {
        safe_integer(v.into())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> std::result::Result<Decimal, E> {
        // JavaScript hands over integers beyond 2^53 - 1 as floats: say the same as for JSON text.
        if v.fract() == 0.0 && v.abs() > MAX_SAFE_INTEGER as f64 {
            return Err(E::custom(coded(
                Code::InvalidDecimal,
                "integer beyond 2^53 - 1; pass amounts as decimal strings",
            )));
        }
        Err(E::custom(coded(
            Code::InvalidDecimal,
            "fractional or exponent JSON numbers are not exact; pass decimals as strings (\"0.07\")",
        )))
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<Decimal, E> {
        Err(E::custom(coded(
            Code::InvalidDecimal,
            "expected a decimal string, got a boolean",
        )))
    }
    fn visit_unit<E: de::Error>(self) -> std::result::Result<Decimal, E> {
        Err(E::custom(coded(
            Code::InvalidDecimal,
            "expected a decimal string, got null",
        )))
    }
    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> std::result::Result<Decimal, A::Error> {
        Err(de::Error::custom(coded(
            Code::InvalidDecimal,
            "expected a decimal string, got an object",
        )))
    }
    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> std::result::Result<Decimal, A::Error> {
        Err(de::Error::custom(coded(
            Code::InvalidDecimal,
            "expected a decimal string, got an array",
        )))
    }
}

/// A decimal printed exactly as its `Display` prints it (every digit of its scale kept), but
/// fast: a mantissa that fits 64 bits is printed from a `u64`. rust_decimal's own printing
/// divides a 96-bit integer digit by digit, which WebAssembly runs as emulated 128-bit
/// arithmetic: about 1.5 us per amount, most of a quote's time in the npm package.
pub struct Plain<'a>(pub &'a Decimal);

impl Plain<'_> {
    /// Appends the decimal to `out` without the formatting machinery (the prepared quote's
    /// compact answer writes a dozen of these per call).
    pub fn push_to(&self, out: &mut String) {
        let d = self.0;
        let m = d.mantissa();
        let units = match u64::try_from(m.unsigned_abs()) {
            Ok(u) if !(u == 0 && d.is_sign_negative()) => u,
            _ => {
                out.push_str(&d.to_string());
                return;
            }
        };
        let mut buf = [0u8; 52];
        let at = digits(&mut buf, units, d.scale() as usize, m < 0);
        out.push_str(std::str::from_utf8(&buf[at..]).unwrap_or("0"));
    }
}

/// `units` written at the end of `buf` with a point `scale` digits from the right (and a
/// leading zero when needed) and the sign; answers where the text starts.
fn digits(buf: &mut [u8; 52], mut n: u64, scale: usize, negative: bool) -> usize {
    let mut i = buf.len();
    let mut written = 0;
    while n > 0 || written <= scale {
        if written == scale && scale > 0 {
            i -= 1;
            buf[i] = b'.';
        }
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        written += 1;
    }
    if negative {
        i -= 1;
        buf[i] = b'-';
    }
    i
}

impl std::fmt::Display for Plain<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = self.0;
        let m = d.mantissa();
        let Ok(units) = u64::try_from(m.unsigned_abs()) else {
            return std::fmt::Display::fmt(d, f);
        };
        if units == 0 && d.is_sign_negative() {
            return std::fmt::Display::fmt(d, f);
        }
        // 20 digits of a u64, up to 28 leading zeros of the scale, "0.", and the sign.
        let mut buf = [0u8; 52];
        let i = digits(&mut buf, units, d.scale() as usize, m < 0);
        // Only ASCII digits, '.' and '-' were written.
        f.write_str(std::str::from_utf8(&buf[i..]).unwrap_or("0"))
    }
}

/// `#[serde(with = "amount::dec")]`: a decimal in as string or safe integer, out as string.
pub mod dec {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> std::result::Result<Decimal, D::Error> {
        d.deserialize_any(DecVisitor)
    }
    pub fn serialize<S: Serializer>(v: &Decimal, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_str(&Plain(v))
    }
}

/// A map of decimals, serialized as strings.
pub fn dec_map<S: Serializer>(
    m: &std::collections::BTreeMap<String, Decimal>,
    s: S,
) -> std::result::Result<S::Ok, S::Error> {
    s.collect_map(m.iter().map(|(k, v)| (k, Plain(v).to_string())))
}

/// Optional decimal: absent or `null` is `None`.
pub mod opt_dec {
    use super::*;
    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> std::result::Result<Option<Decimal>, D::Error> {
        #[derive(Deserialize)]
        struct W(#[serde(with = "super::dec")] Decimal);
        Option::<W>::deserialize(d).map(|o| o.map(|w| w.0))
    }
    pub fn serialize<S: Serializer>(
        v: &Option<Decimal>,
        s: S,
    ) -> std::result::Result<S::Ok, S::Error> {
        match v {
            Some(v) => s.collect_str(&Plain(v)),
            None => s.serialize_none(),
        }
    }
}

/// Whole, non-negative seconds (SEMANTICS 1: callers round partial seconds up).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Seconds(pub u64);

/// The largest count (messages, numbers, minutes, reloads) an input may carry: the same
/// bound as durations, so every product with a rate stays far inside the decimal range.
pub const MAX_COUNT: u64 = MAX_SECONDS;

/// A whole, non-negative count of things (messages, numbers, plan minutes, reloads): not a
/// duration, so its errors say so (`invalid_count`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct Count(pub u64);

/// How a whole-number input type refuses what it cannot hold: its code and its words.
struct Whole {
    code: Code,
    max: u64,
    expecting: &'static str,
    negative: &'static str,
    fraction: &'static str,
    too_big: fn(u64) -> String,
}

const SECONDS: Whole = Whole {
    code: Code::InvalidDuration,
    max: MAX_SECONDS,
    expecting: "whole seconds",
    negative: "durations are non-negative whole seconds",
    fraction: "durations are whole seconds; round partial seconds up",
    too_big: |v| format!("{v} s is more than ten years"),
};

const COUNT: Whole = Whole {
    code: Code::InvalidCount,
    max: MAX_COUNT,
    expecting: "a whole number",
    negative: "counts are not negative",
    fraction: "counts are whole numbers",
    too_big: |v| format!("{v} is more than the largest count, {MAX_COUNT}"),
};

impl<'de> de::Visitor<'de> for &'static Whole {
    type Value = u64;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str(self.expecting)
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> std::result::Result<u64, E> {
        if v > self.max {
            return Err(E::custom(coded(self.code, (self.too_big)(v))));
        }
        Ok(v)
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> std::result::Result<u64, E> {
        if v < 0 {
            return Err(E::custom(coded(self.code, self.negative)));
        }
        self.visit_u64(v as u64)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<u64, E> {
        Err(E::custom(coded(self.code, self.fraction)))
    }
    /// Text is refused even when it holds digits: the types say number, and a runtime that
    /// took `"60"` would take what the types refuse (issue 27), the server alike.
    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<u64, E> {
        let digits = !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit());
        let like = if digits {
            format!(" ({v}, not \"{v}\")")
        } else {
            String::new()
        };
        let message = format!(
            "`{v}` is text; send {} as a JSON number{like}",
            self.expecting
        );
        Err(E::custom(coded(self.code, message)))
    }
}

impl<'de> Deserialize<'de> for Seconds {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(&SECONDS).map(Seconds)
    }
}

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        d.deserialize_any(&COUNT).map(Count)
    }
}

impl Serialize for Seconds {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_u64(self.0)
    }
}

impl Serialize for Count {
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
    round_div_u64(n, d, dp, mode)
        .or_else(|| round_div_i128(n, d, dp, mode))
        .or_else(|| round_div_decimal(n, d, dp, mode))
}

/// Powers of ten that fit a u64.
const POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// `a * b` when it fits a u64. WebAssembly has no widening multiply: `checked_mul` there
/// calls a 128-bit helper (`__muloti4`), which was a third of a prepared quote's time.
fn mul_u64(a: u64, b: u64) -> Option<u64> {
    if (a | b) >> 32 == 0 {
        Some(a * b)
    } else {
        a.checked_mul(b)
    }
}

/// The usual case of `round_div_i128` (non-negative, everything within 64 bits) without
/// 128-bit arithmetic, which WebAssembly emulates.
fn round_div_u64(n: Decimal, d: Decimal, dp: u32, mode: RoundingMode) -> Option<Decimal> {
    if n.is_sign_negative() || dp > 28 {
        return None;
    }
    let pow = |e: u32| POW10.get(e as usize).copied();
    let num = mul_u64(u64::try_from(n.mantissa()).ok()?, pow(d.scale() + dp)?)?;
    let den = mul_u64(u64::try_from(d.mantissa()).ok()?, pow(n.scale())?)?;
    let (q, r) = (num / den, num % den);
    // 2r against den, without overflowing: r < den, so den - r > 0.
    let twice = r.cmp(&(den - r));
    let q = q + u64::from(bump(mode, r == 0, twice, q % 2 != 0));
    Some(Decimal::from_parts(
        q as u32,
        (q >> 32) as u32,
        0,
        false,
        dp,
    ))
}

fn bump(
    mode: RoundingMode,
    rem_is_zero: bool,
    twice_rem: std::cmp::Ordering,
    q_is_odd: bool,
) -> bool {
    use std::cmp::Ordering::*;
    match mode {
        RoundingMode::Down => false,
        RoundingMode::Up => !rem_is_zero,
        RoundingMode::HalfUp => twice_rem != Less,
        RoundingMode::HalfEven => twice_rem == Greater || (twice_rem == Equal && q_is_odd),
    }
}

/// The common case in integers: n/d = (nm / 10^ns) / (dm / 10^ds), so the scaled quotient
/// is nm * 10^(ds + dp) / (dm * 10^ns). `None` when a product leaves i128.
fn round_div_i128(n: Decimal, d: Decimal, dp: u32, mode: RoundingMode) -> Option<Decimal> {
    let num = n
        .mantissa()
        .checked_mul(10i128.checked_pow(d.scale() + dp)?)?;
    let den = d.mantissa().checked_mul(10i128.checked_pow(n.scale())?)?;
    // 64-bit division is many times faster than 128-bit, and is the usual case.
    let (q, r) = match (i64::try_from(num), i64::try_from(den)) {
        (Ok(a), Ok(b)) => ((a / b) as i128, (a % b) as i128),
        _ => (num / den, num % den), // truncates toward zero; r has num's sign
    };
    let twice = r.unsigned_abs().checked_mul(2)?.cmp(&den.unsigned_abs());
    let q = if bump(mode, r == 0, twice, q % 2 != 0) {
        q + num.signum()
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q, dp).ok()
}

/// The same rule in Decimal arithmetic, for operands too wide for i128 products.
fn round_div_decimal(n: Decimal, d: Decimal, dp: u32, mode: RoundingMode) -> Option<Decimal> {
    let x = n.checked_mul(Decimal::from(10u64.checked_pow(dp)?))?;
    let r = x.checked_rem(d)?; // exact, carries the sign of x
    let q = x.checked_sub(r)?.checked_div(d)?.trunc(); // exact integer
    let sign = if x.is_sign_negative() {
        -Decimal::ONE
    } else {
        Decimal::ONE
    };
    let twice = r.abs().checked_mul(Decimal::TWO)?.cmp(&d);
    let q = if bump(mode, r.is_zero(), twice, q % Decimal::TWO != Decimal::ZERO) {
        q.checked_add(sign)?
    } else {
        q
    };
    Decimal::try_from_i128_with_scale(q.normalize().mantissa(), dp).ok()
}

pub fn checked(v: Option<Decimal>, field: &str) -> Result<Decimal> {
    v.ok_or_else(|| Error::overflow(field))
}

/// ISO 4217 minor units for the currencies the engine knows (SEMANTICS 1: USD 2, JPY 0, ...),
/// sorted by code for binary search.
const CURRENCIES: &[(&str, u32)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BGN", 2),
    ("BHD", 3),
    ("BIF", 0),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DJF", 0),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("GHS", 2),
    ("GNF", 0),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("IQD", 3),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KES", 2),
    ("KMF", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("LYD", 3),
    ("MAD", 2),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PEN", 2),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("PYG", 0),
    ("QAR", 2),
    ("RON", 2),
    ("RSD", 2),
    ("RWF", 0),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("UGX", 0),
    ("USD", 2),
    ("UYI", 0),
    ("VND", 0),
    ("VUV", 0),
    ("XAF", 0),
    ("XOF", 0),
    ("XPF", 0),
    ("ZAR", 2),
];

pub fn minor_units(code: &str) -> Option<u32> {
    CURRENCIES
        .binary_search_by(|(c, _)| (*c).cmp(code))
        .ok()
        .map(|i| CURRENCIES[i].1)
}

/// A money amount may carry at most the currency's minor-unit decimals.
pub fn check_money(v: Decimal, minor: u32, currency: &str, field: &str) -> Result<()> {
    if v.normalize().scale() > minor {
        return Err(Error::at(
            Code::InvalidMoneyPrecision,
            field,
            format!("{currency} amounts have at most {minor} decimals, got {v}"),
        ));
    }
    Ok(())
}

pub fn non_negative(v: Decimal, field: &str) -> Result<Decimal> {
    non_negative_with(v, || field.to_string())
}

/// `non_negative` with the field path built only on failure.
pub fn non_negative_with(v: Decimal, field: impl FnOnce() -> String) -> Result<Decimal> {
    if v.is_sign_negative() && !v.is_zero() {
        return Err(Error::at(
            Code::NegativeAmount,
            &field(),
            format!("must not be negative, got {v}"),
        ));
    }
    Ok(v)
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn currency_table_is_sorted() {
        assert!(CURRENCIES.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(minor_units("USD"), Some(2));
        assert_eq!(minor_units("JPY"), Some(0));
        assert_eq!(minor_units("KWD"), Some(3));
        assert_eq!(minor_units("usd"), None);
    }

    #[test]
    fn plain_prints_as_display_does_at_the_edges() {
        let cases = [
            "0",
            "0.0000",
            "-0.0000",
            "1",
            "-1",
            "0.05",
            "-0.05",
            "18.0000",
            "79228162514264337593543950335",
            "-79228162514264337593543950335",
            "0.0000000000000000000000000001",
            "18446744073709551615",
            "18446744073709551616",
            "1844674407370955.1616",
            "-1844674407370955.1615",
            "1000000000000000",
        ];
        for c in cases {
            let d: Decimal = c.parse().unwrap();
            assert_eq!(Plain(&d).to_string(), d.to_string(), "{c}");
        }
        assert_eq!(
            Plain(&Decimal::new(-0, 3)).to_string(),
            Decimal::new(-0, 3).to_string()
        );
    }

    proptest! {
        /// `Plain` prints every decimal exactly as `Display` does.
        #[test]
        fn plain_is_display(m in any::<i64>(), wide in any::<i128>(), scale in 0u32..=28, big in any::<bool>()) {
            let m = if big { wide % 79_228_162_514_264_337_593_543_950_335 } else { i128::from(m) };
            let d = Decimal::from_i128_with_scale(m, scale);
            prop_assert_eq!(Plain(&d).to_string(), d.to_string());
            let mut pushed = String::new();
            Plain(&d).push_to(&mut pushed);
            prop_assert_eq!(pushed, d.to_string());
        }

        /// The integer fast path and the Decimal path are two routes to one exact answer.
        #[test]
        fn both_division_paths_agree(n in -10i64.pow(15)..10i64.pow(15), ns in 0u32..12, d in 1i64..10i64.pow(6), ds in 0u32..6, dp in 0u32..8, m in 0usize..4) {
            // (`round_div_u64` answers the non-negative half; the i128 and Decimal paths all.)
            let mode = [RoundingMode::HalfUp, RoundingMode::HalfEven, RoundingMode::Up, RoundingMode::Down][m];
            let (n, d) = (Decimal::new(n, ns), Decimal::new(d, ds));
            prop_assert_eq!(round_div_i128(n, d, dp, mode), round_div_decimal(n, d, dp, mode));
            // The 64-bit path, where it answers, answers the same decimal at the same scale.
            if let Some(q) = round_div_u64(n, d, dp, mode) {
                let wide = round_div_decimal(n, d, dp, mode).unwrap();
                prop_assert_eq!((q, q.scale()), (wide, wide.scale()));
            }
        }
    }
}

/// `d > 0`, from the sign and the mantissa alone: comparing with `Decimal::ZERO` rescales, and
/// the drawdown asks this of every line and grant (a tenth of a forecast's time went to
/// decimal comparisons).
#[inline]
pub fn positive(d: &Decimal) -> bool {
    !d.is_zero() && d.is_sign_positive()
}

/// `a.cmp(b)`, without `Decimal`'s general path when both have one scale (balances,
/// thresholds and credits at the card's decimals): then the signed mantissas decide.
#[inline]
pub fn cmp(a: &Decimal, b: &Decimal) -> std::cmp::Ordering {
    if a.scale() == b.scale() {
        a.mantissa().cmp(&b.mantissa())
    } else {
        a.cmp(b)
    }
}

/// The smaller of `a` and `b` (`amount::cmp`).
#[inline]
pub fn min(a: Decimal, b: Decimal) -> Decimal {
    if cmp(&a, &b).is_le() {
        a
    } else {
        b
    }
}
