#!/usr/bin/env node
// Native/WebAssembly parity: every vector and N seeded random inputs (default 100,000)
// across all five operations go through the npm package (object API) and through the
// native `drawdown eval-lines`; the canonical JSON outputs must be byte-identical.
// Also writes target/parity/vectors.native.jsonl for the in-browser wasm test.
// Usage: node tests/parity.mjs [COUNT] [SEED]
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { basename } from "node:path";
import * as dd from "../pkg/node.js";
import { readVectors, runCanonical, runHandleCanonical, vectorFiles } from "./js/common.mjs";

const root = new URL("..", import.meta.url).pathname;
const count = Number(process.argv[2] ?? 100000);
const seed = Number(process.argv[3] ?? 20261125);

// mulberry32: a small deterministic PRNG, so a failing case can be replayed by seed.
function rng(s) {
  return () => {
    s |= 0;
    s = (s + 0x6d2b79f5) | 0;
    let t = Math.imul(s ^ (s >>> 15), 1 | s);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const rand = rng(seed);
const int = (n) => Math.floor(rand() * n);
const pick = (xs) => xs[int(xs.length)];
const chance = (p) => rand() < p;
/** A decimal string with up to `dp` decimals, built from integers: no float arithmetic. */
const dec = (maxUnits, dp) => {
  const units = String(int(maxUnits + 1));
  if (dp === 0) return units;
  const frac = String(int(10 ** dp)).padStart(dp, "0");
  return `${units}.${frac}`;
};
const instant = () =>
  `2026-${String(1 + int(12)).padStart(2, "0")}-${String(1 + int(28)).padStart(2, "0")}T${String(int(24)).padStart(2, "0")}:${String(int(60)).padStart(2, "0")}:00${pick(["Z", "Z", "+05:30", "-04:00"])}`;

// Occasionally replace a value with something invalid, so errors are compared too.
const JUNK = [0.5, -1, "1e3", "", null, true, "12.34.5", [], {}, "abc", 1e21, "-0.0001", "99999999999999999"];
const maybe = (v) => (chance(0.015) ? pick(JUNK) : v);

function rateCard() {
  const inc = pick(["1/1", "60/60", "30/6", "60/1", "6/6", `${1 + int(90)}/${1 + int(60)}`]);
  return {
    currency: maybe(pick(["USD", "EUR", "JPY", "KWD", "GBP"])),
    creditsPerUnit: maybe(pick(["100", "1", "1000", "33.333"])),
    rounding: { mode: maybe(pick(["half_up", "half_even", "up", "down"])), creditDecimals: int(6) },
    voice: { perMinute: maybe(dec(20, int(4))), increment: maybe(inc), connectFee: chance(0.3) ? dec(2, 2) : "0" },
    tollFreeSurcharge: { perMinute: maybe(pick(["2", "1.5", "0"])) },
    transfer: { perMinute: dec(10, 2), increment: pick(["60/60", "1/1", "30/6"]) },
    chat: { perMessage: maybe(dec(2, 3)) },
    numbers: { local: { monthly: "150" }, toll_free: { monthly: dec(600, 2) } },
  };
}
const plan = () =>
  chance(0.5)
    ? null
    : { id: "p", includedMinutes: int(100), overagePerMinute: dec(10, 2), includedCredits: dec(50, 0), rolloverCap: dec(20, 0) };
const call = () => ({
  direction: maybe(pick(["inbound", "outbound"])),
  tollFree: chance(0.4),
  connectedSeconds: maybe(int(4000)),
  transfer: chance(0.2) ? { bridgedSeconds: int(900) } : null,
  carrierPassThrough: chance(0.15) ? [{ amount: pick(["0.25", "0.07", "1.10", "0.001"]), reason: "payphone_origination" }] : [],
});
function account() {
  const grants = Array.from({ length: int(5) }, (_, i) => ({
    id: `g${i}`,
    type: pick(["prepaid", "promotional", "committed", "plan"]),
    remaining: maybe(dec(500, int(3))),
    priority: pick([10, 50, 50, 90]),
    effectiveAt: chance(0.3) ? instant() : null,
    expiresAt: chance(0.4) ? "2026-12-31T00:00:00Z" : null,
    createdAt: chance(0.5) ? instant() : null,
  }));
  return {
    timeZone: maybe(pick(["UTC", "America/New_York", "Asia/Singapore", "Europe/Berlin", "Asia/Kathmandu"])),
    plan: plan(),
    cycle: chance(0.5) ? { start: "2026-01-01T00:00:00Z", end: "2026-02-01T00:00:00Z" } : null,
    includedSecondsRemaining: chance(0.5) ? int(3600) : null,
    grants,
    owed: chance(0.2) ? dec(20, 2) : "0",
    agents: { a1: { onPlanExhausted: pick(["stop", "use_balance"]), monthlyLimit: chance(0.5) ? dec(300, 0) : null, spentThisCycle: dec(100, 0) } },
    autoReload: chance(0.5) ? { enabled: chance(0.8), threshold: dec(20, 2), amount: dec(50, 2), paymentMethod: chance(0.8) ? "pm" : null, maxReloadsPerDay: chance(0.5) ? 1 + int(3) : null } : null,
    alerts: chance(0.4) ? { info: { threshold: "1000" }, warning: { threshold: "300" }, critical: { threshold: dec(100, 0) } } : null,
    limits: chance(0.3) ? { minTopUp: "10.00", maxTopUp: "1000.00", maxBalance: "5000" } : null,
  };
}
function usage(n) {
  return Array.from({ length: n }, (_, i) => {
    const kind = pick(["call", "call", "chat", "number"]);
    const base = { id: `u${i}`, at: instant(), kind };
    if (kind === "call") return { ...base, agentId: pick(["a1", "a2", null]), call: call() };
    if (kind === "chat") return { ...base, agentId: pick(["a1", "a2"]), messages: maybe(int(200)) };
    return { ...base, numberKind: pick(["local", "toll_free"]), prorate: chance(0.3), through: chance(0.3) ? "2027-03-01T00:00:00Z" : null };
  });
}
function randomCase() {
  switch (int(5)) {
    case 0:
      return { op: "quoteCall", input: { rateCard: rateCard(), plan: plan(), includedSecondsRemaining: chance(0.5) ? int(600) : null, call: call() } };
    case 1:
      return { op: "previewDrawdown", input: { rateCard: rateCard(), account: account(), usage: usage(int(8)) } };
    case 2:
      return {
        op: "authorizeCall",
        input: {
          rateCard: rateCard(),
          account: account(),
          call: { direction: pick(["inbound", "outbound"]), tollFree: chance(0.4), agentId: pick(["a1", null]), at: instant(), requestedMaxSeconds: chance(0.3) ? int(7200) : null },
        },
      };
    case 3:
      return {
        op: "validateAutoReload",
        input: {
          settings: { enabled: chance(0.8), threshold: maybe(dec(50, int(4))), amount: maybe(dec(100, int(3))), paymentMethod: chance(0.7) ? "pm" : null, maxReloadsPerDay: chance(0.5) ? int(5) : null },
          rateCard: chance(0.8) ? rateCard() : null,
          account: chance(0.5) ? { limits: { minTopUp: "10.00", maxTopUp: "500.00", maxBalance: "400" } } : null,
          context: chance(0.5) ? { maxCallSeconds: int(7200), expectedDailySpend: dec(10000, 0) } : null,
        },
      };
    default: {
      const dir = pick(["below", "above"]);
      const levels = [dec(2000, 0), dec(2000, 0), dec(2000, 0)].sort((a, b) => Number(b) - Number(a));
      if (dir === "above") levels.reverse();
      const settings = {};
      ["info", "warning", "critical"].forEach((k, i) => {
        if (chance(0.8)) settings[k] = { threshold: levels[i], direction: dir };
      });
      return { op: "evaluateAlerts", input: { settings, previousState: pick(["ok", "info", "warning", "in_alarm"]), balance: maybe(dec(3000, int(3))) } };
    }
  }
}

// Vectors first (tagged with file and name), then the random cases.
const cases = [];
for (const file of vectorFiles(`${root}tests/vectors`)) {
  for (const v of readVectors(file)) cases.push({ op: v.op, input: v.input, file: basename(file), name: v.name });
}
const vectorCount = cases.length;
// The prepared quote's fast route at its edges (the largest duration, negative zero, an
// empty transfer, an object with its own JSON form): the handle must answer as the one-shot.
const edgeCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" },
  transfer: { perMinute: "6", increment: "60/60" }, tollFreeSurcharge: { perMinute: "2" } };
for (const call of [
  { direction: "outbound", connectedSeconds: 315360000 },
  { direction: "outbound", connectedSeconds: 315360001 },
  { direction: "inbound", tollFree: true, connectedSeconds: -0 },
  { direction: "outbound", connectedSeconds: 61, transfer: { bridgedSeconds: 0 } },
  { direction: "outbound", connectedSeconds: 61, transfer: null, carrierPassThrough: [] },
  { direction: "outbound", connectedSeconds: 61, tollFree: null },
  { direction: "outbound", connectedSeconds: 61, toJSON: () => ({ direction: "inbound", connectedSeconds: 1 }) },
]) {
  cases.push({ op: "quoteCall", input: { rateCard: edgeCard, includedSecondsRemaining: 0, call }, file: "fast-route", name: JSON.stringify(call) });
}
for (let i = 0; i < count; i++) cases.push(randomCase());

const started = Date.now();
const wasmOut = cases.map((c) => runCanonical(dd, c.op, c.input));
const wasmMs = Date.now() - started;

const native = spawnSync(`${root}target/release/drawdown`, ["eval-lines"], {
  input: cases.map((c) => JSON.stringify({ op: c.op, input: c.input })).join("\n") + "\n",
  maxBuffer: 1 << 30,
  encoding: "utf8",
});
if (native.status !== 0) {
  console.error(native.stderr);
  process.exit(2);
}
const nativeOut = native.stdout.split("\n").slice(0, -1);
if (nativeOut.length !== cases.length) {
  console.error(`native printed ${nativeOut.length} lines for ${cases.length} cases`);
  process.exit(2);
}

// The prepared handles answer byte for byte what the one-shot functions answer (issue 14).
let handled = 0;
let handleFailed = 0;
for (let i = 0; i < cases.length; i++) {
  const out = runHandleCanonical(dd, cases[i].op, cases[i].input);
  if (out === null) continue;
  handled++;
  const same = out.startsWith('{"handle":') ? wasmOut[i].startsWith('{"error":') : out === wasmOut[i];
  if (!same) {
    handleFailed++;
    if (handleFailed <= 20) {
      const c = cases[i];
      console.log(`HANDLE ${c.name ? `${c.file} :: ${c.name}` : `random #${i - vectorCount} (seed ${seed})`}\n  input   ${JSON.stringify(c.input)}\n  one-shot ${wasmOut[i]}\n  handle   ${out}`);
    }
  }
}
// And every preview once more at `detail: "summary"`, where plain calls and chats take the
// handle's integer route (src/wasm/words.rs) and everything else the JSON route.
for (const c of cases) {
  if (c.op !== "previewDrawdown" || c.input === null || typeof c.input !== "object" || Array.isArray(c.input)) continue;
  const input = { ...c.input, detail: "summary" };
  const oneShot = runCanonical(dd, "previewDrawdown", input);
  const out = runHandleCanonical(dd, "previewDrawdown", input);
  handled++;
  const same = out.startsWith('{"handle":') ? oneShot.startsWith('{"error":') : out === oneShot;
  if (!same) {
    handleFailed++;
    if (handleFailed <= 20) console.log(`HANDLE summary ${c.name ?? "random"}\n  input   ${JSON.stringify(input)}\n  one-shot ${oneShot}\n  handle   ${out}`);
  }
}
console.log(`handles: ${handled} cases through createPricer/openAccount, ${handleFailed} differ from the one-shot answer`);

let passed = 0;
let failed = 0;
const errors = { native: 0 };
for (let i = 0; i < cases.length; i++) {
  if (nativeOut[i].startsWith('{"error":')) errors.native++;
  if (wasmOut[i] === nativeOut[i]) {
    passed++;
  } else {
    failed++;
    if (failed <= 20) {
      const c = cases[i];
      console.log(`FAIL ${c.name ? `${c.file} :: ${c.name}` : `random #${i - vectorCount} (seed ${seed})`}\n  input  ${JSON.stringify(c.input)}\n  native ${nativeOut[i]}\n  wasm   ${wasmOut[i]}`);
    }
  }
}

mkdirSync(`${root}target/parity`, { recursive: true });
writeFileSync(
  `${root}target/parity/vectors.native.jsonl`,
  cases.slice(0, vectorCount).map((c, i) => JSON.stringify({ file: c.file, name: c.name, out: nativeOut[i] })).join("\n") + "\n",
);
console.log(`parity: ${vectorCount} vectors + ${count} random inputs (seed ${seed}); ${errors.native} of them errors; wasm ran in ${wasmMs} ms`);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 && handleFailed === 0 ? 0 : 1);
