//! Regenerates `src/engine/tzdata.bin` from chrono-tz's copy of the IANA database:
//! `cargo run --release --example gen_tzdata`. The engine ships this compact table instead
//! of chrono-tz itself, whose expanded tables were half the WebAssembly module.
//!
//! Format (little-endian): "DDTZ", tzdb version (u8 len + bytes), offsets (u16 n, i32 each),
//! payloads (u16 n; each below), names sorted (u16 n; each: u8 len, bytes, u16 payload
//! index). Transitions cover 2000-01-01 to 2100-01-01.
//!
//! A payload: u8 initial offset index, then runs of [varint count, per change a varint delta
//! in seconds from the previous change (from 2000-01-01 for the first) and a u8 offset index;
//! u8 tag: 0 ends the payload, 2 an era follows]. An era is TZif's footer idea (RFC 8536
//! 3.3, the POSIX TZ `M3.5.0/2` form) over a span of years: two yearly rules written once
//! instead of once a year. Encoded: varint first year, u8 changes skipped in that year,
//! varint count (0: to the end of the table), and per rule u8 month, u8 kind (0 = that day
//! of the month, 1 = the weekday on or after that day, 2 = the month's last weekday), u8
//! day, u8 weekday (0 = Sunday), zigzag varint wall-clock seconds after local midnight (in
//! the other rule's offset), u8 offset index. The generator keeps an era only where it
//! gives every change exactly; tests/tzdata.rs checks the whole table against chrono-tz.

#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(target_arch = "wasm32")]
fn main() {} // a native tool; chrono-tz is a native-only dev-dependency

#[cfg(not(target_arch = "wasm32"))]
use chrono::{Offset, TimeZone, Utc};
#[cfg(not(target_arch = "wasm32"))]
use chrono_tz::{Tz, TZ_VARIANTS};
use std::collections::BTreeMap;

#[cfg(not(target_arch = "wasm32"))]
use drawdown::tzdata::{expand, rule_change, Era, Rule, RuleDay, END, START};

const STEP: i64 = 6 * 3600;

#[cfg(not(target_arch = "wasm32"))]
fn offset(tz: Tz, t: i64) -> i32 {
    tz.offset_from_utc_datetime(&Utc.timestamp_opt(t, 0).unwrap().naive_utc())
        .fix()
        .local_minus_utc()
}

#[cfg(not(target_arch = "wasm32"))]
fn transitions(tz: Tz) -> (i32, Vec<(i64, i32)>) {
    let initial = offset(tz, START);
    let mut out = Vec::new();
    let (mut t, mut cur) = (START, initial);
    while t < END {
        let next = (t + STEP).min(END);
        let o = offset(tz, next);
        if o != cur {
            // The change lies in (t, next]: find its first second.
            let (mut lo, mut hi) = (t, next);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if offset(tz, mid) == cur {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            out.push((hi, o));
            cur = o;
        }
        t = next;
    }
    (initial, out)
}

/// The calendar forms a change on `date` could follow: that day, the weekday on or after
/// some day, or the month's last weekday.
#[cfg(not(target_arch = "wasm32"))]
fn day_forms(date: chrono::NaiveDate) -> Vec<RuleDay> {
    use chrono::Datelike;
    let (d, w) = (
        date.day() as u8,
        date.weekday().num_days_from_sunday() as u8,
    );
    let mut forms = vec![RuleDay::Fixed(d)];
    if date
        .checked_add_days(chrono::Days::new(7))
        .map(|n| n.month())
        != Some(date.month())
    {
        forms.push(RuleDay::Last(w));
    }
    forms.extend((d.saturating_sub(6).max(1)..=d).map(|from| RuleDay::OnOrAfter(w, from)));
    forms
}

/// The era, if any, that gives the longest run of changes ending at `ts[end - 1]` exactly
/// (and, when `end` is the last change, no change after it): the era and its first index.
#[cfg(not(target_arch = "wasm32"))]
fn era_ending(offsets: &[i32], ts: &[(i64, i32)], end: usize) -> Option<(Era, usize)> {
    use chrono::{Datelike, Timelike};
    if end < 3 {
        return None;
    }
    // The last two changes, each read as wall-clock time in the offset before it.
    let slot = |i: usize| {
        let (t, o) = ts[i];
        let local = chrono::DateTime::from_timestamp(t + i64::from(ts[i - 1].1), 0)?.naive_utc();
        let secs = i64::from(local.num_seconds_from_midnight());
        Some((
            local.date(),
            secs,
            offsets.iter().position(|x| *x == o)? as u8,
        ))
    };
    let (mut a, mut b) = (slot(end - 2)?, slot(end - 1)?);
    if a.0.month() > b.0.month() {
        std::mem::swap(&mut a, &mut b);
    }
    if a.0.month() == b.0.month() || a.2 == b.2 {
        return None;
    }
    let rule = |s: &(chrono::NaiveDate, i64, u8), day| Rule {
        month: s.0.month() as u8,
        day,
        wall_seconds: s.1,
        offset: s.2,
    };
    let mut best: Option<(Era, usize)> = None;
    for da in day_forms(a.0) {
        for db in day_forms(b.0) {
            let rules = [rule(&a, da), rule(&b, db)];
            // Every change the rules give, 1969 to 2099, with its year and rule.
            let all: Vec<((i64, i32), i32, u8)> = (1969..2100)
                .flat_map(|y| [0u8, 1].map(|i| (rule_change(offsets, &rules, i as usize, y), y, i)))
                .collect();
            let Some(p) = all.iter().position(|c| c.0 == ts[end - 1]) else {
                continue;
            };
            let tail = end == ts.len();
            if tail && all[p + 1..].iter().any(|c| c.0 .0 < END) {
                continue;
            }
            // all[p + k - end + 1] is the rule's change for ts[k]: extend back while they agree.
            let mut k = end - 1;
            while k > 0 && p + k >= end && all[p + k - end].0 == ts[k - 1] {
                k -= 1;
            }
            let first = &all[p + k + 1 - end];
            let era = Era {
                from_year: first.1,
                skip: first.2,
                count: if tail { 0 } else { (end - k) as u32 },
                rules,
            };
            if best.as_ref().is_none_or(|b| k < b.1) {
                best = Some((era, k));
            }
        }
    }
    best
}

/// Explicit changes, then the era after them (none for the last).
#[cfg(not(target_arch = "wasm32"))]
type Segment = (Vec<(i64, i32)>, Option<Era>);

/// A zone's changes as explicit runs, each followed by an era or by the end, in order.
/// Eras are found greedily from the last change back.
#[cfg(not(target_arch = "wasm32"))]
fn segments(offsets: &[i32], ts: &[(i64, i32)]) -> Vec<Segment> {
    // An era costs about as much as four explicit changes: keep those that replace more.
    const MIN_ERA: usize = 6;
    let mut items: Vec<Result<(i64, i32), Era>> = Vec::new();
    let mut end = ts.len();
    while end > 0 {
        match era_ending(offsets, ts, end).filter(|(_, k)| end - k >= MIN_ERA) {
            Some((era, k)) => {
                items.push(Err(era));
                end = k;
            }
            None => {
                items.push(Ok(ts[end - 1]));
                end -= 1;
            }
        }
    }
    let mut out = vec![(Vec::new(), None)];
    for item in items.into_iter().rev() {
        match item {
            Ok(change) => out.last_mut().unwrap().0.push(change),
            Err(era) => {
                out.last_mut().unwrap().1 = Some(era);
                out.push((Vec::new(), None));
            }
        }
    }
    out
}

fn varint(out: &mut Vec<u8>, mut v: u64) {
    loop {
        let b = (v & 0x7f) as u8;
        v >>= 7;
        if v == 0 {
            out.push(b);
            return;
        }
        out.push(b | 0x80);
    }
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    let mut offsets: Vec<i32> = Vec::new();
    let index = |o: i32, offsets: &mut Vec<i32>| -> u8 {
        let i = offsets.iter().position(|x| *x == o).unwrap_or_else(|| {
            offsets.push(o);
            offsets.len() - 1
        });
        u8::try_from(i).expect("fewer than 256 distinct offsets")
    };
    let mut payloads: Vec<Vec<u8>> = Vec::new();
    let mut by_payload: BTreeMap<Vec<u8>, u16> = BTreeMap::new();
    let mut names: Vec<(String, u16)> = Vec::new();
    for tz in TZ_VARIANTS {
        let (initial, ts) = transitions(tz);
        let mut p = vec![index(initial, &mut offsets)];
        for &(_, o) in &ts {
            index(o, &mut offsets);
        }
        let mut prev = START;
        for (run, era) in segments(&offsets, &ts) {
            varint(&mut p, run.len() as u64);
            for &(t, o) in &run {
                varint(&mut p, (t - prev) as u64);
                p.push(index(o, &mut offsets));
                prev = t;
            }
            let Some(era) = era else {
                p.push(0);
                break;
            };
            p.push(2);
            varint(&mut p, era.from_year as u64);
            p.push(era.skip);
            varint(&mut p, u64::from(era.count));
            for r in era.rules {
                let (kind, day, weekday) = match r.day {
                    RuleDay::Fixed(d) => (0, d, 0),
                    RuleDay::OnOrAfter(w, d) => (1, d, w),
                    RuleDay::Last(w) => (2, 0, w),
                };
                p.extend_from_slice(&[r.month, kind, day, weekday]);
                varint(
                    &mut p,
                    ((r.wall_seconds << 1) ^ (r.wall_seconds >> 63)) as u64,
                );
                p.push(r.offset);
            }
            let mut changes = Vec::new();
            expand(&offsets, &era, &mut changes);
            prev = changes.last().map_or(prev, |c| c.0);
        }
        let id = *by_payload.entry(p.clone()).or_insert_with(|| {
            payloads.push(p);
            (payloads.len() - 1) as u16
        });
        names.push((tz.name().to_string(), id));
    }
    names.sort();
    let mut out = b"DDTZ".to_vec();
    let version = chrono_tz::IANA_TZDB_VERSION.as_bytes();
    out.push(version.len() as u8);
    out.extend_from_slice(version);
    out.extend_from_slice(&(offsets.len() as u16).to_le_bytes());
    for o in &offsets {
        out.extend_from_slice(&o.to_le_bytes());
    }
    out.extend_from_slice(&(payloads.len() as u16).to_le_bytes());
    for p in &payloads {
        out.extend_from_slice(p);
    }
    out.extend_from_slice(&(names.len() as u16).to_le_bytes());
    for (n, id) in &names {
        out.push(n.len() as u8);
        out.extend_from_slice(n.as_bytes());
        out.extend_from_slice(&id.to_le_bytes());
    }
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/engine/tzdata.bin");
    std::fs::write(path, &out).unwrap();
    eprintln!(
        "{} zones, {} distinct, {} offsets, {} bytes -> {path}",
        names.len(),
        payloads.len(),
        offsets.len(),
        out.len()
    );
}
