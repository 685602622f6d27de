//! The HTTP surface of `drawdown serve` under hostile or careless clients (issue 11, item 8):
//! every error answer is the coded JSON body, credentials go under their own scheme, the
//! admin token is long and throttled, slow clients are cut off, one SQLite file has one server.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// The answer's status and code, and the field it names.
fn field(r: &Resp) -> ((u16, String), String) {
    let named = r.body["error"]["field"].as_str().unwrap_or("");
    (code(r), named.to_string())
}

fn code(r: &Resp) -> (u16, String) {
    (
        r.status,
        r.body["error"]["code"].as_str().unwrap_or("").into(),
    )
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
    assert_eq!(
        code(&call(
            "DELETE",
            &u("/billing/wallet"),
            Some(&c.key),
            None,
            None
        )),
        (405, "method_not_allowed".into())
    );
    assert_eq!(
        code(&call("GET", &u("/no/such/route"), None, None, None)),
        (404, "not_found".into())
    );
    assert_eq!(
        code(&call(
            "GET",
            &u("/billing/ledger?limit=many"),
            Some(&c.read_key),
            None,
            None
        )),
        (400, "invalid_query".into())
    );
    assert_eq!(
        code(&call(
            "GET",
            &u("/billing/usage?from=2026-01-01&nope=1"),
            Some(&c.read_key),
            None,
            None
        ))
        .1,
        "invalid_query"
    );
    let long = call(
        "GET",
        &u("/billing/usage?from=2020-01-01&to=2026-01-01"),
        Some(&c.read_key),
        None,
        None,
    );
    assert_eq!(
        code(&long),
        (400, "invalid_date_range".into()),
        "reports are bounded to 366 days"
    );
    let post = |ct: &str| {
        call_ct(
            "POST",
            &u("/usage"),
            Some(&c.key),
            Some("k"),
            Some(r#"{"events":[]}"#),
            ct,
        )
    };
    assert_eq!(
        code(&post("application/jsonpfoo")),
        (415, "unsupported_media_type".into())
    );
    assert_eq!(
        code(&post("text/json")),
        (415, "unsupported_media_type".into())
    );
    // Parameters after the media type are fine; the body is then read (and refused as empty).
    assert_eq!(
        code(&post("application/json; charset=utf-8")),
        (400, "invalid_value".into())
    );
    // Too many headers, or too many bytes of them: 431 with the coded body.
    let many: String = (0..80).map(|i| format!("X-Pad-{i}: x\r\n")).collect();
    let answer = raw(
        &s,
        &format!("GET /health HTTP/1.1\r\nHost: x\r\n{many}Connection: close\r\n\r\n"),
    );
    assert!(answer.starts_with("HTTP/1.1 431"), "{answer}");
    assert!(answer.contains(r#""code":"headers_too_large""#), "{answer}");
    let big = "y".repeat(20_000);
    let answer = raw(
        &s,
        &format!("GET /health HTTP/1.1\r\nHost: x\r\nX-Big: {big}\r\nConnection: close\r\n\r\n"),
    );
    assert!(
        answer.starts_with("HTTP/1.1 431") && answer.contains("headers_too_large"),
        "{answer}"
    );
}

#[test]
fn credentials_go_under_their_own_scheme() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let c = create_account(&s, "acme", json!({ "grants": [] }), None);
    let wallet = |auth: &str| {
        let r = ureq::get(&format!("{}/billing/wallet", s.url))
            .set("Authorization", auth)
            .call();
        match r {
            Ok(r) => r.status(),
            Err(ureq::Error::Status(n, _)) => n,
            Err(e) => panic!("{e}"),
        }
    };
    assert_eq!(wallet(&format!("Bearer {}", c.key)), 200);
    assert_eq!(wallet(&format!("Session {}", c.session)), 200);
    assert_eq!(
        wallet(&format!("Bearer {}", c.session)),
        401,
        "a session is not a bearer key"
    );
    assert_eq!(
        wallet(&format!("Session {}", c.key)),
        401,
        "a key is not a session"
    );
    assert_eq!(wallet(&format!("Basic {}", c.key)), 401);
    assert_eq!(wallet("Bearer"), 401);
}

#[test]
fn the_admin_token_is_long_and_failed_attempts_are_throttled() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drawdown"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &fresh_store("sqlite"),
            "--admin-token",
            "short-token",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 32 characters"));

    let s = Server::start(&fresh_store("sqlite"), &[]);
    let create = |token: &str| {
        call(
            "POST",
            &format!("{}/admin/accounts", s.url),
            Some(token),
            None,
            Some(&json!({ "id": "x", "rateCard": card(), "account": {} }).to_string()),
        )
    };
    for _ in 0..5 {
        assert_eq!(
            code(&create("wrong-token-wrong-token-wrong-token")),
            (401, "unauthorized".into())
        );
    }
    // Past five failures in a minute the address waits, even with the right token.
    let r = ureq::post(&format!("{}/admin/accounts", s.url))
        .set("Authorization", &format!("Bearer {ADMIN}"))
        .send_json(json!({ "id": "x", "rateCard": card(), "account": {} }));
    let Err(ureq::Error::Status(429, r)) = r else {
        panic!("expected 429: {r:?}")
    };
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
    assert!(
        waited >= Duration::from_secs(9) && waited < Duration::from_secs(20),
        "{waited:?}"
    );
    let answer = String::from_utf8_lossy(&buf[..n]);
    assert!(n == 0 || answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[test]
fn a_second_server_on_one_sqlite_file_is_refused_at_start() {
    let db = fresh_store("sqlite");
    let _first = Server::start(&db, &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_drawdown"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--database-url",
            &db,
            "--admin-token",
            ADMIN,
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("another drawdown serve is using"), "{err}");
}

/// Webhook URLs (issue 11, item 7): checked when set, and each address again at delivery.
#[test]
fn webhook_urls_are_checked_and_managed_from_the_dashboard() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let create = |id: &str, url: &str| {
        let body = json!({ "id": id, "rateCard": card(), "account": {}, "webhookUrl": url });
        post(&s, ADMIN, "/admin/accounts", body)
    };
    for (i, bad) in [
        "http://169.254.169.254:80/latest/meta-data/",
        "gopher://example.com/",
        "not a url",
        "http://example.com/\r\nX-Injected: 1",
        "http://user:pass@example.com/",
        "http://localhost:9000/hook",
        "http://127.0.0.1:9000/hook",
        "http://10.1.2.3/hook",
        "http://[::1]/hook",
        "http://[::ffff:192.168.0.1]/hook",
        "http://100.64.0.1/hook",
    ]
    .iter()
    .enumerate()
    {
        let r = create(&format!("bad{i}"), bad);
        assert_eq!(
            code(&r),
            (422, "invalid_webhook_url".into()),
            "{bad}: {}",
            r.body
        );
    }
    let c = create_account(
        &s,
        "acme",
        json!({}),
        Some("https://hooks.example.com/billing"),
    );
    let u = format!("{}/billing/webhook", s.url);
    assert_eq!(
        call("GET", &u, Some(&c.read_key), None, None).body["url"],
        "https://hooks.example.com/billing"
    );
    // Changing the URL and rotating the secret take a dashboard session.
    let put = |auth: &str, url: &str| {
        call(
            "PUT",
            &u,
            Some(auth),
            None,
            Some(&json!({ "url": url }).to_string()),
        )
    };
    assert_eq!(
        code(&put(&c.key, "https://a.example.com/")).1,
        "dashboard_session_required"
    );
    assert_eq!(
        code(&put(&c.session, "http://192.168.1.1/")).1,
        "invalid_webhook_url"
    );
    let r = put(&c.session, "https://b.example.com/hooks");
    assert_eq!(
        (r.status, r.body["url"].as_str()),
        (200, Some("https://b.example.com/hooks")),
        "{}",
        r.body
    );
    let rotate = || call("POST", &format!("{u}/secret"), Some(&c.session), None, None);
    let (s1, s2) = (rotate(), rotate());
    assert_eq!((s1.status, s2.status), (200, 200), "{}", s1.body);
    let (a, b) = (
        s1.body["secret"].as_str().unwrap(),
        s2.body["secret"].as_str().unwrap(),
    );
    assert!(a.starts_with("whsec_") && a != b && a != c.webhook_secret);
}

/// At delivery a name is resolved again and loopback/private answers are dropped, so a
/// name that was public when set cannot be pointed at the server's network (DNS rebinding).
#[test]
fn delivery_refuses_names_that_resolve_to_private_addresses() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let refused = drawdown::server::webhooks::resolve("localhost", false).await;
        assert!(refused
            .unwrap_err()
            .contains("no address a webhook may reach"));
        let allowed = drawdown::server::webhooks::resolve("localhost", true)
            .await
            .unwrap();
        assert!(allowed.iter().all(|a| a.ip().is_loopback()));
    });
    use std::net::IpAddr;
    for (ip, ok) in [
        ("8.8.8.8", true),
        ("2606:4700::1111", true),
        ("169.254.169.254", false),
        ("172.16.0.1", false),
        ("fd00::1", false),
        ("fe80::1", false),
        ("0.0.0.0", false),
    ] {
        assert_eq!(
            drawdown::server::webhooks::public(ip.parse::<IpAddr>().unwrap()),
            ok,
            "{ip}"
        );
    }
}

/// Webhooks are delivered over `https` (rustls), here to a receiver whose self-signed
/// certificate the server is told to trust (`--webhook-ca`, as for a private CA).
#[test]
fn webhooks_are_delivered_over_https() {
    use std::sync::{Arc, Mutex};
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let ca = std::env::temp_dir().join(format!("drawdown-hook-ca-{}.pem", std::process::id()));
    std::fs::write(&ca, made.cert.pem()).unwrap();
    let key = rustls::pki_types::PrivateKeyDer::Pkcs8(made.key_pair.serialize_der().into());
    let tls = rustls::ServerConfig::builder_with_provider(Arc::new(
        rustls::crypto::ring::default_provider(),
    ))
    .with_safe_default_protocol_versions()
    .unwrap()
    .with_no_client_auth()
    .with_single_cert(vec![made.cert.der().clone()], key)
    .unwrap();
    let tls = Arc::new(tls);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let got = Arc::new(Mutex::new(Vec::<String>::new()));
    let g = got.clone();
    std::thread::spawn(move || {
        for tcp in listener.incoming() {
            let (tls, g) = (tls.clone(), g.clone());
            std::thread::spawn(move || {
                let conn = rustls::ServerConnection::new(tls).unwrap();
                let mut s = rustls::StreamOwned::new(conn, tcp.unwrap());
                let mut req = Vec::new();
                let mut buf = [0u8; 16384];
                while !String::from_utf8_lossy(&req).trim_end().ends_with('}') {
                    match s.read(&mut buf) {
                        Ok(0) | Err(_) => return,
                        Ok(n) => req.extend_from_slice(&buf[..n]),
                    }
                }
                let _ = s.write_all(
                    b"HTTP/1.1 204 No Content\r\ncontent-length: 0\r\nconnection: close\r\n\r\n",
                );
                let _ = s.flush();
                g.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&req).into_owned());
            });
        }
    });
    let hook = format!("https://localhost:{port}/hook");
    let ca_arg = ca.display().to_string();
    let s = Server::start(
        &fresh_store("sqlite"),
        &["--allow-private-webhooks", "--webhook-ca", &ca_arg],
    );
    let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "100" }],
        "alerts": { "warning": { "threshold": "50" } } });
    let c = create_account(&s, "acme", account, Some(&hook));
    let at = instant(0);
    let r = post_usage(&s, &c.key, "u1", &[call_event("u1", &at, 360, false)]);
    assert_eq!(r.body["alerts"][0]["to"], "warning", "{}", r.body);
    let deadline = Instant::now() + Duration::from_secs(15);
    while got.lock().unwrap().is_empty() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
    }
    let got = got.lock().unwrap().clone();
    assert_eq!(got.len(), 1, "one delivery over TLS");
    let req = got[0].to_ascii_lowercase();
    assert!(
        req.starts_with("post /hook http/1.1") && req.contains("drawdown-signature: t="),
        "{req}"
    );
    assert!(req.contains(r#""type":"balance.alert""#), "{req}");
    let _ = std::fs::remove_file(&ca);
}

/// Text PostgreSQL cannot hold (U+0000) is refused at the API with a coded 4xx naming the
/// field, on SQLite and PostgreSQL alike (issue 24: a NUL agent id was granted by
/// `POST /calls`, then every end of that call answered 503 on PostgreSQL forever).
#[test]
fn text_no_store_can_hold_is_refused_the_same_on_every_store() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = wallet_account(&s, "acme", "100");
        let u = |p: &str| format!("{}{p}", s.url);
        let start =
            json!({ "id": "c1", "direction": "outbound", "agentId": "a\u{0}b" }).to_string();
        let r = call("POST", &u("/calls"), Some(&c.key), None, Some(&start));
        assert_eq!(
            field(&r),
            ((400, "invalid_text".into()), "agentId".into()),
            "{backend}: {}",
            r.body
        );
        // Nothing was held, and the same call id starts cleanly afterwards and ends billed.
        let start = json!({ "id": "c1", "direction": "outbound", "agentId": "ab" }).to_string();
        assert_eq!(
            call("POST", &u("/calls"), Some(&c.key), None, Some(&start)).status,
            200,
            "{backend}"
        );
        let end = json!({ "connectedSeconds": 30, "carrierPassThrough": [{ "amount": "0.01", "reason": "x\u{0}" }] }).to_string();
        let r = call("POST", &u("/calls/c1/end"), Some(&c.key), None, Some(&end));
        assert_eq!(
            field(&r),
            (
                (400, "invalid_text".into()),
                "carrierPassThrough[0].reason".into()
            ),
            "{backend}: {}",
            r.body
        );
        let end = json!({ "connectedSeconds": 30 }).to_string();
        assert_eq!(
            call("POST", &u("/calls/c1/end"), Some(&c.key), None, Some(&end)).status,
            200,
            "{backend}"
        );
        // An account's name, a usage event's agent, a call id in the path.
        let acct = json!({ "id": "nul", "name": "A\u{0}B", "rateCard": card(), "account": { "grants": [] } }).to_string();
        let r = call(
            "POST",
            &u("/admin/accounts"),
            Some(ADMIN),
            None,
            Some(&acct),
        );
        assert_eq!(
            field(&r),
            ((400, "invalid_text".into()), "name".into()),
            "{backend}: {}",
            r.body
        );
        let ev = json!({ "events": [{ "id": "e1", "at": instant(0), "kind": "chat", "messages": 1, "agentId": "\u{0}" }] }).to_string();
        let r = call("POST", &u("/usage"), Some(&c.key), Some("k1"), Some(&ev));
        assert_eq!(
            field(&r),
            ((400, "invalid_text".into()), "events[0].agentId".into()),
            "{backend}: {}",
            r.body
        );
        let r = call(
            "POST",
            &u("/calls/a%00b/end"),
            Some(&c.key),
            None,
            Some(&end),
        );
        assert_eq!(
            code(&r),
            (400, "invalid_id".into()),
            "{backend}: {}",
            r.body
        );
        let policy = json!({ "onPlanExhausted": "stop" }).to_string();
        let r = call(
            "PUT",
            &u("/billing/agents/a%00b"),
            Some(&c.session),
            None,
            Some(&policy),
        );
        assert_eq!(code(&r).1, "invalid_value", "{backend}: {}", r.body);
        // The account still answers on both stores.
        assert_eq!(
            call("GET", &u("/billing/wallet"), Some(&c.read_key), None, None).status,
            200
        );
    }
}

/// Settings credits are refused at their field when no balance could meet them (issue 30: a
/// critical threshold of -1 and an agent limit of 12.123456789 were saved); in range, kept
/// as written.
#[test]
fn settings_credits_below_zero_or_past_the_cards_decimals_are_refused() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(
            &s,
            "ranges",
            json!({ "timeZone": "UTC", "grants": [] }),
            None,
        );
        let put = |path: &str, body: Value| {
            let text = body.to_string();
            call(
                "PUT",
                &format!("{}{path}", s.url),
                Some(&c.session),
                None,
                Some(&text),
            )
        };
        let alerts = |critical: &str| json!({ "info": { "threshold": "80" }, "critical": { "threshold": critical } });
        let r = put("/billing/alerts", alerts("-1"));
        assert_eq!(
            field(&r),
            ((422, "negative_amount".into()), "critical.threshold".into()),
            "{backend}: {}",
            r.body
        );
        let r = put("/billing/alerts", alerts("0.00001"));
        assert_eq!(
            field(&r),
            ((422, "invalid_value".into()), "critical.threshold".into()),
            "{backend}: {}",
            r.body
        );
        let r = put("/billing/alerts", alerts("0.5000"));
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let limit = |l: &str| json!({ "monthlyLimit": l, "onPlanExhausted": "stop" });
        let r = put("/billing/agents/bot", limit("12.123456789"));
        assert_eq!(
            field(&r),
            ((422, "invalid_value".into()), "monthlyLimit".into()),
            "{backend}: {}",
            r.body
        );
        let r = put("/billing/agents/bot", limit("-5"));
        assert_eq!(
            field(&r),
            ((422, "negative_amount".into()), "monthlyLimit".into()),
            "{backend}: {}",
            r.body
        );
        let r = put("/billing/agents/bot", limit("12.1234"));
        assert_eq!(
            (r.status, &r.body["policy"]["monthlyLimit"]),
            (200, &json!("12.1234")),
            "{backend}: {}",
            r.body
        );
    }
}
