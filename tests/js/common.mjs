// Shared by the Node test scripts: the contract's vector pattern match, and any operation
// through the package as the canonical text the native build prints.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";

const DECIMAL = /^-?\d+(\.\d+)?$/;

/** A decimal string in normal form ("18.0000" -> "18", "-0" -> "0"), or null. No floats. */
export function normalDecimal(s) {
  if (typeof s !== "string" || !DECIMAL.test(s)) return null;
  let neg = s.startsWith("-");
  let [int, frac = ""] = (neg ? s.slice(1) : s).split(".");
  int = int.replace(/^0+(?=\d)/, "");
  frac = frac.replace(/0+$/, "");
  if (int === "0" && frac === "") neg = false;
  return (neg ? "-" : "") + int + (frac ? "." + frac : "");
}

/** Where `actual` departs from `pattern` (CONTRACT.md "Test vectors"), or null. */
export function mismatch(pattern, actual, path = "") {
  if (Array.isArray(pattern)) {
    if (!Array.isArray(actual)) return `${path}: got ${JSON.stringify(actual)}, expected an array`;
    if (pattern.length !== actual.length) return `${path}: ${actual.length} elements, expected ${pattern.length}`;
    for (let i = 0; i < pattern.length; i++) {
      const m = mismatch(pattern[i], actual[i], `${path}[${i}]`);
      if (m) return m;
    }
    return null;
  }
  if (pattern !== null && typeof pattern === "object") {
    if (actual === null || typeof actual !== "object" || Array.isArray(actual)) {
      return `${path}: got ${JSON.stringify(actual)}, expected an object`;
    }
    for (const [k, v] of Object.entries(pattern)) {
      if (!(k in actual)) return `${path}.${k}: missing, expected ${JSON.stringify(v)}`;
      const m = mismatch(v, actual[k], `${path}.${k}`);
      if (m) return m;
    }
    return null;
  }
  if (typeof pattern === "string" && typeof actual === "string") {
    const a = normalDecimal(pattern);
    const b = normalDecimal(actual);
    if ((a !== null && a === b) || pattern === actual) return null;
  } else if (pattern === actual) {
    return null;
  }
  return `${path}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(pattern)}`;
}

/** Every *.json vector file under `dir` (or `dir` itself), sorted. */
export function vectorFiles(dir) {
  if (statSync(dir).isFile()) return [dir];
  return readdirSync(dir)
    .filter((f) => f.endsWith(".json"))
    .sort()
    .map((f) => join(dir, f));
}

export function readVectors(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

export const OPS = [
  "quoteCall",
  "previewDrawdown",
  "authorizeCall",
  "validateAutoReload",
  "evaluateAlerts",
  "startCall",
  "extendCall",
  "endCall",
];

/**
 * One operation through the package's object API, as the canonical text the native build
 * prints: the output, or `{"error":{...}}` for a thrown DrawdownError.
 */
export function runCanonical(dd, op, input) {
  if (!OPS.includes(op)) return dd.evalCanonical(op, JSON.stringify(input));
  try {
    return dd.canonical(dd[op](input));
  } catch (e) {
    if (!dd.isDrawdownError(e)) throw e;
    return dd.canonical(dd.errorDocument(e));
  }
}

/** A preview's later card versions, for the handle that previews it (issue 28). */
const versions = (i) => (i.rateCardVersions === undefined ? {} : { rateCardVersions: i.rateCardVersions });

/** How each operation runs on a prepared handle: the handle it needs, made from the
 * one-shot input, and the call on it. */
const HANDLED = {
  quoteCall: [(dd, i) => dd.createPricer({ rateCard: i.rateCard, plan: i.plan }),
    (h, i) => h.quoteCall(i.call, { includedSecondsRemaining: i.includedSecondsRemaining })],
  authorizeCall: [(dd, i) => dd.openAccount({ rateCard: i.rateCard, account: i.account }), (h, i) => h.authorizeCall(i.call)],
  previewDrawdown: [(dd, i) => dd.openAccount({ rateCard: i.rateCard, account: i.account, ...versions(i) }),
    (h, i) => h.previewDrawdown(i.usage, { detail: i.detail, asOf: i.asOf })],
  startCall: [(dd, i) => dd.openAccount({ rateCard: i.rateCard, account: i.account }), (h, i) => h.startCall(i.call)],
  extendCall: [(dd, i) => dd.openAccount({ rateCard: i.rateCard, account: i.account }),
    (h, i) => h.extendCall(i.callId, i.at, { quotaSeconds: i.quotaSeconds })],
  endCall: [(dd, i) => dd.openAccount({ rateCard: i.rateCard, account: i.account }), (h, i) => h.endCall(i.callId, i.at, i.call)],
};

/**
 * The same operation through a prepared handle (`createPricer`, `openAccount`), as
 * canonical text; `null` for operations without a handle. A card or account the handle
 * refuses answers `{"handle":...}` around the error: it is found before the call is read,
 * so only "both refuse" can be compared with the one-shot answer.
 */
export function runHandleCanonical(dd, op, input) {
  const way = HANDLED[op];
  if (!way || input === null || typeof input !== "object") return null;
  let handle;
  try {
    handle = way[0](dd, input);
  } catch (e) {
    if (!dd.isDrawdownError(e)) throw e;
    return `{"handle":${dd.canonical(dd.errorDocument(e))}}`;
  }
  try {
    return dd.canonical(way[1](handle, input));
  } catch (e) {
    if (!dd.isDrawdownError(e)) throw e;
    return dd.canonical(dd.errorDocument(e));
  } finally {
    handle.free();
  }
}
