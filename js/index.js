// Browser and default entry: call `await init()` once (it fetches drawdown_bg.wasm next to
// this file, which Vite and other bundlers pick up as an asset), then use the API.
import initWasm, { initSync as initWasmSync } from "./drawdown.js";
import { markReady } from "./state.js";

export * from "./api.js";

let pending;

/** Instantiate the module; idempotent. `input`: a URL, Response, BufferSource or WebAssembly.Module. */
export function init(input) {
  pending ??= initWasm({ module_or_path: input ?? wasmUrl() }).then(() => markReady());
  return pending;
}

/** Where Vite's dev server pre-bundles dependencies: it copies this file's code there, but
 * not the .wasm beside it. */
const VITE_DEPS = /\/node_modules\/\.vite\/deps(_temp_[^/]*)?\//;

/** The .wasm next to this file (bundlers see this `new URL` and ship the file as an asset).
 * Run from Vite's pre-bundled dependencies, it is the installed package's own copy, which
 * the dev server serves: no `optimizeDeps.exclude` needed. */
function wasmUrl() {
  const url = new URL("./drawdown_bg.wasm", import.meta.url);
  if (VITE_DEPS.test(url.pathname)) url.pathname = url.pathname.replace(VITE_DEPS, "/node_modules/drawdown/");
  return url;
}

/** Instantiate synchronously from a `WebAssembly.Module` or bytes (workers, tests). */
export function initSync(module) {
  initWasmSync({ module });
  markReady();
}
