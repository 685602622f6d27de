// The public API over the wasm-bindgen exports. The module takes and returns plain objects
// (serde-wasm-bindgen builds the outputs: amounts as strings, maps as plain objects) and
// throws an Error named DrawdownError with a stable `code` and the `field` it concerns.
import * as wasm from "./drawdown.js";
import { assertReady } from "./state.js";

export { addDecimals, compareDecimals, formatCredits, formatMoney, subtractDecimals } from "./decimal.js";

/** Prices one call: its charge lines, total credits and money. */
export function quoteCall(input) {
  assertReady();
  return wasm.quoteCall(input);
}

/** Applies usage to an account snapshot: lines, allocations, reloads, alerts, balances. */
export function previewDrawdown(input) {
  assertReady();
  return wasm.previewDrawdown(input);
}

/** The pre-call check: allowed, reason code and the exact maxSeconds. */
export function authorizeCall(input) {
  assertReady();
  return wasm.authorizeCall(input);
}

/** Validates auto-reload settings: every error and warning with its field. */
export function validateAutoReload(input) {
  assertReady();
  return wasm.validateAutoReload(input);
}

/** The balance-alert state for a balance, and whether it changed. */
export function evaluateAlerts(input) {
  assertReady();
  return wasm.evaluateAlerts(input);
}

/** Starts a live call: its first quota, and the account holding its cost. */
export function startCall(input) {
  assertReady();
  return wasm.startCall(input);
}

/** The next quota of a live call, pricing the whole call once. */
export function extendCall(input) {
  assertReady();
  return wasm.extendCall(input);
}

/** Ends a live call: bills it as a usage item and releases its hold. */
export function endCall(input) {
  assertReady();
  return wasm.endCall(input);
}

/** Frees a handle's WebAssembly memory with `using` (where `Symbol.dispose` exists) or `free()`. */
const dispose = typeof Symbol.dispose === "symbol" ? Symbol.dispose : null;

/** A rate card and plan read and checked once (the expensive part of a quote); each
 * `quoteCall` then reads only its call. Free it with `free()` or `using`. */
class Pricer {
  #p;
  /** The line heads the module has sent (`Pricer::head`), by id. */
  #heads = [];
  /** A view of the module's memory where `quoteWords` answers; empty once memory grows. */
  #words = new Uint32Array(0);
  #currency;
  constructor(p) {
    this.#p = p;
    this.#currency = p.currency();
  }
  /** The call's charge lines and totals, as `quoteCall({ rateCard, plan, includedSecondsRemaining, call })`. */
  quoteCall(call, options) {
    const left = options?.includedSecondsRemaining;
    const fast = plainCall(call, left);
    if (fast) {
      const n = this.#p.quoteWords(fast[0], fast[1], fast[2], fast[3], fast[4]);
      if (n > 0) return this.#fromWords();
    }
    // Anything else goes the JSON route, so every error is exactly the one-shot's.
    const tail = left === undefined ? "}" : `,"includedSecondsRemaining":${JSON.stringify(left)}}`;
    return this.#p.quoteJson(`{"call":${JSON.stringify(call)}${tail}`);
  }
  /** The quote `quoteWords` wrote (layout in src/quote_words.rs), keys in the one-shot's order. */
  #fromWords() {
    let w = this.#words;
    if (w.length === 0) w = this.#words = new Uint32Array(wasm.wasmMemory().buffer, this.#p.wordsAt(), WORDS);
    const n = w[0];
    const lines = new Array(n);
    for (let i = 0, at = 7; i < n; i++, at += 7) {
      const h = this.#heads[w[at]] ?? this.#head(w[at]);
      lines[i] = h.line(decimal(w, at + 1), decimal(w, at + 4));
    }
    return { lines, totalCredits: decimal(w, 1), totalMoney: { amount: decimal(w, 4), currency: this.#currency } };
  }
  #head(id) {
    return (this.#heads[id] = new LineHead(this.#p.head(id).split("\u001f")));
  }
  free() {
    this.#p.free();
  }
}
if (dispose) Pricer.prototype[dispose] = Pricer.prototype.free;

/** The parts of a charge line that repeat from quote to quote (`quote_words::Head`). Its
 * `line` builds every line of one head with one object literal, so they share a shape. */
class LineHead {
  constructor([bucket, channel, code, increment, rate, reason, unit]) {
    Object.assign(this, { bucket, channel, code, increment, rate, reason, unit });
    this.line =
      increment === ""
        ? reason === ""
          ? (credits, quantity) => ({ bucket, channel, code, credits, quantity, rate, unit })
          : (credits, quantity) => ({ bucket, channel, code, credits, quantity, rate, reason, unit })
        : reason === ""
          ? (credits, quantity) => ({ bucket, channel, code, credits, increment, quantity, rate, unit })
          : (credits, quantity) => ({ bucket, channel, code, credits, increment, quantity, rate, reason, unit });
  }
}

/** Words in `quoteWords`' answer (`quote_words::WORDS`). */
const WORDS = 42;

/** The decimal at `w[at..at+3]`: mantissa low and high 32 bits, then scale. Integers and
 * string slicing only; BigInt only past 2^32. */
function decimal(w, at) {
  const hi = w[at + 1];
  const scale = w[at + 2];
  let digits = hi === 0 ? String(w[at]) : ((BigInt(hi) << 32n) | BigInt(w[at])).toString();
  if (scale === 0) return digits;
  if (digits.length <= scale) digits = "0".repeat(scale + 1 - digits.length) + digits;
  const point = digits.length - scale;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The engine's largest count of seconds (`amount::MAX_SECONDS`). */
const MAX_SECONDS = 315_360_000;
const seconds = (x) => Number.isInteger(x) && x >= 0 && x <= MAX_SECONDS;

/** A call the fast route takes, as its arguments `[direction, tollFree, seconds, bridged,
 * included]`; `null` sends it the JSON route (anything unusual, and every error). */
function plainCall(call, left) {
  // An object with its own JSON form (`toJSON`) is what JSON.stringify says it is: JSON route.
  if (call === null || typeof call !== "object" || Array.isArray(call) || typeof call.toJSON === "function") return null;
  const args = [-1, false, -1, -1, -1];
  if (left !== undefined && left !== null) {
    if (!seconds(left)) return null;
    args[4] = left;
  }
  for (const key of Object.keys(call)) {
    const v = call[key];
    if (key === "direction") args[0] = v === "inbound" ? 0 : v === "outbound" ? 1 : -1;
    else if (key === "tollFree") {
      if (typeof v !== "boolean") return null;
      args[1] = v;
    } else if (key === "connectedSeconds") {
      if (!seconds(v)) return null;
      args[2] = v;
    } else if (key === "transfer") {
      if (v === null) continue;
      if (typeof v !== "object" || typeof v.toJSON === "function") return null;
      if (Object.keys(v).length !== 1 || !seconds(v.bridgedSeconds)) return null;
      args[3] = v.bridgedSeconds;
    } else if (key === "carrierPassThrough") {
      if (!Array.isArray(v) || v.length !== 0) return null;
    } else return null;
  }
  return args[0] >= 0 && args[2] >= 0 ? args : null;
}

/** Reads `{ rateCard, plan? }` once; throws DrawdownError as `quoteCall` would. */
export function createPricer(input) {
  assertReady();
  return new Pricer(new wasm.Pricer(input));
}

/** `{"k":v,...}` of the defined entries, the values as JSON.stringify writes them. */
function object(entries) {
  const parts = [];
  for (const [k, v] of entries) if (v !== undefined) parts.push(`"${k}":${JSON.stringify(v)}`);
  return `{${parts.join(",")}}`;
}

/** A rate card and account read and checked once. `authorizeCall` and `previewDrawdown`
 * read only their own input; `apply`, `startCall`, `extendCall` and `endCall` move the
 * account on, as the server's ledger does. Free it with `free()` or `using`. */
class AccountHandle {
  #a;
  constructor(a) {
    this.#a = a;
  }
  /** The pre-call check on the account as it stands. */
  authorizeCall(call) {
    return this.#a.authorizeJson(object([["call", call]]));
  }
  /** What `usage` would do to the account; it stays as it is. */
  previewDrawdown(usage, options) {
    return this.#a.previewJson(object([["usage", usage], ["detail", options?.detail], ["asOf", options?.asOf]]), false);
  }
  /** `previewDrawdown`, after which the account is the preview's `accountAfter`. */
  apply(usage, options) {
    return this.#a.previewJson(object([["usage", usage], ["detail", options?.detail], ["asOf", options?.asOf]]), true);
  }
  /** Starts a live call; the account then holds it. */
  startCall(call) {
    return this.#a.startJson(object([["call", call]]));
  }
  /** The next quota of a live call. */
  extendCall(callId, at, options) {
    return this.#a.extendJson(object([["callId", callId], ["at", at], ["quotaSeconds", options?.quotaSeconds]]));
  }
  /** Ends a live call; the account is then billed for it. */
  endCall(callId, at, call) {
    return this.#a.endJson(object([["callId", callId], ["at", at], ["call", call]]));
  }
  /** The account as it stands: the snapshot to save, or to open again. */
  snapshot() {
    return this.#a.snapshot();
  }
  free() {
    this.#a.free();
  }
}
if (dispose) AccountHandle.prototype[dispose] = AccountHandle.prototype.free;

/** Reads `{ rateCard, account }` once; throws DrawdownError as the one-shot operations would. */
export function openAccount(input) {
  assertReady();
  return new AccountHandle(new wasm.AccountHandle(input));
}

// Keys in code point order, which is the UTF-8 byte order of the native build's sorted maps
// (a plain `sort()` compares UTF-16 units and puts astral characters before U+E000-U+FFFF).
function byCodePoint(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.codePointAt(i);
    const y = b.codePointAt(i);
    if (x !== y) return x - y;
    if (x > 0xffff) i++;
  }
  return a.length - b.length;
}

/** Canonical JSON: keys sorted, no whitespace; the bytes the native `drawdown eval` prints. */
export function canonical(value) {
  if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
  if (value !== null && typeof value === "object") {
    const keys = Object.keys(value).sort(byCodePoint);
    return "{" + keys.map((k) => JSON.stringify(k) + ":" + canonical(value[k])).join(",") + "}";
  }
  return JSON.stringify(value);
}

/** Any operation over JSON text; canonical JSON text out (`{"error":{...}}` on failure). */
export function evalCanonical(op, inputJson) {
  assertReady();
  try {
    return canonical(wasm.evalJson(op, inputJson));
  } catch (e) {
    if (!isDrawdownError(e)) throw e;
    return canonical(errorDocument(e));
  }
}

/** The `{ error: { code, field?, message } }` document the native CLI and server answer with. */
export function errorDocument(err) {
  const error = { code: err.code };
  if (err.field !== null) error.field = err.field;
  error.message = err.message;
  return { error };
}

export function version() {
  assertReady();
  return wasm.version();
}

/** Type guard for errors thrown by drawdown. */
export function isDrawdownError(value) {
  return value instanceof Error && value.name === "DrawdownError" && typeof value.code === "string";
}
