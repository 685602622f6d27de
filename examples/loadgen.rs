//! Load benchmark for `drawdown serve`: 64 concurrent clients on loopback, each recording
//! usage events (one durable deduction per request, each with its own idempotency key) on
//! one account, bounded in count and in time. Prints deductions per second and latency
//! percentiles for each store.
//!
//!   cargo run --release --features server --example loadgen -- [--requests N] [--seconds S]
//!       [--clients C] [--postgres URL]
//!
//! It starts `target/release/drawdown serve` itself (build it first) on a fresh store.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "loadgen-admin-token-0123456789abcdef";

struct Opts {
    requests: usize,
    seconds: u64,
    clients: usize,
    postgres: Option<String>,
}

fn main() {
    let mut o = Opts {
        requests: 40_000,
        seconds: 20,
        clients: 64,
        postgres: None,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let v = it.next().cloned().unwrap_or_default();
        match a.as_str() {
            "--requests" => o.requests = v.parse().expect("--requests N"),
            "--seconds" => o.seconds = v.parse().expect("--seconds S"),
            "--clients" => o.clients = v.parse().expect("--clients C"),
            "--postgres" => o.postgres = Some(v),
            _ => panic!("unknown option {a}"),
        }
    }
    println!(
        "| store | clients | deductions | seconds | deductions/s | p50 ms | p99 ms | max ms |"
    );
    println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    let dir = std::env::temp_dir().join(format!("drawdown-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    run(
        &o,
        "sqlite",
        &format!("sqlite:{}", dir.join("load.db").display()),
    );
    if let Some(base) = &o.postgres {
        let mut c =
            postgres::Client::connect(base, postgres::NoTls).expect("connect to PostgreSQL");
        let db = format!("dd_test_load_{}", std::process::id());
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        run(&o, "postgres", &format!("{head}/{db}"));
        drop(c);
    }
    let _ = std::fs::remove_dir_all(&dir);
}

fn run(o: &Opts, name: &str, url: &str) {
    let exe = std::env::var("DRAWDOWN_BIN").unwrap_or_else(|_| "target/release/drawdown".into());
    let mut child = Command::new(exe)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            url,
            "--admin-token",
            ADMIN,
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start the server (cargo build --release --features server)");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let base = loop {
        let l = lines.next().expect("server exited").unwrap();
        if let Some(u) = l.split("listening on ").nth(1) {
            break u.trim().to_string();
        }
    };
    std::thread::spawn(move || for _ in lines {});
    let card: Value = serde_json::from_str(include_str!("demo-rate-card.json")).unwrap();
    let created: Value = ureq::post(&format!("{base}/admin/accounts"))
        .set("Authorization", &format!("Bearer {ADMIN}"))
        .send_json(json!({ "id": "load", "rateCard": card,
            "account": { "grants": [{ "id": "w", "type": "prepaid", "remaining": "100000000" }] } }))
        .expect("create the account")
        .into_json()
        .unwrap();
    let key = created["apiKey"].as_str().unwrap().to_string();
    // Usage is dated now: the server refuses instants outside its window (SEMANTICS 14).
    let at = drawdown::server::now().to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let start = Instant::now();
    let threads: Vec<_> = (0..o.clients)
        .map(|_| {
            let (base, key, next, total) = (base.clone(), key.clone(), next.clone(), o.requests);
            let at = at.clone();
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                let mut lat = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= total || Instant::now() >= deadline {
                        return lat;
                    }
                    let body = json!({ "events": [{ "id": format!("u{i}"), "at": at,
                        "kind": "call", "agentId": "a1", "call": { "direction": "outbound", "connectedSeconds": 61 } }] });
                    let t = Instant::now();
                    let r = agent
                        .post(&format!("{base}/usage"))
                        .set("Authorization", &format!("Bearer {key}"))
                        .set("Idempotency-Key", &format!("u{i}"))
                        .send_json(body);
                    assert!(r.is_ok(), "request {i} failed: {:?}", r.err());
                    lat.push(t.elapsed());
                }
            })
        })
        .collect();
    let mut lat: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let secs = start.elapsed().as_secs_f64();
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3;
    // Every acknowledged deduction is in the ledger: the wallet fell by exactly 18 each.
    let w: Value = ureq::get(&format!("{base}/billing/wallet"))
        .set("Authorization", &format!("Bearer {key}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let expect = 100_000_000 - 18 * lat.len() as i64;
    let bal: rust_decimal::Decimal = w["balance"].as_str().unwrap().parse().unwrap();
    assert_eq!(
        bal,
        rust_decimal::Decimal::from(expect),
        "{name}: balance after the load"
    );
    println!(
        "| {name} | {} | {} | {secs:.1} | {:.0} | {:.2} | {:.2} | {:.2} |",
        o.clients,
        lat.len(),
        lat.len() as f64 / secs,
        pct(0.50),
        pct(0.99),
        lat.last().unwrap().as_secs_f64() * 1e3
    );
    let _ = child.kill();
    let _ = child.wait();
}
