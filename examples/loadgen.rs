//! Load benchmark for `drawdown serve`: concurrent clients on loopback, each recording usage
//! events (one durable deduction per request, each with its own idempotency key), bounded in
//! count and in time. Prints deductions per second and latency percentiles for each store,
//! and checks afterwards that every account fell by exactly what was acknowledged.
//!
//!   cargo run --release --features server --example loadgen -- [--requests N] [--seconds S]
//!       [--clients C] [--accounts A] [--instances I] [--report-clients R] [--postgres URL]
//!       [--only-postgres] [--calls] [--health-clients H [--churn]]
//!
//! `--calls` runs live calls instead (issue 12): each client loops start (a 60-second
//! quota), extend (60 more), end at 120 seconds, so one call is three requests and 18 credits;
//! it prints calls per second and each route's latency, and checks that the wallet fell by
//! 18 per ended call with nothing left held.
//! `--instances` starts that many servers on the one database (PostgreSQL) and spreads the
//! clients over them; `--report-clients` adds clients that loop the full-year usage report
//! meanwhile (reads must not slow deductions); `--health-clients` adds clients that loop
//! `GET /health`, each request on a new connection with `--churn`.
//! It starts `target/release/drawdown serve` itself (build it first) on a fresh store.

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

const ADMIN: &str = "loadgen-admin-token-0123456789abcdef";
/// Each request records one 61-second outbound call: 18 credits on the demo card.
const COST: i64 = 18;
const OPENING: i64 = 100_000_000;

struct Opts {
    requests: usize,
    seconds: u64,
    clients: usize,
    accounts: usize,
    instances: usize,
    report_clients: usize,
    /// Clients looping `GET /health` beside the load, and whether each of their requests
    /// opens a new connection (`--churn`) or reuses one.
    health_clients: usize,
    churn: bool,
    /// ... and (`--unread`) drop each answer unread, as the first report clients did.
    unread: bool,
    postgres: Option<String>,
    only_postgres: bool,
    calls: bool,
}

fn main() {
    let mut o = Opts {
        requests: 40_000,
        seconds: 20,
        clients: 64,
        accounts: 1,
        instances: 1,
        report_clients: 0,
        health_clients: 0,
        churn: false,
        unread: false,
        postgres: None,
        only_postgres: false,
        calls: false,
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        if a == "--only-postgres" {
            o.only_postgres = true;
            continue;
        }
        if a == "--churn" {
            o.churn = true;
            continue;
        }
        if a == "--unread" {
            o.unread = true;
            continue;
        }
        if a == "--calls" {
            o.calls = true;
            continue;
        }
        let v = it.next().cloned().unwrap_or_default();
        let n = || {
            v.parse::<usize>()
                .unwrap_or_else(|_| panic!("{a} takes a number"))
        };
        match a.as_str() {
            "--requests" => o.requests = n(),
            "--seconds" => o.seconds = n() as u64,
            "--clients" => o.clients = n(),
            "--accounts" => o.accounts = n().max(1),
            "--instances" => o.instances = n().max(1),
            "--report-clients" => o.report_clients = n(),
            "--health-clients" => o.health_clients = n(),
            "--postgres" => o.postgres = Some(v),
            _ => panic!("unknown option {a}"),
        }
    }
    if o.calls {
        println!("| store | instances | clients | calls | seconds | calls/s | requests/s | start p50/p99 ms | extend p50/p99 ms | end p50/p99 ms |");
        println!("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
    } else {
        println!("| store | instances | accounts | clients | report clients | deductions | seconds | deductions/s | p50 ms | p99 ms | max ms | reports |");
        println!(
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
        );
    }
    let dir = std::env::temp_dir().join(format!("drawdown-loadgen-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    if !o.only_postgres {
        let url = format!("sqlite:{}", dir.join("load.db").display());
        if o.calls {
            run_calls(&o, "sqlite", &url, 1);
        } else {
            run(&o, "sqlite", &url, 1);
        }
    }
    if let Some(base) = &o.postgres {
        let mut c =
            postgres::Client::connect(base, postgres::NoTls).expect("connect to PostgreSQL");
        let db = format!("dd_test_load_{}", std::process::id());
        c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
        let (head, _) = base.rsplit_once('/').unwrap();
        let url = format!("{head}/{db}");
        if o.calls {
            run_calls(&o, "postgres", &url, o.instances);
        } else {
            run(&o, "postgres", &url, o.instances);
        }
        let _ = c.batch_execute(&format!("DROP DATABASE IF EXISTS {db} WITH (FORCE)"));
    }
    let _ = std::fs::remove_dir_all(&dir);
}

struct Instance {
    child: Child,
    base: String,
}

impl Drop for Instance {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start(url: &str) -> Instance {
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
    Instance { child, base }
}

fn create_accounts(base: &str, n: usize) -> Vec<String> {
    let card: Value = serde_json::from_str(include_str!("demo-rate-card.json")).unwrap();
    (0..n)
        .map(|i| {
            let created: Value = ureq::post(&format!("{base}/admin/accounts"))
                .set("Authorization", &format!("Bearer {ADMIN}"))
                .send_json(json!({ "id": format!("load{i}"), "rateCard": card,
                    "account": { "grants": [{ "id": "w", "type": "prepaid", "remaining": OPENING.to_string() }] } }))
                .expect("create the account")
                .into_json()
                .unwrap();
            created["apiKey"].as_str().unwrap().to_string()
        })
        .collect()
}

/// One client: deductions until the shared count or the deadline runs out.
fn deduct(
    bases: Vec<String>,
    keys: Arc<Vec<String>>,
    next: Arc<AtomicUsize>,
    total: usize,
    deadline: Instant,
    at: String,
) -> Vec<(usize, Duration)> {
    let agent = ureq::AgentBuilder::new().build();
    let mut lat = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= deadline {
            return lat;
        }
        let (account, base) = (i % keys.len(), &bases[i % bases.len()]);
        let body = json!({ "events": [{ "id": format!("u{i}"), "at": at,
            "kind": "call", "agentId": "a1", "call": { "direction": "outbound", "connectedSeconds": 61 } }] });
        let t = Instant::now();
        let r = agent
            .post(&format!("{base}/usage"))
            .set("Authorization", &format!("Bearer {}", keys[account]))
            .set("Idempotency-Key", &format!("u{i}"))
            .send_json(body);
        assert!(r.is_ok(), "request {i} failed: {:?}", r.err());
        lat.push((account, t.elapsed()));
    }
}

/// One health client: `GET /health` in a loop, on one kept connection or (`churn`) a new
/// connection per request, as a client that drops each answer unread would open.
fn health(base: String, (churn, unread): (bool, bool), stop: Arc<AtomicBool>) -> usize {
    let kept = ureq::AgentBuilder::new().build();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let agent = if churn {
            ureq::AgentBuilder::new().build()
        } else {
            kept.clone()
        };
        let r = agent.get(&format!("{base}/health")).call();
        let r = r.unwrap_or_else(|e| panic!("health failed: {e}"));
        if !unread {
            assert!(
                r.into_string().is_ok_and(|t| t.contains("ok")),
                "the health check answered"
            );
        }
        n += 1;
    }
    n
}

/// One report client: the full-year usage report (`/billing/usage` over 365 days), in a loop.
fn report(base: String, key: String, unread: bool, stop: Arc<AtomicBool>) -> usize {
    let agent = ureq::AgentBuilder::new().build();
    let today = drawdown::server::now().0.date_naive();
    let from = today - chrono::Duration::days(364);
    let url = format!("{base}/billing/usage?from={from}&to={today}");
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        let r = agent
            .get(&url)
            .set("Authorization", &format!("Bearer {key}"))
            .call();
        let r = r.unwrap_or_else(|e| panic!("report failed: {e}"));
        n += 1;
        if unread {
            continue;
        }
        // Read the whole answer, so the connection is kept and reused (as a client would).
        let text = r.into_string();
        assert!(
            text.is_ok_and(|t| t.contains("totalCredits")),
            "the report answered"
        );
    }
    n
}

fn run(o: &Opts, name: &str, url: &str, instances: usize) {
    let servers: Vec<Instance> = (0..instances).map(|_| start(url)).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let keys = Arc::new(create_accounts(&bases[0], o.accounts));
    // Usage is dated now: the server refuses instants outside its window (SEMANTICS 14).
    let at = drawdown::server::now().to_string();
    let next = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let start = Instant::now();
    let readers: Vec<_> = (0..o.report_clients)
        .map(|i| {
            let (base, key, stop) = (
                bases[i % bases.len()].clone(),
                keys[0].clone(),
                stop.clone(),
            );
            let unread = o.unread;
            std::thread::spawn(move || report(base, key, unread, stop))
        })
        .collect();
    let healthy: Vec<_> = (0..o.health_clients)
        .map(|i| {
            let (base, stop, how) = (
                bases[i % bases.len()].clone(),
                stop.clone(),
                (o.churn, o.unread),
            );
            std::thread::spawn(move || health(base, how, stop))
        })
        .collect();
    let threads: Vec<_> = (0..o.clients)
        .map(|_| {
            let (bases, keys, next, at) = (bases.clone(), keys.clone(), next.clone(), at.clone());
            let total = o.requests;
            std::thread::spawn(move || deduct(bases, keys, next, total, deadline, at))
        })
        .collect();
    let done: Vec<(usize, Duration)> = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let secs = start.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let reports: usize = readers.into_iter().map(|t| t.join().unwrap()).sum();
    let checks: usize = healthy.into_iter().map(|t| t.join().unwrap()).sum();
    if o.health_clients > 0 {
        let how = match (o.churn, o.unread) {
            (_, true) => "each answer dropped unread",
            (true, _) => "a new connection each",
            _ => "kept connections",
        };
        println!(
            "{name}: {} health clients, {how}: {checks} checks ({:.0}/s)",
            o.health_clients,
            checks as f64 / secs
        );
    }
    let mut lat: Vec<Duration> = done.iter().map(|d| d.1).collect();
    lat.sort();
    let pct =
        |p: f64| lat[((lat.len() as f64 * p) as usize).min(lat.len() - 1)].as_secs_f64() * 1e3;
    // Every acknowledged deduction is in the books: each wallet fell by exactly 18 each.
    for (i, key) in keys.iter().enumerate() {
        let w: Value = ureq::get(&format!("{}/billing/wallet", bases[0]))
            .set("Authorization", &format!("Bearer {key}"))
            .call()
            .unwrap()
            .into_json()
            .unwrap();
        let n = done.iter().filter(|d| d.0 == i).count() as i64;
        let bal: rust_decimal::Decimal = w["balance"].as_str().unwrap().parse().unwrap();
        assert_eq!(
            bal,
            rust_decimal::Decimal::from(OPENING - COST * n),
            "{name}: account {i} after the load"
        );
    }
    println!(
        "| {name} | {instances} | {} | {} | {} | {} | {secs:.1} | {:.0} | {:.2} | {:.2} | {:.2} | {reports} |",
        o.accounts,
        o.clients,
        o.report_clients,
        lat.len(),
        lat.len() as f64 / secs,
        pct(0.50),
        pct(0.99),
        lat.last().unwrap().as_secs_f64() * 1e3
    );
}

/// Latencies of one client's live calls: (start, extend, end) per call.
type CallTimes = Vec<[Duration; 3]>;

/// One client: live calls (start, extend, end at 120 s) until the count or the deadline.
fn live_calls(
    bases: Vec<String>,
    key: String,
    next: Arc<AtomicUsize>,
    total: usize,
    deadline: Instant,
) -> CallTimes {
    let agent = ureq::AgentBuilder::new().build();
    let mut out = Vec::new();
    loop {
        let i = next.fetch_add(1, Ordering::Relaxed);
        if i >= total || Instant::now() >= deadline {
            return out;
        }
        let base = &bases[i % bases.len()];
        let post = |path: String, body: Value| -> Duration {
            let t = Instant::now();
            let r = agent
                .post(&format!("{base}{path}"))
                .set("Authorization", &format!("Bearer {key}"))
                .send_json(body);
            assert!(r.is_ok(), "call {i} {path} failed: {:?}", r.err());
            t.elapsed()
        };
        let start = post(
            "/calls".into(),
            json!({ "id": format!("c{i}"), "direction": "outbound", "quotaSeconds": 60 }),
        );
        let extend = post(format!("/calls/c{i}/extend"), json!({ "quotaSeconds": 60 }));
        let end = post(
            format!("/calls/c{i}/end"),
            json!({ "connectedSeconds": 120 }),
        );
        out.push([start, extend, end]);
    }
}

fn run_calls(o: &Opts, name: &str, url: &str, instances: usize) {
    let servers: Vec<Instance> = (0..instances).map(|_| start(url)).collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let key = create_accounts(&bases[0], 1).remove(0);
    let next = Arc::new(AtomicUsize::new(0));
    let deadline = Instant::now() + Duration::from_secs(o.seconds);
    let begun = Instant::now();
    let threads: Vec<_> = (0..o.clients)
        .map(|_| {
            let (bases, key, next, total) =
                (bases.clone(), key.clone(), next.clone(), o.requests / 3);
            std::thread::spawn(move || live_calls(bases, key, next, total, deadline))
        })
        .collect();
    let done: CallTimes = threads
        .into_iter()
        .flat_map(|t| t.join().unwrap())
        .collect();
    let secs = begun.elapsed().as_secs_f64();
    let w: Value = ureq::get(&format!("{}/billing/wallet", bases[0]))
        .set("Authorization", &format!("Bearer {key}"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    let dec = |v: &Value| {
        v.as_str()
            .unwrap()
            .parse::<rust_decimal::Decimal>()
            .unwrap()
    };
    assert_eq!(
        dec(&w["balance"]),
        rust_decimal::Decimal::from(OPENING - COST * done.len() as i64),
        "{name}: the wallet after the calls"
    );
    assert!(
        dec(&w["held"]).is_zero(),
        "{name}: nothing held after every call ended"
    );
    let pct = |k: usize| {
        let mut l: Vec<Duration> = done.iter().map(|d| d[k]).collect();
        l.sort();
        let at = |p: f64| l[((l.len() as f64 * p) as usize).min(l.len() - 1)].as_secs_f64() * 1e3;
        format!("{:.2} / {:.2}", at(0.5), at(0.99))
    };
    println!(
        "| {name} | {instances} | {} | {} | {secs:.1} | {:.0} | {:.0} | {} | {} | {} |",
        o.clients,
        done.len(),
        done.len() as f64 / secs,
        3.0 * done.len() as f64 / secs,
        pct(0),
        pct(1),
        pct(2)
    );
}
