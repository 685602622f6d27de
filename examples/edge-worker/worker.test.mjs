// Runs the edge worker in real workerd (Cloudflare's runtime) through miniflare, with the
// built package loaded exactly as a bundler would resolve it for workers: the package's
// `workerd` entry and its .wasm as a compiled WebAssembly module.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { Miniflare } from "miniflare";

const here = new URL(".", import.meta.url);
const pkg = new URL("../../pkg/", import.meta.url);
const read = (url) => readFileSync(url, "utf8");

let mf;
before(async () => {
  mf = new Miniflare({
    compatibilityDate: "2025-01-01",
    modulesRoot: "/",
    modules: [
      { type: "ESModule", path: "/worker.mjs", contents: read(new URL("worker.mjs", here)) },
      // A bare `import ... from "drawdown"` resolves to the module named "drawdown".
      { type: "ESModule", path: "/drawdown", contents: read(new URL("workerd.js", pkg)) },
      { type: "ESModule", path: "/drawdown.js", contents: read(new URL("drawdown.js", pkg)) },
      { type: "ESModule", path: "/api.js", contents: read(new URL("api.js", pkg)) },
      { type: "ESModule", path: "/state.js", contents: read(new URL("state.js", pkg)) },
      { type: "CompiledWasm", path: "/drawdown_bg.wasm", contents: readFileSync(new URL("drawdown_bg.wasm", pkg)) },
    ],
  });
  await mf.ready;
});
after(async () => {
  await mf?.dispose();
});

const rateCard = {
  currency: "USD",
  creditsPerUnit: "100",
  voice: { perMinute: "9", increment: "60/60" },
  tollFreeSurcharge: { perMinute: "2" },
};
const wallet = (remaining) => ({ grants: [{ id: "w", type: "prepaid", remaining }] });
const precall = (body) =>
  mf.dispatchFetch("http://edge.test/precall", { method: "POST", body: typeof body === "string" ? body : JSON.stringify(body) });

test("a funded outbound call is allowed with its exact maximum", async () => {
  const res = await precall({ rateCard, account: wallet("100"), call: { direction: "outbound", at: "2026-03-10T12:00:00Z" } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.allowed, true);
  assert.equal(body.code, "ok");
  assert.equal(body.maxSeconds, 660); // 11 whole minutes at 9 credits fit in 100
});

test("toll-free inbound counts the surcharge", async () => {
  const res = await precall({
    rateCard,
    account: wallet("100"),
    call: { direction: "inbound", tollFree: true, at: "2026-03-10T12:00:00Z" },
  });
  assert.equal((await res.json()).maxSeconds, 540); // 9 minutes at 9 + 2
});

test("outbound with no credit answers 402 insufficient_credits (seed 001)", async () => {
  const res = await precall({ rateCard, account: wallet("0"), call: { direction: "outbound", at: "2026-03-10T12:00:00Z" } });
  assert.equal(res.status, 402);
  assert.deepEqual(await res.json(), {
    error: {
      code: "insufficient_credits",
      message: "Insufficient credits to make outbound call. Please add credits in your billing dashboard.",
    },
  });
});

test("inbound with no credit is rejected so the platform plays a message", async () => {
  const res = await precall({ rateCard, account: wallet("0"), call: { direction: "inbound", at: "2026-03-10T12:00:00Z" } });
  assert.equal(res.status, 200);
  const body = await res.json();
  assert.equal(body.allowed, false);
  assert.equal(body.action, "reject_inbound");
  assert.equal(body.error.code, "insufficient_credits");
});

test("bad input is a coded 400, and the worker keeps serving", async () => {
  const res = await precall({ rateCard: { ...rateCard, creditsPerUnit: 0.5 }, account: wallet("1"), call: { direction: "outbound", at: "2026-03-10T12:00:00Z" } });
  assert.equal(res.status, 400);
  const { error } = await res.json();
  assert.equal(error.code, "invalid_decimal");
  assert.equal(error.field, "rateCard.creditsPerUnit");
  assert.equal((await precall("not json")).status, 400);
  const again = await precall({ rateCard, account: wallet("9"), call: { direction: "outbound", at: "2026-03-10T12:00:00Z" } });
  assert.equal((await again.json()).maxSeconds, 60);
});

test("other paths and methods", async () => {
  assert.equal((await mf.dispatchFetch("http://edge.test/")).status, 404);
  assert.equal((await mf.dispatchFetch("http://edge.test/precall")).status, 405);
});
