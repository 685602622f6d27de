// Display formatting straight from the engine's decimal strings. Intl.NumberFormat formats
// a numeric *string* exactly (ECMA-402 "Intl.NumberFormat v3", in every current browser), so
// no amount is ever turned into a binary float on its way to the screen.
import type { Decimal } from "drawdown";

export const locale = "en-US";

/** The engine's decimal strings are numeric literals ("-12.50"), which Intl formats exactly. */
const exact = (d: Decimal) => d as Intl.StringNumericLiteral;

/** Digits after the point in a decimal string ("12.3400" -> 4). */
export function decimals(value: string): number {
  const dot = value.indexOf(".");
  return dot < 0 ? 0 : value.length - dot - 1;
}

const cache = new Map<string, Intl.NumberFormat>();
function formatter(key: string, make: () => Intl.NumberFormat): Intl.NumberFormat {
  let f = cache.get(key);
  if (!f) {
    f = make();
    cache.set(key, f);
  }
  return f;
}

/** Money in its currency, with every digit the engine gave (never fewer than the currency's). */
export function money(amount: Decimal, currency: string): string {
  const digits = Math.min(20, decimals(amount));
  const f = formatter(`m:${currency}:${digits}`, () => {
    const base = new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions();
    const min = base.minimumFractionDigits ?? 2;
    return new Intl.NumberFormat(locale, {
      style: "currency",
      currency,
      minimumFractionDigits: min,
      maximumFractionDigits: Math.max(min, digits),
    });
  });
  return f.format(exact(amount));
}

/** Credits with grouping and exactly the significant digits of the decimal string. */
export function credits(value: Decimal): string {
  const digits = Math.min(20, decimals(value));
  const f = formatter(`c:${digits}`, () => new Intl.NumberFormat(locale, { maximumFractionDigits: digits }));
  return f.format(exact(value));
}

/** Included time in the plan's own unit: "1,000 min", "999 min 30 s", "45 s". */
export function minutes(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  if (m === 0) return `${s} s`;
  const whole = `${credits(String(m))} min`;
  return s ? `${whole} ${s} s` : whole;
}

/** A whole number of seconds as "1 h 02 min 05 s" / "3 min 05 s" / "42 s". */
export function duration(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  const pad = (n: number) => String(n).padStart(2, "0");
  if (h > 0) return `${h} h ${pad(m)} min ${pad(s)} s`;
  if (m > 0) return `${m} min ${pad(s)} s`;
  return `${s} s`;
}

/** An instant as a short date-time in the given zone, with its year when that is not this
 * year in the zone (issue 30: "Jan 6, 07:24 PM" said no year). */
export function when(instant: string, timeZone: string): string {
  let f = dateTimes.get(timeZone);
  if (!f) {
    const short = new Intl.DateTimeFormat(locale, { timeZone, month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    const long = new Intl.DateTimeFormat(locale, { timeZone, year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
    const year = new Intl.DateTimeFormat("en-US", { timeZone, year: "numeric" });
    f = { short, long, year, now: year.format(new Date()) };
    dateTimes.set(timeZone, f);
  }
  const d = new Date(instant);
  return (f.year.format(d) === f.now ? f.short : f.long).format(d);
}

const dateTimes = new Map<string, { short: Intl.DateTimeFormat; long: Intl.DateTimeFormat; year: Intl.DateTimeFormat; now: string }>();

/** Digits after the point a currency's amounts have (USD 2, JPY 0), as Intl knows them. */
export function minorUnits(currency: string): number {
  return new Intl.NumberFormat(locale, { style: "currency", currency }).resolvedOptions().minimumFractionDigits ?? 2;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

/**
 * What `creditsValue` credits are worth at `creditsPerUnit` credits per currency unit, rounded
 * half-up to `minor` decimals, as a decimal string: BigInt arithmetic on the digits, so an
 * axis label never goes through a float.
 */
export function creditsWorth(creditsValue: string, creditsPerUnit: string, minor: number): string {
  const c = DECIMAL.exec(creditsValue);
  const k = DECIMAL.exec(creditsPerUnit);
  if (!c || !k || /^0*(\.0*)?$/.test(creditsPerUnit)) return "";
  const num = (c[1] ? -1n : 1n) * BigInt(c[2]! + (c[3] ?? "")) * 10n ** BigInt((k[3] ?? "").length + minor);
  const den = BigInt(k[2]! + (k[3] ?? "")) * 10n ** BigInt((c[3] ?? "").length);
  const neg = num < 0n;
  const q = ((neg ? -num : num) * 2n + den) / (2n * den);
  const digits = q.toString().padStart(minor + 1, "0");
  const text = minor ? `${digits.slice(0, -minor)}.${digits.slice(-minor)}` : digits;
  return neg && q !== 0n ? `-${text}` : text;
}

/** A chart's money axis: a credit tick's worth, formatted in the currency. */
export function worthIn(creditsPerUnit: string, currency: string): (credits: string) => string {
  const minor = minorUnits(currency);
  return (c) => {
    const m = creditsWorth(c, creditsPerUnit, minor);
    return m ? money(m, currency) : "";
  };
}
