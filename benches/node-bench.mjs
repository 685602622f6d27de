#!/usr/bin/env node
// Node benchmark of the npm package's JS API (JS object -> WebAssembly -> JS object), beside
// the same quoteCall rules written directly in JavaScript with decimal.js. One run, one table;
// then the 100,000-item summary preview against decimal.js pricing the same items, on this
// account and on a realistic one (auto-reload on, an expiring promotional grant, a named zone,
// one item in four a chat), `RUNS` times (default 5), each run a full median of its own.
// Usage: node --expose-gc benches/node-bench.mjs   (after scripts/build-pkg.sh)
import Decimal from "decimal.js";
import * as dd from "../pkg/node.js";

const rateCard = {
  currency: "USD",
  creditsPerUnit: "100",
  rounding: { mode: "half_up", creditDecimals: 4 },
  voice: { perMinute: "9", increment: "60/60", connectFee: "0" },
  tollFreeSurcharge: { perMinute: "2" },
  transfer: { perMinute: "6", increment: "60/60" },
  chat: { perMessage: "0.5" },
  numbers: { local: { monthly: "150" } },
};
const plan = { id: "growth", includedMinutes: 1000, overagePerMinute: "7" };
const quoteInput = {
  rateCard,
  plan,
  includedSecondsRemaining: 30,
  call: { direction: "inbound", tollFree: true, connectedSeconds: 84 },
};

// ---- quoteCall in plain JavaScript with decimal.js (the comparison) ----
const MODES = { half_up: Decimal.ROUND_HALF_UP, half_even: Decimal.ROUND_HALF_EVEN, up: Decimal.ROUND_UP, down: Decimal.ROUND_DOWN };
const MINOR = { USD: 2, EUR: 2, JPY: 0 };
function billable(d, inc) {
  const [first, next] = inc.split("/").map(Number);
  if (d === 0) return 0;
  if (d <= first) return first;
  return first + Math.ceil((d - first) / next) * next;
}
function quoteCallDecimalJs({ rateCard: c, plan: p, includedSecondsRemaining, call }) {
  const dp = c.rounding?.creditDecimals ?? 4;
  const mode = MODES[c.rounding?.mode ?? "half_up"];
  const round = (x) => x.toDecimalPlaces(dp, mode);
  const lines = [];
  const d = call.connectedSeconds;
  if (d > 0) {
    const inc = c.voice.increment ?? "1/1";
    const b = billable(d, inc);
    const included = p ? (includedSecondsRemaining ?? p.includedMinutes * 60) : 0;
    const covered = Math.min(b, included);
    if (covered > 0) lines.push({ code: "voice.included_minutes", quantity: String(covered), credits: new Decimal(0).toFixed(dp) });
    const over = b - covered;
    if (over > 0) {
      const rate = new Decimal(p?.overagePerMinute ?? c.voice.perMinute);
      lines.push({ code: "voice.ai_minutes", quantity: String(over), credits: round(rate.times(over).div(60)).toFixed(dp) });
    }
    const fee = new Decimal(c.voice.connectFee ?? 0);
    if (!fee.isZero()) lines.push({ code: "voice.connect_fee", quantity: "1", credits: round(fee).toFixed(dp) });
    if (call.tollFree && call.direction === "inbound") {
      if (!c.tollFreeSurcharge) throw new Error("missing_rate: rateCard.tollFreeSurcharge"); // SEMANTICS 3: no default
      const s = new Decimal(c.tollFreeSurcharge.perMinute);
      lines.push({ code: "voice.toll_free_surcharge", quantity: String(b), credits: round(s.times(b).div(60)).toFixed(dp) });
    }
  }
  for (const pt of call.carrierPassThrough ?? []) {
    lines.push({ code: "voice.carrier_pass_through", quantity: pt.amount, credits: round(new Decimal(pt.amount).times(c.creditsPerUnit)).toFixed(dp) });
  }
  if (call.transfer?.bridgedSeconds > 0) {
    const b = billable(call.transfer.bridgedSeconds, c.transfer.increment ?? "1/1");
    lines.push({ code: "transfer_minute", quantity: String(b), credits: round(new Decimal(c.transfer.perMinute).times(b).div(60)).toFixed(dp) });
  }
  const total = lines.reduce((t, l) => t.plus(l.credits), new Decimal(0));
  const money = total.div(c.creditsPerUnit).toDecimalPlaces(MINOR[c.currency], mode);
  return { lines, totalCredits: total.toFixed(dp), totalMoney: { amount: money.toFixed(MINOR[c.currency]), currency: c.currency } };
}

// Same numbers from both, or the comparison means nothing.
const viaWasm = dd.quoteCall(quoteInput);
const viaJs = quoteCallDecimalJs(quoteInput);
if (viaWasm.totalCredits !== viaJs.totalCredits || viaWasm.totalMoney.amount !== viaJs.totalMoney.amount) {
  throw new Error(`the decimal.js port disagrees: ${JSON.stringify(viaJs)} vs ${JSON.stringify(viaWasm)}`);
}

const account = {
  timeZone: "America/New_York",
  plan,
  grants: [
    { id: "promo", type: "promotional", remaining: "50000", priority: 10, expiresAt: "2026-03-20T00:00:00Z" },
    { id: "wallet", type: "prepaid", remaining: "100000" },
  ],
  agents: { a1: { onPlanExhausted: "use_balance", monthlyLimit: "900000" } },
};
const authInput = { rateCard, account, call: { direction: "inbound", tollFree: true, agentId: "a1", at: "2026-03-10T12:00:00Z" } };
const usage = Array.from({ length: 1000 }, (_, i) => ({
  id: `u${i}`,
  at: `2026-03-${String(1 + (i % 28)).padStart(2, "0")}T12:${String(i % 60).padStart(2, "0")}:00Z`,
  kind: i % 3 === 0 ? "chat" : "call",
  agentId: "a1",
  ...(i % 3 === 0 ? { messages: 1 + (i % 9) } : { call: { direction: "outbound", connectedSeconds: 30 + ((i * 37) % 600) } }),
}));
const previewInput = { rateCard, account, usage };

/** Median nanoseconds per call over `rounds` timed batches of `batch` calls. */
function bench(fn, batch, rounds) {
  // A full collection first (`node --expose-gc`, as `npm run bench` runs it), so no row pays
  // for the garbage the rows before it left.
  globalThis.gc?.();
  for (let i = 0; i < batch * 3; i++) fn(); // warm up the JIT and the wasm tier-up
  const samples = [];
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    samples.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  samples.sort((a, b) => a - b);
  return { median: samples[samples.length >> 1], p90: samples[Math.floor(samples.length * 0.9)] };
}

const fmt = (ns) => (ns >= 1e6 ? `${(ns / 1e6).toFixed(2)} ms` : ns >= 1e3 ? `${(ns / 1e3).toFixed(2)} us` : `${ns.toFixed(0)} ns`);
// Prepared handles (issue 14): the card, plan and account read once.
const pricer = dd.createPricer({ rateCard, plan });
const opened = dd.openAccount({ rateCard, account });
const quoteOptions = { includedSecondsRemaining: 30 };
if (dd.canonical(pricer.quoteCall(quoteInput.call, quoteOptions)) !== dd.canonical(viaWasm)) {
  throw new Error("the prepared quote differs from the one-shot quote");
}
// 100,000 items, the same mix, for the summary preview beside decimal.js pricing them.
const many = Array.from({ length: 100_000 }, (_, i) => ({ ...usage[i % 1000], id: `m${i}` }));
const priceEach = () => {
  for (const u of many) {
    if (u.kind === "call") quoteCallDecimalJs({ rateCard, plan, includedSecondsRemaining: 0, call: u.call });
    else new Decimal(rateCard.chat.perMessage).times(u.messages).toDecimalPlaces(4);
  }
};

const rows = [
  ["quoteCall (JS API -> wasm -> JS)", bench(() => dd.quoteCall(quoteInput), 2000, 41)],
  ["quoteCall, prepared (createPricer)", bench(() => pricer.quoteCall(quoteInput.call, quoteOptions), 2000, 41)],
  ["quoteCall (decimal.js, same rules)", bench(() => quoteCallDecimalJs(quoteInput), 2000, 41)],
  ["authorizeCall (JS API)", bench(() => dd.authorizeCall(authInput), 1000, 41)],
  ["authorizeCall, prepared (openAccount)", bench(() => opened.authorizeCall(authInput.call), 1000, 41)],
  ["previewDrawdown, 1,000 items (JS API)", bench(() => dd.previewDrawdown(previewInput), 5, 21)],
  ["previewDrawdown, 1,000 items, prepared, summary", bench(() => opened.previewDrawdown(usage, { detail: "summary" }), 5, 21)],
  ["previewDrawdown, 100,000 items, prepared, summary", bench(() => opened.previewDrawdown(many, { detail: "summary" }), 1, 11)],
  ["pricing the same 100,000 items one by one (decimal.js)", bench(priceEach, 1, 11)],
];
console.log(`node ${process.version}, drawdown ${dd.version()}`);
console.log("| benchmark | median | p90 |\n| --- | --- | --- |");
for (const [name, r] of rows) console.log(`| ${name} | ${fmt(r.median)} | ${fmt(r.p90)} |`);
const median = (name) => rows.find(([n]) => n === name)[1].median;
const js = median("quoteCall (decimal.js, same rules)");
console.log(`\nquoteCall: one-shot wasm is ${(js / median("quoteCall (JS API -> wasm -> JS)")).toFixed(1)}x, prepared ${(js / median("quoteCall, prepared (createPricer)")).toFixed(1)}x the speed of decimal.js`);
console.log(`prepared authorizeCall / prepared quoteCall: ${(median("authorizeCall, prepared (openAccount)") / median("quoteCall, prepared (createPricer)")).toFixed(1)}x`);
console.log(`100,000-item summary preview vs decimal.js pricing them: ${(median("pricing the same 100,000 items one by one (decimal.js)") / median("previewDrawdown, 100,000 items, prepared, summary")).toFixed(1)}x`);

// Issue 27, point 7: the aim must hold in every run, on the benchmark's account and on a
// realistic one, where auto-reload and alerts watch the balance after every item.
const realistic = {
  ...account,
  autoReload: { enabled: true, threshold: "50.00", amount: "100.00", paymentMethod: "pm_1" },
  alerts: { warning: { threshold: "5000" }, critical: { threshold: "1000" } },
};
const quarterChat = Array.from({ length: 100_000 }, (_, i) => ({
  id: `r${i}`,
  at: `2026-03-${String(1 + (i % 28)).padStart(2, "0")}T${String(i % 24).padStart(2, "0")}:${String(i % 60).padStart(2, "0")}:00Z`,
  kind: i % 4 === 0 ? "chat" : "call",
  agentId: "a1",
  ...(i % 4 === 0 ? { messages: 1 + (i % 9) } : { call: { direction: i % 8 === 1 ? "inbound" : "outbound", tollFree: i % 8 === 1, connectedSeconds: 30 + ((i * 37) % 600) } }),
}));
const priceItems = (items) => () => {
  for (const u of items) {
    if (u.kind === "call") quoteCallDecimalJs({ rateCard, plan, includedSecondsRemaining: 0, call: u.call });
    else new Decimal(rateCard.chat.perMessage).times(u.messages).toDecimalPlaces(4);
  }
};
const realOpened = dd.openAccount({ rateCard, account: realistic });
const realPreview = realOpened.previewDrawdown(quarterChat, { detail: "summary" });
if (realPreview.reloads.length === 0) throw new Error("the realistic account must reload");
const runs = Number(process.env.RUNS ?? 5);
for (const [name, handle, items] of [["benchmark's account", opened, many], ["realistic account", realOpened, quarterChat]]) {
  const ratios = [];
  for (let r = 0; r < runs; r++) {
    const wasm = bench(() => handle.previewDrawdown(items, { detail: "summary" }), 1, 7).median;
    const js = bench(priceItems(items), 1, 7).median;
    ratios.push(js / wasm);
  }
  console.log(`${name}: 100,000-item summary preview vs decimal.js, ${runs} runs: ${ratios.map((x) => `${x.toFixed(2)}x`).join(", ")} (least ${Math.min(...ratios).toFixed(2)}x)`);
}
console.log(`the realistic account's preview reloads ${realPreview.reloads.length} times`);

// Issue 28, point 3: forecastRunway 90 days ahead from a 7-day basis of 20,000 items (one
// every 30 seconds), on benches/engine.rs's account: a plan renewing monthly, an expiring
// promotion, auto-reload with a daily limit, alerts. The same input as the native bench.
const runwayAccount = {
  timeZone: "America/New_York",
  plan: { id: "growth", includedMinutes: 1000, overagePerMinute: "7" },
  cycle: { start: "2026-03-01T05:00:00Z", end: "2026-04-01T04:00:00Z" },
  grants: [
    { id: "promo", type: "promotional", remaining: "50000", priority: 10, expiresAt: "2026-03-20T00:00:00Z" },
    { id: "commit", type: "committed", remaining: "200000" },
    { id: "wallet", type: "prepaid", remaining: "100000" },
    { id: "pc", type: "plan", remaining: "5000", expiresAt: "2026-04-01T04:00:00Z" },
  ],
  agents: { a1: { onPlanExhausted: "use_balance", monthlyLimit: "900000" } },
  autoReload: { enabled: true, threshold: "50.00", amount: "100.00", paymentMethod: "pm", maxReloadsPerDay: 20 },
  alerts: { info: { threshold: "20000" }, warning: { threshold: "5000" }, critical: { threshold: "1000" } },
};
const basisStart = Date.parse("2026-03-01T00:00:00Z");
const basis = Array.from({ length: 20_000 }, (_, i) => {
  const at = new Date(basisStart + Math.floor((i * 604_800) / 20_000) * 1000).toISOString().replace(".000Z", "Z");
  const k = i % 10;
  if (k <= 5) {
    const call = { direction: i % 2 === 0 ? "inbound" : "outbound", tollFree: i % 7 === 0, connectedSeconds: 30 + ((i * 37) % 600) };
    if (i % 9 === 0) call.transfer = { bridgedSeconds: 120 };
    return { id: `c${i}`, at, kind: "call", agentId: "a1", call };
  }
  if (k <= 8) return { id: `m${i}`, at, kind: "chat", agentId: "a1", messages: 1 + (i % 12) };
  return { id: `n${i}`, at, kind: "number", numberKind: "local" };
});
const runwayInput = { rateCard, account: runwayAccount, at: "2026-03-08T00:00:00Z", basis };
const forecast = dd.forecastRunway(runwayInput);
const f = bench(() => dd.forecastRunway(runwayInput), 1, 7);
console.log(`forecastRunway, 90 days from a 7-day basis of 20,000 items: median ${(f.median / 1e6).toFixed(1)} ms, p90 ${(f.p90 / 1e6).toFixed(1)} ms (${forecast.reloads.length} reloads, runs out: ${forecast.runsOutAt})`);
