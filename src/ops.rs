//! The contract operations over JSON values, and canonical JSON. The native CLI,
//! the WebAssembly bindings and the test vectors all come through here.

use crate::engine::error::{Code, Error, Result};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

pub const OPS: [&str; 10] = [
    "quoteCall",
    "previewDrawdown",
    "authorizeCall",
    "validateAutoReload",
    "evaluateAlerts",
    "startCall",
    "extendCall",
    "endCall",
    "quoteTopUp",
    "forecastRunway",
];

pub use crate::engine::pathde::{parse, parse_text};

fn run<I: DeserializeOwned, O: Serialize>(
    input: &Value,
    f: impl Fn(&I) -> Result<O>,
) -> Result<Value> {
    let out = f(&parse::<I>(input)?)?;
    serde_json::to_value(out).map_err(|e| Error::new(Code::Internal, None, e.to_string()))
}

/// Run one operation by its contract name.
pub fn eval(op: &str, input: &Value) -> Result<Value> {
    match op {
        "quoteCall" => run(input, crate::engine::rating::quote_call),
        "previewDrawdown" => run(input, crate::engine::drawdown::preview_answer),
        "authorizeCall" => run(input, crate::engine::authorize::authorize_call),
        "validateAutoReload" => run(input, crate::engine::reload::validate_auto_reload),
        "evaluateAlerts" => run(input, crate::engine::alerts::evaluate_alerts),
        "startCall" => run(input, crate::engine::live::start_call),
        "extendCall" => run(input, crate::engine::live::extend_call),
        "endCall" => run(input, crate::engine::live::end_call),
        "quoteTopUp" => run(input, crate::tax::quote_top_up),
        "forecastRunway" => run(input, crate::engine::runway::forecast_runway),
        _ => Err(unknown_op(op)),
    }
}

/// Canonical JSON: object keys sorted, no whitespace. Native and WebAssembly outputs
/// are compared byte for byte in this form.
pub fn canonical(v: &Value) -> String {
    // serde_json's Map is a BTreeMap (no `preserve_order`), so keys serialize sorted.
    serde_json::to_string(v).unwrap_or_default()
}

/// The error as the server and CLI print it: `{"error":{...}}`.
pub fn error_json(e: &Error) -> Value {
    serde_json::json!({ "error": e })
}

/// Where an operation's typed output goes: canonical JSON text (the CLI, the server,
/// `evalCanonical`) or, in the WebAssembly bindings, a plain JS object.
pub trait Emit {
    type Out;
    fn emit<O: Serialize>(self, out: &O) -> Result<Self::Out>;
}

/// Canonical JSON text. Output structs declare their fields in sorted order, so direct
/// serialization is already canonical (tests check it against the `Value` route for every
/// vector).
pub struct Text;

impl Emit for Text {
    type Out = String;
    fn emit<O: Serialize>(self, out: &O) -> Result<String> {
        serde_json::to_string(out).map_err(|e| Error::new(Code::Internal, None, e.to_string()))
    }
}

fn run_with<I: DeserializeOwned, O: Serialize, E: Emit>(
    text: &str,
    emit: E,
    f: impl Fn(&I) -> Result<O>,
) -> Result<E::Out> {
    emit.emit(&f(&parse_text::<I>(text)?)?)
}

/// Run one operation by its contract name on JSON text, handing the output to `emit`.
pub fn eval_with<E: Emit>(op: &str, input: &str, emit: E) -> Result<E::Out> {
    match op {
        "quoteCall" => run_with(input, emit, crate::engine::rating::quote_call),
        "previewDrawdown" => run_with(input, emit, crate::engine::drawdown::preview_answer),
        "authorizeCall" => run_with(input, emit, crate::engine::authorize::authorize_call),
        "validateAutoReload" => run_with(input, emit, crate::engine::reload::validate_auto_reload),
        "evaluateAlerts" => run_with(input, emit, crate::engine::alerts::evaluate_alerts),
        "startCall" => run_with(input, emit, crate::engine::live::start_call),
        "extendCall" => run_with(input, emit, crate::engine::live::extend_call),
        "endCall" => run_with(input, emit, crate::engine::live::end_call),
        "quoteTopUp" => run_with(input, emit, crate::tax::quote_top_up),
        "forecastRunway" => run_with(input, emit, crate::engine::runway::forecast_runway),
        _ => Err(unknown_op(op)),
    }
}

/// `eval` from text to canonical text: `Ok` output or `Err` error document. The CLI and
/// `evalCanonical` come through here.
pub fn eval_text(op: &str, input: &str) -> std::result::Result<String, String> {
    eval_with(op, input, Text)
        .map_err(|e| serde_json::to_string(&ErrorDoc { error: &e }).unwrap_or_default())
}

#[derive(Serialize)]
struct ErrorDoc<'a> {
    error: &'a Error,
}

fn unknown_op(op: &str) -> Error {
    Error::new(
        Code::UnknownOp,
        None,
        format!("`{op}` is not one of {}", OPS.join(", ")),
    )
}
