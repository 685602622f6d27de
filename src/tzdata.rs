//! The IANA time zones, from a compact table generated from chrono-tz's copy of the
//! database (examples/gen_tzdata.rs): every zone's UTC offsets and their changes from 1970
//! to 2100. Same answers as chrono-tz in that range (a test checks every zone), at a tenth
//! of the size in the WebAssembly module.

use std::sync::OnceLock;

static BLOB: &[u8] = include_bytes!("tzdata.bin");

struct Table {
    version: &'static str,
    offsets: Vec<i32>,
    /// Each zone payload: initial offset index, varint count, (varint delta, offset index)*.
    payloads: Vec<&'static [u8]>,
    /// Sorted by name.
    names: Vec<(&'static str, u16)>,
}

fn varint(b: &[u8]) -> (u64, &[u8]) {
    let (mut v, mut shift) = (0u64, 0);
    for (i, byte) in b.iter().enumerate() {
        v |= u64::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return (v, &b[i + 1..]);
        }
        shift += 7;
    }
    (v, &[])
}

fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        // The blob is generated and checked in: its layout is known to be well-formed.
        let mut b = &BLOB[4..];
        let vlen = b[0] as usize;
        let version = std::str::from_utf8(&b[1..1 + vlen]).unwrap_or("");
        b = &b[1 + vlen..];
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        let offsets = (0..n)
            .map(|i| i32::from_le_bytes([b[2 + 4 * i], b[3 + 4 * i], b[4 + 4 * i], b[5 + 4 * i]]))
            .collect();
        b = &b[2 + 4 * n..];
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        b = &b[2..];
        let mut payloads = Vec::with_capacity(n);
        for _ in 0..n {
            let start = b;
            let (count, mut rest) = varint(&b[1..]);
            for _ in 0..count {
                rest = &varint(rest).1[1..];
            }
            payloads.push(&start[..start.len() - rest.len()]);
            b = rest;
        }
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        b = &b[2..];
        let mut names = Vec::with_capacity(n);
        for _ in 0..n {
            let len = b[0] as usize;
            let name = std::str::from_utf8(&b[1..1 + len]).unwrap_or("");
            names.push((name, u16::from_le_bytes([b[1 + len], b[2 + len]])));
            b = &b[3 + len..];
        }
        Table {
            version,
            offsets,
            payloads,
            names,
        }
    })
}

/// The tzdb release the table was generated from (e.g. "2025b").
pub fn version() -> &'static str {
    table().version
}

/// A zone: its name and its offset history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ZoneData {
    pub name: &'static str,
    index: u16,
}

pub fn lookup(name: &str) -> Option<ZoneData> {
    let t = table();
    let i = t.names.binary_search_by(|(n, _)| (*n).cmp(name)).ok()?;
    let (name, index) = t.names[i];
    Some(ZoneData { name, index })
}

/// A zone's changes `(utc_seconds, offset_seconds)`, the first at `i64::MIN` (the offset in
/// effect on 1970-01-01), decoded once per zone and kept.
fn decoded(index: u16) -> &'static [(i64, i32)] {
    type Changes = Box<[(i64, i32)]>;
    static CACHE: OnceLock<Vec<OnceLock<Changes>>> = OnceLock::new();
    let t = table();
    let cache = CACHE.get_or_init(|| (0..t.payloads.len()).map(|_| OnceLock::new()).collect());
    cache[index as usize].get_or_init(|| {
        let payload = t.payloads[index as usize];
        let (count, mut rest) = varint(&payload[1..]);
        let mut out = Vec::with_capacity(count as usize + 1);
        out.push((i64::MIN, t.offsets[payload[0] as usize]));
        let mut at = 0i64;
        for _ in 0..count {
            let (d, r) = varint(rest);
            at += d as i64;
            out.push((at, t.offsets[r[0] as usize]));
            rest = &r[1..];
        }
        out.into_boxed_slice()
    })
}

impl ZoneData {
    /// The offset changes, oldest first; the first applies from the beginning of time.
    pub fn changes(&self) -> &'static [(i64, i32)] {
        decoded(self.index)
    }

    /// The UTC offset in effect at `utc` (seconds since the epoch).
    pub fn offset_at(&self, utc: i64) -> i32 {
        let c = self.changes();
        let i = c.partition_point(|&(t, _)| t <= utc);
        c[i.saturating_sub(1)].1
    }

    /// Offsets in effect at some moment of `[from, to]`.
    pub fn offsets_between(&self, from: i64, to: i64) -> Vec<i32> {
        let c = self.changes();
        let first = c.partition_point(|&(t, _)| t <= from).saturating_sub(1);
        let mut out: Vec<i32> = Vec::with_capacity(3);
        for &(t, o) in &c[first..] {
            if t > to {
                break;
            }
            if !out.contains(&o) {
                out.push(o);
            }
        }
        out
    }
}
