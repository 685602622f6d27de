//! The compact zone table (src/engine/tzdata.bin) against chrono-tz, the database it was generated
//! from: every zone's offset at random instants and on both sides of every change, and local
//! times resolved to the same instants, 2000 (where the table starts) to 2100.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, LocalResult, Offset, TimeZone, Utc};
use chrono_tz::{Tz, TZ_VARIANTS};
use drawdown::calendar::{resolve_local, Instant, Zone};
use drawdown::tzdata::{lookup, END, START};
use proptest::prelude::*;

fn chrono_offset(tz: Tz, t: i64) -> i32 {
    tz.offset_from_utc_datetime(&DateTime::<Utc>::from_timestamp(t, 0).unwrap().naive_utc())
        .fix()
        .local_minus_utc()
}

#[test]
fn the_table_is_from_the_same_database() {
    assert_eq!(drawdown::tzdata::version(), chrono_tz::IANA_TZDB_VERSION);
    assert_eq!(
        TZ_VARIANTS
            .iter()
            .filter(|tz| lookup(tz.name()).is_none())
            .count(),
        0
    );
    assert!(lookup("Mars/Olympus").is_none());
}

#[test]
fn every_change_of_every_zone_matches() {
    let mut checked = 0;
    for tz in TZ_VARIANTS {
        let zone = lookup(tz.name()).unwrap();
        for &(t, o) in zone.changes().iter().skip(1) {
            assert_eq!(zone.offset_at(t), o);
            assert_eq!(chrono_offset(tz, t), o, "{} at {t}", tz.name());
            assert_eq!(
                chrono_offset(tz, t - 1),
                zone.offset_at(t - 1),
                "{} before {t}",
                tz.name()
            );
            checked += 1;
        }
    }
    assert!(checked > 10_000, "{checked}");
}

/// Catches a change the table lost (or one it made up between two real ones): every zone,
/// every 61 hours from 2000 to 2100, so each hour of the day and weekday comes round.
#[test]
fn every_zone_matches_on_a_fine_grid() {
    for tz in TZ_VARIANTS {
        let zone = lookup(tz.name()).unwrap();
        let mut t = START;
        while t < END {
            assert_eq!(
                zone.offset_at(t),
                chrono_offset(tz, t),
                "{} at {t}",
                tz.name()
            );
            t += 61 * 3600;
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn offsets_match_at_random_instants(i in 0..TZ_VARIANTS.len(), t in START..END) {
        let tz = TZ_VARIANTS[i];
        prop_assert_eq!(lookup(tz.name()).unwrap().offset_at(t), chrono_offset(tz, t), "{}", tz.name());
    }

    /// Local wall-clock times resolve as chrono-tz resolves them: the single instant, the
    /// earlier of two, and for a skipped time the first instant after the gap.
    #[test]
    fn local_times_resolve_alike(i in 0..TZ_VARIANTS.len(), t in START..END) {
        let tz = TZ_VARIANTS[i];
        let local = DateTime::<Utc>::from_timestamp(t, 0).unwrap().naive_utc();
        let ours = resolve_local(Zone(lookup(tz.name()).unwrap()), local).map(|i| i.0);
        match tz.from_local_datetime(&local) {
            LocalResult::Single(x) => prop_assert_eq!(ours, Some(x.with_timezone(&Utc))),
            LocalResult::Ambiguous(a, b) => prop_assert_eq!(ours, Some(a.with_timezone(&Utc).min(b.with_timezone(&Utc)))),
            LocalResult::None => {
                let got = ours.unwrap();
                prop_assert!(got.timestamp() > t - 86_400 && chrono_offset(tz, got.timestamp() - 60) != chrono_offset(tz, got.timestamp()));
            }
        }
    }
}

#[test]
fn dst_in_new_york() {
    let ny = Zone(lookup("America/New_York").unwrap());
    let at = |s: &str| Instant::parse(s).unwrap();
    assert_eq!(
        at("2026-03-08T06:59:59Z").local(ny).to_string(),
        "2026-03-08 01:59:59"
    );
    assert_eq!(
        at("2026-03-08T07:00:00Z").local(ny).to_string(),
        "2026-03-08 03:00:00"
    );
    // 02:30 does not exist on 2026-03-08: the first instant after the gap.
    let gap = chrono::NaiveDate::from_ymd_opt(2026, 3, 8)
        .unwrap()
        .and_hms_opt(2, 30, 0)
        .unwrap();
    assert_eq!(
        resolve_local(ny, gap).unwrap().to_string(),
        "2026-03-08T07:00:00Z"
    );
    // 01:30 happens twice on 2026-11-01: the earlier one (EDT).
    let twice = chrono::NaiveDate::from_ymd_opt(2026, 11, 1)
        .unwrap()
        .and_hms_opt(1, 30, 0)
        .unwrap();
    assert_eq!(
        resolve_local(ny, twice).unwrap().to_string(),
        "2026-11-01T05:30:00Z"
    );
}

proptest! {
    /// Instants print as chrono's RFC 3339 with `AutoSi` seconds, in UTC.
    #[test]
    fn instants_print_like_chrono(secs in 0i64..253_402_300_799, nanos in prop_oneof![Just(0u32), 0u32..1_000_000_000, (0u32..1000).prop_map(|m| m * 1_000_000)]) {
        let t = DateTime::<Utc>::from_timestamp(secs, nanos).unwrap();
        prop_assert_eq!(Instant(t).to_string(), t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true));
    }
}
