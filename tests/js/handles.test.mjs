// The prepared pricer's integer route (src/wasm/words.rs) against the one-shot quote: many
// quotes on one handle (its line heads are sent once), amounts past 32 bits, and quotes after
// the module's memory has grown (the glue's view of it is then detached and made anew).
import assert from "node:assert/strict";
import test from "node:test";
import * as dd from "../../pkg/node.js";
import { AccountHandle, wasmMemory } from "../../pkg/drawdown.js";

// Counts the previews the integer route answered (white-box: so these tests are known to
// cover that route, and not only the JSON route it falls back to).
let wordsAnswered = 0;
const previewWords = AccountHandle.prototype.previewWords;
AccountHandle.prototype.previewWords = function (...args) {
  const out = previewWords.apply(this, args);
  if (out !== null) wordsAnswered++;
  return out;
};

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

// ---- the summary preview's integer route (`previewWords`) ----

const account = {
  timeZone: "America/New_York",
  plan,
  grants: [
    { id: "promo", type: "promotional", remaining: "40", priority: 10, expiresAt: "2026-03-05T00:00:00Z" },
    { id: "wallet", type: "prepaid", remaining: "500" },
  ],
  agents: { capped: { onPlanExhausted: "stop", monthlyLimit: "30" }, free: { onPlanExhausted: "use_balance" } },
};
const card = { ...rateCard, chat: { perMessage: "0.25" } };

/** Plain calls and chats in shuffled time order, with instants written every way RFC 3339
 * allows, agents that hit their limit (refused items), and included minutes running out. */
function plainUsage(n) {
  const ats = ["2026-03-0DT10:00:00Z", "2026-03-0DT12:00:00+02:00", "2026-03-0DT10:00:00.250Z", "2026-03-0dt10:00:00z"];
  return Array.from({ length: n }, (_, i) => {
    const at = ats[i % ats.length].replace(/D|d(?=t)/, String(1 + ((i * 7) % 9)));
    const agentId = i % 5 === 0 ? "capped" : i % 5 === 1 ? undefined : "free";
    const base = { id: `item-${i}`, at, ...(agentId ? { agentId } : {}) };
    if (i % 3 === 0) return { ...base, kind: "chat", messages: i % 11 };
    const call = { direction: i % 2 ? "inbound" : "outbound", connectedSeconds: (i * 53) % 900 };
    if (i % 4 === 0) call.tollFree = true;
    if (i % 7 === 0) call.transfer = { bridgedSeconds: (i * 13) % 300 };
    return { ...base, kind: "call", call };
  });
}

test("a summary preview through the handle is the one-shot summary, byte for byte", () => {
  for (const n of [0, 1, 2, 17, 400]) {
    const usage = plainUsage(n);
    const h = dd.openAccount({ rateCard: card, account });
    const oneShot = dd.previewDrawdown({ rateCard: card, account, usage, detail: "summary" });
    assert.equal(dd.canonical(h.previewDrawdown(usage, { detail: "summary" })), dd.canonical(oneShot), `n=${n}`);
    assert.equal(JSON.stringify(h.previewDrawdown(usage, { detail: "summary" })), JSON.stringify(oneShot), "key order too");
    h.free();
  }
  assert.equal(wordsAnswered, 10, "every one of those went the integer route");
  // The route really refuses some items here, and writes some instants anew.
  const sample = dd.previewDrawdown({ rateCard: card, account, usage: plainUsage(400), detail: "summary" });
  assert.ok(sample.items.some((i) => i.status === "refused"));
  assert.ok(sample.items.some((i) => i.at.endsWith(".250Z")));
});

test("the summary route's reused buffers: long ids, then a shorter preview after a longer one", () => {
  const h = dd.openAccount({ rateCard: card, account });
  const long = plainUsage(50).map((u, i) => ({ ...u, id: `${"x".repeat(40 + i * 7)}-${i}` }));
  const before = wordsAnswered;
  for (const usage of [long, plainUsage(3), long.slice(0, 9), []]) {
    const oneShot = dd.previewDrawdown({ rateCard: card, account, usage, detail: "summary" });
    assert.equal(JSON.stringify(h.previewDrawdown(usage, { detail: "summary" })), JSON.stringify(oneShot));
  }
  assert.equal(wordsAnswered - before, 4, "all four went the integer route");
  h.free();
});

test("instants the glue reads as seconds order and charge as the engine reads them", () => {
  // Month ends, leap days, the first and last second of the century the glue reads, and
  // text it leaves to the module (a non-leap Feb 29, a leap second, an offset, 2100).
  const ats = [];
  for (const year of [2000, 2001, 2024, 2025, 2096, 2099]) {
    for (const [month, day] of [[1, 1], [2, 28], [2, 29], [3, 1], [4, 30], [12, 31]]) {
      ats.push(`${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}T${year % 2 ? "23:59:59" : "00:00:00"}Z`);
    }
  }
  ats.push("2026-03-01T12:00:60Z", "2026-03-01T12:00:00+01:00", "2100-01-01T00:00:00Z");
  const h = dd.openAccount({ rateCard: card, account: { ...account, agents: undefined, plan: undefined } });
  const before = wordsAnswered;
  for (const at of ats) {
    const usage = [{ id: "x", at, kind: "chat", messages: 1 }, { id: "y", at: "2050-06-15T12:00:00Z", kind: "chat", messages: 2 }];
    const run = (f) => {
      try {
        return JSON.stringify(f());
      } catch (e) {
        return JSON.stringify(dd.errorDocument(e));
      }
    };
    const oneShot = run(() => dd.previewDrawdown({ rateCard: card, account: { ...account, agents: undefined, plan: undefined }, usage, detail: "summary" }));
    assert.equal(run(() => h.previewDrawdown(usage, { detail: "summary" })), oneShot, at);
  }
  // All but the three Feb 29s of 2001, 2025 and 2099 (errors: the JSON route's to give).
  assert.ok(wordsAnswered - before >= ats.length - 3, `${wordsAnswered - before} of ${ats.length} by integers`);
  h.free();
});

test("summary items with every count of lines, none to five, are the one-shot's", () => {
  const h = dd.openAccount({ rateCard: card, account });
  // Included minutes running out mid-call, a connect fee, toll-free and a transfer: five
  // lines; an agent over its limit: none.
  const usage = [
    { id: "five", at: "2026-03-01T10:00:00Z", kind: "call", call: { direction: "inbound", tollFree: true, connectedSeconds: 6_100, transfer: { bridgedSeconds: 40 } } },
    { id: "four", at: "2026-03-01T11:00:00Z", kind: "call", call: { direction: "inbound", tollFree: true, connectedSeconds: 90, transfer: { bridgedSeconds: 40 } } },
    { id: "three", at: "2026-03-01T12:00:00Z", kind: "call", call: { direction: "inbound", tollFree: true, connectedSeconds: 90 } },
    { id: "two", at: "2026-03-01T13:00:00Z", kind: "call", call: { direction: "outbound", connectedSeconds: 90 } },
    { id: "one", at: "2026-03-01T14:00:00Z", kind: "chat", messages: 3 },
    { id: "none", at: "2026-03-01T15:00:00Z", kind: "chat", messages: 900, agentId: "capped" },
  ];
  const before = wordsAnswered;
  const out = h.previewDrawdown(usage, { detail: "summary" });
  assert.equal(wordsAnswered - before, 1, "the integer route answered");
  assert.deepEqual(out.items.map((i) => i.lines.length), [5, 4, 3, 2, 1, 0]);
  const oneShot = dd.previewDrawdown({ rateCard: card, account, usage, detail: "summary" });
  assert.equal(JSON.stringify(out), JSON.stringify(oneShot));
  h.free();
});

test("apply through the summary route moves the account as the JSON route does", () => {
  const a = dd.openAccount({ rateCard: card, account });
  const b = dd.openAccount({ rateCard: card, account });
  const usage = plainUsage(60);
  a.apply(usage.slice(0, 30), { detail: "summary" });
  b.apply(usage.slice(0, 30), { detail: "lines" });
  assert.deepEqual(a.snapshot(), b.snapshot());
  assert.deepEqual(a.previewDrawdown(usage.slice(30), { detail: "summary" }), b.previewDrawdown(usage.slice(30), { detail: "summary" }));
});

test("errors and unusual items on the summary route are the JSON route's", () => {
  const h = dd.openAccount({ rateCard: card, account });
  const cases = [
    [{ id: "a", at: "2026-03-01T10:00:00Z", kind: "chat", messages: 1 }, { id: "a", at: "2026-03-01T10:00:00Z", kind: "chat", messages: 1 }],
    [{ id: "a", at: "2026-02-30T10:00:00Z", kind: "chat", messages: 1 }],
    // Before the zone table's start: every route refuses it (instant_out_of_range).
    [{ id: "a", at: "1999-12-31T23:59:59Z", kind: "chat", messages: 1 }],
    [{ id: "a", at: "2026-03-01T10:00:00Z", kind: "chat", messages: 1.5 }],
    [{ id: "a", at: "2026-03-01T10:00:00Z", kind: "call", call: { direction: "sideways", connectedSeconds: 5 } }],
    [{ id: "a", at: "2026-03-01T10:00:00Z", kind: "call", call: { direction: "inbound", connectedSeconds: 5 }, extra: 1 }],
    [{ id: "ünïcödé", at: "2026-03-01T10:00:00Z", kind: "chat", messages: 2 }],
    [{ id: "n", at: "2026-03-01T10:00:00Z", kind: "number", numberKind: "local" }],
  ];
  const before = wordsAnswered;
  for (const usage of cases) {
    const run = (f) => {
      try {
        return dd.canonical(f());
      } catch (e) {
        return dd.canonical(dd.errorDocument(e));
      }
    };
    const oneShot = run(() => dd.previewDrawdown({ rateCard: card, account, usage, detail: "summary" }));
    assert.equal(run(() => h.previewDrawdown(usage, { detail: "summary" })), oneShot, JSON.stringify(usage));
  }
  assert.equal(wordsAnswered, before, "none of those is the integer route's to answer");
  h.free();
});

test("a pre-call check on the integer route refuses what the JSON route refuses", () => {
  const h = dd.openAccount({ rateCard: card, account });
  for (const at of ["1999-12-31T23:59:59Z", "2026-02-30T00:00:00Z", "9999-12-31T23:59:59Z", "2026-03-01T10:00:00Z"]) {
    const run = (f) => {
      try {
        return dd.canonical(f());
      } catch (e) {
        return dd.canonical(dd.errorDocument(e));
      }
    };
    const call = { direction: "outbound", at };
    assert.equal(run(() => h.authorizeCall(call)), run(() => dd.authorizeCall({ rateCard: card, account, call })), at);
    const asOf = { detail: "summary", asOf: at };
    assert.equal(run(() => h.previewDrawdown([], asOf)), run(() => dd.previewDrawdown({ rateCard: card, account, usage: [], ...asOf })), at);
  }
  h.free();
});
