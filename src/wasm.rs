//! WebAssembly bindings: a thin layer over `ops::eval_with`, so the browser, Node and edge
//! workers run the native build's exact code path and get the same numbers.
//!
//! In: the plain object goes through `JSON.stringify` and then the same text parser as the
//! native build. serde-wasm-bindgen's `from_value` was measured slower (39 us against 25 us
//! per `quoteCall`) and links float printing in (BENCHMARKS.md). Out: serde-wasm-bindgen's
//! `json_compatible` serializer builds the plain object straight from the output structs
//! (amounts are strings, maps plain objects, no BigInt). Going through a `serde_json::Value`
//! first would save 1.5 KB gzipped but cost 40% more time per call. Failures are thrown as a
//! JS `Error` named `DrawdownError` with `code` and `field`; nothing here can trap.

use crate::error::{Code, Error};
use crate::ops::{self, Emit};
use serde::Serialize;
use wasm_bindgen::prelude::*;

#[wasm_bindgen(typescript_custom_section)]
const TS_TYPES: &'static str = include_str!("wasm_types.d.ts");

/// Emits an operation's output as a plain JS object.
struct Js;

impl Emit for Js {
    type Out = JsValue;
    fn emit<O: Serialize>(self, out: &O) -> crate::error::Result<JsValue> {
        let internal = |e: &dyn std::fmt::Display| Error::new(Code::Internal, None, e.to_string());
        out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| internal(&e))
    }
}

/// A JS `Error` carrying the engine's stable `code` and the `field` it concerns (`null`
/// when the error concerns the whole input).
fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("DrawdownError");
    let field = e.field.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    // Defining a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from_str(e.code.as_str()));
    let _ = js_sys::Reflect::set(&err, &"field".into(), &field);
    err.into()
}

/// Run an operation on a plain JS object: its output as a plain object, or a thrown
/// `DrawdownError`. Public for the wasm tests, which drive every vector through it.
pub fn eval_object(op: &str, input: &JsValue) -> Result<JsValue, JsValue> {
    // JSON.stringify throws on a BigInt or a cycle and gives `undefined` for a function.
    let text = js_sys::JSON::stringify(input)
        .ok()
        .and_then(|s| s.as_string())
        .ok_or_else(|| {
            js_error(&Error::new(
                Code::InvalidInput,
                None,
                "the input must be a plain object that JSON.stringify accepts (no BigInt, no cycles)",
            ))
        })?;
    ops::eval_with(op, &text, Js).map_err(|e| js_error(&e))
}

/// Prices one call: its charge lines, total credits and money.
#[wasm_bindgen(js_name = quoteCall, unchecked_return_type = "Quote")]
pub fn quote_call(
    #[wasm_bindgen(unchecked_param_type = "QuoteInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("quoteCall", &input)
}

/// Applies usage to an account snapshot: lines, allocations, reloads, alerts, balances.
#[wasm_bindgen(js_name = previewDrawdown, unchecked_return_type = "Preview")]
pub fn preview_drawdown(
    #[wasm_bindgen(unchecked_param_type = "PreviewInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("previewDrawdown", &input)
}

/// The pre-call check: allowed, reason code and the exact maxSeconds.
#[wasm_bindgen(js_name = authorizeCall, unchecked_return_type = "Authorization")]
pub fn authorize_call(
    #[wasm_bindgen(unchecked_param_type = "AuthorizeInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("authorizeCall", &input)
}

/// Validates auto-reload settings: every error and warning with its field.
#[wasm_bindgen(js_name = validateAutoReload, unchecked_return_type = "ReloadValidation")]
pub fn validate_auto_reload(
    #[wasm_bindgen(unchecked_param_type = "ValidateAutoReloadInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("validateAutoReload", &input)
}

/// The balance-alert state for a balance, and whether it changed.
#[wasm_bindgen(js_name = evaluateAlerts, unchecked_return_type = "AlertEvaluation")]
pub fn evaluate_alerts(
    #[wasm_bindgen(unchecked_param_type = "EvaluateAlertsInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("evaluateAlerts", &input)
}

/// Starts a live call: grants its first quota and holds its cost in the returned account.
#[wasm_bindgen(js_name = startCall, unchecked_return_type = "QuotaGrant")]
pub fn start_call(
    #[wasm_bindgen(unchecked_param_type = "StartCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("startCall", &input)
}

/// The next quota of a live call, pricing the whole call once.
#[wasm_bindgen(js_name = extendCall, unchecked_return_type = "QuotaGrant")]
pub fn extend_call(
    #[wasm_bindgen(unchecked_param_type = "ExtendCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("extendCall", &input)
}

/// Ends a live call: bills it as a usage item and releases its hold.
#[wasm_bindgen(js_name = endCall, unchecked_return_type = "CallEnd")]
pub fn end_call(
    #[wasm_bindgen(unchecked_param_type = "EndCallInput")] input: JsValue,
) -> Result<JsValue, JsValue> {
    eval_object("endCall", &input)
}

/// Any operation on JSON text, its output as a plain object. The package's `evalCanonical`
/// prints that canonically in JS: a second, text serializer per output type here would cost
/// about 5 KB gzipped, and the parity test checks the JS printing byte for byte.
#[wasm_bindgen(js_name = evalJson)]
pub fn eval_json(op: &str, input_json: &str) -> Result<JsValue, JsValue> {
    ops::eval_with(op, input_json, Js).map_err(|e| js_error(&e))
}

/// The engine's version (the crate's and the npm package's).
#[wasm_bindgen]
pub fn version() -> String {
    crate::version().to_string()
}
