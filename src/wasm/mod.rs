//! The WebAssembly bindings (`pkg/`, through wasm-bindgen): a thin typed layer over `ops`
//! and the engine, and the packed integer answers the npm package reads (`words`). Two
//! modules come from them: the main one (every operation and handle) and, with the `edge`
//! feature, the edge's state machine alone (`edge`).

#[cfg(all(target_arch = "wasm32", not(feature = "edge")))]
mod bindings;
#[cfg(all(target_arch = "wasm32", not(feature = "edge")))]
pub use bindings::*;
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
mod edge;
#[cfg(all(target_arch = "wasm32", feature = "edge"))]
pub use edge::*;
#[cfg(target_arch = "wasm32")]
mod js;
// Natively only for its unit tests.
#[cfg(any(all(target_arch = "wasm32", not(feature = "edge")), test))]
#[allow(dead_code)]
pub(crate) mod words;
