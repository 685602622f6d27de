// Browser and default entry: call `await init()` once (it fetches drawdown_bg.wasm next to
// this file, which Vite and other bundlers pick up as an asset), then use the API.
import initWasm, { initSync as initWasmSync } from "./drawdown.js";
import { markReady } from "./state.js";

export * from "./api.js";

let pending;

/** Instantiate the module; idempotent. `input`: a URL, Response, BufferSource or WebAssembly.Module. */
export function init(input) {
  pending ??= initWasm(input === undefined ? undefined : { module_or_path: input }).then(() => markReady());
  return pending;
}

/** Instantiate synchronously from a `WebAssembly.Module` or bytes (workers, tests). */
export function initSync(module) {
  initWasmSync({ module });
  markReady();
}
