//! WebAssembly bindings: a thin layer over `ops::eval_text`, so the browser, Node and edge
//! workers run the native build's exact code path and get the same bytes.
//!
//! Values cross as JSON text: the package's JS glue (`js/api.js`) does `JSON.stringify` on
//! the way in and `JSON.parse` on the way out, so callers pass and get plain objects (no Map,
//! no BigInt, amounts as strings). Measured against serde-wasm-bindgen's object walk, this
//! is several times faster per call and keeps the module smaller (BENCHMARKS.md).

use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("wasm_types.d.ts");

/// Run an operation on JSON text. The canonical output JSON, or, when the operation
/// fails, `!` followed by the `{"error":{code,message,field}}` document (which the JS glue
/// throws as a `DrawdownError`). Never traps: every failure is a value.
#[wasm_bindgen(js_name = evalJson)]
pub fn eval_json(op: &str, input_json: &str) -> String {
    match crate::ops::eval_text(op, input_json) {
        Ok(s) => s,
        Err(e) => format!("!{e}"),
    }
}

/// `eval_json` without the failure marker: canonical JSON text either way, exactly what the
/// native `drawdown eval` prints.
#[wasm_bindgen(js_name = evalCanonical)]
pub fn eval_canonical(op: &str, input_json: &str) -> String {
    match crate::ops::eval_text(op, input_json) {
        Ok(s) | Err(s) => s,
    }
}

/// The engine's version (the crate's and the npm package's).
#[wasm_bindgen]
pub fn version() -> String {
    crate::version().to_string()
}
