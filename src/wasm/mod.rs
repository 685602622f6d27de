//! The WebAssembly binding (`pkg/`, through wasm-bindgen): a thin typed layer over `ops`
//! and the engine, and the packed integer answers the npm package reads (`words`).

#[cfg(target_arch = "wasm32")]
mod bindings;
#[cfg(target_arch = "wasm32")]
pub use bindings::*;
// Natively only for its unit tests.
#[cfg(any(target_arch = "wasm32", test))]
#[allow(dead_code)]
pub(crate) mod words;
