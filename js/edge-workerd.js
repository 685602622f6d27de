// The edge's entry on Cloudflare Workers (workerd): the runtime imports .wasm files as
// compiled WebAssembly.Module objects, so the edge's module is instantiated at import.
import wasmModule from "./drawdown_edge_bg.wasm";
import { initSync as initWasmSync } from "./drawdown_edge.js";
import { markEdgeReady } from "./edge-api.js";

initWasmSync({ module: wasmModule });
markEdgeReady();

export * from "./edge-api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
