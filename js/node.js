// Node entry: the module is read from disk and instantiated synchronously at import. The
// same file is the package's CommonJS entry (`node.cjs`, made from it by esbuild in
// scripts/build-pkg.sh), and it may itself be bundled (esbuild, Rollup, webpack for Node),
// so it finds the .wasm from wherever its code ended up.
import { initSync as initWasmSync } from "./drawdown.js";
import { wasmBytes } from "./node-files.js";
import { markReady } from "./state.js";

initWasmSync({ module: wasmBytes("drawdown_bg.wasm") });
markReady();

export * from "./api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
