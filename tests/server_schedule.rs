//! SEMANTICS 15 "On time, without traffic" at the server: with nobody using the account,
//! expiries, renewals, lapsed holds and the alerts they cross are booked within 5 s of their
//! instant, with their webhooks, and `grant.expiring` warns ahead of credits expiring unused;
//! each once, also with two servers on one PostgreSQL database. Time is the test clock.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::time::{Duration, Instant as Clock};

/// SEMANTICS 15: "within seconds of that instant"; the issue asks for 5 s.
const WITHIN: Duration = Duration::from_secs(5);

fn serve(db: &str) -> Server {
    Server::start(db, &["--allow-private-webhooks", "--test-clock"])
}

/// The events of `kind` the receiver has got, parsed.
fn events(got: &std::sync::Mutex<Vec<String>>, kind: &str) -> Vec<Value> {
    got.lock()
        .unwrap()
        .iter()
        .filter_map(|b| serde_json::from_str::<Value>(b).ok())
        .filter(|v| v["type"] == kind)
        .collect()
}

/// Wait (at most `WITHIN` from `since`) until `done` holds; answers how long it took.
fn within(since: Clock, what: &str, mut done: impl FnMut() -> bool) -> Duration {
    while !done() {
        assert!(since.elapsed() < WITHIN, "{what}: not within {WITHIN:?}");
        std::thread::sleep(Duration::from_millis(50));
    }
    since.elapsed()
}

fn account(hours: i64) -> Value {
    json!({ "timeZone": "UTC",
        "plan": { "id": "growth", "includedMinutes": 10, "includedCredits": "100" },
        "cycle": { "start": instant(-86_400), "end": instant(10 * 86_400) },
        "grants": [
            { "id": "promo", "type": "promotional", "remaining": "300", "priority": 1,
              "expiresAt": instant(hours * 3600) },
            { "id": "wallet", "type": "prepaid", "remaining": "400" } ],
        "alerts": { "warning": { "threshold": "500" } } })
}

#[test]
fn a_quiet_account_is_booked_on_time_with_its_webhooks() {
    let (hook, got) = receiver();
    for backend in backends() {
        got.lock().unwrap().clear();
        let s = serve(&fresh_store(backend));
        // Expires in 8 days: the 7-day warning is 1 day ahead, the 1-day warning 7 days.
        let c = create_account(&s, "quiet", account(8 * 24), Some(&hook));
        let kinds = |k: &str| events(&got, k);
        advance_clock(&s, 86_400 + 60);
        let t = Clock::now();
        within(t, "7-day warning", || kinds("grant.expiring").len() == 1);
        let w = &kinds("grant.expiring")[0];
        assert_eq!(
            (&w["grantId"], &w["daysAhead"], dec(&w["credits"])),
            (&json!("promo"), &json!(7), Decimal::from(300)),
            "{backend}: {w}"
        );
        // Nobody uses the account: the forecast leaves all of it unused.
        assert_eq!(
            dec(&w["forecastUnused"]),
            Decimal::from(300),
            "{backend}: {w}"
        );
        advance_clock(&s, 6 * 86_400);
        within(Clock::now(), "1-day warning", || {
            kinds("grant.expiring").len() == 2
        });
        // Past the expiry: booked on the ledger, `grant.expired`, and the alert it crossed.
        advance_clock(&s, 86_400);
        let t = Clock::now();
        let took = within(t, "expiry", || {
            !kinds("grant.expired").is_empty() && !kinds("balance.alert").is_empty()
        });
        eprintln!("{backend}: expiry booked and sent in {took:?}");
        let entries = assert_ledger_chains(&s, &c.read_key, backend);
        let expiry = entries
            .iter()
            .find(|e| e["kind"] == "expiry")
            .expect("an expiry");
        assert_eq!(dec(&expiry["credits"]), Decimal::from(-300), "{backend}");
        assert_eq!(kinds("grant.expired")[0]["grantId"], "promo");
        assert_eq!(kinds("balance.alert")[0]["to"], "warning", "{backend}");
        // The cycle ends 10 days after it began: renewed without usage.
        advance_clock(&s, 2 * 86_400);
        within(Clock::now(), "renewal", || {
            !kinds("cycle.renewed").is_empty()
        });
        let r = &kinds("cycle.renewed")[0];
        assert_eq!(r["includedSecondsRemaining"], 600, "{backend}: {r}");
        assert_eq!(dec(&r["planCredits"]), Decimal::from(100), "{backend}: {r}");
        let sub = call(
            "GET",
            &format!("{}/billing/subscription", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        assert_eq!(
            sub.body["cycle"]["start"], r["cycle"]["start"],
            "{backend}: {}",
            sub.body
        );
        // Each once: a while later, nothing was sent twice.
        std::thread::sleep(Duration::from_millis(2500));
        for (k, n) in [
            ("grant.expiring", 2),
            ("grant.expired", 1),
            ("balance.alert", 1),
            ("cycle.renewed", 1),
        ] {
            assert_eq!(kinds(k).len(), n, "{backend}: {k}");
        }
    }
}

#[test]
fn a_call_that_never_ends_expires_on_time() {
    let (hook, got) = receiver();
    for backend in backends() {
        got.lock().unwrap().clear();
        let s = serve(&fresh_store(backend));
        let c = create_account(
            &s,
            "calls",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100" }] }),
            Some(&hook),
        );
        let start = call(
            "POST",
            &format!("{}/calls", s.url),
            Some(&c.key),
            None,
            Some(r#"{"id":"forgotten","direction":"outbound","quotaSeconds":30}"#),
        );
        assert_eq!(start.status, 200, "{}", start.body);
        // Its hold lasts the 30 s granted and a minute's grace.
        advance_clock(&s, 100);
        within(Clock::now(), "call.expired", || {
            !events(&got, "call.expired").is_empty()
        });
        // Past the live skew too, the hold has left the snapshot without any request.
        advance_clock(&s, 60);
        within(Clock::now(), "hold moved out", || {
            let inputs = call(
                "GET",
                &format!("{}/billing/account", s.url),
                Some(&c.read_key),
                None,
                None,
            );
            inputs.body["account"]["holds"]
                .as_array()
                .is_none_or(|h| h.is_empty())
        });
        assert_eq!(events(&got, "call.expired").len(), 1, "{backend}");
    }
}

/// `grant.expiring` is a setting per account: `[]` sends none, `[3]` warns 3 days ahead.
#[test]
fn expiring_warnings_are_a_setting_of_the_account() {
    let (hook, got) = receiver();
    let s = serve(&fresh_store("sqlite"));
    let c = create_account(&s, "quiet", account(10 * 24), Some(&hook));
    let put = |body: Value| {
        call(
            "PUT",
            &format!("{}/billing/webhook", s.url),
            Some(&c.session),
            None,
            Some(&body.to_string()),
        )
    };
    let bad = put(json!({ "url": hook, "grantExpiringDays": [3, 0] }));
    assert_eq!(
        (bad.status, bad.body["error"]["field"].as_str()),
        (422, Some("grantExpiringDays[1]")),
        "{}",
        bad.body
    );
    let ok = put(json!({ "url": hook, "grantExpiringDays": [3] }));
    assert_eq!(ok.body["grantExpiringDays"], json!([3]), "{}", ok.body);
    advance_clock(&s, 5 * 86_400);
    std::thread::sleep(Duration::from_millis(2500));
    assert!(
        events(&got, "grant.expiring").is_empty(),
        "no 7-day warning"
    );
    advance_clock(&s, 2 * 86_400 + 60);
    within(Clock::now(), "3-day warning", || {
        events(&got, "grant.expiring").len() == 1
    });
    assert_eq!(events(&got, "grant.expiring")[0]["daysAhead"], 3);
}

/// Two servers on one PostgreSQL database book each instant once between them.
#[test]
fn two_servers_book_each_instant_once() {
    let Some(db) = backends()
        .contains(&"postgres")
        .then(|| fresh_store("postgres"))
    else {
        return;
    };
    let (hook, got) = receiver();
    let (a, b) = (serve(&db), serve(&db));
    let ids: Vec<String> = (0..40).map(|i| format!("acct{i}")).collect();
    for id in &ids {
        create_account(&a, id, account(2), Some(&hook));
    }
    advance_clock(&a, 3 * 3600);
    advance_clock(&b, 3 * 3600);
    within(Clock::now(), "40 expiries", || {
        events(&got, "grant.expired").len() >= 40
    });
    std::thread::sleep(Duration::from_millis(2500));
    let expired = events(&got, "grant.expired");
    let mut accounts: Vec<&str> = expired
        .iter()
        .map(|e| e["accountId"].as_str().unwrap())
        .collect();
    accounts.sort();
    accounts.dedup();
    assert_eq!((expired.len(), accounts.len()), (40, 40), "each once");
    drop(b);
}

/// `grant.expiring` carries what the runway forecast (the last 7 days repeated, SEMANTICS 17)
/// says will be left of the grant when it expires.
#[test]
fn a_warning_says_what_the_forecast_leaves_unused() {
    let (hook, got) = receiver();
    for backend in backends() {
        got.lock().unwrap().clear();
        let s = serve(&fresh_store(backend));
        let account = json!({ "timeZone": "UTC", "grants": [
            { "id": "promo", "type": "promotional", "remaining": "1000", "priority": 1,
              "expiresAt": instant(8 * 86_400) },
            { "id": "wallet", "type": "prepaid", "remaining": "400" } ] });
        let c = create_account(&s, "forecasting", account, Some(&hook));
        // 50 credits a day for the last six days, all from the promotion: 700 left.
        let chats: Vec<Value> = (1..=6)
            .map(|d| json!({ "id": format!("m{d}"), "at": instant(-d * 86_400), "kind": "chat", "messages": 100 }))
            .collect();
        assert_eq!(post_usage(&s, &c.key, "chats", &chats).status, 200);
        // A day and a minute on, the 7-day warning. Repeated a week on, the copies of days 1-5
        // fall before the expiry (day 6's copy is a minute in the past): 250 more, 450 unused.
        advance_clock(&s, 86_400 + 60);
        within(Clock::now(), "7-day warning", || {
            !events(&got, "grant.expiring").is_empty()
        });
        let w = &events(&got, "grant.expiring")[0];
        assert_eq!(
            (dec(&w["credits"]), dec(&w["forecastUnused"])),
            (Decimal::from(700), Decimal::from(450)),
            "{backend}: {w}"
        );
    }
}

/// Issue 28: `balance.runway_low` when the runway forecast (the last 7 days repeated) runs
/// out within the account's threshold (3 days), sent once per crossing: not again while it
/// stays low, again after it recovered and fell under (here: a higher threshold).
#[test]
fn a_runway_falling_under_the_threshold_is_warned_once_per_crossing() {
    let (hook, got) = receiver();
    for backend in backends() {
        got.lock().unwrap().clear();
        let s = serve(&fresh_store(backend));
        let c = create_account(
            &s,
            "runway",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "5000" }] }),
            Some(&hook),
        );
        // An hour a day for the last 7 days: 540 credits a day; 1,220 left is 2.3 days.
        let calls: Vec<Value> = (1..=7)
            .map(|d| call_event(&format!("d{d}"), &instant(-d * 86_400), 3600, false))
            .collect();
        assert_eq!(post_usage(&s, &c.key, "week", &calls).status, 200);
        let low = || events(&got, "balance.runway_low");
        // The next forecast is an hour after the first (at creation, with no usage).
        advance_clock(&s, 3_601);
        within(Clock::now(), "runway_low", || low().len() == 1);
        let w = &low()[0];
        assert_eq!(
            (&w["thresholdDays"], dec(&w["balance"])),
            (&json!(3), Decimal::from(1220)),
            "{backend}: {w}"
        );
        let out = chrono::DateTime::parse_from_rfc3339(w["runsOutAt"].as_str().unwrap()).unwrap();
        let at = chrono::DateTime::parse_from_rfc3339(w["at"].as_str().unwrap()).unwrap();
        assert!(
            out > at && out - at < chrono::Duration::days(3),
            "{backend}: {w}"
        );
        // Still low an hour later: no second warning.
        advance_clock(&s, 3_601);
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(low().len(), 1, "{backend}");
        // Topped up, the runway recovers; a longer threshold finds it short again.
        let credit = json!({ "credits": "100000" }).to_string();
        let url = format!("{}/billing/wallet/credit", s.url);
        let r = call("POST", &url, Some(&c.credit_key), Some("c1"), Some(&credit));
        assert_eq!(r.status, 200, "{}", r.body);
        advance_clock(&s, 3_601);
        std::thread::sleep(Duration::from_millis(2500));
        assert_eq!(low().len(), 1, "{backend}");
        let body = json!({ "url": hook, "runwayLowDays": 400 }).to_string();
        let url = format!("{}/billing/webhook", s.url);
        let r = call("PUT", &url, Some(&c.session), None, Some(&body));
        assert_eq!(
            (r.status, &r.body["runwayLowDays"]),
            (200, &json!(400)),
            "{}",
            r.body
        );
        within(Clock::now(), "second runway_low", || low().len() == 2);
        assert_eq!(low()[1]["thresholdDays"], 400, "{backend}");
    }
}
