// The public API over the wasm-bindgen glue: every operation checks that the module is
// ready, so a forgotten `init()` is a coded DrawdownError instead of a TypeError.
import * as wasm from "./drawdown.js";
import { assertReady } from "./state.js";

export function quoteCall(input) {
  assertReady();
  return wasm.quoteCall(input);
}

export function previewDrawdown(input) {
  assertReady();
  return wasm.previewDrawdown(input);
}

export function authorizeCall(input) {
  assertReady();
  return wasm.authorizeCall(input);
}

export function validateAutoReload(input) {
  assertReady();
  return wasm.validateAutoReload(input);
}

export function evaluateAlerts(input) {
  assertReady();
  return wasm.evaluateAlerts(input);
}

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
