//! Runs every vector file in tests/vectors natively (CONTRACT.md "Test vectors").

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
