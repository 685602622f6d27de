// Node entry: the module is read from disk and instantiated synchronously at import.
import { readFileSync } from "node:fs";
import { initSync as initWasmSync } from "./drawdown.js";
import { markReady } from "./state.js";

initWasmSync({ module: readFileSync(new URL("./drawdown_bg.wasm", import.meta.url)) });
markReady();

export * from "./api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
