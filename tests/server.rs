//! The authoritative server end to end, against SQLite and PostgreSQL: recorded usage equals
//! the preview, idempotency, 64 concurrent clients, kill -9 mid-load, auto-reload through
//! the payment provider, the 402 / inbound rejection, security, webhooks, OpenAPI.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};

fn scenario_account() -> Value {
    json!({
        "timeZone": "Europe/Berlin",
        "grants": [
            { "id": "promo", "type": "promotional", "remaining": "300", "priority": 90, "expiresAt": "2026-03-03T00:00:00Z" },
            { "id": "wallet", "type": "prepaid", "remaining": "900" }
        ],
        "agents": { "a1": { "onPlanExhausted": "use_balance", "monthlyLimit": "100000" } },
        "autoReload": { "enabled": true, "threshold": "5.00", "amount": "4.00", "paymentMethod": "pm_test" },
        "alerts": { "info": { "threshold": "800" }, "warning": { "threshold": "500" }, "critical": { "threshold": "100" } }
    })
}

fn scenario_events() -> Vec<Value> {
    (0..40)
        .map(|i| {
            let at = format!("2026-03-0{}T{:02}:{:02}:00Z", 1 + i / 16, i % 16, (i * 7) % 60);
            match i % 4 {
                0 => json!({ "id": format!("e{i}"), "at": at, "kind": "chat", "agentId": "a1", "messages": 3 + i }),
                3 if i == 19 => json!({ "id": format!("e{i}"), "at": at, "kind": "number", "numberKind": "local" }),
                _ => call_event(&format!("e{i}"), &at, 30 + 17 * i as u64, i % 3 == 0),
            }
        })
        .collect()
}

/// SEMANTICS 10: recording usage event by event through the API and previewing the same
/// usage from the same snapshot give the same lines, reloads, alerts and balances.
#[test]
fn recorded_usage_equals_the_preview() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(&s, "acme", scenario_account(), None);
        let events = scenario_events();
        let (mut items, mut reloads, mut alerts) = (vec![], vec![], vec![]);
        let mut last = Value::Null;
        for (i, e) in events.iter().enumerate() {
            let r = post_usage(&s, &c.key, &format!("k{i}"), std::slice::from_ref(e));
            assert_eq!(r.status, 200, "{backend}: {}", r.body);
            items.extend(r.body["items"].as_array().unwrap().clone());
            reloads.extend(r.body["reloads"].as_array().unwrap().clone());
            alerts.extend(r.body["alerts"].as_array().unwrap().clone());
            last = r.body;
        }
        let preview = drawdown::eval(
            "previewDrawdown",
            &json!({ "rateCard": card(), "account": scenario_account(), "usage": events }),
        )
        .unwrap();
        assert_eq!(Value::Array(items), preview["items"], "{backend}");
        assert!(
            !reloads.is_empty() && !alerts.is_empty(),
            "the scenario reloads and alerts"
        );
        assert_eq!(Value::Array(reloads), preview["reloads"], "{backend}");
        assert_eq!(Value::Array(alerts), preview["alerts"], "{backend}");
        for k in ["balanceAfter", "owed", "grants"] {
            assert_eq!(last[k], preview[k], "{backend}: {k}");
        }
        // The dashboard previews on the engine's inputs exactly as the server holds them.
        let inputs = call(
            "GET",
            &format!("{}/billing/account", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        assert_eq!(inputs.status, 200, "{}", inputs.body);
        assert_eq!(inputs.body["rateCard"], card());
        for g in preview["grants"].as_array().unwrap() {
            let held = inputs.body["account"]["grants"]
                .as_array()
                .unwrap()
                .iter()
                .find(|h| h["id"] == g["id"])
                .unwrap_or_else(|| panic!("{backend}: grant {} not in the snapshot", g["id"]));
            assert_eq!(dec(&held["remaining"]), dec(&g["remaining"]), "{backend}");
        }
        // The ledger explains every credit: opening grants + reloads + usage = balance.
        let ledger = ledger_entries(&s, &c.key);
        let last_entry = ledger.last().unwrap();
        assert_eq!(
            dec(&last_entry["balanceAfter"]),
            dec(&preview["balanceAfter"])
        );
        let kinds: BTreeSet<&str> = ledger.iter().map(|e| e["kind"].as_str().unwrap()).collect();
        assert!(
            kinds.contains("reload") && kinds.contains("expiry") && kinds.contains("usage"),
            "{kinds:?}"
        );
        let sum: Decimal = ledger.iter().map(|e| dec(&e["credits"])).sum();
        assert_eq!(
            sum,
            dec(&preview["balanceAfter"]),
            "{backend}: ledger credits sum to the balance"
        );
        // Each reload was paid and invoiced.
        let inv = call(
            "GET",
            &format!("{}/billing/invoices", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        assert_eq!(
            inv.body["invoices"].as_array().unwrap().len(),
            preview["reloads"].as_array().unwrap().len()
        );
        // Webhook events for every alert transition are in the outbox (no URL: they wait).
        let items = call(
            "GET",
            &format!(
                "{}/billing/usage/items?from=2026-03-01&to=2026-03-02",
                s.url
            ),
            Some(&c.read_key),
            None,
            None,
        );
        let days: BTreeSet<&str> = items.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["date"].as_str().unwrap())
            .collect();
        assert_eq!(days, BTreeSet::from(["2026-03-01", "2026-03-02"]));
    }
}

#[test]
fn idempotency_keys_make_deductions_happen_once() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] }),
            None,
        );
        let e = call_event("call-1", "2026-03-01T10:00:00Z", 61, false);
        let first = post_usage(&s, &c.key, "key-1", std::slice::from_ref(&e));
        assert_eq!(first.status, 200);
        assert!(!first.replayed);
        assert_eq!(first.body["balanceAfter"], json!("982.0000"));
        let again = post_usage(&s, &c.key, "key-1", std::slice::from_ref(&e));
        assert_eq!((again.status, again.replayed), (200, true));
        assert_eq!(
            again.body, first.body,
            "{backend}: the first answer, replayed"
        );
        let reused = post_usage(
            &s,
            &c.key,
            "key-1",
            &[call_event("call-2", "2026-03-01T10:00:00Z", 5, false)],
        );
        assert_eq!(reused.status, 422);
        assert_eq!(reused.body["error"]["code"], "idempotency_key_reused");
        let dup = post_usage(&s, &c.key, "key-2", &[e]);
        assert_eq!(dup.status, 409);
        assert_eq!(dup.body["error"]["code"], "duplicate_usage");
        let body = json!({ "events": [call_event("call-3", "2026-03-01T10:00:00Z", 5, false)] })
            .to_string();
        let nokey = call(
            "POST",
            &format!("{}/usage", s.url),
            Some(&c.key),
            None,
            Some(&body),
        );
        assert_eq!(
            (nokey.status, nokey.body["error"]["code"].as_str()),
            (400, Some("idempotency_key_required"))
        );
        let wallet = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            wallet.body["balance"],
            json!("982.0000"),
            "{backend}: one deduction only"
        );
        assert_eq!(
            ledger_entries(&s, &c.key)
                .iter()
                .filter(|e| e["kind"] == "usage")
                .count(),
            1
        );
    }
}

/// 64 clients on one account, each also replaying some of its requests: every event is
/// deducted exactly once.
#[test]
fn sixty_four_concurrent_clients_lose_and_double_nothing() {
    for backend in backends() {
        let s = Arc::new(Server::start(&fresh_store(backend), &[]));
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100000" }] }),
            None,
        );
        let key = Arc::new(c.key.clone());
        let threads: Vec<_> = (0..64)
            .map(|t| {
                let (s, key) = (s.clone(), key.clone());
                std::thread::spawn(move || {
                    for i in 0..20 {
                        let e = call_event(&format!("t{t}-{i}"), "2026-03-01T10:00:00Z", 60, false);
                        let r =
                            post_usage(&s, &key, &format!("t{t}-{i}"), std::slice::from_ref(&e));
                        assert_eq!(r.status, 200, "{}", r.body);
                        if i % 4 == 0 {
                            let again = post_usage(&s, &key, &format!("t{t}-{i}"), &[e]);
                            assert!(again.replayed && again.body == r.body);
                        }
                    }
                })
            })
            .collect();
        for t in threads {
            t.join().unwrap();
        }
        let ledger = ledger_entries(&s, &c.key);
        let usage: Vec<&Value> = ledger.iter().filter(|e| e["kind"] == "usage").collect();
        let ids: BTreeSet<&str> = usage
            .iter()
            .map(|e| e["reference"].as_str().unwrap())
            .collect();
        assert_eq!((usage.len(), ids.len()), (1280, 1280), "{backend}");
        let wallet = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            dec(&wallet.body["balance"]),
            Decimal::from(100000 - 1280 * 9),
            "{backend}"
        );
        // Balances chain: each entry starts where the previous one ended.
        for w in ledger.windows(2) {
            assert_eq!(
                dec(&w[0]["balanceAfter"]),
                dec(&w[1]["balanceBefore"]),
                "{backend}"
            );
        }
    }
}

/// kill -9 in the middle of a 64-client load: every acknowledged deduction survives, and
/// replaying every request afterwards deducts each event exactly once.
#[test]
fn kill_9_mid_load_loses_no_acknowledged_deduction() {
    for backend in backends() {
        let mut s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000000" }] }),
            None,
        );
        let url = s.url.clone();
        let acked = Arc::new(Mutex::new(BTreeMap::<String, Value>::new()));
        let tried = Arc::new(Mutex::new(Vec::<String>::new()));
        let threads: Vec<_> = (0..64)
            .map(|t| {
                let (url, key, acked, tried) = (url.clone(), c.key.clone(), acked.clone(), tried.clone());
                std::thread::spawn(move || {
                    for i in 0.. {
                        let id = format!("t{t}-{i}");
                        tried.lock().unwrap().push(id.clone());
                        let body = json!({ "events": [call_event(&id, "2026-03-01T10:00:00Z", 60, false)] }).to_string();
                        let r = ureq::post(&format!("{url}/usage"))
                            .set("Authorization", &format!("Bearer {key}"))
                            .set("Idempotency-Key", &id)
                            .set("Content-Type", "application/json")
                            .send_string(&body);
                        match r {
                            Ok(resp) => {
                                let v: Value = serde_json::from_str(&resp.into_string().unwrap()).unwrap();
                                acked.lock().unwrap().insert(id, v);
                            }
                            Err(_) => return,
                        }
                    }
                })
            })
            .collect();
        while acked.lock().unwrap().len() < 300 {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        s.kill9();
        for t in threads {
            t.join().unwrap();
        }
        s.restart();
        let acked = acked.lock().unwrap().clone();
        let ledger = ledger_entries(&s, &c.key);
        let recorded: BTreeMap<&str, usize> =
            ledger
                .iter()
                .filter(|e| e["kind"] == "usage")
                .fold(BTreeMap::new(), |mut m, e| {
                    *m.entry(e["reference"].as_str().unwrap()).or_default() += 1;
                    m
                });
        for id in acked.keys() {
            assert_eq!(
                recorded.get(id.as_str()),
                Some(&1),
                "{backend}: acknowledged {id} must be recorded once"
            );
        }
        // Replay everything that was tried: acknowledged answers come back unchanged.
        for id in tried.lock().unwrap().iter() {
            let r = post_usage(
                &s,
                &c.key,
                id,
                &[call_event(id, "2026-03-01T10:00:00Z", 60, false)],
            );
            assert_eq!(r.status, 200, "{backend}: {}", r.body);
            if let Some(first) = acked.get(id) {
                assert!(
                    r.replayed,
                    "{backend}: {id} was acknowledged, so it must replay"
                );
                assert_eq!(&r.body, first);
            }
        }
        let n = tried.lock().unwrap().len();
        let ledger = ledger_entries(&s, &c.key);
        let usage = ledger.iter().filter(|e| e["kind"] == "usage").count();
        assert_eq!(
            usage, n,
            "{backend}: each tried event exactly once after replay"
        );
        let wallet = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            dec(&wallet.body["balance"]),
            Decimal::from(1_000_000 - 9 * n as i64),
            "{backend}"
        );
    }
}

#[test]
fn auto_reload_pending_until_the_payment_settles() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--payments", "manual"]);
        let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "600" }],
            "autoReload": { "enabled": true, "threshold": "5.00", "amount": "2.00", "paymentMethod": "pm_test" } });
        let c = create_account(&s, "acme", account, None);
        // 15 minutes at 9 credits: 600 - 135 = 465 < 500, so a reload of k * $2 fires:
        // the gap 35 credits needs k = 1 (200 credits).
        let r = post_usage(
            &s,
            &c.key,
            "u1",
            &[call_event("u1", "2026-03-01T10:00:00Z", 900, false)],
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(r.body["reloads"][0]["multiple"], json!(1));
        assert_eq!(r.body["pendingReload"]["remaining"], json!("200.00"));
        let w = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            w.body["balance"],
            json!("465.0000"),
            "{backend}: pending credits are not spendable"
        );
        // Still below the threshold, but one reload at a time.
        let r2 = post_usage(
            &s,
            &c.key,
            "u2",
            &[call_event("u2", "2026-03-01T11:00:00Z", 60, false)],
        );
        assert_eq!(r2.body["reloads"], json!([]));
        let invoices = call(
            "GET",
            &format!("{}/billing/invoices", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(invoices.body["invoices"], json!([]));
        let pay = r.body["payments"][0]["id"].as_str().unwrap().to_string();
        assert_eq!(r.body["payments"][0]["status"], "pending");
        let denied = call(
            "POST",
            &format!("{}/payments/{pay}/settle", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            denied.status, 401,
            "only the provider (admin token) settles payments"
        );
        let settled = call(
            "POST",
            &format!("{}/payments/{pay}/settle", s.url),
            Some(ADMIN),
            None,
            None,
        );
        assert_eq!(settled.status, 200, "{backend}: {}", settled.body);
        let w = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            w.body["balance"],
            json!("656.0000"),
            "{backend}: 465 - 9 + 200"
        );
        assert_eq!(w.body["pendingReload"], Value::Null);
        let invoices = call(
            "GET",
            &format!("{}/billing/invoices", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(invoices.body["invoices"][0]["gross"], json!("2.00"));
        let again = call(
            "POST",
            &format!("{}/payments/{pay}/settle", s.url),
            Some(ADMIN),
            None,
            None,
        );
        assert_eq!(again.body["status"], json!("settled"));
        let w2 = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.key),
            None,
            None,
        );
        assert_eq!(
            w2.body["balance"], w.body["balance"],
            "settling twice lands once"
        );
    }
}

#[test]
fn empty_wallet_answers_402_outbound_and_rejects_inbound() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let c = create_account(&s, "acme", json!({ "grants": [] }), None);
    let url = format!("{}/calls/authorize", s.url);
    let out = call(
        "POST",
        &url,
        Some(&c.read_key),
        None,
        Some(r#"{"direction":"outbound","at":"2026-03-01T10:00:00Z"}"#),
    );
    assert_eq!(out.status, 402);
    assert_eq!(out.body["error"]["code"], "insufficient_credits");
    let inb = call(
        "POST",
        &url,
        Some(&c.read_key),
        None,
        Some(r#"{"direction":"inbound","tollFree":true}"#),
    );
    assert_eq!(inb.status, 200);
    assert_eq!(
        (inb.body["allowed"].as_bool(), inb.body["action"].as_str()),
        (Some(false), Some("reject_inbound"))
    );
    // With credits: maxSeconds from the core (1,000 credits at 9/min in 60 s steps = 6,660 s),
    // for a call starting now (no `at`: a dated check is about that instant, and no test may
    // depend on the real date).
    let topped = call(
        "POST",
        &format!("{}/billing/wallet/credit", s.url),
        Some(&c.credit_key),
        Some("cr1"),
        Some(r#"{"credits":"1000"}"#),
    );
    assert_eq!(topped.status, 200, "{}", topped.body);
    let ok = call(
        "POST",
        &url,
        Some(&c.read_key),
        None,
        Some(r#"{"call":{"direction":"outbound"}}"#),
    );
    assert_eq!(
        (ok.status, ok.body["maxSeconds"].as_u64()),
        (200, Some(6660))
    );
}

#[test]
fn keys_scopes_sessions_and_hostile_bodies() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let a = create_account(
        &s,
        "alpha",
        json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "500" }] }),
        None,
    );
    let b = create_account(
        &s,
        "beta",
        json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "700" }] }),
        None,
    );
    let u = |p: &str| format!("{}{p}", s.url);
    let code = |r: &Resp| {
        (
            r.status,
            r.body["error"]["code"].as_str().unwrap_or("").to_string(),
        )
    };
    // Each key sees its own account only.
    assert_eq!(
        call("GET", &u("/billing/wallet"), Some(&a.read_key), None, None).body["balance"],
        "500"
    );
    assert_eq!(
        call("GET", &u("/billing/wallet"), Some(&b.read_key), None, None).body["balance"],
        "700"
    );
    let ev = json!({ "events": [call_event("x", "2026-03-01T10:00:00Z", 60, false)] }).to_string();
    assert_eq!(
        code(&call(
            "POST",
            &u("/usage"),
            Some(&a.read_key),
            Some("k"),
            Some(&ev)
        )),
        (403, "insufficient_scope".into())
    );
    assert_eq!(
        code(&call("GET", &u("/billing/wallet"), None, None, None)),
        (401, "unauthorized".into())
    );
    assert_eq!(
        code(&call(
            "GET",
            &u("/billing/wallet"),
            Some("dd_sk_forged"),
            None,
            None
        )),
        (401, "unauthorized".into())
    );
    // Writes by b never touch a.
    assert_eq!(
        call("POST", &u("/usage"), Some(&b.key), Some("k"), Some(&ev)).status,
        200
    );
    assert_eq!(
        call("GET", &u("/billing/wallet"), Some(&a.key), None, None).body["balance"],
        "500"
    );
    // Top-up, auto-reload and plan changes need a dashboard session (seed 000).
    let topup = r#"{"amount":"10.00"}"#;
    assert_eq!(
        code(&call(
            "POST",
            &u("/billing/wallet/topup"),
            Some(&a.key),
            Some("t1"),
            Some(topup)
        )),
        (403, "dashboard_session_required".into())
    );
    // Auto-recharge charges a saved card (seed 002): one saved through the session.
    let pm = save_card(&s, &a.session, "4242424242424242").body["id"].clone();
    let ar = json!({"enabled": true, "thresholdUsd": "20", "amountUsd": "50", "paymentMethod": pm})
        .to_string();
    let ar = ar.as_str();
    assert_eq!(
        code(&call(
            "PUT",
            &u("/billing/wallet/auto-reload"),
            Some(&a.key),
            None,
            Some(ar)
        ))
        .0,
        403
    );
    assert_eq!(
        code(&call(
            "POST",
            &u("/billing/subscription"),
            Some(&a.key),
            None,
            Some(r#"{"planId":"growth"}"#)
        ))
        .0,
        403
    );
    let t = call(
        "POST",
        &u("/billing/wallet/topup"),
        Some(&a.session),
        Some("t1"),
        Some(topup),
    );
    assert_eq!(
        (t.status, t.body["credits"].as_str()),
        (200, Some("1000.00")),
        "{}",
        t.body
    );
    assert_eq!(
        call("GET", &u("/billing/wallet"), Some(&a.key), None, None).body["balance"],
        "1500.00"
    );
    let bad_ar = r#"{"enabled":true,"threshold":"20.005","amount":"50"}"#;
    let v = call(
        "PUT",
        &u("/billing/wallet/auto-reload"),
        Some(&a.session),
        None,
        Some(bad_ar),
    );
    assert_eq!(v.status, 422);
    let codes: BTreeSet<&str> = v.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["code"].as_str().unwrap())
        .collect();
    assert!(
        codes.contains("payment_method_required") && codes.contains("invalid_money_precision"),
        "{codes:?}"
    );
    assert_eq!(
        call(
            "PUT",
            &u("/billing/wallet/auto-reload"),
            Some(&a.session),
            None,
            Some(ar)
        )
        .status,
        200
    );
    let sub = call(
        "POST",
        &u("/billing/subscription"),
        Some(&a.session),
        None,
        Some(r#"{"planId":"growth"}"#),
    );
    assert_eq!(sub.status, 200, "{}", sub.body);
    assert_eq!(
        call(
            "GET",
            &u("/billing/subscription"),
            Some(&a.read_key),
            None,
            None
        )
        .body["includedSecondsRemaining"],
        60000
    );
    assert_eq!(
        call("GET", &u("/billing/plans"), Some(&a.read_key), None, None).body["plans"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    assert_eq!(
        call(
            "GET",
            &u("/billing/invoices"),
            Some(&a.read_key),
            None,
            None
        )
        .body["invoices"][0]["gross"],
        "10.00"
    );
    // Hostile and malformed bodies get coded 4xx answers.
    let post = |body: &str, ct: &str| {
        call_ct(
            "POST",
            &u("/usage"),
            Some(&a.key),
            Some("h"),
            Some(body),
            ct,
        )
    };
    assert_eq!(
        code(&post("{not json", "application/json")),
        (400, "invalid_json".into())
    );
    assert_eq!(
        code(&post("{}", "text/plain")),
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        code(&post(&"[".repeat(100_000), "application/json")),
        (400, "invalid_json".into())
    );
    assert_eq!(
        code(&post(
            &format!("{{\"events\":[],\"pad\":\"{}\"}}", "x".repeat(2 << 20)),
            "application/json"
        )),
        (413, "payload_too_large".into())
    );
    assert_eq!(
        code(&post(r#"{"events":[],"extra":1}"#, "application/json")),
        (400, "unknown_field".into())
    );
    assert_eq!(
        code(&post(r#"{"events":[]}"#, "application/json")),
        (400, "invalid_value".into())
    );
    let float = r#"{"events":[{"id":"f","at":"2026-03-01T10:00:00Z","kind":"call","call":{"direction":"outbound","connectedSeconds":1,"carrierPassThrough":[{"amount":0.25}]}}]}"#;
    let f = post(float, "application/json");
    assert_eq!(code(&f), (400, "invalid_decimal".into()));
    assert_eq!(
        f.body["error"]["field"],
        "events[0].call.carrierPassThrough[0].amount"
    );
    let admin = call(
        "POST",
        &u("/admin/accounts"),
        Some(&a.key),
        None,
        Some("{}"),
    );
    assert_eq!(code(&admin), (401, "unauthorized".into()));
    assert_eq!(
        code(&call("GET", &u("/nope"), None, None, None)),
        (404, "not_found".into())
    );
    // Usage reports.
    let items = call(
        "GET",
        &u("/billing/usage/items?from=2026-03-01&to=2026-03-31"),
        Some(&b.read_key),
        None,
        None,
    );
    assert_eq!(dec(&items.body["items"][0]["credits"]), Decimal::from(9));
    let sum = call(
        "GET",
        &u("/billing/usage?from=2026-03-01&to=2026-03-31"),
        Some(&b.read_key),
        None,
        None,
    );
    assert_eq!(
        sum.body["summary"]["totalMoney"],
        json!({ "amount": "0.09", "currency": "USD" })
    );
    assert_eq!(
        code(&call(
            "GET",
            &u("/billing/usage/items?from=March"),
            Some(&b.read_key),
            None,
            None
        )),
        (400, "invalid_date".into())
    );
}

/// Alert transitions reach the account's webhook from the outbox, signed, with retries.
#[test]
fn balance_alert_webhooks_retry_until_delivered() {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hooks/billing", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::<(String, String)>::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let mut conn = conn.unwrap();
            let mut buf = vec![0u8; 65536];
            let mut req = String::new();
            while !req.contains("\r\n\r\n")
                || req.split("\r\n\r\n").nth(1).unwrap().len() < content_length(&req)
            {
                let k = conn.read(&mut buf).unwrap();
                if k == 0 {
                    break;
                }
                req.push_str(&String::from_utf8_lossy(&buf[..k]));
            }
            // The first delivery fails; the retry succeeds.
            let status = if n == 0 {
                "500 Internal Server Error"
            } else {
                "204 No Content"
            };
            let _ = conn
                .write_all(format!("HTTP/1.1 {status}\r\nContent-Length: 0\r\n\r\n").as_bytes());
            let sig = header(&req, "drawdown-signature").unwrap_or_default();
            g.lock()
                .unwrap()
                .push((sig, req.split("\r\n\r\n").nth(1).unwrap_or("").to_string()));
        }
    });
    let s = Server::start(&fresh_store("sqlite"), &["--allow-private-webhooks"]);
    let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100" }],
        "alerts": { "warning": { "threshold": "50" } } });
    let c = create_account(&s, "acme", account, Some(&hook));
    let r = post_usage(
        &s,
        &c.key,
        "u1",
        &[call_event("u1", "2026-03-01T10:00:00Z", 360, false)],
    );
    assert_eq!(r.body["alerts"][0]["to"], "warning");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while got.lock().unwrap().len() < 2 && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 2, "one failed attempt, one delivery");
    assert_eq!(got[0].1, got[1].1, "the retry carries the same event");
    let event: Value = serde_json::from_str(&got[1].1).unwrap();
    assert_eq!(
        (
            event["type"].as_str(),
            event["to"].as_str(),
            event["balance"].as_str()
        ),
        (Some("balance.alert"), Some("warning"), Some("46.0000"))
    );
    let t: i64 = got[1]
        .0
        .split(',')
        .next()
        .unwrap()
        .trim_start_matches("t=")
        .parse()
        .unwrap();
    assert_eq!(
        got[1].0,
        drawdown::server::webhooks::sign(&c.webhook_secret, t, &got[1].1)
    );
}

/// A request header's value (names are case-insensitive).
fn header(req: &str, name: &str) -> Option<String> {
    req.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        k.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

fn content_length(req: &str) -> usize {
    header(req, "content-length")
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// docs/openapi.json describes exactly the routes the server has.
#[test]
fn openapi_describes_every_route() {
    let doc: Value = serde_json::from_str(include_str!("../docs/openapi.json")).unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for m in ops
            .as_object()
            .unwrap()
            .keys()
            .filter(|m| m.as_str() != "parameters")
        {
            documented.insert(format!("{} {path}", m.to_uppercase()));
        }
    }
    let routes: BTreeSet<String> = drawdown::server::ROUTES
        .iter()
        .map(|(m, p)| format!("{m} {p}"))
        .collect();
    assert_eq!(documented, routes);
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let served = call("GET", &format!("{}/openapi.json", s.url), None, None, None);
    assert_eq!(served.body, doc);
    // And the server answers each of them (not the fallback's `not_found`).
    for (m, p) in drawdown::server::ROUTES {
        let r = call(
            m,
            &format!("{}{}", s.url, p.replace("{id}", "x")),
            None,
            None,
            if *m == "GET" { None } else { Some("{}") },
        );
        assert_ne!(r.body["error"]["code"], "not_found", "{m} {p}");
    }
}
