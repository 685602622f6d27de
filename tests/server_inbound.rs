//! SEMANTICS 18 at the server: inbound toll-free limits set through the session and the
//! admin API (every finding at once), a pumping burst refused by the surge rule while other
//! numbers and outbound calls go on, refused calls listed, `traffic.limited` once per window.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The usual traffic of each number: 6 minutes in every hour of the last 4 weeks.
const USUAL_SECONDS: u64 = 360;
/// The surge rule: 3 times the usual hour, at least 10 minutes. For 360 s: 1,080 s.
const RATIO: u64 = 3;
/// The burst: 20 times the usual hourly rate of one-minute calls (6 an hour), two at a time.
const BURST_CALLS: u64 = 20 * USUAL_SECONDS / 60;

fn serve(db: &str) -> Server {
    Server::start(db, &["--allow-private-webhooks", "--test-clock"])
}

fn unix(t: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(t).unwrap().timestamp()
}

fn at(secs: i64) -> String {
    chrono::DateTime::from_timestamp(secs, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

/// Four weeks of usual traffic before the hour starting at `hour`: every hour, two numbers.
fn history(hour: i64) -> Vec<Value> {
    (1..=28 * 24)
        .flat_map(|k| ["tf-1", "tf-2"].map(|n| (k, n)))
        .map(|(k, n)| json!({ "hour": at(hour - k * 3600), "numberId": n, "seconds": USUAL_SECONDS }))
        .collect()
}

fn start(s: &Server, key: &str, id: &str, number: Option<&str>, inbound_tf: bool) -> Resp {
    let mut body = json!({ "id": id, "direction": if inbound_tf { "inbound" } else { "outbound" },
        "tollFree": inbound_tf, "quotaSeconds": 60 });
    if let Some(n) = number {
        body["numberId"] = json!(n);
    }
    post(s, key, "/calls", body)
}

fn end(s: &Server, key: &str, id: &str, secs: u64) -> Resp {
    let r = post(
        s,
        key,
        &format!("/calls/{id}/end"),
        json!({ "connectedSeconds": secs }),
    );
    assert_eq!(r.status, 200, "{id}: {}", r.body);
    r
}

#[test]
fn a_pumped_number_is_cut_at_the_surge_limit_and_nothing_else_is() {
    let (hook, got) = receiver();
    for backend in backends() {
        got.lock().unwrap().clear();
        let s = serve(&fresh_store(backend));
        // Start at the top of the next hour, so the burst's hour is one window.
        let now = unix(&advance_clock(&s, 0));
        let hour = (now / 3600 + 1) * 3600;
        let account = json!({ "timeZone": "UTC",
            "grants": [{ "id": "w", "type": "prepaid", "remaining": "100000" }],
            "inboundLimits": { "surge": { "ratio": RATIO.to_string(), "floorMinutes": 10 } },
            "inboundUsage": history(hour) });
        let c = create_account(&s, "pumped", account, Some(&hook));
        advance_clock(&s, hour - now + 1);
        let before = dec(&wallet(&s, &c.key)["balance"]);
        let (mut connected, mut refused, mut other_calls) = (0u64, 0u64, 0u64);
        for pair in 0..BURST_CALLS / 2 {
            let mut granted = vec![];
            for k in 0..2 {
                let id = format!("burst-{pair}-{k}");
                let r = start(&s, &c.key, &id, Some("tf-1"), true);
                assert_eq!(r.status, 200, "{backend} {id}: {}", r.body);
                if r.body["allowed"] == true {
                    let g = r.body["grantedSeconds"].as_u64().unwrap();
                    connected += g;
                    granted.push((id, g));
                } else {
                    assert_eq!(
                        (&r.body["code"], &r.body["action"], &r.body["limit"]),
                        (
                            &json!("inbound_limit"),
                            &json!("reject_inbound"),
                            &json!("surge")
                        ),
                        "{backend}: {}",
                        r.body
                    );
                    refused += 1;
                }
            }
            // Every fifth minute, an ordinary call to tf-2 and an outbound call: never refused.
            if pair % 5 == 0 {
                for (id, number, tf) in [("tf2", Some("tf-2"), true), ("out", None, false)] {
                    let id = format!("{id}-{pair}");
                    let r = start(&s, &c.key, &id, number, tf);
                    assert_eq!(r.body["allowed"], true, "{backend} {id}: {}", r.body);
                    other_calls += 1;
                }
            }
            // 59 s a pair: the 60 pairs stay within the hour they started in.
            advance_clock(&s, 59);
            for (id, g) in granted {
                end(&s, &c.key, &id, g);
            }
            if pair % 5 == 0 {
                end(&s, &c.key, &format!("tf2-{pair}"), 60);
                end(&s, &c.key, &format!("out-{pair}"), 60);
            }
        }
        // The limit is 3 x 360 = 1,080 s: 18 of the 120 one-minute calls, the other 102 refused.
        let limit = RATIO * USUAL_SECONDS;
        assert_eq!(
            (connected, refused),
            (limit, BURST_CALLS - limit / 60),
            "{backend}"
        );
        assert_eq!(other_calls, 24, "{backend}");
        // What the account spent: 18 burst minutes and 12 tf-2 minutes at 9 + 2 credits, and
        // 12 outbound minutes at 9.
        let spent = before - dec(&wallet(&s, &c.key)["balance"]);
        assert_eq!(
            spent,
            Decimal::from(18 * 11 + 12 * 11 + 12 * 9),
            "{backend}"
        );
        let o = call(
            "GET",
            &format!("{}/billing/limits/inbound", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        assert_eq!(o.status, 200, "{}", o.body);
        assert_eq!(
            o.body["hour"]["perNumber"]["tf-1"],
            json!(limit),
            "{backend}: {}",
            o.body
        );
        assert_eq!(
            o.body["hour"]["perNumber"]["tf-2"],
            json!(12 * 60),
            "{backend}: {}",
            o.body
        );
        assert_eq!(o.body["hour"]["from"], json!(at(hour)), "{backend}");
        let listed = o.body["refused"].as_array().unwrap();
        assert_eq!(listed.len() as u64, refused.min(100), "{backend}");
        assert!(listed
            .iter()
            .all(|r| r["limit"] == "surge" && r["numberId"] == "tf-1"));
        let sent = || -> Vec<Value> {
            got.lock()
                .unwrap()
                .iter()
                .filter_map(|b| serde_json::from_str::<Value>(b).ok())
                .filter(|v| v["type"] == "traffic.limited")
                .collect()
        };
        let t = std::time::Instant::now();
        while sent().is_empty() && t.elapsed() < std::time::Duration::from_secs(10) {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        let events = sent();
        assert_eq!(events.len(), 1, "{backend}: once per window: {events:?}");
        assert_eq!(
            (
                &events[0]["limit"],
                &events[0]["numberId"],
                &events[0]["windowStart"]
            ),
            (&json!("surge"), &json!("tf-1"), &json!(at(hour))),
            "{backend}"
        );
        // The next hour is a new window: tf-1 may take calls again, up to its floor.
        advance_clock(&s, hour + 3600 - unix(&advance_clock(&s, 0)) + 1);
        let r = start(&s, &c.key, "next-hour", Some("tf-1"), true);
        assert_eq!(r.body["allowed"], true, "{backend}: {}", r.body);
    }
}

#[test]
fn limits_are_set_with_every_finding_at_once() {
    for backend in backends() {
        let s = serve(&fresh_store(backend));
        let c = wallet_account(&s, "limited", "1000");
        let url = format!("{}/billing/limits/inbound", s.url);
        let put = |auth: &str, url: &str, body: Value| {
            call("PUT", url, Some(auth), None, Some(&body.to_string()))
        };
        let bad = json!({ "surge": { "ratio": "0.5", "floorMinutes": 1 },
            "perNumber": { "tf-1": { "surge": { "ratio": "2", "floorMinutes": 1 } }, "": { "maxConcurrentCalls": 1 } } });
        let r = put(&c.session, &url, bad);
        assert_eq!(r.status, 422, "{}", r.body);
        let fields: Vec<&str> = r.body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(
            fields,
            ["perNumber", "perNumber.tf-1.surge", "surge.ratio"],
            "{backend}: {}",
            r.body
        );
        assert_eq!(r.body["error"]["field"], "perNumber", "{}", r.body);
        // A type error is the body's own (its first, with its field and code).
        let r = put(&c.session, &url, json!({ "maxMinutesPerHour": "60" }));
        assert_eq!(
            (r.status, &r.body["error"]["code"]),
            (400, &json!("invalid_count")),
            "{}",
            r.body
        );
        // An API key may read the limits but not set them.
        assert_eq!(
            put(&c.key, &url, json!({ "maxConcurrentCalls": 2 })).status,
            403
        );
        let good = json!({ "maxConcurrentCalls": 2, "maxMinutesPerDay": 120,
            "perNumber": { "tf-1": { "maxMinutesPerHour": 30 } }, "surge": { "ratio": "4", "floorMinutes": 5 } });
        let r = put(&c.session, &url, good.clone());
        assert_eq!(
            (r.status, &r.body["inboundLimits"]),
            (200, &good),
            "{}",
            r.body
        );
        let o = call("GET", &url, Some(&c.read_key), None, None);
        assert_eq!(o.body["inboundLimits"], good, "{}", o.body);
        assert_eq!(
            (
                o.body["hour"]["seconds"].as_u64(),
                o.body["refused"].as_array().map(Vec::len)
            ),
            (Some(0), Some(0))
        );
        // The platform sets them through the admin API; an empty object removes them.
        let admin = format!("{}/admin/accounts/limited/limits/inbound", s.url);
        let r = put(ADMIN, &admin, json!({ "maxConcurrentCalls": 1 }));
        assert_eq!(
            (r.status, &r.body["inboundLimits"]),
            (200, &json!({ "maxConcurrentCalls": 1 })),
            "{}",
            r.body
        );
        let live = start(&s, &c.key, "a", None, true);
        assert_eq!(live.body["allowed"], true, "{}", live.body);
        let second = start(&s, &c.key, "b", None, true);
        assert_eq!(
            second.body["limit"], "maxConcurrentCalls",
            "{}",
            second.body
        );
        let r = put(&c.session, &url, json!({}));
        assert_eq!(
            (r.status, &r.body["inboundLimits"]),
            (200, &Value::Null),
            "{}",
            r.body
        );
        assert_eq!(start(&s, &c.key, "b", None, true).body["allowed"], true);
    }
}
