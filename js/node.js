// Node entry: the module is read from disk and instantiated synchronously at import. The
// same file is the package's CommonJS entry (`node.cjs`, made from it by esbuild in
// scripts/build-pkg.sh), and it may itself be bundled (esbuild, Rollup, webpack for Node),
// so it finds the .wasm from wherever its code ended up.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { initSync as initWasmSync } from "./drawdown.js";
import { DrawdownError } from "./error.js";
import { markReady } from "./state.js";

const WASM = "drawdown_bg.wasm";

/** Where the module's bytes may be, in order: next to this code (the installed package, or a
 * bundle beside which the .wasm was copied), then the installed package as Node finds it
 * from this code's place or from the working directory. Inside a CommonJS bundle
 * `import.meta.url` is empty and `__dirname` says where the bundle is. */
function places() {
  const here = import.meta.url;
  const dir = typeof __dirname === "string" ? __dirname : null;
  const out = [];
  if (here) out.push(new URL(`./${WASM}`, here));
  if (dir) out.push(join(dir, WASM));
  for (const from of [here, dir && join(dir, "x.js"), join(process.cwd(), "x.js")]) {
    if (!from) continue;
    try {
      out.push(createRequire(from).resolve(`drawdown/${WASM}`));
    } catch {
      // not installed where `from` looks
    }
  }
  return out;
}

function wasmBytes() {
  const tried = [];
  for (const place of places()) {
    try {
      return readFileSync(place);
    } catch (e) {
      if (e?.code !== "ENOENT" && e?.code !== "ENOTDIR") throw initFailed(`${place}: ${e.message}`, e);
      tried.push(String(place instanceof URL ? place.pathname : place));
    }
  }
  throw initFailed(
    `${WASM} is not next to this code nor installed where Node looks (tried ${tried.join(", ") || "nowhere"}); ` +
      `a bundle deployed without node_modules needs node_modules/drawdown/${WASM} copied next to it`,
  );
}

function initFailed(why, cause) {
  return new DrawdownError(`drawdown's WebAssembly module could not be loaded: ${why}`, "init_failed", null, { cause });
}

initWasmSync({ module: wasmBytes() });
markReady();

export * from "./api.js";

/** Already initialised at import; kept so the same code runs in every environment. */
export async function init() {}

export function initSync() {}
