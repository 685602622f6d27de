// Exact sums, comparisons and display of the engine's amounts, so a page never turns one into a
// JavaScript number: 0.1 + 0.2 is 0.30000000000000004 there, and "12345678901234567.89"
// is not a number at all. Amounts are the strings the engine writes ("45.0000", "-3.5");
// the arithmetic is BigInt, and display goes through Intl.NumberFormat's exact string input.

import { DrawdownError } from "./error.js";

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

function invalid(field, value) {
  const got = JSON.stringify(value) ?? String(value);
  return new DrawdownError(`\`${field}\` must be a decimal string like "12.50", got ${got}`, "invalid_decimal", field);
}

/** `value` as an integer count of 10^-scale. */
function read(value, field) {
  const m = typeof value === "string" ? DECIMAL.exec(value) : null;
  if (!m) throw invalid(field, value);
  const fraction = m[3] ?? "";
  const units = BigInt(m[2] + fraction);
  return { units: m[1] ? -units : units, scale: fraction.length };
}

const at = (d, scale) => d.units * 10n ** BigInt(scale - d.scale);

function write(units, scale) {
  const sign = units < 0n ? "-" : "";
  const digits = (units < 0n ? -units : units).toString().padStart(scale + 1, "0");
  if (scale === 0) return sign + digits;
  return `${sign}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/** The exact sum, with as many decimals as the most precise term ("1.50" + "2" is "3.50"). */
export function addDecimals(...values) {
  const terms = values.map((v, i) => read(v, `values[${i}]`));
  const scale = Math.max(0, ...terms.map((t) => t.scale));
  return write(terms.reduce((sum, t) => sum + at(t, scale), 0n), scale);
}

/** `a - b`, exactly, with as many decimals as the more precise of the two. */
export function subtractDecimals(a, b) {
  const x = read(a, "a");
  const y = read(b, "b");
  const scale = Math.max(x.scale, y.scale);
  return write(at(x, scale) - at(y, scale), scale);
}

/** -1, 0 or 1 as `a` is less than, equal to or greater than `b` ("1.50" equals "1.5"). */
export function compareDecimals(a, b) {
  const x = read(a, "a");
  const y = read(b, "b");
  const scale = Math.max(x.scale, y.scale);
  const d = at(x, scale) - at(y, scale);
  return d < 0n ? -1 : d > 0n ? 1 : 0;
}

/** Money for people: `formatMoney("1234.5", "EUR", "de-DE")` is "1.234,50 €". Never rounds:
 * every decimal the amount has is shown, and at least the currency's own. */
export function formatMoney(amount, currency, locale) {
  const d = read(amount, "amount");
  const digits = new Intl.NumberFormat("en", { style: "currency", currency }).resolvedOptions().minimumFractionDigits;
  return new Intl.NumberFormat(locale, {
    style: "currency",
    currency,
    minimumFractionDigits: digits,
    maximumFractionDigits: Math.min(100, Math.max(digits, d.scale)),
  }).format(amount);
}

/** Credits for people: `formatCredits("45.0000")` is "45", `formatCredits("1234.5")` "1,234.5".
 * Every significant decimal is shown; trailing zeros are not. */
export function formatCredits(credits, locale) {
  const d = read(credits, "credits");
  return new Intl.NumberFormat(locale, { maximumFractionDigits: Math.min(100, d.scale) }).format(credits);
}

/** `value`, checked to be a decimal string: credits read from elsewhere (a form, a database)
 * typed as credits. Throws DrawdownError `invalid_decimal`. */
export function asCredits(value) {
  read(value, "credits");
  return value;
}

/** `value`, checked to be a decimal string: money read from elsewhere typed as money. */
export function asMoney(value) {
  read(value, "money");
  return value;
}

/** The engine's largest count of seconds or things (`amount::MAX_SECONDS`). */
const MAX_WHOLE = 315_360_000;

function whole(value, code, what) {
  if (!Number.isInteger(value) || value < 0 || value > MAX_WHOLE) {
    const got = JSON.stringify(value) ?? String(value);
    throw new DrawdownError(`${what} are whole numbers from 0 to ${MAX_WHOLE}, got ${got}`, code, null);
  }
  return value;
}

/** `value`, checked to be whole seconds (0 to ten years): `invalid_duration` otherwise. */
export function asSeconds(value) {
  return whole(value, "invalid_duration", "seconds");
}

/** `value`, checked to be a whole count: `invalid_count` otherwise. */
export function asCount(value) {
  return whole(value, "invalid_count", "counts");
}
