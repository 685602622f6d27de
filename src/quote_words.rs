//! A quote as integers, for the npm package's prepared `quoteCall` (`Pricer::quote_words`
//! in `wasm`). Every amount is its decimal mantissa as two 32-bit halves and its scale, so
//! nothing is printed or decoded on the way and no float touches it; the parts of a line
//! that repeat from quote to quote (bucket, channel, code, increment, rate, reason, unit)
//! are interned as "heads" and sent as text once.
//!
//! Layout, in u32 words: `[lines, total credits (lo, hi, scale), money (lo, hi, scale)]`,
//! then per line `[head, credits (lo, hi, scale), quantity (lo, hi, scale)]`.

use crate::amount::Plain;
use crate::model::ChargeLine;
use crate::rating::Quote;
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
    heads: Vec<Head>,
}

impl Default for QuoteWords {
    fn default() -> Self {
        QuoteWords {
            words: Box::new([0; WORDS]),
            heads: Vec::new(),
        }
    }
}

/// The repeating part of a charge line.
#[derive(PartialEq)]
struct Head {
    bucket: &'static str,
    channel: &'static str,
    code: &'static str,
    increment: Option<crate::model::Increment>,
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
            let head = match self.heads.iter().position(|h| h.is(l)) {
                Some(k) => k,
                None if self.heads.len() < MAX_HEADS => {
                    self.heads.push(Head::of(l));
                    self.heads.len() - 1
                }
                None => return None,
            };
            w[at] = head as u32;
            w[at + 1..at + 4].copy_from_slice(&split(&l.credits)?);
            w[at + 4..at + 7].copy_from_slice(&split(&l.quantity)?);
        }
        Some(HEADER + q.lines.len() * PER_LINE)
    }

    /// Head `id` as text, fields separated by U+001F; empty when there is no such head.
    pub fn head_text(&self, id: usize) -> String {
        let Some(h) = self.heads.get(id) else {
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

    /// The words written last (for tests).
    pub fn words(&self) -> &[u32] {
        &self.words[..]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::amount::Seconds;
    use crate::model::{Call, CallDirection, Transfer};

    fn card() -> crate::model::RateCard {
        crate::ops::parse(
            &serde_json::json!({"currency": "USD", "creditsPerUnit": "100",
            "voice": {"perMinute": "9", "increment": "60/60", "connectFee": "0.25"},
            "tollFreeSurcharge": {"perMinute": "2"}, "transfer": {"perMinute": "6"}}),
        )
        .unwrap()
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
            let q = crate::rating::quote_with(&card, None, None, &call).unwrap();
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
        assert_eq!(words.heads.len(), 4);
    }

    #[test]
    fn an_amount_past_64_bits_goes_the_json_route() {
        let d = Decimal::from_i128_with_scale(1 << 70, 4);
        assert_eq!(split(&d), None);
        assert_eq!(split(&Decimal::new(-1, 0)), None);
        assert_eq!(split(&Decimal::new(12_345, 4)), Some([12_345, 0, 4]));
    }
}
