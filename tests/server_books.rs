//! SEMANTICS 14 at the authoritative server: what it refuses so that one request can never
//! corrupt an account's books or leave it unreadable. Each test reproduces a report from
//! issue 11 and then checks that the ledger's credits still sum to the wallet.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::json;

/// The server with its default usage window (5 minutes ahead, 35 days behind).
fn start(backend: &str) -> Server {
    Server::start(&fresh_store(backend), &["--usage-max-age", "35d"])
}

/// The books agree: the ledger's credits sum to the wallet's balance.
fn assert_books_balance(s: &Server, c: &Creds, what: &str) {
    let sum: Decimal = ledger_entries(s, &c.read_key)
        .iter()
        .map(|e| dec(&e["credits"]))
        .sum();
    assert_eq!(
        sum,
        dec(&wallet(s, &c.read_key)["balance"]),
        "{what}: ledger sum = wallet"
    );
}

fn code(r: &Resp) -> (u16, String, String) {
    let e = &r.body["error"];
    (
        r.status,
        e["code"].as_str().unwrap_or("").into(),
        e["field"].as_str().unwrap_or("").into(),
    )
}

/// Issue 11, item 1: a usage event dated 2035 was accepted and booked the expiry of a grant
/// that later usage still drew. Now it is refused, and nothing is recorded.
#[test]
fn far_future_usage_is_refused_and_books_stay_whole() {
    for backend in backends() {
        let s = start(backend);
        let account = json!({ "grants": [
            { "id": "soon", "type": "promotional", "remaining": "1000", "expiresAt": instant(200 * 86_400) },
            { "id": "wallet", "type": "prepaid", "remaining": "1000" } ] });
        let c = create_account(&s, "acme", account, None);
        let before = ledger_entries(&s, &c.read_key).len();
        let far = post_usage(
            &s,
            &c.key,
            "f1",
            &[call_event("f1", "2035-01-01T00:00:00Z", 60, false)],
        );
        assert_eq!(
            code(&far),
            (422, "at_out_of_window".into(), "events[0].at".into()),
            "{backend}"
        );
        let late = post_usage(
            &s,
            &c.key,
            "f2",
            &[call_event("f2", "2025-01-01T00:00:00Z", 60, false)],
        );
        assert_eq!(
            code(&late).1,
            "at_out_of_window",
            "{backend}: 35 days behind at most"
        );
        let ahead = post_usage(
            &s,
            &c.key,
            "f3",
            &[call_event("f3", &instant(600), 60, false)],
        );
        assert_eq!(
            code(&ahead).1,
            "at_out_of_window",
            "{backend}: 5 minutes ahead at most"
        );
        assert_eq!(
            ledger_entries(&s, &c.read_key).len(),
            before,
            "{backend}: nothing recorded"
        );
        // The same id, now dated inside the window, is new to the server.
        let ok = post_usage(
            &s,
            &c.key,
            "f4",
            &[call_event("f1", &instant(0), 60, false)],
        );
        assert_eq!(ok.status, 200, "{backend}: {}", ok.body);
        assert_eq!(
            ok.body["items"][0]["lines"][0]["allocations"][0]["source"],
            "soon"
        );
        assert_eq!(
            dec(&wallet(&s, &c.read_key)["balance"]),
            Decimal::from(1991)
        );
        assert_books_balance(&s, &c, backend);
    }
}

/// Late usage, dated while a grant was active but posted after its expiry was booked, still
/// draws that grant (SEMANTICS 5); the ledger gives the written-off credits back, so its sum
/// stays the wallet's balance.
#[test]
fn late_usage_after_a_booked_expiry_keeps_the_ledger_equal_to_the_wallet() {
    for backend in backends() {
        let s = start(backend);
        let opened = instant(0);
        let account = json!({ "grants": [
            { "id": "brief", "type": "promotional", "remaining": "1000", "expiresAt": instant(3) },
            { "id": "wallet", "type": "prepaid", "remaining": "1000" } ] });
        let c = create_account(&s, "acme", account, None);
        std::thread::sleep(std::time::Duration::from_secs(4));
        let now = post_usage(
            &s,
            &c.key,
            "n1",
            &[call_event("n1", &instant(0), 60, false)],
        );
        assert_eq!(now.status, 200, "{backend}: {}", now.body);
        let kinds: Vec<String> = ledger_entries(&s, &c.read_key)
            .iter()
            .map(|e| e["kind"].as_str().unwrap().into())
            .collect();
        assert!(
            kinds.contains(&"expiry".to_string()),
            "{backend}: {kinds:?}"
        );
        assert_books_balance(&s, &c, backend);
        let late = post_usage(&s, &c.key, "n2", &[call_event("n2", &opened, 120, false)]);
        assert_eq!(late.status, 200, "{backend}: {}", late.body);
        assert_eq!(
            late.body["items"][0]["lines"][0]["allocations"][0]["source"],
            "brief"
        );
        let entries = ledger_entries(&s, &c.read_key);
        let reversal = entries
            .iter()
            .find(|e| e["kind"] == "expiry_reversal")
            .expect("a reversal");
        assert_eq!(
            (dec(&reversal["credits"]), reversal["grantId"].as_str()),
            (Decimal::from(18), Some("brief"))
        );
        assert_eq!(dec(&wallet(&s, &c.read_key)["balance"]), Decimal::from(991));
        assert_books_balance(&s, &c, backend);
    }
}

/// Issue 11, item 2: an event dated 9999-12-15 on an account with a billing cycle stored a
/// cycle end the server could not read back, and every later request answered 500.
#[test]
fn an_event_at_the_end_of_time_cannot_brick_an_account() {
    for backend in backends() {
        let s = start(backend);
        let account = json!({ "timeZone": "UTC",
            "plan": { "id": "growth", "name": "Growth", "monthlyFee": "99.00", "includedMinutes": 10,
                      "overagePerMinute": "7", "includedCredits": "100" },
            "cycle": { "start": "2026-11-01T00:00:00Z", "end": "2026-12-01T00:00:00Z" },
            "grants": [{ "id": "wallet", "type": "prepaid", "remaining": "500" }] });
        let c = create_account(&s, "acme", account, None);
        let t0 = std::time::Instant::now();
        let r = post_usage(
            &s,
            &c.key,
            "z",
            &[call_event("z", "9999-12-15T00:00:00Z", 60, false)],
        );
        assert_eq!(code(&r).1, "at_out_of_window", "{backend}: {}", r.body);
        assert!(t0.elapsed().as_secs() < 2, "{backend}: refused at once");
        let rental = json!({ "id": "n", "at": instant(0), "kind": "number", "numberKind": "local",
                             "through": "9999-01-01T00:00:00Z" });
        let r = post_usage(&s, &c.key, "n", &[rental]);
        assert_eq!(
            code(&r),
            (422, "at_out_of_window".into(), "events[0].through".into()),
            "{backend}"
        );
        let ok = post_usage(&s, &c.key, "y", &[call_event("y", &instant(0), 60, false)]);
        assert_eq!(
            ok.status, 200,
            "{backend}: the account still works: {}",
            ok.body
        );
        assert_eq!(wallet(&s, &c.read_key)["currency"], "USD");
    }
}

/// Issue 11, item 3: a credit of 10^14 dollars stored 10^16 credits, and every later request
/// answered 500 `invalid_decimal`. Minting credits also needs its own scope now.
#[test]
fn a_credit_past_the_bounds_is_refused_and_the_account_stays_readable() {
    for backend in backends() {
        let s = start(backend);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] }),
            None,
        );
        let credit = |key: &str, idem: &str, body: &str| {
            call(
                "POST",
                &format!("{}/billing/wallet/credit", s.url),
                Some(key),
                Some(idem),
                Some(body),
            )
        };
        let r = credit(&c.key, "c0", r#"{"credits":"10"}"#);
        assert_eq!(
            code(&r).1,
            "insufficient_scope",
            "{backend}: billing:write cannot mint credits"
        );
        let r = credit(&c.credit_key, "c1", r#"{"amount":"100000000000000"}"#);
        assert_eq!(
            code(&r),
            (422, "amount_out_of_range".into(), "amount".into()),
            "{backend}: {}",
            r.body
        );
        let r = credit(&c.credit_key, "c2", r#"{"credits":"600000000000000"}"#);
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let r = credit(&c.credit_key, "c3", r#"{"credits":"600000000000000"}"#);
        assert_eq!(
            code(&r).1,
            "amount_out_of_range",
            "{backend}: the account's total is bounded too"
        );
        assert_eq!(
            dec(&wallet(&s, &c.read_key)["balance"]),
            "600000000001000".parse::<Decimal>().unwrap()
        );
        let ok = post_usage(&s, &c.key, "u", &[call_event("u", &instant(0), 60, false)]);
        assert_eq!(ok.status, 200, "{backend}: {}", ok.body);
        assert_books_balance(&s, &c, backend);
    }
}

/// Duplicate ids within one body and ids with control characters are refused with codes a
/// client does not retry (issue 11, item 8: they answered 503 on PostgreSQL).
#[test]
fn malformed_usage_ids_are_refused_with_stable_codes() {
    for backend in backends() {
        let s = start(backend);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] }),
            None,
        );
        let t = instant(0);
        let r = post_usage(
            &s,
            &c.key,
            "d",
            &[
                call_event("a", &t, 60, false),
                call_event("a", &t, 60, false),
            ],
        );
        assert_eq!(
            code(&r),
            (422, "duplicate_id".into(), "events[1].id".into()),
            "{backend}"
        );
        let r = post_usage(&s, &c.key, "z", &[call_event("a\u{0}b", &t, 60, false)]);
        assert_eq!(
            code(&r),
            (400, "invalid_id".into(), "events[0].id".into()),
            "{backend}"
        );
        assert_eq!(
            ledger_entries(&s, &c.read_key).len(),
            1,
            "{backend}: only the opening grant"
        );
    }
}

/// SEMANTICS 15 "The ledger chains", through everything that books money: opening grants
/// (plan credits among them), usage drawing included minutes and plan credits, a manual
/// credit, a top-up and its refund, an auto-reload, alerts (webhook ids, no ledger numbers),
/// an expiry, late usage drawing the expired grant, a live call, and a renewal. After each
/// step the entries are numbered without gaps, each starts where the previous ended, and the
/// last ends at the wallet.
#[test]
fn the_ledger_chains_through_every_kind_of_entry() {
    for backend in backends() {
        let s = Server::start(
            &fresh_store(backend),
            &["--usage-max-age", "35d", "--test-clock"],
        );
        let account = json!({ "timeZone": "UTC",
            "plan": { "id": "growth", "includedMinutes": 10, "includedCredits": "100" },
            "cycle": { "start": instant(-86_400), "end": instant(29 * 86_400) },
            "grants": [
                { "id": "plan-now", "type": "plan", "remaining": "100", "expiresAt": instant(29 * 86_400) },
                { "id": "promo", "type": "promotional", "remaining": "300", "priority": 1,
                  "expiresAt": instant(2 * 86_400) },
                { "id": "wallet", "type": "prepaid", "remaining": "600" } ],
            "autoReload": { "enabled": true, "threshold": "3.00", "amount": "2.00", "paymentMethod": "pm_test" },
            "alerts": { "warning": { "threshold": "500" }, "critical": { "threshold": "100" } } });
        let c = create_account(&s, "acme", account, None);
        let what = |step: &str| format!("{backend}: {step}");
        assert_ledger_chains(&s, &c.read_key, &what("opening"));
        let chat = |id: &str, at: &str, n: u32| json!({ "id": id, "at": at, "kind": "chat", "agentId": "a1", "messages": n });
        let r = post_usage(
            &s,
            &c.key,
            "u1",
            &[
                call_event("u1", &instant(0), 900, false),
                chat("u2", &instant(0), 300),
            ],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_ledger_chains(&s, &c.read_key, &what("included minutes and plan credits"));
        let credit = call(
            "POST",
            &format!("{}/billing/wallet/credit", s.url),
            Some(&c.credit_key),
            Some("c1"),
            Some(r#"{"credits":"40"}"#),
        );
        assert_eq!(credit.status, 200, "{}", credit.body);
        let topup = |key: &str| {
            call(
                "POST",
                &format!("{}/billing/wallet/topup", s.url),
                Some(&c.session),
                Some(key),
                Some(r#"{"amount":"5.00"}"#),
            )
        };
        let t = topup("t1");
        assert_eq!(t.status, 200, "{}", t.body);
        let refund = call(
            "POST",
            &format!(
                "{}/payments/{}/refund",
                s.url,
                t.body["paymentId"].as_str().unwrap()
            ),
            Some(ADMIN),
            None,
            None,
        );
        assert_eq!(refund.status, 200, "{}", refund.body);
        assert_ledger_chains(&s, &c.read_key, &what("credit, top-up, refund"));
        // Two days on, the promotional grant has expired; the next usage books it, and a late
        // call dated while it was active still draws it (an expiry reversal).
        advance_clock(&s, 3 * 86_400);
        let r = post_usage(&s, &c.key, "u3", &[chat("u3", &instant(3 * 86_400), 10)]);
        assert_eq!(r.status, 200, "{}", r.body);
        let late = post_usage(
            &s,
            &c.key,
            "u4",
            &[call_event("u4", &instant(86_400), 600, false)],
        );
        assert_eq!(late.status, 200, "{}", late.body);
        let entries = assert_ledger_chains(&s, &c.read_key, &what("expiry and its reversal"));
        let kinds: Vec<&str> = entries
            .iter()
            .map(|e| e["kind"].as_str().unwrap())
            .collect();
        for k in [
            "grant",
            "usage",
            "credit",
            "topup",
            "refund",
            "expiry",
            "expiry_reversal",
        ] {
            assert!(kinds.contains(&k), "{}: {kinds:?}", what(k));
        }
        // A live call, then enough usage to set off the auto-reload and cross the alerts.
        let start = call(
            "POST",
            &format!("{}/calls", s.url),
            Some(&c.key),
            None,
            Some(&json!({ "id": "live-1", "direction": "outbound" }).to_string()),
        );
        assert_eq!(start.status, 200, "{}", start.body);
        let end = call(
            "POST",
            &format!("{}/calls/live-1/end", s.url),
            Some(&c.key),
            None,
            Some(r#"{"connectedSeconds":240}"#),
        );
        assert_eq!(end.status, 200, "{}", end.body);
        let heavy = post_usage(
            &s,
            &c.key,
            "u5",
            &[call_event("u5", &instant(3 * 86_400), 3600, false)],
        );
        assert_eq!(heavy.status, 200, "{}", heavy.body);
        assert!(
            !heavy.body["reloads"].as_array().unwrap().is_empty(),
            "{}",
            heavy.body
        );
        assert!(
            !heavy.body["alerts"].as_array().unwrap().is_empty(),
            "{}",
            heavy.body
        );
        let entries = assert_ledger_chains(&s, &c.read_key, &what("call, reload, alerts"));
        assert!(
            entries.iter().any(|e| e["kind"] == "reload"),
            "{}",
            what("reload")
        );
        // A month on, the cycle renews on the next usage; plan credits never touch the wallet.
        advance_clock(&s, 30 * 86_400);
        let r = post_usage(
            &s,
            &c.key,
            "u6",
            &[call_event("u6", &instant(33 * 86_400), 60, false)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_ledger_chains(&s, &c.read_key, &what("renewal"));
    }
}

/// Issue 27, point 5: the server refuses what the package's types (and now its runtime)
/// refuse, with the same codes: seconds and counts as text.
#[test]
fn seconds_and_counts_as_text_are_refused_with_the_package_codes() {
    for backend in backends() {
        let s = start(backend);
        let c = wallet_account(&s, "acme", "100");
        let mut e = call_event("t1", &instant(0), 60, false);
        e["call"]["connectedSeconds"] = json!("60");
        let r = post_usage(&s, &c.key, "t1", &[e]);
        assert_eq!(
            code(&r),
            (
                400,
                "invalid_duration".into(),
                "events[0].call.connectedSeconds".into()
            ),
            "{backend}: {}",
            r.body
        );
        let chat = json!({ "id": "t2", "at": instant(0), "kind": "chat", "messages": "3" });
        let r = post_usage(&s, &c.key, "t2", &[chat]);
        assert_eq!(code(&r).1, "invalid_count", "{backend}: {}", r.body);
        assert_eq!(
            ledger_entries(&s, &c.read_key).len(),
            1,
            "{backend}: only the opening grant"
        );
    }
}
