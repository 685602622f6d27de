//! The IANA time zones, from a compact table generated from chrono-tz's copy of the
//! database (examples/gen_tzdata.rs): every zone's UTC offsets and their changes from 2000
//! to 2100. Same answers as chrono-tz in that range (a test checks every zone), at a small
//! fraction of the size in the WebAssembly module. Like TZif's footer (RFC 8536 3.3), a
//! zone's yearly daylight-saving changes are stored once as two rules, not once a year.

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

/// 2000-01-01T00:00:00Z, where the table starts: instants before it are refused at the input
/// (`instant_out_of_range`), so no local time is computed from a guessed offset.
pub const START: i64 = 946_684_800;

/// 2100-01-01T00:00:00Z, where the table ends (the generator and the tests use it too).
pub const END: i64 = 4_102_444_800;

/// The day of the month a yearly change falls on (POSIX TZ `Jn`/`Mm.w.d` forms, as tzdata's
/// `25`, `Sun>=8` and `lastSun`). Weekdays count from Sunday = 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RuleDay {
    Fixed(u8),
    OnOrAfter(u8, u8),
    Last(u8),
}

/// A yearly change: at `wall_seconds` after local midnight of the rule's day, in the offset
/// of the other rule, the zone moves to `offsets[offset]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub month: u8,
    pub day: RuleDay,
    pub wall_seconds: i64,
    pub offset: u8,
}

/// Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((m + 9) % 12) + 2) / 5 + d - 1;
    era * 146_097 + yoe * 365 + yoe / 4 - yoe / 100 + doy - 719_468
}

/// The change the `i`th of two rules makes in `year`: UTC seconds and the new offset.
pub fn rule_change(offsets: &[i32], rules: &[Rule; 2], i: usize, year: i32) -> (i64, i32) {
    let r = rules[i];
    let (y, m) = (i64::from(year), i64::from(r.month));
    // The first day on or after `day` that is weekday `w` (1970-01-01 was a Thursday).
    let on_or_after = |w: u8, day: i64| day + (i64::from(w) - (day + 4)).rem_euclid(7);
    let day = match r.day {
        RuleDay::Fixed(d) => days_from_civil(y, m, i64::from(d)),
        RuleDay::OnOrAfter(w, d) => on_or_after(w, days_from_civil(y, m, i64::from(d))),
        RuleDay::Last(w) => on_or_after(w, days_from_civil(y, m + 1, 1) - 7),
    };
    let at = |o: u8| offsets.get(usize::from(o)).copied().unwrap_or(0);
    let t = day * 86_400 + r.wall_seconds - i64::from(at(rules[1 - i].offset));
    (t, at(r.offset))
}

/// An era of yearly changes: the two rules' changes from `from_year`, the first `skip` left
/// out, `count` of them (0: all up to the end of the table).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    pub from_year: i32,
    pub skip: u8,
    pub count: u32,
    pub rules: [Rule; 2],
}

/// Appends the changes an era gives, in order.
pub fn expand(offsets: &[i32], era: &Era, out: &mut Vec<(i64, i32)>) {
    let mut left = if era.count == 0 { u32::MAX } else { era.count };
    let changes = (era.from_year..2100).flat_map(|y| [(0, y), (1, y)]);
    for (i, year) in changes.skip(usize::from(era.skip)) {
        let c = rule_change(offsets, &era.rules, i, year);
        if left == 0 || c.0 >= END {
            return;
        }
        out.push(c);
        left -= 1;
    }
}

/// One era as the generator writes it (examples/gen_tzdata.rs), and the bytes after it.
fn read_era(b: &[u8]) -> (Era, &[u8]) {
    let (from_year, b) = varint(b);
    let skip = b[0];
    let (count, mut b) = varint(&b[1..]);
    let mut rules = [Rule {
        month: 1,
        day: RuleDay::Fixed(1),
        wall_seconds: 0,
        offset: 0,
    }; 2];
    for r in &mut rules {
        let (z, tail) = varint(&b[4..]);
        r.month = b[0];
        r.day = match b[1] {
            0 => RuleDay::Fixed(b[2]),
            1 => RuleDay::OnOrAfter(b[3], b[2]),
            _ => RuleDay::Last(b[3]),
        };
        r.wall_seconds = (z >> 1) as i64 ^ -((z & 1) as i64);
        r.offset = tail[0];
        b = &tail[1..];
    }
    let era = Era {
        from_year: from_year as i32,
        skip,
        count: count as u32,
        rules,
    };
    (era, b)
}

/// Reads one zone payload (explicit changes and eras, in order), decoding it into `out` when
/// given (with none, it only finds the payload's end), and returns the bytes after it.
fn walk<'a>(b: &'a [u8], offsets: &[i32], mut out: Option<&mut Vec<(i64, i32)>>) -> &'a [u8] {
    let mut rest = &b[1..];
    loop {
        let (count, mut r) = varint(rest);
        for _ in 0..count {
            let (d, r2) = varint(r);
            if let Some(out) = out.as_deref_mut() {
                let at = out.last().map_or(START, |c| c.0.max(START)) + d as i64;
                out.push((at, offsets.get(usize::from(r2[0])).copied().unwrap_or(0)));
            }
            r = &r2[1..];
        }
        if r[0] == 0 {
            return &r[1..];
        }
        let (era, r2) = read_era(&r[1..]);
        if let Some(out) = out.as_deref_mut() {
            expand(offsets, &era, out);
        }
        rest = r2;
    }
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
        let offsets: Vec<i32> = (0..n)
            .map(|i| i32::from_le_bytes([b[2 + 4 * i], b[3 + 4 * i], b[4 + 4 * i], b[5 + 4 * i]]))
            .collect();
        b = &b[2 + 4 * n..];
        let n = u16::from_le_bytes([b[0], b[1]]) as usize;
        b = &b[2..];
        let mut payloads = Vec::with_capacity(n);
        for _ in 0..n {
            let start = b;
            let rest = walk(b, &offsets, None);
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
/// effect on 2000-01-01), decoded once per zone and kept.
fn decoded(index: u16) -> &'static [(i64, i32)] {
    type Changes = Box<[(i64, i32)]>;
    static CACHE: OnceLock<Vec<OnceLock<Changes>>> = OnceLock::new();
    let t = table();
    let cache = CACHE.get_or_init(|| (0..t.payloads.len()).map(|_| OnceLock::new()).collect());
    cache[index as usize].get_or_init(|| {
        let payload = t.payloads[index as usize];
        let mut out = vec![(i64::MIN, t.offsets[payload[0] as usize])];
        walk(payload, &t.offsets, Some(&mut out));
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
