// The drawdown preview: previewDrawdown over the scenario's usage, its figures, every line's
// allocations, and the chart. The per-source series come from the engine too: the preview's
// timeline (`detail: "timeline"`) gives every grant's exact remaining after each item, in one
// call (it replaced a preview of each prefix of the usage), sampled to at most MAX_POINTS
// points, so the page never subtracts an amount itself.
import { evaluateAlerts, previewDrawdown, type Account, type AlertState, type Grant, type Preview, type Usage } from "drawdown";
import { drawChart, type ChartData, type Point } from "./chart";
import { $, clearMarks, el, figure, input, int, setValue, showError, text } from "./dom";
import { credits, duration, money, when } from "./format";
import type { Scenario } from "./presets";
import { usageFor } from "./scenario";
import { engineAccount, state, update, type AppState } from "./state";

const MAX_POINTS = 120;

export function fillScenario(s: Scenario, account: Account, live: boolean): void {
  setValue("sc-start", s.start);
  setValue("sc-days", s.days);
  setValue("sc-calls", s.callsPerDay);
  setValue("sc-secs", s.callSeconds);
  setValue("sc-tfe", s.tollFreeEvery);
  setValue("sc-msgs", s.messagesPerDay);
  const grants = account.grants ?? [];
  const prepaid = grants.find((g) => g.type === "prepaid");
  const promo = grants.find((g) => g.type === "promotional");
  setValue("sc-prepaid", prepaid?.remaining);
  setValue("sc-promo", promo?.remaining);
  setValue("sc-promo-exp", promo?.expiresAt?.slice(0, 10));
  for (const id of ["sc-prepaid", "sc-promo", "sc-promo-exp"]) input(id).disabled = live;
}

function readScenario(): Scenario {
  const n = (id: string) => Math.max(0, int(id) ?? 0) || 0;
  return {
    start: input("sc-start").value,
    days: Math.min(31, Math.max(1, n("sc-days"))),
    callsPerDay: Math.min(40, n("sc-calls")),
    callSeconds: n("sc-secs"),
    tollFreeEvery: n("sc-tfe"),
    messagesPerDay: n("sc-msgs"),
  };
}

/** The sample wallet from the opening-wallet fields (sample mode only). */
function readWallet(account: Account): Account {
  const prepaid = text("sc-prepaid");
  const promo = text("sc-promo");
  const exp = input("sc-promo-exp").value;
  const others = (account.grants ?? []).filter((g) => g.type !== "prepaid" && g.type !== "promotional");
  const grants: Grant[] = [
    ...others,
    ...(promo === null ? [] : [{ id: "welcome-promo", type: "promotional" as const, remaining: promo, ...(exp ? { expiresAt: `${exp}T00:00:00Z` } : {}) }]),
    { id: "topup-1", type: "prepaid", remaining: prepaid ?? "0" },
  ];
  return { ...account, grants };
}

/** A state's scenario: its inputs and the engine's preview (or its error). Computed once
 * per state; the pre-call panel reuses it for "after the preview's usage". */
interface ScenarioRun {
  s: AppState;
  account: Account;
  usage: Usage[];
  preview: Preview | null;
  error: unknown;
}
let last: ScenarioRun | null = null;
export function scenarioRun(s: AppState): ScenarioRun {
  if (last?.s !== s) {
    const account = engineAccount(s);
    const usage = usageFor(s.scenario, s.rateCard);
    last = { s, account, usage, preview: null, error: null };
    try {
      last.preview = previewDrawdown({ rateCard: s.rateCard, account, usage, detail: "timeline" });
    } catch (e) {
      last.error = e;
    }
  }
  return last;
}

const ms = (iso: string) => Date.parse(iso);

function active(g: Grant | undefined, t: number): boolean {
  if (!g) return true; // a reload's grant: prepaid, no expiry
  if (g.effectiveAt && ms(g.effectiveAt) > t) return false;
  return !(g.expiresAt && ms(g.expiresAt) <= t);
}

function series(s: AppState, account: Account, usage: Usage[], full: Preview): ChartData {
  const byId = new Map((account.grants ?? []).map((g) => [g.id, g]));
  const point = (t: number, p: Preview): Point => ({
    t,
    includedSeconds: p.includedSecondsRemaining,
    values: new Map(p.grants.map((g) => [g.id, active(byId.get(g.id), t) ? g.remaining : "0"])),
  });
  const start = usage.length ? ms(usage[0]!.at) : Date.now();
  const opening = previewDrawdown({ rateCard: s.rateCard, account, usage: [] });
  const points: Point[] = [point(start - 3_600_000, { ...opening, grants: (account.grants ?? []).map((g) => ({ id: g.id, remaining: String(g.remaining) })) })];
  const tl = full.timeline;
  const items = tl?.at.length ?? 0;
  const step = Math.max(1, Math.ceil(items / MAX_POINTS));
  for (let k = step; tl && k < items; k += step) {
    const t = ms(tl.at[k - 1]!);
    const values = new Map<string, string>();
    for (const [id, column] of Object.entries(tl.grants)) {
      const v = column[k - 1];
      if (v !== null && v !== undefined) values.set(id, active(byId.get(id), t) ? v : "0");
    }
    points.push({ t, includedSeconds: tl.includedSecondsRemaining[k - 1]!, values });
  }
  if (usage.length) points.push(point(ms(usage[usage.length - 1]!.at), full));
  // Expiries inside the window are breakpoints too: the grant leaves the stack there.
  for (const g of account.grants ?? []) {
    const e = g.expiresAt ? ms(g.expiresAt) : NaN;
    const i = points.findIndex((p) => p.t > e);
    if (i > 0) points.splice(i, 0, { ...points[i - 1]!, t: e, values: new Map([...points[i - 1]!.values].map(([id, v]) => [id, active(byId.get(id), e) ? v : "0"])) });
  }
  const plan = full.grants.filter((g) => byId.get(g.id)?.type === "plan");
  const rest = full.grants.filter((g) => byId.get(g.id)?.type !== "plan");
  const label = (id: string) => {
    const g = byId.get(id);
    return g ? `${g.type === "plan" ? "plan credits" : g.type} · ${id}` : `reload · ${id}`;
  };
  const end = points[points.length - 1]!.t;
  const settings = account.alerts;
  const bands: ChartData["bands"] = [];
  if (settings) {
    let st: AlertState = settings.state ?? evaluateAlerts({ settings, balance: full.balanceBefore }).state;
    let from = points[0]!.t;
    for (const a of full.alerts) {
      bands.push({ from, to: ms(a.at), state: st });
      st = a.to;
      from = ms(a.at);
    }
    bands.push({ from, to: end + 1, state: st });
  }
  const currency = s.rateCard.currency;
  return {
    points,
    sources: [...plan, ...rest].map((g) => ({ id: g.id, label: label(g.id) })),
    bands,
    reloads: full.reloads.map((r) => ({
      t: ms(r.at),
      credits: r.credits,
      label: `Auto-reload ${when(r.at, account.timeZone ?? "UTC")}: +${credits(r.credits)} credits (${money(r.amount, currency)}${r.multiple > 1 ? `, ${r.multiple}× the amount` : ""})`,
    })),
    showIncluded: (s.plan?.includedMinutes ?? 0) > 0,
    timeZone: account.timeZone ?? "UTC",
  };
}

function render(s: AppState): void {
  const form = $("scenario-form");
  const msg = $("preview-msg");
  const figs = $("preview-figures");
  const body = $("preview-items").querySelector("tbody")!;
  clearMarks(form, msg);
  figs.replaceChildren();
  body.replaceChildren();
  const run = scenarioRun(s);
  const { account, usage } = run;
  // Point the opening-wallet fields at their grants, so an engine error marks the right one.
  (account.grants ?? []).forEach((g, i) => {
    const id = g.id === "topup-1" ? "sc-prepaid" : g.id === "welcome-promo" ? "sc-promo" : null;
    if (id) input(id).dataset.field = `account.grants[${i}].remaining`;
    if (id === "sc-promo") input("sc-promo-exp").dataset.field = `account.grants[${i}].expiresAt`;
  });
  $("preview-input").textContent = JSON.stringify({ rateCard: s.rateCard, account, usage }, null, 2);
  let chart: ChartData;
  const p = run.preview;
  try {
    if (!p) throw run.error;
    chart = series(s, account, usage, p);
  } catch (e) {
    showError(form, msg, e);
    $("chart").replaceChildren();
    return;
  }
  const tz = account.timeZone ?? "UTC";
  const cur = s.rateCard.currency;
  figure(figs, "Balance before", `${credits(p.balanceBefore)} credits`, p.balanceBefore, "balanceBefore");
  figure(figs, "Balance after", `${credits(p.balanceAfter)} credits`, p.balanceAfter, "balanceAfter");
  figure(figs, "Owed", `${credits(p.owed)} credits`, p.owed, "owed");
  figure(figs, "Included minutes left", duration(p.includedSecondsRemaining), String(p.includedSecondsRemaining), "includedSecondsRemaining");
  figure(figs, "Reloads", p.reloads.length ? p.reloads.map((r) => money(r.amount, cur)).join(" + ") : "none", String(p.reloads.length), "reloads");
  const endState = p.alerts.length ? p.alerts[p.alerts.length - 1]!.to : chart.bands[chart.bands.length - 1]?.state ?? "ok";
  figure(figs, "Alert state at the end", endState.replace("_", " "), endState, "alertState");
  figure(figs, "Refused", String(p.items.filter((i) => i.status === "refused").length), String(p.items.filter((i) => i.status === "refused").length), "refused");

  drawChart($("chart"), $("chart-legend"), chart);

  const names = new Map<string, string>([["included_minutes", "included minutes"], ["plan_credits", "plan credits"]]);
  for (const item of p.items) {
    if (item.status === "refused") {
      body.append(el("tr", { class: "refused" }, el("td", {}, when(item.at, tz)), el("td", {}, item.id), el("td", {}, `refused: ${item.reason ?? ""}`), el("td", { class: "num" }, "0")));
    }
    for (const l of item.lines) {
      const drawn = (l.allocations ?? []).map((a) => `${names.get(a.source) ?? a.source} ${a.seconds !== undefined ? duration(a.seconds) : credits(a.credits ?? "0")}`);
      if (l.uncovered !== "0" && !/^0(\.0+)?$/.test(l.uncovered)) drawn.push(`owed ${credits(l.uncovered)}`);
      body.append(el("tr", {}, el("td", {}, when(item.at, tz)), el("td", {}, `${item.id} · ${l.code}`), el("td", {}, drawn.join(", ") || "—"), el("td", { class: "num", "data-value": l.credits }, credits(l.credits))));
    }
  }
  for (const r of p.reloads) {
    body.append(el("tr", { class: "reload-row" }, el("td", {}, when(r.at, tz)), el("td", {}, "auto-reload"), el("td", {}, `${money(r.amount, cur)} paid`), el("td", { class: "num", "data-value": r.credits }, `+${credits(r.credits)}`)));
  }
}

export function mountPreview(subscribe: (f: (s: AppState) => void) => void): void {
  $("scenario-form").addEventListener("input", () => {
    const s = state();
    update({ scenario: readScenario(), ...(s.mode === "sample" ? { account: readWallet(s.account) } : {}) });
  });
  subscribe(render);
  render(state());
}
