//! Property tests of live calls (SEMANTICS 11): for random interleavings of starts,
//! extends and ends of up to 64 concurrent calls on one account, nothing becomes owed, no
//! grant goes below zero, and at every step the active holds fit the pools they came from;
//! and `endCall` bills a call exactly as `previewDrawdown` bills the same usage.
#![cfg(not(target_arch = "wasm32"))]

use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

/// The most calls one scenario starts (the 64 concurrent calls).
const MAX_CALLS: usize = 64;
const T0: i64 = 1_773_144_000; // 2026-03-10T12:00:00Z

fn at(s: i64) -> String {
    chrono::DateTime::from_timestamp(T0 + s, 0)
        .unwrap()
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string()
}

fn dec(v: &Value) -> Decimal {
    match v {
        Value::String(s) => Decimal::from_str(s).unwrap(),
        Value::Null => Decimal::ZERO,
        other => panic!("not a decimal: {other}"),
    }
}

fn card(mode: &str, dp: u32, inc: &str, rate: &str, fee: &str) -> Value {
    json!({"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": mode, "creditDecimals": dp},
           "voice": {"perMinute": rate, "increment": inc, "connectFee": fee},
           "tollFreeSurcharge": {"perMinute": "2"}})
}

/// One step of a scenario: start a call, extend one, or end one (`pick` chooses which
/// live call; `part` how much of its grant it used), after `wait` seconds.
#[derive(Debug, Clone)]
enum Step {
    Start { tf: bool, agent: u8, quota: u64 },
    Extend { pick: usize, quota: u64 },
    End { pick: usize, part: u64 },
}

fn step() -> impl Strategy<Value = (Step, i64)> {
    let s = prop_oneof![
        3 => (any::<bool>(), 0u8..3, 1u64..400).prop_map(|(tf, agent, quota)| Step::Start { tf, agent, quota }),
        2 => (any::<usize>(), 1u64..400).prop_map(|(pick, quota)| Step::Extend { pick, quota }),
        2 => (any::<usize>(), 0u64..=100).prop_map(|(pick, part)| Step::End { pick, part }),
    ];
    (s, 0i64..20)
}

fn scenario() -> impl Strategy<Value = (Value, Value, Vec<(Step, i64)>)> {
    (
        prop_oneof![Just("half_up"), Just("half_even"), Just("up"), Just("down")],
        0u32..=4,
        prop_oneof![Just("60/60"), Just("30/6"), Just("1/1"), Just("6/6")],
        prop_oneof![Just("9"), Just("7.5"), Just("0.33")],
        prop_oneof![Just("0"), Just("0.05")],
        (0u64..2000, 0u64..200, any::<bool>(), 0u64..1200, 0u64..100),
        prop::collection::vec(step(), 1..160),
    )
        .prop_map(|(mode, dp, inc, rate, fee, (wallet, promo, plan, included, plan_credits), steps)| {
            let mut grants = vec![
                json!({"id": "w", "type": "prepaid", "remaining": wallet.to_string()}),
                json!({"id": "promo", "type": "promotional", "remaining": promo.to_string(), "priority": 10}),
            ];
            if plan {
                grants.push(json!({"id": "p", "type": "plan", "remaining": plan_credits.to_string()}));
            }
            let account = json!({
                "plan": if plan { json!({"id": "g", "includedMinutes": 20, "overagePerMinute": "7"}) } else { Value::Null },
                "includedSecondsRemaining": included, "grants": grants, "owed": "0",
                "agents": {"a1": {"onPlanExhausted": "stop", "monthlyLimit": "40"},
                           "a2": {"onPlanExhausted": "use_balance", "monthlyLimit": "25"}},
            });
            (card(mode, dp, inc, rate, fee), account, steps)
        })
}

/// SEMANTICS 11's invariant on one snapshot at `t`: nothing owed, no grant below zero, and
/// the active holds' shares within their pools (the stop agent's within its limit).
fn check_invariant(account: &Value, t: i64) -> Result<(), TestCaseError> {
    prop_assert_eq!(dec(&account["owed"]), Decimal::ZERO, "owed: {}", account);
    let grants = account["grants"].as_array().unwrap();
    for g in grants {
        prop_assert!(
            dec(&g["remaining"]) >= Decimal::ZERO,
            "grant below zero: {}",
            g
        );
    }
    let sum = |plan: bool| -> Decimal {
        grants
            .iter()
            .filter(|g| (g["type"] == "plan") == plan)
            .map(|g| dec(&g["remaining"]))
            .sum()
    };
    let now = at(t);
    let holds: Vec<&Value> = account["holds"]
        .as_array()
        .map(|h| {
            h.iter()
                .filter(|h| h["validUntil"].as_str().unwrap() > now.as_str())
                .collect()
        })
        .unwrap_or_default();
    let held = |k: &str| -> Decimal { holds.iter().map(|h| dec(&h[k])).sum() };
    let seconds: u64 = holds
        .iter()
        .map(|h| h["includedSeconds"].as_u64().unwrap())
        .sum();
    prop_assert!(
        held("credits") <= sum(false),
        "wallet holds exceed the wallet: {}",
        account
    );
    prop_assert!(
        held("planCredits") <= sum(true),
        "plan holds exceed plan credits: {}",
        account
    );
    if !account["plan"].is_null() {
        let left = account["includedSecondsRemaining"].as_u64().unwrap();
        prop_assert!(
            seconds <= left,
            "included holds {} > {} left",
            seconds,
            left
        );
    }
    let a1: Decimal = holds
        .iter()
        .filter(|h| h["agentId"] == "a1")
        .map(|h| dec(&h["credits"]) + dec(&h["planCredits"]))
        .sum();
    let spent = dec(&account["agents"]["a1"]["spentThisCycle"]);
    prop_assert!(
        spent + a1 <= Decimal::from(40),
        "a1 spent {} + held {} > 40",
        spent,
        a1
    );
    Ok(())
}

fn eval(op: &str, input: Value) -> Value {
    drawdown::eval(op, &input).unwrap_or_else(|e| panic!("{op}: {e:?} on {input}"))
}

/// Live calls of a scenario: (id, granted seconds, validUntil as seconds from T0).
struct Live {
    id: String,
    granted: u64,
    until: i64,
}

fn seconds_of(instant: &Value) -> i64 {
    chrono::DateTime::parse_from_rfc3339(instant.as_str().unwrap())
        .unwrap()
        .timestamp()
        - T0
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn live_calls_never_overspend((card, mut account, steps) in scenario()) {
        let (mut t, mut started, mut live) = (0i64, 0usize, Vec::<Live>::new());
        for (step, wait) in steps {
            // Calls end within their grant and before their hold expires (the invariant's
            // premise): a call about to lapse ends first, having used all it was granted,
            // the soonest first and each a second before its own hold lapses. (Ending them
            // all at the step's time let one end after another's hold had lapsed and take
            // what that hold had set aside: a premise broken, not the engine.)
            t += wait;
            while let Some(i) = (0..live.len()).filter(|&i| live[i].until <= t + 1).min_by_key(|&i| live[i].until) {
                let c = live.remove(i);
                let te = (c.until - 1).min(t);
                let out = eval("endCall", json!({"rateCard": card, "account": account, "callId": c.id,
                    "at": at(te), "call": {"connectedSeconds": c.granted}}));
                account = out["account"].clone();
                check_invariant(&account, te)?;
            }
            match step {
                Step::Start { tf, agent, quota } if started < MAX_CALLS => {
                    started += 1;
                    let id = format!("c{started}");
                    let mut call = json!({"id": id, "direction": if tf { "inbound" } else { "outbound" },
                        "tollFree": tf, "at": at(t), "quotaSeconds": quota});
                    if agent > 0 {
                        call["agentId"] = json!(format!("a{agent}"));
                    }
                    let out = eval("startCall", json!({"rateCard": card, "account": account, "call": call}));
                    account = out["account"].clone();
                    if out["allowed"] == true {
                        let granted = out["grantedSeconds"].as_u64().unwrap();
                        live.push(Live { id, granted, until: seconds_of(&out["validUntil"]) });
                    }
                }
                Step::Extend { pick, quota } if !live.is_empty() => {
                    let n = live.len();
                    let c = &mut live[pick % n];
                    let out = eval("extendCall", json!({"rateCard": card, "account": account, "callId": c.id,
                        "at": at(t), "quotaSeconds": quota}));
                    account = out["account"].clone();
                    if out["allowed"] == true {
                        c.granted = out["grantedSeconds"].as_u64().unwrap();
                        c.until = seconds_of(&out["validUntil"]);
                    }
                }
                Step::End { pick, part } if !live.is_empty() => {
                    let c = live.remove(pick % live.len());
                    let used = c.granted * part / 100;
                    let out = eval("endCall", json!({"rateCard": card, "account": account, "callId": c.id,
                        "at": at(t), "call": {"connectedSeconds": used}}));
                    prop_assert_eq!(out["overrunSeconds"].as_u64(), Some(0));
                    account = out["account"].clone();
                }
                _ => {}
            }
            check_invariant(&account, t)?;
        }
    }

    /// `endCall` of a call with a hold and no other live call bills exactly what
    /// `previewDrawdown` bills for the same usage: the same item and balances.
    #[test]
    fn end_call_equals_preview(
        (card, account, _) in scenario(),
        secs in 0u64..2000,
        transfer in prop::option::of(0u64..600),
        tf in any::<bool>(),
    ) {
        let dir = if tf { "inbound" } else { "outbound" };
        let started = eval("startCall", json!({"rateCard": card, "account": account,
            "call": {"id": "c1", "direction": dir, "tollFree": tf, "at": at(0), "agentId": "a2"}}));
        let held = started["account"].clone();
        let mut call = json!({"connectedSeconds": secs});
        if let Some(b) = transfer {
            call["transfer"] = json!({"bridgedSeconds": b});
        }
        let card = {
            let mut c = card;
            c["transfer"] = json!({"perMinute": "6", "increment": "60/60"});
            c
        };
        let ended = eval("endCall", json!({"rateCard": card, "account": held, "callId": "c1",
            "at": at(secs as i64), "call": call.clone()}));
        let mut usage_call = call;
        usage_call["direction"] = json!(dir);
        usage_call["tollFree"] = json!(tf);
        let preview = eval("previewDrawdown", json!({"rateCard": card, "account": account,
            "usage": [{"id": "c1", "at": at(0), "kind": "call", "agentId": "a2", "call": usage_call}]}));
        prop_assert_eq!(&ended["item"], &preview["items"][0]);
        prop_assert_eq!(dec(&ended["balanceAfter"]), dec(&preview["balanceAfter"]));
        let grants: Vec<(Value, Decimal)> = ended["account"]["grants"].as_array().unwrap().iter()
            .map(|g| (g["id"].clone(), dec(&g["remaining"]))).collect();
        let expected: Vec<(Value, Decimal)> = preview["grants"].as_array().unwrap().iter()
            .map(|g| (g["id"].clone(), dec(&g["remaining"]))).collect();
        prop_assert_eq!(grants, expected);
        prop_assert_eq!(dec(&ended["account"]["owed"]), dec(&preview["owed"]));
    }
}

#[path = "props/inbound_limits.rs"]
mod inbound_limits;
use inbound_limits::*;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// No grant ever passes an inbound limit (SEMANTICS 18): random starts, extends and
    /// ends of inbound toll-free calls to two numbers and none, minutes apart so that hours
    /// and days turn, against random limits and a week of history for the surge rule.
    #[test]
    fn inbound_limits_are_never_passed(
        l in limits(),
        steps in prop::collection::vec((step(), 0usize..3, 0i64..600), 1..120),
    ) {
        let card = card("half_up", 4, "1/1", "9", "0");
        let mut account = limited_account(l, at);
        let (mut t, mut n, mut live, mut ended) = (0i64, 0usize, Vec::<(Live, Span)>::new(), Vec::<Span>::new());
        for ((step, _), number, wait) in steps {
            t += wait;
            // Calls end within their grant, before their hold lapses (as above).
            while let Some(i) = (0..live.len()).filter(|&i| live[i].0.until <= t + 1).min_by_key(|&i| live[i].0.until) {
                let (c, s) = live.remove(i);
                let te = (c.until - 1).min(t).max(s.start + s.seconds);
                let out = eval("endCall", json!({"rateCard": card, "account": account, "callId": c.id,
                    "at": at(te), "call": {"connectedSeconds": c.granted}}));
                account = out["account"].clone();
                ended.push(s);
            }
            match step {
                Step::Start { quota, .. } => {
                    n += 1;
                    let id = format!("c{n}");
                    let mut call = json!({"id": id, "direction": "inbound", "tollFree": true, "at": at(t), "quotaSeconds": quota});
                    if let Some(num) = NUMBERS[number] {
                        call["numberId"] = json!(num);
                    }
                    let out = eval("startCall", json!({"rateCard": card, "account": account, "call": call}));
                    account = out["account"].clone();
                    if out["allowed"] == true {
                        let granted = out["grantedSeconds"].as_u64().unwrap();
                        let span = Span { start: t, seconds: granted as i64, number: NUMBERS[number] };
                        live.push((Live { id, granted, until: seconds_of(&out["validUntil"]) }, span));
                    } else {
                        prop_assert_eq!(&out["code"], "inbound_limit", "{}", out);
                    }
                }
                Step::Extend { pick, quota } if !live.is_empty() => {
                    let k = pick % live.len();
                    let out = eval("extendCall", json!({"rateCard": card, "account": account, "callId": live[k].0.id,
                        "at": at(t), "quotaSeconds": quota}));
                    account = out["account"].clone();
                    if out["allowed"] == true {
                        let granted = out["grantedSeconds"].as_u64().unwrap();
                        live[k].0.granted = granted;
                        live[k].0.until = seconds_of(&out["validUntil"]);
                        live[k].1.seconds = granted as i64;
                    }
                }
                Step::End { pick, part } if !live.is_empty() => {
                    let (c, mut s) = live.remove(pick % live.len());
                    let used = c.granted * part / 100;
                    let out = eval("endCall", json!({"rateCard": card, "account": account, "callId": c.id,
                        "at": at(t), "call": {"connectedSeconds": used}}));
                    account = out["account"].clone();
                    s.seconds = used as i64;
                    ended.push(s);
                }
                _ => {}
            }
            let all: Vec<Span> = ended.iter().cloned().chain(live.iter().map(|l| l.1.clone())).collect();
            check_limits(&all, l, live.len())?;
        }
    }
}
