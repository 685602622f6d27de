// The edge's entry in Node: the edge's module is read from disk and instantiated at import.
import { initSync as initWasmSync } from "./drawdown_edge.js";
import { markEdgeReady } from "./edge-api.js";
import { wasmBytes } from "./node-files.js";

initWasmSync({ module: wasmBytes("drawdown_edge_bg.wasm") });
markEdgeReady();

export * from "./edge-api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
