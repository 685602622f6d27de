//! Live calls at the server (issue 12, point 4): 64 concurrent calls on one account, each
//! extending until its quota is final and ending at its grant, leave nothing owed and one
//! usage entry per call (on PostgreSQL through two instances); holds and ends survive a
//! `kill -9`; an expired hold stops counting, its call shows as `expired`, and a late end
//! still bills it; the `call.final_quota` and `call.expired` webhooks.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::sync::Arc;

/// Concurrent calls on one account, and the most quotas one call asks for.
const CALLS: usize = 64;
const MAX_EXTENDS: usize = 200;

fn get(s: &Server, key: &str, path: &str) -> Resp {
    call("GET", &format!("{}{path}", s.url), Some(key), None, None)
}

/// One call as a platform runs it: start, extend until the quota is final, end at the grant
/// (and send the end twice). Answers the seconds billed, or `None` when the start was refused.
fn run_call(s: &Server, key: &str, id: &str) -> Option<u64> {
    let r = post(
        s,
        key,
        "/calls",
        json!({ "id": id, "direction": "outbound", "quotaSeconds": 60 }),
    );
    if r.status == 402 {
        assert_eq!(
            r.body["error"]["code"], "insufficient_credits",
            "{}",
            r.body
        );
        return None;
    }
    assert_eq!(r.status, 200, "{id}: {}", r.body);
    let mut granted = r.body["grantedSeconds"].as_u64().unwrap();
    let mut last = r.body;
    for _ in 0..MAX_EXTENDS {
        if last["finalQuota"] == true {
            break;
        }
        let r = post(
            s,
            key,
            &format!("/calls/{id}/extend"),
            json!({ "quotaSeconds": 60 }),
        );
        assert_eq!(r.status, 200, "{id}: {}", r.body);
        assert!(
            r.body["grantedSeconds"].as_u64().unwrap() >= granted,
            "{}",
            r.body
        );
        granted = r.body["grantedSeconds"].as_u64().unwrap();
        last = r.body;
    }
    assert_eq!(last["finalQuota"], true, "{id} never got a final quota");
    let end = json!({ "connectedSeconds": granted });
    let r = post(s, key, &format!("/calls/{id}/end"), end.clone());
    assert_eq!(
        (r.status, r.body["overrunSeconds"].as_u64()),
        (200, Some(0)),
        "{id}: {}",
        r.body
    );
    let again = post(s, key, &format!("/calls/{id}/end"), end);
    assert!(
        again.replayed && again.body == r.body,
        "{id}: the second end replays the first"
    );
    Some(granted)
}

fn usage_entries(s: &Server, key: &str) -> Vec<Value> {
    let mut out = vec![];
    let mut after = 0;
    loop {
        let r = get(s, key, &format!("/billing/ledger?after={after}&limit=500"));
        assert_eq!(r.status, 200, "{}", r.body);
        let page = r.body["entries"].as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        after = page.last().unwrap()["seq"].as_i64().unwrap();
        out.extend(page.into_iter().filter(|e| e["kind"] == "usage"));
    }
}

#[test]
fn concurrent_calls_end_at_their_grants_and_owe_nothing() {
    for backend in backends() {
        let db = fresh_store(backend);
        // On PostgreSQL the calls go through two instances on one database.
        let servers: Vec<Server> = match backend {
            "postgres" => vec![Server::start(&db, &[]), Server::start(&db, &[])],
            _ => vec![Server::start(&db, &[])],
        };
        let servers = Arc::new(servers);
        let c = create_account(
            &servers[0],
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] }),
            None,
        );
        let threads: Vec<_> = (0..CALLS)
            .map(|i| {
                let (servers, key) = (servers.clone(), c.key.clone());
                std::thread::spawn(move || {
                    run_call(&servers[i % servers.len()], &key, &format!("call-{i}"))
                })
            })
            .collect();
        let billed: Vec<(usize, u64)> = threads
            .into_iter()
            .enumerate()
            .filter_map(|(i, t)| t.join().unwrap().map(|s| (i, s)))
            .collect();
        let s = &servers[0];
        let w = get(s, &c.read_key, "/billing/wallet").body;
        assert_eq!(dec(&w["owed"]), Decimal::ZERO, "{backend}: {w}");
        assert_eq!(dec(&w["held"]), Decimal::ZERO, "{backend}: {w}");
        assert!(dec(&w["balance"]) >= Decimal::ZERO, "{backend}: {w}");
        // 9 credits a started minute (the demo card): the balance is what the grants cost.
        let cost: u64 = billed.iter().map(|(_, s)| s.div_ceil(60) * 9).sum();
        assert_eq!(
            dec(&w["balance"]),
            Decimal::from(1000 - cost as i64),
            "{backend}"
        );
        assert!(
            1000 - cost < 9 * CALLS as u64,
            "{backend}: the wallet was used up to its last minutes"
        );
        let entries = usage_entries(s, &c.read_key);
        let refs: BTreeSet<String> = entries
            .iter()
            .map(|e| e["reference"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(
            (entries.len(), refs.len()),
            (billed.len(), billed.len()),
            "{backend}: one usage entry per call"
        );
        let ended = get(s, &c.read_key, "/calls?state=ended").body;
        assert_eq!(
            ended["calls"].as_array().unwrap().len(),
            billed.len(),
            "{backend}"
        );
        assert_ledger_chains(s, &c.read_key, backend);
    }
}

#[test]
fn holds_and_ends_survive_kill_9() {
    for backend in backends() {
        let db = fresh_store(backend);
        let mut s = Server::start(&db, &[]);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] }),
            None,
        );
        for i in 0..8 {
            let r = post(
                &s,
                &c.key,
                "/calls",
                json!({ "id": format!("k{i}"), "direction": "outbound" }),
            );
            assert_eq!(r.status, 200, "{}", r.body);
        }
        s.kill9();
        s.restart();
        let w = get(&s, &c.read_key, "/billing/wallet").body;
        assert_eq!(
            dec(&w["held"]),
            Decimal::from(8 * 45),
            "{backend}: every acknowledged hold: {w}"
        );
        for i in 0..4 {
            let r = post(
                &s,
                &c.key,
                &format!("/calls/k{i}/end"),
                json!({ "connectedSeconds": 60 }),
            );
            assert_eq!(r.status, 200, "{}", r.body);
        }
        s.kill9();
        s.restart();
        let w = get(&s, &c.read_key, "/billing/wallet").body;
        assert_eq!(
            (dec(&w["held"]), dec(&w["balance"])),
            (Decimal::from(4 * 45), Decimal::from(1000 - 4 * 9)),
            "{backend}: {w}"
        );
        let live = get(&s, &c.read_key, "/calls?state=live").body;
        assert_eq!(
            live["calls"].as_array().unwrap().len(),
            4,
            "{backend}: {live}"
        );
        let r = post(
            &s,
            &c.key,
            "/calls/k0/end",
            json!({ "connectedSeconds": 60 }),
        );
        assert!(
            r.replayed,
            "{backend}: an end acknowledged before the kill replays"
        );
        assert_eq!(usage_entries(&s, &c.read_key).len(), 4, "{backend}");
    }
}

#[test]
fn an_expired_hold_stops_counting_and_a_late_end_still_bills() {
    let (hook, got) = receiver();
    for backend in backends() {
        let s = Server::start(
            &fresh_store(backend),
            &["--allow-private-webhooks", "--test-clock"],
        );
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100" }] }),
            Some(&hook),
        );
        // A 1-second quota, then two minutes on the server's clock: its hold lapsed a
        // minute ago.
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "old", "direction": "outbound", "quotaSeconds": 1 }),
        );
        assert_eq!(
            (r.status, r.body["grantedSeconds"].as_u64()),
            (200, Some(1)),
            "{}",
            r.body
        );
        advance_clock(&s, 120);
        let w = get(&s, &c.read_key, "/billing/wallet").body;
        assert_eq!(
            dec(&w["held"]),
            Decimal::ZERO,
            "{backend}: a lapsed hold holds nothing"
        );
        // Thin pools: the next start's quota is final (call.final_quota).
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "thin", "direction": "outbound", "quotaSeconds": 3600 }),
        );
        assert_eq!(
            (r.status, &r.body["finalQuota"]),
            (200, &json!(true)),
            "{}",
            r.body
        );
        let expired = get(&s, &c.read_key, "/calls?state=expired").body;
        assert_eq!(expired["calls"][0]["id"], "old", "{backend}: {expired}");
        // The lapsed hold left the account's snapshot for the call's row (issue 26): it no
        // longer costs the account's requests anything, and the listing still shows it.
        assert_eq!(
            expired["calls"][0]["hold"]["grantedSeconds"], 1,
            "{backend}: {expired}"
        );
        let inputs = get(&s, &c.read_key, "/billing/account").body;
        let holds = inputs["account"]["holds"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        assert!(
            holds.iter().all(|h| h["id"] != "old"),
            "{backend}: the lapsed hold is still in the snapshot: {holds:?}"
        );
        let r = post(&s, &c.key, "/calls/old/extend", json!({}));
        assert_eq!(
            (r.status, &r.body["error"]["code"]),
            (422, &json!("hold_expired")),
            "{}",
            r.body
        );
        let r = post(
            &s,
            &c.key,
            "/calls/old/end",
            json!({ "connectedSeconds": 90 }),
        );
        assert_eq!(
            (r.status, r.body["overrunSeconds"].as_u64()),
            (200, Some(89)),
            "{}",
            r.body
        );
        assert_eq!(
            r.body["item"]["lines"][0]["credits"]
                .as_str()
                .map(|s| s.parse::<Decimal>().unwrap()),
            Some(Decimal::from(18)),
            "{backend}: 90 s billed as two minutes"
        );
        let r = post(&s, &c.key, "/calls/nobody/extend", json!({}));
        assert_eq!(
            (r.status, &r.body["error"]["code"]),
            (404, &json!("unknown_call"))
        );
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "bad\u{1}", "direction": "outbound" }),
        );
        assert_eq!(
            (r.status, &r.body["error"]["code"]),
            (400, &json!("invalid_id"))
        );
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
        let has = |t: &str| {
            got.lock()
                .unwrap()
                .iter()
                .any(|b| b.contains(t) && b.contains(&c.id))
        };
        while !(has("call.final_quota") && has("call.expired"))
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        assert!(
            has("call.final_quota") && has("call.expired"),
            "{backend}: {:?}",
            got.lock().unwrap()
        );
    }
}

/// Call ends and `POST /usage` land in the same write groups: the day-by-day totals the
/// usage report reads equal what the ledger charged (both go through the group's memo).
#[test]
fn call_ends_and_usage_in_one_group_keep_the_day_totals() {
    for backend in backends() {
        let s = Arc::new(Server::start(&fresh_store(backend), &[]));
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000000" }] }),
            None,
        );
        let threads: Vec<_> = (0..16)
            .map(|t| {
                let (s, key) = (s.clone(), c.key.clone());
                std::thread::spawn(move || {
                    for i in 0..10 {
                        let id = format!("t{t}-{i}");
                        if t % 2 == 0 {
                            let r = post_usage(&s, &key, &id, &[json!({ "id": id, "at": instant(0), "kind": "chat", "messages": 3 })]);
                            assert_eq!(r.status, 200, "{}", r.body);
                        } else {
                            let r = post(&s, &key, "/calls", json!({ "id": id, "direction": "outbound" }));
                            assert_eq!(r.status, 200, "{}", r.body);
                            let r = post(&s, &key, &format!("/calls/{id}/end"), json!({ "connectedSeconds": 61 }));
                            assert_eq!(r.status, 200, "{}", r.body);
                        }
                    }
                })
            })
            .collect();
        threads.into_iter().for_each(|t| t.join().unwrap());
        let charged: Decimal = usage_entries(&s, &c.read_key)
            .iter()
            .map(|e| -dec(&e["credits"]))
            .sum();
        // 80 chats of 3 messages at 0.5, and 80 calls of two minutes at 9.
        assert_eq!(
            charged,
            Decimal::from(80 * 3) / Decimal::from(2) + Decimal::from(80 * 18),
            "{backend}"
        );
        let report = get(&s, &c.read_key, "/billing/usage").body;
        assert_eq!(
            dec(&report["summary"]["totalCredits"]),
            charged,
            "{backend}: {report}"
        );
    }
}

/// SEMANTICS 11 "Whose clock": the server judges every hold at its own clock, and a live-call
/// request dated further from it than the live skew is refused. The issue-24 reproduction:
/// four starts dated 30 days back, an hour apart, were each granted 300 s on a 100-credit
/// wallet (each judged at its own past instant), and one dated 4 minutes ahead hid the holds
/// taken now.
#[test]
fn live_calls_are_judged_at_the_servers_clock() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = wallet_account(&s, "acme", "100");
        let code = |r: &Resp| {
            (
                r.status,
                r.body["error"]["code"].clone(),
                r.body["error"]["field"].clone(),
            )
        };
        for h in 0..4 {
            let at = instant(-30 * 86_400 + h * 3_600);
            let r = post(
                &s,
                &c.key,
                "/calls",
                json!({ "id": format!("past{h}"), "direction": "outbound", "at": at }),
            );
            assert_eq!(
                code(&r),
                (422, json!("at_out_of_window"), json!("at")),
                "{backend}: {}",
                r.body
            );
        }
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "ahead", "direction": "outbound", "at": instant(240) }),
        );
        assert_eq!(
            code(&r),
            (422, json!("at_out_of_window"), json!("at")),
            "{backend}"
        );
        let w = get(&s, &c.read_key, "/billing/wallet").body;
        assert_eq!(
            dec(&w["held"]),
            Decimal::ZERO,
            "{backend}: refused starts hold nothing"
        );

        // Within the skew: granted, and held from the server's clock, not the request's.
        let sent = instant(-3);
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "a", "direction": "outbound", "at": sent, "quotaSeconds": 300 }),
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let started = r.body["hold"]["startedAt"].as_str().unwrap().to_string();
        assert!(
            started > sent,
            "{backend}: the hold starts at the server's clock ({started} vs {sent})"
        );
        // 300 s at 9 credits a minute: 45 of the 100 credits held; the next start gets the rest.
        let r = post(
            &s,
            &c.key,
            "/calls",
            json!({ "id": "b", "direction": "outbound", "at": instant(2), "quotaSeconds": 3600 }),
        );
        assert_eq!(
            (r.status, r.body["grantedSeconds"].as_u64()),
            (200, Some(360)),
            "{backend}: {}",
            r.body
        );
        let r = post(
            &s,
            &c.key,
            "/calls/a/extend",
            json!({ "at": instant(-600) }),
        );
        assert_eq!(
            code(&r),
            (422, json!("at_out_of_window"), json!("at")),
            "{backend}"
        );
        let r = post(
            &s,
            &c.key,
            "/calls/a/end",
            json!({ "at": instant(3_600), "connectedSeconds": 60 }),
        );
        assert_eq!(
            code(&r),
            (422, json!("at_out_of_window"), json!("at")),
            "{backend}"
        );
        for id in ["a", "b"] {
            let r = post(
                &s,
                &c.key,
                &format!("/calls/{id}/end"),
                json!({ "connectedSeconds": 60 }),
            );
            assert_eq!(r.status, 200, "{backend}: {}", r.body);
        }
        let w = get(&s, &c.read_key, "/billing/wallet").body;
        assert_eq!(
            (dec(&w["balance"]), dec(&w["held"])),
            (Decimal::from(82), Decimal::ZERO),
            "{backend}: {w}"
        );
    }
    // The skew is a setting.
    let s = Server::start(&fresh_store("sqlite"), &["--live-skew", "60s"]);
    let c = wallet_account(&s, "acme", "100");
    let r = post(
        &s,
        &c.key,
        "/calls",
        json!({ "id": "a", "direction": "outbound", "at": instant(-30) }),
    );
    assert_eq!(r.status, 200, "{}", r.body);
}
