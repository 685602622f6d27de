//! Instants and calendar work in the account's IANA time zone (SEMANTICS 1 and 6).
//! Time is always an input: nothing here reads a clock.

use crate::engine::error::{coded, Code};
use crate::engine::tzdata::{lookup, ZoneData};
use chrono::{DateTime, Datelike, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// What the npm package hands over for a JavaScript `Date` (js/api.js): the types ask for a
/// string, and a runtime that took a `Date` would take what they refuse (issue 27). Text
/// that begins with NUL is never an instant, so nothing else reads this way.
pub const JS_DATE: &str = "\u{0}Date";

/// An RFC 3339 instant with an explicit offset. Compared and printed as UTC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(pub DateTime<Utc>);

impl Instant {
    pub fn parse(s: &str) -> Option<Instant> {
        if let Some(t) = Instant::parse_utc_seconds(s) {
            return Some(t);
        }
        DateTime::<FixedOffset>::parse_from_rfc3339(s)
            .ok()
            .map(|d| Instant(d.with_timezone(&Utc)))
    }

    /// An input's instant, as every input route reads one (JSON and the npm package's
    /// packed routes alike): RFC 3339 with an offset, not before the zone table's start.
    pub fn accept(v: &str) -> Result<Instant, (Code, String)> {
        let t = Instant::parse(v).ok_or_else(|| {
            let message = if v == JS_DATE {
                "a JavaScript Date is not an instant here; pass an RFC 3339 string with an \
                 offset (date.toISOString())"
                    .to_string()
            } else {
                format!("`{v}` is not an RFC 3339 instant with an offset")
            };
            (Code::InvalidInstant, message)
        })?;
        // The zone table starts in 2000 (src/engine/tzdata.rs): refuse rather than guess the local
        // time of an earlier instant.
        if t.0.timestamp() < crate::engine::tzdata::START {
            return Err((
                Code::InstantOutOfRange,
                format!(
                    "`{v}` is before 2000-01-01T00:00:00Z, the earliest instant drawdown accepts"
                ),
            ));
        }
        Ok(t)
    }

    /// The form almost every input has, `2026-03-01T12:00:00Z`, read without chrono's
    /// general parser (a tenth of a 100,000-item preview in the wasm build). `None` sends
    /// anything else, and any field out of range, to `parse_from_rfc3339`, which decides.
    fn parse_utc_seconds(s: &str) -> Option<Instant> {
        let b = s.as_bytes();
        if b.len() != 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
            return None;
        }
        if b[13] != b':' || b[16] != b':' || b[19] != b'Z' {
            return None;
        }
        let num = |from: usize, to: usize| {
            b[from..to].iter().try_fold(0u32, |n, &c| {
                c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
            })
        };
        let (year, month, day) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hour, minute, second) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        let time =
            NaiveDate::from_ymd_opt(year as i32, month, day)?.and_hms_opt(hour, minute, second)?;
        Some(Instant(time.and_utc()))
    }
    /// The instant `secs` whole seconds after 1970-01-01T00:00:00Z.
    pub fn from_unix_seconds(secs: i64) -> Option<Instant> {
        DateTime::<Utc>::from_timestamp(secs, 0).map(Instant)
    }
    /// `self` plus `s` seconds, while it stays within the years RFC 3339 can write.
    pub fn plus_seconds(&self, s: u64) -> Option<Instant> {
        let d = self
            .0
            .checked_add_signed(chrono::Duration::seconds(i64::try_from(s).ok()?))?;
        (d.year() <= 9999).then_some(Instant(d))
    }
    pub fn local(&self, tz: Zone) -> NaiveDateTime {
        self.0.naive_utc()
            + chrono::Duration::seconds(i64::from(tz.0.offset_at(self.0.timestamp())))
    }
}

impl fmt::Display for Instant {
    /// RFC 3339 in UTC: `2026-03-01T10:00:00Z`, with fractional seconds only when present
    /// (chrono's `SecondsFormat::AutoSi`, written out to keep its formatter out of the wasm).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use chrono::Timelike;
        let (d, t) = (self.0.date_naive(), self.0.time());
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
            d.year(),
            d.month(),
            d.day(),
            t.hour(),
            t.minute(),
            t.second()
        )?;
        let nanos = t.nanosecond() % 1_000_000_000;
        if nanos == 0 {
        } else if nanos % 1_000_000 == 0 {
            write!(f, ".{:03}", nanos / 1_000_000)?;
        } else if nanos % 1_000 == 0 {
            write!(f, ".{:06}", nanos / 1_000)?;
        } else {
            write!(f, ".{nanos:09}")?;
        }
        f.write_str("Z")
    }
}

impl<'de> Deserialize<'de> for Instant {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> de::Visitor<'de> for V {
            type Value = Instant;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an RFC 3339 instant")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Instant, E> {
                Instant::accept(v).map_err(|(code, message)| E::custom(coded(code, message)))
            }
        }
        d.deserialize_str(V)
    }
}

impl Serialize for Instant {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// An IANA time zone such as `Asia/Singapore` (src/engine/tzdata.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Zone(pub ZoneData);

impl Default for Zone {
    fn default() -> Self {
        Zone(lookup("UTC").expect("the zone table has UTC"))
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        lookup(&s).map(Zone).ok_or_else(|| {
            de::Error::custom(coded(
                Code::InvalidTimeZone,
                format!("`{s}` is not an IANA time zone"),
            ))
        })
    }
}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name)
    }
}

fn last_day(year: i32, month: u32) -> u32 {
    let (ny, nm) = if month == 12 {
        (year + 1, 1)
    } else {
        (year, month + 1)
    };
    NaiveDate::from_ymd_opt(ny, nm, 1)
        .and_then(|d| d.pred_opt())
        .map_or(28, |d| d.day())
}

/// The local date `months` months after `anchor`'s month, on the anchor's day of month,
/// or that month's last day when it has no such day (the 31st in April is the 30th).
pub fn anchored_date(anchor: NaiveDate, months: i64) -> Option<NaiveDate> {
    let total = anchor.year() as i64 * 12 + anchor.month0() as i64 + months;
    let year = i32::try_from(total.div_euclid(12)).ok()?;
    let month = total.rem_euclid(12) as u32 + 1;
    NaiveDate::from_ymd_opt(year, month, anchor.day().min(last_day(year, month)))
}

/// The earliest instant at which the wall-clock time `local` occurs in `tz`: none in a DST
/// gap; of two when clocks go back, the earlier.
fn first_occurrence(tz: Zone, local: NaiveDateTime) -> Option<i64> {
    let l = local.and_utc().timestamp();
    // Any valid offset is in effect within a day and a bit of `l` (offsets stay within 26 h).
    tz.0.offsets_between(l - 93_600, l + 93_600)
        .into_iter()
        .map(|o| l - i64::from(o))
        .filter(|&utc| i64::from(tz.0.offset_at(utc)) == l - utc)
        .min()
}

/// A local wall-clock time in `tz` as an instant. A time skipped by a DST jump moves forward
/// to the first valid instant after the gap; a repeated one takes the earlier instant.
pub fn resolve_local(tz: Zone, local: NaiveDateTime) -> Option<Instant> {
    if let Some(first) = first_occurrence(tz, local) {
        return Instant::from_unix_seconds(first);
    }
    // Walk forward a minute at a time; DST gaps are at most a few hours.
    let mut probe = local;
    for _ in 0..(24 * 60) {
        probe += chrono::Duration::minutes(1);
        if let Some(first) = first_occurrence(tz, probe) {
            return Instant::from_unix_seconds(first);
        }
    }
    None
}

/// The instant `months` monthly periods after `anchor`, anchored on its local day and time.
pub fn add_months(anchor: Instant, months: i64, tz: Zone) -> Option<Instant> {
    let local = anchor.local(tz);
    let date = anchored_date(local.date(), months)?;
    resolve_local(tz, date.and_time(local.time()))
}

/// Whole local days between two instants' local dates in `tz`.
pub fn local_days(from: Instant, to: Instant, tz: Zone) -> i64 {
    (to.local(tz).date() - from.local(tz).date()).num_days()
}

/// The indices of `ats` in time order, equal instants in index order: the order a drawdown
/// charges usage in. Keys are integers, not a comparator over the items (which was a tenth
/// of a 100,000-item preview in the wasm build). Already sorted input is left as it is;
/// whole seconds within 68 years of each other (nearly every input) sort as one u64 a key,
/// a third of the time of the tuples.
pub fn time_order(ats: &[Instant]) -> Vec<usize> {
    let mut keyed: Vec<(i64, u32, usize)> = ats
        .iter()
        .enumerate()
        .map(|(i, t)| (t.0.timestamp(), t.0.timestamp_subsec_nanos(), i))
        .collect();
    if !keyed.is_sorted() {
        sort_keys(&mut keyed);
    }
    keyed.into_iter().map(|(_, _, i)| i).collect()
}

fn sort_keys(keyed: &mut [(i64, u32, usize)]) {
    let first = keyed.iter().map(|k| k.0).min().unwrap_or(0);
    let packable = |k: &(i64, u32, usize)| {
        k.1 == 0 && (0..1 << 31).contains(&(k.0 - first)) && u32::try_from(k.2).is_ok()
    };
    if !keyed.iter().all(packable) {
        // Fractions of a second (rare): the crate's one index sort, not a second instance.
        let mut order: Vec<usize> = (0..keyed.len()).collect();
        crate::engine::id::sort_indices(&mut order, &|a, b| keyed[a].cmp(&keyed[b]));
        let sorted: Vec<_> = order.into_iter().map(|i| keyed[i]).collect();
        keyed.copy_from_slice(&sorted);
        return;
    }
    let mut packed: Vec<u64> = keyed
        .iter()
        .map(|k| ((k.0 - first) as u64) << 32 | k.2 as u64)
        .collect();
    packed.sort_unstable();
    for (k, p) in keyed.iter_mut().zip(packed) {
        *k = (first + (p >> 32) as i64, 0, (p as u32) as usize);
    }
}

#[cfg(test)]
mod tests {
    /// Both ways of sorting (whole seconds packed, or tuples when there are fractions) give
    /// the order of a plain sort by instant and index, sorted input included.
    #[test]
    fn time_order_is_the_order_by_instant_then_index() {
        let mut x: u64 = 7;
        let mut next = |m: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % m
        };
        for case in 0..40 {
            let n = next(300) as usize;
            let mut ats: Vec<Instant> = (0..n)
                .map(|_| {
                    let nanos = if case % 3 == 0 {
                        next(3) as u32 * 500
                    } else {
                        0
                    };
                    let secs = 1_700_000_000 + next(50) as i64;
                    Instant(DateTime::from_timestamp(secs, nanos).unwrap())
                })
                .collect();
            if case % 5 == 0 {
                ats.sort_unstable();
            }
            let mut expected: Vec<usize> = (0..n).collect();
            expected.sort_by_key(|&i| (ats[i], i));
            assert_eq!(time_order(&ats), expected);
        }
    }

    use super::*;

    /// The quick reading of `YYYY-MM-DDTHH:MM:SSZ` and chrono's agree on every such text,
    /// in range or not (out of range the quick one declines and chrono decides).
    #[test]
    fn the_quick_utc_reading_agrees_with_chrono() {
        let fixed = [
            "2026-02-29T00:00:00Z",
            "2028-02-29T23:59:60Z",
            "0000-01-01T00:00:00Z",
            "9999-12-31T23:59:59Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01T00:60:00Z",
            "2026-1-01T00:00:00Z",
            "2026-01-01t00:00:00z",
        ];
        let mut texts: Vec<String> = fixed.iter().map(|t| t.to_string()).collect();
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let f = |m: u64, k: u64| (x / m) % k;
            texts.push(format!(
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
                f(1, 10_000),
                f(7, 14),
                f(101, 33),
                f(1_009, 26),
                f(10_007, 62),
                f(100_003, 62)
            ));
        }
        let mut quick = 0;
        for t in &texts {
            let chrono = DateTime::<FixedOffset>::parse_from_rfc3339(t)
                .ok()
                .map(|d| Instant(d.with_timezone(&Utc)));
            if let Some(q) = Instant::parse_utc_seconds(t) {
                assert_eq!(Some(q), chrono, "{t}");
                quick += 1;
            }
            assert_eq!(Instant::parse(t), chrono, "{t}");
        }
        assert!(
            quick > 5_000,
            "the quick path read {quick} of {}",
            texts.len()
        );
    }
}
