//! What both modules' bindings share: outputs as plain JS objects, errors as a thrown
//! `DrawdownError`.

use crate::engine::error::{Code, Error};
use crate::ops::Emit;
use serde::Serialize;
use wasm_bindgen::prelude::*;

/// Emits an operation's output as a plain JS object.
pub(crate) struct Js;

impl Emit for Js {
    type Out = JsValue;
    fn emit<O: Serialize>(self, out: &O) -> crate::engine::error::Result<JsValue> {
        let internal = |e: &dyn std::fmt::Display| Error::new(Code::Internal, None, e.to_string());
        out.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
            .map_err(|e| internal(&e))
    }
}

/// A JS `Error` carrying the engine's stable `code` and the `field` it concerns (`null`
/// when the error concerns the whole input).
pub(crate) fn js_error(e: &Error) -> JsValue {
    let err = js_sys::Error::new(&e.message);
    err.set_name("DrawdownError");
    let field = e.field.as_deref().map_or(JsValue::NULL, JsValue::from_str);
    // Defining a property on a fresh Error object cannot fail.
    let _ = js_sys::Reflect::set(&err, &"code".into(), &JsValue::from_str(e.code.as_str()));
    let _ = js_sys::Reflect::set(&err, &"field".into(), &field);
    err.into()
}
