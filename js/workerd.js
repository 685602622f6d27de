// Cloudflare Workers (workerd) entry: the runtime imports .wasm files as compiled
// WebAssembly.Module objects, so the module is instantiated synchronously at import.
import wasmModule from "./drawdown_bg.wasm";
import { initSync as initWasmSync } from "./drawdown.js";
import { markReady } from "./state.js";

initWasmSync({ module: wasmModule });
markReady();

export * from "./api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
