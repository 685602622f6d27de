//! The HTTP surface of `drawdown serve` under hostile or careless clients (issue 11, item 8):
//! every error answer is the coded JSON body, credentials go under their own scheme, the
//! admin token is long and throttled, slow clients are cut off, one SQLite file has one server.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use serde_json::json;
use std::io::{Read, Write};
use std::time::{Duration, Instant};

fn code(r: &Resp) -> (u16, String) {
    (r.status, r.body["error"]["code"].as_str().unwrap_or("").into())
}

fn raw(s: &Server, head: &str) -> String {
    let addr = s.url.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    c.write_all(head.as_bytes()).unwrap();
    let mut out = String::new();
    let _ = c.read_to_string(&mut out);
    out
}

#[test]
fn every_error_answer_is_coded_json() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let c = create_account(&s, "acme", json!({ "grants": [] }), None);
    let u = |p: &str| format!("{}{p}", s.url);
    assert_eq!(code(&call("DELETE", &u("/billing/wallet"), Some(&c.key), None, None)), (405, "method_not_allowed".into()));
    assert_eq!(code(&call("GET", &u("/no/such/route"), None, None, None)), (404, "not_found".into()));
    assert_eq!(code(&call("GET", &u("/billing/ledger?limit=many"), Some(&c.read_key), None, None)), (400, "invalid_query".into()));
    assert_eq!(code(&call("GET", &u("/billing/usage?from=2026-01-01&nope=1"), Some(&c.read_key), None, None)).1, "invalid_query");
    let post = |ct: &str| call_ct("POST", &u("/usage"), Some(&c.key), Some("k"), Some(r#"{"events":[]}"#), ct);
    assert_eq!(code(&post("application/jsonpfoo")), (415, "unsupported_media_type".into()));
    assert_eq!(code(&post("text/json")), (415, "unsupported_media_type".into()));
    // Parameters after the media type are fine; the body is then read (and refused as empty).
    assert_eq!(code(&post("application/json; charset=utf-8")), (400, "invalid_value".into()));
    // Too many headers, or too many bytes of them: 431 with the coded body.
    let many: String = (0..80).map(|i| format!("X-Pad-{i}: x\r\n")).collect();
    let answer = raw(&s, &format!("GET /health HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"));
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(answer.contains(r#""code":"headers_too_large""#), "{answer}");
    let big = "y".repeat(20_000);
    let answer = raw(&s, &format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"));
    assert!(answer.starts_with("HTTP/1.1 431") && answer.contains("headers_too_large"), "{answer}");
}

#[test]
fn credentials_go_under_their_own_scheme() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let c = create_account(&s, "acme", json!({ "grants": [] }), None);
    let wallet = |auth: &str| {
        let r = ureq::get(&format!("{}/billing/wallet", s.url)).set("Authorization", auth).call();
        match r {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(n, _)) => n,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(wallet(&format!("Bearer {}", c.key)), 200);
    assert_eq!(wallet(&format!("Session {}", c.session)), 200);
    assert_eq!(wallet(&format!("Bearer {}", c.session)), 401, "a session is not a bearer key");
    assert_eq!(wallet(&format!("Session {}", c.key)), 401, "a key is not a session");
    assert_eq!(wallet(&format!("Basic {}", c.key)), 401);
    assert_eq!(wallet("Bearer"), 401);
}

#[test]
fn the_admin_token_is_long_and_failed_attempts_are_throttled() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drawdown"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &fresh_store("sqlite"), "--admin-token", "short-token"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 characters"));

    let s = Server::start(&fresh_store("sqlite"), &[]);
    let create = |token: &str| {
        call("POST", &format!("{}/admin/accounts", s.url), Some(token), None,
             Some(&json!({ "id": "x", "rateCard": card(), "account": {} }).to_string()))
    };
    for _ in 0..5 {
        assert_eq!(code(&create("wrong-token-wrong-token-wrong-token")), (401, "unauthorized".into()));
    }
    // Past five failures in a minute the address waits, even with the right token.
    let r = ureq::post(&format!("{}/admin/accounts", s.url))
        .set("Authorization", &format!("Bearer {ADMIN}"))
        .send_json(json!({ "id": "x", "rateCard": card(), "account": {} }));
    let Err(ureq::Error::Status(429, r)) = r else { panic!("expected 429: {r:?}") };
    let wait: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    assert!(r.into_string().unwrap().contains("too_many_attempts"));
}

#[test]
fn a_slow_client_is_cut_off() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let addr = s.url.trim_start_matches("http://");
    let mut c = std::net::TcpStream::connect(addr).unwrap();
    c.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    c.write_all(b"GET /health HTTP/1.1\r\nHost: x\r\n").unwrap();
    let t = Instant::now();
    let mut buf = [0u8; 256];
    // The head never ends: the server closes the connection after its header read timeout.
    let n = c.read(&mut buf).unwrap_or(0);
    let waited = t.elapsed();
    assert!(waited >= Duration::from_secs(9) && waited < Duration::from_secs(20), "{waited:?}");
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn a_second_server_on_one_sqlite_file_is_refused_at_start() {
    let db = fresh_store("sqlite");
    let _first = Server::start(&db, &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drawdown"))
        .args(["serve", "--addr", "127.0.0.1:0", "--database-url", &db, "--admin-token", ADMIN])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another drawdown serve is using"), "{err}");
}
