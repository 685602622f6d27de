// Seed 002's view of the account and the settings a session changes (seed 000: plan changes;
// seed 001: low-balance notifications): the available balance, plan credits, included
// minutes and the next renewal; the plan catalogue with what a switch does; alert
// thresholds, the webhook URL, and each agent's monthly limit and stop-or-use-balance rule.
import { addDecimals, evaluateAlerts, isDrawdownError, type Account, type Plan } from "drawdown";
import { problem } from "./billing";
import { $, el, figure, input, plainWords, sayAt, text } from "./dom";
import { credits, minutes, money, when } from "./format";
import { LiveError, get, send, type Live, type Subscription } from "./live";
import { showPlanComparison } from "./plans";

let token = "";
let changed: () => Promise<void> = async () => {};
let catalogue: Plan[] = [];
let current: Live | null = null;
/** Forms with edits not saved yet: a refresh leaves them as they are. */
const dirty = new Set<string>();

function renewal(l: Live): string {
  const end = l.account.cycle?.end;
  return end ? when(end, l.account.timeZone ?? "UTC") : "no cycle";
}

function showFigures(l: Live): void {
  const dl = $("acct-figures");
  dl.replaceChildren();
  figure(dl, "Available to spend", `${credits(l.wallet.available)} credits`, l.wallet.available, "available");
  figure(dl, "Plan credits left", `${credits(l.wallet.planCredits)} credits`, l.wallet.planCredits, "planCredits");
  figure(dl, "Included minutes left", minutes(l.wallet.includedSecondsRemaining), String(l.wallet.includedSecondsRemaining), "includedSecondsRemaining");
  figure(dl, "Plan", l.plan?.name ?? l.plan?.id ?? "no plan", l.plan?.id ?? "", "plan");
  figure(dl, "Renews", renewal(l), l.account.cycle?.end ?? "", "renewal");
  if (l.plan) figure(dl, "This cycle's fee", feeWords(l.subscription, l.rateCard.currency), l.subscription.status, "planFee");
  showRunway(dl, l);
}

/** SEMANTICS 17 on the account's own last 7 days: when the credits run out, what the
 * auto-reloads on the way cost, and what will expire unused, over the next 90 days. */
function showRunway(dl: HTMLElement, l: Live): void {
  const f = l.forecast;
  if (!f) return;
  const tz = l.account.timeZone ?? "UTC";
  const out = f.runsOutAt ? `${when(f.runsOutAt, tz)} (at the last 7 days' rate)` : "beyond the next 90 days at the last 7 days' rate";
  figure(dl, "Credits last until", out, f.runsOutAt ?? "", "runsOutAt");
  const reloads = f.reloads.length ? `${f.reloads.length}, ${money(f.reloadMoney, l.rateCard.currency)}` : "none";
  figure(dl, "Auto-reloads expected (90 days)", reloads, f.reloadMoney, "reloadMoney");
  const unused = f.expiringUnused.reduce((sum, e) => addDecimals(sum, e.credits), "0");
  const first = f.expiringUnused[0];
  const words = first ? `${credits(unused)} credits, the first on ${when(first.at, tz)}` : "none";
  figure(dl, "Credits that will expire unused", words, unused, "expiringUnused");
}

/** Where the cycle's plan fee stands, in words: paid, or past due and what waits for it. */
function feeWords(s: Subscription, currency: string): string {
  const fee = s.fee;
  if (!fee) return "nothing charged this cycle";
  const gross = money(fee.gross, currency);
  if (s.status === "active") return `${gross} paid`;
  const why = fee.status === "failed" ? "the payment was declined" : "the payment is not confirmed yet";
  const waits = fee.withheld ? "included minutes and plan credits wait until it is paid" : "your allowances stay usable meanwhile";
  return `Past due: ${gross} unpaid (${why}); ${waits}.`;
}

function planLine(p: Plan, currency: string): string {
  const fee = p.monthlyFee ? `${money(p.monthlyFee, currency)} a month` : "no monthly fee";
  const over = p.overagePerMinute ? `, then ${credits(p.overagePerMinute)} credits a minute` : "";
  return `${p.name ?? p.id}: ${fee}, ${p.includedMinutes ?? 0} included minutes${over}`;
}

/** What switching to the chosen plan does, in words, before the user confirms. */
function showSwitch(): void {
  const l = current;
  const out = $("plan-effect");
  const chosen = catalogue.find((p) => p.id === $<HTMLSelectElement>("plan-pick").value);
  const button = $<HTMLButtonElement>("plan-change");
  if (!l || !chosen) {
    out.textContent = "";
    button.disabled = true;
    return;
  }
  const same = chosen.id === l.plan?.id;
  button.disabled = same;
  if (same) {
    out.textContent = "This is your plan now.";
    return;
  }
  const now = minutes(l.wallet.includedSecondsRemaining);
  out.textContent =
    `${planLine(chosen, l.rateCard.currency)}. A new cycle starts when you confirm: your ${now} of included time left ` +
    `are replaced by ${chosen.includedMinutes ?? 0} minutes, and the plan renews one month from now. ` +
    `Your wallet balance (${credits(l.wallet.balance)} credits) is not touched.`;
}

async function changePlan(): Promise<void> {
  const msg = $("plan-msg");
  const planId = $<HTMLSelectElement>("plan-pick").value;
  msg.replaceChildren(el("span", {}, "Changing the plan…"));
  try {
    const r = await send<{ plan: Plan; cycle: { start: string; end: string } } & Subscription>("POST", "/billing/subscription", token, { planId });
    const fee = r.fee ? ` This cycle's fee: ${feeWords(r, current?.rateCard.currency ?? "USD")}` : "";
    msg.replaceChildren(el("span", { class: r.status === "active" ? "ok" : "warn", "data-plan": r.plan.id, "data-status": r.status },
      `Now on ${r.plan.name ?? r.plan.id}; the new cycle started ${when(r.cycle.start, current?.account.timeZone ?? "UTC")}.${fee}`));
    await changed();
  } catch (e) {
    problem(msg, e, $("plan-pick"));
  }
}

function fillAlerts(a: Account): void {
  if (dirty.has("alerts")) return;
  input("al-info").value = a.alerts?.info?.threshold ?? "";
  input("al-warning").value = a.alerts?.warning?.threshold ?? "";
  input("al-critical").value = a.alerts?.critical?.threshold ?? "";
}

/** What is wrong with credits typed into a setting, by the rules `PUT /billing/alerts` and
 * `PUT /billing/agents/{id}` apply: a decimal, zero or more, at most the card's decimals. */
function creditsProblem(typed: string, dp: number): string | null {
  if (typed === "") return null;
  if (/^-\d+(\.\d+)?$/.test(typed)) return "This cannot be negative.";
  const m = /^\d+(?:\.(\d+))?$/.exec(typed);
  if (!m) return plainWords("invalid_decimal", "");
  if ((m[1] ?? "").replace(/0+$/, "").length > dp) return `Credits have at most ${dp} decimals.`;
  return null;
}

const LEVELS = ["info", "warning", "critical"] as const;

/** The live card's credit decimals (4, the contract's default, before it is known). */
const creditDecimals = () => Number(current?.rateCard.rounding?.creditDecimals ?? 4);

/** Check the thresholds as typed; Save waits until they are right. */
function checkAlerts(): boolean {
  const wrong = new Map<string, string>();
  for (const l of LEVELS) {
    const p = creditsProblem(text(`al-${l}`) ?? "", creditDecimals());
    if (p) wrong.set(l, p);
  }
  if (!wrong.size) {
    const level = (l: string) => (text(`al-${l}`) === null ? null : { threshold: text(`al-${l}`)! });
    try {
      evaluateAlerts({ settings: { info: level("info"), warning: level("warning"), critical: level("critical") }, previousState: "ok", balance: "0" });
    } catch (e) {
      // The engine names `settings.<level>.threshold`.
      const l = isDrawdownError(e) ? (e.field ?? "").replace(/^settings\./, "").split(".")[0]! : "";
      if (LEVELS.includes(l as (typeof LEVELS)[number])) wrong.set(l, "Keep the levels in order: info at or above warning, warning at or above critical.");
    }
  }
  for (const l of LEVELS) sayAt(input(`al-${l}`), $(`al-${l}-msg`), wrong.get(l) ?? null);
  $<HTMLButtonElement>("al-save").disabled = wrong.size > 0;
  return wrong.size === 0;
}

async function saveAlerts(): Promise<void> {
  const msg = $("al-msg");
  const level = (id: string) => (text(id) === null ? null : { threshold: text(id)! });
  for (const id of ["al-info", "al-warning", "al-critical"]) $(id).removeAttribute("aria-invalid");
  try {
    await send("PUT", "/billing/alerts", token, { info: level("al-info"), warning: level("al-warning"), critical: level("al-critical") });
    dirty.delete("alerts");
    msg.replaceChildren(el("span", { class: "ok" }, "Alert thresholds saved."));
    await changed();
  } catch (e) {
    const f = e instanceof LiveError ? (e.field ?? "").split(".")[0] : "";
    problem(msg, e, f ? document.getElementById(`al-${f}`) : null);
  }
}

async function loadWebhook(): Promise<void> {
  if (dirty.has("webhook")) return;
  const w = await get<{ url: string | null; grantExpiringDays: number[] }>("/billing/webhook", token);
  // A refresh that was in flight while the URL was typed must not put the old one back
  // (it did, and Save then stored an empty URL while the page said "saved").
  if (dirty.has("webhook")) return;
  input("wh-url").value = w.url ?? "";
  input("wh-days").value = w.grantExpiringDays.join(", ");
}

/** The warning days as typed ("7, 1"): whole numbers, or the text itself so the server's
 * check names what is wrong (`grantExpiringDays[i]`); nothing is rounded or dropped. */
function expiringDays(): (number | string)[] {
  const typed = input("wh-days").value.split(",").map((d) => d.trim()).filter((d) => d !== "");
  return typed.map((d) => (/^\d+$/.test(d) ? Number(d) : d));
}

async function saveWebhook(): Promise<void> {
  const msg = $("wh-msg");
  try {
    await send("PUT", "/billing/webhook", token, { url: text("wh-url"), grantExpiringDays: expiringDays() });
    dirty.delete("webhook");
    input("wh-days").removeAttribute("aria-invalid");
    msg.replaceChildren(el("span", { class: "ok" }, "Notifications saved."));
  } catch (e) {
    const days = e instanceof LiveError && (e.field ?? "").startsWith("grantExpiringDays");
    problem(msg, e, input(days ? "wh-days" : "wh-url"));
  }
}

function agentRow(id: string, p: NonNullable<Account["agents"]>[string]): HTMLTableRowElement {
  const limit = el("input", { id: `ag-limit-${id}`, inputmode: "decimal", value: p.monthlyLimit ?? "", "aria-label": `Monthly limit of ${id} (credits)` });
  const rule = el("select", { id: `ag-rule-${id}`, "aria-label": `When the plan runs out, ${id}` },
    el("option", { value: "stop" }, "stops"), el("option", { value: "use_balance" }, "uses the balance"));
  rule.value = p.onPlanExhausted ?? "use_balance";
  const msg = el("span", { class: "field-msg", role: "status" });
  const save = el("button", { type: "button", class: "link" }, "Save");
  limit.addEventListener("input", () => {
    const p = creditsProblem(limit.value.trim(), creditDecimals());
    sayAt(limit, msg, p);
    save.disabled = p !== null;
  });
  save.addEventListener("click", async () => {
    limit.removeAttribute("aria-invalid");
    try {
      const limitValue = limit.value.trim() === "" ? null : limit.value.trim();
      await send("PUT", `/billing/agents/${encodeURIComponent(id)}`, token, { monthlyLimit: limitValue, onPlanExhausted: rule.value });
      msg.replaceChildren(el("span", { class: "ok" }, "Saved."));
    } catch (e) {
      problem(msg, e, limit);
    }
  });
  const spent = p.spentThisCycle ?? "0";
  return el(
    "tr",
    { "data-agent": id },
    el("td", {}, id),
    el("td", { class: "num", "data-value": spent }, credits(spent)),
    el("td", {}, limit),
    el("td", {}, rule),
    el("td", {}, save, msg),
  );
}

function showAgents(a: Account): void {
  if (dirty.has("agents")) return;
  const body = $("agents-table").querySelector("tbody")!;
  const agents = Object.entries(a.agents ?? {});
  body.replaceChildren(...agents.map(([id, p]) => agentRow(id, p)));
  if (!agents.length) body.append(el("tr", {}, el("td", { colspan: "5" }, "No agent policies yet: add one below.")));
}

/** Show the live account's plan, limits and settings; called on every load and refresh. */
export async function showAccount(session: string, l: Live, onChanged: () => Promise<void>): Promise<void> {
  token = session;
  changed = onChanged;
  current = l;
  $("account").hidden = false;
  showFigures(l);
  if (!catalogue.length) {
    catalogue = (await get<{ plans: Plan[] }>("/billing/plans", token)).plans;
    const pick = $<HTMLSelectElement>("plan-pick");
    pick.replaceChildren(...catalogue.map((p) => new Option(planLine(p, l.rateCard.currency), p.id)));
    pick.addEventListener("change", showSwitch);
    $("plan-change").addEventListener("click", () => void changePlan());
    $("al-form").addEventListener("input", () => {
      dirty.add("alerts");
      checkAlerts();
    });
    $("al-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void saveAlerts();
    });
    $("wh-form").addEventListener("input", () => dirty.add("webhook"));
    $("wh-form").addEventListener("submit", (e) => {
      e.preventDefault();
      void saveWebhook();
    });
    $("agents-table").addEventListener("input", () => dirty.add("agents"));
    $("ag-add").addEventListener("click", () => {
      const id = text("ag-new");
      if (!id) return;
      $("agents-table").querySelector("tbody")!.append(agentRow(id, { onPlanExhausted: "use_balance", monthlyLimit: null }));
      input("ag-new").value = "";
    });
    if (l.plan) $<HTMLSelectElement>("plan-pick").value = l.plan.id;
  }
  showSwitch();
  await showPlanComparison(token, l, catalogue);
  fillAlerts(l.account);
  showAgents(l.account);
  await loadWebhook();
}
