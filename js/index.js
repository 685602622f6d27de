// Browser and default entry: call `await init()` once (it fetches drawdown_bg.wasm next to
// this file, which Vite and other bundlers pick up as an asset), then use the API.
import initWasm, { initSync as initWasmSync } from "./drawdown.js";
import { DrawdownError } from "./error.js";
import { markReady } from "./state.js";

export * from "./api.js";

let pending;

/** Instantiate the module; idempotent once it has succeeded. `input`: a URL, Response,
 * BufferSource or WebAssembly.Module. A failed attempt (a 404, no network, bytes that are
 * not the module, no URL to fetch from inside a bundle) rejects with a DrawdownError
 * `init_failed` and is forgotten, so `init(workingSource)` tries again; it never throws
 * synchronously. */
export function init(input) {
  pending ??= instantiate(input).catch((cause) => {
    pending = undefined;
    throw initFailed(cause);
  });
  return pending;
}

async function instantiate(input) {
  await initWasm({ module_or_path: input ?? wasmUrl() });
  markReady();
}

function initFailed(cause) {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new DrawdownError(`drawdown's WebAssembly module could not be instantiated: ${why}`, "init_failed", null, { cause });
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
