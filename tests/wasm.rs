//! Every vector file, inside the WebAssembly build, through the exported bindings: plain JS
//! object in (JSON.stringify, the engine's text parser), plain object out (serde-wasm-bindgen),
//! and the text entry point `evalJson` too. Runs in Node (`wasm-pack test --node`) and in headless Chromium
//! (`wasm-pack test --headless --chrome`, with WASM_BINDGEN_USE_BROWSER=1). When the test
//! script provides the native build's canonical outputs, each output must match them byte
//! for byte.
#![cfg(target_arch = "wasm32")]

use drawdown::vectors::mismatch;
use serde_json::Value;
use std::collections::BTreeMap;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

include!(concat!(env!("OUT_DIR"), "/vector_files.rs"));

fn to_json(v: &JsValue) -> Value {
    let text = js_sys::JSON::stringify(v).unwrap().as_string().unwrap();
    serde_json::from_str(&text).unwrap()
}

/// An operation on a plain JS object, as the package's exports run it.
fn call(op: &str, input: JsValue) -> Result<JsValue, JsValue> {
    drawdown::wasm::eval_object(op, &input)
}

fn prop(v: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(v, &key.into()).unwrap()
}

/// Native canonical outputs keyed by (file, vector name).
fn native() -> Option<BTreeMap<(String, String), String>> {
    NATIVE_CANONICAL.map(|text| {
        text.lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                let key = (
                    v["file"].as_str().unwrap().to_string(),
                    v["name"].as_str().unwrap().to_string(),
                );
                (key, v["out"].as_str().unwrap().to_string())
            })
            .collect()
    })
}

/// An answer as canonical JSON: the output, or the thrown Error as the `{"error":{...}}`
/// document the native build prints.
fn canonical_of(op: &str, answer: Result<JsValue, JsValue>) -> String {
    match answer {
        Ok(out) => drawdown::canonical(&to_json(&out)),
        Err(err) => {
            // A real JS Error with name, code and field; never a string or an abort.
            assert!(
                err.is_instance_of::<js_sys::Error>(),
                "{op}: thrown value is not an Error"
            );
            assert_eq!(
                prop(&err, "name").as_string().as_deref(),
                Some("DrawdownError")
            );
            let mut e = serde_json::Map::new();
            e.insert(
                "code".into(),
                prop(&err, "code").as_string().unwrap_or_default().into(),
            );
            if let Some(f) = prop(&err, "field").as_string() {
                e.insert("field".into(), f.into());
            }
            e.insert(
                "message".into(),
                prop(&err, "message").as_string().unwrap_or_default().into(),
            );
            drawdown::canonical(&serde_json::json!({ "error": e }))
        }
    }
}

#[wasm_bindgen_test]
fn every_vector_passes_through_the_bindings() {
    let native = native();
    let (mut total, mut compared) = (0, 0);
    let mut failures = Vec::new();
    for (file, text) in VECTOR_FILES {
        let list: Vec<Value> = serde_json::from_str(text).unwrap();
        for v in list {
            total += 1;
            let name = v["name"].as_str().unwrap().to_string();
            let op = v["op"].as_str().unwrap();
            let input_text = v["input"].to_string();
            let canonical = canonical_of(op, drawdown::wasm::eval_json(op, &input_text));
            if drawdown::ops::OPS.contains(&op) {
                // Plain JS objects in, plain objects (or a thrown Error) out: the same bytes.
                let input = js_sys::JSON::parse(&input_text).unwrap();
                let via_objects = canonical_of(op, call(op, input));
                if via_objects != canonical {
                    failures.push(format!(
                        "{file} :: {name}: object API {via_objects} != text {canonical}"
                    ));
                }
            }
            let out: Value = serde_json::from_str(&canonical).unwrap();
            // A failure is the one-key document {"error":{...}}; authorizeCall's 402 answer
            // also has an `error` key, among others.
            let thrown = out
                .as_object()
                .filter(|o| o.len() == 1)
                .and_then(|o| o.get("error"));
            let verdict = match (v.get("expect"), v.get("expectError"), thrown) {
                (Some(p), None, None) => mismatch(p, &out, ""),
                (None, Some(p), Some(e)) => mismatch(p, e, "error"),
                _ => Some(format!("unexpected outcome {canonical}")),
            };
            if let Some(m) = verdict {
                failures.push(format!("{file} :: {name}: {m}"));
            }
            if let Some(native) = &native {
                match native.get(&(file.to_string(), name.clone())) {
                    Some(n) if *n == canonical => compared += 1,
                    Some(n) => {
                        failures.push(format!("{file} :: {name}: native {n} != wasm {canonical}"))
                    }
                    None => failures.push(format!("{file} :: {name}: no native output")),
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 150);
    if option_env!("DRAWDOWN_REQUIRE_PARITY").is_some() {
        assert_eq!(
            compared, total,
            "native outputs were required for every vector"
        );
    }
}

#[wasm_bindgen_test]
fn floats_are_refused_and_nothing_aborts() {
    let input = js_sys::JSON::parse(r#"{"settings":{},"balance":0.5}"#).unwrap();
    let err = call("evaluateAlerts", input).unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("invalid_decimal")
    );
    assert_eq!(prop(&err, "field").as_string().as_deref(), Some("balance"));
    // Garbage of every JS type: each answers or throws a coded Error, and the module lives on.
    for junk in [
        "null",
        "42",
        "\"x\"",
        "[]",
        "{}",
        "{\"rateCard\":[]}",
        "{\"call\":{\"connectedSeconds\":-1}}",
    ] {
        let _ = call("quoteCall", js_sys::JSON::parse(junk).unwrap());
    }
    // Non-JSON text is a thrown invalid_json error, not a trap.
    let err = drawdown::wasm::eval_json("previewDrawdown", "undefined").unwrap_err();
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("invalid_json")
    );
    // What JSON.stringify refuses (a BigInt) is a thrown invalid_input error.
    let big = js_sys::Object::new();
    js_sys::Reflect::set(&big, &"balance".into(), &js_sys::BigInt::from(1u32).into()).unwrap();
    let err = call("evaluateAlerts", big.into()).unwrap_err();
    assert!(err.is_instance_of::<js_sys::Error>());
    assert_eq!(
        prop(&err, "code").as_string().as_deref(),
        Some("invalid_input")
    );
    let ok = call(
        "evaluateAlerts",
        js_sys::JSON::parse(r#"{"settings":{},"balance":"1"}"#).unwrap(),
    );
    assert_eq!(
        prop(&ok.unwrap(), "state").as_string().as_deref(),
        Some("ok")
    );
}

#[wasm_bindgen_test]
fn outputs_are_plain_objects() {
    let input = js_sys::JSON::parse(
        r#"{"rateCard":{"currency":"USD","creditsPerUnit":"100","chat":{"perMessage":"0.5"}},
            "account":{"grants":[{"id":"w","type":"prepaid","remaining":"10"}],"agents":{"a":{}}},
            "usage":[{"id":"m","at":"2026-03-10T12:00:00Z","kind":"chat","agentId":"a","messages":2}]}"#,
    )
    .unwrap();
    let out = call("previewDrawdown", input).unwrap();
    let spend = prop(&out, "agentSpend");
    assert!(
        !spend.is_instance_of::<js_sys::Map>(),
        "maps must cross as plain objects"
    );
    assert_eq!(prop(&spend, "a").as_string().as_deref(), Some("1.0000"));
    assert_eq!(
        prop(&out, "balanceAfter").as_string().as_deref(),
        Some("9.0000")
    );
}
