//! Issue 15 on the server: the billing profile and its VIES check, the tax quote, top-ups
//! charged gross, invoices with gapless numbers (also with two instances on PostgreSQL),
//! credit notes, and the PDF read back with poppler (`pdftotext`, `pdftoppm`).
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use serde_json::{json, Value};

const SELLER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/server/seller.json");

fn year() -> String {
    instant(0)[..4].to_string()
}

fn seller_server(db: &str, extra: &[&str]) -> Server {
    let mut args = vec!["--seller", SELLER];
    args.extend(extra);
    Server::start(db, &args)
}

fn put_profile(s: &Server, c: &Creds, body: Value) -> Resp {
    call(
        "PUT",
        &format!("{}/billing/profile", s.url),
        Some(&c.session),
        None,
        Some(&body.to_string()),
    )
}

fn quote(s: &Server, c: &Creds, amount: &str) -> Resp {
    let body = json!({ "amount": amount }).to_string();
    call(
        "POST",
        &format!("{}/billing/wallet/topup/quote", s.url),
        Some(&c.session),
        None,
        Some(&body),
    )
}

fn topup(s: &Server, c: &Creds, key: &str, amount: &str) -> Resp {
    let body = json!({ "amount": amount }).to_string();
    call(
        "POST",
        &format!("{}/billing/wallet/topup", s.url),
        Some(&c.session),
        Some(key),
        Some(&body),
    )
}

fn invoices(s: &Server, c: &Creds) -> Vec<Value> {
    let r = call(
        "GET",
        &format!("{}/billing/invoices", s.url),
        Some(&c.read_key),
        None,
        None,
    );
    assert_eq!(r.status, 200, "{}", r.body);
    r.body["invoices"].as_array().unwrap().clone()
}

#[test]
fn profile_quote_topup_invoice_pdf_and_credit_note() {
    for kind in backends() {
        let s = seller_server(&fresh_store(kind), &[]);
        let c = create_account(&s, "acme", json!({ "grants": [] }), None);
        let other = create_account(&s, "other", json!({ "grants": [] }), None);
        let y = year();

        // No billing country yet: taxed as domestic, at the seller's rate.
        let q = quote(&s, &c, "100");
        assert_eq!(
            (
                q.status,
                q.body["treatment"].as_str(),
                q.body["taxRate"].as_str()
            ),
            (200, Some("domestic"), Some("19"))
        );

        // The profile is the dashboard's: an API key may not change it.
        let by_key = call(
            "PUT",
            &format!("{}/billing/profile", s.url),
            Some(&c.key),
            None,
            Some(&json!({ "country": "FR" }).to_string()),
        );
        assert_eq!(error_of(&by_key).1, "dashboard_session_required");
        assert_eq!(
            error_of(&put_profile(&s, &c, json!({ "country": "XX" }))),
            (422, "invalid_country", "country")
        );
        assert_eq!(
            error_of(&put_profile(
                &s,
                &c,
                json!({ "country": "FR", "vatId": "FR123" })
            )),
            (422, "invalid_vat_id", "vatId")
        );
        assert_eq!(
            error_of(&put_profile(&s, &c, json!({ "country": "FR", "vat": "x" }))).0,
            400
        );

        // A French business with a VAT ID VIES confirms: reverse charge.
        let p = put_profile(
            &s,
            &c,
            json!({ "companyName": "Exemple SARL", "address": ["1 rue de la Paix", "75002 Paris"],
                                            "country": "FR", "vatId": "fr 40 303 265 045" }),
        );
        assert_eq!(p.status, 200, "{}", p.body);
        assert_eq!(p.body["vatId"], "FR40303265045");
        assert_eq!(p.body["vatIdVerified"], true);
        assert_eq!(p.body["vatCheck"]["result"], "valid");
        assert_eq!(p.body["vatCheck"]["provider"], "test");
        assert!(p.body["vatCheck"]["checkedAt"].is_string());
        let q = quote(&s, &c, "50");
        assert_eq!(q.body["treatment"], "reverse_charge");
        assert_eq!(
            (q.body["tax"].as_str(), q.body["gross"].as_str()),
            (Some("0.00"), Some("50.00"))
        );

        let t = topup(&s, &c, "t1", "50");
        assert_eq!(t.status, 200, "{}", t.body);
        assert_eq!(t.body["gross"], "50.00");
        assert_eq!(t.body["tax"]["treatment"], "reverse_charge");

        // An Austrian consumer: the Austrian rate, and the gross is what is charged.
        let p = put_profile(
            &s,
            &c,
            json!({ "companyName": "Max Muster", "address": ["Ring 1", "1010 Wien"], "country": "AT" }),
        );
        assert_eq!(
            (p.body["vatId"].clone(), p.body["vatCheck"].clone()),
            (Value::Null, Value::Null)
        );
        let t = topup(&s, &c, "t2", "10.05");
        assert_eq!(
            (t.body["gross"].as_str(), t.body["tax"]["tax"].as_str()),
            (Some("12.06"), Some("2.01"))
        );
        let replay = topup(&s, &c, "t2", "10.05");
        assert!(replay.replayed);

        let list = invoices(&s, &c);
        assert_eq!(list.len(), 2, "{list:?}");
        let numbers: Vec<&str> = list.iter().map(|d| d["number"].as_str().unwrap()).collect();
        assert_eq!(
            numbers,
            [format!("INV-{y}-000001"), format!("INV-{y}-000002")]
        );
        let (first, second) = (list[0].clone(), list[1].clone());
        assert_eq!(first["treatment"], "reverse_charge");
        assert_eq!(first["seller"]["vatId"], "DE136695976");
        assert_eq!(first["customer"]["vatId"], "FR40303265045");
        assert_eq!(
            (
                second["net"].as_str(),
                second["tax"].as_str(),
                second["gross"].as_str()
            ),
            (Some("10.05"), Some("2.01"), Some("12.06"))
        );
        assert_eq!(second["lines"][0]["taxRate"], "20");
        assert_eq!(second["customer"]["name"], "Max Muster");

        let (text, png) = read_pdf(&s, &c, first["pdf"].as_str().unwrap());
        for want in [
            &*format!("INV-{y}-000001"),
            "Reverse charge",
            "DE136695976",
            "FR40303265045",
            "Exemple SARL",
            "50.00 USD",
        ] {
            assert!(text.contains(want), "{want} not in the PDF:\n{text}");
        }
        assert!(
            png.starts_with(b"\x89PNG") && png.len() > 2000,
            "page 1 renders ({} bytes)",
            png.len()
        );
        let (text, _) = read_pdf(&s, &c, second["pdf"].as_str().unwrap());
        for want in [
            &*format!("INV-{y}-000002"),
            "VAT 20%",
            "2.01 USD",
            "12.06 USD",
            "10.05",
            "Max Muster",
            "1010 Wien",
        ] {
            assert!(text.contains(want), "{want} not in the PDF:\n{text}");
        }
        // Another account's invoice is not found, not shown.
        let theirs = call(
            "GET",
            &format!("{}{}", s.url, second["pdf"].as_str().unwrap()),
            Some(&other.read_key),
            None,
            None,
        );
        assert_eq!(error_of(&theirs).1, "invoice_not_found");

        // A refund: the credits leave, a credit note refers to the invoice, which stays as issued.
        let pay = second["paymentId"].as_str().unwrap();
        let refund = |s: &Server| {
            call(
                "POST",
                &format!("{}/payments/{pay}/refund", s.url),
                Some(ADMIN),
                None,
                None,
            )
        };
        let r = refund(&s);
        assert_eq!(r.status, 200, "{}", r.body);
        let note = &r.body["creditNote"];
        assert_eq!(note["number"], format!("CN-{y}-000001"));
        assert_eq!(note["refersTo"], format!("INV-{y}-000002"));
        assert_eq!(
            (note["gross"].as_str(), note["tax"].as_str()),
            (Some("-12.06"), Some("-2.01"))
        );
        assert_eq!(
            refund(&s).body["creditNote"],
            *note,
            "a repeated refund answers the same credit note"
        );
        let list = invoices(&s, &c);
        assert_eq!(list.len(), 3);
        assert_eq!(list[1], second, "an issued invoice never changes");
        let (text, _) = read_pdf(&s, &c, list[2]["pdf"].as_str().unwrap());
        for want in [
            "CREDIT NOTE",
            &*format!("CN-{y}-000001"),
            &*format!("Refers to invoice: INV-{y}-000002"),
            "-12.06 USD",
        ] {
            assert!(text.contains(want), "{want} not in the PDF:\n{text}");
        }
        let w = call(
            "GET",
            &format!("{}/billing/wallet", s.url),
            Some(&c.read_key),
            None,
            None,
        );
        assert_eq!(dec(&w.body["balance"]), dec(&json!("5000")), "{}", w.body);

        // Credits partly spent are not refunded.
        assert_eq!(
            post_usage(
                &s,
                &c.key,
                "u1",
                &[call_event("c1", &instant(2), 60, false)]
            )
            .status,
            200
        );
        let first_pay = first["paymentId"].as_str().unwrap();
        let spent = call(
            "POST",
            &format!("{}/payments/{first_pay}/refund", s.url),
            Some(ADMIN),
            None,
            None,
        );
        assert_eq!(error_of(&spent), (409, "credits_spent", ""));
    }
}

#[test]
fn vies_answers_are_recorded_and_only_a_valid_id_gives_reverse_charge() {
    for (vies, status, treatment) in [
        ("test-invalid", "invalid", "destination"),
        ("test-unavailable", "unavailable", "destination"),
        ("test", "valid", "reverse_charge"),
    ] {
        let s = seller_server(&fresh_store("sqlite"), &["--vies", vies]);
        let c = create_account(&s, "acme", json!({ "grants": [] }), None);
        let p = put_profile(
            &s,
            &c,
            json!({ "companyName": "Exemple SARL", "country": "FR", "vatId": "FR40303265045" }),
        );
        assert_eq!(
            (
                p.body["vatIdStatus"].as_str(),
                p.body["vatCheck"]["provider"].as_str()
            ),
            (Some(status), Some(vies))
        );
        let got = call(
            "GET",
            &format!("{}/billing/profile", s.url),
            Some(&c.session),
            None,
            None,
        );
        assert_eq!(got.body["vatCheck"]["result"], status);
        assert_eq!(quote(&s, &c, "100").body["treatment"], treatment, "{vies}");
    }
}

#[test]
fn without_a_seller_top_ups_are_charged_net_and_invoices_say_so() {
    let s = Server::start(&fresh_store("sqlite"), &[]);
    let c = create_account(&s, "acme", json!({ "grants": [] }), None);
    assert_eq!(
        error_of(&quote(&s, &c, "10")),
        (409, "tax_not_configured", "")
    );
    let t = topup(&s, &c, "t1", "10");
    assert_eq!((t.status, t.body["gross"].as_str()), (200, Some("10")));
    let list = invoices(&s, &c);
    assert_eq!(list[0]["treatment"], "none");
    assert_eq!(list[0]["number"], format!("INV-{}-000001", year()));
}

/// Numbers stay gapless and unique with two instances on one PostgreSQL database and
/// top-ups racing on both (the series row is locked until each commit).
#[test]
fn invoice_numbers_are_gapless_across_two_instances() {
    if !backends().contains(&"postgres") {
        return;
    }
    let db = fresh_store("postgres");
    let servers = [seller_server(&db, &[]), seller_server(&db, &[])];
    let accounts: Vec<Creds> = (0..4)
        .map(|i| {
            create_account(
                &servers[0],
                &format!("acct{i}"),
                json!({ "grants": [] }),
                None,
            )
        })
        .collect();
    const PER_THREAD: usize = 10;
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let url = servers[t % 2].url.clone();
            let session = accounts[t % 4].session.clone();
            std::thread::spawn(move || {
                (0..PER_THREAD)
                    .map(|n| {
                        let body = json!({ "amount": "1.00" }).to_string();
                        let r = ureq::post(&format!("{url}/billing/wallet/topup"))
                            .set("Authorization", &authorization(&session))
                            .set("Idempotency-Key", &format!("k{t}-{n}"))
                            .set("Content-Type", "application/json")
                            .send_string(&body);
                        r.map(|r| r.status()).unwrap_or_else(|e| panic!("{e}"))
                    })
                    .collect::<Vec<u16>>()
            })
        })
        .collect();
    for t in threads {
        assert!(t.join().unwrap().iter().all(|s| *s == 200));
    }
    let mut numbers: Vec<String> = accounts
        .iter()
        .flat_map(|c| invoices(&servers[1], c))
        .map(|d| d["number"].as_str().unwrap().to_string())
        .collect();
    numbers.sort();
    let want: Vec<String> = (1..=8 * PER_THREAD)
        .map(|n| format!("INV-{}-{n:06}", year()))
        .collect();
    assert_eq!(numbers, want);
}

/// An auto-reload is a payment too: settled, it is invoiced with VAT like a top-up.
#[test]
fn an_auto_reload_is_invoiced_with_vat() {
    let s = seller_server(&fresh_store("sqlite"), &[]);
    let account = json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "10" }],
        "autoReload": { "enabled": true, "threshold": "5.00", "amount": "20.00", "paymentMethod": "pm_test" } });
    let c = create_account(&s, "acme", account, None);
    assert_eq!(
        put_profile(
            &s,
            &c,
            json!({ "companyName": "Kunde AG", "country": "DE" })
        )
        .status,
        200
    );
    let r = post_usage(
        &s,
        &c.key,
        "u1",
        &[call_event("c1", &instant(0), 60, false)],
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.body["payments"][0]["gross"], "23.80", "{}", r.body);
    let list = invoices(&s, &c);
    assert_eq!(list.len(), 1, "{list:?}");
    assert_eq!(
        (
            list[0]["treatment"].as_str(),
            list[0]["tax"].as_str(),
            list[0]["gross"].as_str()
        ),
        (Some("domestic"), Some("3.80"), Some("23.80"))
    );
}

/// The VIES client against a stand-in on loopback: valid, invalid, an error document, and
/// no answer at all.
#[test]
fn the_live_vies_client_reads_each_answer() {
    use drawdown::server::profile::{LiveVies, Vies};
    use std::io::{Read, Write};
    let answers = [
        r#"{"countryCode":"FR","vatNumber":"40303265045","valid":true,"requestIdentifier":"WAPIAAAAW1","name":"EXEMPLE SARL"}"#,
        r#"{"countryCode":"FR","vatNumber":"40303265045","valid":false,"name":"---"}"#,
        r#"{"actionSucceed":false,"errorWrappers":[{"error":"MS_UNAVAILABLE"}]}"#,
    ];
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/check-vat-number", listener.local_addr().unwrap());
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for (stream, body) in listener.incoming().zip(answers) {
            let mut stream = stream.unwrap();
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap();
            log.lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).to_string());
            let head = format!("HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n", body.len());
            stream.write_all(head.as_bytes()).unwrap();
            stream.write_all(body.as_bytes()).unwrap();
        }
    });
    let vies = LiveVies {
        url,
        ..LiveVies::new().unwrap()
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ask = || rt.block_on(vies.check("FR40303265045", Some("DE136695976")));
    let a = ask();
    assert_eq!(
        (a.result, a.consultation.as_deref(), a.detail.as_deref()),
        ("valid", Some("WAPIAAAAW1"), Some("EXEMPLE SARL"))
    );
    let request = seen.lock().unwrap()[0].clone();
    assert!(
        request.contains(r#""countryCode":"FR""#)
            && request.contains(r#""vatNumber":"40303265045""#),
        "{request}"
    );
    assert!(
        request.contains(r#""requesterNumber":"136695976""#),
        "{request}"
    );
    assert_eq!(ask().result, "invalid");
    let a = ask();
    assert_eq!(a.result, "unavailable");
    assert!(a.detail.unwrap().contains("MS_UNAVAILABLE"));
    // The stand-in has stopped answering: the check is `unavailable`, not an error.
    assert_eq!(ask().result, "unavailable");
}
