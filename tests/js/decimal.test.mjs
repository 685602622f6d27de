// The package's decimal helpers (issue 14, point 8): exact where JavaScript numbers are not,
// checked against the engine's own sums and against BigInt arithmetic on random amounts.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as dd from "../../pkg/node.js";

test("sums and differences are exact where numbers are not", () => {
  assert.equal(0.1 + 0.2 === 0.3, false);
  assert.equal(dd.addDecimals("0.1", "0.2"), "0.3");
  assert.equal(dd.addDecimals("1.50", "2"), "3.50");
  assert.equal(dd.addDecimals(), "0");
  assert.equal(dd.addDecimals("12345678901234567.89", "0.11"), "12345678901234568.00");
  assert.equal(dd.addDecimals("-3.5", "1.25"), "-2.25");
  assert.equal(dd.addDecimals("-0.0001", "0.0001"), "0.0000");
  assert.equal(dd.subtractDecimals("45.0000", "9"), "36.0000");
  assert.equal(dd.subtractDecimals("1", "1.0001"), "-0.0001");
});

test("comparison ignores trailing zeros and handles signs", () => {
  assert.equal(dd.compareDecimals("1.50", "1.5"), 0);
  assert.equal(dd.compareDecimals("-0.01", "0"), -1);
  assert.equal(dd.compareDecimals("100", "99.9999"), 1);
  assert.equal(dd.compareDecimals("99999999999999999999.1", "99999999999999999999.09"), 1);
});

test("a preview's lines sum to its balances, in the helpers as in the engine", () => {
  const rateCard = { currency: "USD", creditsPerUnit: "100", voice: { perMinute: "9", increment: "60/60" }, chat: { perMessage: "0.5" } };
  const account = { grants: [{ id: "w", type: "prepaid", remaining: "1000" }] };
  const usage = Array.from({ length: 50 }, (_, i) => ({ id: `u${i}`, at: `2026-03-10T12:${String(i).padStart(2, "0")}:00Z`,
    kind: i % 2 ? "chat" : "call", ...(i % 2 ? { messages: 1 + i } : { call: { direction: "outbound", connectedSeconds: 7 * i } }) }));
  const p = dd.previewDrawdown({ rateCard, account, usage });
  const charged = dd.addDecimals(...p.items.flatMap((i) => i.lines.map((l) => l.credits)));
  assert.equal(dd.compareDecimals(dd.subtractDecimals(p.balanceBefore, charged), p.balanceAfter), 0);
});

test("random amounts: the helpers agree with BigInt arithmetic on the same units", () => {
  let seed = 7;
  const rnd = (n) => (seed = (seed * 1103515245 + 12345) % 2147483648) % n;
  for (let i = 0; i < 2000; i++) {
    const scale = rnd(7);
    const units = [BigInt(rnd(2_000_000_000)) * BigInt(rnd(2_000_000)) - 10n ** 14n, BigInt(rnd(1_000_000)) - 500_000n];
    const text = units.map((u) => {
      const s = (u < 0n ? -u : u).toString().padStart(scale + 1, "0");
      return (u < 0n ? "-" : "") + (scale ? `${s.slice(0, -scale)}.${s.slice(-scale)}` : s);
    });
    const sum = dd.addDecimals(...text);
    const expect = units[0] + units[1];
    assert.equal(dd.compareDecimals(sum, dd.subtractDecimals(sum, "0")), 0);
    assert.equal(BigInt(sum.replace(".", "")), expect, `${text} -> ${sum}`);
    assert.equal(dd.compareDecimals(text[0], text[1]), units[0] < units[1] ? -1 : units[0] > units[1] ? 1 : 0);
  }
});

test("money and credits are displayed without rounding anything away", () => {
  assert.equal(dd.formatMoney("1234.5", "USD", "en-US"), "$1,234.50");
  assert.equal(dd.formatMoney("1234.5", "EUR", "de-DE"), "1.234,50\u00a0€");
  assert.equal(dd.formatMoney("0.013", "USD", "en-US"), "$0.013");
  assert.equal(dd.formatMoney("12345678901234567.89", "USD", "en-US"), "$12,345,678,901,234,567.89");
  assert.equal(dd.formatMoney("150", "JPY", "en-US"), "¥150");
  assert.equal(dd.formatCredits("45.0000", "en-US"), "45");
  assert.equal(dd.formatCredits("1234.5670", "en-US"), "1,234.567");
});

test("anything but a decimal string is refused with invalid_decimal and the argument", () => {
  for (const [f, field] of [[() => dd.addDecimals("1", 0.5), "values[1]"], [() => dd.compareDecimals("1e3", "1"), "a"],
    [() => dd.subtractDecimals("1", "1,000"), "b"], [() => dd.formatMoney("$10", "USD"), "amount"], [() => dd.formatCredits(null), "credits"]]) {
    assert.throws(f, (e) => dd.isDrawdownError(e) && e.code === "invalid_decimal" && e.field === field);
  }
});

test("asCredits, asMoney, asSeconds and asCount check a value before giving it its unit", () => {
  assert.equal(dd.asCredits("12.5000"), "12.5000");
  assert.equal(dd.asMoney("-3"), "-3");
  assert.equal(dd.asSeconds(60), 60);
  assert.equal(dd.asCount(0), 0);
  const code = (c, f) => (e) => e instanceof dd.DrawdownError && e.code === c && (f === undefined || e.field === f);
  assert.throws(() => dd.asCredits(12.5), code("invalid_decimal", "credits"));
  assert.throws(() => dd.asMoney("ten"), code("invalid_decimal", "money"));
  assert.throws(() => dd.asSeconds("60"), code("invalid_duration"));
  assert.throws(() => dd.asSeconds(1.5), code("invalid_duration"));
  assert.throws(() => dd.asCount(-1), code("invalid_count"));
  assert.throws(() => dd.asCount(315_360_001), code("invalid_count"));
});
