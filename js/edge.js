// The edge's entry (`drawdown/edge`) for browsers and bundlers: call `await init()` once (it
// fetches drawdown_edge_bg.wasm next to this file), then `openEdge`. Edge workers on workerd
// get edge-workerd.js and Node edge-node.js, which instantiate at import.
import initWasm, { initSync as initWasmSync } from "./drawdown_edge.js";
import { markEdgeReady } from "./edge-api.js";
import { DrawdownError } from "./error.js";

export * from "./edge-api.js";

let pending;

/** Instantiate the edge's module; idempotent once it has succeeded. A failed attempt
 * rejects with a DrawdownError `init_failed` and is forgotten. */
export function init(input) {
  pending ??= initWasm({ module_or_path: input ?? new URL("./drawdown_edge_bg.wasm", import.meta.url) })
    .then(markEdgeReady)
    .catch((cause) => {
      pending = undefined;
      const why = cause instanceof Error ? cause.message : String(cause);
      throw new DrawdownError(`drawdown's edge module could not be instantiated: ${why}`, "init_failed", null, { cause });
    });
  return pending;
}

/** Instantiate synchronously from a `WebAssembly.Module` or bytes. */
export function initSync(module) {
  initWasmSync({ module });
  markEdgeReady();
}
