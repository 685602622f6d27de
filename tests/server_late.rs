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

fn same_books(a: &(Value, Decimal), b: &(Value, Decimal), what: &str) {
    for k in ["balance", "owed", "includedSecondsRemaining", "grants"] {
        assert_eq!(a.0[k], b.0[k], "{what}: {k}");
    }
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
