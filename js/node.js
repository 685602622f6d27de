// Node entry: the module is read from disk and instantiated synchronously at import.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { initSync as initWasmSync } from "./drawdown.js";
import { markReady } from "./state.js";

/** The module's bytes: next to this file, or, when a bundler (esbuild, ...) has moved this
 * code into a bundle elsewhere, the installed package's copy, found as Node finds packages
 * from the bundle's place. */
function wasmBytes() {
  try {
    return readFileSync(new URL("./drawdown_bg.wasm", import.meta.url));
  } catch (e) {
    if (e?.code !== "ENOENT") throw e;
    return readFileSync(createRequire(import.meta.url).resolve("drawdown/drawdown_bg.wasm"));
  }
}

initWasmSync({ module: wasmBytes() });
markReady();

export * from "./api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
