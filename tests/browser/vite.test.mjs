// The npm package in a Vite-built browser page, in headless Chromium (playwright-core with
// Debian's /usr/bin/chromium): the page imports "drawdown" by name (the `browser` export),
// Vite bundles the .wasm as an asset, and every vector run through the package's object API
// in the page must give the native build's canonical output byte for byte.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, rmSync, symlinkSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { build } from "vite";
import { launchChromium, serveDir } from "./common.mjs";

const here = new URL(".", import.meta.url).pathname;
const root = new URL("../../", import.meta.url).pathname;
const dist = join(root, "target/browser-test");
let server;
let browser;

before(async () => {
  // Resolve "drawdown" the way an app does: a package in node_modules (the built pkg/).
  mkdirSync(join(here, "node_modules"), { recursive: true });
  const link = join(here, "node_modules/drawdown");
  rmSync(link, { force: true, recursive: true });
  symlinkSync(join(root, "pkg"), link, "dir");
  await build({ root: here, logLevel: "warn", build: { outDir: dist, emptyOutDir: true } });
  server = await serveDir(dist);
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  server?.close();
});

test("the Vite build ships the wasm as an asset", () => {
  assert.ok(readdirSync(join(dist, "assets")).some((f) => f.endsWith(".wasm")));
});

test("every vector in Chromium through the package equals the native output", async () => {
  const page = await browser.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(`http://127.0.0.1:${server.address().port}/`);
  await page.waitForFunction(() => document.getElementById("status").textContent.startsWith("ready"));
  assert.match(await page.textContent("#status"), /^ready \S+ 22\.0000$/);

  const nativeFile = join(root, "target/parity/vectors.native.jsonl");
  const native = readFileSync(nativeFile, "utf8").trim().split("\n").map((l) => JSON.parse(l));
  const cases = [];
  for (const file of readdirSync(join(root, "tests/vectors")).filter((f) => f.endsWith(".json")).sort()) {
    for (const v of JSON.parse(readFileSync(join(root, "tests/vectors", file), "utf8"))) cases.push({ file, ...v });
  }
  const outputs = await page.evaluate((cs) => window.runCases(cs), cases.map(({ op, input }) => ({ op, input })));
  const byKey = new Map(native.map((n) => [`${n.file}\u0000${n.name}`, n.out]));
  const mismatches = cases.filter((c, i) => byKey.get(`${c.file}\u0000${c.name}`) !== outputs[i]);
  assert.equal(cases.length, native.length);
  assert.deepEqual(mismatches.map((c) => `${c.file} :: ${c.name}`), []);
  assert.deepEqual(errors, []);
  console.log(`# ${cases.length} vectors byte-identical to native in Chromium`);
});
