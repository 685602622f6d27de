//! Late usage at the server (issue 26, SEMANTICS 15), on both stores: the same events
//! recorded in any order of arrival, or in one request, leave the same grants, included
//! minutes, owed and ledger sum; what a late event moves is booked as `adjustment` entries;
//! the ledger chains. Time is the test clock.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// The account: a plan of 100 included minutes whose cycle renews 10 days before
/// now, a 500-credit promotion that ran from 41 to 20 days before now, and a wallet.
fn account(s: &Server, id: &str) -> Creds {
    let at = |days: i64| instant(-days * 86_400);
    create_account(
        s,
        id,
        json!({
            "plan": { "id": "basic", "includedMinutes": 100 },
            "cycle": { "start": at(40), "end": at(10) },
            "grants": [
                { "id": "promo", "type": "promotional", "remaining": "500",
                  "effectiveAt": at(41), "expiresAt": at(20) },
                { "id": "w", "type": "prepaid", "remaining": "10000" }
            ]
        }),
        None,
    )
}

/// What the books hold once every event is in: the wallet's answer and the ledger's sum.
fn books(s: &Server, c: &Creds) -> (Value, Decimal) {
    let w = wallet(s, &c.read_key);
    let entries = ledger_entries(s, &c.read_key);
    check_chain(&entries, &w);
    let sum = entries.iter().map(|e| dec(&e["credits"])).sum();
    (w, sum)
}

/// SEMANTICS 15 "The ledger chains": numbered without gaps, each entry starting where the
/// last ended, the last ending at the wallet.
fn check_chain(entries: &[Value], w: &Value) {
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(e["seq"].as_i64(), Some(i as i64 + 1), "{e}");
        if i > 0 {
            assert_eq!(e["balanceBefore"], entries[i - 1]["balanceAfter"], "{e}");
        }
    }
    let last = entries.last().expect("entries");
    assert_eq!(dec(&last["balanceAfter"]), dec(&w["balance"]), "{w}");
}

/// The grants by id and credits (each account is made a moment apart, so their dates
/// differ by the clock's seconds).
fn grants(w: &Value) -> Vec<(String, Decimal)> {
    let all = w["grants"].as_array().expect("grants");
    all.iter()
        .map(|g| {
            (
                g["id"].as_str().unwrap().to_string(),
                dec(&g["remaining"]).normalize(),
            )
        })
        .collect()
}

fn same_books(a: &(Value, Decimal), b: &(Value, Decimal), what: &str) {
    for k in ["balance", "owed"] {
        assert_eq!(dec(&a.0[k]), dec(&b.0[k]), "{what}: {k}");
    }
    let included = "includedSecondsRemaining";
    assert_eq!(a.0[included], b.0[included], "{what}: {included}");
    assert_eq!(grants(&a.0), grants(&b.0), "{what}: grants");
    assert_eq!(a.1, b.1, "{what}: ledger sum");
}

#[test]
fn a_backdated_call_bills_the_same_in_any_order_of_arrival() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        let old = call_event("old", &instant(-30 * 86_400), 130 * 60, false);
        let new = call_event("new", &instant(-60), 60, false);
        let orders: [(&str, Vec<Vec<&Value>>); 3] = [
            ("in time order", vec![vec![&old], vec![&new]]),
            ("backdated last", vec![vec![&new], vec![&old]]),
            ("one request", vec![vec![&new, &old]]),
        ];
        let mut seen = vec![];
        let mut keys = vec![];
        for (i, (what, requests)) in orders.iter().enumerate() {
            let c = account(&s, &format!("late{i}"));
            keys.push(c.read_key.clone());
            for (j, events) in requests.iter().enumerate() {
                let events: Vec<Value> = events.iter().map(|e| (*e).clone()).collect();
                let r = post_usage(&s, &c.key, &format!("k{j}"), &events);
                assert_eq!(r.status, 200, "{backend} {what}: {}", r.body);
            }
            seen.push((what, books(&s, &c)));
        }
        // The backdated call drew its own cycle's 100 minutes and the promotion: 30 minutes
        // at 9 = 270 credits, not 130 x 9 = 1,170 from the wallet.
        for (i, (what, _)) in seen.iter().enumerate() {
            let entries = ledger_entries(&s, &keys[i]);
            let old: Decimal = entries
                .iter()
                .filter(|e| e["reference"] == "old")
                .filter(|e| e["kind"] == "usage" || e["kind"] == "adjustment")
                .map(|e| dec(&e["credits"]))
                .sum();
            assert_eq!(old, Decimal::from(-270), "{backend} {what}: {entries:?}");
        }
        for other in &seen[1..] {
            same_books(&seen[0].1, &other.1, &format!("{backend} {}", other.0));
        }
    }
}

#[test]
fn what_a_late_event_moves_is_booked_as_adjustments() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        let first = call_event("first", &instant(-30 * 86_400), 80 * 60, false);
        let second = call_event("second", &instant(-29 * 86_400), 80 * 60, false);
        let in_order = account(&s, "ordered");
        for (j, e) in [&first, &second].iter().enumerate() {
            let r = post_usage(&s, &in_order.key, &format!("k{j}"), &[(*e).clone()]);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        let late = account(&s, "late");
        for (j, e) in [&second, &first].iter().enumerate() {
            let r = post_usage(&s, &late.key, &format!("k{j}"), &[(*e).clone()]);
            assert_eq!(r.status, 200, "{}", r.body);
        }
        same_books(&books(&s, &in_order), &books(&s, &late), backend);
        // `second` first drew 80 included minutes; once `first` came in before it, it has
        // 20 left: 60 minutes move to the promotion (540 credits), with the seconds noted.
        let entries = ledger_entries(&s, &late.read_key);
        let adj: Vec<&Value> = entries
            .iter()
            .filter(|e| e["kind"] == "adjustment")
            .collect();
        assert!(!adj.is_empty(), "{backend}: {entries:?}");
        assert!(adj.iter().all(|e| e["reference"] == "second"), "{adj:?}");
        let moved: Decimal = adj.iter().map(|e| dec(&e["credits"])).sum();
        assert_eq!(moved, Decimal::from(-540), "{backend}: {adj:?}");
    }
}

/// Issue 26 point 5, measured (not run by the test command: `cargo test --release
/// --features server --test server_late -- --ignored --nocapture`): an account with 100,000
/// usage events over 35 days, one event dated before all of them, and another account's
/// `POST /usage` latencies while the re-draw runs. Numbers in BENCHMARKS.md.
#[test]
#[ignore]
fn a_late_event_among_100000() {
    let s = Server::start(&fresh_store("sqlite"), &["--test-clock"]);
    let busy = wallet_account(&s, "busy", "100000000");
    let other = wallet_account(&s, "other", "100000000");
    let span = 34 * 86_400;
    let n = 100_000;
    let t0 = std::time::Instant::now();
    for b in 0..n / 1000 {
        let events: Vec<Value> = (0..1000)
            .map(|i| {
                let k = b * 1000 + i;
                let at = instant(-span + (k as i64 * (span - 3_600) / n as i64));
                match k % 4 {
                    0 => json!({ "id": format!("m{k}"), "at": at, "kind": "chat", "messages": 3 }),
                    _ => call_event(&format!("c{k}"), &at, 60 + (k as u64 * 37) % 600, false),
                }
            })
            .collect();
        let r = post_usage(&s, &busy.key, &format!("b{b}"), &events);
        assert_eq!(r.status, 200, "{}", r.body);
    }
    eprintln!("100,000 events recorded in time order: {:?}", t0.elapsed());
    let url = s.url.clone();
    let key = other.key.clone();
    let probe = std::thread::spawn(move || {
        let mut ms = vec![];
        let until = std::time::Instant::now() + std::time::Duration::from_secs(3);
        let mut k = 0;
        while std::time::Instant::now() < until {
            let body =
                json!({ "events": [call_event(&format!("o{k}"), &instant(-10), 60, false)] });
            let t = std::time::Instant::now();
            let r = call(
                "POST",
                &format!("{url}/usage"),
                Some(&key),
                Some(&format!("o{k}")),
                Some(&body.to_string()),
            );
            assert_eq!(r.status, 200, "{}", r.body);
            ms.push(t.elapsed().as_secs_f64() * 1000.0);
            k += 1;
        }
        ms
    });
    std::thread::sleep(std::time::Duration::from_millis(500));
    for (i, back) in [(0, span - 60), (1, 86_400), (2, 3_700)] {
        let late = call_event(&format!("late{i}"), &instant(-back), 600, false);
        let t = std::time::Instant::now();
        let r = post_usage(&s, &busy.key, &format!("late{i}"), &[late]);
        assert_eq!(r.status, 200, "{}", r.body);
        eprintln!(
            "late event {back} s back: {:?}, {}",
            t.elapsed(),
            r.body["redrawn"]
        );
    }
    let mut ms = probe.join().unwrap();
    ms.sort_by(|a, b| a.partial_cmp(b).unwrap());
    let q = |p: f64| ms[((ms.len() - 1) as f64 * p) as usize];
    eprintln!(
        "other account: {} requests, p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
        ms.len(),
        q(0.5),
        q(0.99),
        q(1.0)
    );
}
