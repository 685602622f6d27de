//! Price versions at the server (issue 28, SEMANTICS 16), on both stores: a rate card
//! change scheduled ahead prices usage from its instant (to the second), late usage from
//! before it keeps the old prices, a live call is priced by the version it started under,
//! a scheduled change can be cancelled until it takes effect, and every version is kept and
//! readable at any instant. Time is the test clock.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn card_at(per_minute: &str) -> Value {
    let mut c = card();
    c["voice"]["perMinute"] = json!(per_minute);
    c
}

fn schedule(s: &Server, id: &str, body: Value) -> Resp {
    let url = format!("{}/admin/accounts/{id}/rate-card", s.url);
    call("PUT", &url, Some(ADMIN), None, Some(&body.to_string()))
}

fn shifted(t: &str, secs: i64) -> String {
    let t = chrono::DateTime::parse_from_rfc3339(t).unwrap() + chrono::Duration::seconds(secs);
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn get(s: &Server, c: &Creds, path: &str) -> Value {
    let r = call(
        "GET",
        &format!("{}{path}", s.url),
        Some(&c.read_key),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{path}: {}", r.body);
    r.body
}

/// A minute-long outbound call at `at`, and the credits it was charged.
fn minute_at(s: &Server, c: &Creds, id: &str, at: &str) -> Decimal {
    let r = post_usage(s, &c.key, id, &[call_event(id, at, 60, false)]);
    assert_eq!(r.status, 200, "{}", r.body);
    charged(&r.body["items"][0])
}

fn charged(item: &Value) -> Decimal {
    item["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| dec(&l["credits"]))
        .sum()
}

#[test]
fn usage_is_priced_by_the_version_in_force_at_its_instant() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        let c = wallet_account(&s, "prices", "10000");
        let t0 = shifted(&advance_clock(&s, 0), 0);
        let from = shifted(&t0, 86_400);
        let v2 = schedule(
            &s,
            "prices",
            json!({ "rateCard": card_at("12"), "effectiveFrom": from }),
        );
        assert_eq!(v2.status, 200, "{backend}: {}", v2.body);
        assert_eq!(
            (&v2.body["version"], &v2.body["effectiveFrom"]),
            (&json!(2), &json!(from))
        );
        // Read at any instant, to the second.
        let at = |t: &str| get(&s, &c, &format!("/billing/rate-card?at={t}"))["version"].clone();
        assert_eq!(
            (at(&t0), at(&shifted(&from, -1)), at(&from)),
            (json!(1), json!(1), json!(2))
        );
        // The dashboard's inputs carry it for its previews.
        let inputs = get(&s, &c, "/billing/account");
        assert_eq!(
            inputs["rateCardVersions"][0]["effectiveFrom"],
            json!(from),
            "{inputs}"
        );
        assert_eq!(minute_at(&s, &c, "now", &t0), Decimal::from(9), "{backend}");
        // A live call started before the change and ended after it keeps its price.
        let start = json!({ "id": "live", "direction": "outbound", "quotaSeconds": 60 });
        let url = format!("{}/calls", s.url);
        let r = call("POST", &url, Some(&c.key), None, Some(&start.to_string()));
        assert_eq!(r.status, 200, "{}", r.body);
        advance_clock(&s, 86_400 + 10);
        // Late usage from before the change keeps the old price; from its second on, the new.
        assert_eq!(
            minute_at(&s, &c, "late", &shifted(&from, -1)),
            Decimal::from(9)
        );
        assert_eq!(
            minute_at(&s, &c, "edge", &from),
            Decimal::from(12),
            "{backend}"
        );
        let end = json!({ "connectedSeconds": 60 }).to_string();
        let r = call(
            "POST",
            &format!("{url}/live/end"),
            Some(&c.key),
            None,
            Some(&end),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(charged(&r.body["item"]), Decimal::from(9), "{}", r.body);
        assert_ledger_chains(&s, &c.key, backend);
    }
}

#[test]
fn a_change_is_cancelled_before_it_takes_effect_and_every_version_is_kept() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        let c = wallet_account(&s, "plans", "10000");
        let t0 = shifted(&advance_clock(&s, 0), 0);
        let soon = shifted(&t0, 3_600);
        let later = shifted(&t0, 7_200);
        assert_eq!(
            schedule(
                &s,
                "plans",
                json!({ "rateCard": card_at("10"), "effectiveFrom": soon })
            )
            .status,
            200
        );
        assert_eq!(
            schedule(
                &s,
                "plans",
                json!({ "rateCard": card_at("20"), "effectiveFrom": later })
            )
            .status,
            200
        );
        let del = |v: &str| {
            let url = format!("{}/admin/accounts/plans/rate-card/{v}", s.url);
            call("DELETE", &url, Some(ADMIN), None, None)
        };
        let gone = del("3");
        assert_eq!(gone.status, 200, "{}", gone.body);
        assert!(gone.body["cancelledAt"].is_string(), "{}", gone.body);
        advance_clock(&s, 7_300);
        assert_eq!(
            minute_at(&s, &c, "after", &shifted(&later, 10)),
            Decimal::from(10),
            "{backend}"
        );
        let code = |r: &Resp| {
            (
                r.status,
                r.body["error"]["code"].clone(),
                r.body["error"]["field"].clone(),
            )
        };
        assert_eq!(
            code(&del("2")),
            (409, json!("version_in_effect"), json!("version"))
        );
        assert_eq!(
            code(&del("9")),
            (404, json!("version_not_found"), json!("version"))
        );
        assert_eq!(
            code(&del("x")),
            (404, json!("version_not_found"), json!("version"))
        );
        let history = get(&s, &c, "/billing/rate-cards")["versions"].clone();
        let shown: Vec<(Value, Value, bool)> = history
            .as_array()
            .unwrap()
            .iter()
            .map(|v| {
                (
                    v["version"].clone(),
                    v["rateCard"]["voice"]["perMinute"].clone(),
                    v["cancelledAt"].is_string(),
                )
            })
            .collect();
        assert_eq!(
            shown,
            vec![
                (json!(1), json!("9"), false),
                (json!(2), json!("10"), false),
                (json!(3), json!("20"), true)
            ],
            "{backend}"
        );
    }
}

#[test]
fn a_change_into_the_past_or_another_unit_is_refused() {
    let code = |r: &Resp| {
        (
            r.status,
            r.body["error"]["code"].clone(),
            r.body["error"]["field"].clone(),
        )
    };
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        wallet_account(&s, "plans", "10000");
        // Refused: the past, an instant taken, another currency, a card the engine refuses.
        let now = shifted(&advance_clock(&s, 0), 0);
        let past = schedule(
            &s,
            "plans",
            json!({ "rateCard": card_at("5"), "effectiveFrom": shifted(&now, -60) }),
        );
        assert_eq!(
            code(&past),
            (422, json!("invalid_value"), json!("effectiveFrom"))
        );
        let at = shifted(&now, 600);
        assert_eq!(
            schedule(
                &s,
                "plans",
                json!({ "rateCard": card_at("5"), "effectiveFrom": at })
            )
            .status,
            200
        );
        let twice = schedule(
            &s,
            "plans",
            json!({ "rateCard": card_at("6"), "effectiveFrom": at }),
        );
        assert_eq!(
            code(&twice),
            (422, json!("invalid_value"), json!("effectiveFrom"))
        );
        let mut euro = card_at("5");
        euro["currency"] = json!("EUR");
        let other = schedule(
            &s,
            "plans",
            json!({ "rateCard": euro, "effectiveFrom": shifted(&now, 900) }),
        );
        assert_eq!(
            code(&other),
            (422, json!("invalid_value"), json!("rateCard.currency"))
        );
        let bad = schedule(
            &s,
            "plans",
            json!({ "rateCard": card_at("-1"), "effectiveFrom": shifted(&now, 900) }),
        );
        assert_eq!(bad.status, 422, "{}", bad.body);
        assert_eq!(
            bad.body["error"]["field"],
            json!("rateCard.voice.perMinute"),
            "{}",
            bad.body
        );
    }
}
