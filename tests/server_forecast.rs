//! `GET /billing/forecast` (SEMANTICS 17) on both stores: the basis is the account's own
//! usage of the last 7 whole days, read back from the books, and the answer is the core's
//! `forecastRunway` on exactly the items that were posted and the snapshot the server holds.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use serde_json::{json, Value};

/// A week of usage: each day an outbound call, an inbound toll-free call of 125 s (billed as
/// 180), a call with a transfer and a pass-through, a chat; two rentals on one day.
fn week() -> Vec<Value> {
    let mut items = vec![];
    for d in 1..=6 {
        let at = instant(-d * 86_400);
        items.push(call_event(&format!("out-{d}"), &at, 600, false));
        items.push(call_event(&format!("tf-{d}"), &at, 125, true));
        items.push(
            json!({ "id": format!("xfer-{d}"), "at": at, "kind": "call", "call": {
            "direction": "outbound", "connectedSeconds": 61, "transfer": { "bridgedSeconds": 120 },
            "carrierPassThrough": [{ "amount": "0.25" }] } }),
        );
        items.push(json!({ "id": format!("chat-{d}"), "at": at, "kind": "chat", "agentId": "a2", "messages": 20 }));
    }
    let at = instant(-3 * 86_400);
    items.push(json!({ "id": "local", "at": at, "kind": "number", "numberKind": "local" }));
    items.push(
        json!({ "id": "tfn", "at": at, "kind": "number", "numberKind": "toll_free", "count": 2 }),
    );
    items
}

#[test]
fn the_forecast_is_the_core_on_the_posted_week_and_the_held_snapshot() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let account = json!({ "timeZone": "UTC", "grants": [
            { "id": "promo", "type": "promotional", "remaining": "200", "expiresAt": instant(10 * 86_400) },
            { "id": "wallet", "type": "prepaid", "remaining": "9000" } ] });
        let c = create_account(&s, "runway", account, None);
        let posted = week();
        let r = post_usage(&s, &c.key, "week", &posted);
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let get = |q: &str| {
            call(
                "GET",
                &format!("{}/billing/forecast{q}", s.url),
                Some(&c.read_key),
                None,
                None,
            )
        };
        let f = get("?horizonDays=60");
        assert_eq!(f.status, 200, "{backend}: {}", f.body);
        let f = f.body;
        assert_eq!(
            (f["basisItems"].as_u64(), f["skipped"].as_u64()),
            (Some(posted.len() as u64), Some(0)),
            "{backend}: {f}"
        );
        let held = call(
            "GET",
            &format!("{}/billing/account", s.url),
            Some(&c.read_key),
            None,
            None,
        )
        .body;
        let core = drawdown::eval(
            "forecastRunway",
            &json!({
            "rateCard": held["rateCard"], "account": held["account"], "at": f["at"],
            "basis": posted, "basisDays": 7, "horizonDays": 60 }),
        )
        .unwrap();
        for (k, v) in core.as_object().unwrap() {
            assert_eq!(
                &f[k], v,
                "{backend}: `{k}` differs from the core's on the posted items"
            );
        }
        // 9,000 credits less this week's, at roughly 1,987 credits a week: it runs out.
        assert!(f["runsOutAt"].is_string(), "{backend}: {f}");
        assert_eq!(f["balanceAt"].as_array().unwrap().len(), 60);
        assert_eq!(
            f["expiringUnused"],
            json!([]),
            "{backend}: the promotion is spent first"
        );
        // Refused as the core refuses, with the field; a malformed query is the server's own 400.
        let bad = get("?horizonDays=0");
        assert_eq!(
            (
                bad.status,
                &bad.body["error"]["code"],
                &bad.body["error"]["field"]
            ),
            (422, &json!("invalid_value"), &json!("horizonDays")),
            "{backend}: {}",
            bad.body
        );
        let bad = get("?horizon=30");
        assert_eq!(
            (bad.status, &bad.body["error"]["code"]),
            (400, &json!("invalid_query")),
            "{backend}"
        );
    }
}

/// `GET /billing/usage/events` answers the posted usage as the engine takes it: drawn down
/// again by the core on the account as it was created, it costs what the books charged.
#[test]
fn usage_events_are_the_posted_items_and_cost_what_the_books_charged() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let account = json!({ "timeZone": "UTC", "grants": [
            { "id": "wallet", "type": "prepaid", "remaining": "9000" } ] });
        let c = create_account(&s, "events", account.clone(), None);
        let posted = week();
        assert_eq!(
            post_usage(&s, &c.key, "week", &posted).status,
            200,
            "{backend}"
        );
        let read = |path: &str| send(&s, "GET", &c.read_key, path, None);
        let get = |q: &str| read(&format!("/billing/usage/events{q}"));
        let all = get("");
        assert_eq!(all.status, 200, "{backend}: {}", all.body);
        let items = all.body["items"].as_array().unwrap();
        assert_eq!(items.len(), posted.len(), "{backend}: {}", all.body);
        assert_eq!(all.body["skipped"], json!(0));
        let held = read("/billing/account").body;
        let again = drawdown::eval(
            "previewDrawdown",
            &json!({ "rateCard": held["rateCard"], "account": account, "usage": items }),
        )
        .unwrap();
        let wallet = wallet(&s, &c.read_key);
        assert_eq!(
            dec(&again["balanceAfter"]),
            dec(&wallet["balance"]),
            "{backend}"
        );
        // One day's window holds that day's items only; a bad date names its field.
        let day = &instant(-86_400)[..10];
        let one = get(&format!("?from={day}&to={day}"));
        assert_eq!(
            one.body["items"].as_array().map(Vec::len),
            Some(4),
            "{backend}: {}",
            one.body
        );
        let bad = get("?from=yesterday");
        let why = (&bad.body["error"]["code"], &bad.body["error"]["field"]);
        assert_eq!(
            (bad.status, why),
            (400, (&json!("invalid_date"), &json!("from"))),
            "{backend}"
        );
    }
}
