// Where a Node entry finds a module's bytes (node.js, edge-node.js; node.cjs bundles it).
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { DrawdownError } from "./error.js";

/** Where the module's bytes may be, in order: next to this code (the installed package, or a
 * bundle beside which the .wasm was copied), then the installed package as Node finds it
 * from this code's place or from the working directory. Inside a CommonJS bundle
 * `import.meta.url` is empty and `__dirname` says where the bundle is. */
function places(name) {
  const here = import.meta.url;
  const dir = typeof __dirname === "string" ? __dirname : null;
  const out = [];
  if (here) out.push(new URL(`./${name}`, here));
  if (dir) out.push(join(dir, name));
  for (const from of [here, dir && join(dir, "x.js"), join(process.cwd(), "x.js")]) {
    if (!from) continue;
    try {
      out.push(createRequire(from).resolve(`drawdown/${name}`));
    } catch {
      // not installed where `from` looks
    }
  }
  return out;
}

export function wasmBytes(name) {
  const tried = [];
  for (const place of places(name)) {
    try {
      return readFileSync(place);
    } catch (e) {
      if (e?.code !== "ENOENT" && e?.code !== "ENOTDIR") throw initFailed(`${place}: ${e.message}`, e);
      tried.push(String(place instanceof URL ? place.pathname : place));
    }
  }
  throw initFailed(
    `${name} is not next to this code nor installed where Node looks (tried ${tried.join(", ") || "nowhere"}); ` +
      `a bundle deployed without node_modules needs node_modules/drawdown/${name} copied next to it`,
  );
}

function initFailed(why, cause) {
  return new DrawdownError(`drawdown's WebAssembly module could not be loaded: ${why}`, "init_failed", null, { cause });
}
