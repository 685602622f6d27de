//! Regenerates `src/tzdata.bin` from chrono-tz's copy of the IANA database:
//! `cargo run --release --example gen_tzdata`. The engine ships this compact table instead
//! of chrono-tz itself, whose expanded tables were half the WebAssembly module.
//!
//! Format (little-endian): "DDTZ", tzdb version (u8 len + bytes), offsets (u16 n, i32 each),
//! payloads (u16 n; each: u8 initial offset index, varint count, then per transition a
//! varint delta in seconds from the previous transition, or from 1970-01-01 for the first,
//! and a u8 offset index), names sorted (u16 n; each: u8 len, bytes, u16 payload index).
//! Transitions cover 1970-01-01 to 2100-01-01.

#![cfg_attr(target_arch = "wasm32", allow(unused))]

#[cfg(target_arch = "wasm32")]
fn main() {} // a native tool; chrono-tz is a native-only dev-dependency

#[cfg(not(target_arch = "wasm32"))]
use chrono::{Offset, TimeZone, Utc};
#[cfg(not(target_arch = "wasm32"))]
use chrono_tz::{Tz, TZ_VARIANTS};
use std::collections::BTreeMap;

const START: i64 = 0; // 1970-01-01T00:00:00Z
const END: i64 = 4_102_444_800; // 2100-01-01T00:00:00Z
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
        varint(&mut p, ts.len() as u64);
        let mut prev = START;
        for (t, o) in ts {
            varint(&mut p, (t - prev) as u64);
            p.push(index(o, &mut offsets));
            prev = t;
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
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/src/tzdata.bin");
    std::fs::write(path, &out).unwrap();
    eprintln!(
        "{} zones, {} distinct, {} offsets, {} bytes -> {path}",
        names.len(),
        payloads.len(),
        offsets.len(),
        out.len()
    );
}
