//! SEMANTICS 18's invariant as the property tests check it, on what each test saw itself
//! (`live_properties.rs`: live calls; `lease_properties.rs`: the server and an edge on a lease).

use proptest::prelude::*;
use serde_json::{json, Value};

/// A span of inbound toll-free traffic the test keeps itself: a live call's grant or an
/// ended call's connected seconds, from `start` (seconds from T0), to number `number`.
#[derive(Debug, Clone)]
pub struct Span {
    pub start: i64,
    pub seconds: i64,
    pub number: Option<&'static str>,
}

pub const NUMBERS: [Option<&str>; 3] = [Some("tf-1"), Some("tf-2"), None];
/// The surge rule's history: each number's usual seconds in every hour, a week before.
pub const USUAL: [(Option<&str>, u64); 2] = [(Some("tf-1"), 600), (Some("tf-2"), 120)];

/// Limits of a limits scenario: account-wide concurrency, minutes an hour and a day;
/// tf-1's own minutes an hour; the surge ratio and floor.
pub fn limits() -> impl Strategy<Value = (u64, u64, u64, u64, u64, u64)> {
    (1u64..5, 5u64..40, 20u64..120, 2u64..15, 1u64..4, 1u64..10)
}

/// SEMANTICS 18's invariant over what the test itself saw: in every hour and day that any
/// span touches, the spans' seconds in it stay within each limit that applies.
pub fn check_limits(
    spans: &[Span],
    (conc, hour, day, tf1_hour, ratio, floor): (u64, u64, u64, u64, u64, u64),
    live_now: usize,
) -> Result<(), TestCaseError> {
    prop_assert!(
        live_now as u64 <= conc,
        "{} live calls > {}",
        live_now,
        conc
    );
    let in_window = |w0: i64, w1: i64, n: Option<Option<&str>>| -> i64 {
        spans
            .iter()
            .filter(|s| n.is_none_or(|n| s.number == n))
            .map(|s| (w1.min(s.start + s.seconds) - w0.max(s.start)).max(0))
            .sum()
    };
    let first = spans.iter().map(|s| s.start).min().unwrap_or(0);
    let last = spans.iter().map(|s| s.start + s.seconds).max().unwrap_or(0);
    // T0 is 12:00 UTC: hours start at multiples of 3,600 from it, days 12 hours before.
    let mut h = first.div_euclid(3_600) * 3_600;
    while h < last {
        let w = (h, h + 3_600);
        prop_assert!(
            in_window(w.0, w.1, None) <= (hour * 60) as i64,
            "hour {} over {} min",
            h,
            hour
        );
        prop_assert!(
            in_window(w.0, w.1, Some(Some("tf-1"))) <= (tf1_hour * 60) as i64,
            "tf-1 hour {}",
            h
        );
        for n in NUMBERS {
            let usual = USUAL.iter().find(|u| u.0 == n).map_or(0, |u| u.1);
            // One week of history in four: the average is a quarter of it.
            let surge = (ratio * usual / 4).max(floor * 60) as i64;
            prop_assert!(
                in_window(w.0, w.1, Some(n)) <= surge,
                "surge {:?} hour {}",
                n,
                h
            );
        }
        h += 3_600;
    }
    let mut d = (first + 43_200).div_euclid(86_400) * 86_400 - 43_200;
    while d < last {
        prop_assert!(
            in_window(d, d + 86_400, None) <= (day * 60) as i64,
            "day {} over {} min",
            d,
            day
        );
        d += 86_400;
    }
    Ok(())
}

/// The account of a limits scenario: a large wallet, the limits `l`, and one week of history
/// in every hour of the two days a scenario can reach (`at` turns seconds from its start into
/// an instant).
pub fn limited_account(l: (u64, u64, u64, u64, u64, u64), at: impl Fn(i64) -> String) -> Value {
    let (conc, hour, day, tf1_hour, ratio, floor) = l;
    let usage: Vec<Value> = (-36..72)
        .flat_map(|k| USUAL.iter().map(move |(n, s)| (k, n, s)))
        .map(|(k, n, s)| json!({"hour": at(k * 3_600 - 7 * 86_400), "numberId": n, "seconds": s}))
        .collect();
    json!({
        "grants": [{"id": "w", "type": "prepaid", "remaining": "10000000"}], "owed": "0",
        "inboundLimits": {"maxConcurrentCalls": conc, "maxMinutesPerHour": hour, "maxMinutesPerDay": day,
            "perNumber": {"tf-1": {"maxMinutesPerHour": tf1_hour}},
            "surge": {"ratio": ratio.to_string(), "floorMinutes": floor}},
        "inboundUsage": usage,
    })
}
