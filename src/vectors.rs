//! Test vectors (CONTRACT.md "Test vectors"): `{ name, op, input, expect | expectError }`,
//! matched as a pattern. Pure: the callers read the files.

use crate::engine::amount::parse_decimal;
use serde_json::Value;

/// Where `actual` departs from `pattern`, or `None` when it matches. Objects match key by
/// key (keys the pattern omits are not compared), arrays by length and element, two
/// decimal strings by value, anything else exactly.
pub fn mismatch(pattern: &Value, actual: &Value, path: &str) -> Option<String> {
    match (pattern, actual) {
        (Value::Object(p), Value::Object(a)) => p.iter().find_map(|(k, pv)| match a.get(k) {
            Some(av) => mismatch(pv, av, &format!("{path}.{k}")),
            None => Some(format!("{path}.{k}: missing, expected {pv}")),
        }),
        (Value::Array(p), Value::Array(a)) => {
            if p.len() != a.len() {
                return Some(format!(
                    "{path}: {} elements, expected {}",
                    a.len(),
                    p.len()
                ));
            }
            p.iter()
                .zip(a)
                .enumerate()
                .find_map(|(i, (pv, av))| mismatch(pv, av, &format!("{path}[{i}]")))
        }
        (Value::String(p), Value::String(a)) => match (parse_decimal(p), parse_decimal(a)) {
            (Ok(x), Ok(y)) if x == y => None,
            _ if p == a => None,
            _ => Some(format!("{path}: got {actual}, expected {pattern}")),
        },
        _ if pattern == actual => None,
        _ => Some(format!("{path}: got {actual}, expected {pattern}")),
    }
}

/// Run one vector; `Err` says why it failed.
pub fn check(vector: &Value) -> Result<(), String> {
    let op = vector
        .get("op")
        .and_then(Value::as_str)
        .ok_or("vector has no `op`")?;
    let input = vector.get("input").ok_or("vector has no `input`")?;
    let result = crate::ops::eval(op, input);
    match (vector.get("expect"), vector.get("expectError"), result) {
        (Some(p), None, Ok(out)) => mismatch(p, &out, "").map_or(Ok(()), Err),
        (Some(_), None, Err(e)) => Err(format!("unexpected error {e}")),
        (None, Some(p), Err(e)) => {
            let got = serde_json::to_value(&e).map_err(|e| e.to_string())?;
            mismatch(p, &got, "error").map_or(Ok(()), |m| Err(format!("{m} ({e})")))
        }
        (None, Some(_), Ok(out)) => Err(format!(
            "expected an error, got {}",
            crate::ops::canonical(&out)
        )),
        _ => Err("vector needs exactly one of `expect` and `expectError`".into()),
    }
}

/// The outcome of one vector file's text: `(name, Err(why))` for each failure, and the count.
pub fn run_file(text: &str) -> Result<(usize, Vec<(String, String)>), String> {
    let doc: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    let list = doc.as_array().ok_or("a vector file is a JSON array")?;
    let mut failures = Vec::new();
    for (i, v) in list.iter().enumerate() {
        if let Err(why) = check(v) {
            let name = v
                .get("name")
                .and_then(Value::as_str)
                .map_or_else(|| format!("#{i}"), str::to_string);
            failures.push((name, why));
        }
    }
    Ok((list.len(), failures))
}
