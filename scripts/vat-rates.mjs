// Regenerates src/tax/vat_rates.json, the dated table of the EU member states' standard VAT rates
// that `quoteTopUp` uses when the caller passes none (SEMANTICS 13).
//
//   node scripts/vat-rates.mjs            # fetch the two packages below, write the table
//   node scripts/vat-rates.mjs --check    # fail if the checked-in table differs
//
// Rates are facts, so the table is generated from two MIT-licensed npm packages and checked in:
// - `vatrates` (dated periods per member state, `effectiveFrom` dates, last updated 2025-09);
// - `sales-tax` (current rates, and the instants of recent changes in its `before` maps:
//   Estonia 2024 and 2025, Finland 2024, Slovakia 2025, Romania 2025, ...).
// A period from `sales-tax` wins over `vatrates` where both have one. Each `before` instant is
// taken as the local date it falls nearest to in the member state's own time zone (the package
// writes local midnights with a fixed offset). The corrections below are where a package is
// wrong against the law; each names its source. The table starts on 2015-01-01, the day B2C
// electronic services began to be taxed where the customer is (Directive 2008/8/EC art. 5):
// a rate in force on that day is listed from it, whatever its earlier history.
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const PACKAGES = { "sales-tax": "2.23.0", vatrates: "2.0.3" };
const TABLE_START = "2015-01-01";
const OUT = new URL("../src/tax/vat_rates.json", import.meta.url);

// The member state's own time zone: a rate takes effect at 00:00 there on its date.
const ZONES = {
  AT: "Europe/Vienna", BE: "Europe/Brussels", BG: "Europe/Sofia", CY: "Asia/Nicosia",
  CZ: "Europe/Prague", DE: "Europe/Berlin", DK: "Europe/Copenhagen", EE: "Europe/Tallinn",
  ES: "Europe/Madrid", FI: "Europe/Helsinki", FR: "Europe/Paris", GR: "Europe/Athens",
  HR: "Europe/Zagreb", HU: "Europe/Budapest", IE: "Europe/Dublin", IT: "Europe/Rome",
  LT: "Europe/Vilnius", LU: "Europe/Luxembourg", LV: "Europe/Riga", MT: "Europe/Malta",
  NL: "Europe/Amsterdam", PL: "Europe/Warsaw", PT: "Europe/Lisbon", RO: "Europe/Bucharest",
  SE: "Europe/Stockholm", SI: "Europe/Ljubljana", SK: "Europe/Bratislava",
};

// Where a package disagrees with the law. Checked when the table is generated: a correction
// that no longer applies (the package fixed it) fails the run, so it is removed, not kept.
const CORRECTIONS = [
  {
    country: "RO", packageDate: "2025-08-02", date: "2025-08-01", rate: "21",
    source: "Law 141/2025 (Monitorul Oficial 699, 2025-07-25) art. LXXI: 21% from 1 August 2025; " +
      "sales-tax 2.23.0 writes 2025-08-01T21:00Z, which is 2 August in Bucharest",
  },
];

function fetchPackage(name, version) {
  const dir = mkdtempSync(join(tmpdir(), "vat-rates-"));
  const tgz = execFileSync("npm", ["pack", `${name}@${version}`, "--silent"], { cwd: dir })
    .toString().trim().split("\n").pop();
  execFileSync("tar", ["xzf", tgz], { cwd: dir });
  return dir;
}

/** The UTC offset of `zone` at `ms`, in minutes. */
function offsetMinutes(zone, ms) {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit",
  }).formatToParts(new Date(ms));
  const p = Object.fromEntries(parts.map((x) => [x.type, Number(x.value)]));
  return (Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second) - ms) / 60000;
}

/** 00:00 on `date` in `zone`, as RFC 3339 with that offset. */
function localMidnight(date, zone) {
  const [y, m, d] = date.split("-").map(Number);
  const naive = Date.UTC(y, m - 1, d);
  const offset = offsetMinutes(zone, naive - offsetMinutes(zone, naive) * 60000);
  const sign = offset < 0 ? "-" : "+";
  const hh = String(Math.floor(Math.abs(offset) / 60)).padStart(2, "0");
  const mm = String(Math.abs(offset) % 60).padStart(2, "0");
  return `${date}T00:00:00${sign}${hh}:${mm}`;
}

/** The local date an instant falls nearest to in `zone` (the package's midnights drift). */
function nearestLocalDate(instant, zone) {
  const ms = Date.parse(instant);
  const local = new Date(ms + offsetMinutes(zone, ms) * 60000 + 12 * 3600000);
  return local.toISOString().slice(0, 10);
}

/** A package's float percentage as an exact decimal string: 0.255 -> "25.5". */
function percent(fraction) {
  return String(Math.round(fraction * 1e6) / 1e4);
}

function salesTaxPeriods(rates) {
  const out = {};
  for (const country of Object.keys(ZONES)) {
    const entry = rates[country];
    const periods = [];
    const befores = Object.entries(entry.before ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
    // `before[t]` is the rate that applied before `t`; the next key's (or the current) rate
    // applies from `t`.
    befores.forEach(([t], i) => {
      const next = i + 1 < befores.length ? befores[i + 1][1].rate : entry.rate;
      periods.push({ date: nearestLocalDate(t, ZONES[country]), rate: percent(next) });
    });
    out[country] = { current: percent(entry.rate), periods };
  }
  return out;
}

function vatratesPeriods(list) {
  const out = {};
  for (const entry of list) {
    if (!(entry.countryCode in ZONES)) continue;
    out[entry.countryCode] = entry.periods.map((p) => ({
      date: p.effectiveFrom, // "0000-01-01": since before the package's history begins
      rate: String(p.rates.standard),
    }));
  }
  return out;
}

function correct(country, periods) {
  for (const c of CORRECTIONS.filter((c) => c.country === country)) {
    const hit = periods.find((p) => p.date === c.packageDate && p.rate === c.rate);
    if (!hit) throw new Error(`correction for ${country} ${c.packageDate} no longer applies`);
    hit.date = c.date;
  }
  return periods;
}

function merge(country, older, newer) {
  const byDate = new Map();
  // Oldest first, so that of the periods before the table starts, the one in force on its
  // first day is the one kept.
  const ascending = [...older].sort((a, b) => (a.date < b.date ? -1 : 1));
  for (const p of ascending) byDate.set(p.date < TABLE_START ? TABLE_START : p.date, p.rate);
  // The newest older period before sales-tax's first change must be replaced from it on.
  const first = newer.periods[0]?.date;
  for (const p of correct(country, newer.periods)) byDate.set(p.date, p.rate);
  for (const date of [...byDate.keys()]) {
    if (first && date > first && !newer.periods.some((p) => p.date === date)) byDate.delete(date);
  }
  const periods = [...byDate].sort(([a], [b]) => (a < b ? -1 : 1)).map(([date, rate]) => ({ date, rate }));
  const current = periods[periods.length - 1].rate;
  if (current !== newer.current) {
    throw new Error(`${country}: the packages disagree on the current rate (${current} against ` +
      `${newer.current}) and neither dates the change: add a correction with its source`);
  }
  return periods.filter((p, i) => i === 0 || p.rate !== periods[i - 1].rate);
}

function build() {
  const st = fetchPackage("sales-tax", PACKAGES["sales-tax"]);
  const vr = fetchPackage("vatrates", PACKAGES.vatrates);
  const newer = salesTaxPeriods(JSON.parse(readFileSync(join(st, "package/res/sales_tax_rates.json"))));
  const older = vatratesPeriods(JSON.parse(readFileSync(join(vr, "package/src/json/vatrates.json"))).rates);
  const rates = [];
  for (const country of Object.keys(ZONES).sort()) {
    for (const p of merge(country, older[country], newer[country])) {
      rates.push({ country, validFrom: localMidnight(p.date, ZONES[country]), standard: p.rate });
    }
  }
  const source = Object.entries(PACKAGES).map(([n, v]) => `npm ${n} ${v}`).join(", ") +
    "; merged and corrected by scripts/vat-rates.mjs";
  const corrections = CORRECTIONS.map(({ country, date, rate, source }) => ({ country, date, rate, source }));
  return JSON.stringify({ source, corrections, rates }, null, 1) + "\n";
}

const text = build();
if (process.argv.includes("--check")) {
  if (readFileSync(OUT, "utf8") !== text) {
    console.error("src/tax/vat_rates.json differs from what the packages give: run node scripts/vat-rates.mjs");
    process.exit(1);
  }
  console.log("src/tax/vat_rates.json is up to date");
} else {
  writeFileSync(OUT, text);
  console.log(`wrote src/tax/vat_rates.json: ${JSON.parse(text).rates.length} periods`);
}
