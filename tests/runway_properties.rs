//! `forecastRunway` is `previewDrawdown` over the repeated basis (SEMANTICS 17): for random
//! accounts (plans, renewals, expiring grants, auto-reload with daily limits, agents, zones)
//! and random bases, the forecast's reloads, alerts, first uncovered charge, what is owed, the
//! balance at the horizon's end and the grants that expire unused equal what `previewDrawdown`
//! answers for the usage this test repeats on its own.
#![cfg(not(target_arch = "wasm32"))]

use chrono::{DateTime, Duration, Months, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::str::FromStr;

const AT: &str = "2026-03-15T00:00:00Z";

fn t(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn iso(d: DateTime<Utc>) -> String {
    d.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

fn dec(v: &Value) -> Decimal {
    Decimal::from_str(v.as_str().unwrap()).unwrap()
}

fn grant() -> impl Strategy<Value = Value> {
    (
        prop_oneof![Just("prepaid"), Just("promotional"), Just("committed")],
        0u32..300,
        prop::option::of(0u32..50),
        prop::option::of(0u32..20),
        prop_oneof![Just(10i64), Just(50)],
    )
        .prop_map(|(kind, remaining, expires, effective, priority)| {
            let day = |d: u32| iso(t("2026-03-12T00:00:00Z") + Duration::days(d as i64));
            json!({ "type": kind, "remaining": remaining.to_string(), "priority": priority,
                    "expiresAt": expires.map(|d| day(effective.unwrap_or(0) + d + 1)),
                    "effectiveAt": effective.map(day) })
        })
}

/// A basis item within the five days before `at`.
fn basis_item(utc: bool) -> impl Strategy<Value = Value> {
    (
        0u32..5 * 24 * 60,
        0u32..4,
        0u64..900,
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(move |(minute, kind, n, tf, agent)| {
            let at = iso(t("2026-03-10T00:00:00Z") + Duration::minutes(minute as i64));
            let agent_id = if agent { json!("a1") } else { Value::Null };
            match kind {
                0 | 1 => json!({ "at": at, "kind": "call", "agentId": agent_id, "call": {
                    "direction": if tf { "inbound" } else { "outbound" }, "tollFree": tf,
                    "connectedSeconds": n } }),
                2 => json!({ "at": at, "kind": "chat", "agentId": agent_id, "messages": n % 60 }),
                _ if utc => json!({ "at": at, "kind": "number", "numberKind": "local" }),
                _ => json!({ "at": at, "kind": "chat", "messages": n % 7 }),
            }
        })
}

fn input() -> impl Strategy<Value = Value> {
    let zone = prop_oneof![Just("UTC"), Just("America/New_York"), Just("Asia/Kolkata")];
    (zone, any::<u64>()).prop_flat_map(|(zone, _)| {
        (
            Just(zone),
            prop::collection::vec(grant(), 0..4),
            prop::collection::vec(basis_item(zone == "UTC"), 0..8),
            (any::<bool>(), 0u64..31, prop::option::of(0u32..400), prop::option::of(0u32..200)),
            prop::option::of((1u32..4, 1u32..6, prop::option::of(1u32..3))),
            (prop::option::of(50u32..400), any::<bool>(), any::<bool>()),
            (5u64..9, 1u64..46, 0u32..40, prop::option::of(0i64..46 * 24)),
        )
    })
    .prop_map(|(zone, grants, basis, plan, reload, (limit, stop, alerts), (bd, hd, owed, change))| {
        let grants: Vec<Value> = grants.into_iter().enumerate()
            .map(|(i, mut g)| { g["id"] = json!(format!("g{i}")); g }).collect();
        let basis: Vec<Value> = basis.into_iter().enumerate()
            .map(|(i, mut u)| { u["id"] = json!(format!("u{i}")); u }).collect();
        let (has_plan, minutes, credits, cap) = plan;
        let mut account = json!({
            "timeZone": zone, "grants": grants, "owed": owed.to_string(),
            "cycle": { "start": "2026-03-01T00:00:00Z", "end": "2026-04-01T00:00:00Z" },
            "agents": { "a1": { "monthlyLimit": limit.map(|l| l.to_string()),
                                "onPlanExhausted": if stop { "stop" } else { "use_balance" } } },
        });
        if has_plan {
            account["plan"] = json!({ "id": "p", "includedMinutes": minutes, "overagePerMinute": "7",
                "includedCredits": credits.map(|c| c.to_string()), "rolloverCap": cap.map(|c| c.to_string()) });
        }
        if let Some((threshold, amount, per_day)) = reload {
            account["autoReload"] = json!({ "enabled": true, "threshold": threshold.to_string(),
                "amount": amount.to_string(), "paymentMethod": "pm_1", "maxReloadsPerDay": per_day });
        }
        if alerts {
            // The state kept with the settings: a preview without one would take it from the
            // balance at its first item, the forecast from the balance at `at`.
            account["alerts"] = json!({ "info": { "threshold": "400" }, "critical": { "threshold": "50" },
                                        "state": if stop { "info" } else { "ok" } });
        }
        let card = |minute: &str, message: &str| json!({ "currency": "USD", "creditsPerUnit": "100",
            "voice": { "perMinute": minute, "increment": "60/60", "connectFee": "0.05" },
            "tollFreeSurcharge": { "perMinute": "2" }, "chat": { "perMessage": message },
            "numbers": { "local": { "monthly": "150" } } });
        // A price change some hour into the horizon (or none): the forecast prices each copy
        // of an item by the version in force at its instant, as the preview does.
        let versions: Vec<Value> = change.into_iter().map(|h| {
            let mut v = card("11", "0.41");
            v["version"] = json!(2);
            v["effectiveFrom"] = json!(iso(t(AT) + Duration::hours(h)));
            v
        }).collect();
        json!({
            "rateCard": card("9", "0.37"), "rateCardVersions": versions,
            "account": account, "at": AT, "basis": basis, "basisDays": bd, "horizonDays": hd,
        })
    })
}

/// The basis repeated as SEMANTICS 17 says, written out as usage for `previewDrawdown`: every
/// item `basisDays` later, again and again, in `[at, end)`; a rental on each monthly
/// anniversary instead (UTC accounts only here, so months are UTC months).
fn repeated(input: &Value) -> (Vec<Value>, DateTime<Utc>) {
    let at = t(AT);
    let period = Duration::days(input["basisDays"].as_i64().unwrap());
    let end = at + Duration::days(input["horizonDays"].as_i64().unwrap());
    let basis = input["basis"].as_array().unwrap();
    let mut order: Vec<usize> = (0..basis.len()).collect();
    order.sort_by_key(|&i| (t(basis[i]["at"].as_str().unwrap()), i));
    let mut usage = vec![];
    for k in 1..=20 {
        for &i in &order {
            let mut u = basis[i].clone();
            let when = t(u["at"].as_str().unwrap()) + period * k;
            if u["kind"] != "number" && when >= at && when < end {
                u["at"] = json!(iso(when));
                u["id"] = json!(format!("{}#{k}", u["id"].as_str().unwrap()));
                usage.push(u);
            }
        }
    }
    for u in basis.iter().filter(|u| u["kind"] == "number") {
        for m in 1..=3 {
            let when = t(u["at"].as_str().unwrap())
                .checked_add_months(Months::new(m))
                .unwrap();
            if when >= at && when < end {
                let mut u = u.clone();
                u["at"] = json!(iso(when));
                u["id"] = json!(format!("{}@{m}", u["id"].as_str().unwrap()));
                usage.push(u);
            }
        }
    }
    (usage, end)
}

fn active_at(g: &Value, d: DateTime<Utc>) -> bool {
    let before = |f: &str| g[f].as_str().is_some_and(|x| t(x) > d);
    let reached = |f: &str| g[f].as_str().is_some_and(|x| t(x) <= d);
    !before("effectiveAt") && !reached("expiresAt")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn the_forecast_is_the_preview_of_the_repeated_basis(input in input()) {
        let forecast = drawdown::eval("forecastRunway", &input).unwrap();
        let (usage, end) = repeated(&input);
        let preview = drawdown::eval("previewDrawdown", &json!({
            "rateCard": input["rateCard"], "rateCardVersions": input["rateCardVersions"],
            "account": input["account"], "usage": usage, "asOf": AT,
        })).unwrap();
        prop_assert_eq!(&forecast["reloads"], &preview["reloads"]);
        prop_assert_eq!(&forecast["alerts"], &preview["alerts"]);
        prop_assert_eq!(dec(&forecast["owed"]), dec(&preview["owed"]));
        let short = preview["items"].as_array().unwrap().iter().find(|i| {
            i["lines"].as_array().unwrap().iter().any(|l| dec(&l["uncovered"]) > Decimal::ZERO)
        });
        prop_assert_eq!(&forecast["runsOutAt"], short.map_or(&Value::Null, |i| &i["at"]));
        // The balance at the horizon's end: every non-plan grant active then, less what is owed.
        let after = &preview["accountAfter"];
        let grants = after["grants"].as_array().unwrap();
        let wallet: Decimal = grants.iter()
            .filter(|g| g["type"] != "plan" && active_at(g, end))
            .map(|g| dec(&g["remaining"])).sum();
        let points = forecast["balanceAt"].as_array().unwrap();
        prop_assert_eq!(points.len() as i64, input["horizonDays"].as_i64().unwrap());
        prop_assert_eq!(dec(&points.last().unwrap()["balance"]), wallet - dec(&after["owed"]));
        // Grants (not plan credits) that expire in the horizon with credits left.
        let mut expiring: Vec<(String, String, Decimal)> = grants.iter()
            .filter(|g| g["type"] != "plan" && dec(&g["remaining"]) > Decimal::ZERO)
            .filter(|g| g["expiresAt"].as_str().is_some_and(|x| t(x) >= t(AT) && t(x) < end))
            .map(|g| (g["expiresAt"].as_str().unwrap().to_string(), g["id"].as_str().unwrap().to_string(), dec(&g["remaining"])))
            .collect();
        expiring.sort();
        let mut listed: Vec<(String, String, Decimal)> = forecast["expiringUnused"].as_array().unwrap().iter()
            .filter(|e| grants.iter().any(|g| g["id"] == e["grantId"] && g["type"] != "plan"))
            .map(|e| (e["at"].as_str().unwrap().to_string(), e["grantId"].as_str().unwrap().to_string(), dec(&e["credits"])))
            .collect();
        listed.sort();
        prop_assert_eq!(listed, expiring);
    }
}
