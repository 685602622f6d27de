//! Property tests (proptest): conservation, burn order, the true maximum of `maxSeconds`,
//! and no panic on arbitrary or mangled JSON for any operation.
#![cfg(not(target_arch = "wasm32"))]

use drawdown::model::Grant;
use drawdown::pools::burn_order;
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

/// A decimal string with up to `dp` decimals and `int` integer digits.
fn amount(max_units: u64, dp: u32) -> impl Strategy<Value = String> {
    (0..=max_units * 10u64.pow(dp)).prop_map(move |n| Decimal::new(n as i64, dp).to_string())
}

fn mode() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just("half_up"), Just("half_even"), Just("up"), Just("down")]
}

fn increment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("1/1".to_string()),
        Just("60/60".to_string()),
        Just("30/6".to_string()),
        Just("60/1".to_string()),
        (1u64..=120, 1u64..=60).prop_map(|(a, b)| format!("{a}/{b}")),
    ]
}

fn grant_json() -> impl Strategy<Value = Value> {
    (
        prop_oneof![
            Just("prepaid"),
            Just("promotional"),
            Just("committed"),
            Just("plan")
        ],
        amount(200, 2),
        prop_oneof![Just(10i64), Just(50), Just(50), Just(90)],
        prop::option::of(0u32..4),
        prop::option::of(0u32..3),
        0u32..3,
    )
        .prop_map(|(kind, remaining, priority, expires, effective, created)| {
            let day = |d: u32| format!("2026-03-{:02}T00:00:00Z", 10 + d);
            json!({
                "type": kind, "remaining": remaining, "priority": priority,
                "expiresAt": expires.map(|d| day(d + 1)),
                "effectiveAt": effective.map(|d| format!("2026-03-{:02}T00:00:00Z", 8 + d)),
                "createdAt": day(created),
            })
        })
}

fn usage_json() -> impl Strategy<Value = Value> {
    (0u32..5 * 24 * 60, prop_oneof![Just("call"), Just("chat"), Just("number")], 0u64..900, any::<bool>(), 0u64..200)
        .prop_map(|(minute, kind, secs, tf, n)| {
            let at = format!("2026-03-{:02}T{:02}:{:02}:00Z", 10 + minute / 1440, minute / 60 % 24, minute % 60);
            match kind {
                "call" => json!({"at": at, "kind": "call", "agentId": "a1", "call": {
                    "direction": if tf { "inbound" } else { "outbound" }, "tollFree": tf, "connectedSeconds": secs,
                    "transfer": if n % 3 == 0 { json!({"bridgedSeconds": n}) } else { Value::Null },
                    "carrierPassThrough": if n % 5 == 0 { json!([{"amount": "0.07"}]) } else { json!([]) } }}),
                "chat" => json!({"at": at, "kind": "chat", "agentId": "a2", "messages": n}),
                _ => json!({"at": at, "kind": "number", "numberKind": "local"}),
            }
        })
}

fn card(mode: &str, dp: u32, inc: &str, rate: &str) -> Value {
    json!({"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": mode, "creditDecimals": dp},
           "voice": {"perMinute": rate, "increment": inc, "connectFee": "0.05"},
           "tollFreeSurcharge": {"perMinute": "2"},
           "transfer": {"perMinute": "6", "increment": inc}, "chat": {"perMessage": "0.37"},
           "numbers": {"local": {"monthly": "150"}}})
}

fn preview_input() -> impl Strategy<Value = Value> {
    (
        mode(),
        0u32..=4,
        increment(),
        amount(20, 3),
        prop::collection::vec(grant_json(), 0..6),
        prop::collection::vec(usage_json(), 0..12),
        any::<bool>(),
        0u64..1200,
    )
        .prop_map(|(mode, dp, inc, rate, grants, usage, plan, included)| {
            let grants: Vec<Value> = grants.into_iter().enumerate().map(|(i, mut g)| { g["id"] = json!(format!("g{i}")); g }).collect();
            let usage: Vec<Value> = usage.into_iter().enumerate().map(|(i, mut u)| { u["id"] = json!(format!("u{i}")); u }).collect();
            json!({
                "rateCard": card(mode, dp, &inc, &rate),
                "account": {
                    "plan": if plan { json!({"id": "p", "includedMinutes": 20, "overagePerMinute": "7"}) } else { Value::Null },
                    "includedSecondsRemaining": included, "grants": grants, "owed": "0",
                    "agents": {"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "300"}},
                    "autoReload": {"enabled": true, "threshold": "1.00", "amount": "2.50", "paymentMethod": "pm", "maxReloadsPerDay": 2},
                },
                "usage": usage,
            })
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    /// A preview whose items go one by one to a consumer (the npm package's summary route)
    /// is the preview that keeps them, item for item; a consumer that stops stops it.
    #[test]
    fn items_handed_out_are_the_items_kept(input in preview_input(), stop_at in 0usize..40) {
        let mut input = input;
        input["detail"] = json!("summary");
        let typed: drawdown::PreviewInput = serde_json::from_value(input).unwrap();
        let kept = drawdown::drawdown::preview_answer(&typed);
        let mut handed = vec![];
        let mut each = |item: &drawdown::drawdown::Item| {
            handed.push(item.clone());
            Some(())
        };
        let each_answer = drawdown::drawdown::preview_answer_each(&typed, Some(&mut each));
        prop_assert_eq!(kept.is_ok(), each_answer.is_ok());
        let (Ok(kept), Ok(mut each_answer)) = (kept, each_answer) else {
            return Ok(());
        };
        prop_assert!(each_answer.preview.items.is_empty());
        each_answer.preview.items = handed;
        prop_assert_eq!(serde_json::to_value(&each_answer).unwrap(), serde_json::to_value(&kept).unwrap());
        let mut seen = 0;
        let mut stopping = |_: &drawdown::drawdown::Item| {
            seen += 1;
            (seen <= stop_at).then_some(())
        };
        let stopped = drawdown::drawdown::preview_answer_each(&typed, Some(&mut stopping));
        if kept.preview.items.len() > stop_at {
            prop_assert_eq!(stopped.err().map(|e| e.code), Some(drawdown::error::Code::Internal));
        } else {
            prop_assert!(stopped.is_ok());
        }
    }

    /// SEMANTICS 5: allocations plus uncovered equal the line's credits, exactly; and the
    /// closing balances account for every credit charged and reloaded.
    #[test]
    fn conservation(input in preview_input()) {
        let out = drawdown::eval("previewDrawdown", &input).unwrap();
        let mut charged = Decimal::ZERO;
        for item in out["items"].as_array().unwrap() {
            for line in item["lines"].as_array().unwrap() {
                let credits = dec(&line["credits"]);
                let allocated: Decimal = line["allocations"].as_array().unwrap().iter()
                    .filter_map(|a| a.get("credits")).map(dec).sum();
                prop_assert_eq!(allocated + dec(&line["uncovered"]), credits);
                prop_assert!(credits >= Decimal::ZERO);
                charged += credits;
            }
        }
        let before: Decimal = input["account"]["grants"].as_array().unwrap().iter().map(|g| dec(&g["remaining"])).sum();
        let after: Decimal = out["grants"].as_array().unwrap().iter().map(|g| dec(&g["remaining"])).sum();
        let reloaded: Decimal = out["reloads"].as_array().unwrap().iter().map(|r| dec(&r["credits"])).sum();
        // Every credit is in a grant, was charged, or is owed: nothing created or lost.
        prop_assert_eq!(before + reloaded - charged, after - dec(&out["owed"]));
    }

    /// SEMANTICS 5: a single usage draws grants strictly in burn order: every grant used
    /// before the last one is exhausted, and no later active grant is touched.
    #[test]
    fn burn_order_respected(input in preview_input(), messages in 1u64..400) {
        let mut input = input;
        input["usage"] = json!([{"id": "m", "at": "2026-03-11T12:00:00Z", "kind": "chat", "messages": messages}]);
        input["account"]["autoReload"] = Value::Null;
        let out = drawdown::eval("previewDrawdown", &input).unwrap();
        let grants: Vec<Grant> = serde_json::from_value(input["account"]["grants"].clone()).unwrap();
        let t = drawdown::calendar::Instant::parse("2026-03-11T12:00:00Z").unwrap();
        let mut active: Vec<&Grant> = grants.iter().filter(|g| g.active_at(t) && !g.remaining.is_zero()).collect();
        active.sort_by(|a, b| burn_order(a, b));
        let line = &out["items"][0]["lines"][0];
        let used: Vec<String> = line["allocations"].as_array().unwrap().iter()
            .map(|a| a.get("grantId").unwrap_or(&a["source"]).as_str().unwrap().to_string()).collect();
        let expected: Vec<String> = active.iter().take(used.len()).map(|g| g.id.clone()).collect();
        prop_assert_eq!(&used, &expected);
        let remaining: std::collections::BTreeMap<String, Decimal> = out["grants"].as_array().unwrap().iter()
            .map(|g| (g["id"].as_str().unwrap().to_string(), dec(&g["remaining"]))).collect();
        for id in used.iter().take(used.len().saturating_sub(1)) {
            prop_assert_eq!(remaining[id], Decimal::ZERO);
        }
        if dec(&line["uncovered"]) > Decimal::ZERO {
            prop_assert_eq!(used.len(), active.len());
        }
    }

    /// SEMANTICS 9: cost(max) <= available < cost(max + 1) unless the cap binds.
    #[test]
    fn max_seconds_is_the_true_maximum(
        mode in mode(), dp in 0u32..=4, inc in increment(), rate in amount(30, 4),
        fee in prop_oneof![Just("0".to_string()), amount(2, 2)],
        wallet in amount(500, 4), included in 0u64..400, plan in any::<bool>(),
        inbound in any::<bool>(), toll_free in any::<bool>(), cap in prop::option::of(0u64..5000),
    ) {
        let mut rc = card(mode, dp, &inc, &rate);
        rc["voice"]["connectFee"] = json!(fee);
        let plan_json = if plan { json!({"id": "p", "includedMinutes": 20, "overagePerMinute": "7.5"}) } else { Value::Null };
        let direction = if inbound { "inbound" } else { "outbound" };
        let mut req = json!({"direction": direction, "tollFree": toll_free, "at": "2026-03-11T00:00:00Z"});
        if let Some(c) = cap { req["requestedMaxSeconds"] = json!(c); }
        let out = drawdown::eval("authorizeCall", &json!({"rateCard": rc, "account": {
            "plan": plan_json, "includedSecondsRemaining": included,
            "grants": [{"id": "w", "type": "prepaid", "remaining": wallet}]}, "call": req})).unwrap();
        let max = out["maxSeconds"].as_u64().unwrap();
        let available = dec(&out["availableCredits"]);
        prop_assert_eq!(out["allowed"].as_bool().unwrap(), max > 0);
        let cost = |d: u64| {
            let q = drawdown::eval("quoteCall", &json!({"rateCard": rc, "plan": plan_json,
                "includedSecondsRemaining": included,
                "call": {"direction": direction, "tollFree": toll_free, "connectedSeconds": d}})).unwrap();
            dec(&q["totalCredits"])
        };
        let limit = cap.unwrap_or(86_400).min(86_400);
        if max > 0 {
            prop_assert!(cost(max) <= available, "cost({}) = {} > {}", max, cost(max), available);
        }
        if max < limit {
            prop_assert!(cost(max + 1) > available, "cost({}) = {} <= {}", max + 1, cost(max + 1), available);
        }
    }

    /// Arbitrary JSON never panics any operation; it answers or errs with a coded error.
    #[test]
    fn no_panic_on_arbitrary_json(v in arbitrary_json()) {
        for op in drawdown::ops::OPS {
            if let Err(e) = drawdown::eval(op, &v) {
                let code = e.code.as_str();
                prop_assert!(!code.is_empty() && code.chars().all(|c| c.is_ascii_lowercase() || c == '_'));
            }
        }
    }

    /// Valid inputs with one subtree replaced by junk never panic either (this reaches far
    /// deeper into each operation than arbitrary JSON does).
    #[test]
    fn no_panic_on_mangled_inputs(input in preview_input(), junk in arbitrary_json(), pick in any::<prop::sample::Index>(), op in 0usize..5) {
        let mut v = input;
        let mut paths = Vec::new();
        collect_paths(&v, &mut Vec::new(), &mut paths);
        let path = &paths[pick.index(paths.len())];
        *pointer(&mut v, path) = junk;
        let op = drawdown::ops::OPS[op];
        if op == "authorizeCall" && v.is_object() {
            v["call"] = json!({"direction": "outbound", "at": "2026-03-11T00:00:00Z"});
        }
        let _ = drawdown::eval(op, &v);
        let _ = drawdown::eval("previewDrawdown", &v);
    }

    /// `forecastRunway` on the same accounts with the usage as its basis, one subtree junk:
    /// an answer or a coded error, never a panic.
    #[test]
    fn no_panic_on_mangled_forecasts(input in preview_input(), junk in arbitrary_json(), pick in any::<prop::sample::Index>()) {
        let mut v = json!({ "rateCard": input["rateCard"], "account": input["account"],
            "at": "2026-03-16T00:00:00Z", "basis": input["usage"], "horizonDays": 10 });
        prop_assert!(drawdown::eval("forecastRunway", &v).is_ok(), "the unmangled forecast answers");
        let mut paths = Vec::new();
        collect_paths(&v, &mut Vec::new(), &mut paths);
        let path = &paths[pick.index(paths.len())];
        *pointer(&mut v, path) = junk;
        if let Err(e) = drawdown::eval("forecastRunway", &v) {
            prop_assert!(!e.code.as_str().is_empty());
        }
    }
}

fn collect_paths(v: &Value, here: &mut Vec<String>, out: &mut Vec<Vec<String>>) {
    out.push(here.clone());
    match v {
        Value::Object(m) => {
            for (k, x) in m {
                here.push(k.clone());
                collect_paths(x, here, out);
                here.pop();
            }
        }
        Value::Array(a) => {
            for (i, x) in a.iter().enumerate() {
                here.push(i.to_string());
                collect_paths(x, here, out);
                here.pop();
            }
        }
        _ => {}
    }
}

fn pointer<'a>(v: &'a mut Value, path: &[String]) -> &'a mut Value {
    path.iter().fold(v, |v, k| match v {
        Value::Object(m) => m.get_mut(k).unwrap(),
        Value::Array(a) => &mut a[k.parse::<usize>().unwrap()],
        _ => unreachable!(),
    })
}

fn arbitrary_json() -> impl Strategy<Value = Value> {
    const KEYS: &[&str] = &[
        "rateCard",
        "currency",
        "creditsPerUnit",
        "voice",
        "perMinute",
        "increment",
        "call",
        "direction",
        "connectedSeconds",
        "account",
        "grants",
        "usage",
        "settings",
        "balance",
        "threshold",
        "amount",
        "enabled",
        "id",
        "type",
        "remaining",
        "at",
        "kind",
        "messages",
        "critical",
        "plan",
        "x",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        prop_oneof![
            Just("USD".to_string()),
            Just("60/60".to_string()),
            Just("-0.5".to_string()),
            Just("2026-03-11T00:00:00Z".to_string()),
            Just("99999999999999999999999".to_string()),
            Just("outbound".to_string()),
            "[a-z0-9./:-]{0,12}"
        ]
        .prop_map(Value::from),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::btree_map(
                prop::sample::select(KEYS).prop_map(str::to_string),
                inner,
                0..6
            )
            .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Apply usage one event at a time through `ledger::apply`, carrying the snapshot, as the
/// server records it; returns the concatenated items, reloads and alerts and the last output.
fn chained(input: &Value, settle_at_once: bool) -> (Vec<Value>, Vec<Value>, Vec<Value>, Value) {
    let mut usage: Vec<Value> = input["usage"].as_array().unwrap().clone();
    usage.sort_by_key(|u| u["at"].as_str().unwrap().to_string());
    let mut account = input["account"].clone();
    let (mut items, mut reloads, mut alerts) = (vec![], vec![], vec![]);
    let mut last = Value::Null;
    for u in usage {
        let step = json!({"rateCard": input["rateCard"], "account": account, "usage": [u]});
        let typed: drawdown::PreviewInput = serde_json::from_value(step).unwrap();
        let applied = drawdown::ledger::apply(&typed, settle_at_once).unwrap();
        let out = serde_json::to_value(&applied.preview).unwrap();
        items.extend(out["items"].as_array().unwrap().iter().cloned());
        reloads.extend(out["reloads"].as_array().unwrap().iter().cloned());
        alerts.extend(out["alerts"].as_array().unwrap().iter().cloned());
        account = serde_json::to_value(&applied.account).unwrap();
        last = out;
    }
    (items, reloads, alerts, last)
}

fn with_cycle_and_alerts(mut input: Value) -> Value {
    // A Jan 31 anchor whose current cycle ends inside the usage window: the renewal, the
    // month-end clamp and plan-credit rollover must all carry across snapshots.
    input["account"]["cycle"] = json!({"start": "2026-02-28T00:00:00Z", "end": "2026-03-12T00:00:00Z", "anchor": "2026-01-31T00:00:00Z"});
    if input["account"]["plan"].is_object() {
        input["account"]["plan"]["includedCredits"] = json!("40");
        input["account"]["plan"]["rolloverCap"] = json!("15");
    }
    input["account"]["alerts"] = json!({"info": {"threshold": "300"}, "warning": {"threshold": "150"}, "critical": {"threshold": "20"}});
    input
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    /// SEMANTICS 10: recording usage event by event (the server) and previewing it in one
    /// go (the dashboard) give the same lines, allocations, reloads, alerts and balances.
    #[test]
    fn ledger_event_by_event_equals_preview(input in preview_input()) {
        let input = with_cycle_and_alerts(input);
        let batch = drawdown::eval("previewDrawdown", &input).unwrap();
        prop_assume!(!input["usage"].as_array().unwrap().is_empty());
        let (items, reloads, alerts, last) = chained(&input, true);
        prop_assert_eq!(&Value::Array(items), &batch["items"]);
        prop_assert_eq!(&Value::Array(reloads), &batch["reloads"]);
        prop_assert_eq!(&Value::Array(alerts), &batch["alerts"]);
        for key in ["grants", "owed", "includedSecondsRemaining", "agentSpend", "balanceAfter"] {
            prop_assert_eq!(&last[key], &batch[key], "{}", key);
        }
    }

    /// With a payment provider that does not settle at once, one reload waits at a time and
    /// lands (paying what is owed first) only when settled.
    #[test]
    fn pending_reload_blocks_the_next_until_settled(input in preview_input()) {
        let input = with_cycle_and_alerts(input);
        let typed: drawdown::PreviewInput = serde_json::from_value(input.clone()).unwrap();
        let applied = drawdown::ledger::apply(&typed, false).unwrap();
        prop_assert!(applied.preview.reloads.len() <= 1);
        let mut account = applied.account;
        if let Some(p) = account.pending_reload.clone() {
            let owed = account.owed.unwrap_or_default();
            let (grant, settled) = drawdown::ledger::settle_reload(&mut account).unwrap();
            prop_assert_eq!(settled, owed.min(p.remaining));
            prop_assert_eq!(grant.remaining + settled, p.remaining);
            prop_assert_eq!(&account.grants.last().unwrap().id, &p.id);
            prop_assert_eq!(account.owed.unwrap_or_default(), owed - settled);
            prop_assert!(account.pending_reload.is_none());
            prop_assert!(drawdown::ledger::settle_reload(&mut account).is_err());
        } else {
            prop_assert!(applied.preview.reloads.is_empty());
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 2000, ..ProptestConfig::default() })]

    /// The drawdown's quick comparison (signed mantissas at one scale) orders every pair of
    /// decimals as `Decimal` does, at one scale or two, signs and zeros included.
    #[test]
    fn the_quick_comparison_is_decimals_own(
        a in -10_i64.pow(15)..10_i64.pow(15), b in -10_i64.pow(15)..10_i64.pow(15),
        sa in 0u32..13, sb in 0u32..13, same in any::<bool>(),
    ) {
        let x = rust_decimal::Decimal::new(a, sa);
        let y = rust_decimal::Decimal::new(b, if same { sa } else { sb });
        prop_assert_eq!(drawdown::engine::amount::cmp(&x, &y), x.cmp(&y));
        prop_assert_eq!(drawdown::engine::amount::min(x, y), x.min(y));
        let zero = rust_decimal::Decimal::new(0, sa);
        prop_assert_eq!(drawdown::engine::amount::cmp(&-zero, &zero), std::cmp::Ordering::Equal);
    }
}
