//! Edge leases at the server (issue 13, point 1; SEMANTICS 12), on SQLite and PostgreSQL:
//! a lease never exceeds the available pools; reported calls are billed once and drawn
//! from the lease first; a lease grows, shrinks and is released; an unrenewed lease lapses
//! and frees what it held, and a call granted under it is still billed; the
//! `billing:lease` scope does lease work and nothing else.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

fn wallet(s: &Server, c: &Creds) -> Value {
    send(s, "GET", &c.read_key, "/billing/wallet", None).body
}

/// An outbound call the edge granted and ended, as it reports it.
fn ended(id: &str, secs: u64) -> Value {
    let credits = (secs.div_ceil(60) * 9).to_string();
    json!({ "id": id, "connectedSeconds": secs, "direction": "outbound", "startedAt": instant(-(secs as i64)),
            "leaseUsage": { "credits": credits } })
}

#[test]
fn leases_bound_what_an_edge_may_grant_and_bill_their_calls_once() {
    for backend in backends() {
        let db = fresh_store(backend);
        let s = Server::start(&db, &[]);
        let wallet_grant =
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "1000" }] });
        let c = create_account(&s, "acme", wallet_grant, None);
        let lk = issue_key(&s, "acme", "billing:lease");

        let who = send(&s, "GET", &lk, "/auth/whoami", None);
        assert_eq!(who.body["accountId"], "acme", "{backend}: {}", who.body);
        assert_eq!(who.body["scopes"], json!(["billing:lease"]));

        // Taken: 201 with the edge's copy of the account, whose wallet is exactly the lease.
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/edge-1",
            Some(json!({ "credits": "500", "ttlSeconds": 60 })),
        );
        assert_eq!(r.status, 201, "{backend}: {}", r.body);
        assert_eq!(dec(&r.body["lease"]["credits"]), Decimal::from(500));
        assert_eq!(r.body["lease"]["kind"], "lease");
        assert_eq!(
            dec(&r.body["account"]["grants"][0]["remaining"]),
            Decimal::from(500),
            "{}",
            r.body
        );
        assert_eq!(r.body["rateCard"]["currency"], card()["currency"]);
        let w = wallet(&s, &c);
        assert_eq!(
            (dec(&w["held"]), dec(&w["available"])),
            (Decimal::from(500), Decimal::from(500)),
            "{w}"
        );

        // A second lease gets only what is left; then nothing is left for a call at the server.
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/edge-2",
            Some(json!({ "credits": "800" })),
        );
        assert_eq!(
            (r.status, dec(&r.body["lease"]["credits"])),
            (201, Decimal::from(500)),
            "{}",
            r.body
        );
        let r = send(
            &s,
            "POST",
            &c.key,
            "/calls",
            Some(json!({ "id": "direct", "direction": "outbound" })),
        );
        assert_eq!(
            (r.status, r.body["error"]["code"].clone()),
            (402, json!("insufficient_credits"))
        );

        // A reported call is billed once, from its lease first; a replay changes nothing.
        let report = json!({ "ended": [ended("e1", 120)] });
        let r = send(&s, "PUT", &lk, "/leases/edge-1", Some(report.clone()));
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            r.body["ended"][0]["end"]["item"]["status"], "charged",
            "{}",
            r.body
        );
        assert_eq!(
            dec(&r.body["lease"]["credits"]),
            Decimal::from(482),
            "2 minutes at 9: {}",
            r.body
        );
        let again = send(&s, "PUT", &lk, "/leases/edge-1", Some(report));
        assert_eq!(again.body["ended"][0]["replayed"], true, "{}", again.body);
        assert_eq!(dec(&again.body["lease"]["credits"]), Decimal::from(482));
        let w = wallet(&s, &c);
        assert_eq!(dec(&w["balance"]), Decimal::from(982), "{backend}: {w}");
        assert_eq!(dec(&w["held"]), Decimal::from(982), "{w}");

        // Shrunk, then released with a last call: what is left goes back.
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/edge-1",
            Some(json!({ "credits": "100" })),
        );
        assert_eq!(
            (r.status, dec(&r.body["lease"]["credits"])),
            (200, Decimal::from(100))
        );
        let r = send(
            &s,
            "POST",
            &lk,
            "/leases/edge-2/release",
            Some(json!({ "ended": [ended("e2", 60)] })),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        assert_eq!(
            dec(&r.body["released"]["credits"]),
            Decimal::from(491),
            "{}",
            r.body
        );
        let gone = send(&s, "POST", &lk, "/leases/edge-2/release", Some(json!({})));
        assert_eq!(gone.body["released"], Value::Null);
        let w = wallet(&s, &c);
        assert_eq!(
            (dec(&w["balance"]), dec(&w["held"])),
            (Decimal::from(973), Decimal::from(100)),
            "{w}"
        );

        // An unrenewed lease lapses and frees what it held; its late call is still billed.
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/edge-3",
            Some(json!({ "credits": "300", "ttlSeconds": 1 })),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        std::thread::sleep(std::time::Duration::from_millis(2100));
        let w = wallet(&s, &c);
        assert_eq!(
            dec(&w["held"]),
            Decimal::from(100),
            "{backend}: the lapsed lease holds nothing: {w}"
        );
        let listed = send(&s, "GET", &lk, "/leases", None).body;
        let lapsed = listed["leases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["lease"]["id"] == "edge-3");
        assert_eq!(
            lapsed.map(|l| l["active"].clone()),
            Some(json!(false)),
            "{listed}"
        );
        let mut late = ended("e3", 30);
        late["leaseId"] = json!("edge-3");
        let id = late.as_object_mut().unwrap().remove("id").unwrap();
        let r = send(
            &s,
            "POST",
            &c.key,
            &format!("/calls/{}/end", id.as_str().unwrap()),
            Some(late),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let w = wallet(&s, &c);
        assert_eq!(dec(&w["balance"]), Decimal::from(964), "{backend}: {w}");
        assert_eq!(dec(&w["owed"]), Decimal::ZERO, "{w}");

        // The ledger's usage entries are the three calls, once each.
        let ledger = send(&s, "GET", &c.read_key, "/billing/ledger?limit=500", None).body;
        let mut refs: Vec<String> = ledger["entries"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["kind"] == "usage")
            .map(|e| e["reference"].as_str().unwrap().to_string())
            .collect();
        refs.sort();
        assert_eq!(refs, ["e1", "e2", "e3"], "{backend}");
        assert_ledger_chains(&s, &c.read_key, backend);
    }
}

#[test]
fn the_lease_scope_does_lease_work_and_nothing_else() {
    for backend in backends() {
        let db = fresh_store(backend);
        let s = Server::start(&db, &[]);
        let c = create_account(
            &s,
            "acme",
            json!({ "grants": [{ "id": "w", "type": "prepaid", "remaining": "50" }] }),
            None,
        );
        let lk = issue_key(&s, "acme", "billing:lease");
        let r = post_usage(&s, &lk, "k1", &[call_event("u1", &instant(-60), 60, false)]);
        assert_eq!(
            (r.status, r.body["error"]["code"].clone()),
            (403, json!("insufficient_scope")),
            "{backend}"
        );
        let r = send(
            &s,
            "PUT",
            &c.key,
            "/leases/l",
            Some(json!({ "credits": "10" })),
        );
        assert_eq!(
            (r.status, r.body["error"]["code"].clone()),
            (403, json!("insufficient_scope"))
        );
        let bad = [
            (
                json!({ "credits": "10", "ttlSeconds": 0 }),
                "invalid_ttl",
                "ttlSeconds",
            ),
            (json!({ "credits": "-1" }), "amount_out_of_range", "credits"),
            (json!({ "credits": "1.5.0" }), "invalid_decimal", "credits"),
        ];
        for (body, code, field) in bad {
            let r = send(&s, "PUT", &lk, "/leases/l", Some(body.clone()));
            assert_eq!(
                r.body["error"]["code"], code,
                "{backend} {body}: {}",
                r.body
            );
            assert_eq!(r.body["error"]["field"], field, "{body}: {}", r.body);
        }
        // A bad report books none of it and names the call.
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/l",
            Some(
                json!({ "ended": [ended("ok", 60), { "id": "bad", "connectedSeconds": 60, "direction": "outbound" }] }),
            ),
        );
        assert_eq!(r.status, 400, "{}", r.body);
        let w = wallet(&s, &c);
        assert_eq!(
            dec(&w["balance"]),
            Decimal::from(50),
            "{backend}: nothing booked: {w}"
        );
        // A lease id that is a live call's is refused.
        let r = send(
            &s,
            "POST",
            &c.key,
            "/calls",
            Some(json!({ "id": "c1", "direction": "outbound" })),
        );
        assert_eq!(r.status, 200, "{}", r.body);
        let r = send(
            &s,
            "PUT",
            &lk,
            "/leases/c1",
            Some(json!({ "credits": "1" })),
        );
        assert_eq!(
            (r.status, r.body["error"]["code"].clone()),
            (422, json!("duplicate_id")),
            "{}",
            r.body
        );
    }
}

/// SEMANTICS 12: a lease never shrinks below what its edge's live calls hold, and a release
/// gives back only what no live call holds (issue 24: a release with a call live handed the
/// whole lease back, the server granted that money to a direct call, and the account owed
/// 44 when the edge's call ended).
#[test]
fn a_lease_keeps_what_its_live_calls_hold() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = wallet_account(&s, "acme", "100");
        let lk = issue_key(&s, "acme", "billing:lease");
        let put = |body: Value| send(&s, "PUT", &lk, "/leases/edge-1", Some(body));
        assert_eq!(put(json!({ "credits": "60" })).status, 201);
        // The edge's calls hold 45: a renewal asking for 10 keeps 45.
        let r = put(json!({ "credits": "10", "held": { "credits": "45" } }));
        assert_eq!(
            (r.status, dec(&r.body["lease"]["credits"])),
            (200, Decimal::from(45)),
            "{backend}: {}",
            r.body
        );
        // Released with 45 still held: only what no call holds goes back.
        let r = send(
            &s,
            "POST",
            &lk,
            "/leases/edge-1/release",
            Some(json!({ "held": { "credits": "45" } })),
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        assert_eq!(
            dec(&r.body["released"]["credits"]),
            Decimal::ZERO,
            "{backend}: {}",
            r.body
        );
        assert_eq!(
            dec(&r.body["kept"]["credits"]),
            Decimal::from(45),
            "{backend}: {}",
            r.body
        );
        // So a direct call finds 55, not 100: its grant is what is left.
        let r = send(
            &s,
            "POST",
            &c.key,
            "/calls",
            Some(json!({ "id": "direct", "direction": "outbound", "quotaSeconds": 3600 })),
        );
        assert_eq!(
            (r.status, r.body["grantedSeconds"].as_u64()),
            (200, Some(360)),
            "{backend}: {}",
            r.body
        );
        // The edge's call ends (45 credits, 300 s) and its lease is then given back whole.
        let r = send(
            &s,
            "POST",
            &lk,
            "/leases/edge-1/release",
            Some(json!({ "ended": [ended("e1", 300)] })),
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        assert_eq!(r.body["kept"], Value::Null, "{backend}: {}", r.body);
        let r = send(
            &s,
            "POST",
            &c.key,
            "/calls/direct/end",
            Some(json!({ "connectedSeconds": 360 })),
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        let w = wallet(&s, &c);
        assert_eq!(
            (dec(&w["balance"]), dec(&w["held"])),
            (Decimal::ONE, Decimal::ZERO),
            "{backend}: nothing owed: {w}"
        );
        // What a renewal states it holds is bounded as any amount.
        let r = put(json!({ "held": { "credits": "-1" } }));
        assert_eq!(
            (r.status, r.body["error"]["field"].as_str()),
            (422, Some("held.credits")),
            "{backend}: {}",
            r.body
        );
    }
}
