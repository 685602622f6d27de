// The browser entry's `init()`: a failed attempt rejects with a DrawdownError and is
// forgotten, so the next call with a working source succeeds; it never throws synchronously.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import test from "node:test";
import * as dd from "../../pkg/index.js";

const failedInit = (e) => e instanceof Error && e.name === "DrawdownError" && e.code === "init_failed" && e.field === null;

test("init recovers from a failed source and reports it as a DrawdownError", async () => {
  const quote = () =>
    dd.quoteCall({
      rateCard: { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" } },
      call: { direction: "outbound", connectedSeconds: 60 },
    });
  assert.throws(quote, { name: "DrawdownError", code: "not_initialized" });

  // Bytes that are not the module.
  await assert.rejects(dd.init(new Uint8Array([0, 97, 115, 109, 9, 9, 9, 9])), failedInit);
  // A URL nothing answers at: the promise rejects, nothing is thrown on the spot.
  let attempt;
  assert.doesNotThrow(() => {
    attempt = dd.init("http://127.0.0.1:9/drawdown_bg.wasm");
  });
  await assert.rejects(attempt, failedInit);
  assert.throws(quote, { code: "not_initialized" }, "still not initialised after failures");

  // The cached failure is gone: a working source succeeds, and then every call is idempotent.
  await dd.init(readFileSync(new URL("../../pkg/drawdown_bg.wasm", import.meta.url)));
  assert.equal(quote().totalCredits, "9.0000");
  await dd.init(new Uint8Array([1, 2, 3]));
});
