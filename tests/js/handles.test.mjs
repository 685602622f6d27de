// The prepared pricer's integer route (src/quote_words.rs) against the one-shot quote: many
// quotes on one handle (its line heads are sent once), amounts past 32 bits, and quotes after
// the module's memory has grown (the glue's view of it is then detached and made anew).
import assert from "node:assert/strict";
import test from "node:test";
import * as dd from "../../pkg/node.js";
import { wasmMemory } from "../../pkg/drawdown.js";

const rateCard = {
  currency: "USD",
  creditsPerUnit: "100",
  rounding: { mode: "half_even", creditDecimals: 4 },
  voice: { perMinute: "9.75", increment: "30/6", connectFee: "0.5" },
  tollFreeSurcharge: { perMinute: "2" },
  transfer: { perMinute: "6" },
};
const plan = { id: "growth", includedMinutes: 100, overagePerMinute: "7.125" };

function calls() {
  const out = [];
  for (const seconds of [0, 1, 29, 30, 31, 84, 3_600, 86_399, 315_360_000]) {
    for (const tollFree of [false, true]) {
      out.push({ direction: tollFree ? "inbound" : "outbound", tollFree, connectedSeconds: seconds });
      out.push({ direction: "inbound", tollFree, connectedSeconds: seconds, transfer: { bridgedSeconds: seconds >> 1 } });
    }
  }
  return out;
}

test("a pricer's quotes equal the one-shot quote, call after call", () => {
  const pricer = dd.createPricer({ rateCard, plan });
  for (const left of [undefined, 0, 45, 6_000]) {
    for (const call of calls()) {
      const options = left === undefined ? undefined : { includedSecondsRemaining: left };
      const oneShot = dd.quoteCall({ rateCard, plan, call, ...(left === undefined ? {} : { includedSecondsRemaining: left }) });
      assert.deepEqual(pricer.quoteCall(call, options), oneShot, JSON.stringify({ call, left }));
    }
  }
  pricer.free();
});

test("a year of seconds at a high rate (a mantissa past 32 bits) is exact", () => {
  const pricer = dd.createPricer({ rateCard: { ...rateCard, voice: { perMinute: "123456.789" } } });
  const call = { direction: "outbound", connectedSeconds: 315_360_000 };
  const q = pricer.quoteCall(call);
  // 5,256,000 minutes at 123,456.789 credits.
  assert.equal(q.totalCredits, "648888882984.0000");
  assert.deepEqual(q, dd.quoteCall({ rateCard: { ...rateCard, voice: { perMinute: "123456.789" } }, call }));
});

test("quotes stay right after the module's memory grows", () => {
  const pricer = dd.createPricer({ rateCard, plan });
  const call = { direction: "inbound", tollFree: true, connectedSeconds: 84 };
  const before = pricer.quoteCall(call);
  const size = wasmMemory().buffer.byteLength;
  // A large preview makes the module allocate, and its memory grow.
  const account = { timeZone: "UTC", grants: [{ id: "w", type: "prepaid", remaining: "1000000" }] };
  const usage = Array.from({ length: 50_000 }, (_, i) => ({ id: `c${i}`, at: "2026-03-01T00:00:00Z", kind: "call", call: { direction: "outbound", connectedSeconds: 60 } }));
  dd.previewDrawdown({ rateCard, account, usage });
  assert.deepEqual(pricer.quoteCall(call), before);
  assert.ok(wasmMemory().buffer.byteLength > size, "the memory grew");
  pricer.free();
});
