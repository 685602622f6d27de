// The dashboard (www/) in headless Chromium through playwright-core: every number it shows
// must equal what the engine (the same package, in Node) gives for the same input; it works
// offline on sample data and live against `drawdown serve` with a dashboard session; it is
// usable by keyboard with labelled inputs and visible focus (axe-core finds no WCAG A/AA
// violations); screenshots at desktop width and at 375 px go to target/screenshots/.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "vite";
import { launchChromium, serveDir } from "./common.mjs";
import * as dd from "../../pkg/node.js";

const root = new URL("../../", import.meta.url).pathname;
const dist = join(root, "target/www-test");
const shots = join(root, "target/screenshots");
const card = JSON.parse(readFileSync(join(root, "examples/demo-rate-card.json"), "utf8"));
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const credits = (v) => new Intl.NumberFormat("en-US", { maximumFractionDigits: v.split(".")[1]?.length ?? 0 }).format(v);
const usd = (v) => new Intl.NumberFormat("en-US", { style: "currency", currency: "USD", maximumFractionDigits: Math.max(2, v.split(".")[1]?.length ?? 0) }).format(v);

let offline; // a plain static server: no API behind the page
let server; // drawdown serve --static, with the demo account
let tmp;
let browser;
const live = {};

function startDrawdown(extra = [], db = "dd.db") {
  const bin = join(root, "target/release/drawdown");
  assert.ok(existsSync(bin), "build the server first: cargo build --release --features server");
  const child = spawn(bin, ["serve", "--addr", "127.0.0.1:0", "--database-url", `sqlite:${join(tmp, db)}`, "--static", dist, "--demo", ...extra], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`drawdown serve did not start:\n${out}`)), 20000);
    child.stdout.on("data", (b) => {
      out += b;
      const url = /listening on (http:\/\/\S+)/.exec(out)?.[1];
      const session = /#session=(\S+)/.exec(out)?.[1];
      const key = /API key \([^)]*\): (\S+)/.exec(out)?.[1];
      if (url && session && key) {
        clearTimeout(timer);
        resolve({ child, url, session, key });
      }
    });
    child.on("exit", (c) => reject(new Error(`drawdown serve exited ${c}:\n${out}`)));
  });
}

async function api(method, path, key, body, idem) {
  const r = await fetch(`${live.url}${path}`, {
    method,
    headers: { authorization: `${key.startsWith("dd_sess_") ? "Session" : "Bearer"} ${key}`, "content-type": "application/json", ...(idem ? { "idempotency-key": idem } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: r.status, body: await r.json() };
}

async function open(url, width = 1280) {
  const page = await browser.newPage({ viewport: { width, height: 900 }, locale: "en-US" });
  page.errors = [];
  page.on("pageerror", (e) => page.errors.push(String(e)));
  page.on("console", (m) => m.type() === "error" && page.errors.push(m.text()));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  return page;
}

const value = (page, sel) => page.getAttribute(sel, "data-value");
const fig = (page, panel, key) => page.locator(`${panel} dd[data-key="${key}"]`);

before(async () => {
  tmp = mkdtempSync(join(tmpdir(), "drawdown-www-"));
  await build({ configFile: join(root, "www/vite.config.mjs"), logLevel: "warn", build: { outDir: dist, emptyOutDir: true } });
  offline = await serveDir(dist);
  Object.assign(live, await startDrawdown());
  mkdirSync(shots, { recursive: true });
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  offline?.close();
  live.child?.kill("SIGTERM");
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

// The pricing lab (a page of static files: it works with no server behind it).
const offlineUrl = () => `http://127.0.0.1:${offline.address().port}/lab.html`;
const portal = (server = live) => `${server.url}/#session=${server.session}`;
const lab = (server = live) => `${server.url}/lab.html#session=${server.session}`;

test("offline: the call cost shown equals quoteCall for the edited card and call", async () => {
  const page = await open(offlineUrl());
  assert.match(await page.textContent("#source-badge"), /^Sample data/);
  await page.fill("#rc-voice", "9.5");
  await page.fill("#cc-secs", "125");
  await page.check("#cc-tf");
  await page.fill("#cc-bridged", "45");
  await page.fill("#cc-carrier", "0.15");
  const q = dd.quoteCall({
    rateCard: { ...card, voice: { ...card.voice, perMinute: "9.5" } },
    call: { direction: "outbound", tollFree: true, connectedSeconds: 125, transfer: { bridgedSeconds: 45 },
      carrierPassThrough: [{ amount: "0.15", reason: "carrier" }] },
  });
  await page.waitForFunction((v) => document.getElementById("calc-total").dataset.value === v, q.totalCredits);
  assert.equal(await page.textContent("#calc-total"), `${credits(q.totalCredits)} credits`);
  assert.equal(await value(page, "#calc-money"), q.totalMoney.amount);
  assert.equal(await page.textContent("#calc-money"), usd(q.totalMoney.amount));
  const rows = await page.$$eval("#calc-lines tbody tr", (trs) => trs.map((t) => [t.dataset.code, t.cells[1].textContent, t.cells[2].dataset.value]));
  assert.deepEqual(rows.map(([c, , v]) => [c, v]), q.lines.map((l) => [l.code, l.credits]));
  const ai = rows.find(([c]) => c === "voice.ai_minutes");
  assert.match(ai[1], /3 min 00 s × 9\.5 credits per minute, billed in 60\/60 s increments/);
  assert.match(rows.find(([c]) => c === "voice.carrier_pass_through")[1], /\$0\.15 carrier cost passed through at cost/);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a plan preset: included minutes draw first, the overage is priced at the plan's rate", async () => {
  const page = await open(offlineUrl());
  await page.selectOption("#preset", "growth-plan");
  await page.fill("#cc-incl", "600");
  const plan = { id: "growth", name: "Growth", monthlyFee: "99.00", includedMinutes: 1000, overagePerMinute: "7", includedCredits: "300", rolloverCap: null };
  const q = dd.quoteCall({ rateCard: card, plan, includedSecondsRemaining: 600, call: { direction: "outbound", tollFree: false, connectedSeconds: 2000 } });
  await page.waitForFunction((v) => document.getElementById("calc-total").dataset.value === v, q.totalCredits);
  const codes = await page.$$eval("#calc-lines tbody tr", (trs) => trs.map((t) => t.dataset.code));
  assert.deepEqual(codes, q.lines.map((l) => l.code));
  assert.ok(codes.includes("voice.included_minutes"));
  await page.close();
});

test("bad input is shown at its field with the engine's code, and nothing else breaks", async () => {
  const page = await open(offlineUrl());
  await page.fill("#rc-voice", "nine");
  await page.waitForSelector("#rc-voice[aria-invalid=true]");
  // Plain words beside the field and under the panel; the code and its path on demand.
  assert.match(await page.textContent("#rc-voice-err"), /^Enter a number such as 9/);
  assert.match(await page.textContent("#card-msg > span"), /^Credits per minute: Enter a number/);
  assert.match(await page.textContent("#card-msg details code"), /^invalid_decimal \(rateCard\.voice\.perMinute\): /);
  assert.equal(await page.textContent("#calc-total"), "—");
  await page.fill("#rc-voice", "9");
  await page.waitForFunction(() => !document.querySelector("#rc-voice[aria-invalid]") && !document.getElementById("rc-voice-err"));
  assert.equal(await value(page, "#calc-total"), dd.quoteCall({ rateCard: card, call: { direction: "outbound", connectedSeconds: 125, transfer: { bridgedSeconds: 45 } } }).totalCredits);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("the drawdown preview: figures, chart sources, reloads and alert bands equal previewDrawdown", async () => {
  const page = await open(offlineUrl());
  await page.fill("#sc-prepaid", "250");
  await page.fill("#sc-days", "5");
  await page.fill("#sc-calls", "6");
  const input = JSON.parse(await page.textContent("#preview-input"));
  // The page's input reflects the edits: 5 days x (6 calls + 1 chat) + 1 number rental.
  assert.equal(input.usage.length, 36);
  assert.equal(input.account.grants.find((g) => g.id === "topup-1").remaining, "250");
  assert.deepEqual(input.rateCard, card);
  const p = dd.previewDrawdown(input);
  assert.ok(p.reloads.length >= 2 && p.alerts.length >= 2, "the scenario reloads and changes alert state");
  for (const k of ["balanceBefore", "balanceAfter", "owed"]) {
    assert.equal(await fig(page, "#preview", k).getAttribute("data-value"), p[k]);
    assert.equal(await fig(page, "#preview", k).textContent(), `${credits(p[k])} credits`);
  }
  assert.equal(await fig(page, "#preview", "reloads").textContent(), p.reloads.map((r) => usd(r.amount)).join(" + "));
  // One area per grant, ending at the engine's remaining; a marker per reload.
  const areas = await page.$$eval("#chart path.area", (ps) => ps.map((x) => [x.dataset.source, x.dataset.value]));
  // A grant expired by the last usage no longer counts: its area ends at zero.
  const end = Date.parse(input.usage.at(-1).at);
  const expired = (id) => input.account.grants.some((g) => g.id === id && g.expiresAt && Date.parse(g.expiresAt) <= end);
  assert.ok(p.grants.some((g) => expired(g.id)), "the promotion expires inside the scenario");
  assert.deepEqual(new Map(areas), new Map(p.grants.map((g) => [g.id, expired(g.id) ? "0" : g.remaining])));
  const marks = await page.$$eval("#chart g.reload", (gs) => gs.map((g) => g.dataset.credits));
  assert.deepEqual(marks, p.reloads.map((r) => r.credits));
  // Alert thresholds are lines at the account's settings; the balance line ends at the engine's balance.
  const lines = await page.$$eval("#chart g.threshold", (gs) => gs.map((g) => [g.dataset.level, g.dataset.value]));
  const alerts = input.account.alerts;
  assert.deepEqual(lines, ["info", "warning", "critical"].filter((l) => alerts?.[l]).map((l) => [l, String(alerts[l].threshold)]));
  assert.ok(lines.length >= 2, "the sample account has alert thresholds");
  assert.equal(await page.getAttribute("#chart path.balance-line", "data-value"), p.balanceAfter);
  // Real axes: round credit ticks with gridlines, local days, the zone and the unit named.
  const yTicks = await page.$$eval("#chart text[data-tick]", (ts) => ts.map((t) => Number(t.dataset.tick)));
  assert.ok(yTicks.length >= 3 && yTicks.includes(0), `credit ticks ${yTicks}`);
  assert.ok((await page.$$("#chart text[data-day]")).length >= 3);
  // The money axis: each credit tick's worth at the card's rate (1 credit = $0.01), exactly.
  const worth = await page.$$eval("#chart text[data-money]", (ts) => ts.map((t) => t.dataset.money));
  const cents = (t) => `${t < 0 ? "-" : ""}${Math.trunc(Math.abs(t) / 100)}.${String(Math.abs(t) % 100).padStart(2, "0")}`;
  assert.ok(yTicks.every(Number.isInteger));
  assert.deepEqual(worth, yTicks.map((t) => usd(cents(t))));
  assert.match(await page.textContent("#chart svg"), new RegExp(`Days in ${input.account.timeZone ?? "UTC"}`));
  // Every line's credits are listed.
  const listed = await page.$$eval("#preview-items tbody tr:not(.reload-row) td.num", (ts) => ts.map((t) => t.dataset.value));
  assert.deepEqual(listed, p.items.flatMap((i) => i.lines.map((l) => l.credits)));
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("a 100,000-call scenario redraws within 500 ms, what is owed is drawn below zero, and nothing overflows at 375 px", async () => {
  const page = await open(offlineUrl(), 375);
  await page.fill("#sc-prepaid", "5");
  await page.fill("#sc-days", "20");
  // Each input event redraws; time the ones that make the scenario about 100,000 calls, from
  // the keystroke to the next frame (issue 30, point 10: the median of five runs).
  const runs = await page.evaluate(async () => {
    const calls = document.getElementById("sc-calls");
    const times = [];
    for (const n of ["4998", "4999", "5000", "4999", "5000"]) {
      calls.value = n;
      const t0 = performance.now();
      calls.dispatchEvent(new Event("input", { bubbles: true }));
      await new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
      times.push(performance.now() - t0);
    }
    return times;
  });
  const ms = [...runs].sort((a, b) => a - b)[2];
  console.log(`# 100,000-call redraws, keystroke to frame: ${runs.map((t) => t.toFixed(0)).join(", ")} ms`);
  const items = await page.evaluate(() => Number(document.querySelector('#preview dd[data-key="refused"]') ? 1 : 0));
  assert.equal(items, 1);
  assert.match(await page.textContent("#preview-more"), /of 1\d\d,\d{3} items are listed/);
  console.log(`# 100,000-call scenario redrawn in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 500, `redraw took ${ms.toFixed(0)} ms`);
  const owed = await page.getAttribute("#chart path.owed", "data-value");
  assert.ok(owed && dd.compareDecimals(owed, "0") > 0, "the scenario runs out and owes");
  assert.equal(owed, await fig(page, "#preview", "owed").getAttribute("data-value"));
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= 375, `the page is ${width}px wide`);
  const tick = await page.$eval("#chart text.tick", (t) => parseFloat(getComputedStyle(t).fontSize) * (t.ownerSVGElement.getBoundingClientRect().width / t.ownerSVGElement.viewBox.baseVal.width));
  assert.ok(tick >= 10, `axis text is ${tick.toFixed(1)} px on a phone`);
  await page.screenshot({ path: join(shots, "dashboard-100k-375.png"), fullPage: false });
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("amounts are shown exactly, with no float rounding on the way", async () => {
  const page = await open(offlineUrl());
  await page.fill("#sc-promo", "");
  await page.fill("#sc-days", "1");
  await page.fill("#sc-calls", "0");
  await page.fill("#sc-msgs", "0");
  // 19 significant digits: a binary float would show 1,000,000,000,000,000.
  await page.fill("#sc-prepaid", "999999999999999.9999");
  await page.waitForFunction(() => document.querySelector('#preview dd[data-key="balanceBefore"]')?.dataset.value === "999999999999999.9999");
  assert.equal(await fig(page, "#preview", "balanceBefore").textContent(), "999,999,999,999,999.9999 credits");
  // Past the engine's range the field is marked, in words, with the engine's code on demand.
  await page.fill("#sc-prepaid", "1000000000000000.5");
  await page.waitForSelector("#sc-prepaid[aria-invalid=true]");
  assert.match(await page.textContent("#sc-prepaid-err"), /too large: amounts go up to 10\^15/);
  assert.match(await page.textContent("#preview-msg details code"), /^invalid_decimal \(account\.grants\[\d\]\.remaining\): .*out of range/);
  await page.close();
});

test("auto-reload: the engine's errors and warnings appear inline as the user types", async () => {
  const page = await open(offlineUrl());
  const findings = () => page.$$eval("#reload-findings li", (ls) => ls.map((l) => `${l.className} ${l.dataset.field} ${l.dataset.code}`).sort());
  const expect = (settings, context) => {
    const v = dd.validateAutoReload({ settings, rateCard: card, account: { limits: { minTopUp: "10.00", maxTopUp: "1000.00" } }, context });
    return [...v.errors.map((f) => `error ${f.field} ${f.code}`), ...v.warnings.map((f) => `warning ${f.field} ${f.code}`)].sort();
  };
  const base = { enabled: true, threshold: "2.00", amount: "10.00", paymentMethod: "pm_card_visa", maxReloadsPerDay: 3 };
  const ctx = { maxCallSeconds: 1800, expectedDailySpend: null };
  assert.deepEqual(await findings(), expect(base, ctx));
  assert.ok((await findings()).some((f) => f.startsWith("warning settings.threshold")), "a too-low threshold warns");

  await page.fill("#ar-amount", "5.001");
  await page.waitForSelector("#ar-amount[aria-invalid=true]");
  assert.deepEqual(await findings(), expect({ ...base, amount: "5.001" }, ctx));
  assert.ok((await page.textContent("#ar-amount-msg")).startsWith("Error:"));

  await page.fill("#ar-pm", "");
  await page.fill("#ar-amount", "25.00");
  await page.waitForSelector("#ar-pm[aria-invalid=true]");
  assert.deepEqual(await findings(), expect({ ...base, amount: "25.00", paymentMethod: null }, ctx));
  assert.ok((await findings()).includes("error settings.paymentMethod payment_method_required"));
  assert.equal(await page.getAttribute("#reload-summary", "data-valid"), "false");

  await page.fill("#ar-threshold", "two");
  await page.waitForSelector("#ar-threshold-msg [data-code=invalid_decimal]");
  assert.ok(await page.$("#ar-threshold[aria-invalid=true]"));

  await page.fill("#ar-threshold", "20.00");
  await page.fill("#ar-pm", "pm_card_visa");
  await page.waitForFunction(() => document.getElementById("reload-summary").dataset.valid === "true");
  assert.deepEqual(await findings(), expect({ ...base, threshold: "20.00", amount: "25.00" }, ctx));
  // Valid settings drive the preview's reloads.
  const input = JSON.parse(await page.textContent("#preview-input"));
  assert.equal(input.account.autoReload.threshold, "20.00");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("pre-call check: maxSeconds, then the 402 answer and the inbound rejection", async () => {
  const page = await open(offlineUrl());
  const check = async () => {
    const input = JSON.parse(await page.textContent("#precall-input"));
    const a = dd.authorizeCall(input);
    assert.equal(await fig(page, "#precall", "maxSeconds").getAttribute("data-value"), String(a.maxSeconds));
    assert.equal(await fig(page, "#precall", "availableCredits").getAttribute("data-value"), a.availableCredits);
    return a;
  };
  const ok = await check();
  assert.equal(ok.allowed, true);
  assert.ok(ok.maxSeconds > 0);
  await page.fill("#pc-max", "300");
  assert.equal((await check()).maxSeconds, 300);
  // After the preview's usage: the account the preview leaves (its grants, reloads, owed).
  await page.fill("#pc-max", "");
  await page.check("#pc-after");
  const after = JSON.parse(await page.textContent("#precall-input"));
  const left = dd.previewDrawdown(JSON.parse(await page.textContent("#preview-input")));
  // The check runs on the preview's own snapshot to continue from (issue 14's accountAfter).
  assert.deepEqual(after.account, left.accountAfter);
  assert.deepEqual(after.account.grants.map((g) => [g.id, g.remaining]), left.grants.map((g) => [g.id, g.remaining]));
  await check();
  await page.uncheck("#pc-after");

  await page.fill("#sc-promo", "");
  await page.fill("#sc-prepaid", "0.5");
  await page.waitForSelector("#precall pre[data-status='402']");
  const refused = await check();
  assert.equal(refused.code, "insufficient_credits");
  const shown = await page.textContent("#precall pre[data-status='402']");
  assert.match(shown, /^HTTP\/1\.1 402 Payment Required/);
  assert.deepEqual(JSON.parse(shown.slice(shown.indexOf("{"))), { error: refused.error });

  await page.selectOption("#pc-dir", "inbound");
  await page.waitForSelector("#precall pre[data-action=reject_inbound]");
  assert.equal((await check()).action, "reject_inbound");
  await page.close();
});

test("live: the dashboard reads the wallet, plan and usage through the API with its session", async () => {
  const at = new Date().toISOString().replace(/\.\d+Z$/, "Z");
  const used = await api("POST", "/usage", live.key, { events: [
    { id: "call-1", at, kind: "call", call: { direction: "outbound", connectedSeconds: 400 } },
    { id: "chat-1", at, kind: "chat", messages: 30 },
  ] }, "dash-1");
  assert.equal(used.status, 200, JSON.stringify(used.body));
  // A call in progress: the live view shows it and what it holds (issue 12).
  const started = await api("POST", "/calls", live.key, { id: "dash-call", direction: "outbound", quotaSeconds: 120 });
  assert.equal(started.status, 200, JSON.stringify(started.body));
  const page = await open(portal());
  await page.waitForSelector("#source-badge[data-mode=live]");
  assert.equal(await page.textContent("#source-badge"), "Account demo");
  assert.ok(!page.url().includes("session="), "the token leaves the address bar");
  const wallet = (await api("GET", "/billing/wallet", live.key)).body;
  assert.equal(await fig(page, "#live", "balance").getAttribute("data-value"), wallet.balance);
  assert.equal(await fig(page, "#live", "balance").textContent(), `${credits(wallet.balance)} credits`);
  assert.equal(await fig(page, "#live", "balanceMoney").textContent(), usd(wallet.balanceMoney.amount));
  const usage = (await api("GET", "/billing/usage", live.key)).body;
  const rows = await page.$$eval("#live-usage tbody tr", (trs) => trs.map((t) => [t.dataset.channel, t.cells[2].dataset.value]));
  assert.deepEqual(rows, usage.usage.map((u) => [u.channel, u.credits]));
  // The lab previews on a copy of the server's own snapshot, and its pre-call answer is the
  // server's.
  const labPage = await open(lab());
  await labPage.waitForSelector("#source-badge[data-mode=live]");
  assert.match(await labPage.textContent("#source-badge"), /^A copy of account demo: edits here change nothing on it/);
  const input = JSON.parse(await labPage.textContent("#precall-input"));
  assert.equal(dd.previewDrawdown({ rateCard: input.rateCard, account: input.account, usage: [] }).balanceBefore, wallet.balance);
  const server = await api("POST", "/calls/authorize", live.key, { call: input.call });
  assert.equal(server.status, 200, JSON.stringify(server.body));
  assert.equal(await fig(labPage, "#precall", "maxSeconds").getAttribute("data-value"), String(server.body.maxSeconds));
  assert.equal(await fig(labPage, "#precall", "availableCredits").getAttribute("data-value"), server.body.availableCredits);
  assert.equal(await fig(page, "#live", "held").getAttribute("data-value"), wallet.held);
  // A hold of included minutes is said too (issue 30: "Held by live calls: 0 credits" while a
  // call held 5 included minutes).
  const heldIncluded = started.body.hold.includedSeconds;
  if (heldIncluded > 0) assert.match(await fig(page, "#live", "held").textContent(), new RegExp(`and ${heldIncluded / 60} min included$`));
  assert.equal(wallet.held, started.body.hold.credits);
  assert.equal(await fig(page, "#live", "available").getAttribute("data-value"), wallet.available);
  const callRow = await page.$$eval("#live-calls tbody tr", (trs) => trs.map((t) => [t.dataset.call, t.cells[3].dataset.value]));
  assert.deepEqual(callRow, [["dash-call", started.body.hold.credits]]);
  // The pre-call panel's grant is what the server grants a start of the same call.
  const probe = await api("POST", "/calls", live.key, { id: "probe", direction: input.call.direction, tollFree: input.call.tollFree,
    agentId: input.call.agentId, at: input.call.at });
  assert.equal(probe.status, 200, JSON.stringify(probe.body));
  assert.equal(await fig(labPage, "#precall", "grantedSeconds").getAttribute("data-value"), String(probe.body.grantedSeconds));
  assert.equal(await fig(labPage, "#precall", "holdCredits").getAttribute("data-value"), probe.body.hold.credits);
  assert.deepEqual(labPage.errors, []);
  await labPage.close();
  for (const id of ["dash-call", "probe"]) {
    assert.equal((await api("POST", `/calls/${id}/end`, live.key, { connectedSeconds: 30 })).status, 200);
  }
  // A reload of the page keeps the session for the tab.
  await page.reload();
  await page.waitForSelector("#source-badge[data-mode=live]");
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("live billing: details with a VIES check, a top-up with its tax quote, the ledger, invoices, PDF and CSV", async () => {
  const page = await open(portal());
  await page.waitForSelector("#source-badge[data-mode=live]");
  await page.waitForSelector("#billing:not([hidden])");
  // The country from the server's own list, by name (issue 30, point 7); then a VAT ID that
  // does not fit its country: plain words beside the form, the code on demand.
  assert.equal(await page.textContent('#bp-country option[value="FR"]'), "France");
  assert.equal(await page.$$eval("#bp-country option", (os) => os.length), 250, "249 countries and the prompt");
  await page.selectOption("#bp-country", "FR");
  await page.fill("#bp-vat", "FR123");
  await page.click("#bp-save");
  await page.waitForSelector("#bp-msg [data-code=invalid_vat_id]");
  assert.match(await page.textContent("#bp-msg .error"), /does not match its country's format/);
  assert.equal(await page.getAttribute("#bp-vat", "aria-invalid"), "true");
  assert.match(await page.textContent("#bp-msg details code"), /^invalid_vat_id \(vatId\)/);
  // A French business with a VAT ID VIES confirms: reverse charge on the quote.
  await page.fill("#bp-name", "Exemple SARL");
  await page.fill("#bp-address", "1 rue de la Paix\n75002 Paris");
  await page.fill("#bp-vat", "FR 40 303 265 045");
  await page.click("#bp-save");
  await page.waitForSelector("#bp-vat-status[data-status=valid]");
  assert.equal(await page.inputValue("#bp-vat"), "FR40303265045");
  const profile = await fetch(`${live.url}/billing/profile`, { headers: { authorization: `Session ${live.session}` } }).then((r) => r.json());
  assert.equal(profile.vatIdVerified, true);
  // The quote follows the typing; a bad amount is explained at the field.
  await page.fill("#tu-amount", "10.001");
  await page.waitForSelector("#tu-amount-msg [data-code=invalid_money_precision]");
  // The account's limits are stated before typing, and an amount outside them is refused at
  // its quote: Pay is never offered for it.
  assert.equal(await page.textContent("#tu-limits"), "From $10.00 to $1,000.00 per top-up.");
  for (const outside of ["5", "2000"]) {
    await page.fill("#tu-amount", outside);
    await page.waitForSelector("#tu-amount-msg [data-code=amount_out_of_range]");
    assert.equal(await page.isDisabled("#tu-submit"), true, `Pay offered for ${outside}`);
  }
  assert.ok(await page.isDisabled("#tu-submit"));
  await page.fill("#tu-amount", "25");
  await page.waitForSelector('#tu-quote dd[data-key="gross"]');
  const quote = await fetch(`${live.url}/billing/wallet/topup/quote`, { method: "POST",
    headers: { authorization: `Session ${live.session}`, "content-type": "application/json" }, body: JSON.stringify({ amount: "25" }) }).then((r) => r.json());
  assert.equal(quote.treatment, "reverse_charge");
  assert.equal(await value(page, '#tu-quote dd[data-key="gross"]'), quote.gross);
  assert.equal(await value(page, '#tu-quote dd[data-key="tax"]'), quote.tax);
  assert.equal(await value(page, '#tu-quote dd[data-key="credits"]'), quote.credits);
  assert.match(await page.textContent("#tu-note"), /Reverse charge/);
  assert.equal((await page.textContent("#tu-note")).match(/Reverse charge/g).length, 1, "the legal wording once");
  const before = (await api("GET", "/billing/wallet", live.key)).body.balance;
  await page.click("#tu-submit");
  await page.waitForSelector("#tu-result [data-status=settled]");
  // The credits land: the wallet figure, the ledger's top-up, the invoice with its PDF.
  const wallet = (await api("GET", "/billing/wallet", live.key)).body;
  assert.equal(dd.compareDecimals(dd.subtractDecimals(wallet.balance, before), quote.credits), 0);
  await page.waitForFunction((v) => document.querySelector('#live dd[data-key="balance"]').dataset.value === v, wallet.balance);
  const payment = await page.getAttribute("#tu-result [data-status]", "data-payment");
  const top = await page.$$eval("#ledger-table tbody tr", (trs) => trs.map((t) => [t.dataset.kind, t.cells[2].textContent, t.cells[3].dataset.value]));
  assert.deepEqual(top[0].slice(0, 2), ["topup", payment]);
  assert.equal(dd.compareDecimals(top[0][2], quote.credits), 0);
  const invoices = (await api("GET", "/billing/invoices", live.key)).body.invoices;
  const invoice = invoices.find((d) => d.paymentId === payment);
  assert.ok(invoice, JSON.stringify(invoices));
  const row = page.locator(`#inv-table tr[data-number="${invoice.number}"]`);
  assert.equal(await row.locator("td").nth(4).getAttribute("data-value"), invoice.gross);
  const [pdf] = await Promise.all([page.waitForEvent("download"), row.locator("button[data-pdf]").click()]);
  assert.equal(pdf.suggestedFilename(), `${invoice.number}.pdf`);
  assert.ok(readFileSync(await pdf.path()).subarray(0, 5).toString() === "%PDF-");
  // The books: the balance over time from the ledger, and usage by day and channel.
  const byTime = (await api("GET", "/billing/ledger?limit=1000", live.key)).body.entries.slice().sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  await page.waitForFunction((v) => document.querySelector("#ledger-chart path.balance-line")?.dataset.value === v, byTime.at(-1).balanceAfter);
  assert.ok((await page.$$("#ledger-chart g.reload")).length >= 1, "the top-up is marked on the ledger chart");
  const days = (await api("GET", "/billing/usage/items", live.key)).body.items;
  const want = new Map();
  for (const i of days) want.set(`${i.date} ${i.channel}`, dd.addDecimals(want.get(`${i.date} ${i.channel}`) ?? "0", i.credits));
  const shown = await page.$$eval("#usage-days tbody td[data-channel]", (tds) => tds.filter((t) => t.dataset.value !== "0").map((t) => [`${t.parentElement.dataset.day} ${t.dataset.channel}`, t.dataset.value]));
  assert.ok(shown.length > 0);
  for (const [k, v] of shown) assert.equal(dd.compareDecimals(v, want.get(k)), 0, k);
  assert.equal(shown.length, [...want.values()].filter((v) => dd.compareDecimals(v, "0") !== 0).length);
  const [csv] = await Promise.all([page.waitForEvent("download"), page.click("#ledger-csv")]);
  const lines = readFileSync(await csv.path(), "utf8").trim().split("\r\n");
  assert.equal(lines[0], "seq,at,kind,reference,credits,balance_after");
  const ledger = (await api("GET", "/billing/ledger?limit=1000", live.key)).body.entries;
  assert.equal(lines.length, ledger.length + 1);
  assert.equal(lines.at(-1), [ledger.at(-1).seq, ledger.at(-1).at, ledger.at(-1).kind, ledger.at(-1).reference, ledger.at(-1).credits, ledger.at(-1).balanceAfter].join(","));
  // Payment methods (seed 002): no card yet, so auto-recharge cannot be saved; a declined
  // card is refused beside its field; a saved one is offered to auto-recharge.
  await page.waitForSelector("#methods:not([hidden])");
  assert.equal(await page.inputValue("#ar-pm"), "");
  if (await page.isChecked("#ar-on")) assert.ok(await page.isDisabled("#ar-save"), "no saved card: auto-recharge on cannot be saved");
  else assert.ok(await page.isDisabled("#ar-on"), "no saved card: auto-recharge cannot be turned on");
  await page.fill("#pm-number", "12");
  await page.waitForSelector("#pm-number-msg .error");
  assert.ok(await page.isDisabled("#pm-save"));
  await page.fill("#pm-number", "4000 0000 0000 0002");
  await page.fill("#pm-exp", "12/2099");
  await page.click("#pm-save");
  await page.waitForSelector("#pm-number-msg [data-code=card_declined]");
  await page.fill("#pm-number", "4242 4242 4242 4242");
  await page.click("#pm-save");
  await page.waitForSelector('#pm-table tr[data-method] th:text("Visa ending 4242")');
  const cards = (await api("GET", "/billing/payment-methods", live.session)).body;
  assert.equal(cards.methods.length, 1);
  assert.equal(cards.defaultId, cards.methods[0].id, "the first card is the default");
  await page.waitForFunction((id) => document.getElementById("ar-pm").value === id, cards.defaultId);
  // Auto-recharge: Save waits while a field is wrong (nothing the server would refuse is
  // sent); saved, it lands in the account the server holds, charging the saved card.
  await page.fill("#ar-threshold", "ten");
  await page.waitForSelector("#ar-threshold-msg [data-code=invalid_decimal]");
  assert.ok(await page.isDisabled("#ar-save"));
  await page.fill("#ar-threshold", "7.00");
  await page.fill("#ar-amount", "30.00");
  if (!(await page.isChecked("#ar-on"))) await page.check("#ar-on");
  await page.click("#ar-save");
  await page.waitForSelector("#ar-save-msg .ok");
  const saved = (await api("GET", "/billing/account", live.key)).body.account.autoReload;
  assert.deepEqual([saved.enabled, saved.threshold, saved.amount, saved.paymentMethod], [true, "7.00", "30.00", cards.defaultId]);
  // The card auto-recharge charges cannot be removed while it is on.
  await page.click(`#pm-table tr[data-method="${cards.defaultId}"] button:text("Remove")`);
  await page.waitForSelector("#pm-msg [data-code=payment_method_in_use]");
  assert.equal((await api("GET", "/billing/payment-methods", live.session)).body.methods.length, 1);
  // Refreshing keeps what the user is typing.
  await page.fill("#bp-name", "Unsaved Name");
  await page.click("#live-refresh");
  await page.waitForFunction(() => document.getElementById("source-badge").dataset.mode === "live");
  assert.equal(await page.inputValue("#bp-name"), "Unsaved Name");
  // The refusals above (a declined card, a card in use, bad fields) are answers the page shows, not failures of the page.
  assert.deepEqual(page.errors.filter((e) => !/status of (409|422)/.test(e)), []);
  await page.addScriptTag({ content: axeSource });
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  const result = await page.evaluate(() => window.axe.run(document.getElementById("billing"), { runOnly: ["wcag2a", "wcag2aa"] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
  await page.close();
});

test("live top-up through a provider that confirms later: pending, then the credits land", async () => {
  const ADMIN = "dashboard-test-admin-token-0123456789";
  const manual = await startDrawdown(["--payments", "manual", "--admin-token", ADMIN], "manual.db");
  try {
    const page = await open(portal(manual));
    await page.waitForSelector("#billing:not([hidden])");
    const before = await fig(page, "#live", "balance").getAttribute("data-value");
    await page.fill("#tu-amount", "12");
    await page.waitForSelector('#tu-quote dd[data-key="gross"]');
    await page.click("#tu-submit");
    await page.waitForSelector("#tu-result [data-status=pending]");
    const payment = await page.getAttribute("#tu-result [data-status]", "data-payment");
    assert.equal(await fig(page, "#live", "balance").getAttribute("data-value"), before, "nothing lands before the provider confirms");
    const settled = await fetch(`${manual.url}/payments/${payment}/settle`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(settled.status, 200);
    await page.waitForSelector("#tu-result [data-status=settled]", { timeout: 10000 });
    const wallet = await fetch(`${manual.url}/billing/wallet`, { headers: { authorization: `Bearer ${manual.key}` } }).then((r) => r.json());
    await page.waitForFunction((v) => document.querySelector('#live dd[data-key="balance"]').dataset.value === v, wallet.balance);
    assert.equal(dd.compareDecimals(dd.subtractDecimals(wallet.balance, before), "1200"), 0);
    await page.waitForSelector(`#ledger-table tr[data-kind=topup]`);
    // A plan switch whose fee the provider has not confirmed: past due, and the page says
    // the allowances wait; confirmed, it is paid and they return.
    await page.selectOption("#plan-pick", "scale");
    await page.click("#plan-change");
    await page.waitForSelector('#plan-msg [data-plan="scale"][data-status="past_due"]');
    assert.match(await page.textContent("#plan-msg"), /Past due: .* unpaid \(the payment is not confirmed yet\); included minutes and plan credits wait until it is paid/);
    await page.waitForSelector('#account dd[data-key="planFee"][data-value="past_due"]');
    assert.equal(await fig(page, "#account", "includedSecondsRemaining").getAttribute("data-value"), "0");
    const sub = await fetch(`${manual.url}/billing/subscription`, { headers: { authorization: `Bearer ${manual.key}` } }).then((r) => r.json());
    const fee = await fetch(`${manual.url}/payments/${sub.fee.paymentId}/settle`, { method: "POST", headers: { authorization: `Bearer ${ADMIN}` } });
    assert.equal(fee.status, 200);
    await page.reload();
    await page.waitForSelector('#account dd[data-key="planFee"][data-value="active"]');
    assert.match(await page.textContent('#account dd[data-key="planFee"]'), /paid/);
    assert.equal(await fig(page, "#account", "includedSecondsRemaining").getAttribute("data-value"), String(4000 * 60));
    // A price change scheduled for tomorrow: the lab's preview of the account prices the
    // scenario's later items by it, as the server will (issue 28).
    const inputs = await fetch(`${manual.url}/billing/account`, { headers: { authorization: `Bearer ${manual.key}` } }).then((r) => r.json());
    const tomorrow = new Date(Date.parse(inputs.asOf) + 86400000).toISOString().replace(/\.\d+Z$/, "Z");
    // Chat, since the Scale plan's own overage rate prices its voice minutes.
    const dearer = { ...inputs.rateCard, chat: { perMessage: "2" } };
    const put = await fetch(`${manual.url}/admin/accounts/demo/rate-card`, { method: "PUT",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" }, body: JSON.stringify({ rateCard: dearer, effectiveFrom: tomorrow }) });
    assert.equal(put.status, 200, await put.text());
    assert.deepEqual(page.errors, []);
    await page.close();
    const labPage = await open(lab(manual));
    await labPage.waitForFunction(() => document.querySelector("#preview-input")?.textContent.includes("rateCardVersions"));
    const shown = JSON.parse(await labPage.textContent("#preview-input"));
    assert.equal(shown.rateCardVersions[0].effectiveFrom, tomorrow);
    const priced = dd.previewDrawdown(shown);
    assert.ok(shown.usage.some((u) => u.at >= tomorrow), "the scenario runs past the change");
    assert.notEqual(priced.balanceAfter, dd.previewDrawdown({ ...shown, rateCardVersions: [] }).balanceAfter);
    await labPage.waitForFunction((v) => document.querySelector('#preview dd[data-key="balanceAfter"]')?.dataset.value === v, priced.balanceAfter);
    assert.deepEqual(labPage.errors, []);
    await labPage.close();
  } finally {
    manual.child.kill("SIGTERM");
  }
});

test("live account: seed 002's figures, a plan switch, alert thresholds, the webhook and agent limits saved", async () => {
  const page = await open(portal());
  await page.waitForSelector("#account:not([hidden])");
  const wallet = (await api("GET", "/billing/wallet", live.key)).body;
  const inputs = (await api("GET", "/billing/account", live.key)).body;
  assert.equal(await fig(page, "#account", "available").getAttribute("data-value"), wallet.available);
  assert.equal(await fig(page, "#account", "planCredits").getAttribute("data-value"), wallet.planCredits);
  assert.equal(await fig(page, "#account", "renewal").getAttribute("data-value"), inputs.account.cycle?.end ?? "");
  // The runway (SEMANTICS 17) on the account's own last 7 days, as the server forecasts it.
  const forecast = (await api("GET", "/billing/forecast", live.key)).body;
  assert.equal(await fig(page, "#account", "runsOutAt").getAttribute("data-value"), forecast.runsOutAt ?? "");
  assert.equal(await fig(page, "#account", "reloadMoney").getAttribute("data-value"), forecast.reloadMoney);
  const unused = forecast.expiringUnused.reduce((sum, e) => dd.addDecimals(sum, e.credits), "0");
  assert.equal(await fig(page, "#account", "expiringUnused").getAttribute("data-value"), unused);
  // The catalogue is the server's; the switch is explained before it is made.
  const plans = (await api("GET", "/billing/plans", live.key)).body.plans;
  assert.deepEqual(await page.$$eval("#plan-pick option", (os) => os.map((o) => o.value)), plans.map((p) => p.id));
  const target = plans.find((p) => p.id !== inputs.account.plan?.id);
  await page.selectOption("#plan-pick", target.id);
  assert.match(await page.textContent("#plan-effect"), new RegExp(`replaced by ${target.includedMinutes} minutes`));
  // Every plan priced on the account's own usage (the server's items, drawn down by the
  // engine in the page), before a switch: the same numbers the engine gives here.
  const compare = page.locator("#plan-compare");
  const from = await compare.getAttribute("data-from");
  const to = await compare.getAttribute("data-to");
  const events = (await api("GET", `/billing/usage/events?from=${from}&to=${to}`, live.key)).body;
  assert.ok(events.items.length > 0, "the demo account has usage to compare on");
  assert.match(await page.textContent("#plan-compare-words"), new RegExp(`${events.items.length} usage items`));
  const first = events.items.map((u) => u.at).sort()[0];
  const end = new Date(Date.parse(first) + 32 * 86_400_000).toISOString().replace(/\.\d+Z$/, "Z");
  for (const p of plans) {
    const seconds = p.includedMinutes * 60;
    const on = dd.previewDrawdown({ rateCard: inputs.rateCard, rateCardVersions: inputs.rateCardVersions ?? [], usage: events.items, detail: "summary",
      account: { timeZone: inputs.account.timeZone, plan: p, cycle: { start: first, end }, includedSecondsRemaining: seconds, grants: [] } });
    const row = `#plan-compare tr[data-plan="${p.id}"]`;
    assert.equal(await page.getAttribute(`${row} td[data-label="Past the plan"]`, "data-value"), on.owed, p.id);
    assert.equal(await page.getAttribute(`${row} td[data-label="Included used"]`, "data-value"), String(seconds - on.includedSecondsRemaining), p.id);
  }
  if (inputs.account.plan) assert.match(await page.textContent(`#plan-compare tr[data-plan="${inputs.account.plan.id}"] th`), /\(your plan\)/);
  const before = Date.now();
  await page.click("#plan-change");
  await page.waitForSelector(`#plan-msg [data-plan="${target.id}"]`);
  const sub = (await api("GET", "/billing/subscription", live.key)).body;
  assert.equal(sub.plan.id, target.id);
  assert.ok(Date.parse(sub.cycle.start) >= before - 2000, "the switch starts a new cycle");
  assert.equal(sub.includedSecondsRemaining, target.includedMinutes * 60);
  await page.waitForFunction((v) => document.querySelector('#account dd[data-key="plan"]').dataset.value === v, target.id);
  // Alert thresholds are checked as typed, by the server's rules: out of order, below zero or
  // past the card's decimals is explained beside its field and Save waits; in order they
  // are saved.
  await page.fill("#al-info", "10");
  await page.fill("#al-warning", "50");
  await page.fill("#al-critical", "");
  await page.waitForSelector("#al-form [aria-invalid=true]");
  assert.match(await page.textContent("#al-form"), /Keep the levels in order/);
  assert.ok(await page.isDisabled("#al-save"));
  await page.fill("#al-info", "80");
  await page.fill("#al-critical", "-1");
  await page.waitForSelector("#al-critical[aria-invalid=true]");
  assert.equal(await page.textContent("#al-critical-msg"), "This cannot be negative.");
  assert.ok(await page.isDisabled("#al-save"));
  await page.fill("#al-critical", "0.123456789");
  await page.waitForFunction(() => document.getElementById("al-critical-msg").textContent === "Credits have at most 4 decimals.");
  assert.ok(await page.isDisabled("#al-save"));
  await page.fill("#al-critical", "5");
  await page.click("#al-save");
  await page.waitForSelector("#al-msg .ok");
  const alerts = (await api("GET", "/billing/account", live.key)).body.account.alerts;
  assert.deepEqual([alerts.info.threshold, alerts.warning.threshold, alerts.critical.threshold], ["80", "50", "5"]);
  // The webhook URL, and an agent's limit and rule.
  await page.fill("#wh-url", "https://hooks.example.com/drawdown");
  assert.equal(await page.inputValue("#wh-days"), "7, 1", "the default expiry warnings");
  await page.fill("#wh-days", "3, 0");
  await page.click("#wh-save");
  await page.waitForSelector("#wh-msg [data-code=invalid_value]");
  assert.equal(await page.getAttribute("#wh-days", "aria-invalid"), "true");
  await page.fill("#wh-days", "3, 1");
  await page.click("#wh-save");
  await page.waitForSelector("#wh-msg .ok");
  const hook = (await api("GET", "/billing/webhook", live.key)).body;
  assert.deepEqual([hook.url, hook.grantExpiringDays], ["https://hooks.example.com/drawdown", [3, 1]]);
  await page.fill("#ag-new", "support-bot");
  await page.click("#ag-add");
  await page.fill("#ag-limit-support-bot", "-5");
  await page.waitForFunction(() => document.querySelector('tr[data-agent="support-bot"] .field-msg').textContent === "This cannot be negative.");
  assert.ok(await page.isDisabled('tr[data-agent="support-bot"] button'));
  await page.fill("#ag-limit-support-bot", "12.123456789");
  await page.waitForFunction(() => document.querySelector('tr[data-agent="support-bot"] .field-msg').textContent === "Credits have at most 4 decimals.");
  assert.ok(await page.isDisabled('tr[data-agent="support-bot"] button'));
  await page.fill("#ag-limit-support-bot", "1500");
  await page.selectOption("#ag-rule-support-bot", "stop");
  await page.click('tr[data-agent="support-bot"] button');
  await page.waitForSelector('tr[data-agent="support-bot"] .ok');
  const agent = (await api("GET", "/billing/account", live.key)).body.account.agents["support-bot"];
  assert.deepEqual([agent.monthlyLimit, agent.onPlanExhausted], ["1500", "stop"]);
  assert.deepEqual(page.errors.filter((e) => !/status of 422/.test(e)), []);
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document.getElementById("account"), { runOnly: ["wcag2a", "wcag2aa"] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
  await page.close();
});

test("live inbound limits: every problem beside its field, the limits saved, a rejected call listed", async () => {
  const page = await open(portal());
  await page.waitForSelector("#inbound:not([hidden])");
  // One time zone, named once (issue 30, point 4): the account's, and no table says UTC.
  const zone = (await api("GET", "/billing/account", live.key)).body.account.timeZone ?? "UTC";
  assert.equal(await page.textContent("#page-zone"), `Times in ${zone}`);
  assert.deepEqual(await page.$$eval("th", (ths) => ths.filter((t) => /UTC/.test(t.textContent)).map((t) => t.textContent)), []);
  // Two findings at once (a ratio below 1, a number id past 255 characters) and a count as text.
  await page.fill("#il-ratio", "0.5");
  await page.fill("#il-floor", "10");
  await page.fill("#il-new", "x".repeat(256));
  await page.click("#il-add");
  await page.fill(`input[data-number="${"x".repeat(256)}"][data-field="maxMinutesPerHour"]`, "5");
  await page.click("#il-save");
  await page.waitForSelector("#il-ratio-msg [data-code=invalid_value]");
  await page.waitForSelector('#il-msg [data-code=invalid_id][data-field="perNumber"]');
  assert.equal(await page.getAttribute("#il-ratio", "aria-invalid"), "true");
  assert.equal(await page.getAttribute("#il-new", "aria-invalid"), "true");
  await page.fill(`input[data-number="${"x".repeat(256)}"][data-field="maxMinutesPerHour"]`, "");
  await page.fill("#il-ratio", "3");
  await page.fill("#il-conc", "one");
  await page.click("#il-save");
  await page.waitForSelector("#il-conc-msg [data-code=invalid_count]");
  assert.equal(await page.textContent("#il-ratio-msg"), "", "a fixed field's message is gone");
  await page.fill("#il-conc", "1");
  await page.fill("#il-new", "tf-1");
  await page.click("#il-add");
  await page.fill('input[data-number="tf-1"][data-field="maxMinutesPerDay"]', "120");
  await page.click("#il-save");
  await page.waitForSelector("#il-msg .ok");
  const saved = (await api("GET", "/billing/limits/inbound", live.key)).body.inboundLimits;
  assert.deepEqual(saved, { maxConcurrentCalls: 1, perNumber: { "tf-1": { maxMinutesPerDay: 120 } }, surge: { ratio: "3", floorMinutes: 10 } });
  // One live call to tf-1 holds the one place; the second is rejected, and the page lists it.
  const a = await api("POST", "/calls", live.key, { id: "il-a", direction: "inbound", tollFree: true, numberId: "tf-1", quotaSeconds: 120 });
  assert.equal(a.body.allowed, true, JSON.stringify(a.body));
  const b = await api("POST", "/calls", live.key, { id: "il-b", direction: "inbound", tollFree: true, numberId: "tf-1" });
  assert.equal(b.body.limit, "maxConcurrentCalls", JSON.stringify(b.body));
  await page.click("#live-refresh");
  await page.waitForSelector('#il-refused tr[data-limit="maxConcurrentCalls"]');
  const hour = (await api("GET", "/billing/limits/inbound", live.key)).body.hour;
  await page.waitForFunction((v) => document.querySelector('#il-figures dd[data-key="hourSeconds"]')?.dataset.value === v, String(hour.seconds));
  assert.equal(await page.getAttribute('#il-numbers tr[data-number="tf-1"] td.num', "data-value"), String(hour.perNumber["tf-1"]));
  // The hold's seconds inside this clock hour (a run near the hour's end counts fewer: the
  // rest belongs to the next hour; the account's zone is a whole number of hours from UTC).
  const toHourEnd = 3_600_000 - (Date.parse(a.body.hold.startedAt) % 3_600_000);
  assert.equal(hour.perNumber["tf-1"], Math.min(120, Math.ceil(toHourEnd / 1000)), "the live hold counts its granted seconds");
  await api("POST", "/calls/il-a/end", live.key, { connectedSeconds: 60 });
  assert.equal((await api("PUT", "/billing/limits/inbound", live.session, {})).status, 200);
  assert.deepEqual(page.errors.filter((e) => !/status of (400|422)/.test(e)), []);
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(() => window.axe.run(document.getElementById("inbound"), { runOnly: ["wcag2a", "wcag2aa"] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
  await page.close();
});

test("without a session, or with a bad one, the portal says so and shows no account", async () => {
  const page = await open(`${live.url}/#session=dd_sess_forged`);
  assert.match(await page.textContent("#source-badge"), /^The account could not be loaded \(unauthorized/);
  assert.ok(await page.isVisible("#signin"));
  for (const panel of ["#live", "#billing", "#account", "#reload"]) assert.ok(await page.isHidden(panel), panel);
  await page.close();
  const none = await open(`${live.url}/`);
  assert.equal(await none.textContent("#source-badge"), "No account session");
  assert.ok(await none.isVisible("#signin"));
  await none.close();
});

test("the pricing lab never changes the live account: presets and edits stay in the page", async () => {
  const before = (await api("GET", "/billing/account", live.key)).body.account;
  const page = await open(lab());
  const writes = [];
  page.on("request", (r) => r.method() !== "GET" && writes.push(`${r.method()} ${r.url()}`));
  await page.waitForSelector("#source-badge[data-mode=live]");
  // The preset that once saved 2.00 / 20.00 into a USD account's auto-reload (issue 30).
  await page.selectOption("#preset", "voice-per-second");
  await page.fill("#ar-threshold", "2.00");
  await page.fill("#ar-amount", "20.00");
  await page.fill("#rc-voice", "99");
  assert.equal(await page.$("#ar-save"), null, "the lab has no save button");
  assert.equal(await page.$("#tu-submit, #plan-change, #al-save, #bp-save"), null, "nor any other control that writes");
  await page.selectOption("#preset", "live");
  await page.waitForSelector("#source-badge[data-mode=live]");
  assert.deepEqual(writes, []);
  assert.deepEqual((await api("GET", "/billing/account", live.key)).body.account.autoReload, before.autoReload);
  assert.deepEqual(page.errors, []);
  await page.close();
});

test("accessibility: labelled controls, keyboard use, visible focus, no axe violations", async () => {
  const page = await open(offlineUrl());
  const unlabelled = await page.$$eval("input, select, textarea, button", (els) =>
    els.filter((e) => !(e.labels?.length || e.getAttribute("aria-label") || e.getAttribute("aria-labelledby") || (e.tagName === "BUTTON" && e.textContent.trim()))).map((e) => e.id || e.outerHTML));
  assert.deepEqual(unlabelled, []);
  // Keyboard: Tab from the top reaches the skip link, the two pages' links, then the preset
  // picker.
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.className), "skip");
  for (const name of ["Billing", "Pricing lab"]) {
    await page.keyboard.press("Tab");
    assert.equal(await page.evaluate(() => document.activeElement.textContent), name);
  }
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "preset");
  const outline = await page.evaluate(() => {
    const s = getComputedStyle(document.activeElement);
    return [s.outlineStyle, parseFloat(s.outlineWidth)];
  });
  assert.notEqual(outline[0], "none");
  assert.ok(outline[1] >= 2, `focus outline ${outline[1]}px`);
  // Typing a call length by keyboard alone updates the cost.
  await page.focus("#cc-secs");
  await page.keyboard.press("Control+A");
  await page.keyboard.type("61");
  const q = dd.quoteCall({ rateCard: card, call: { direction: "outbound", connectedSeconds: 61, transfer: { bridgedSeconds: 45 } } });
  await page.waitForFunction((v) => document.getElementById("calc-total").dataset.value === v, q.totalCredits);
  await page.addScriptTag({ content: axeSource });
  await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
  const result = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }));
  assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), []);
  await page.close();
});

test("screenshots at desktop width and at 375 px, with nothing wider than the screen", async () => {
  for (const [name, width] of [["desktop", 1280], ["mobile-375", 375]]) {
    const page = await open(offlineUrl(), width);
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= width, `${name}: the page is ${scroll}px wide`);
    const file = join(shots, `dashboard-${name}.png`);
    await page.screenshot({ path: file, fullPage: true });
    assert.ok(statSync(file).size > 10_000);
    await page.close();
  }
  // The live page, billing and account panels included, at both widths; axe over all of it.
  for (const [name, width] of [["live-desktop", 1280], ["live-375", 375]]) {
    const page = await open(portal(), width);
    await page.waitForSelector("#source-badge[data-mode=live]");
    await page.waitForSelector("#ledger-chart svg");
    await page.screenshot({ path: join(shots, `dashboard-${name}.png`), fullPage: true });
    const scroll = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(scroll <= width, `${name}: the page is ${scroll}px wide`);
    const wide = await page.$$eval("table", (ts) => ts.filter((t) => t.closest(".scroll") === null && t.getBoundingClientRect().width > document.documentElement.clientWidth).map((t) => t.id));
    assert.deepEqual(wide, [], `${name}: tables wider than the screen`);
    // Phone first (issue 30, point 5): at 375 px no table scrolls sideways; rows stack as
    // cards, each value labelled by its column.
    if (width === 375) {
      const sideways = await page.$$eval(".scroll", (ds) => ds.filter((d) => d.scrollWidth > d.clientWidth + 1).map((d) => d.querySelector("table")?.id));
      assert.deepEqual(sideways, [], `${name}: tables that scroll sideways`);
      const unlabelled = await page.$$eval("table.stack tbody td", (tds) => tds.filter((td) => !td.hasAttribute("data-label") && !td.hasAttribute("colspan")).length);
      assert.equal(unlabelled, 0);
      assert.equal(await page.getAttribute("#ledger-table tbody tr td:nth-child(4)", "data-label"), "Credits");
    }
    await page.addScriptTag({ content: axeSource });
    await page.evaluate(() => document.querySelectorAll("details").forEach((d) => (d.open = true)));
    const result = await page.evaluate(() => window.axe.run(document, { runOnly: ["wcag2a", "wcag2aa"] }));
    assert.deepEqual(result.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`), [], name);
    await page.close();
  }
});
