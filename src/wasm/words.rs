//! Answers as integers, for the npm package's prepared handles (`Pricer::quote_words` and
//! `AccountHandle::preview_words` in `wasm`). Every amount is its decimal mantissa as two
//! 32-bit halves and its scale, so nothing is printed or decoded on the way and no float
//! touches it; the parts of a line that repeat from line to line (bucket, channel, code,
//! increment, rate, reason, unit) are interned as "heads" and sent as text once.
//!
//! A quote, in u32 words: `[lines, total credits (lo, hi, scale), money (lo, hi, scale)]`,
//! then per line `[head, credits (lo, hi, scale), quantity (lo, hi, scale)]`.
//!
//! A summary preview's usage comes in as `USAGE_WORDS` words an item (`usage_from_words`)
//! and its ASCII strings in one text; its items go out as words (`write_item`).

use crate::engine::amount::Plain;
use crate::engine::model::ChargeLine;
use crate::engine::rating::Quote;
use rust_decimal::Decimal;

/// The most lines a plain call has: included, AI minutes, connect fee, toll-free, transfer.
pub const MAX_LINES: usize = 5;
const HEADER: usize = 7;
const PER_LINE: usize = 7;
/// Words in the answer buffer.
pub const WORDS: usize = HEADER + MAX_LINES * PER_LINE;
/// Distinct heads kept; past it the quote takes the JSON route (a pricer's lines have a
/// handful, since a head holds the card's rates).
pub const MAX_HEADS: usize = 64;

/// The answer buffer (boxed: its address is what the glue views) and the interned heads.
pub struct QuoteWords {
    words: Box<[u32; WORDS]>,
    heads: Heads,
}

impl Default for QuoteWords {
    fn default() -> Self {
        QuoteWords {
            words: Box::new([0; WORDS]),
            heads: Heads::default(),
        }
    }
}

/// The heads a handle has sent, by id, and the one found last (lines come in runs).
#[derive(Default)]
pub struct Heads(Vec<Head>, usize);

impl Heads {
    /// `l`'s head id, interning it when new; `None` past `MAX_HEADS`.
    pub fn id(&mut self, l: &ChargeLine) -> Option<u32> {
        if self.0.get(self.1).is_some_and(|h| h.is(l)) {
            return Some(self.1 as u32);
        }
        if let Some(k) = self.0.iter().position(|h| h.is(l)) {
            self.1 = k;
            return Some(k as u32);
        }
        (self.0.len() < MAX_HEADS).then(|| {
            self.0.push(Head::of(l));
            self.1 = self.0.len() - 1;
            self.1 as u32
        })
    }

    /// Head `id` as text, fields separated by U+001F; empty when there is no such head.
    pub fn text(&self, id: usize) -> String {
        let Some(h) = self.0.get(id) else {
            return String::new();
        };
        let increment = h
            .increment
            .map(|i| format!("{}/{}", i.first, i.next))
            .unwrap_or_default();
        let rate = Plain(&h.rate).to_string();
        let reason = h.reason.as_deref().unwrap_or("");
        [
            h.bucket, h.channel, h.code, &increment, &rate, reason, &h.unit,
        ]
        .join("\u{1f}")
    }
}

/// The repeating part of a charge line.
#[derive(PartialEq)]
struct Head {
    bucket: &'static str,
    channel: &'static str,
    code: &'static str,
    increment: Option<crate::engine::model::Increment>,
    rate: Decimal,
    reason: Option<String>,
    unit: std::borrow::Cow<'static, str>,
}

impl Head {
    fn of(l: &ChargeLine) -> Head {
        Head {
            bucket: l.bucket,
            channel: l.channel,
            code: l.code,
            increment: l.increment,
            rate: l.rate,
            reason: l.reason.clone(),
            unit: l.unit.clone(),
        }
    }
    /// Same as `of(l)`, without building it: the common case finds a known head.
    fn is(&self, l: &ChargeLine) -> bool {
        same(self.code, l.code)
            && same(self.bucket, l.bucket)
            && same(self.channel, l.channel)
            && self.increment == l.increment
            && self.rate == l.rate
            && self.rate.scale() == l.rate.scale()
            && self.reason == l.reason
            && same(&self.unit, &l.unit)
    }
}

/// String equality that first asks whether both are the same literal (a line's code,
/// bucket and unit usually are), which spares the byte comparison.
fn same(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

/// `d` as `[lo, hi, scale]`; `None` when it is negative or its mantissa needs over 64 bits.
fn split(d: &Decimal) -> Option<[u32; 3]> {
    // `unpack` hands the 96-bit mantissa over as words; `mantissa()` would build an i128.
    let u = d.unpack();
    (u.hi == 0 && !u.negative).then_some([u.lo, u.mid, u.scale])
}

impl QuoteWords {
    /// Where the words are, as an offset into the module's memory.
    pub fn at(&self) -> u32 {
        self.words.as_ptr() as usize as u32
    }

    /// Writes `q`; answers the number of words, or `None` when it must go as JSON.
    pub fn write(&mut self, q: &Quote) -> Option<usize> {
        if q.lines.len() > MAX_LINES {
            return None;
        }
        let w = &mut self.words;
        w[0] = q.lines.len() as u32;
        w[1..4].copy_from_slice(&split(&q.total_credits)?);
        w[4..7].copy_from_slice(&split(&q.total_money.amount)?);
        for (i, l) in q.lines.iter().enumerate() {
            let at = HEADER + i * PER_LINE;
            let head = self.heads.id(l)?;
            w[at] = head;
            w[at + 1..at + 4].copy_from_slice(&split(&l.credits)?);
            w[at + 4..at + 7].copy_from_slice(&split(&l.quantity)?);
        }
        Some(HEADER + q.lines.len() * PER_LINE)
    }

    /// Head `id` as text (`Heads::text`).
    pub fn head_text(&self, id: usize) -> String {
        self.heads.text(id)
    }

    /// The words written last (for tests).
    pub fn words(&self) -> &[u32] {
        &self.words[..]
    }
}

/// An allowed call's authorization as words: `[allowed, code's text id, available
/// credits (lo, hi, scale), included seconds, max seconds]`; `None` (the JSON route) for
/// an answer with an action, error or HTTP status, or a number past 32 bits.
pub fn write_authorization(
    a: &crate::engine::authorize::Authorization,
    texts: &mut Texts,
    out: &mut [u32; AUTHORIZATION_WORDS],
) -> Option<()> {
    if a.action.is_some() || a.error.is_some() || a.http_status.is_some() {
        return None;
    }
    let [lo, hi, scale] = split(&a.available_credits)?;
    *out = [
        u32::from(a.allowed),
        texts.id(a.code)?,
        lo,
        hi,
        scale,
        u32::try_from(a.included_seconds).ok()?,
        u32::try_from(a.max_seconds).ok()?,
    ];
    Some(())
}

/// Words in `write_authorization`'s answer.
pub const AUTHORIZATION_WORDS: usize = 7;

/// Static texts (codes) a handle has sent, by id.
#[derive(Default)]
pub struct Texts(Vec<&'static str>);

impl Texts {
    /// `t`'s id, interning it when new; `None` past `MAX_HEADS`.
    pub fn id(&mut self, t: &'static str) -> Option<u32> {
        if let Some(k) = self.0.iter().position(|x| same(x, t)) {
            return Some(k as u32);
        }
        (self.0.len() < MAX_HEADS).then(|| {
            self.0.push(t);
            (self.0.len() - 1) as u32
        })
    }

    /// Text `id`; empty when there is no such text.
    pub fn text(&self, id: usize) -> &'static str {
        self.0.get(id).copied().unwrap_or("")
    }
}

/// Words an input usage item takes: flags (`CHAT`, `OUTBOUND`, `TOLL_FREE`, `AGENT`,
/// `TRANSFER`, `AT_SECONDS`), seconds or messages, bridged seconds, then the lengths of its
/// id, `at` and agent id in the text; with `AT_SECONDS` the `at` word is instead its
/// instant in seconds from 2000-01-01T00:00:00Z, which the glue read from text written
/// exactly as the answer writes it, and the text holds no `at`.
pub const USAGE_WORDS: usize = 6;
pub const CHAT: u32 = 1;
pub const OUTBOUND: u32 = 2;
pub const TOLL_FREE: u32 = 4;
pub const AGENT: u32 = 8;
pub const TRANSFER: u32 = 16;
pub const AT_SECONDS: u32 = 32;

/// The usage the glue packed (`usageWords` in js/api.js), already in time order.
pub struct PackedUsage {
    /// The items, sorted by instant (ties keep input order, as the drawdown's own order
    /// does, so the answer is the same): the drawdown then walks memory in order. Usage in
    /// shuffled time order spent a fifth of a 100,000-item preview waiting on cache misses.
    pub usage: Vec<crate::engine::drawdown::Usage>,
    /// Each sorted item's index in the input.
    pub origin: Vec<u32>,
    /// By input index: whether the item's `at` is written as the answer writes it (so the
    /// glue can reuse its own string).
    pub canonical: Vec<bool>,
}

/// The usage the glue packed. `None` for anything the JSON route must judge: a bad
/// instant, a count out of range, non-ASCII text (its lengths are UTF-16 units) or words
/// that do not add up.
pub fn usage_from_words(words: &[u32], text: &str) -> Option<PackedUsage> {
    if !text.is_ascii() || !words.len().is_multiple_of(USAGE_WORDS) {
        return None;
    }
    let n = words.len() / USAGE_WORDS;
    // First the instants (to sort by) and where each item's strings start; then the items
    // themselves, built straight into time order.
    let (mut ats, mut starts, mut canonical) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let mut offset = 0usize;
    for w in words.chunks_exact(USAGE_WORDS) {
        let (id, at_len, agent) = (w[3] as usize, at_text_len(w), w[5] as usize);
        let (at, written_so) = instant(w, text.get(offset + id..offset + id + at_len)?)?;
        ats.push(at);
        canonical.push(written_so);
        starts.push(offset);
        offset += id + at_len + agent;
    }
    if offset != text.len() {
        return None;
    }
    let order = crate::engine::calendar::time_order(&ats);
    // The ids and agent ids copied once more, in time order, and every `Id` a range of that
    // one copy (`Id::within`: no allocation per item). The drawdown reads them item by item
    // (duplicate ids, agents); as ranges of the input text they were reads from all over
    // it, 6 ms of a 100,000-item preview in wasm.
    let mut sorted = String::with_capacity(text.len());
    let mut spans = Vec::with_capacity(n);
    for &k in &order {
        let w = &words[k * USAGE_WORDS..][..USAGE_WORDS];
        let (start, id, agent) = (starts[k], w[3] as usize, w[5] as usize);
        let from = sorted.len();
        sorted.push_str(text.get(start..start + id)?);
        let agent_at = start + id + at_text_len(w);
        sorted.push_str(text.get(agent_at..agent_at + agent)?);
        spans.push(from);
    }
    let shared: std::sync::Arc<str> = sorted.into();
    let mut usage = Vec::with_capacity(n);
    let mut origin = Vec::with_capacity(n);
    for (&k, from) in order.iter().zip(spans) {
        let w = &words[k * USAGE_WORDS..][..USAGE_WORDS];
        usage.push(item(w, &shared, from, ats[k])?);
        origin.push(k as u32);
    }
    Some(PackedUsage {
        usage,
        origin,
        canonical,
    })
}

/// How many bytes of the text an item's `at` takes (none when it came as seconds).
fn at_text_len(w: &[u32]) -> usize {
    if w[0] & AT_SECONDS != 0 {
        0
    } else {
        w[4] as usize
    }
}

/// An item's instant, from its seconds or its text, and whether the answer writes it as it
/// came (so the glue reuses its own string).
fn instant(w: &[u32], at_text: &str) -> Option<(crate::engine::calendar::Instant, bool)> {
    if w[0] & AT_SECONDS != 0 {
        let at = crate::engine::calendar::Instant::from_unix_seconds(
            i64::from(w[4]) + crate::engine::tzdata::START,
        )?;
        return Some((at, true));
    }
    let at = crate::engine::calendar::Instant::accept(at_text).ok()?;
    Some((at, is_canonical(at_text)))
}

/// One packed item, its id (then its agent id) from `start` in `text`, its instant
/// already parsed.
fn item(
    w: &[u32],
    text: &std::sync::Arc<str>,
    start: usize,
    at: crate::engine::calendar::Instant,
) -> Option<crate::engine::drawdown::Usage> {
    use crate::engine::amount::{Count, Seconds, MAX_SECONDS};
    use crate::engine::drawdown::Id;
    use crate::engine::drawdown::{Usage, UsageKind};
    use crate::engine::model::{Call, CallDirection, Transfer};
    let [flags, amount, bridged] = [w[0], w[1], w[2]];
    let (id, agent) = (w[3] as usize, w[5] as usize);
    if u64::from(amount) > MAX_SECONDS || u64::from(bridged) > MAX_SECONDS {
        return None;
    }
    let agent = start + id..start + id + agent;
    let chat = flags & CHAT != 0;
    let call = (!chat).then(|| Call {
        direction: if flags & OUTBOUND != 0 {
            CallDirection::Outbound
        } else {
            CallDirection::Inbound
        },
        toll_free: flags & TOLL_FREE != 0,
        connected_seconds: Seconds(u64::from(amount)),
        transfer: (flags & TRANSFER != 0).then(|| Transfer {
            bridged_seconds: Seconds(u64::from(bridged)),
        }),
        carrier_pass_through: vec![],
    });
    Some(Usage {
        id: Id::within(text, start, start + id)?,
        at,
        kind: if chat {
            UsageKind::Chat
        } else {
            UsageKind::Call
        },
        agent_id: match flags & AGENT {
            0 => None,
            _ => Some(Id::within(text, agent.start, agent.end)?),
        },
        call,
        messages: chat.then_some(Count(u64::from(amount))),
        number_kind: None,
        count: None,
        through: None,
        prorate: false,
    })
}

/// Whether a parsed instant's text is exactly how the answer writes it
/// (`2026-03-01T12:00:00Z`: UTC, upper-case `T` and `Z`, no fraction, no leap second).
fn is_canonical(at: &str) -> bool {
    let b = at.as_bytes();
    b.len() == 20 && b[10] == b'T' && b[19] == b'Z' && &b[17..19] != b"60"
}

/// Words an output item takes before its lines: its usage index, flags (`REFUSED`,
/// `AT_IN_TEXT`), 1 when its reason is the next text (else 0) and its number of lines;
/// then per line its head, credits, quantity and uncovered (lo, hi, scale each).
pub const ITEM_WORDS: usize = 4;
pub const LINE_WORDS: usize = 10;
pub const REFUSED: u32 = 1;
pub const AT_IN_TEXT: u32 = 2;

/// One item of a summary preview as words appended to `out`, with the texts the glue lacks
/// (an instant not written as it came in, a refusal reason) appended to `texts`. `None`
/// when an amount does not fit, or a head cannot be interned: take the JSON route.
pub fn write_item(
    item: &crate::engine::drawdown::Item,
    packed: &PackedUsage,
    heads: &mut Heads,
    out: &mut Vec<u32>,
    texts: &mut Vec<String>,
) -> Option<()> {
    if item.period.is_some() {
        return None; // a number rental's period: the glue builds calls and chats only
    }
    let mut flags = 0;
    if item.status == crate::engine::drawdown::ItemStatus::Refused {
        flags |= REFUSED;
    }
    let source = *packed.origin.get(item.source)?;
    if !packed
        .canonical
        .get(source as usize)
        .copied()
        .unwrap_or(false)
    {
        flags |= AT_IN_TEXT;
        texts.push(item.at.to_string());
    }
    let reason = match item.reason {
        Some(r) => {
            texts.push(r.to_string());
            1
        }
        None => 0,
    };
    out.extend([source, flags, reason, item.lines.len() as u32]);
    for d in &item.lines {
        out.push(heads.id(&d.line)?);
        out.extend(split(&d.line.credits)?);
        out.extend(split(&d.line.quantity)?);
        out.extend(split(&d.uncovered)?);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::engine::amount::Seconds;
    use crate::engine::model::{Call, CallDirection, Transfer};

    fn card() -> crate::engine::model::RateCard {
        crate::ops::parse(
            &serde_json::json!({"currency": "USD", "creditsPerUnit": "100",
            "voice": {"perMinute": "9", "increment": "60/60", "connectFee": "0.25"},
            "tollFreeSurcharge": {"perMinute": "2"}, "transfer": {"perMinute": "6"}}),
        )
        .unwrap()
    }

    /// Packed usage comes out in time order (ties in input order), each id and agent id its
    /// own; anything the JSON route must judge is `None`.
    #[test]
    fn packed_usage_reads_back_in_time_order() {
        // chat "c1" (agent "ag") at 10:00:05, call "c2" at 10:00:00, chat "c3" at 10:00:05
        // written with an offset, chat "c4" (agent "ag") at 10:00:01 sent as seconds.
        let c4 = crate::engine::calendar::Instant::accept("2026-03-01T10:00:01Z").unwrap();
        let c4_seconds = (c4.0.timestamp() - crate::engine::tzdata::START) as u32;
        let text = "c12026-03-01T10:00:05Zagc22026-03-01T10:00:00Zc32026-03-01T10:00:05+00:00c4ag";
        #[rustfmt::skip]
        let words = [
            CHAT | AGENT, 3, 0, 2, 20, 2,
            OUTBOUND | TRANSFER, 84, 9, 2, 20, 0,
            CHAT, 1, 0, 2, 25, 0,
            CHAT | AGENT | AT_SECONDS, 2, 0, 2, c4_seconds, 2,
        ];
        let packed = usage_from_words(&words, text).unwrap();
        let ids: Vec<&str> = packed.usage.iter().map(|u| &*u.id).collect();
        assert_eq!(ids, ["c2", "c4", "c1", "c3"]);
        assert_eq!(packed.origin, [1, 3, 0, 2]);
        assert_eq!(packed.canonical, [true, true, false, true]);
        assert_eq!(packed.usage[1].at, c4);
        let agents: Vec<Option<&str>> =
            packed.usage.iter().map(|u| u.agent_id.as_deref()).collect();
        assert_eq!(agents, [None, Some("ag"), Some("ag"), None]);
        let call = packed.usage[0].call.as_ref().unwrap();
        assert_eq!(
            (
                call.connected_seconds,
                call.transfer.as_ref().map(|t| t.bridged_seconds)
            ),
            (Seconds(84), Some(Seconds(9)))
        );
        assert_eq!(
            packed.usage[2].messages,
            Some(crate::engine::amount::Count(3))
        );
        // Lengths that do not add up, non-ASCII text, a bad instant, a count out of range.
        assert!(usage_from_words(&words[..12], text).is_none());
        assert!(usage_from_words(&[CHAT, 1, 0, 2, 20, 0], "ü2026-03-01T10:00:05Z").is_none());
        assert!(usage_from_words(&[CHAT, 1, 0, 2, 20, 0], "c12026-02-30T10:00:05Z").is_none());
        assert!(
            usage_from_words(&[CHAT, u32::MAX, 0, 2, 20, 0], "c12026-03-01T10:00:05Z").is_none()
        );
    }

    /// Reads the words back into decimals and heads, and compares them with the quote.
    #[test]
    fn words_carry_every_amount_and_head_of_the_quote() {
        let card = card();
        let mut words = QuoteWords::default();
        for (secs, bridged) in [(0, None), (1, Some(7)), (84, None), (3_600, Some(61))] {
            let call = Call {
                direction: CallDirection::Inbound,
                toll_free: true,
                connected_seconds: Seconds(secs),
                transfer: bridged.map(|b| Transfer {
                    bridged_seconds: Seconds(b),
                }),
                carrier_pass_through: vec![],
            };
            let q = crate::engine::rating::quote_with(&card, None, None, &call).unwrap();
            let n = words.write(&q).unwrap();
            let w = words.words();
            let dec = |at: usize| {
                let m = u64::from(w[at]) | (u64::from(w[at + 1]) << 32);
                Decimal::from_i128_with_scale(i128::from(m), w[at + 2])
            };
            assert_eq!(n, HEADER + q.lines.len() * PER_LINE);
            assert_eq!(w[0] as usize, q.lines.len());
            assert_eq!(
                Plain(&dec(1)).to_string(),
                Plain(&q.total_credits).to_string()
            );
            assert_eq!(
                Plain(&dec(4)).to_string(),
                Plain(&q.total_money.amount).to_string()
            );
            for (i, l) in q.lines.iter().enumerate() {
                let at = HEADER + i * PER_LINE;
                let head = words.head_text(w[at] as usize);
                let fields: Vec<&str> = head.split('\u{1f}').collect();
                assert_eq!(fields[2], l.code);
                assert_eq!(fields[4], Plain(&l.rate).to_string());
                assert_eq!(
                    Plain(&dec(at + 1)).to_string(),
                    Plain(&l.credits).to_string()
                );
                assert_eq!(
                    Plain(&dec(at + 4)).to_string(),
                    Plain(&l.quantity).to_string()
                );
            }
        }
        // Four codes seen, each with one rate: four heads, however many quotes.
        assert_eq!(words.heads.0.len(), 4);
    }

    #[test]
    fn an_amount_past_64_bits_goes_the_json_route() {
        let d = Decimal::from_i128_with_scale(1 << 70, 4);
        assert_eq!(split(&d), None);
        assert_eq!(split(&Decimal::new(-1, 0)), None);
        assert_eq!(split(&Decimal::new(12_345, 4)), Some([12_345, 0, 4]));
    }
}
