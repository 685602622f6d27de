// Every failure of the package is a DrawdownError (a class, for `instanceof`), with a code
// and the field it concerns: the engine's errors, the handles' (also once freed), the
// decimal helpers', and the module's state.
import assert from "node:assert/strict";
import test from "node:test";
import * as dd from "../../pkg/node.js";

const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" } };
const is = (code, field) => (e) => e instanceof dd.DrawdownError && e instanceof Error && e.name === "DrawdownError" && e.code === code && (field === undefined || e.field === field);

test("the engine's errors are DrawdownErrors, one-shot and through handles", () => {
  assert.throws(() => dd.quoteCall({ rateCard }), is("missing_field", "call"));
  assert.throws(() => dd.quoteCall({ rateCard: { ...rateCard, currency: "usd" }, call: { direction: "outbound", connectedSeconds: 1 } }), is("invalid_currency", "rateCard.currency"));
  assert.throws(() => dd.createPricer({ rateCard: { ...rateCard, currency: "usd" } }), is("invalid_currency", "rateCard.currency"));
  const p = dd.createPricer({ rateCard });
  assert.throws(() => p.quoteCall({ direction: "sideways", connectedSeconds: 1 }), is("invalid_enum"));
  const a = dd.openAccount({ rateCard, account: { grants: [] } });
  assert.throws(() => a.endCall("nope", "2026-12-07T00:00:00Z", { direction: "outbound", connectedSeconds: 1 }), (e) => e instanceof dd.DrawdownError);
  assert.ok(dd.isDrawdownError(new dd.DrawdownError("x", "internal")));
  p.free();
  a.free();
});

test("a freed handle answers handle_freed in words of the domain; freeing twice does nothing", () => {
  const p = dd.createPricer({ rateCard });
  assert.equal(p.quoteCall({ direction: "outbound", connectedSeconds: 60 }).totalCredits, "9.0000");
  p.free();
  assert.doesNotThrow(() => p.free());
  assert.throws(() => p.quoteCall({ direction: "outbound", connectedSeconds: 60 }), (e) => is("handle_freed", null)(e) && !/rust|pointer/i.test(e.message));
  const a = dd.openAccount({ rateCard, account: { grants: [] } });
  a.free();
  a.free();
  assert.throws(() => a.snapshot(), is("handle_freed"));
});

test("the decimal helpers and the edge throw the class too", () => {
  assert.throws(() => dd.addDecimals("1", 2), is("invalid_decimal", "values[1]"));
  assert.throws(() => dd.formatMoney("ten", "USD"), is("invalid_decimal", "amount"));
  const doc = dd.errorDocument(new dd.DrawdownError("bad", "invalid_value", "x"));
  assert.deepEqual(doc, { error: { code: "invalid_value", field: "x", message: "bad" } });
});

test("the runtime refuses what the types refuse: seconds and counts as text, a Date for an instant (issue 27)", () => {
  const account = { grants: [{ id: "w", type: "prepaid", remaining: "100" }] };
  const call = { direction: "outbound", connectedSeconds: "60" };
  const text = (e) => is("invalid_duration", "call.connectedSeconds")(e) && e.message.includes('(60, not "60")');
  assert.throws(() => dd.quoteCall({ rateCard, call }), text);
  const p = dd.createPricer({ rateCard });
  assert.throws(() => p.quoteCall(call), text);
  const chat = { id: "m", at: "2026-12-07T00:00:00Z", kind: "chat", messages: "3" };
  assert.throws(() => dd.previewDrawdown({ rateCard, account, usage: [chat] }), is("invalid_count", "usage[0].messages"));
  const dated = (field) => (e) => is("invalid_instant", field)(e) && e.message.includes("toISOString()");
  const at = new Date("2026-12-07T00:00:00Z");
  assert.throws(() => dd.authorizeCall({ rateCard, account, call: { direction: "outbound", at } }), dated("call.at"));
  assert.throws(() => dd.previewDrawdown({ rateCard, account, usage: [{ ...chat, messages: 3, at }] }), dated("usage[0].at"));
  const a = dd.openAccount({ rateCard, account });
  assert.throws(() => a.previewDrawdown([{ ...chat, messages: 3, at }]), dated("usage[0].at"));
  assert.throws(() => a.authorizeCall({ direction: "outbound", at }), dated("call.at"));
  // The same inputs as strings and numbers go through, and a Date outside a call is itself.
  assert.equal(p.quoteCall({ ...call, connectedSeconds: 60 }).totalCredits, "9.0000");
  assert.equal(a.authorizeCall({ direction: "outbound", at: at.toISOString() }).allowed, true);
  assert.equal(JSON.stringify({ at }), '{"at":"2026-12-07T00:00:00.000Z"}');
  p.free();
  a.free();
});

test("isDrawdownError knows the errors of the CommonJS copy too (an app may both require and import)", async () => {
  const { createRequire } = await import("node:module");
  const cjs = createRequire(import.meta.url)("../../pkg/node.cjs");
  let thrown;
  try {
    cjs.quoteCall({ rateCard });
  } catch (e) {
    thrown = e;
  }
  assert.ok(thrown instanceof cjs.DrawdownError && !(thrown instanceof dd.DrawdownError));
  assert.ok(dd.isDrawdownError(thrown) && cjs.isDrawdownError(thrown));
  assert.equal(dd.isDrawdownError(new Error("x")), false);
});

test("messages in the input's words: no Rust type names, and a handle answers as the one-shot does (issue 27)", () => {
  const p = dd.createPricer({ rateCard });
  assert.throws(() => p.quoteCall(), is("missing_field", "call"));
  assert.throws(() => p.quoteCall(undefined, { includedSecondsRemaining: 30 }), is("missing_field", "call"));
  const nan = (e) => is("invalid_type", "call.connectedSeconds")(e) && /NaN or Infinity/.test(e.message);
  assert.throws(() => dd.quoteCall({ rateCard, call: { direction: "outbound", connectedSeconds: NaN } }), nan);
  assert.throws(() => p.quoteCall({ direction: "outbound", connectedSeconds: Infinity }), nan);
  assert.throws(() => dd.validateAutoReload({ settings: null }), (e) => is("invalid_type", "settings")(e) && /an object/.test(e.message) && !/struct|Form/.test(e.message));
  p.free();
});
