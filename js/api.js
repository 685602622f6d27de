// The public API over the wasm-bindgen glue. Plain objects cross as JSON text: stringify on
// the way in, parse on the way out, so outputs are plain objects with string amounts, and
// a failure is thrown as an Error named DrawdownError with a stable `code` and the `field`.
import * as wasm from "./drawdown.js";
import { assertReady } from "./state.js";

function drawdownError(code, message, field) {
  const err = new Error(message);
  err.name = "DrawdownError";
  err.code = code;
  err.field = field ?? null;
  return err;
}

function call(op, input) {
  assertReady();
  let text;
  try {
    text = JSON.stringify(input);
  } catch (e) {
    throw drawdownError("invalid_input", `input cannot be serialised as JSON: ${e.message}`, null);
  }
  if (text === undefined) throw drawdownError("invalid_input", "input must be a JSON object", null);
  const out = wasm.evalJson(op, text);
  if (out.charCodeAt(0) === 33 /* "!" */) {
    const { code, message, field } = JSON.parse(out.slice(1)).error;
    throw drawdownError(code, message, field);
  }
  return JSON.parse(out);
}

/** Prices one call: its charge lines, total credits and money. */
export const quoteCall = (input) => call("quoteCall", input);
/** Applies usage to an account snapshot: lines, allocations, reloads, alerts, balances. */
export const previewDrawdown = (input) => call("previewDrawdown", input);
/** The pre-call check: allowed, reason code and the exact maxSeconds. */
export const authorizeCall = (input) => call("authorizeCall", input);
/** Validates auto-reload settings: every error and warning with its field. */
export const validateAutoReload = (input) => call("validateAutoReload", input);
/** The balance-alert state for a balance, and whether it changed. */
export const evaluateAlerts = (input) => call("evaluateAlerts", input);

/** Any operation over JSON text; canonical JSON text out (`{"error":{...}}` on failure). */
export function evalCanonical(op, inputJson) {
  assertReady();
  return wasm.evalCanonical(op, inputJson);
}

export function version() {
  assertReady();
  return wasm.version();
}

/** Type guard for errors thrown by drawdown. */
export function isDrawdownError(value) {
  return value instanceof Error && value.name === "DrawdownError" && typeof value.code === "string";
}
