// Exact credit arithmetic for the edge's own bookkeeping (how much of the lease is free,
// how much to ask for): decimal strings as BigInt counts of 10^-12 credits. The engine's
// amounts carry at most `creditDecimals` places, far fewer than twelve; nothing here rounds.
const PLACES = 12;
const SCALE = 10n ** BigInt(PLACES);
const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;

export const Units = {
  /** "12.5" -> 12500000000000n; throws on anything that is not a plain decimal string. */
  of(text) {
    const m = DECIMAL.exec(String(text));
    if (!m || (m[3] ?? "").length > PLACES) throw new RangeError(`not a decimal amount: ${text}`);
    const units = BigInt(m[2]) * SCALE + BigInt((m[3] ?? "").padEnd(PLACES, "0"));
    return m[1] ? -units : units;
  },
  /** The shortest decimal string of a count of units. */
  text(units) {
    const sign = units < 0n ? "-" : "";
    const abs = units < 0n ? -units : units;
    const whole = abs / SCALE;
    const frac = (abs % SCALE).toString().padStart(PLACES, "0").replace(/0+$/, "");
    return `${sign}${whole}${frac ? `.${frac}` : ""}`;
  },
};
