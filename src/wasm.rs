//! WebAssembly bindings: a thin layer over `ops::eval`, so the browser, Node and edge
//! workers run the native build's exact code path. Inputs are plain JS objects read with
//! serde-wasm-bindgen; outputs are plain objects (`json_compatible`: no Map, no BigInt).
//! Every failure is thrown as a JS `Error` named `DrawdownError` with `code` and `field`.

use crate::error::Error;
use serde::Serialize;
use serde_json::Value;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("wasm_types.d.ts");

fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("DrawdownError");
    let obj: &JsValue = err.as_ref();
    // Reflect::set on a fresh Error object cannot fail; ignore the Ok(true).
    let _ = js_sys::Reflect::set(obj, &"code".into(), &e.code.as_str().into());
    let field = e.field.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    let _ = js_sys::Reflect::set(obj, &"field".into(), &field);
    err.into()
}

fn to_js(v: &Value) -> Result<JsValue, JsValue> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(|e| js_error(&Error::new("internal", None, e.to_string())))
}

/// One operation: JS object -> JSON value -> the core -> plain JS object.
fn call(op: &str, input: JsValue) -> Result<JsValue, JsValue> {
    let value: Value = serde_wasm_bindgen::from_value(input)
        .map_err(|e| js_error(&Error::new("invalid_input", None, format!("input is not a plain JSON-like object: {e}"))))?;
    match crate::ops::eval(op, &value) {
        Ok(out) => to_js(&out),
        Err(e) => Err(js_error(&e)),
    }
}

#[wasm_bindgen(js_name = quoteCall, unchecked_return_type = "Quote")]
pub fn quote_call(#[wasm_bindgen(unchecked_param_type = "QuoteInput")] input: JsValue) -> Result<JsValue, JsValue> {
    call("quoteCall", input)
}

#[wasm_bindgen(js_name = previewDrawdown, unchecked_return_type = "Preview")]
pub fn preview_drawdown(#[wasm_bindgen(unchecked_param_type = "PreviewInput")] input: JsValue) -> Result<JsValue, JsValue> {
    call("previewDrawdown", input)
}

#[wasm_bindgen(js_name = authorizeCall, unchecked_return_type = "Authorization")]
pub fn authorize_call(#[wasm_bindgen(unchecked_param_type = "AuthorizeInput")] input: JsValue) -> Result<JsValue, JsValue> {
    call("authorizeCall", input)
}

#[wasm_bindgen(js_name = validateAutoReload, unchecked_return_type = "ReloadValidation")]
pub fn validate_auto_reload(
    #[wasm_bindgen(unchecked_param_type = "ValidateAutoReloadInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    call("validateAutoReload", input)
}

#[wasm_bindgen(js_name = evaluateAlerts, unchecked_return_type = "AlertEvaluation")]
pub fn evaluate_alerts(#[wasm_bindgen(unchecked_param_type = "EvaluateAlertsInput")] input: JsValue) -> Result<JsValue, JsValue> {
    call("evaluateAlerts", input)
}

/// Run any operation by its contract name; `eval` over JSON text, returning canonical JSON
/// text (`{"error":{...}}` on failure). This is what the parity test compares byte for byte
/// with the native `drawdown eval`.
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
