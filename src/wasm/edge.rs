//! The edge's module (`drawdown_edge_bg.wasm`, the npm package's `drawdown/edge`): the
//! edge's state machine alone, built with the `edge` feature. Only an edge worker imports it,
//! so the main module (every operation and handle) does not carry it and each stays under
//! the 300,000-byte ceiling (BENCHMARKS.md).

use super::js::{js_error, Js};
use crate::engine::error::{Code, Error};
use crate::ops::Emit;
use wasm_bindgen::prelude::*;

/// The edge's protocol (SEMANTICS 12) as the core's state machine (`edge::EdgeMachine`):
/// the Durable Object of `examples/edge-worker` is a shell that stores, sends and wakes.
/// Events and settings go in as JSON text (read by the core's own reader), steps come out
/// as plain objects.
#[wasm_bindgen(js_name = EdgeMachine)]
pub struct EdgeHandle(crate::engine::edge::EdgeMachine);

#[wasm_bindgen(js_class = EdgeMachine)]
impl EdgeHandle {
    /// `settings`: `EdgeSettings` JSON; `state`: what `state()` gave before, or `""` for a
    /// new object; `ended`: `{ callId: record }` JSON, the end records `step` gave to store.
    #[wasm_bindgen(constructor)]
    pub fn new(settings: &str, state: &str, ended: &str) -> Result<EdgeHandle, JsValue> {
        let value = |text: &str, field: &str| -> Result<serde_json::Value, JsValue> {
            let text = if text.is_empty() { "null" } else { text };
            serde_json::from_str(text)
                .map_err(|e| js_error(&Error::at(Code::InvalidJson, field, e.to_string())))
        };
        let settings = crate::engine::edge::EdgeSettings::from_value(&value(settings, "settings")?)
            .map_err(|e| js_error(&e.within("settings")))?;
        let state = match value(state, "state")? {
            serde_json::Value::Null => None,
            v => Some(
                crate::engine::edge::EdgeState::from_value(&v)
                    .map_err(|e| js_error(&e.within("state")))?,
            ),
        };
        // Inserted one by one: `collect` into a map links a stable sort (wasm size).
        let mut ended_calls = std::collections::BTreeMap::new();
        if let serde_json::Value::Object(m) = value(ended, "ended")? {
            ended_calls.extend(m);
        }
        crate::engine::edge::EdgeMachine::new(settings, state, ended_calls)
            .map(EdgeHandle)
            .map_err(|e| js_error(&e))
    }

    /// A platform request (`rid` names it in the answer) at `now`, ms since the epoch on the
    /// runtime's clock (an integer count far inside 2^53, not an amount).
    pub fn request(
        &mut self,
        now: f64,
        rid: u32,
        method: String,
        path: String,
        body: String,
    ) -> Result<JsValue, JsValue> {
        let request = crate::engine::edge::PlatformRequest { method, path, body };
        self.run(
            now,
            crate::engine::edge::Event::Request {
                rid: u64::from(rid),
                request,
            },
        )
    }

    /// The server's reply to send `seq` (`status` 0: it could not be reached).
    pub fn reply(
        &mut self,
        now: f64,
        seq: f64,
        status: u16,
        body: String,
    ) -> Result<JsValue, JsValue> {
        self.run(
            now,
            crate::engine::edge::Event::Reply {
                seq: seq as u64,
                status,
                body,
            },
        )
    }

    /// The wake-up the last step asked for.
    pub fn tick(&mut self, now: f64) -> Result<JsValue, JsValue> {
        self.run(now, crate::engine::edge::Event::Tick)
    }

    fn run(&mut self, now: f64, event: crate::engine::edge::Event) -> Result<JsValue, JsValue> {
        Js.emit(&self.0.step(now as i64, event))
            .map_err(|e| js_error(&e))
    }

    /// The state to persist (JSON text), after a step that says `persist`.
    pub fn state(&self) -> String {
        self.0.state_json()
    }
}

/// The engine's version (the crate's and the npm package's).
#[wasm_bindgen]
pub fn version() -> String {
    crate::version().to_string()
}
