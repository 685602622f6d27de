//! SEMANTICS 15's property at the server (issue 26, points 3 and 4), on both stores: for
//! seeded random accounts (a plan whose cycle renews inside the usage window or not, grants
//! that expire, auto-reload, agents with limits) and random sets of usage events, every
//! order of arrival and every split into requests ends with the same grants, included
//! minutes, owed and ledger sum as arrival in time order; after every request the ledger
//! chains (numbered without gaps, each entry starting where the last ended, the last at the
//! wallet). With the re-draw disabled (`late::record` skipped) most seeds fail; see the
//! closing note of issue 26. `DRAWDOWN_LATE_SEEDS=n` runs seeds 0..n (default SEEDS).
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

/// Seeds the test command runs: each a random account and events in four orders.
const SEEDS: u64 = 40;
const DAY: i64 = 86_400;

#[path = "props/rng.rs"]
mod rng;
use rng::Rng;

fn account(rng: &mut Rng) -> Value {
    let at = |secs: i64| instant(secs);
    let mut grants = vec![json!({ "id": "w", "type": "prepaid",
                                  "remaining": rng.range(0, 3000).to_string() })];
    for i in 0..rng.below(3) {
        let from = rng.range(-45 * DAY, -5 * DAY);
        let until = from + rng.range(DAY, 30 * DAY);
        grants.push(json!({ "id": format!("g{i}"), "type": "promotional",
            "remaining": rng.range(50, 800).to_string(), "priority": rng.range(1, 9),
            "effectiveAt": at(from), "expiresAt": at(until) }));
    }
    let mut a = json!({ "grants": grants });
    if rng.chance(70) {
        let start = rng.range(-50 * DAY, -2 * DAY);
        a["plan"] = json!({ "id": "p", "includedMinutes": rng.range(0, 120),
                            "includedCredits": rng.range(0, 300).to_string() });
        a["cycle"] = json!({ "start": at(start), "end": at(start + 30 * DAY) });
    }
    if rng.chance(50) {
        a["autoReload"] = json!({ "enabled": true, "threshold": rng.range(1, 10).to_string(),
            "amount": rng.range(2, 10).to_string(), "paymentMethod": "pm_card_visa",
            "maxReloadsPerDay": rng.range(1, 3) });
    }
    if rng.chance(50) {
        a["agents"] = json!({ "a1": { "onPlanExhausted": if rng.chance(50) { "stop" } else { "use_balance" },
                                      "monthlyLimit": rng.range(100, 1500).to_string() } });
    }
    a
}

fn events(rng: &mut Rng) -> Vec<Value> {
    let n = rng.range(2, 6);
    (0..n)
        .map(|i| {
            let at = instant(rng.range(-34 * DAY, -60));
            let agent = if rng.chance(50) { "a1" } else { "a2" };
            if rng.chance(30) {
                json!({ "id": format!("e{i}"), "at": at, "kind": "chat", "agentId": agent,
                        "messages": rng.range(1, 200) })
            } else {
                let mut e = call_event(&format!("e{i}"), &at, rng.range(1, 90) as u64 * 60, false);
                e["agentId"] = json!(agent);
                e
            }
        })
        .collect()
}

/// The events in time order one per request, reversed, shuffled, and shuffled in batches.
fn orders(rng: &mut Rng, events: &[Value]) -> Vec<(&'static str, Vec<Vec<Value>>)> {
    let mut timed = events.to_vec();
    timed.sort_by(|a, b| a["at"].as_str().cmp(&b["at"].as_str()));
    let one_each = |v: &[Value]| v.iter().map(|e| vec![e.clone()]).collect::<Vec<_>>();
    let mut shuffled = timed.clone();
    for i in (1..shuffled.len()).rev() {
        shuffled.swap(i, rng.below(i as u64 + 1) as usize);
    }
    let mut batches: Vec<Vec<Value>> = vec![];
    for e in &shuffled {
        match batches.last_mut() {
            Some(b) if rng.chance(50) => b.push(e.clone()),
            _ => batches.push(vec![e.clone()]),
        }
    }
    let reversed: Vec<Value> = timed.iter().rev().cloned().collect();
    vec![
        ("time order", one_each(&timed)),
        ("reversed", one_each(&reversed)),
        ("shuffled", one_each(&shuffled)),
        ("shuffled in batches", batches),
    ]
}

/// What the books hold: the wallet's answer, the ledger's sum, and the credits reloads
/// paid.
type Books = (Value, Decimal, Decimal);

/// SEMANTICS 15's equality. Reloads are the one exception, by the rule that payments are
/// never undone: a reload an order of arrival paid stays paid, with the credits it bought,
/// where time order may have paid another multiple, on another day, or none (the gap rule
/// and `maxReloadsPerDay` read the balance on the way). So with auto-reload on, included
/// minutes and every other grant are equal, and the balance and the ledger's sum differ
/// from time order's by exactly what the reloads paid differ by.
fn same(want: &Books, got: &Books, reloads: bool) -> Result<(), String> {
    let fields: &[&str] = match reloads {
        false => &["balance", "owed", "includedSecondsRemaining", "grants"],
        true => &["includedSecondsRemaining"],
    };
    for f in fields {
        if norm(&want.0[*f]) != norm(&got.0[*f]) {
            return Err(format!("{f} {} != {} in time order", got.0[*f], want.0[*f]));
        }
    }
    let others = |b: &Books| -> Vec<Value> {
        let g = norm(&b.0["grants"]);
        let all = g.as_array().cloned().unwrap_or_default();
        all.into_iter()
            .filter(|g| !g[0].as_str().unwrap_or("").starts_with("reload-"))
            .collect()
    };
    if others(want) != others(got) {
        return Err(format!(
            "grants {:?} != {:?} in time order",
            others(got),
            others(want)
        ));
    }
    let paid = got.2 - want.2;
    let moved = dec(&got.0["balance"]) - dec(&want.0["balance"]);
    if moved != paid || got.1 - want.1 != paid {
        return Err(format!(
            "balance moved {moved} and the ledger {} for reloads paid {paid} more",
            got.1 - want.1
        ));
    }
    Ok(())
}

/// The wallet's answer, the ledger's sum and its reloads' credits, the chain checked.
fn books(s: &Server, key: &str) -> Result<Books, String> {
    let w = wallet(s, key);
    let entries = ledger_entries(s, key);
    for (i, e) in entries.iter().enumerate() {
        if e["seq"].as_i64() != Some(i as i64 + 1) {
            return Err(format!("entry {i} numbered {}", e["seq"]));
        }
        if i > 0 && e["balanceBefore"] != entries[i - 1]["balanceAfter"] {
            return Err(format!("entry {} does not chain: {e}", i + 1));
        }
    }
    if let Some(last) = entries.last() {
        if dec(&last["balanceAfter"]) != dec(&w["balance"]) {
            return Err(format!(
                "the ledger ends at {} but the wallet is {w}",
                last["balanceAfter"]
            ));
        }
    }
    let sum = entries.iter().map(|e| dec(&e["credits"])).sum();
    let reloads = entries
        .iter()
        .filter(|e| e["kind"] == "reload")
        .map(|e| dec(&e["credits"]))
        .sum();
    Ok((w, sum, reloads))
}

/// A value compared by what it says: decimals by number, a grant by id, type and credits
/// (a reload's landing instant is where the books first called for it, SEMANTICS 15).
fn norm(v: &Value) -> Value {
    match v {
        Value::String(s) => match s.parse::<Decimal>() {
            Ok(d) => json!(d.normalize().to_string()),
            Err(_) => v.clone(),
        },
        Value::Array(a) => Value::Array(
            a.iter()
                .map(|g| json!([g["id"], g["type"], norm(&g["remaining"])]))
                .collect(),
        ),
        _ => v.clone(),
    }
}

fn run_seed(s: &Server, backend: &str, seed: u64) -> Result<(), String> {
    let mut rng = Rng(seed);
    let a = account(&mut rng);
    let evs = events(&mut rng);
    let mut first: Option<Books> = None;
    for (k, (what, requests)) in orders(&mut rng, &evs).into_iter().enumerate() {
        let c = create_account(s, &format!("s{seed}-{k}"), a.clone(), None);
        for (j, body) in requests.iter().enumerate() {
            let r = post_usage(s, &c.key, &format!("r{j}"), body);
            if std::env::var("DRAWDOWN_LATE_SEED").is_ok() {
                eprintln!(
                    "{what} {j}: redrawn {} included {}",
                    r.body["redrawn"], r.body["includedSecondsRemaining"]
                );
            }
            if r.status != 200 {
                return Err(format!(
                    "{what}: request {j} answered {}: {}",
                    r.status, r.body
                ));
            }
            books(s, &c.read_key).map_err(|e| format!("{what}, after request {j}: {e}"))?;
        }
        let got = books(s, &c.read_key)?;
        if std::env::var("DRAWDOWN_LATE_SEED").is_ok() {
            eprintln!("== {what}");
            for e in ledger_entries(s, &c.read_key) {
                eprintln!(
                    "{} {} {} {} {} {}",
                    e["seq"], e["kind"], e["reference"], e["grantId"], e["credits"], e["at"]
                );
            }
        }
        match &first {
            None => first = Some(got),
            Some(want) => same(want, &got, a.get("autoReload").is_some()).map_err(|e| {
                format!("{backend} {what}: {e}\naccount {a}\nevents {}", json!(evs))
            })?,
        }
    }
    Ok(())
}

#[test]
fn every_order_of_arrival_bills_as_time_order() {
    let seeds: u64 = std::env::var("DRAWDOWN_LATE_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEEDS);
    let only: Option<u64> = std::env::var("DRAWDOWN_LATE_SEED")
        .ok()
        .and_then(|s| s.parse().ok());
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &["--test-clock"]);
        let failures: Vec<String> = (0..seeds)
            .filter(|seed| only.is_none_or(|o| o == *seed))
            .filter_map(|seed| {
                run_seed(&s, backend, seed)
                    .err()
                    .map(|e| format!("seed {seed}: {e}"))
            })
            .collect();
        assert!(
            failures.is_empty(),
            "{} of {seeds} seeds failed:\n{}",
            failures.len(),
            failures.join("\n\n")
        );
    }
}
