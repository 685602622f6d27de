// The drawdown preview: previewDrawdown over the scenario's usage, its figures, the first
// items' allocations, and the chart. The usage is applied in at most MAX_POINTS steps on one
// account handle (`runInSteps`), so the chart's per-source series are the engine's exact
// state after each step and the page never subtracts an amount itself; a scenario of
// 100,000 calls is one pass over the usage on the package's fast summary path.
import { asCredits, openAccount, previewDrawdown, subtractDecimals, type Account, type Grant, type Preview, type Usage } from "drawdown";
import { accountAxes, drawChart, type ChartData, type Point } from "./chart";
import { $, clearMarks, el, figure, input, int, setValue, showError, text } from "./dom";
import { credits, duration, money, when } from "./format";
import type { Scenario } from "./presets";
import { usageFor } from "./scenario";
import { engineAccount, state, update, type AppState } from "./state";

const MAX_POINTS = 120;
/** Most items listed line by line under the chart (the chart and figures cover them all). */
const MAX_LISTED_ITEMS = 200;
/** The scenario's bounds: up to 100,000 calls (90 days x 5,000) for a large account. */
const MAX_DAYS = 90;
const MAX_CALLS_PER_DAY = 5000;

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
    days: Math.min(MAX_DAYS, Math.max(1, n("sc-days"))),
    callsPerDay: Math.min(MAX_CALLS_PER_DAY, n("sc-calls")),
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
  /** The chart's points: the state after each step of the usage. */
  steps: { t: number; p: Preview }[];
  /** The first items with their allocations, for the table. */
  listed: Preview["items"];
  error: unknown;
}

/**
 * The usage applied in at most MAX_POINTS steps on one handle (`apply`, which continues from
 * each step as the server does event by event): one pass over the usage, on the package's
 * fast summary path, with the state after each step for the chart. The steps together are
 * the one preview (items, reloads, alerts concatenated; the figures of the last step).
 */
function runInSteps(s: AppState, account: Account, usage: Usage[]): Pick<ScenarioRun, "preview" | "steps" | "listed"> {
  const inOrder = usage.every((u, i) => i === 0 || usage[i - 1]!.at <= u.at);
  const sorted = inOrder ? usage : usage.slice().sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  const rateCardVersions = s.rateCardVersions ?? [];
  const handle = openAccount({ rateCard: s.rateCard, rateCardVersions, account });
  const steps: ScenarioRun["steps"] = [];
  try {
    const size = Math.max(1, Math.ceil(sorted.length / MAX_POINTS));
    for (let i = 0; i < sorted.length; i += size) {
      const chunk = sorted.slice(i, i + size);
      steps.push({ t: ms(chunk[chunk.length - 1]!.at), p: handle.apply(chunk, { detail: "summary" }) });
    }
  } finally {
    handle.free();
  }
  const listed = previewDrawdown({ rateCard: s.rateCard, rateCardVersions, account, usage: sorted.slice(0, MAX_LISTED_ITEMS) }).items;
  if (!steps.length) {
    const p = previewDrawdown({ rateCard: s.rateCard, account, usage: [] });
    return { preview: p, steps, listed };
  }
  const last = steps[steps.length - 1]!.p;
  const preview: Preview = {
    ...last,
    balanceBefore: steps[0]!.p.balanceBefore,
    items: steps.flatMap((x) => x.p.items),
    reloads: steps.flatMap((x) => x.p.reloads),
    alerts: steps.flatMap((x) => x.p.alerts),
  };
  return { preview, steps, listed };
}
let last: ScenarioRun | null = null;
export function scenarioRun(s: AppState): ScenarioRun {
  if (last?.s !== s) {
    const account = engineAccount(s);
    const usage = usageFor(s.scenario, s.rateCard);
    last = { s, account, usage, preview: null, steps: [], listed: [], error: null };
    try {
      Object.assign(last, runInSteps(s, account, usage));
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

function series(s: AppState, account: Account, usage: Usage[], full: Preview, steps: ScenarioRun["steps"]): ChartData {
  const byId = new Map((account.grants ?? []).map((g) => [g.id, g]));
  const point = (t: number, p: Preview, balance: string): Point => ({
    t,
    includedSeconds: p.includedSecondsRemaining,
    values: new Map(p.grants.map((g) => [g.id, active(byId.get(g.id), t) ? g.remaining : "0"])),
    balance,
    owed: p.owed,
  });
  const first = usage.reduce((m, u) => (u.at < m ? u.at : m), usage[0]?.at ?? "");
  const start = first ? ms(first) : Date.now();
  const opening = previewDrawdown({ rateCard: s.rateCard, account, usage: [] });
  const openingGrants = { ...opening, grants: (account.grants ?? []).map((g) => ({ id: g.id, remaining: asCredits(String(g.remaining)) })) };
  const points: Point[] = [point(start - 3_600_000, openingGrants, full.balanceBefore)];
  for (const step of steps) points.push(point(step.t, step.p, step.p.balanceAfter));
  // Expiries inside the window are breakpoints too: the grant leaves the stack, and its
  // remaining leaves the spendable balance, there.
  for (const g of account.grants ?? []) {
    const e = g.expiresAt ? ms(g.expiresAt) : NaN;
    const i = points.findIndex((p) => p.t > e);
    if (i > 0) {
      const prev = points[i - 1]!;
      const lost = prev.values.get(g.id) ?? "0";
      const values = new Map([...prev.values].map(([id, v]) => [id, active(byId.get(id), e) ? v : "0"]));
      points.splice(i, 0, { ...prev, t: e, values, balance: subtractDecimals(prev.balance, lost) });
    }
  }
  const plan = full.grants.filter((g) => byId.get(g.id)?.type === "plan");
  const rest = full.grants.filter((g) => byId.get(g.id)?.type !== "plan");
  const label = (id: string) => {
    const g = byId.get(id);
    return g ? `${g.type === "plan" ? "plan credits" : g.type} · ${id}` : `reload · ${id}`;
  };
  const currency = s.rateCard.currency;
  return {
    ...accountAxes(account, s.rateCard),
    points,
    sources: [...plan, ...rest].map((g) => ({ id: g.id, label: label(g.id) })),
    reloads: full.reloads.map((r) => ({
      t: ms(r.at),
      credits: r.credits,
      label: `Auto-reload ${when(r.at, account.timeZone ?? "UTC")}: +${credits(r.credits)} credits (${money(r.amount, currency)}${r.multiple > 1 ? `, ${r.multiple}× the amount` : ""})`,
    })),
    showIncluded: (s.plan?.includedMinutes ?? 0) > 0,
  };
}

/** Usage items past which the input JSON is written only when its panel is opened. */
const EAGER_INPUT_ITEMS = 2000;
let pendingInput: (() => void) | null = null;

/** The previewDrawdown input as JSON, for developers; a large one waits until it is opened. */
function showInput(s: AppState, account: Account, usage: Usage[]): void {
  const write = () => {
    const versions = s.rateCardVersions?.length ? { rateCardVersions: s.rateCardVersions } : {};
    $("preview-input").textContent = JSON.stringify({ rateCard: s.rateCard, ...versions, account, usage }, null, 2);
    pendingInput = null;
  };
  const details = $("preview-input").closest("details");
  if (usage.length <= EAGER_INPUT_ITEMS || details?.open) return write();
  $("preview-input").textContent = `(${usage.length.toLocaleString("en-US")} usage items: written when this is opened)`;
  pendingInput = write;
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
  showInput(s, account, usage);
  let chart: ChartData;
  const p = run.preview;
  try {
    if (!p) throw run.error;
    chart = series(s, account, usage, p, run.steps);
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
  const endState = p.alerts.length ? p.alerts[p.alerts.length - 1]!.to : account.alerts?.state ?? "ok";
  figure(figs, "Alert state at the end", endState.replace("_", " "), endState, "alertState");
  figure(figs, "Refused", String(p.items.filter((i) => i.status === "refused").length), String(p.items.filter((i) => i.status === "refused").length), "refused");

  drawChart($("chart"), $("chart-legend"), chart);

  const names = new Map<string, string>([["included_minutes", "included minutes"], ["plan_credits", "plan credits"]]);
  const listed = run.listed;
  $("preview-more").textContent =
    p.items.length > listed.length ? `The first ${listed.length} of ${p.items.length.toLocaleString("en-US")} items are listed; the chart and the figures cover them all.` : "";
  for (const item of listed) {
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
  $("preview-input").closest("details")?.addEventListener("toggle", () => pendingInput?.());
  // The chart is drawn at its shown width: draw it again when that changes.
  let width = $("chart").clientWidth;
  new ResizeObserver(() => {
    if ($("chart").clientWidth !== width) {
      width = $("chart").clientWidth;
      render(state());
    }
  }).observe($("chart"));
  subscribe(render);
  render(state());
}
