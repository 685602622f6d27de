// The public API over the wasm-bindgen exports. The module takes and returns plain objects
// (serde-wasm-bindgen builds the outputs: amounts as strings, maps as plain objects) and
// throws a DrawdownError (js/error.js) with a stable `code` and the `field` it concerns.
import * as raw from "./drawdown.js";
import { adopting, DrawdownError } from "./error.js";
import { dispose, open, readingDates, toJson } from "./input.js";
import { assertReady } from "./state.js";

export { DrawdownError } from "./error.js";

/** The operations, which read a plain object (the module stringifies it). */
const OPERATIONS = new Set(["quoteCall", "previewDrawdown", "authorizeCall", "validateAutoReload", "evaluateAlerts",
  "startCall", "extendCall", "endCall", "quoteTopUp", "forecastRunway"]);

// The module's exports with every error adopted into `DrawdownError` where it crosses into
// JavaScript: the functions wrapped once here, the handles' methods on their prototypes.
const wasm = {};
for (const [name, value] of Object.entries(raw)) {
  const f = OPERATIONS.has(name) ? readingDates(value) : value;
  wasm[name] = typeof value === "function" && !/^[A-Z]/.test(name) ? adopting(f) : value;
}
for (const Class of [raw.Pricer, raw.AccountHandle]) {
  for (const key of Object.getOwnPropertyNames(Class.prototype)) {
    const d = Object.getOwnPropertyDescriptor(Class.prototype, key);
    if (key !== "constructor" && typeof d.value === "function") Class.prototype[key] = adopting(d.value);
  }
}

export { addDecimals, asCount, asCredits, asMoney, asSeconds, compareDecimals, formatCredits, formatMoney, subtractDecimals } from "./decimal.js";

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

/** The VAT on a credit top-up (SEMANTICS 13): treatment, rate, tax, gross and credits. */
export function quoteTopUp(input) {
  assertReady();
  return wasm.quoteTopUp(input);
}

/** When the wallet runs short at the rate of a past period's usage (SEMANTICS 17). */
export function forecastRunway(input) {
  assertReady();
  return wasm.forecastRunway(input);
}


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
    if (plainCall(call, left) && this.#p.quoteWords(CALL[0], CALL[1] === 1, CALL[2], CALL[3], CALL[4]) > 0) {
      return this.#fromWords();
    }
    // Anything else goes the JSON route, so every error is exactly the one-shot's.
    // Built as the one-shot's input is, so a missing call is `missing_field`, not bad JSON.
    return this.#p.quoteJson(object([["call", call], ["includedSecondsRemaining", left]]));
  }
  /** The quote `quoteWords` wrote (layout in src/wasm/words.rs), keys in the one-shot's order. */
  #fromWords() {
    let w = this.#words;
    if (w.length === 0) w = this.#words = memoryWords(this.#p.wordsAt(), WORDS);
    const n = w[0];
    const lines = new Array(n);
    for (let i = 0, at = 7; i < n; i++, at += 7) {
      let h = this.#heads[w[at]];
      if (h === undefined) {
        h = this.#head(w[at]);
        // Fetching the head may have grown the memory, which empties the view.
        if (w.length === 0) w = this.#words = memoryWords(this.#p.wordsAt(), WORDS);
      }
      lines[i] = h.line(decimal(w, at + 1), decimal(w, at + 4));
    }
    return { lines, totalCredits: decimal(w, 1), totalMoney: { amount: decimal(w, 4), currency: this.#currency } };
  }
  #head(id) {
    return (this.#heads[id] = LineHead.of(this.#p.head(id)));
  }
  /** Frees the handle's memory; freeing it again does nothing. */
  free() {
    if (this.#p.__wbg_ptr !== 0) this.#p.free();
  }
}
if (dispose) Pricer.prototype[dispose] = Pricer.prototype.free;

/** The parts of a charge line that repeat from quote to quote (`words::Head`). Its
 * `line` builds every line of one head with one object literal, so they share a shape. */
class LineHead {
  /** A head from its text (`words::Heads::text`: fields separated by U+001F). */
  static of(text) {
    return new LineHead(text.split("\u001f"));
  }
  constructor([bucket, channel, code, increment, rate, reason, unit]) {
    // A summary preview's line: the same, with what no credit covered.
    this.summary =
      increment === ""
        ? reason === ""
          ? (credits, quantity, uncovered) => ({ bucket, channel, code, credits, quantity, rate, uncovered, unit })
          : (credits, quantity, uncovered) => ({ bucket, channel, code, credits, quantity, rate, reason, uncovered, unit })
        : reason === ""
          ? (credits, quantity, uncovered) => ({ bucket, channel, code, credits, increment, quantity, rate, uncovered, unit })
          : (credits, quantity, uncovered) => ({ bucket, channel, code, credits, increment, quantity, rate, reason, uncovered, unit });
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

/** `usage` packed for `previewWords` (`words::usage_from_words`): six words an item and
 * its strings in one text; `null` when any item is not a plain call or chat, which sends
 * the whole preview the JSON route. */
function usageWords(usage) {
  if (!Array.isArray(usage)) return null;
  const words = scratch.words(usage.length * 6);
  // Each item's id and instant, in input order: the answer's items come in time order, and
  // reading them from these two arrays touched far less memory than from the items.
  const ids = new Array(usage.length);
  const ats = new Array(usage.length);
  // Their ASCII strings, one after another as bytes (`putAscii`).
  let text = scratch.bytes(usage.length * 32, 0);
  let end = 0;
  for (let i = 0, at = 0; i < usage.length; i++, at += 6) {
    const u = usage[i];
    if (u === null || typeof u !== "object" || Array.isArray(u) || typeof u.toJSON === "function") return null;
    const { id, at: time, kind, agentId } = u;
    let keys = 3;
    if (typeof id !== "string" || typeof time !== "string") return null;
    let flags = 0;
    if (agentId !== undefined) {
      if (typeof agentId !== "string") return null;
      flags |= 8;
      keys++;
    }
    if (kind === "call") {
      if (!plainCall(u.call, undefined)) return null;
      flags |= (CALL[0] === 1 ? 2 : 0) | (CALL[1] === 1 ? 4 : 0) | (CALL[3] >= 0 ? 16 : 0);
      words[at + 1] = CALL[2];
      words[at + 2] = CALL[3] >= 0 ? CALL[3] : 0;
    } else if (kind === "chat") {
      if (!seconds(u.messages)) return null; // counts share the bound of durations
      flags |= 1;
      words[at + 1] = u.messages;
      words[at + 2] = 0;
    } else return null;
    // Anything else (counted without allocating; an inherited key only errs toward JSON).
    for (const _ in u) keys--;
    if (keys !== -1) return null;
    // The instant as seconds when written as the answer writes it (`AT_SECONDS`); else as
    // text, which the module reads by the engine's own rules.
    const since2000 = canonicalSeconds(time);
    if (since2000 >= 0) flags |= 32;
    const atText = since2000 >= 0 ? "" : time;
    words[at] = flags;
    words[at + 3] = id.length;
    words[at + 4] = since2000 >= 0 ? since2000 : time.length;
    words[at + 5] = agentId === undefined ? 0 : agentId.length;
    const need = end + id.length + atText.length + (agentId === undefined ? 0 : agentId.length);
    if (need > text.length) text = scratch.bytes(need * 2, end);
    end = putAscii(text, putAscii(text, end, id), atText);
    if (agentId !== undefined) end = putAscii(text, end, agentId);
    if (end < 0) return null;
    ids[i] = id;
    ats[i] = time;
  }
  return { words, text: text.subarray(0, end), ids, ats };
}

/** Buffers a packed preview fills, kept between calls (the module copies them in at once)
 * rather than 5 MB of new buffers for each 100,000-item preview. */
const scratch = {
  u32: new Uint32Array(0),
  u8: new Uint8Array(0),
  /** `n` words, their contents undefined. */
  words(n) {
    if (this.u32.length < n) this.u32 = new Uint32Array(n);
    return this.u32.subarray(0, n);
  },
  /** At least `n` bytes, the first `keep` as they were. */
  bytes(n, keep) {
    if (this.u8.length < n) {
      const grown = new Uint8Array(Math.max(n, this.u8.length * 2));
      grown.set(this.u8.subarray(0, keep));
      this.u8 = grown;
    }
    return this.u8;
  },
};

/** Seconds from 2000-01-01T00:00:00Z to `t` when `t` is written exactly as the engine
 * writes an instant (`2026-03-01T12:00:00Z`) and is a real date and time from 2000 to
 * 2099; else -1, and the module reads the text by its own rules (offsets, fractions, leap
 * seconds, errors). Reading the 100,000 instants of a preview here spared the module 5 ms
 * of parsing for about what copying their text cost. */
function canonicalSeconds(t) {
  if (t.length !== 20 || t.charCodeAt(19) !== 90 /* Z */ || t.charCodeAt(10) !== 84 /* T */) return -1;
  if (t.charCodeAt(0) !== 50 || t.charCodeAt(1) !== 48 /* "20" */) return -1;
  if (t.charCodeAt(4) !== 45 || t.charCodeAt(7) !== 45 || t.charCodeAt(13) !== 58 || t.charCodeAt(16) !== 58) return -1;
  const year = twoDigits(t, 2);
  const month = twoDigits(t, 5);
  const day = twoDigits(t, 8);
  const hour = twoDigits(t, 11);
  const minute = twoDigits(t, 14);
  const second = twoDigits(t, 17);
  // A field that is not two digits is negative; 2000-2099 are the years it reads.
  if ((year | month | day | hour | minute | second) < 0) return -1;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return -1;
  const leap = year % 4 === 0; // 2000 is a leap year, and no other century year is in range
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS_IN_MONTH[month])) return -1;
  // Days before this year since 2000, then before this month, then the day.
  const days = year * 365 + ((year + 3) >> 2) + DAYS_BEFORE_MONTH[month] + (leap && month > 2 ? 1 : 0) + day - 1;
  return days * 86_400 + hour * 3_600 + minute * 60 + second;
}
/** Two ASCII digits at `at` as a number, or -1. */
function twoDigits(t, at) {
  const a = t.charCodeAt(at) - 48;
  const b = t.charCodeAt(at + 1) - 48;
  return a >= 0 && a <= 9 && b >= 0 && b <= 9 ? a * 10 + b : -1;
}
const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_BEFORE_MONTH = [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];

/** `s` written as bytes into `bytes` from `at`: the position after it, or -1 when `s` is
 * not ASCII (its lengths would not be its UTF-8 lengths) or `at` is already -1. Joining the
 * strings and encoding them cost 12 ms for 100,000 items, most of it in the collector; a
 * method on a buffer object, 11 ms; this, 6. */
function putAscii(bytes, at, s) {
  if (at < 0) return -1;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 0x7f) return -1;
    bytes[at++] = c;
  }
  return at;
}

/** `length` u32 words of the module's memory from byte `at`. The view empties (length 0)
 * when the memory grows, which any call into the module may do: callers view again. */
function memoryWords(at, length) {
  return new Uint32Array(wasm.wasmMemory().buffer, at, length);
}

/** Words in `quoteWords`' answer (`words::WORDS`). */
const WORDS = 42;

/** The decimal at `w[at..at+3]`: mantissa low and high 32 bits, then scale. Integers and
 * string slicing only; BigInt only past 2^32. Strings printed before are reused (they are
 * values: sharing one is invisible), from a bounded table per scale: a preview's lines
 * repeat a few hundred amounts. */
function decimal(w, at) {
  const lo = w[at];
  const hi = w[at + 1];
  const scale = w[at + 2];
  if (hi !== 0) return withPoint(((BigInt(hi) << 32n) | BigInt(lo)).toString(), scale);
  if (lo === 0) return (ZEROS[scale] ??= withPoint("0", scale)); // most lines' `uncovered`
  const printed = (PRINTED[scale] ??= new Map());
  let text = printed.get(lo);
  if (text === undefined) {
    text = withPoint(String(lo), scale);
    if (printed.size >= PRINTED_MAX) printed.clear();
    printed.set(lo, text);
  }
  return text;
}
const PRINTED = [];
const ZEROS = [];
const PRINTED_MAX = 4096;

/** `digits` with a point `scale` digits from the right (and a leading zero when needed). */
function withPoint(digits, scale) {
  if (scale === 0) return digits;
  if (digits.length <= scale) digits = "0".repeat(scale + 1 - digits.length) + digits;
  const point = digits.length - scale;
  return `${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** The engine's largest count of seconds (`amount::MAX_SECONDS`). */
const MAX_SECONDS = 315_360_000;
const seconds = (x) => Number.isInteger(x) && x >= 0 && x <= MAX_SECONDS;

/** `plainCall`'s answer, reused (no allocation a call): direction (0 inbound, 1
 * outbound), tollFree (0/1), connected seconds, bridged seconds (-1: no transfer) and
 * included seconds left (-1: the plan's). */
const CALL = new Int32Array(5);

/** Whether the fast routes take `call` (its numbers then in `CALL`); `false` sends it the
 * JSON route (anything unusual, and every error). Keys are counted with `for...in`, which
 * allocates nothing; an inherited key only ever errs toward the JSON route. */
function plainCall(call, left) {
  // An object with its own JSON form (`toJSON`) is what JSON.stringify says it is: JSON route.
  if (call === null || typeof call !== "object" || Array.isArray(call) || typeof call.toJSON === "function") return false;
  const { direction, tollFree, connectedSeconds, transfer, carrierPassThrough } = call;
  let keys = 2;
  CALL[0] = direction === "inbound" ? 0 : direction === "outbound" ? 1 : -1;
  if (CALL[0] < 0 || !seconds(connectedSeconds)) return false;
  CALL[2] = connectedSeconds;
  CALL[1] = 0;
  if (tollFree !== undefined) {
    if (typeof tollFree !== "boolean") return false;
    CALL[1] = tollFree ? 1 : 0;
    keys++;
  }
  CALL[3] = -1;
  if (transfer !== undefined) {
    keys++;
    if (transfer !== null) {
      if (typeof transfer !== "object" || Array.isArray(transfer) || typeof transfer.toJSON === "function") return false;
      if (!seconds(transfer.bridgedSeconds)) return false;
      let k = 0;
      for (const _ in transfer) k++;
      if (k !== 1) return false;
      CALL[3] = transfer.bridgedSeconds;
    }
  }
  if (carrierPassThrough !== undefined) {
    if (!Array.isArray(carrierPassThrough) || carrierPassThrough.length !== 0) return false;
    keys++;
  }
  for (const _ in call) keys--;
  if (keys !== 0) return false;
  CALL[4] = -1;
  if (left !== undefined && left !== null) {
    if (!seconds(left)) return false;
    CALL[4] = left;
  }
  return true;
}

/** Whether `authorizeWords` takes this pre-call check (its numbers then in `CALL`:
 * direction, tollFree, requested seconds or -1); `false` sends it the JSON route. */
function plainRequest(call) {
  if (call === null || typeof call !== "object" || Array.isArray(call) || typeof call.toJSON === "function") return false;
  const { direction, tollFree, agentId, at, requestedMaxSeconds } = call;
  let keys = 2;
  CALL[0] = direction === "inbound" ? 0 : direction === "outbound" ? 1 : -1;
  if (CALL[0] < 0 || typeof at !== "string") return false;
  CALL[1] = 0;
  if (tollFree !== undefined) {
    if (typeof tollFree !== "boolean") return false;
    CALL[1] = tollFree ? 1 : 0;
    keys++;
  }
  if (agentId !== undefined) {
    // A lone surrogate would be replaced on the way in; JSON's route refuses it.
    if (agentId !== null && (typeof agentId !== "string" || !agentId.isWellFormed())) return false;
    keys++;
  }
  CALL[2] = -1;
  if (requestedMaxSeconds !== undefined) {
    if (requestedMaxSeconds !== null) {
      if (!seconds(requestedMaxSeconds)) return false;
      CALL[2] = requestedMaxSeconds;
    }
    keys++;
  }
  for (const _ in call) keys--;
  return keys === 0;
}

/** Reads `{ rateCard, plan? }` once; throws DrawdownError as `quoteCall` would. */
export function createPricer(input) {
  assertReady();
  return new Pricer(open(raw.Pricer, input));
}

/** `{"k":v,...}` of the defined entries, the values as JSON.stringify writes them. */
function object(entries) {
  const parts = [];
  for (const [k, v] of entries) if (v !== undefined) parts.push(`"${k}":${toJson(v)}`);
  return `{${parts.join(",")}}`;
}

/** A rate card and account read and checked once. `authorizeCall` and `previewDrawdown`
 * read only their own input; `apply`, `startCall`, `extendCall` and `endCall` move the
 * account on, as the server's ledger does. Free it with `free()` or `using`. */
class AccountHandle {
  #a;
  /** A view of `authorizeWords`' answer; empty once the memory grows. */
  #authorization = new Uint32Array(0);
  /** The codes the module has sent (`AccountHandle::code`), by id. */
  #codes = [];
  /** The line heads the module has sent (`AccountHandle::head`), by id. */
  #heads = [];
  constructor(a) {
    this.#a = a;
  }
  /** The pre-call check on the account as it stands. */
  authorizeCall(call) {
    if (plainRequest(call)) {
      const agent = call.agentId ?? undefined;
      if (this.#a.authorizeWords(CALL[0], CALL[1] === 1, call.at, agent, CALL[2]) > 0) return this.#fromAuthorization();
    }
    return this.#a.authorizeJson(object([["call", call]]));
  }
  /** The answer `authorizeWords` wrote (`words::write_authorization`), keys in the JSON route's order. */
  #fromAuthorization() {
    const view = () => memoryWords(this.#a.authorizationAt(), 7);
    let w = this.#authorization.length === 0 ? (this.#authorization = view()) : this.#authorization;
    let code = this.#codes[w[1]];
    if (code === undefined) {
      code = this.#codes[w[1]] = this.#a.code(w[1]);
      if (w.length === 0) w = this.#authorization = view(); // the memory grew
    }
    return { allowed: w[0] === 1, availableCredits: decimal(w, 2), code, includedSeconds: w[5], maxSeconds: w[6] };
  }
  /** What `usage` would do to the account; it stays as it is. */
  previewDrawdown(usage, options) {
    return this.#preview(usage, options, false);
  }
  /** `previewDrawdown`, after which the account is the preview's `accountAfter`. */
  apply(usage, options) {
    return this.#preview(usage, options, true);
  }
  #preview(usage, options, apply) {
    const asOf = options?.asOf;
    if (options?.detail === "summary" && (asOf === undefined || asOf === null || typeof asOf === "string")) {
      // Plain calls and chats go as integers both ways (`previewWords`); the rest, and
      // every error, the JSON route, whose answer this one equals byte for byte.
      const packed = usageWords(usage);
      const rest = packed && this.#a.previewWords(packed.words, packed.text, asOf ?? undefined, apply);
      if (rest) {
        rest.items = this.#items(packed);
        return rest;
      }
    }
    return this.#a.previewJson(object([["usage", usage], ["detail", options?.detail], ["asOf", asOf]]), apply);
  }
  /** The items `previewWords` wrote (layout in src/wasm/words.rs), as the JSON route's summary. */
  #items({ ids, ats }) {
    const raw = this.#a.previewTexts();
    const texts = raw === "" ? [] : raw.split("\u001f");
    const length = this.#a.itemsLength();
    const view = () => memoryWords(this.#a.itemsAt(), length);
    let w = view();
    const heads = this.#heads;
    /** The line whose words start at `at`. */
    const line = (at) => {
      let h = heads[w[at]];
      if (h === undefined) {
        h = heads[w[at]] = LineHead.of(this.#a.head(w[at]));
        if (w.length === 0) w = view(); // fetching the head may have grown the memory
      }
      return h.summary(decimal(w, at + 1), decimal(w, at + 4), decimal(w, at + 7));
    };
    const items = [];
    let t = 0;
    for (let at = 0; at < length; ) {
      const source = w[at];
      const refused = (w[at + 1] & 1) !== 0;
      const time = (w[at + 1] & 2) !== 0 ? texts[t++] : ats[source];
      const reason = w[at + 2] === 1 ? texts[t++] : undefined;
      const n = w[at + 3];
      at += 4;
      // Array literals for the usual counts: V8 tracks where a literal is made and, when it
      // sees its arrays survive, allocates them where long-lived objects go. Arrays made
      // with `new Array` or grown by `push` were always copied by the collector: for
      // 100,000 items, twice its time (BENCHMARKS.md has when V8 decides otherwise).
      let lines;
      if (n === 1) lines = [line(at)];
      else if (n === 2) lines = [line(at), line(at + 10)];
      else if (n === 0) lines = [];
      else if (n === 3) lines = [line(at), line(at + 10), line(at + 20)];
      else {
        lines = [];
        for (let i = 0; i < n; i++) lines.push(line(at + i * 10));
      }
      at += n * 10;
      const status = refused ? "refused" : "charged";
      const id = ids[source];
      items.push(reason === undefined ? { at: time, id, lines, status } : { at: time, id, lines, reason, status });
    }
    return items;
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
  /** Frees the handle's memory; freeing it again does nothing. */
  free() {
    if (this.#a.__wbg_ptr !== 0) this.#a.free();
  }
}
if (dispose) AccountHandle.prototype[dispose] = AccountHandle.prototype.free;

/** Reads `{ rateCard, account }` once; throws DrawdownError as the one-shot operations would. */
export function openAccount(input) {
  assertReady();
  return new AccountHandle(open(raw.AccountHandle, input));
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

/** Type guard for errors thrown by drawdown, by either copy of the package (CommonJS or ES). */
export function isDrawdownError(value) {
  // The CommonJS and the ES copy each have the class: an app that both requires and imports
  // the package gets errors of either.
  return value instanceof DrawdownError || (value instanceof Error && value.name === "DrawdownError" && typeof value.code === "string");
}
