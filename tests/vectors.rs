//! Runs every vector file in tests/vectors natively (CONTRACT.md "Test vectors").
#![cfg(not(target_arch = "wasm32"))]

use drawdown::vectors::{mismatch, run_file};
use serde_json::json;

#[test]
fn every_vector_file_passes() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let mut total = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let (n, f) = run_file(&std::fs::read_to_string(&path).unwrap()).unwrap();
        total += n;
        failures.extend(
            f.into_iter()
                .map(|(name, why)| format!("{}: {name}: {why}", path.display())),
        );
    }
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 150, "only {total} vectors");
}

#[test]
fn pattern_compares_decimals_by_value_and_ignores_unlisted_keys() {
    assert_eq!(
        mismatch(&json!({"a": "18"}), &json!({"a": "18.0000", "b": 1}), ""),
        None
    );
    assert!(mismatch(&json!({"a": "18"}), &json!({"a": "18.0001"}), "").is_some());
    assert!(mismatch(&json!({"a": "x"}), &json!({}), "").is_some());
    assert!(mismatch(&json!([1, 2]), &json!([1, 2, 3]), "").is_some());
    assert!(mismatch(&json!({"a": true}), &json!({"a": "true"}), "").is_some());
    assert!(mismatch(&json!({"s": "ok"}), &json!({"s": "in_alarm"}), "").is_some());
}

#[test]
fn a_wrong_expectation_fails() {
    let file = json!([{ "name": "wrong on purpose", "op": "evaluateAlerts",
        "input": { "settings": { "critical": { "threshold": "10" } }, "balance": "5" },
        "expect": { "state": "ok" } }]);
    let (n, f) = run_file(&file.to_string()).unwrap();
    assert_eq!((n, f.len()), (1, 1));
    let file = json!([{ "name": "error expected", "op": "evaluateAlerts",
        "input": { "settings": {}, "balance": "5" }, "expectError": { "code": "invalid_decimal" } }]);
    assert_eq!(run_file(&file.to_string()).unwrap().1.len(), 1);
}

/// JavaScript cannot tell `1e3` or `1000.0` from `1000`, so a vector holding such a literal
/// would mean one thing natively and another through the npm package. Keep them out of the
/// vector files (the native rejection is tested below instead).
#[test]
fn vector_files_hold_no_integral_float_literals() {
    fn walk(v: &serde_json::Value, path: &str, bad: &mut Vec<String>) {
        match v {
            serde_json::Value::Number(n)
                if n.is_f64() && n.as_f64().is_some_and(|f| f.fract() == 0.0) =>
            {
                bad.push(path.to_string())
            }
            serde_json::Value::Array(a) => a
                .iter()
                .enumerate()
                .for_each(|(i, x)| walk(x, &format!("{path}[{i}]"), bad)),
            serde_json::Value::Object(m) => m
                .iter()
                .for_each(|(k, x)| walk(x, &format!("{path}.{k}"), bad)),
            _ => {}
        }
    }
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let mut bad = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "json") {
            let v: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
            walk(&v, &path.display().to_string(), &mut bad);
        }
    }
    assert!(bad.is_empty(), "integral float literals: {bad:?}");
}

#[test]
fn integral_float_and_exponent_literals_are_invalid_decimal_natively() {
    for literal in ["1e3", "1000.0", "1E3", "9007199254740992"] {
        let text = format!(r#"{{"settings":{{}},"balance":{literal}}}"#);
        let err = drawdown::ops::eval_text("evaluateAlerts", &text).unwrap_err();
        assert!(err.contains("invalid_decimal"), "{literal}: {err}");
    }
    assert!(
        drawdown::ops::eval_text("evaluateAlerts", r#"{"settings":{},"balance":1000}"#).is_ok()
    );
}

/// The text route (what the CLI and the npm package use: typed straight from JSON text,
/// fields serialized in declaration order) gives the same bytes as the `Value` route
/// (sorted maps) for every vector: output structs keep their fields sorted.
#[test]
fn text_route_is_canonical_for_every_vector() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let list: Vec<serde_json::Value> =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        for v in list {
            let op = v["op"].as_str().unwrap();
            let via_value = match drawdown::eval(op, &v["input"]) {
                Ok(out) => drawdown::canonical(&out),
                Err(e) => drawdown::canonical(&drawdown::ops::error_json(&e)),
            };
            let via_text = match drawdown::ops::eval_text(op, &v["input"].to_string()) {
                Ok(s) | Err(s) => s,
            };
            assert_eq!(via_text, via_value, "{}", v["name"]);
            n += 1;
        }
    }
    assert!(n >= 150);
}
