//! Criterion benchmarks of the typed core: `quoteCall`, `authorizeCall`, and
//! `previewDrawdown` over 100,000 usage items. Results go in BENCHMARKS.md.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion};
use drawdown::ops::parse;
use drawdown::{AuthorizeInput, PreviewInput, QuoteInput};
use serde_json::{json, Value};
use std::hint::black_box;

fn card() -> Value {
    json!({"currency": "USD", "creditsPerUnit": "100", "rounding": {"mode": "half_up", "creditDecimals": 4},
           "voice": {"perMinute": "9", "increment": "60/60", "connectFee": "0"},
           "tollFreeSurcharge": {"perMinute": "2"}, "transfer": {"perMinute": "6", "increment": "60/60"},
           "chat": {"perMessage": "0.5"}, "numbers": {"local": {"monthly": "150"}}})
}

fn account() -> Value {
    json!({"timeZone": "America/New_York",
           "plan": {"id": "growth", "includedMinutes": 1000, "overagePerMinute": "7"},
           "cycle": {"start": "2026-03-01T05:00:00Z", "end": "2026-04-01T04:00:00Z"},
           "grants": [
               {"id": "promo", "type": "promotional", "remaining": "50000", "priority": 10, "expiresAt": "2026-03-20T00:00:00Z"},
               {"id": "commit", "type": "committed", "remaining": "200000"},
               {"id": "wallet", "type": "prepaid", "remaining": "100000"},
               {"id": "pc", "type": "plan", "remaining": "5000", "expiresAt": "2026-04-01T04:00:00Z"}],
           "agents": {"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "900000"}},
           "autoReload": {"enabled": true, "threshold": "50.00", "amount": "100.00", "paymentMethod": "pm", "maxReloadsPerDay": 20},
           "alerts": {"info": {"threshold": "20000"}, "warning": {"threshold": "5000"}, "critical": {"threshold": "1000"}}})
}

fn usage(n: usize) -> Vec<Value> {
    (0..n)
        .map(|i| {
            let at = format!("2026-03-{:02}T{:02}:{:02}:{:02}Z", 1 + i / 4000 % 28, i / 200 % 24, i / 4 % 60, i % 60);
            match i % 10 {
                0..=5 => json!({"id": format!("c{i}"), "at": at, "kind": "call", "agentId": "a1", "call": {
                    "direction": if i % 2 == 0 { "inbound" } else { "outbound" }, "tollFree": i % 7 == 0,
                    "connectedSeconds": 30 + (i * 37) % 600,
                    "transfer": if i % 9 == 0 { json!({"bridgedSeconds": 120}) } else { Value::Null }}}),
                6..=8 => json!({"id": format!("m{i}"), "at": at, "kind": "chat", "agentId": "a1", "messages": 1 + i % 12}),
                _ => json!({"id": format!("n{i}"), "at": at, "kind": "number", "numberKind": "local"}),
            }
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let quote: QuoteInput = parse(&json!({"rateCard": card(),
        "plan": {"id": "growth", "includedMinutes": 1000, "overagePerMinute": "7"}, "includedSecondsRemaining": 30,
        "call": {"direction": "inbound", "tollFree": true, "connectedSeconds": 84}})).unwrap();
    c.bench_function("quoteCall (typed)", |b| {
        b.iter(|| drawdown::quote_call(black_box(&quote)).unwrap())
    });

    let quote_json =
        json!({"rateCard": card(), "call": {"direction": "outbound", "connectedSeconds": 84}});
    c.bench_function("quoteCall (JSON value in and out)", |b| {
        b.iter(|| drawdown::eval("quoteCall", black_box(&quote_json)).unwrap())
    });

    let auth: AuthorizeInput = parse(&json!({"rateCard": card(), "account": account(),
        "call": {"direction": "inbound", "tollFree": true, "agentId": "a1", "at": "2026-03-10T12:00:00Z"}})).unwrap();
    c.bench_function("authorizeCall (typed)", |b| {
        b.iter(|| drawdown::authorize_call(black_box(&auth)).unwrap())
    });

    let preview: PreviewInput =
        parse(&json!({"rateCard": card(), "account": account(), "usage": usage(100_000)})).unwrap();
    let mut g = c.benchmark_group("previewDrawdown");
    g.sample_size(10);
    g.bench_function("100k items (typed)", |b| {
        b.iter_batched(
            || (),
            |_| drawdown::preview_drawdown(black_box(&preview)).unwrap(),
            BatchSize::PerIteration,
        )
    });
    // The npm bench's mix (benches/node-bench.mjs): a summary preview, as the package's
    // prepared handle runs it.
    let summary: PreviewInput =
        parse(&serde_json::from_str::<Value>(&node_bench_mix()).unwrap()).unwrap();
    g.bench_function("100k items, npm bench mix, summary", |b| {
        b.iter(|| drawdown::drawdown::preview_answer(black_box(&summary)).unwrap())
    });
    // The same, its usage in time order: as the package's handle hands it to the core.
    let mut mix: Value = serde_json::from_str(&node_bench_mix()).unwrap();
    if let Some(u) = mix["usage"].as_array_mut() {
        u.sort_by_key(|u| u["at"].as_str().unwrap_or_default().to_string());
    }
    let sorted: PreviewInput = parse(&mix).unwrap();
    g.bench_function("100k items, npm bench mix, summary, in time order", |b| {
        b.iter(|| drawdown::drawdown::preview_answer(black_box(&sorted)).unwrap())
    });
    g.finish();
}

/// SEMANTICS 17: 90 days ahead from a 7-day basis of 20,000 items (the account above: a
/// plan renewing monthly, an expiring promotion, auto-reload, alerts). First, in a process
/// whose allocator the 100,000-item inputs have not churned yet.
fn runway(c: &mut Criterion) {
    let runway: drawdown::RunwayInput = parse(&runway_input(20_000)).unwrap();
    let mut g = c.benchmark_group("forecastRunway");
    g.sample_size(10);
    g.bench_function("90 days from a 7-day basis of 20k items (typed)", |b| {
        b.iter(|| drawdown::forecast_runway(black_box(&runway)).unwrap())
    });
    g.finish();
}

/// A forecast from 2026-03-08 of `n` basis items, one every 30 seconds over the week before.
pub fn runway_input(n: usize) -> Value {
    let start = chrono::DateTime::parse_from_rfc3339("2026-03-01T00:00:00Z").unwrap();
    let basis: Vec<Value> = usage(n)
        .into_iter()
        .enumerate()
        .map(|(i, mut u)| {
            let at = start + chrono::Duration::seconds(i as i64 * 604_800 / n as i64);
            u["at"] = json!(at.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
            u
        })
        .collect();
    json!({"rateCard": card(), "account": account(), "at": "2026-03-08T00:00:00Z", "basis": basis})
}

/// benches/node-bench.mjs's 100,000 items and account, summary detail.
fn node_bench_mix() -> String {
    let usage: Vec<Value> = (0..100_000)
        .map(|n| {
            let i = n % 1000;
            let at = format!("2026-03-{:02}T12:{:02}:00Z", 1 + i % 28, i % 60);
            if i % 3 == 0 {
                json!({"id": format!("m{n}"), "at": at, "kind": "chat", "agentId": "a1", "messages": 1 + i % 9})
            } else {
                json!({"id": format!("m{n}"), "at": at, "kind": "call", "agentId": "a1",
                       "call": {"direction": "outbound", "connectedSeconds": 30 + (i * 37) % 600}})
            }
        })
        .collect();
    json!({"rateCard": card(), "detail": "summary", "usage": usage, "account": {
        "timeZone": "America/New_York", "plan": {"id": "growth", "includedMinutes": 1000, "overagePerMinute": "7"},
        "grants": [{"id": "promo", "type": "promotional", "remaining": "50000", "priority": 10, "expiresAt": "2026-03-20T00:00:00Z"},
                   {"id": "wallet", "type": "prepaid", "remaining": "100000"}],
        "agents": {"a1": {"onPlanExhausted": "use_balance", "monthlyLimit": "900000"}}}})
    .to_string()
}

/// SEMANTICS 15's re-draw (issue 26 point 5): an account with 100,000 usage events over 35
/// days (and a top-up a week), and one late event dated before all of them, folded from the
/// checkpoint before it through every step.
fn redraw(c: &mut Criterion) {
    use drawdown::engine::redraw::{redraw, Step, Timed};
    let card: drawdown::model::RateCard = parse(&card()).unwrap();
    let mut account: drawdown::model::Account = parse(&account()).unwrap();
    account.auto_reload = None;
    let start = chrono::DateTime::parse_from_rfc3339("2026-02-25T00:00:00Z").unwrap();
    let n = 100_000;
    let mut steps: Vec<Timed> = usage(n)
        .into_iter()
        .enumerate()
        .map(|(i, mut u)| {
            let at = start + chrono::Duration::seconds(i as i64 * 35 * 86_400 / n as i64 + 60);
            u["at"] = json!(at.to_utc().format("%Y-%m-%dT%H:%M:%SZ").to_string());
            u["kind"] = if u["kind"] == "number" {
                json!("chat")
            } else {
                u["kind"].clone()
            };
            u["messages"] = if u["kind"] == "chat" {
                json!(3)
            } else {
                Value::Null
            };
            let u: drawdown::engine::drawdown::Usage = serde_json::from_value(u).unwrap();
            Timed {
                at: u.at,
                step: Step::Usage(u),
            }
        })
        .collect();
    for week in 0..5 {
        let at = drawdown::calendar::Instant(start.to_utc() + chrono::Duration::days(7 * week + 3));
        let g = drawdown::model::Grant::prepaid(
            format!("topup-{week}"),
            rust_decimal::Decimal::from(50_000),
            at,
        );
        steps.push(Timed {
            at,
            step: Step::Land(g),
        });
    }
    let late: drawdown::engine::drawdown::Usage = serde_json::from_value(json!({"id": "late", "at": "2026-02-25T00:00:30Z",
        "kind": "call", "agentId": "a1", "call": {"direction": "outbound", "connectedSeconds": 600}})).unwrap();
    steps.push(Timed {
        at: late.at,
        step: Step::Usage(late),
    });
    steps.sort_by_key(|s| s.at);
    let mut g = c.benchmark_group("redraw");
    g.sample_size(10);
    g.bench_function(
        "a late event before 100k events and 5 top-ups (typed)",
        |b| {
            b.iter(|| {
                redraw(
                    &card,
                    &[],
                    black_box(&account),
                    (black_box(&steps), &[]),
                    true,
                )
                .unwrap()
            })
        },
    );
    g.finish();
}

criterion_group!(engine, runway, redraw, benches);
criterion_main!(engine);
