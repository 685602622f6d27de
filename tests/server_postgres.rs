//! `drawdown serve` as operators run it on PostgreSQL (issue 11, items 2 and 3): it survives a
//! database restart under load, and several instances share one database without deadlocks,
//! double deliveries or lost idempotency. Needs the test command's PostgreSQL.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn postgres_available() -> bool {
    backends().contains(&"postgres")
}

/// A PostgreSQL cluster of the test's own (so stopping it disturbs no other test), run by
/// Debian's binaries as the `postgres` user, on loopback.
struct Cluster {
    bin: String,
    dir: String,
    port: u16,
}

impl Cluster {
    fn start(port: u16) -> Cluster {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .unwrap()
            .map(|e| e.unwrap().path().join("bin").display().to_string())
            .max()
            .unwrap();
        let dir = format!("/tmp/drawdown-pg-{port}-{}", std::process::id());
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let c = Cluster { bin, dir, port };
        Command::new("chown")
            .args(["postgres:", &c.dir])
            .status()
            .unwrap();
        assert!(c.pg(&[
            "initdb",
            "-D",
            &c.dir,
            "-U",
            "postgres",
            "--auth=trust",
            "-E",
            "UTF8"
        ]));
        c.up();
        c
    }
    fn pg(&self, args: &[&str]) -> bool {
        let tool = format!("{}/{}", self.bin, args[0]);
        let mut cmd = if is_root() {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", &tool]);
            c
        } else {
            Command::new(&tool)
        };
        cmd.args(&args[1..])
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap()
            .success()
    }
    fn up(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1",
            self.port, self.dir
        );
        let log = format!("{}/server.log", self.dir);
        assert!(self.pg(&["pg_ctl", "-D", &self.dir, "-l", &log, "-w", "-o", &opts, "start"]));
    }
    fn down(&self) {
        assert!(self.pg(&["pg_ctl", "-D", &self.dir, "-m", "fast", "-w", "stop"]));
    }
    fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let _ = self.pg(&["pg_ctl", "-D", &self.dir, "-m", "immediate", "stop"]);
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn status(s: &Server, path: &str) -> u16 {
    call("GET", &format!("{}{path}", s.url), None, None, None).status
}

/// Post one event until the server acknowledges it (same idempotency key every time), the
/// way a client with retries does. Returns the answers' statuses in order.
fn post_until_acknowledged(url: &str, key: &str, id: &str, deadline: Instant) -> Vec<u16> {
    let body = json!({ "events": [call_event(id, &instant(0), 60, false)] }).to_string();
    let mut seen = vec![];
    while Instant::now() < deadline {
        let r = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build()
            .post(&format!("{url}/usage"))
            .set("Authorization", &format!("Bearer {key}"))
            .set("Idempotency-Key", id)
            .set("Content-Type", "application/json")
            .send_string(&body);
        let code = match r {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(c, _)) => c,
            Err(_) => 0,
        };
        seen.push(code);
        if code == 200 {
            return seen;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("{id} never acknowledged: {seen:?}");
}

/// The wallet's balance, read as a client honouring `Retry-After` would.
fn balance(s: &Server, key: &str) -> Decimal {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let r = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(key),
            None,
            None,
        );
        if r.status != 503 || Instant::now() > deadline {
            assert_eq!(r.status, 200, "{}", r.body);
            return dec(&r.body["balance"]);
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// PostgreSQL stopped for a few seconds under load: meanwhile requests get 503 with
/// `Retry-After` and `/ready` says so while `/health` does not; afterwards the server serves
/// again by itself, and every acknowledged deduction is in the books exactly once.
#[test]
fn the_server_recovers_from_a_database_restart_under_load() {
    if !postgres_available() {
        return;
    }
    let pg = Cluster::start(55433);
    let s = Server::start(&pg.url(), &[]);
    let c = create_account(
        &s,
        "acme",
        json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000000" }] }),
        None,
    );
    let statuses = Arc::new(Mutex::new(Vec::<u16>::new()));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients: Vec<_> = (0..8)
        .map(|t| {
            let (url, key, statuses, stop) =
                (s.url.clone(), c.key.clone(), statuses.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let id = format!("t{t}-{n}");
                    let seen = post_until_acknowledged(
                        &url,
                        &key,
                        &id,
                        Instant::now() + Duration::from_secs(60),
                    );
                    statuses.lock().unwrap().extend(seen);
                    n += 1;
                }
                n
            })
        })
        .collect();
    std::thread::sleep(Duration::from_secs(1));
    pg.down();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(status(&s, "/health"), 200, "the process lives");
    let ready = call("GET", &format!("{}/ready", s.url), None, None, None);
    assert_eq!(
        (ready.status, ready.body["error"]["code"].as_str()),
        (503, Some("store_unavailable"))
    );
    std::thread::sleep(Duration::from_secs(3));
    pg.up();
    let back = Instant::now();
    while status(&s, "/ready") != 200 {
        assert!(
            back.elapsed() < Duration::from_secs(20),
            "the server never came back"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let acknowledged: u64 = clients.into_iter().map(|t| t.join().unwrap()).sum();
    let statuses = statuses.lock().unwrap().clone();
    assert!(
        statuses.contains(&503),
        "the outage was seen as 503s: {statuses:?}"
    );
    assert!(
        statuses.iter().all(|c| [0, 200, 503].contains(c)),
        "{statuses:?}"
    );
    // Each acknowledged 60 s call cost 9 credits, once.
    assert_eq!(
        balance(&s, &c.read_key),
        Decimal::from(1_000_000 - 9 * acknowledged as i64)
    );
    let (mut usage, mut after) = (BTreeSet::new(), 0);
    loop {
        let page = call(
            "GET",
            &format!("{}/billing/ledger?after={after}&limit=1000", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        let entries = page.body["entries"].as_array().unwrap().clone();
        let Some(last) = entries.last() else { break };
        after = last["seq"].as_i64().unwrap();
        for e in entries.iter().filter(|e| e["kind"] == "usage") {
            assert!(
                usage.insert(e["reference"].as_str().unwrap().to_string()),
                "{e}: recorded twice"
            );
        }
    }
    assert_eq!(
        usage.len() as u64,
        acknowledged,
        "every acknowledged deduction, once"
    );
}

/// Instances started together on an empty database all come up (migrations take a lock),
/// and two instances on eight accounts with racing replays answer no 5xx and keep every
/// balance exact; the same idempotency key raced to both returns the one recorded answer.
#[test]
fn two_instances_share_one_database() {
    if !postgres_available() {
        return;
    }
    let db = fresh_store("postgres");
    let starting: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || Server::start(&db, &[]))
        })
        .collect();
    let servers: Vec<Server> = starting
        .into_iter()
        .map(|t| t.join().expect("an instance failed to start"))
        .collect();
    let accounts: Vec<Creds> = (0..8)
        .map(|i| {
            create_account(
                &servers[0],
                &format!("acct{i}"),
                json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100000" }] }),
                None,
            )
        })
        .collect();
    let urls: Vec<String> = servers.iter().take(2).map(|s| s.url.clone()).collect();
    let keys: Vec<String> = accounts.iter().map(|c| c.key.clone()).collect();
    let answers = Arc::new(Mutex::new(BTreeMap::<String, Vec<(u16, Value)>>::new()));
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let (urls, keys, answers) = (urls.clone(), keys.clone(), answers.clone());
            std::thread::spawn(move || {
                for n in 0..40 {
                    let account = (t + n) % 8;
                    // Every event is sent to both instances at once: a racing replay.
                    let id = format!("a{account}-t{t}-{n}");
                    let body =
                        json!({ "events": [call_event(&id, &instant(0), 60, false)] }).to_string();
                    let both: Vec<_> = urls
                        .iter()
                        .map(|u| {
                            let (u, k, id, body) =
                                (u.clone(), keys[account].clone(), id.clone(), body.clone());
                            std::thread::spawn(move || {
                                let r = ureq::post(&format!("{u}/usage"))
                                    .set("Authorization", &format!("Bearer {k}"))
                                    .set("Idempotency-Key", &id)
                                    .set("Content-Type", "application/json")
                                    .send_string(&body);
                                match r {
                                    Ok(r) => (r.status(), r.into_json::<Value>().unwrap()),
                                    Err(ureq::Error::Status(c, r)) => {
                                        (c, r.into_json::<Value>().unwrap_or(Value::Null))
                                    }
                                    Err(e) => panic!("{e}"),
                                }
                            })
                        })
                        .collect();
                    let got: Vec<(u16, Value)> =
                        both.into_iter().map(|h| h.join().unwrap()).collect();
                    answers.lock().unwrap().insert(id, got);
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    let answers = answers.lock().unwrap().clone();
    let mut per_account = BTreeMap::<usize, i64>::new();
    for (id, got) in &answers {
        assert!(got.iter().all(|(c, _)| *c == 200), "{id}: {got:?}");
        assert_eq!(
            got[0].1, got[1].1,
            "{id}: both instances answer the one recorded answer"
        );
        let account: usize = id[1..2].parse().unwrap();
        *per_account.entry(account).or_default() += 1;
    }
    for (i, c) in accounts.iter().enumerate() {
        let n = per_account[&i];
        for s in &servers {
            assert_eq!(
                balance(s, &c.read_key),
                Decimal::from(100_000 - 9 * n),
                "acct{i}"
            );
        }
    }
}

/// Each alert is delivered once although two instances deliver from one outbox.
#[test]
fn two_instances_deliver_each_webhook_once() {
    if !postgres_available() {
        return;
    }
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let hook = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let mut conn = conn.unwrap();
            let g = g.clone();
            std::thread::spawn(move || {
                let mut buf = vec![0u8; 65536];
                let mut req = Vec::new();
                loop {
                    let k = conn.read(&mut buf).unwrap_or(0);
                    req.extend_from_slice(&buf[..k]);
                    let text = String::from_utf8_lossy(&req).to_string();
                    if k == 0 || text.ends_with('}') {
                        break;
                    }
                }
                let text = String::from_utf8_lossy(&req).to_string();
                let body = text.split("\r\n\r\n").nth(1).unwrap_or("").to_string();
                let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n");
                if let Ok(v) = serde_json::from_str::<Value>(&body) {
                    g.lock()
                        .unwrap()
                        .push(v["id"].as_str().unwrap_or("").to_string());
                }
            });
        }
    });
    let db = fresh_store("postgres");
    let a = Server::start(&db, &["--allow-private-webhooks"]);
    let b = Server::start(&db, &["--allow-private-webhooks"]);
    let mut events = 0;
    for i in 0..6 {
        let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100" }],
            "alerts": { "info": { "threshold": "90" }, "warning": { "threshold": "80" }, "critical": { "threshold": "70" } } });
        let c = create_account(&a, &format!("hook{i}"), account, Some(&hook));
        for n in 0..3 {
            let r = post_usage(
                if n % 2 == 0 { &a } else { &b },
                &c.key,
                &format!("u{n}"),
                &[call_event(&format!("u{n}"), &instant(0), 70, false)],
            );
            assert_eq!(r.status, 200, "{}", r.body);
            events += r.body["alerts"].as_array().unwrap().len();
        }
    }
    assert!(events >= 12, "{events}");
    let deadline = Instant::now() + Duration::from_secs(20);
    while got.lock().unwrap().len() < events && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(100));
    }
    std::thread::sleep(Duration::from_secs(1));
    let got = got.lock().unwrap().clone();
    let distinct: BTreeSet<&String> = got.iter().collect();
    assert_eq!(
        (got.len(), distinct.len()),
        (events, events),
        "each event once: {got:?}"
    );
}
