//! Helpers for the server tests: start `drawdown serve` on a fresh store (SQLite file or a
//! fresh PostgreSQL database), create accounts, and make HTTP calls.
#![allow(dead_code)]

use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};

/// At least `auth::MIN_ADMIN_TOKEN` (32) characters: the server refuses shorter ones.
pub const ADMIN: &str = "test-admin-token-0123456789abcdef";

/// The stores to test against: SQLite always; PostgreSQL when `DRAWDOWN_TEST_POSTGRES` names
/// a server (the test command starts one). `DRAWDOWN_REQUIRE_POSTGRES=1` makes its absence
/// a failure rather than a skip.
pub fn backends() -> Vec<&'static str> {
    let mut b = vec!["sqlite"];
    if std::env::var("DRAWDOWN_TEST_POSTGRES").is_ok() {
        b.push("postgres");
    } else if std::env::var("DRAWDOWN_REQUIRE_POSTGRES").is_ok() {
        panic!("DRAWDOWN_REQUIRE_POSTGRES is set but DRAWDOWN_TEST_POSTGRES is not");
    }
    b
}

static N: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty store of the given kind; returns its `--database-url`.
pub fn fresh_store(kind: &str) -> String {
    let n = N.fetch_add(1, Ordering::SeqCst);
    let tag = format!(
        "{}_{}_{n}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos()
            % 1_000_000_000
    );
    match kind {
        "sqlite" => {
            let dir = std::env::temp_dir().join("drawdown-tests");
            std::fs::create_dir_all(&dir).unwrap();
            format!("sqlite:{}", dir.join(format!("t{tag}.db")).display())
        }
        _ => {
            let base = std::env::var("DRAWDOWN_TEST_POSTGRES").unwrap();
            let mut c = postgres::Client::connect(&base, postgres::NoTls).unwrap();
            let db = format!("dd_test_{tag}");
            c.batch_execute(&format!("CREATE DATABASE {db}")).unwrap();
            let (head, _) = base.rsplit_once('/').unwrap();
            format!("{head}/{db}")
        }
    }
}

pub struct Server {
    pub child: Child,
    pub url: String,
    pub db: String,
    pub args: Vec<String>,
}

impl Server {
    /// Start a server on `db`. The tests that replay dated scenarios (March 2026) widen the
    /// usage window (SEMANTICS 14) unless they set it themselves.
    pub fn start(db: &str, extra: &[&str]) -> Server {
        let mut args: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        if !args.iter().any(|a| a == "--usage-max-age") {
            args.extend(["--usage-max-age".into(), "36500d".into()]);
        }
        let mut child = Command::new(env!("CARGO_BIN_EXE_drawdown"))
            .args([
                "serve",
                "--addr",
                "127.0.0.1:0",
                "--database-url",
                db,
                "--admin-token",
                ADMIN,
            ])
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start drawdown serve");
        let out = child.stdout.take().unwrap();
        let mut lines = BufReader::new(out).lines();
        let url = loop {
            let line = lines
                .next()
                .expect("server exited before listening")
                .unwrap();
            if let Some(rest) = line.split("listening on ").nth(1) {
                break rest.trim().to_string();
            }
        };
        std::thread::spawn(move || for _ in lines {});
        Server {
            child,
            url,
            db: db.to_string(),
            args,
        }
    }
    pub fn restart(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let extra: Vec<&str> = self.args.iter().map(String::as_str).collect();
        *self = Server::start(&self.db.clone(), &extra);
    }
    pub fn kill9(&mut self) {
        // SIGKILL: no shutdown hook, no flush; only committed data survives.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug, Clone)]
pub struct Resp {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

pub fn call(
    method: &str,
    url: &str,
    auth: Option<&str>,
    key: Option<&str>,
    body: Option<&str>,
) -> Resp {
    call_ct(method, url, auth, key, body, "application/json")
}

pub fn call_ct(
    method: &str,
    url: &str,
    auth: Option<&str>,
    key: Option<&str>,
    body: Option<&str>,
    ct: &str,
) -> Resp {
    let agent = agent();
    let mut r = agent.request(method, url);
    if let Some(a) = auth {
        r = r.set("Authorization", &authorization(a));
    }
    if let Some(k) = key {
        r = r.set("Idempotency-Key", k);
    }
    let res = match body {
        Some(b) => r.set("Content-Type", ct).send_string(b),
        None => r.call(),
    };
    let resp = match res {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("{method} {url}: {e}"),
    };
    let status = resp.status();
    let replayed = resp.header("idempotent-replayed") == Some("true");
    let text = resp.into_string().unwrap_or_default();
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    Resp {
        status,
        body,
        replayed,
    }
}

/// The `Authorization` header for a credential: sessions under `Session`, keys under `Bearer`.
pub fn authorization(token: &str) -> String {
    if token.starts_with("dd_sess_") {
        format!("Session {token}")
    } else {
        format!("Bearer {token}")
    }
}

thread_local! {
    static AGENT: ureq::Agent = ureq::AgentBuilder::new().timeout(std::time::Duration::from_secs(30)).build();
}

fn agent() -> ureq::Agent {
    AGENT.with(|a| a.clone())
}

pub fn card() -> Value {
    serde_json::from_str(include_str!("../../examples/demo-rate-card.json")).unwrap()
}

pub struct Creds {
    pub id: String,
    pub key: String,
    /// A key with `billing:credit` (minting credits is its own scope).
    pub credit_key: String,
    pub read_key: String,
    pub session: String,
    pub webhook_secret: String,
}

pub fn create_account(s: &Server, id: &str, account: Value, webhook: Option<&str>) -> Creds {
    let body = json!({ "id": id, "rateCard": card(), "account": account, "webhookUrl": webhook });
    let r = call(
        "POST",
        &format!("{}/admin/accounts", s.url),
        Some(ADMIN),
        None,
        Some(&body.to_string()),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    Creds {
        credit_key: issue_key(s, id, "billing:credit"),
        id: id.into(),
        key: r.body["apiKey"].as_str().unwrap().into(),
        read_key: r.body["readKey"].as_str().unwrap().into(),
        session: r.body["sessionToken"].as_str().unwrap().into(),
        webhook_secret: r.body["webhookSecret"].as_str().unwrap().into(),
    }
}

/// A new API key of account `id` with one scope.
pub fn issue_key(s: &Server, id: &str, scope: &str) -> String {
    let body = serde_json::json!({ "kind": "key", "scopes": [scope] }).to_string();
    let k = call(
        "POST",
        &format!("{}/admin/accounts/{id}/credentials", s.url),
        Some(ADMIN),
        None,
        Some(&body),
    );
    assert_eq!(k.status, 201, "{}", k.body);
    k.body["token"].as_str().unwrap().into()
}

pub fn call_event(id: &str, at: &str, secs: u64, tf: bool) -> Value {
    json!({ "id": id, "at": at, "kind": "call", "agentId": "a1",
            "call": { "direction": if tf { "inbound" } else { "outbound" }, "tollFree": tf, "connectedSeconds": secs } })
}

/// `method` `path` with credential `key`, and a JSON body if any.
pub fn send(s: &Server, method: &str, key: &str, path: &str, body: Option<Value>) -> Resp {
    let body = body.map(|b| b.to_string());
    call(
        method,
        &format!("{}{path}", s.url),
        Some(key),
        None,
        body.as_deref(),
    )
}

/// `POST` `body` to `path` with credential `key`.
pub fn post(s: &Server, key: &str, path: &str, body: Value) -> Resp {
    send(s, "POST", key, path, Some(body))
}

/// An error answer's status, code and field (empty strings where it names none).
pub fn error_of(r: &Resp) -> (u16, &str, &str) {
    let e = &r.body["error"];
    (
        r.status,
        e["code"].as_str().unwrap_or(""),
        e["field"].as_str().unwrap_or(""),
    )
}

pub fn post_usage(s: &Server, key: &str, idem: &str, events: &[Value]) -> Resp {
    let body = json!({ "events": events }).to_string();
    call(
        "POST",
        &format!("{}/usage", s.url),
        Some(key),
        Some(idem),
        Some(&body),
    )
}

pub fn dec(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("not a decimal string: {v}"))
        .parse()
        .unwrap()
}

/// The server's clock moved by `offset_secs`, as a whole-second RFC 3339 instant (usage is
/// dated within the server's window, SEMANTICS 14).
pub fn instant(offset_secs: i64) -> String {
    let t = drawdown::server::now().0 + chrono::Duration::seconds(offset_secs);
    t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
}

/// Move the clock of a server started with `--test-clock` ahead by `secs` (time is an input
/// of the tests: a hold lapses because the clock says so, not because the test slept).
/// Answers the server's new now.
pub fn advance_clock(s: &Server, secs: i64) -> String {
    let body = json!({ "advanceSeconds": secs }).to_string();
    let r = call(
        "POST",
        &format!("{}/admin/clock", s.url),
        Some(ADMIN),
        None,
        Some(&body),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["now"].as_str().unwrap().to_string()
}

/// An account `id` whose only grant is a prepaid wallet (`w`) of `credits`, no webhook.
pub fn wallet_account(s: &Server, id: &str, credits: &str) -> Creds {
    let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": credits }] });
    create_account(s, id, account, None)
}

/// Every ledger entry of the account, in order, through `GET /billing/ledger`'s pages.
pub fn ledger_entries(s: &Server, key: &str) -> Vec<Value> {
    let mut out: Vec<Value> = vec![];
    loop {
        let after = out.last().map_or(0, |e| e["seq"].as_i64().unwrap());
        let url = format!("{}/billing/ledger?after={after}&limit=1000", s.url);
        let r = call("GET", &url, Some(key), None, None);
        assert_eq!(r.status, 200, "{}", r.body);
        let page = r.body["entries"].as_array().unwrap().clone();
        if page.is_empty() {
            return out;
        }
        out.extend(page);
    }
}

/// `GET /billing/wallet`'s answer.
pub fn wallet(s: &Server, key: &str) -> Value {
    let r = call(
        "GET",
        &format!("{}/billing/wallet", s.url),
        Some(key),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body
}

/// SEMANTICS 15 "The ledger chains": entries numbered 1, 2, 3, ... without gaps, each
/// `balanceBefore` the previous `balanceAfter`, the last `balanceAfter` the wallet's balance.
/// Answers the entries.
pub fn assert_ledger_chains(s: &Server, key: &str, what: &str) -> Vec<Value> {
    let entries = ledger_entries(s, key);
    for (i, e) in entries.iter().enumerate() {
        assert_eq!(
            e["seq"].as_i64(),
            Some(i as i64 + 1),
            "{what}: numbered without gaps: {e}"
        );
    }
    for w in entries.windows(2) {
        assert_eq!(
            dec(&w[0]["balanceAfter"]),
            dec(&w[1]["balanceBefore"]),
            "{what}: entry {} starts where {} ended",
            w[1]["seq"],
            w[0]["seq"]
        );
    }
    if let Some(last) = entries.last() {
        assert_eq!(
            dec(&last["balanceAfter"]),
            dec(&wallet(s, key)["balance"]),
            "{what}: the last entry ends at the wallet"
        );
    }
    entries
}

/// A webhook receiver on loopback: the bodies it was sent.
pub fn receiver() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let (mut conn, g) = (conn.unwrap(), g.clone());
            std::thread::spawn(move || {
                let (mut buf, mut req) = (vec![0u8; 65536], Vec::new());
                loop {
                    let k = conn.read(&mut buf).unwrap_or(0);
                    req.extend_from_slice(&buf[..k]);
                    if k == 0 || String::from_utf8_lossy(&req).ends_with('}') {
                        break;
                    }
                }
                let _ = conn.write_all(b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\n\r\n");
                let text = String::from_utf8_lossy(&req).to_string();
                g.lock()
                    .unwrap()
                    .push(text.split("\r\n\r\n").nth(1).unwrap_or("").to_string());
            });
        }
    });
    (url, got)
}

/// The PDF's text (`pdftotext -layout`) and its first page as PNG bytes (`pdftoppm`).
pub fn read_pdf(s: &Server, c: &Creds, link: &str) -> (String, Vec<u8>) {
    let res = ureq::get(&format!("{}{link}", s.url))
        .set("Authorization", &authorization(&c.read_key))
        .call()
        .unwrap();
    assert_eq!(res.header("content-type"), Some("application/pdf"));
    let mut pdf = Vec::new();
    std::io::Read::read_to_end(&mut res.into_reader(), &mut pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF-"), "not a PDF");
    let dir = std::env::temp_dir().join(format!(
        "drawdown-pdf-{}-{}",
        std::process::id(),
        link.len()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("invoice.pdf");
    std::fs::write(&file, &pdf).unwrap();
    let run = |cmd: &str, args: &[&str]| {
        let out = Command::new(cmd)
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("{cmd} (poppler-utils; scripts/setup.sh installs it): {e}"));
        assert!(
            out.status.success(),
            "{cmd}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let text =
        String::from_utf8(run("pdftotext", &["-layout", file.to_str().unwrap(), "-"])).unwrap();
    let png = dir.join("page");
    run(
        "pdftoppm",
        &[
            "-png",
            "-r",
            "50",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            file.to_str().unwrap(),
            png.to_str().unwrap(),
        ],
    );
    let image = std::fs::read(dir.join("page.png")).unwrap();
    (text, image)
}

/// A card saved on the account through its dashboard session (the test provider's Visa):
/// a setup, then the setup confirmed with the card. Answers the saved method.
pub fn save_card(s: &Server, session: &str, number: &str) -> Resp {
    let setup = post(s, session, "/billing/payment-methods/setup", json!({}));
    assert_eq!(setup.status, 200, "{}", setup.body);
    let body = json!({ "setupId": setup.body["setupId"], "clientSecret": setup.body["clientSecret"],
                       "card": { "number": number, "expMonth": 12, "expYear": 2099 } });
    post(s, session, "/billing/payment-methods", body)
}
