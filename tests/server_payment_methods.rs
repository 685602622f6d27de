//! Saved payment methods (seed 002: auto-recharge needs a saved payment method) on both
//! stores: a card saved through the provider's setup, listed, made the default, removed;
//! auto-recharge charges a saved card only, and the card it charges stays while it is on.
#![cfg(all(feature = "server", not(target_arch = "wasm32")))]

#[path = "server/common.rs"]
mod common;

use common::*;
use serde_json::json;

#[test]
fn cards_are_saved_chosen_and_removed_and_auto_recharge_charges_only_a_saved_one() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(
            &s,
            "cards",
            json!({ "timeZone": "UTC", "grants": [] }),
            None,
        );
        let list = |s: &Server| send(s, "GET", &c.session, "/billing/payment-methods", None).body;
        assert_eq!(
            list(&s),
            json!({ "methods": [], "defaultId": null }),
            "{backend}"
        );
        // Declined, expired, a secret that is not the setup's: nothing saved.
        assert_eq!(
            error_of(&save_card(&s, &c.session, "4000 0000 0000 0002")),
            (422, "card_declined", "card.number")
        );
        let setup = post(&s, &c.session, "/billing/payment-methods/setup", json!({})).body;
        let expired = json!({ "setupId": setup["setupId"], "clientSecret": setup["clientSecret"],
                              "card": { "number": "4242424242424242", "expMonth": 1, "expYear": 2020 } });
        let r = post(&s, &c.session, "/billing/payment-methods", expired);
        assert_eq!(
            error_of(&r),
            (422, "card_declined", "card.expYear"),
            "{backend}"
        );
        let forged = json!({ "setupId": setup["setupId"], "clientSecret": "seti_forged",
                             "card": { "number": "4242424242424242", "expMonth": 1, "expYear": 2099 } });
        let r = post(&s, &c.session, "/billing/payment-methods", forged);
        assert_eq!(
            error_of(&r),
            (404, "payment_method_not_found", "setupId"),
            "{backend}"
        );
        assert_eq!(list(&s)["methods"], json!([]), "{backend}");
        // The first card saved is the default; a second is not until chosen.
        let visa = save_card(&s, &c.session, "4242 4242 4242 4242");
        assert_eq!(visa.status, 200, "{backend}: {}", visa.body);
        assert_eq!(
            (
                &visa.body["brand"],
                &visa.body["last4"],
                &visa.body["isDefault"]
            ),
            (&json!("visa"), &json!("4242"), &json!(true))
        );
        let visa = visa.body["id"].as_str().unwrap().to_string();
        let mc = save_card(&s, &c.session, "5555555555554444").body;
        let mc = mc["id"].as_str().unwrap().to_string();
        assert_eq!(list(&s)["defaultId"], json!(visa), "{backend}");
        let r = send(
            &s,
            "PUT",
            &c.session,
            &format!("/billing/payment-methods/{mc}/default"),
            None,
        );
        assert_eq!(
            (r.status, &r.body["isDefault"]),
            (200, &json!(true)),
            "{backend}: {}",
            r.body
        );
        assert_eq!(list(&s)["defaultId"], json!(mc), "{backend}");
        // Auto-recharge: an unknown card is refused at its field; a saved one is kept.
        let ar = |pm: &str| json!({ "enabled": true, "threshold": "5.00", "amount": "20.00", "paymentMethod": pm });
        let r = send(
            &s,
            "PUT",
            &c.session,
            "/billing/wallet/auto-reload",
            Some(ar("pm_card_visa")),
        );
        assert_eq!(
            error_of(&r),
            (404, "payment_method_not_found", "paymentMethod"),
            "{backend}"
        );
        let r = send(
            &s,
            "PUT",
            &c.session,
            "/billing/wallet/auto-reload",
            Some(ar(&mc)),
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        // The card auto-recharge charges stays while it is on; the other one goes.
        let r = send(
            &s,
            "DELETE",
            &c.session,
            &format!("/billing/payment-methods/{mc}"),
            None,
        );
        assert_eq!(
            error_of(&r),
            (409, "payment_method_in_use", "id"),
            "{backend}"
        );
        let r = send(
            &s,
            "DELETE",
            &c.session,
            &format!("/billing/payment-methods/{visa}"),
            None,
        );
        assert_eq!(r.status, 200, "{backend}: {}", r.body);
        // Off, the default can go too; nothing is left to be the default.
        let off = json!({ "enabled": false, "threshold": "5.00", "amount": "20.00", "paymentMethod": mc });
        assert_eq!(
            send(
                &s,
                "PUT",
                &c.session,
                "/billing/wallet/auto-reload",
                Some(off)
            )
            .status,
            200
        );
        let r = send(
            &s,
            "DELETE",
            &c.session,
            &format!("/billing/payment-methods/{mc}"),
            None,
        );
        assert_eq!(
            (r.status, &r.body),
            (200, &json!({ "methods": [], "defaultId": null })),
            "{backend}"
        );
        let r = send(
            &s,
            "DELETE",
            &c.session,
            &format!("/billing/payment-methods/{mc}"),
            None,
        );
        assert_eq!(
            error_of(&r),
            (404, "payment_method_not_found", "id"),
            "{backend}"
        );
        // Saved cards are the dashboard session's: an API key is refused.
        let r = send(&s, "GET", &c.key, "/billing/payment-methods", None);
        assert_eq!(error_of(&r).0, 403, "{backend}");
    }
}

#[test]
fn a_removed_default_passes_to_the_newest_card_left() {
    for backend in backends() {
        let s = Server::start(&fresh_store(backend), &[]);
        let c = create_account(
            &s,
            "cards2",
            json!({ "timeZone": "UTC", "grants": [] }),
            None,
        );
        let first = save_card(&s, &c.session, "4242424242424242").body["id"].clone();
        let second = save_card(&s, &c.session, "5555555555554444").body["id"].clone();
        let path = format!("/billing/payment-methods/{}", first.as_str().unwrap());
        let left = send(&s, "DELETE", &c.session, &path, None).body;
        assert_eq!(
            (&left["defaultId"], left["methods"].as_array().map(Vec::len)),
            (&second, Some(1)),
            "{backend}"
        );
    }
}
